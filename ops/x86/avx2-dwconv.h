/*
 * avx2-dwconv.h -- the depthwise convolution body shared by the 3x3, 5x5
 * and any-k AVX2 kernels (each file instantiates it with its constants).
 *
 * Vectorised across channels, 8 a step (HWC keeps them contiguous). Loop
 * order: output row, then 8-channel block, then output column. For one
 * block the tap weights stay in registers across the whole row (9 for 3x3);
 * the input pixels a row block touches (kh rows x iw pixels, one 32-byte
 * half line each) stay in L1 for the next block, which reads the other
 * half of the same cache lines.
 *
 * Interior pixels (every tap inside the image) run the unrolled taps;
 * border pixels run the same taps in the same (ky, kx) order, skipping the
 * padded ones as the scalar oracle does. Which path a pixel takes depends
 * only on its position, so any split of the rows gives identical output.
 */
#ifndef EFFAD_AVX2_DWCONV_H
#define EFFAD_AVX2_DWCONV_H

#include <immintrin.h>
#include "ops.h"
#include "avx2-math.h"

#define DW_LD(p) (masked ? _mm256_maskload_ps((p), cm) : _mm256_loadu_ps(p))

/* One output row oy, channels [cb, cb + 8) (fewer when masked). */
/* The epilogue of one output vector: activation, the channel sum, store.
 * swish is a compile-time flag so the swish path has no switch per vector;
 * other activations go through avx2_act_ps's (predictable) switch. */
#define DW_OUT(acc, o)                                                      \
    do {                                                                    \
        const __m256 y_ = swish ? avx2_swish_ps(acc) : avx2_act_ps((acc), act); \
        csum = _mm256_add_ps(csum, y_);                                     \
        if (masked) _mm256_maskstore_ps((o), cm, y_);                       \
        else _mm256_storeu_ps((o), y_);                                     \
    } while (0)

static inline __attribute__((always_inline)) void
dw_row_block(const ops_dwconv_args *a, const int kh, const int kw, const int sh, const int sw,
             const int masked, const int preload, const int swish, int oy, int cb, __m256i cm,
             int ox_lo, int ox_hi)
{
    const ops_act act = a->act;
    const int ih = a->in_dims.h, iw = a->in_dims.w, c = a->in_dims.c, ow = a->out_dims.w;
    const int iy0 = oy * sh - a->g.pad_top;
    const int ky_lo = iy0 < 0 ? -iy0 : 0;
    const int ky_hi = ih - iy0 < kh ? ih - iy0 : kh;
    const int rows_full = ky_lo == 0 && ky_hi == kh;
    const float *wb = a->w + cb;
    const __m256 zero = _mm256_setzero_ps();
    const __m256 vbias = a->bias ? DW_LD(a->bias + cb) : zero;
    __m256 wr[25];
    if (preload) {
#pragma GCC unroll 25
        for (int t = 0; t < kh * kw; t++) wr[t] = DW_LD(wb + (size_t)t * c);
    }
    float *orow = a->out + (size_t)oy * ow * c + cb;
    __m256 csum = zero;

    /* Four interior pixels at a time give the FMA units four independent
     * chains (one pixel's taps are one dependent chain of kh*kw FMAs) and
     * share each weight load; the activation and the channel sum run on
     * the accumulators before the store, so the output is written once
     * and never read back. */
    for (int ox = 0; ox < ow;) {
        const int ix0 = ox * sw - a->g.pad_left;
        if (rows_full && ox >= ox_lo && ox + 4 <= ox_hi) {
            const float *ip = a->in + ((size_t)iy0 * iw + ix0) * c + cb;
            const size_t px = (size_t)sw * c;
            __m256 acc0 = vbias, acc1 = vbias, acc2 = vbias, acc3 = vbias;
#pragma GCC unroll 5
            for (int ky = 0; ky < kh; ky++) {
#pragma GCC unroll 5
                for (int kx = 0; kx < kw; kx++) {
                    const __m256 w = preload ? wr[ky * kw + kx] : DW_LD(wb + (size_t)(ky * kw + kx) * c);
                    const float *q = ip + ((size_t)ky * iw + kx) * c;
                    acc0 = _mm256_fmadd_ps(DW_LD(q), w, acc0);
                    acc1 = _mm256_fmadd_ps(DW_LD(q + px), w, acc1);
                    acc2 = _mm256_fmadd_ps(DW_LD(q + 2 * px), w, acc2);
                    acc3 = _mm256_fmadd_ps(DW_LD(q + 3 * px), w, acc3);
                }
            }
            float *o = orow + (size_t)ox * c;
            DW_OUT(acc0, o);
            DW_OUT(acc1, o + c);
            DW_OUT(acc2, o + 2 * (size_t)c);
            DW_OUT(acc3, o + 3 * (size_t)c);
            ox += 4;
            continue;
        }
        __m256 acc = vbias;
        if (rows_full && ox >= ox_lo && ox < ox_hi) {
            const float *ip = a->in + ((size_t)iy0 * iw + ix0) * c + cb;
#pragma GCC unroll 5
            for (int ky = 0; ky < kh; ky++) {
#pragma GCC unroll 5
                for (int kx = 0; kx < kw; kx++) {
                    const __m256 w = preload ? wr[ky * kw + kx] : DW_LD(wb + (size_t)(ky * kw + kx) * c);
                    acc = _mm256_fmadd_ps(DW_LD(ip + ((size_t)ky * iw + kx) * c), w, acc);
                }
            }
        } else {
            const int kx_lo = ix0 < 0 ? -ix0 : 0;
            const int kx_hi = iw - ix0 < kw ? iw - ix0 : kw;
            for (int ky = ky_lo; ky < ky_hi; ky++) {
                const float *ip = a->in + ((size_t)(iy0 + ky) * iw + ix0) * c + cb;
                for (int kx = kx_lo; kx < kx_hi; kx++)
                    acc = _mm256_fmadd_ps(DW_LD(ip + (size_t)kx * c),
                                          DW_LD(wb + (size_t)(ky * kw + kx) * c), acc);
            }
        }
        DW_OUT(acc, orow + (size_t)ox * c);
        ox++;
    }

    if (a->chan_sum) {
        float *cs = a->chan_sum + cb;
        const __m256 s = _mm256_add_ps(DW_LD(cs), csum);
        if (masked) _mm256_maskstore_ps(cs, cm, s);
        else _mm256_storeu_ps(cs, s);
    }
}

/* K (kernel side) and S (stride) are constants in the fast paths, 0 for
 * "read it from the geometry". Dilation 1 only; the caller checks. */
static inline __attribute__((always_inline)) void
dwconv_avx2_body(const ops_dwconv_args *a, const int K, const int S)
{
    const ops_conv_geom g = a->g;
    const int kh = K ? K : g.kh, kw = K ? K : g.kw;
    const int sh = S ? S : g.stride_h, sw = S ? S : g.stride_w;
    const int iw = a->in_dims.w, c = a->in_dims.c, ow = a->out_dims.w;
    /* Columns whose taps all fall inside the row: ox*sw - pad_left >= 0 and
     * ox*sw - pad_left + kw <= iw. */
    int ox_lo = (g.pad_left + sw - 1) / sw;
    int ox_hi = iw - kw + g.pad_left >= 0 ? (iw - kw + g.pad_left) / sw + 1 : 0;
    if (ox_hi > ow) ox_hi = ow;
    if (ox_lo > ox_hi) ox_lo = ox_hi;
    const int preload = K == 3;   /* 9 weights fit in registers; 25 do not */
    const __m256i none = _mm256_setzero_si256();
    const __m256i tail = avx2_tail_mask((size_t)(c % 8));

    for (int oy = a->row_begin; oy < a->row_end; oy++) {
        int cb = 0;
        if (a->act.kind == OPS_ACT_SWISH) {
            for (; cb + 8 <= c; cb += 8)
                dw_row_block(a, kh, kw, sh, sw, 0, preload, 1, oy, cb, none, ox_lo, ox_hi);
            if (cb < c) dw_row_block(a, kh, kw, sh, sw, 1, preload, 1, oy, cb, tail, ox_lo, ox_hi);
        } else {
            for (; cb + 8 <= c; cb += 8)
                dw_row_block(a, kh, kw, sh, sw, 0, preload, 0, oy, cb, none, ox_lo, ox_hi);
            if (cb < c) dw_row_block(a, kh, kw, sh, sw, 1, preload, 0, oy, cb, tail, ox_lo, ox_hi);
        }
    }
}

#undef DW_LD
#undef DW_OUT

#endif /* EFFAD_AVX2_DWCONV_H */
