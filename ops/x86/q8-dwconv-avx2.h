/*
 * q8-dwconv-avx2.h -- the int8 depthwise convolution body shared by the
 * 3x3, 5x5 and any-k AVX2 kernels (each file instantiates it with its
 * constants), 16 channels a step. Arithmetic of ops/q8.h, bit for bit.
 *
 * The sum. Each tap's input is widened to int16 and its zero point
 * subtracted there (|x - zero| <= 255), so a padding tap is simply left
 * out, as in the reference. Two kernel rows go through one vpmaddwd: the
 * inputs of rows 2g and 2g+1 at one column are interleaved (unpack) into
 * int16 pairs, the weights were interleaved the same way once per call,
 * and vpmaddwd forms x_a * w_a + x_b * w_b per channel in int32 --
 * exact, since each product is at most 255 * 128. An odd last row pairs
 * with zero, and so does a row of a pair that lies outside the image. The
 * sums are the reference's integers in a different order, and int32
 * addition wraps, so the result is the same. For a 3x3 kernel that is 12
 * multiplies per 16 outputs where the float kernel needs 18 FMAs.
 *
 * Tiles. One interleaved input column feeds every output of a tile of N
 * adjacent columns that reads it (stride 1, 3x3: up to 3), so the loads
 * and unpacks are shared; N = 4 keeps 8 accumulators, the pair and a
 * product in 11 of the 16 registers. Lanes come out of the unpacks as
 * channels {0-3, 8-11} and {4-7, 12-15}; the epilogue factors were
 * permuted to that order once per call, and vpackssdw puts the channels
 * back in order for free.
 *
 * Borders. Kernel rows outside the image are a per-row choice of which
 * half of a pair is present (three code paths, no per-tap test). Columns:
 * with stride 1 and "same" padding the first and last kw/2 outputs run as
 * one tile whose columns outside the row are left out at compile time
 * (the float kernels' dw_edge); any other border output takes the
 * one-output path with its own column range.
 *
 * Loop order: channel group (as many 16-channel blocks as their prepared
 * weights fit in Q8DW_PREP_BYTES of stack), output row, tile, block --
 * channels innermost, so every input row is walked forward in memory.
 * Channels past the last multiple of 16 go through an 8-lane block (8-byte
 * loads and stores) when there are 8 of them, and
 * the reference's arithmetic per pixel for the last c % 8.
 *
 * The interior of 3x3 rows takes another road where it can: uint8 x int8
 * byte quads, 32 channels a step (q8-dwconv-quad-avx2.h).
 *
 * This file holds what is int8's own: the loads, the tile and the tail.
 * The weights' layout (qdw-prep-avx2.h) and everything above one tile
 * (qdw-rows-avx2.h) are shared with the 16x8 body, q16-dwconv-avx2.h.
 *
 * AVX-VNNI (the -avxvnni.c files): each vpmaddwd + vpaddd is one VEX
 * vpdpwssd, the same integers. Measured (`effad bench --layers`, one
 * thread pinned, shared Zen 5, two alternated runs): B0 int8 depthwise
 * 3x3 / 5x5 / fused with the expand 0.82-0.84 / 0.96-0.97 / 0.90-0.92 ->
 * 0.76-0.79 / 0.80-0.82 / 0.76-0.78 ms; B4 4.2 / 8.0-8.3 / 12.7-13.0 ->
 * 3.9-4.0 / 6.5-6.6 / 10.8-11.2 ms.
 *
 * Measured and not kept: folding the zero point into the start of tiles
 * whose every tap is inside the image (-zero * the weights' sum, prepared
 * per block; inputs widened without the subtraction): the depthwise shapes
 * of bench-q8-kernels 1-8 % faster on plain AVX2, but B0 / B4 int8 passes
 * 6.87-6.96 -> 6.94-7.05 / 64.4-65.3 -> 64.3-64.6 ms (alternated runs) --
 * nothing in the pass, for twice the tile code.
 */
#ifndef EFFAD_Q8_DWCONV_AVX2_H
#define EFFAD_Q8_DWCONV_AVX2_H

#include <immintrin.h>
#include "kernels-internal.h"   /* ops_dw_fixed_kxk, the scalar reference */
#include "q8-avx2.h"
#include "qdw-prep-avx2.h"
#include "q8-dwconv-quad-avx2.h"

/* Kernel heights up to this go through the body; taller ones -- valid
 * ONNX, never EfficientNet -- to the scalar reference. */
#define Q8DW_MAX_KH 16
/* Stack for one channel group's prepared weights and epilogue factors. */
#define Q8DW_PREP_BYTES (16u << 10)
/* Prefetch distance in tiles, and the input size above which the tiles
 * prefetch (as the float kernels: a hardware prefetcher does not follow
 * the kh row streams of a map bigger than L2). */
#define Q8DW_PF_TILES 2
#define Q8DW_PF_MIN_BYTES (512u << 10)

typedef struct q8dw {
    const ops_q8_dwconv_args *a;
    size_t c;
    __m256i z16;          /* the input zero point, int16 lanes */
    q8_avx2_out q;
    int swish;            /* the activation is swish (else: the switch) */
    int prefetch;         /* the input is bigger than L2 (q8dw_tiles) */
    int nq;               /* 32-channel blocks of this group on the quad path */
    _Alignas(32) __m256i qprep[Q8DWQ_PREP_VECTORS];   /* their prepared vectors */
} q8dw;

/* 16 (half: 8, the rest zero) uint8 at p widened to int16 minus the zero
 * point (the upper lanes of a half block hold -zero: their weights are
 * zero, their outputs never stored). */
Q8_INLINE __m256i q8dw_x16(const q8dw *d, const uint8_t *p, const int half)
{
    const __m128i v = half ? _mm_loadl_epi64((const __m128i *)(const void *)p) : _mm_loadu_si128((const __m128i *)(const void *)p);
    return _mm256_sub_epi16(_mm256_cvtepu8_epi16(v), d->z16);
}

/* The epilogue of a tile (qdw-rows-avx2.h): its N outputs' int32 sums lo[j],
 * hi[j] (unpack order) finished with the factors f, stored at o, and
 * added to the channel sums cs when given. */
Q8_INLINE void q8dw_store(const q8dw *d, const __m256i *lo, const __m256i *hi, const int N, const __m256i *f,
                          const int half, uint8_t *o, int32_t *cs)
{
    const size_t c = d->c;
    __m256i s0 = _mm256_setzero_si256(), s1 = s0;   /* int16 output sums */
    __m256 xl[8], xh[8];   /* the activations, then the roundings */
    q8_avx2_dw_acts(lo, hi, N, f, d->swish, d->a->out.act, 1, xl, xh);
#pragma GCC unroll 4
    for (int j = 0; j < N; j += 2) {
        /* q8_avx2_half of the unpack-order halves is channels 0-7 | 8-15 */
        const __m256i x = q8_avx2_half(q8_avx2_round(xl[j], &d->q), q8_avx2_round(xh[j], &d->q), &d->q);
        const __m256i y = j + 1 < N ? q8_avx2_half(q8_avx2_round(xl[j + 1], &d->q), q8_avx2_round(xh[j + 1], &d->q), &d->q) : x;
        /* bytes: x 0-7, y 0-7 | x 8-15, y 8-15 -> x 0-15 | y 0-15 */
        const __m256i v = _mm256_permute4x64_epi64(_mm256_packus_epi16(x, y), 0xD8);
        uint8_t *oj = o + (size_t)j * c;
        if (half) {
            _mm_storel_epi64((__m128i *)(void *)oj, _mm256_castsi256_si128(v));
            if (j + 1 < N) _mm_storel_epi64((__m128i *)(void *)(oj + c), _mm256_extracti128_si256(v, 1));
        } else {
            _mm_storeu_si128((__m128i *)(void *)oj, _mm256_castsi256_si128(v));
            if (j + 1 < N) _mm_storeu_si128((__m128i *)(void *)(oj + c), _mm256_extracti128_si256(v, 1));
        }
        if (cs) {
            const __m256i vs = j + 1 < N ? v : _mm256_inserti128_si256(v, _mm_setzero_si128(), 1);
            s0 = _mm256_add_epi16(s0, _mm256_unpacklo_epi8(vs, _mm256_setzero_si256()));   /* x 0-7 | y 0-7 */
            s1 = _mm256_add_epi16(s1, _mm256_unpackhi_epi8(vs, _mm256_setzero_si256()));   /* x 8-15 | y 8-15 */
        }
    }
    if (cs) {
        const __m128i t0 = _mm_add_epi16(_mm256_castsi256_si128(s0), _mm256_extracti128_si256(s0, 1));
        const __m128i t1 = _mm_add_epi16(_mm256_castsi256_si128(s1), _mm256_extracti128_si256(s1, 1));
        __m256i *p = (__m256i *)(void *)cs;
        _mm256_storeu_si256(p, _mm256_add_epi32(_mm256_loadu_si256(p), _mm256_cvtepu16_epi32(t0)));
        if (!half) _mm256_storeu_si256(p + 1, _mm256_add_epi32(_mm256_loadu_si256(p + 1), _mm256_cvtepu16_epi32(t1)));
    }
}

/* Channels [c16, c) of output (oy, ox): the reference's arithmetic. */
static inline void q8dw_tail(const ops_q8_dwconv_args *a, const uint8_t *const *rows, int ox, int c16, uint8_t *orow)
{
    const ops_conv_geom g = a->g;
    const int iw = a->in_dims.w, c = a->in_dims.c;
    uint8_t *o = orow + (size_t)ox * c;
    for (int ch = c16; ch < c; ch++) {
        int32_t acc = 0;
        for (int ky = 0; ky < g.kh; ky++) {
            if (!rows[ky]) continue;
            for (int kx = 0; kx < g.kw; kx++) {
                const int ix = ox * g.stride_w - g.pad_left + kx;
                if (ix < 0 || ix >= iw) continue;
                acc += ((int32_t)rows[ky][(size_t)ix * c + ch] - a->in_zero) * (int32_t)a->w[((size_t)ky * g.kw + kx) * c + ch];
            }
        }
        o[ch] = ops_q8_finish(acc, &a->out, (size_t)ch, 0, 0, 0, 0.0f);
        if (a->chan_sum) a->chan_sum[ch] += o[ch];
    }
}

/* The interior of rows whose kernel rows are all inside the image, for
 * the group's first 2 * nq 16-channel blocks, by the 3x3 quad path
 * (q8-dwconv-quad-avx2.h) in tiles of two outputs; returns the first
 * block it did not do. */
Q8_INLINE int q8dw_quad_tiles(const q8dw *d, const uint8_t *const *rows, int b0, const int K, const int S, int ox,
                              int ox_hi, uint8_t *orow)
{
    if (!d->nq) return b0;
    for (int ky = 0; ky < K; ky++)
        if (!rows[ky]) return b0;
    const ops_q8_dwconv_args *a = d->a;
    const size_t c = d->c;
    const ops_act act = a->out.act;
    for (; ox < ox_hi; ox += 2) {
        const int ix0 = ox * S - a->g.pad_left;
        if (d->prefetch) {
            /* as q8dw_tiles: the columns Q8DW_PF_TILES tiles of 4 ahead */
            const uintptr_t at = ((uintptr_t)(ix0 + Q8DW_PF_TILES * 4 * S) * c + (uintptr_t)b0 * 16) * sizeof(uint8_t);
            for (int ky = 0; ky < K; ky++)
                for (size_t l = 0; l < 2 * (size_t)S * c; l += 64)
                    _mm_prefetch((const char *)((uintptr_t)rows[ky] + at + l), _MM_HINT_T0);
        }
        for (int q = 0; q < d->nq; q++) {
            const size_t cb = (size_t)b0 * 16 + (size_t)q * 32;
            const __m256i *wq = d->qprep + (size_t)q * Q8DWQ_BLOCK_VECTORS;
            uint8_t *o = orow + (size_t)ox * c + cb;
            int32_t *cs = a->chan_sum ? a->chan_sum + cb : 0;
            if (ox + 2 <= ox_hi) {
                if (d->swish) q8dwq_tile(rows, c, ix0, cb, wq, S, 2, 1, act, &d->q, o, cs);
                else q8dwq_tile(rows, c, ix0, cb, wq, S, 2, 0, act, &d->q, o, cs);
            } else {
                if (d->swish) q8dwq_tile(rows, c, ix0, cb, wq, S, 1, 1, act, &d->q, o, cs);
                else q8dwq_tile(rows, c, ix0, cb, wq, S, 1, 0, act, &d->q, o, cs);
            }
        }
    }
    return b0 + 2 * d->nq;
}

/* The rest, one code with the 16x8 body (qdw-rows-avx2.h): the columns
 * and the tile around q8dw_store, the rows,
 * the channel groups and the fixed-K kernels:
 * q8dw_body, q8dw_kxk_fixed. */
#define QDW_T uint8_t
#define QDW_ARGS ops_q8_dwconv_args
#define QDW(name) q8dw_##name
#define QDW_CTX q8dw
#define QDW_INIT(d, a)                                                                              \
    ((d)->z16 = _mm256_set1_epi16((short)(a)->in_zero), (d)->q = q8_avx2_out_for(&(a)->out), \
     (d)->swish = (a)->out.act.kind == OPS_ACT_SWISH)
#define QDW_IN_ROW(a, iy) ops_q8_dw_in_row((a), (iy))
#define QDW_ARGS_OK(a) ops_q8_dw_args_ok(a)
#define QDW_TAPS_OK(g) 1
#define QDW_SCALAR q8_dwconv_hwc_scalar
#define QDW_MAX_KH Q8DW_MAX_KH
#define QDW_PREP_BYTES Q8DW_PREP_BYTES
#define QDW_PF_TILES Q8DW_PF_TILES
#define QDW_PF_MIN_BYTES Q8DW_PF_MIN_BYTES
#define QDW_QUAD_PREPARE(d, a, K, b0, b1) ((d)->nq = q8dwq_prepare((a), (K), (b0), (b1), (d)->qprep))
#define QDW_QUAD_TILES q8dw_quad_tiles
#include "qdw-rows-avx2.h"
#undef QDW_QUAD_PREPARE
#undef QDW_QUAD_TILES

#endif /* EFFAD_Q8_DWCONV_AVX2_H */
