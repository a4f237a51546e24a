/*
 * q16-dwconv-avx2.h -- the 16x8 depthwise convolution body shared by the
 * 3x3, 5x5 and any-k AVX2 kernels (each file instantiates it with its
 * constants), 16 channels a step. Arithmetic of ops/q16.h, bit for bit.
 *
 * The int8 body (q8-dwconv-avx2.h) with int16 maps: the same tiles,
 * borders and loop order -- one code for both, qdw-rows-avx2.h, and the
 * same prepared weights, qdw-prep-avx2.h -- so its reasons hold here and
 * are not repeated; what differs is only the tile and the tail below,
 * what the wider activations change:
 *  - the input needs no widening and no zero point (it is int16 with zero
 *    point 0): one 32-byte load per 16 channels feeds the unpack that
 *    interleaves two kernel rows into vpmaddwd pairs;
 *  - the sum is still exact in int32: a pair is at most 2 * 2^15 * 2^7 =
 *    2^23 and a window at most 225 taps (the entry sends larger ones to
 *    the reference), 113 pairs < 2^31 / 2^23 = 256;
 *  - the output is int16: vpackssdw of the two unpack-order halves puts
 *    the 16 channels back in order (and clamps from below, q16-avx2.h);
 *  - the channel sums are taken from the stored int16 values, sign-
 *    extended to int32 (the int8 body's int16 partial sums would overflow).
 */
#ifndef EFFAD_Q16_DWCONV_AVX2_H
#define EFFAD_Q16_DWCONV_AVX2_H

#include <immintrin.h>
#include "kernels-internal.h"   /* ops_dw_fixed_kxk, the scalar reference */
#include "q16-avx2.h"
#include "qdw-prep-avx2.h"

/* Kernel heights up to this go through the body; taller ones to the
 * scalar reference. */
#define Q16DW_MAX_KH 15
/* Stack for one channel group's prepared weights and epilogue factors. */
#define Q16DW_PREP_BYTES (16u << 10)
/* Prefetch distance in tiles, and the input size above which the tiles
 * prefetch (a hardware prefetcher does not follow the kh row streams of a
 * map bigger than L2): twice the int8 body's bytes, i.e. the maps of as
 * many pixels x channels as it prefetches. At the int8 threshold B0's
 * 56x56x144 (903 KB) prefetched and its 5x5 stride-2 depthwise took 145-
 * 151 us instead of 135-137 (hot input, best of runs). */
#define Q16DW_PF_TILES 2
#define Q16DW_PF_MIN_BYTES (1024u << 10)

typedef struct q16dw {
    const ops_q16_dwconv_args *a;
    size_t c;
    q8_avx2_out q;
    int swish;            /* the activation is swish (else: the switch) */
    int prefetch;         /* the input is bigger than L2 (q16dw_tiles) */
} q16dw;

/* 16 (half: 8, the rest zero) int16 at p. */
Q8_INLINE __m256i q16dw_x16(const q16dw *d, const int16_t *p, const int half)
{
    (void)d;
    if (half) return _mm256_inserti128_si256(_mm256_setzero_si256(), _mm_loadu_si128((const __m128i *)(const void *)p), 0);
    return _mm256_loadu_si256((const __m256i *)(const void *)p);
}

/* The epilogue of a tile (qdw-rows-avx2.h): its N outputs' int32 sums lo[j],
 * hi[j] (unpack order) finished with the factors f, stored at o, and
 * added to the channel sums cs when given. */
Q8_INLINE void q16dw_store(const q16dw *d, const __m256i *lo, const __m256i *hi, const int N, const __m256i *f,
                           const int half, int16_t *o, int32_t *cs)
{
    const size_t c = d->c;
    __m256i s0 = _mm256_setzero_si256(), s1 = s0;   /* int32 output sums, channels 0-7 and 8-15 */
    __m256 xl[8], xh[8];   /* the activations, then the roundings */
    q8_avx2_dw_acts(lo, hi, N, f, d->swish, d->a->out.act, 0, xl, xh);
#pragma GCC unroll 4
    for (int j = 0; j < N; j++) {
        /* unpack order {0-3, 8-11}, {4-7, 12-15} packs to channels 0-15 */
        const __m256i v = _mm256_packs_epi32(q8_avx2_round(xl[j], &d->q), q8_avx2_round(xh[j], &d->q));
        int16_t *oj = o + (size_t)j * c;
        if (half) _mm_storeu_si128((__m128i *)(void *)oj, _mm256_castsi256_si128(v));
        else _mm256_storeu_si256((__m256i *)(void *)oj, v);
        if (cs) {
            s0 = _mm256_add_epi32(s0, _mm256_cvtepi16_epi32(_mm256_castsi256_si128(v)));
            if (!half) s1 = _mm256_add_epi32(s1, _mm256_cvtepi16_epi32(_mm256_extracti128_si256(v, 1)));
        }
    }
    if (cs) {
        __m256i *p = (__m256i *)(void *)cs;
        _mm256_storeu_si256(p, _mm256_add_epi32(_mm256_loadu_si256(p), s0));
        if (!half) _mm256_storeu_si256(p + 1, _mm256_add_epi32(_mm256_loadu_si256(p + 1), s1));
    }
}

/* Channels [c0, c) of output (oy, ox): the reference's arithmetic. */
static inline void q16dw_tail(const ops_q16_dwconv_args *a, const int16_t *const *rows, int ox, int c0, int16_t *orow)
{
    const ops_conv_geom g = a->g;
    const int iw = a->in_dims.w, c = a->in_dims.c;
    int16_t *o = orow + (size_t)ox * c;
    for (int ch = c0; ch < c; ch++) {
        int32_t acc = 0;
        for (int ky = 0; ky < g.kh; ky++) {
            if (!rows[ky]) continue;
            for (int kx = 0; kx < g.kw; kx++) {
                const int ix = ox * g.stride_w - g.pad_left + kx;
                if (ix < 0 || ix >= iw) continue;
                acc += (int32_t)rows[ky][(size_t)ix * c + ch] * (int32_t)a->w[((size_t)ky * g.kw + kx) * c + ch];
            }
        }
        o[ch] = ops_q16_finish((float)acc, &a->out, (size_t)ch, 0, 0, 0.0f);
        if (a->chan_sum) a->chan_sum[ch] += o[ch];
    }
}

/* The rest, one code with the int8 body (qdw-rows-avx2.h): the columns
 * and the tile around q16dw_store, the rows,
 * the channel groups and the fixed-K kernels:
 * q16dw_body, q16dw_kxk_fixed. */
#define QDW_T int16_t
#define QDW_ARGS ops_q16_dwconv_args
#define QDW(name) q16dw_##name
#define QDW_CTX q16dw
#define QDW_INIT(d, a) ((d)->q = q16_avx2_out_for(&(a)->out), (d)->swish = (a)->out.act.kind == OPS_ACT_SWISH)
#define QDW_IN_ROW(a, iy) ops_q16_dw_in_row((a), (iy))
#define QDW_ARGS_OK(a) ops_q16_dw_args_ok(a)
#define QDW_TAPS_OK(g) ((g).kh * (g).kw <= 225)   /* q16.h: the int32 bound */
#define QDW_SCALAR q16_dwconv_hwc_scalar
#define QDW_MAX_KH Q16DW_MAX_KH
#define QDW_PREP_BYTES Q16DW_PREP_BYTES
#define QDW_PF_TILES Q16DW_PF_TILES
#define QDW_PF_MIN_BYTES Q16DW_PF_MIN_BYTES
#include "qdw-rows-avx2.h"

#endif /* EFFAD_Q16_DWCONV_AVX2_H */
