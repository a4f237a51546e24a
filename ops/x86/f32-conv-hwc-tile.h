/*
 * f32-conv-hwc-tile.h -- the register tile of the dense convolution (the
 * stem), written once for the AVX2 (f32-conv-hwc-avx2.c) and AVX-512
 * (f32-conv-hwc-avx512.c) kernels. Each names its vector type and
 * operations before including this file:
 *   CV_VEC, CV_MASK          vector and lane-mask types
 *   CV_LANES                 floats per vector
 *   CV_MAX_NP, CV_MAX_NV     the largest tile (pixels, vectors)
 *   CV_LOAD(p), CV_LOADM(p, m), CV_STORE(p, v), CV_STOREM(p, m, v),
 *   CV_BCAST(p) (*p in every lane), CV_ZERO(), CV_FMADD(a, b, c),
 *   CV_ACT(x, act), CV_SWISH_N(v, n) (n swishes in place)
 * Both bindings perform the same IEEE operations lane for lane, so the two
 * tables give the same bits (tests/unit/test-ops-kernels.c holds them to
 * it).
 *
 * np output pixels (sw input columns apart) x nv vectors of output
 * channels from co; the last vector masked by cm if `masked`. The vectors
 * run along out_c (contiguous in HWIO weights): per (tap, in channel) one
 * broadcast input value per pixel times each weight vector, a weight load
 * feeding np FMAs. Each output element is bias then the taps in (ky, kx,
 * ci) order by FMA, the scalar oracle's order whatever the tile, so any
 * split of the rows gives the same output.
 *  - stem3: the geometry is the EfficientNet stem's (3x3 taps, 3 input
 *    channels, dilation 1) as compile-time constants, so the 27 (tap,
 *    channel) steps unroll into straight-line code.
 *  - swish: the activation is SiLU, a constant, run on the accumulators
 *    (CV_SWISH_N) before the stores.
 *  - inner: every tap of every pixel is inside the image (the caller
 *    checked), so the loop has no branch.
 *  - the input's layout is a stride per row, column and channel
 *    (ops_conv_in_steps): HWC, or the caller's CHW image for the stem. With the range tests GCC kept
 *    the AVX2 stem's 12 accumulators on the stack (1740-1780 us for B4's
 *    stem against 1320-1400 without them).
 */
#ifndef EFFAD_F32_CONV_HWC_TILE_H
#define EFFAD_F32_CONV_HWC_TILE_H

static inline __attribute__((always_inline)) void
conv_tile(const int np, const int nv, const int masked, const int stem3, const int swish, const int inner,
          const ops_conv_args *a, int oy, int ox, int co, CV_MASK cm)
{
    ops_conv_geom g = a->g;
    if (stem3) { g.kh = g.kw = 3; g.dil_h = g.dil_w = 1; }
    const int ih = a->in_dims.h, iw = a->in_dims.w, ic = stem3 ? 3 : a->in_dims.c;
    const ops_conv_steps st = ops_conv_in_steps(a);
    const int ow = a->out_dims.w, oc = a->out_dims.c;
    CV_VEC acc[CV_MAX_NP][CV_MAX_NV];   /* [pixel][vector] */
#pragma GCC unroll 6
    for (int v = 0; v < nv; v++) {
        CV_VEC b = CV_ZERO();
        if (a->bias) b = masked && v == nv - 1 ? CV_LOADM(a->bias + co + CV_LANES * v, cm)
                                               : CV_LOAD(a->bias + co + CV_LANES * v);
#pragma GCC unroll 4
        for (int p = 0; p < np; p++) acc[p][v] = b;
    }
#pragma GCC unroll 3
    for (int ky = 0; ky < g.kh; ky++) {
        const int iy = oy * g.stride_h - g.pad_top + ky * g.dil_h;
        if (!inner && (iy < 0 || iy >= ih)) continue;
#pragma GCC unroll 3
        for (int kx = 0; kx < g.kw; kx++) {
            /* Groups of pixels are formed only where every tap of all of
             * them is in range, so checking the first pixel suffices. */
            const int ix = ox * g.stride_w - g.pad_left + kx * g.dil_w;
            if (!inner && (ix < 0 || ix >= iw)) continue;
            const float *p0 = a->in + (size_t)iy * st.row + (size_t)ix * st.col;
            const size_t pstep = (size_t)g.stride_w * st.col;
            const float *wk = a->w + ((size_t)ky * g.kw + kx) * ic * oc + co;
#pragma GCC unroll 3
            for (int ci = 0; ci < ic; ci++, wk += oc) {
                CV_VEC x[CV_MAX_NP];
#pragma GCC unroll 4
                for (int p = 0; p < np; p++) x[p] = CV_BCAST(p0 + (size_t)p * pstep + (size_t)ci * st.chan);
#pragma GCC unroll 6
                for (int v = 0; v < nv; v++) {
                    const CV_VEC w = masked && v == nv - 1 ? CV_LOADM(wk + CV_LANES * v, cm)
                                                           : CV_LOAD(wk + CV_LANES * v);
#pragma GCC unroll 4
                    for (int p = 0; p < np; p++) acc[p][v] = CV_FMADD(x[p], w, acc[p][v]);
                }
            }
        }
    }
    float *o0 = a->out + ((size_t)oy * ow + ox) * oc + co;
#pragma GCC unroll 4
    for (int p = 0; p < np; p++) {
        if (swish) CV_SWISH_N(acc[p], nv);
#pragma GCC unroll 6
        for (int v = 0; v < nv; v++) {
            const CV_VEC y = swish ? acc[p][v] : CV_ACT(acc[p][v], a->act);
            float *op = o0 + (size_t)p * oc + CV_LANES * v;
            if (masked && v == nv - 1) CV_STOREM(op, cm, y);
            else CV_STORE(op, y);
        }
    }
}

#endif /* EFFAD_F32_CONV_HWC_TILE_H */
