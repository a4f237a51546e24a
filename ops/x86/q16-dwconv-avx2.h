/*
 * q16-dwconv-avx2.h -- the 16x8 depthwise convolution body shared by the
 * 3x3, 5x5 and any-k AVX2 kernels (each file instantiates it with its
 * constants), 16 channels a step. Arithmetic of ops/q16.h, bit for bit.
 *
 * The int8 body (q8-dwconv-avx2.h) with int16 maps: the same tiles,
 * borders and loop order, so its reasons hold here and are not repeated;
 * what differs is only what the wider activations change:
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
/* Per 16-channel block: 2 vectors per (row pair, kernel column), then the
 * epilogue's mult and bias, each as the two unpack-order halves. */
#define Q16DW_FACTORS 4

typedef struct q16dw {
    const ops_q16_dwconv_args *a;
    size_t c;
    q8_avx2_out q;
    int swish;            /* the activation is swish (else: the switch) */
    int prefetch;         /* the input is bigger than L2 (q16dw_tiles) */
} q16dw;

Q8_INLINE size_t q16dw_block_vectors(int kh, int kw)
{
    return (size_t)((kh + 1) / 2) * (size_t)kw * 2 + Q16DW_FACTORS;
}

/* 16 (or, half, 8: the upper lanes zero) int8 weights at p as int16. */
Q8_INLINE __m256i q16dw_w16(const int8_t *p, const int half)
{
    const __m128i v = half ? _mm_loadl_epi64((const __m128i *)(const void *)p) : _mm_loadu_si128((const __m128i *)(const void *)p);
    return _mm256_cvtepi8_epi16(v);
}

/* 16 (or 8) floats at p, zero past them. */
Q8_INLINE void q16dw_f16(const float *p, const int half, __m256 *lo, __m256 *hi)
{
    *lo = _mm256_loadu_ps(p);
    *hi = half ? _mm256_setzero_ps() : _mm256_loadu_ps(p + 8);
}

/* Weights and factors of blocks [b0, b1) into prep; a half block holds
 * channels cb..cb+7 only (the rest of its lanes zero). */
static inline void q16dw_prepare(const q16dw *d, int kh, int kw, int b0, int b1, const int half, __m256i *prep)
{
    const ops_q16_dwconv_args *a = d->a;
    const size_t c = d->c, nv = q16dw_block_vectors(kh, kw);
    for (int b = b0; b < b1; b++) {
        const size_t cb = (size_t)b * 16;
        __m256i *p = prep + (size_t)(b - b0) * nv;
        for (int ky = 0; ky < kh; ky += 2)
            for (int kx = 0; kx < kw; kx++, p += 2) {
                const __m256i wa = q16dw_w16(a->w + ((size_t)ky * kw + kx) * c + cb, half);
                const __m256i wb = ky + 1 < kh ? q16dw_w16(a->w + ((size_t)(ky + 1) * kw + kx) * c + cb, half)
                                               : _mm256_setzero_si256();
                p[0] = _mm256_unpacklo_epi16(wa, wb);
                p[1] = _mm256_unpackhi_epi16(wa, wb);
            }
        __m256 m0, m1, b0v = _mm256_setzero_ps(), b1v = b0v;
        q16dw_f16(a->out.mult + cb, half, &m0, &m1);
        if (a->out.bias) q16dw_f16(a->out.bias + cb, half, &b0v, &b1v);
        p[0] = _mm256_castps_si256(_mm256_permute2f128_ps(m0, m1, 0x20));    /* channels 0-3, 8-11 */
        p[1] = _mm256_castps_si256(_mm256_permute2f128_ps(m0, m1, 0x31));    /* 4-7, 12-15 */
        p[2] = _mm256_castps_si256(_mm256_permute2f128_ps(b0v, b1v, 0x20));
        p[3] = _mm256_castps_si256(_mm256_permute2f128_ps(b0v, b1v, 0x31));
    }
}

/* 16 (half: 8, the rest zero) int16 at p. */
Q8_INLINE __m256i q16dw_x16(const int16_t *p, const int half)
{
    if (half) return _mm256_inserti128_si256(_mm256_setzero_si256(), _mm_loadu_si128((const __m128i *)(const void *)p), 0);
    return _mm256_loadu_si256((const __m256i *)(const void *)p);
}

/* One row pair over the tile's input columns [col_lo, col_hi): which = 1
 * row a only, 2 row b only, 3 both. Column col feeds output j = (col -
 * kx) / sw for each kx that divides evenly. With N = 1 the column is the
 * kernel column. */
Q8_INLINE void q16dw_cols(const q16dw *d, const int16_t *pa, const int16_t *pb, const int which, int ix0, size_t cb,
                          const __m256i *wg, const int kw, const int sw, const int N, const int col_lo,
                          const int col_hi, const int half, __m256i *lo, __m256i *hi)
{
    const size_t c = d->c;
    const __m256i zero = _mm256_setzero_si256();
#pragma GCC unroll 16
    for (int col = col_lo; col < col_hi; col++) {
        const size_t at = (size_t)(ix0 + col) * c + cb;
        const __m256i xa = which & 1 ? q16dw_x16(pa + at, half) : zero;
        const __m256i xb = which & 2 ? q16dw_x16(pb + at, half) : zero;
        const __m256i vl = _mm256_unpacklo_epi16(xa, xb), vh = _mm256_unpackhi_epi16(xa, xb);
        if (N == 1) {
            lo[0] = _mm256_add_epi32(lo[0], _mm256_madd_epi16(vl, _mm256_load_si256(wg + 2 * col)));
            hi[0] = _mm256_add_epi32(hi[0], _mm256_madd_epi16(vh, _mm256_load_si256(wg + 2 * col + 1)));
            continue;
        }
#pragma GCC unroll 8
        for (int kx = 0; kx < kw; kx++) {
            const int dd = col - kx;
            if (dd >= 0 && dd % sw == 0 && dd / sw < N) {
                lo[dd / sw] = _mm256_add_epi32(lo[dd / sw], _mm256_madd_epi16(vl, _mm256_load_si256(wg + 2 * kx)));
                hi[dd / sw] = _mm256_add_epi32(hi[dd / sw], _mm256_madd_epi16(vh, _mm256_load_si256(wg + 2 * kx + 1)));
            }
        }
    }
}

/* ops_q16_finish up to the rounding, on 8 lanes in unpack order. */
Q8_INLINE __m256i q16dw_finish(const q16dw *d, __m256i acc, __m256 m, __m256 b)
{
    __m256 x = _mm256_fmadd_ps(_mm256_cvtepi32_ps(acc), m, b);
    x = d->swish ? q8_avx2_swish(x) : q8_avx2_act(x, d->a->out.act);
    return q8_avx2_round(x, &d->q);
}

/* N outputs (columns ox..ox+N-1 of one row) of one 16-channel block: the
 * window starts at input column ix0; its columns [col_lo, col_hi) are
 * inside the row; rows[ky] is NULL for kernel rows outside the image. */
Q8_INLINE void q16dw_tile(const q16dw *d, const int16_t *const *rows, int ix0, size_t cb, const __m256i *wb,
                          const int kh, const int kw, const int sw, const int N, const int col_lo, const int col_hi,
                          const int half, int16_t *o, int32_t *cs)
{
    __m256i lo[4], hi[4];
#pragma GCC unroll 4
    for (int j = 0; j < N; j++) lo[j] = hi[j] = _mm256_setzero_si256();
    /* unrolled (kh is a constant in the fast paths), so that the
     * accumulators stay in registers across the three-way choices */
#pragma GCC unroll 8
    for (int ky = 0; ky < kh; ky += 2) {
        const int16_t *pa = rows[ky], *pb = ky + 1 < kh ? rows[ky + 1] : 0;
        const __m256i *wg = wb + (size_t)ky * kw;   /* (ky / 2) * kw * 2 vectors */
        if (pa && pb) q16dw_cols(d, pa, pb, 3, ix0, cb, wg, kw, sw, N, col_lo, col_hi, half, lo, hi);
        else if (pa) q16dw_cols(d, pa, pb, 1, ix0, cb, wg, kw, sw, N, col_lo, col_hi, half, lo, hi);
        else if (pb) q16dw_cols(d, pa, pb, 2, ix0, cb, wg, kw, sw, N, col_lo, col_hi, half, lo, hi);
    }
    const __m256i *f = wb + q16dw_block_vectors(kh, kw) - Q16DW_FACTORS;
    const __m256 ml = _mm256_castsi256_ps(f[0]), mh = _mm256_castsi256_ps(f[1]);
    const __m256 bl = _mm256_castsi256_ps(f[2]), bh = _mm256_castsi256_ps(f[3]);
    const size_t c = d->c;
    __m256i s0 = _mm256_setzero_si256(), s1 = s0;   /* int32 output sums, channels 0-7 and 8-15 */
#pragma GCC unroll 4
    for (int j = 0; j < N; j++) {
        /* unpack order {0-3, 8-11}, {4-7, 12-15} packs to channels 0-15 */
        const __m256i v = _mm256_packs_epi32(q16dw_finish(d, lo[j], ml, bl), q16dw_finish(d, hi[j], mh, bh));
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

/* Tiles of N outputs with every column inside the row, from *oxp while
 * they fit before ox_hi, blocks [b0, b1). */
Q8_INLINE void q16dw_tiles(const q16dw *d, const int16_t *const *rows, const __m256i *prep, int b0, int b1,
                           const int kh, const int kw, const int sw, const int N, const int half, int *oxp, int ox_hi,
                           int16_t *orow)
{
    const ops_q16_dwconv_args *a = d->a;
    const size_t c = d->c, nv = q16dw_block_vectors(kh, kw);
    int ox = *oxp;
    for (; ox + N <= ox_hi; ox += N) {
        const int ix0 = ox * sw - a->g.pad_left;
        if (N > 1 && d->prefetch) {
            /* the input columns this tile's rows read, Q16DW_PF_TILES tiles
             * ahead (addresses past the row are harmless: a prefetch never
             * faults) */
            const uintptr_t at = ((uintptr_t)(ix0 + Q16DW_PF_TILES * N * sw) * c + (uintptr_t)b0 * 16) * sizeof(int16_t);
            const size_t bytes = (size_t)N * sw * c * sizeof(int16_t);
            for (int ky = 0; ky < kh; ky++)
                if (rows[ky])
                    for (size_t l = 0; l < bytes; l += 64) _mm_prefetch((const char *)((uintptr_t)rows[ky] + at + l), _MM_HINT_T0);
        }
        for (int b = b0; b < b1; b++) {
            const size_t cb = (size_t)b * 16;
            q16dw_tile(d, rows, ix0, cb, prep + (size_t)(b - b0) * nv, kh, kw, sw, N, 0, (N - 1) * sw + kw, half,
                       orow + (size_t)ox * c + cb, a->chan_sum ? a->chan_sum + cb : 0);
        }
    }
    *oxp = ox;
}

/* One output at column ox whose window may cross either edge; half: the
 * blocks are 8-channel ones (the tail). */
static inline void q16dw_border(const q16dw *d, const int16_t *const *rows, const __m256i *prep, int b0, int b1,
                                int kh, int kw, int sw, int ox, int half, int16_t *orow)
{
    const ops_q16_dwconv_args *a = d->a;
    const size_t c = d->c, nv = q16dw_block_vectors(kh, kw);
    const int iw = a->in_dims.w, ix0 = ox * sw - a->g.pad_left;
    int kx_lo = ix0 < 0 ? -ix0 : 0, kx_hi = iw - ix0 < kw ? iw - ix0 : kw;
    if (kx_lo >= kx_hi) kx_lo = kx_hi = 0;   /* every tap is padding: the bias alone */
    for (int b = b0; b < b1; b++) {
        const size_t cb = (size_t)b * 16;
        int16_t *o = orow + (size_t)ox * c + cb;
        int32_t *cs = a->chan_sum ? a->chan_sum + cb : 0;
        if (half) q16dw_tile(d, rows, ix0, cb, prep + (size_t)(b - b0) * nv, kh, kw, sw, 1, kx_lo, kx_hi, 1, o, cs);
        else q16dw_tile(d, rows, ix0, cb, prep + (size_t)(b - b0) * nv, kh, kw, sw, 1, kx_lo, kx_hi, 0, o, cs);
    }
}

/* The first (right = 0) or last kw/2 outputs of a stride-1 row with
 * "same" padding as one tile. */
Q8_INLINE void q16dw_edge(const q16dw *d, const int16_t *const *rows, const __m256i *prep, int b0, int b1,
                          const int kh, const int kw, const int right, const int half, int ox, int16_t *orow)
{
    const ops_q16_dwconv_args *a = d->a;
    const int P = kw / 2, span = (P - 1) + kw;
    const size_t c = d->c, nv = q16dw_block_vectors(kh, kw);
    for (int b = b0; b < b1; b++) {
        const size_t cb = (size_t)b * 16;
        q16dw_tile(d, rows, ox - P, cb, prep + (size_t)(b - b0) * nv, kh, kw, 1, P, right ? 0 : P, right ? span - P : span,
                   half, orow + (size_t)ox * c + cb, a->chan_sum ? a->chan_sum + cb : 0);
    }
}

/* One output row, blocks [b0, b1) (half: the one 8-channel block):
 * stride-1 "same" edges as tiles, other borders one output at a time, the
 * interior in tiles of 4 and then singles. */
Q8_INLINE void q16dw_row(const q16dw *d, const int16_t *const *rows, const __m256i *prep, int b0, int b1, const int kh,
                         const int kw, const int sw, const int K, const int half, const int edges, int ox_lo,
                         int ox_hi, int16_t *orow)
{
    const int ow = d->a->out_dims.w, P = kw / 2;
    int ox = 0;
    if (edges) {
        q16dw_edge(d, rows, prep, b0, b1, kh, kw, 0, half, 0, orow);
        ox = P;
    }
    for (; ox < ox_lo; ox++) q16dw_border(d, rows, prep, b0, b1, kh, kw, sw, ox, half, orow);
    if (K) q16dw_tiles(d, rows, prep, b0, b1, kh, kw, sw, 4, half, &ox, ox_hi, orow);
    q16dw_tiles(d, rows, prep, b0, b1, kh, kw, sw, 1, half, &ox, ox_hi, orow);
    if (edges) {
        q16dw_edge(d, rows, prep, b0, b1, kh, kw, 1, half, ox, orow);
        ox = ow;
    }
    for (; ox < ow; ox++) q16dw_border(d, rows, prep, b0, b1, kh, kw, sw, ox, half, orow);
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

/* The whole kernel. K (kernel side) and S (stride) are constants in the
 * fast paths, 0 for "read them from the geometry" (any kh x kw, dilation
 * 1; the caller checks). */
Q8_INLINE void q16dw_body(const ops_q16_dwconv_args *a, const int K, const int S)
{
    const ops_conv_geom g = a->g;
    const int kh = K ? K : g.kh, kw = K ? K : g.kw;
    const int sh = S ? S : g.stride_h, sw = S ? S : g.stride_w;
    const int ih = a->in_dims.h, iw = a->in_dims.w, c = a->in_dims.c, ow = a->out_dims.w;
    q16dw d;
    d.a = a;
    d.c = (size_t)c;
    d.q = q16_avx2_out_of(a->out.inv_scale);
    d.swish = a->out.act.kind == OPS_ACT_SWISH;
    /* software prefetch only when the input cannot be cache-resident (a
     * ring of a few rows is, by construction) */
    d.prefetch = !a->in_ring && (size_t)ih * iw * c * sizeof(int16_t) > Q16DW_PF_MIN_BYTES;
    /* columns whose taps all fall inside the row */
    int ox_lo = (g.pad_left + sw - 1) / sw;
    int ox_hi = iw - kw + g.pad_left >= 0 ? (iw - kw + g.pad_left) / sw + 1 : 0;
    if (ox_hi > ow) ox_hi = ow;
    if (ox_lo > ox_hi) ox_lo = ox_hi;
    const int P = kw / 2;
    const int edges = K && S == 1 && (kw & 1) && P > 0 && g.pad_left == P && g.pad_right == P && ox_lo == P &&
                      ow - ox_hi == P && iw >= kw;
    const int blocks = c / 16, c16 = blocks * 16;
    const size_t nv = q16dw_block_vectors(kh, kw);
    int group = (int)(Q16DW_PREP_BYTES / (nv * sizeof(__m256i)));
    if (group < 1) group = 1;
    _Alignas(32) __m256i prep[Q16DW_PREP_BYTES / sizeof(__m256i)];
    _Alignas(32) __m256i prep_tail[Q16DW_PREP_BYTES / sizeof(__m256i)];
    for (int b0 = 0; b0 < blocks || (b0 == 0 && c16 < c); b0 += group) {
        const int b1 = b0 + group < blocks ? b0 + group : blocks;
        if (b1 > b0) q16dw_prepare(&d, kh, kw, b0, b1, 0, prep);
        /* 8 of the channels past the last multiple of 16: one 8-lane block */
        const int tail8 = b1 == blocks && c - c16 >= 8;
        if (tail8) q16dw_prepare(&d, kh, kw, blocks, blocks + 1, 1, prep_tail);
        for (int oy = a->row_begin; oy < a->row_end; oy++) {
            const int iy0 = oy * sh - g.pad_top;
            const int16_t *rows[Q16DW_MAX_KH];
            for (int ky = 0; ky < kh; ky++)
                rows[ky] = iy0 + ky >= 0 && iy0 + ky < ih ? ops_q16_dw_in_row(a, iy0 + ky) : 0;
            int16_t *orow = a->out_q + (size_t)oy * ow * c;
            if (b1 > b0) q16dw_row(&d, rows, prep, b0, b1, kh, kw, sw, K, 0, edges, ox_lo, ox_hi, orow);
            if (tail8) q16dw_row(&d, rows, prep_tail, blocks, blocks + 1, kh, kw, sw, K, 1, edges, ox_lo, ox_hi, orow);
            if (b1 == blocks && c16 + 8 * tail8 < c)
                for (int ox = 0; ox < ow; ox++) q16dw_tail(a, rows, ox, c16 + 8 * tail8, orow);
        }
    }
}

/* A K x K kernel (3 or 5) at strides 1 and 2 (ops_dw_fixed_kxk; the
 * entry sends other strides to the any-k kernel): its checks and its two
 * bodies. */
Q8_INLINE ops_status q16dw_kxk_fixed(const ops_q16_dwconv_args *a, const int K)
{
    if (!ops_q16_dw_args_ok(a) || !ops_dw_fixed_kxk(&a->g, K)) return OPS_ERR_UNSUPPORTED;
    if (a->g.stride_h == 1) q16dw_body(a, K, 1);
    else q16dw_body(a, K, 2);
    return OPS_OK;
}

#endif /* EFFAD_Q16_DWCONV_AVX2_H */
