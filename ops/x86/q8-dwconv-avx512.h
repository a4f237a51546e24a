/*
 * q8-dwconv-avx512.h -- the int8 depthwise convolution body shared by the
 * 3x3, 5x5 and any-k AVX-512 kernels (each file instantiates it with its
 * constants), 32 channels a step. Arithmetic of ops/q8.h, bit for bit.
 * It is the AVX2 body (q8-dwconv-avx2.h) on zmm: what is argued there
 * (int16 pairs of kernel rows through vpmaddwd, exact; tiles sharing the
 * loaded columns; borders as per-row choices and compile-time column
 * ranges; the loop order) holds here and is not repeated. What differs:
 *
 * Blocks of 32 channels. A tap's 32 uint8 become one zmm of int16 minus
 * the zero point; vpunpck{l,h}wd work within 128-bit lanes, so the sums
 * come out as channels {0-3, 8-11, 16-19, 24-27} and {4-7, 12-15, 20-23,
 * 28-31}; the epilogue factors are permuted to that order once per call
 * and vpackssdw puts the channels back in order.
 *
 * Channel tails: the channels past the last multiple of 32 are one more
 * block read and written under an opmask (inputs, weights and factors
 * past c load as 0, those outputs are never stored) -- no 8-lane block
 * and no scalar loop as in the AVX2 body.
 *
 * Tiles of 8, 4, 1 adjacent outputs: 16 accumulators, the pair, its two
 * halves and a loaded row in 21 of the 32 registers; the weights are
 * memory operands of the multiply (prepared per call on the stack, L1).
 *
 * With AVX512_VNNI (the files ending -avx512vnni.c) the multiply-add is
 * one vpdpwssd instead of vpmaddwd + vpaddd: the same exact int32 sum.
 *
 * chan_sum: the int16 outputs (max 0: the byte the pack stores) are summed
 * per tile in int16 (8 * 255 fits) and added to the int32 sums per tile.
 *
 * Measured on Zen 5 (bench/bench-q8-kernels.c and a copy of it calling the
 * kernel as the engine does: two output rows a call, one from a ring for
 * fused blocks; alternated in one process, minima), every B0 / B4
 * depthwise layer once per block: B0 0.82 ms against the AVX2 int8
 * kernel's 1.77 ms, B4 6.7 ms against 15.6 ms (without VNNI 0.90 and
 * 7.8 ms: vpdpwssd saves 7% and 11%). Not kept:
 *  - quads: 64 channels of four kernel rows as byte quads through
 *    vpdpbusd, padding taps read as the zero point and the accumulators
 *    started at -zero * sum(w) (commit 5529c4f): 3x3 layers 8-13% faster,
 *    5x5 stride 1 even, 5x5 stride 2 15-47% slower (the spilled 16
 *    accumulators); with quads for 3x3 only, `effad bench` gave B0 7.70
 *    against 7.76 ms and B4 69.25 against 69.29 ms -- not worth the code.
 *  - the AVX2 body's software prefetch (inputs over 512 KiB): slower here,
 *    B4 190x190x48 742 against 632 us, 48x48x336 5x5 337 against 310,
 *    also when limited to the block group's channels.
 *  - tiles of 6 instead of 8: 3% slower on B4; hiding the weight pointer
 *    from GCC (so that it cannot keep weights in registers): no change;
 *    the epilogue in a loop of its own over stored sums: 3x3 15% slower.
 *
 * This file holds what is int8's own: the loads, the tile and its
 * epilogue. The weights' layout (qdw-prep-avx512.h) and everything above
 * one tile (qdw-rows-avx512.h) are shared with the 16x8 body.
 */
#ifndef EFFAD_Q8_DWCONV_AVX512_H
#define EFFAD_Q8_DWCONV_AVX512_H

#include <immintrin.h>
#include "kernels-internal.h"   /* ops_dw_fixed_kxk, the scalar reference */
#include "q8-avx512.h"
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
#define Q8DWZ_MAX_KH 16
/* Stack for one channel group's prepared weights and epilogue factors. */
#define Q8DWZ_PREP_BYTES (16u << 10)
/* The widest tile. */
#define Q8DWZ_N 8

typedef struct q8dwz {
    const ops_q8_dwconv_args *a;
    size_t c;
    __m512i z16;          /* the input zero point, int16 lanes */
    __m512 inv, hi;       /* the quantiser (q8-avx2.h's clamps) */
    __m512i zero16;       /* the output zero point, int16 lanes */
    __mmask32 tail;       /* the channels of the last block, when c % 32 */
    int swish;            /* the activation is swish (else: the switch) */
    int ox_lo, ox_hi;     /* the outputs whose columns are all inside */
    int edges;            /* stride-1 "same" edges as tiles (q8dwz_edge) */
} q8dwz;

/* 32 uint8 at p widened to int16 minus the zero point (the lanes past a
 * tail hold -zero: their weights are zero, their outputs never stored). */
Q8_AVX512_INLINE __m512i q8dwz_x32(const q8dwz *d, const uint8_t *p, const int tail)
{
    return _mm512_sub_epi16(_mm512_cvtepu8_epi16(qdw_avx512_load32(p, tail, d->tail)), d->z16);
}

/* ops_q8_finish's rounding (q8_avx2_round's clamps), 16 lanes, after the
 * activations (q8_avx512_dw_acts). */
Q8_AVX512_INLINE __m512i q8dwz_round(const q8dwz *d, __m512 x)
{
    return _mm512_cvtps_epi32(_mm512_min_ps(_mm512_mul_ps(x, d->inv), d->hi));
}

/* Two rounded vectors -> int16 + the output zero point: vpackssdw takes
 * 4 lanes of each per 128 bits, which undoes the unpack orders. */
Q8_AVX512_INLINE __m512i q8dwz_pack(const q8dwz *d, __m512i x, __m512i y)
{
    return _mm512_add_epi16(_mm512_packs_epi32(x, y), d->zero16);
}

/* The epilogue of a tile (qdw-rows-avx512.h): its N outputs' int32 sums lo[j],
 * hi[j] (unpack order) finished with the factors f, stored at o, and
 * added to the channel sums cs when given. */
Q8_AVX512_INLINE void q8dwz_store(const q8dwz *d, const __m512i *lo, const __m512i *hi, const int N, const __m512i *f,
                                  const int tail, uint8_t *o, int32_t *cs)
{
    const size_t c = d->c;
    const __m512i order = _mm512_setr_epi64(0, 2, 4, 6, 1, 3, 5, 7);
    __m512i s = _mm512_setzero_si512();   /* int16 output sums, channels in order */
    __m512 xl[8], xh[8];   /* the activations, then the roundings */
    q8_avx512_dw_acts(lo, hi, N, f, d->swish, d->a->out.act, 1, xl, xh);
#pragma GCC unroll 4
    for (int j = 0; j < N; j += 2) {
        const __m512i x = q8dwz_pack(d, q8dwz_round(d, xl[j]), q8dwz_round(d, xh[j]));
        const __m512i y = j + 1 < N ? q8dwz_pack(d, q8dwz_round(d, xl[j + 1]), q8dwz_round(d, xh[j + 1])) : x;
        if (cs) {
            s = _mm512_add_epi16(s, _mm512_max_epi16(x, _mm512_setzero_si512()));
            if (j + 1 < N) s = _mm512_add_epi16(s, _mm512_max_epi16(y, _mm512_setzero_si512()));
        }
        /* bytes per 128-bit lane: x 8, y 8 -> x 0-31 | y 0-31 */
        const __m512i v = _mm512_permutexvar_epi64(order, _mm512_packus_epi16(x, y));
        uint8_t *oj = o + (size_t)j * c;
        if (tail) {
            _mm256_mask_storeu_epi8(oj, d->tail, _mm512_castsi512_si256(v));
            if (j + 1 < N) _mm256_mask_storeu_epi8(oj + c, d->tail, _mm512_extracti64x4_epi64(v, 1));
        } else {
            _mm256_storeu_si256((__m256i *)(void *)oj, _mm512_castsi512_si256(v));
            if (j + 1 < N) _mm256_storeu_si256((__m256i *)(void *)(oj + c), _mm512_extracti64x4_epi64(v, 1));
        }
    }
    if (cs) {
        const __m512i s0 = _mm512_cvtepu16_epi32(_mm512_castsi512_si256(s));
        const __m512i s1 = _mm512_cvtepu16_epi32(_mm512_extracti64x4_epi64(s, 1));
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

/* The rest, one code with the 16x8 body (qdw-rows-avx512.h): the columns
 * and the tile around q8dwz_store, the rows,
 * the channel groups, the fixed-K kernels and a table's entry:
 * q8dwz_body, q8dwz_kxk_fixed, q8dwz_entry. */
#define QDW_T uint8_t
#define QDW_ARGS ops_q8_dwconv_args
#define QDW(name) q8dwz_##name
#define QDW_CTX q8dwz
#define QDW_INIT(d, a) \
    ((d)->z16 = _mm512_set1_epi16((short)(a)->in_zero), (d)->inv = _mm512_set1_ps((a)->out.inv_scale), \
     (d)->hi = _mm512_set1_ps((float)(255 - (a)->out.zero)), (d)->zero16 = _mm512_set1_epi16((short)(a)->out.zero), \
     (d)->swish = (a)->out.act.kind == OPS_ACT_SWISH)
#define QDW_IN_ROW(a, iy) ops_q8_dw_in_row((a), (iy))
#define QDW_ARGS_OK(a) ops_q8_dw_args_ok(a)
#define QDW_TAPS_OK(g) 1
#define QDW_SCALAR q8_dwconv_hwc_scalar
#define QDW_MAX_KH Q8DWZ_MAX_KH
#define QDW_PREP_BYTES Q8DWZ_PREP_BYTES
#define QDW_N Q8DWZ_N
#include "qdw-rows-avx512.h"

#endif /* EFFAD_Q8_DWCONV_AVX512_H */
