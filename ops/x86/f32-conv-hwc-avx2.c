/*
 * f32-conv-hwc-avx2.c -- dense convolution (groups == 1): the stem, 3x3
 * stride 2 over the 3-channel image.
 *
 * With in_c = 3 there is nothing to vectorise along the reduction, so the
 * vectors run along out_c (contiguous in HWIO weights): per (tap, in
 * channel) one broadcast input value times up to 4 weight vectors (32
 * output channels). Two neighbouring output pixels share every weight load
 * (8 accumulators), which keeps the FMA units, not the load ports, the
 * limit. Each output element is bias then the taps in (ky, kx, ci) order,
 * whichever path computes it: the scalar oracle's order, and independent of
 * how the engine splits rows. Grouped convolutions go to the oracle.
 */
#include <immintrin.h>
#include "kernels-internal.h"
#include "f32-conv-hwc.h"
#include "avx2-math.h"

/* np output pixels (1 or 2, the second sw input columns to the right) x nv
 * vectors of output channels from co; the last vector masked if `masked`. */
/* stem3: the geometry is the EfficientNet stem's (3x3 taps, 3 input
 * channels, dilation 1) as compile-time constants, so the 27 (tap, channel)
 * steps unroll into straight-line code. swish: the activation is SiLU, a
 * constant here so the epilogue is 8 straight-line swishes, not 8 switches. */
static inline __attribute__((always_inline)) void
conv_tile(const int np, const int nv, const int masked, const int stem3, const int swish,
          const ops_conv_args *a,
          int oy, int ox, int co, __m256i cm)
{
    ops_conv_geom g = a->g;
    if (stem3) { g.kh = g.kw = 3; g.dil_h = g.dil_w = 1; }
    const int ih = a->in_dims.h, iw = a->in_dims.w, ic = stem3 ? 3 : a->in_dims.c;
    const int ow = a->out_dims.w, oc = a->out_dims.c;
    __m256 acc0[4], acc1[4];
#pragma GCC unroll 4
    for (int v = 0; v < nv; v++) {
        const int last = masked && v == nv - 1;
        __m256 b = _mm256_setzero_ps();
        if (a->bias) b = last ? _mm256_maskload_ps(a->bias + co + 8 * v, cm)
                              : _mm256_loadu_ps(a->bias + co + 8 * v);
        acc0[v] = b;
        acc1[v] = b;
    }
#pragma GCC unroll 3
    for (int ky = 0; ky < g.kh; ky++) {
        const int iy = oy * g.stride_h - g.pad_top + ky * g.dil_h;
        if (iy < 0 || iy >= ih) continue;
#pragma GCC unroll 3
        for (int kx = 0; kx < g.kw; kx++) {
            /* Pairs are formed only where every tap of both pixels is in
             * range, so checking the first pixel suffices. */
            const int ix = ox * g.stride_w - g.pad_left + kx * g.dil_w;
            if (ix < 0 || ix >= iw) continue;
            const float *p0 = a->in + ((size_t)iy * iw + ix) * ic;
            const float *p1 = p0 + (size_t)g.stride_w * ic;
            const float *wk = a->w + ((size_t)ky * g.kw + kx) * ic * oc + co;
#pragma GCC unroll 3
            for (int ci = 0; ci < ic; ci++, wk += oc) {
                __m256 w[4];
#pragma GCC unroll 4
                for (int v = 0; v < nv; v++)
                    w[v] = masked && v == nv - 1 ? _mm256_maskload_ps(wk + 8 * v, cm)
                                                 : _mm256_loadu_ps(wk + 8 * v);
                const __m256 x0 = _mm256_broadcast_ss(p0 + ci);
#pragma GCC unroll 4
                for (int v = 0; v < nv; v++) acc0[v] = _mm256_fmadd_ps(x0, w[v], acc0[v]);
                if (np == 2) {
                    const __m256 x1 = _mm256_broadcast_ss(p1 + ci);
#pragma GCC unroll 4
                    for (int v = 0; v < nv; v++) acc1[v] = _mm256_fmadd_ps(x1, w[v], acc1[v]);
                }
            }
        }
    }
    float *o0 = a->out + ((size_t)oy * ow + ox) * oc + co;
#pragma GCC unroll 4
    for (int v = 0; v < nv; v++) {
        const int last = masked && v == nv - 1;
        const __m256 y0 = swish ? avx2_swish_ps(acc0[v]) : avx2_act_ps(acc0[v], a->act);
        if (last) _mm256_maskstore_ps(o0 + 8 * v, cm, y0);
        else _mm256_storeu_ps(o0 + 8 * v, y0);
        if (np == 2) {
            const __m256 y1 = swish ? avx2_swish_ps(acc1[v]) : avx2_act_ps(acc1[v], a->act);
            if (last) _mm256_maskstore_ps(o0 + oc + 8 * v, cm, y1);
            else _mm256_storeu_ps(o0 + oc + 8 * v, y1);
        }
    }
}

typedef void (*conv_tile_fn)(const ops_conv_args *a, int oy, int ox, int co, __m256i cm);
#define CONV_DEF(NP, NV, M)                                                        \
    static void conv_tile_##NP##_##NV##_##M(const ops_conv_args *a, int oy, int ox, \
                                            int co, __m256i cm)                    \
    { conv_tile(NP, NV, M, 0, 0, a, oy, ox, co, cm); }
#define CONV_DEF_NP(NP)                                                            \
    CONV_DEF(NP, 1, 0) CONV_DEF(NP, 2, 0) CONV_DEF(NP, 3, 0) CONV_DEF(NP, 4, 0)     \
    CONV_DEF(NP, 1, 1) CONV_DEF(NP, 2, 1) CONV_DEF(NP, 3, 1) CONV_DEF(NP, 4, 1)
CONV_DEF_NP(1)
CONV_DEF_NP(2)
#define CONV_DEF_STEM3(NP, NV, SW)                                                 \
    static void conv_tile_stem3_##NP##_##NV##_##SW(const ops_conv_args *a, int oy,  \
                                                   int ox, int co, __m256i cm)     \
    { conv_tile(NP, NV, 0, 1, SW, a, oy, ox, co, cm); }
#define CONV_DEF_STEM3_NV(NV)                                                      \
    CONV_DEF_STEM3(1, NV, 0) CONV_DEF_STEM3(1, NV, 1) CONV_DEF_STEM3(2, NV, 0) CONV_DEF_STEM3(2, NV, 1)
CONV_DEF_STEM3_NV(1) CONV_DEF_STEM3_NV(2) CONV_DEF_STEM3_NV(3) CONV_DEF_STEM3_NV(4)
/* [np - 1][swish][nv - 1]: whole vectors of output channels only (B4's 48
 * are one tile of 4 vectors and one of 2, both straight-line). */
#define STEM3_ROW(NP, SW)                                                          \
    { conv_tile_stem3_##NP##_1_##SW, conv_tile_stem3_##NP##_2_##SW,                \
      conv_tile_stem3_##NP##_3_##SW, conv_tile_stem3_##NP##_4_##SW }
static const conv_tile_fn conv_tiles_stem3[2][2][4] = {
    { STEM3_ROW(1, 0), STEM3_ROW(1, 1) }, { STEM3_ROW(2, 0), STEM3_ROW(2, 1) },
};
#undef STEM3_ROW
/* [np - 1][masked][nv - 1] */
static const conv_tile_fn conv_tiles[2][2][4] = {
    { { conv_tile_1_1_0, conv_tile_1_2_0, conv_tile_1_3_0, conv_tile_1_4_0 },
      { conv_tile_1_1_1, conv_tile_1_2_1, conv_tile_1_3_1, conv_tile_1_4_1 } },
    { { conv_tile_2_1_0, conv_tile_2_2_0, conv_tile_2_3_0, conv_tile_2_4_0 },
      { conv_tile_2_1_1, conv_tile_2_2_1, conv_tile_2_3_1, conv_tile_2_4_1 } },
};

ops_status f32_conv_hwc_avx2(const ops_conv_args *a)
{
    int ox_lo, ox_hi;
    const ops_status st = conv_hwc_cols(a, &ox_lo, &ox_hi);
    if (st == OPS_ERR_UNSUPPORTED) return f32_conv_hwc_scalar(a);
    if (st) return st;
    const ops_conv_geom g = a->g;
    const int ow = a->out_dims.w, oc = a->out_dims.c;
    const int nfull = oc / 32, rem = oc % 32;
    const int rem_nv = (rem + 7) / 8, rem_masked = rem % 8 != 0;
    const __m256i cm = avx2_tail_mask(rem % 8 ? (size_t)(rem % 8) : 8);

    /* The activation runs on the 8 accumulators before the store (cheaper
     * than storing raw sums and re-reading the row: the exp chains of 8
     * independent vectors overlap). */
    const int stem3 = g.kh == 3 && g.kw == 3 && g.dil_h == 1 && g.dil_w == 1 && a->in_dims.c == 3;

    for (int oy = a->row_begin; oy < a->row_end; oy++) {
        for (int ox = 0; ox < ow;) {
            const int np = ox >= ox_lo && ox + 1 < ox_hi ? 2 : 1;
            const conv_tile_fn *stem = conv_tiles_stem3[np - 1][a->act.kind == OPS_ACT_SWISH];
            const conv_tile_fn full = stem3 ? stem[3] : conv_tiles[np - 1][0][3];
            for (int j = 0; j < nfull; j++) full(a, oy, ox, 32 * j, cm);
            if (rem) (stem3 && !rem_masked ? stem : conv_tiles[np - 1][rem_masked])[rem_nv - 1](a, oy, ox, 32 * nfull, cm);
            ox += np;
        }
    }
    return OPS_OK;
}
