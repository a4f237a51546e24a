/*
 * q16-dwconv-avx512.h -- the 16x8 depthwise convolution (ops/q16.h) body
 * shared by the 3x3, 5x5 and any-k AVX-512 kernels, with and without
 * VNNI (each file instantiates it), 32 channels a step. It is the int8
 * body (q8-dwconv-avx512.h) with int16 maps; what is argued there (pairs
 * of kernel rows interleaved into vpmaddwd / vpdpwssd, tiles of 8, 4, 1
 * outputs sharing the loaded columns, borders as per-row choices and
 * compile-time column ranges, stride-1 "same" edges as tiles, channel
 * tails as one more block under an opmask) holds here and is not repeated.
 * What differs:
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
/* Per 32-channel block: 2 vectors per (row pair, kernel column), then the
 * epilogue's mult and bias, each as the two unpack-order halves. */
#define Q16DWZ_FACTORS 4
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

Q16_AVX512_INLINE size_t q16dwz_block_vectors(int kh, int kw)
{
    return (size_t)((kh + 1) / 2) * (size_t)kw * 2 + Q16DWZ_FACTORS;
}

/* 32 bytes at p, those outside mask zero (tail: a masked load). */
Q16_AVX512_INLINE __m256i q16dwz_load32(const void *p, const int tail, __mmask32 mask)
{
    return tail ? _mm256_maskz_loadu_epi8(mask, p) : _mm256_loadu_si256((const __m256i *)p);
}

/* Pair blocks [b0, b1): weights and factors into prep (see the top). */
static inline void q16dwz_prepare(const q16dwz *d, int kh, int kw, int b0, int b1, const int tail, __m512i *prep)
{
    const ops_q16_dwconv_args *a = d->a;
    const size_t c = d->c, nv = q16dwz_block_vectors(kh, kw);
    const __mmask32 m = d->tail;
    const __mmask16 m0 = tail ? (__mmask16)m : 0xffff, m1 = tail ? (__mmask16)(m >> 16) : 0xffff;
    /* channels 0-3, 8-11, 16-19, 24-27 and 4-7, 12-15, 20-23, 28-31 of the
     * pair (first 16, next 16) */
    const __m512i lo = _mm512_setr_epi32(0, 1, 2, 3, 8, 9, 10, 11, 16, 17, 18, 19, 24, 25, 26, 27);
    const __m512i hi = _mm512_add_epi32(lo, _mm512_set1_epi32(4));
    for (int b = b0; b < b1; b++) {
        const size_t cb = (size_t)b * 32;
        __m512i *p = prep + (size_t)(b - b0) * nv;
        for (int ky = 0; ky < kh; ky += 2)
            for (int kx = 0; kx < kw; kx++, p += 2) {
                const __m512i wa = _mm512_cvtepi8_epi16(q16dwz_load32(a->w + ((size_t)ky * kw + kx) * c + cb, tail, m));
                const __m512i wb = ky + 1 < kh
                                       ? _mm512_cvtepi8_epi16(q16dwz_load32(a->w + ((size_t)(ky + 1) * kw + kx) * c + cb, tail, m))
                                       : _mm512_setzero_si512();
                p[0] = _mm512_unpacklo_epi16(wa, wb);
                p[1] = _mm512_unpackhi_epi16(wa, wb);
            }
        const __m512 ma = _mm512_maskz_loadu_ps(m0, a->out.mult + cb), mb = _mm512_maskz_loadu_ps(m1, a->out.mult + cb + 16);
        __m512 ba = _mm512_setzero_ps(), bb = ba;
        if (a->out.bias) {
            ba = _mm512_maskz_loadu_ps(m0, a->out.bias + cb);
            bb = _mm512_maskz_loadu_ps(m1, a->out.bias + cb + 16);
        }
        p[0] = _mm512_castps_si512(_mm512_permutex2var_ps(ma, lo, mb));
        p[1] = _mm512_castps_si512(_mm512_permutex2var_ps(ma, hi, mb));
        p[2] = _mm512_castps_si512(_mm512_permutex2var_ps(ba, lo, bb));
        p[3] = _mm512_castps_si512(_mm512_permutex2var_ps(ba, hi, bb));
    }
}

/* 32 int16 at p (past a tail: zeros, whose outputs are never stored). */
Q16_AVX512_INLINE __m512i q16dwz_x32(const q16dwz *d, const int16_t *p, const int tail)
{
    return tail ? _mm512_maskz_loadu_epi16(d->tail, p) : _mm512_loadu_si512(p);
}

/* acc + the pairs of v times those of w: exact (see the top). */
Q16_AVX512_INLINE __m512i q16dwz_madd(__m512i acc, __m512i v, const __m512i *w)
{
#ifdef __AVX512VNNI__
    return _mm512_dpwssd_epi32(acc, v, _mm512_load_si512(w));
#else
    return _mm512_add_epi32(acc, _mm512_madd_epi16(v, _mm512_load_si512(w)));
#endif
}

/* One row pair over the tile's input columns [col_lo, col_hi): which = 1
 * row a only, 2 row b only, 3 both (q8dw_cols of the AVX2 body). */
Q16_AVX512_INLINE void q16dwz_cols(const q16dwz *d, const int16_t *pa, const int16_t *pb, const int which, int ix0, size_t cb,
                                 const __m512i *wg, const int kw, const int sw, const int N, const int col_lo,
                                 const int col_hi, const int tail, __m512i *lo, __m512i *hi)
{
    const size_t c = d->c;
    const __m512i zero = _mm512_setzero_si512();
#pragma GCC unroll 24
    for (int col = col_lo; col < col_hi; col++) {
        const size_t at = (size_t)(ix0 + col) * c + cb;
        const __m512i xa = which & 1 ? q16dwz_x32(d, pa + at, tail) : zero;
        const __m512i xb = which & 2 ? q16dwz_x32(d, pb + at, tail) : zero;
        const __m512i vl = _mm512_unpacklo_epi16(xa, xb), vh = _mm512_unpackhi_epi16(xa, xb);
        if (N == 1) {
            lo[0] = q16dwz_madd(lo[0], vl, wg + 2 * col);
            hi[0] = q16dwz_madd(hi[0], vh, wg + 2 * col + 1);
            continue;
        }
#pragma GCC unroll 8
        for (int kx = 0; kx < kw; kx++) {
            const int dd = col - kx;
            if (dd >= 0 && dd % sw == 0 && dd / sw < N) {
                lo[dd / sw] = q16dwz_madd(lo[dd / sw], vl, wg + 2 * kx);
                hi[dd / sw] = q16dwz_madd(hi[dd / sw], vh, wg + 2 * kx + 1);
            }
        }
    }
}

/* ops_q16_finish up to the narrowing, 16 lanes (int32 in int16 range). */
Q16_AVX512_INLINE __m512i q16dwz_finish(const q16dwz *d, __m512i acc, __m512 m, __m512 b)
{
    __m512 x = _mm512_fmadd_ps(_mm512_cvtepi32_ps(acc), m, b);
    x = d->swish ? q8_avx512_swish(x) : q8_avx512_act(x, d->a->out.act);
    return q16_avx512_quantize(x, &d->q);
}


/* N outputs (columns ox..ox+N-1 of one row) of one pair block: the
 * window starts at input column ix0; its columns [col_lo, col_hi) are
 * inside the row; rows[ky] is NULL for kernel rows outside the image. */
Q16_AVX512_INLINE void q16dwz_tile(const q16dwz *d, const int16_t *const *rows, int ix0, size_t cb, const __m512i *wb,
                                 const int kh, const int kw, const int sw, const int N, const int col_lo,
                                 const int col_hi, const int tail, int16_t *o, int32_t *cs)
{
    __m512i lo[Q16DWZ_N], hi[Q16DWZ_N];
#pragma GCC unroll 8
    for (int j = 0; j < N; j++) lo[j] = hi[j] = _mm512_setzero_si512();
#pragma GCC unroll 8
    for (int ky = 0; ky < kh; ky += 2) {
        const int16_t *pa = rows[ky], *pb = ky + 1 < kh ? rows[ky + 1] : 0;
        const __m512i *wg = wb + (size_t)ky * kw;   /* (ky / 2) * kw * 2 vectors */
        if (pa && pb) q16dwz_cols(d, pa, pb, 3, ix0, cb, wg, kw, sw, N, col_lo, col_hi, tail, lo, hi);
        else if (pa) q16dwz_cols(d, pa, pb, 1, ix0, cb, wg, kw, sw, N, col_lo, col_hi, tail, lo, hi);
        else if (pb) q16dwz_cols(d, pa, pb, 2, ix0, cb, wg, kw, sw, N, col_lo, col_hi, tail, lo, hi);
    }
    const __m512i *f = wb + q16dwz_block_vectors(kh, kw) - Q16DWZ_FACTORS;
    const __m512 ml = _mm512_castsi512_ps(f[0]), mh = _mm512_castsi512_ps(f[1]);
    const __m512 bl = _mm512_castsi512_ps(f[2]), bh = _mm512_castsi512_ps(f[3]);
    const size_t c = d->c;
    __m512i sl = _mm512_setzero_si512(), sh = sl;   /* output sums, unpack order */
#pragma GCC unroll 8
    for (int j = 0; j < N; j++) {
        const __m512i xl = q16dwz_finish(d, lo[j], ml, bl), xh = q16dwz_finish(d, hi[j], mh, bh);
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

/* Tiles of N outputs with every column inside the row, from *oxp while
 * they fit before ox_hi, blocks [b0, b1). */
Q16_AVX512_INLINE void q16dwz_tiles(const q16dwz *d, const int16_t *const *rows, const __m512i *prep, int b0, int b1,
                                  const int kh, const int kw, const int sw, const int N, const int tail, int *oxp,
                                  int16_t *orow)
{
    const ops_q16_dwconv_args *a = d->a;
    const size_t c = d->c, nv = q16dwz_block_vectors(kh, kw);
    int ox = *oxp;
    for (; ox + N <= d->ox_hi; ox += N)
        for (int b = b0; b < b1; b++) {
            const size_t cb = (size_t)b * 32;
            q16dwz_tile(d, rows, ox * sw - a->g.pad_left, cb, prep + (size_t)(b - b0) * nv, kh, kw, sw, N, 0,
                       (N - 1) * sw + kw, tail, orow + (size_t)ox * c + cb, a->chan_sum ? a->chan_sum + cb : 0);
        }
    *oxp = ox;
}

/* One output at column ox whose window may cross either edge. */
static inline void q16dwz_border(const q16dwz *d, const int16_t *const *rows, const __m512i *prep, int b0, int b1, int kh,
                                int kw, int sw, int ox, const int tail, int16_t *orow)
{
    const ops_q16_dwconv_args *a = d->a;
    const size_t c = d->c, nv = q16dwz_block_vectors(kh, kw);
    const int iw = a->in_dims.w, ix0 = ox * sw - a->g.pad_left;
    int kx_lo = ix0 < 0 ? -ix0 : 0, kx_hi = iw - ix0 < kw ? iw - ix0 : kw;
    if (kx_lo >= kx_hi) kx_lo = kx_hi = 0;   /* every tap is padding: the bias alone */
    for (int b = b0; b < b1; b++) {
        const size_t cb = (size_t)b * 32;
        q16dwz_tile(d, rows, ix0, cb, prep + (size_t)(b - b0) * nv, kh, kw, sw, 1, kx_lo, kx_hi, tail,
                   orow + (size_t)ox * c + cb, a->chan_sum ? a->chan_sum + cb : 0);
    }
}

/* The first (right = 0) or last kw/2 outputs of a stride-1 row with
 * "same" padding as one tile (q8dw_edge of the AVX2 body). */
Q16_AVX512_INLINE void q16dwz_edge(const q16dwz *d, const int16_t *const *rows, const __m512i *prep, int b0, int b1,
                                 const int kh, const int kw, const int right, const int tail, int ox, int16_t *orow)
{
    const ops_q16_dwconv_args *a = d->a;
    const int P = kw / 2, span = (P - 1) + kw;
    const size_t c = d->c, nv = q16dwz_block_vectors(kh, kw);
    for (int b = b0; b < b1; b++) {
        const size_t cb = (size_t)b * 32;
        q16dwz_tile(d, rows, ox - P, cb, prep + (size_t)(b - b0) * nv, kh, kw, 1, P, right ? 0 : P, right ? span - P : span,
                   tail, orow + (size_t)ox * c + cb, a->chan_sum ? a->chan_sum + cb : 0);
    }
}

/* One output row, blocks [b0, b1) (tail: the one masked block):
 * stride-1 "same" edges as tiles, other borders one output at a time, the
 * interior in tiles of 8, then 4, then singles. */
Q16_AVX512_INLINE void q16dwz_row(const q16dwz *d, const int16_t *const *rows, const __m512i *prep, int b0, int b1,
                                const int kh, const int kw, const int sw, const int K, const int tail, int16_t *orow)
{
    const int ow = d->a->out_dims.w, P = kw / 2;
    int ox = 0;
    if (d->edges) {
        q16dwz_edge(d, rows, prep, b0, b1, kh, kw, 0, tail, 0, orow);
        ox = P;
    }
    for (; ox < d->ox_lo; ox++) q16dwz_border(d, rows, prep, b0, b1, kh, kw, sw, ox, tail, orow);
    if (K) {
        q16dwz_tiles(d, rows, prep, b0, b1, kh, kw, sw, Q16DWZ_N, tail, &ox, orow);
        q16dwz_tiles(d, rows, prep, b0, b1, kh, kw, sw, 4, tail, &ox, orow);
    }
    q16dwz_tiles(d, rows, prep, b0, b1, kh, kw, sw, 1, tail, &ox, orow);
    if (d->edges) {
        q16dwz_edge(d, rows, prep, b0, b1, kh, kw, 1, tail, ox, orow);
        ox = ow;
    }
    for (; ox < ow; ox++) q16dwz_border(d, rows, prep, b0, b1, kh, kw, sw, ox, tail, orow);
}

/* The whole kernel. K (kernel side) and S (stride) are constants in the
 * fast paths, 0 for "read them from the geometry" (any kh x kw, dilation
 * 1; the caller checks). */
Q16_AVX512_INLINE void q16dwz_body(const ops_q16_dwconv_args *a, const int K, const int S)
{
    const ops_conv_geom g = a->g;
    const int kh = K ? K : g.kh, kw = K ? K : g.kw;
    const int sh = S ? S : g.stride_h, sw = S ? S : g.stride_w;
    const int ih = a->in_dims.h, iw = a->in_dims.w, c = a->in_dims.c, ow = a->out_dims.w;
    q16dwz d;
    d.a = a;
    d.c = (size_t)c;
    d.q = q16_avx512_out_of(a->out.inv_scale);
    d.tail = (__mmask32)((1ull << (c % 32)) - 1);
    d.swish = a->out.act.kind == OPS_ACT_SWISH;
    /* columns whose taps all fall inside the row */
    d.ox_lo = (g.pad_left + sw - 1) / sw;
    d.ox_hi = iw - kw + g.pad_left >= 0 ? (iw - kw + g.pad_left) / sw + 1 : 0;
    if (d.ox_hi > ow) d.ox_hi = ow;
    if (d.ox_lo > d.ox_hi) d.ox_lo = d.ox_hi;
    const int P = kw / 2;
    d.edges = K && S == 1 && (kw & 1) && P > 0 && g.pad_left == P && g.pad_right == P && d.ox_lo == P &&
              ow - d.ox_hi == P && iw >= kw;
    const int blocks = c / 32, tail = c % 32 != 0;
    const size_t nv = q16dwz_block_vectors(kh, kw);
    int group = (int)(Q16DWZ_PREP_BYTES / (nv * sizeof(__m512i)));
    if (group < 1) group = 1;
    /* the caller keeps nv * 64 within Q16DWZ_PREP_BYTES */
    _Alignas(64) __m512i prep[Q16DWZ_PREP_BYTES / sizeof(__m512i)];
    _Alignas(64) __m512i prep_tail[Q16DWZ_PREP_BYTES / sizeof(__m512i)];
    for (int b0 = 0; b0 < blocks || (b0 == 0 && tail); b0 += group) {
        const int b1 = b0 + group < blocks ? b0 + group : blocks;
        const int last = b1 == blocks && tail;
        if (b1 > b0) q16dwz_prepare(&d, kh, kw, b0, b1, 0, prep);
        if (last) q16dwz_prepare(&d, kh, kw, blocks, blocks + 1, 1, prep_tail);
        for (int oy = a->row_begin; oy < a->row_end; oy++) {
            const int iy0 = oy * sh - g.pad_top;
            const int16_t *rows[Q16DWZ_MAX_KH];
            for (int ky = 0; ky < kh; ky++)
                rows[ky] = iy0 + ky >= 0 && iy0 + ky < ih ? ops_q16_dw_in_row(a, iy0 + ky) : 0;
            int16_t *orow = a->out_q + (size_t)oy * ow * d.c;
            if (b1 > b0) q16dwz_row(&d, rows, prep, b0, b1, kh, kw, sw, K, 0, orow);
            if (last) q16dwz_row(&d, rows, prep_tail, blocks, blocks + 1, kh, kw, sw, K, 1, orow);
        }
    }
}

/* A K x K kernel (3 or 5) at strides 1 and 2 (ops_dw_fixed_kxk; the
 * entry sends other strides to the any-k kernel): its checks and its two
 * bodies. */
Q16_AVX512_INLINE ops_status q16dwz_kxk_fixed(const ops_q16_dwconv_args *a, const int K)
{
    if (!ops_dw_fixed_kxk(&a->g, K)) return OPS_ERR_UNSUPPORTED;
    if (a->g.stride_h == 1) q16dwz_body(a, K, 1);
    else q16dwz_body(a, K, 2);
    return OPS_OK;
}

/* The checks of a table's 16x8 depthwise entry and its choice of kernel
 * from the shape (the only place that branches on it); k3, k5 and kxk are
 * that table's kernels. */
static inline ops_status q16dwz_entry(const ops_q16_dwconv_args *a, ops_status (*k3)(const ops_q16_dwconv_args *),
                                     ops_status (*k5)(const ops_q16_dwconv_args *),
                                     ops_status (*kxk)(const ops_q16_dwconv_args *))
{
    if (!ops_q16_dw_args_ok(a)) return OPS_ERR_ARG;
    const ops_conv_geom g = a->g;
    if (a->in_dims.c < 1 || g.dil_h != 1 || g.dil_w != 1 || g.kh < 1 || g.kw < 1 || g.stride_h < 1 ||
        g.stride_w < 1 || g.pad_top < 0 || g.pad_left < 0 || g.kh > Q16DWZ_MAX_KH || g.kh * g.kw > 225 ||
        q16dwz_block_vectors(g.kh, g.kw) * sizeof(__m512i) > Q16DWZ_PREP_BYTES)
        return q16_dwconv_hwc_scalar(a);   /* dilated, degenerate or past the int32 bound: the reference */
    if (ops_dw_fixed_kxk(&g, 3)) return k3(a);
    if (ops_dw_fixed_kxk(&g, 5)) return k5(a);
    return kxk(a);
}

#endif /* EFFAD_Q16_DWCONV_AVX512_H */
