/*
 * q16-dwconv-avx512.h -- the 16x8 depthwise convolution (ops/q16.h) body
 * shared by the 3x3, 5x5 and any-k AVX-512 kernels, with and without
 * VNNI (each file instantiates it), 32 channels a step. It is the int8
 * body (q8-dwconv-avx512.h) with int16 maps; what is argued there (pairs
 * of kernel rows interleaved into vpmaddwd / vpdpwssd, tiles of 8, 4, 1
 * outputs sharing the loaded columns, borders as per-row choices and
 * compile-time column ranges, stride-1 "same" edges as tiles, channel
 * tails as one more block under an opmask) holds here and is not repeated;
 * the weights' layout (qdw-prep-avx512.h) and everything above one tile
 * (qdw-rows-avx512.h) are one code for both. What differs:
 *
 * The input needs no widening and no zero point: a tap's 32 channels are
 * one 64-byte load of int16, unpacked with the next kernel row's into the
 * int32 pairs (channels {0-3, 8-11, 16-19, 24-27} and {4-7, 12-15, 20-23,
 * 28-31}, the epilogue factors permuted once per call to match).
 * Exactness: a pair is at most 2 x 2^22 and a window at most 225 taps
 * (the entry refuses more, as the reference does), so the int32 lanes
 * hold the reference's sum.
 *
 * The output is ops_q16_quantize1's (q16-avx512.h: both clamps in float,
 * NaN to 32767), and vpackssdw of the two halves restores the channel
 * order, its saturation a no-op after the clamp.
 *
 * chan_sum: the rounded int32 of each output (the int16 stored: the clamp
 * keeps it in range) are added per tile in the unpack order, in int32 (8
 * outputs x 2^15 would overflow int16), put back in channel order once per
 * tile and added to the sums.
 *
 * Measured on a shared 2-vCPU Zen 5 (whole maps, swish, channel sums, best
 * of 300 calls): VNNI 133 us for 3x3 s1 56x56x144, 22 for 5x5 s2
 * 28x28x240, 23 for 3x3 s1 14x14x480; without VNNI 5-18% slower; the int8
 * VNNI kernel 139, 23, 26 (it widens its bytes first) and the float
 * AVX-512 one 134, 34, 30.
 */
#ifndef EFFAD_Q16_DWCONV_AVX512_H
#define EFFAD_Q16_DWCONV_AVX512_H

#include <immintrin.h>
#include "kernels-internal.h"   /* ops_dw_fixed_kxk, the scalar reference */
#include "q16-avx512.h"
#include "qdw-prep-avx512.h"

/* The unroll pragmas below are GCC's measured choice (without the one on
 * the kernel-row loop, B0's and B4's depthwise layers run 8% slower);
 * clang honours "GCC unroll" too but declines it on that loop (variable or
 * too large a body) and reports so as a warning, an error under -Werror
 * (the fuzz build): a declined hint is not a fault of this code. */
#if defined(__clang__)
#pragma clang diagnostic ignored "-Wpass-failed"
#endif

/* Kernel heights up to this go through the body; taller ones to the
 * scalar reference (as in the AVX2 body). */
#define Q16DWZ_MAX_KH 16
/* Stack for one channel group's prepared weights and epilogue factors. */
#define Q16DWZ_PREP_BYTES (16u << 10)
/* The widest tile. */
#define Q16DWZ_N 8

typedef struct q16dwz {
    const ops_q16_dwconv_args *a;
    size_t c;
    q16_avx512_out q;     /* the quantiser */
    __mmask32 tail;       /* the channels of the last block, when c % 32 */
    int swish;            /* the activation is swish (else: the switch) */
    int ox_lo, ox_hi;     /* the outputs whose columns are all inside */
    int edges;            /* stride-1 "same" edges as tiles (q16dwz_edge) */
} q16dwz;

/* 32 int16 at p (past a tail: zeros, whose outputs are never stored). */
Q16_AVX512_INLINE __m512i q16dwz_x32(const q16dwz *d, const int16_t *p, const int tail)
{
    return tail ? _mm512_maskz_loadu_epi16(d->tail, p) : _mm512_loadu_si512(p);
}


/* The epilogue of a tile (qdw-rows-avx512.h): its N outputs' int32 sums lo[j],
 * hi[j] (unpack order) finished with the factors f, stored at o, and
 * added to the channel sums cs when given. */
Q16_AVX512_INLINE void q16dwz_store(const q16dwz *d, const __m512i *lo, const __m512i *hi, const int N, const __m512i *f,
                                    const int tail, int16_t *o, int32_t *cs)
{
    const size_t c = d->c;
    __m512i sl = _mm512_setzero_si512(), sh = sl;   /* output sums, unpack order */
    __m512 al[8], ah[8];   /* the activations, then the roundings (q16_avx512_quantize narrows) */
    q8_avx512_dw_acts(lo, hi, N, f, d->swish, d->a->out.act, 0, al, ah);
#pragma GCC unroll 8
    for (int j = 0; j < N; j++) {
        const __m512i xl = q16_avx512_quantize(al[j], &d->q), xh = q16_avx512_quantize(ah[j], &d->q);
        if (cs) {
            sl = _mm512_add_epi32(sl, xl);
            sh = _mm512_add_epi32(sh, xh);
        }
        /* vpackssdw takes 4 lanes of each per 128 bits: channel order */
        const __m512i v = _mm512_packs_epi32(xl, xh);
        int16_t *oj = o + (size_t)j * c;
        if (tail) _mm512_mask_storeu_epi16(oj, d->tail, v);
        else _mm512_storeu_si512(oj, v);
    }
    if (cs) {
        const __m512i i0 = _mm512_setr_epi32(0, 1, 2, 3, 16, 17, 18, 19, 4, 5, 6, 7, 20, 21, 22, 23);
        const __m512i i1 = _mm512_add_epi32(i0, _mm512_set1_epi32(8));
        const __m512i s0 = _mm512_permutex2var_epi32(sl, i0, sh), s1 = _mm512_permutex2var_epi32(sl, i1, sh);
        if (tail) {
            const __mmask16 m0 = (__mmask16)d->tail, m1 = (__mmask16)(d->tail >> 16);
            _mm512_mask_storeu_epi32(cs, m0, _mm512_add_epi32(_mm512_maskz_loadu_epi32(m0, cs), s0));
            _mm512_mask_storeu_epi32(cs + 16, m1, _mm512_add_epi32(_mm512_maskz_loadu_epi32(m1, cs + 16), s1));
        } else {
            _mm512_storeu_si512(cs, _mm512_add_epi32(_mm512_loadu_si512(cs), s0));
            _mm512_storeu_si512(cs + 16, _mm512_add_epi32(_mm512_loadu_si512(cs + 16), s1));
        }
    }
}

/* The rest, one code with the int8 body (qdw-rows-avx512.h): the columns
 * and the tile around q16dwz_store, the rows,
 * the channel groups, the fixed-K kernels and a table's entry:
 * q16dwz_body, q16dwz_kxk_fixed, q16dwz_entry. */
#define QDW_T int16_t
#define QDW_ARGS ops_q16_dwconv_args
#define QDW(name) q16dwz_##name
#define QDW_CTX q16dwz
#define QDW_INIT(d, a) \
    ((d)->q = q16_avx512_out_of((a)->out.inv_scale), (d)->swish = (a)->out.act.kind == OPS_ACT_SWISH)
#define QDW_IN_ROW(a, iy) ops_q16_dw_in_row((a), (iy))
#define QDW_ARGS_OK(a) ops_q16_dw_args_ok(a)
#define QDW_TAPS_OK(g) ((g).kh * (g).kw <= 225)   /* q16.h: the int32 bound */
#define QDW_SCALAR q16_dwconv_hwc_scalar
#define QDW_MAX_KH Q16DWZ_MAX_KH
#define QDW_PREP_BYTES Q16DWZ_PREP_BYTES
#define QDW_N Q16DWZ_N
#include "qdw-rows-avx512.h"

#endif /* EFFAD_Q16_DWCONV_AVX512_H */
