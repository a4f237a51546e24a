/*
 * f32-conv-hwc-avx512.c -- dense convolution (groups == 1) on zmm: the
 * stem, 3x3 stride 2 over the 3-channel image (B0: 32 output channels,
 * B4: 48).
 *
 * As in f32-conv-hwc-avx2.c the vectors run along out_c (contiguous in
 * HWIO weights): per (tap, in channel) one broadcast input value times up
 * to 4 weight vectors (64 output channels). Four neighbouring output
 * pixels share every weight load: 4 x 3 accumulators for B4's 48 channels,
 * 4 x 2 for B0's 32 (the AVX2 kernel pairs pixels; with 32 registers four
 * fit, and each weight load then feeds four FMAs). Each output element is
 * bias then the taps in (ky, kx, ci) order by FMA, the activation of
 * avx512-math.h after -- the AVX2 kernel's operations, so the same bits
 * (tests/unit/test-ops-kernels.c holds them to it). Swish runs on the
 * accumulators in locksteps of four (avx512_swish_n) before the stores.
 * Grouped convolutions go to the oracle.
 *
 * Measured (bench-kernels isa: the two tables alternately, bands of two
 * output rows as the engine calls it, minimum of rounds): B0 224x224x3 ->
 * 112x112x32 + swish 337 -> 186 us (0.55), B4 380x380x3 -> 190x190x48 +
 * swish 1809 -> 664 us (0.37, against the AVX2 kernel of that day). Pairs
 * of pixels: 0.76 and 0.49.
 */
#include <immintrin.h>
#include "kernels-internal.h"
#include "f32-conv-hwc.h"
#include "avx512-math.h"

/* np output pixels (1 or 4, sw input columns apart) x nv vectors of
 * output channels from co; the last vector masked by cm if `masked`.
 * stem3: the geometry is the EfficientNet stem's (3x3 taps, 3 input
 * channels, dilation 1) as compile-time constants, so the 27 (tap,
 * channel) steps unroll into straight-line code. swish: the activation is
 * SiLU (constant, so the epilogue has no switch). */
static inline __attribute__((always_inline)) void
conv_tile(const int np, const int nv, const int masked, const int stem3, const int swish,
          const ops_conv_args *a, int oy, int ox, int co, __mmask16 cm)
{
    ops_conv_geom g = a->g;
    if (stem3) { g.kh = g.kw = 3; g.dil_h = g.dil_w = 1; }
    const int ih = a->in_dims.h, iw = a->in_dims.w, ic = stem3 ? 3 : a->in_dims.c;
    const int ow = a->out_dims.w, oc = a->out_dims.c;
    __m512 acc[4][4];   /* [pixel][vector] */
#pragma GCC unroll 4
    for (int v = 0; v < nv; v++) {
        const __mmask16 m = masked && v == nv - 1 ? cm : (__mmask16)0xffff;
        const __m512 b = a->bias ? _mm512_maskz_loadu_ps(m, a->bias + co + 16 * v) : _mm512_setzero_ps();
#pragma GCC unroll 4
        for (int p = 0; p < np; p++) acc[p][v] = b;
    }
#pragma GCC unroll 3
    for (int ky = 0; ky < g.kh; ky++) {
        const int iy = oy * g.stride_h - g.pad_top + ky * g.dil_h;
        if (iy < 0 || iy >= ih) continue;
#pragma GCC unroll 3
        for (int kx = 0; kx < g.kw; kx++) {
            /* Groups of pixels are formed only where every tap of all of
             * them is in range, so checking the first pixel suffices. */
            const int ix = ox * g.stride_w - g.pad_left + kx * g.dil_w;
            if (ix < 0 || ix >= iw) continue;
            const float *p0 = a->in + ((size_t)iy * iw + ix) * ic;
            const size_t pstep = (size_t)g.stride_w * ic;
            const float *wk = a->w + ((size_t)ky * g.kw + kx) * ic * oc + co;
#pragma GCC unroll 3
            for (int ci = 0; ci < ic; ci++, wk += oc) {
                __m512 w[4];
#pragma GCC unroll 4
                for (int v = 0; v < nv; v++)
                    w[v] = masked && v == nv - 1 ? _mm512_maskz_loadu_ps(cm, wk + 16 * v) : _mm512_loadu_ps(wk + 16 * v);
#pragma GCC unroll 4
                for (int p = 0; p < np; p++) {
                    const __m512 x = _mm512_set1_ps(p0[(size_t)p * pstep + ci]);
#pragma GCC unroll 4
                    for (int v = 0; v < nv; v++) acc[p][v] = _mm512_fmadd_ps(x, w[v], acc[p][v]);
                }
            }
        }
    }
    float *o0 = a->out + ((size_t)oy * ow + ox) * oc + co;
#pragma GCC unroll 4
    for (int p = 0; p < np; p++) {
        if (swish) avx512_swish_n(acc[p], nv);
#pragma GCC unroll 4
        for (int v = 0; v < nv; v++) {
            const __m512 y = swish ? acc[p][v] : avx512_act_ps(acc[p][v], a->act);
            if (masked && v == nv - 1) _mm512_mask_storeu_ps(o0 + (size_t)p * oc + 16 * v, cm, y);
            else _mm512_storeu_ps(o0 + (size_t)p * oc + 16 * v, y);
        }
    }
}

typedef void (*conv_tile_fn)(const ops_conv_args *a, int oy, int ox, int co, __mmask16 cm);
#define CONV_DEF(NP, NV, M, S3, SW)                                                            \
    static void conv_tile_##NP##_##NV##_##M##_##S3##_##SW(const ops_conv_args *a, int oy, int ox, \
                                                          int co, __mmask16 cm)                  \
    { conv_tile(NP, NV, M, S3, SW, a, oy, ox, co, cm); }
#define CONV_DEF_NV(NP, M, S3, SW) \
    CONV_DEF(NP, 1, M, S3, SW) CONV_DEF(NP, 2, M, S3, SW) CONV_DEF(NP, 3, M, S3, SW) CONV_DEF(NP, 4, M, S3, SW)
#define CONV_ROW(NP, M, S3, SW) \
    { conv_tile_##NP##_1_##M##_##S3##_##SW, conv_tile_##NP##_2_##M##_##S3##_##SW, \
      conv_tile_##NP##_3_##M##_##S3##_##SW, conv_tile_##NP##_4_##M##_##S3##_##SW }
/* generic: any geometry and activation, masked or not */
CONV_DEF_NV(1, 0, 0, 0) CONV_DEF_NV(1, 1, 0, 0) CONV_DEF_NV(4, 0, 0, 0) CONV_DEF_NV(4, 1, 0, 0)
/* the stem: unmasked, swish or any other activation */
CONV_DEF_NV(1, 0, 1, 0) CONV_DEF_NV(1, 0, 1, 1) CONV_DEF_NV(4, 0, 1, 0) CONV_DEF_NV(4, 0, 1, 1)
/* [np == 4][masked][nv - 1] */
static const conv_tile_fn conv_tiles[2][2][4] = {
    { CONV_ROW(1, 0, 0, 0), CONV_ROW(1, 1, 0, 0) },
    { CONV_ROW(4, 0, 0, 0), CONV_ROW(4, 1, 0, 0) },
};
/* [np == 4][swish][nv - 1] */
static const conv_tile_fn conv_tiles_stem3[2][2][4] = {
    { CONV_ROW(1, 0, 1, 0), CONV_ROW(1, 0, 1, 1) },
    { CONV_ROW(4, 0, 1, 0), CONV_ROW(4, 0, 1, 1) },
};

ops_status f32_conv_hwc_avx512(const ops_conv_args *a)
{
    int ox_lo, ox_hi;
    const ops_status st = conv_hwc_cols(a, &ox_lo, &ox_hi);
    if (st == OPS_ERR_UNSUPPORTED) return f32_conv_hwc_scalar(a);
    if (st) return st;
    const ops_conv_geom g = a->g;
    const int ow = a->out_dims.w, oc = a->out_dims.c;
    /* 64 channels a chunk; the last one has rem_nv vectors, its last one
     * masked unless rem is a multiple of 16 */
    const int nfull = oc / 64, rem = oc % 64;
    const int rem_nv = (rem + 15) / 16, rem_masked = rem % 16 != 0;
    const __mmask16 cm = avx512_tail_mask(rem % 16 ? (size_t)(rem % 16) : 16);
    const int stem3 = g.kh == 3 && g.kw == 3 && g.dil_h == 1 && g.dil_w == 1 && a->in_dims.c == 3;
    const int swish = a->act.kind == OPS_ACT_SWISH;

    for (int oy = a->row_begin; oy < a->row_end; oy++) {
        for (int ox = 0; ox < ow;) {
            const int quad = ox >= ox_lo && ox + 3 < ox_hi;
            for (int j = 0; j < nfull; j++)
                (stem3 ? conv_tiles_stem3[quad][swish][3] : conv_tiles[quad][0][3])(a, oy, ox, 64 * j, cm);
            if (rem) {
                const conv_tile_fn f = stem3 && !rem_masked ? conv_tiles_stem3[quad][swish][rem_nv - 1]
                                                            : conv_tiles[quad][rem_masked][rem_nv - 1];
                f(a, oy, ox, 64 * nfull, cm);
            }
            ox += quad ? 4 : 1;
        }
    }
    return OPS_OK;
}
