/*
 * f32-conv-hwc-avx2.c -- dense convolution (groups == 1): the stem, 3x3
 * stride 2 over the 3-channel image.
 *
 * With in_c = 3 there is nothing to vectorise along the reduction, so the
 * vectors run along out_c (contiguous in HWIO weights): per (tap, in
 * channel) one broadcast input value per pixel times the weight vectors.
 * The stem's tiles take 12 accumulators: three neighbouring output pixels
 * x 4 vectors (B0's 32 channels) or two x 6 (B4's 48), so each weight
 * load feeds two or three FMAs and the FMA units, not the load ports, are
 * the limit. Each output element is bias then the taps in (ky, kx, ci)
 * order, whichever path computes it: the scalar oracle's order, and
 * independent of how the engine splits rows. Grouped convolutions go to
 * the oracle; other dense convolutions pair pixels over up to 4 vectors.
 *
 * Measured (bench-kernels isa, bands of two output rows as the engine
 * calls it, minimum of rounds, shared Zen 5): B0 224x224x3 -> 112x112x32 +
 * swish 299 -> 276-281 us, B4 380x380x3 -> 190x190x48 + swish 1510 ->
 * 1320-1400 us (pairs of pixels, B4's 48 channels as tiles of 4 vectors
 * and of 2). The first attempt at 2 x 6 kept the range tests of every tap
 * in the loop and ran at 1740-1780 us: GCC left the 12 accumulators on
 * the stack; groups of pixels now run only on rows whose three kernel rows
 * are inside the image, with the tests compiled out.
 *
 * The stem reads the caller's CHW image where it lies (ops_conv_args
 * in_plane) instead of an HWC copy made first. Measured (2026-12-05,
 * `effad bench --layers --isa avx2`, one thread pinned, shared Zen 5):
 * B0 int8 --fast, stem 0.341 + copy 0.050 -> 0.354 ms (the pass 6.33-6.47
 * -> 6.32-6.36 ms, four alternated pairs), B4 float32 1.375 + 0.174 ->
 * 1.429 ms; int8 B0's arena 2.05 -> 1.64 MB.
 */
#include <immintrin.h>
#include "kernels-internal.h"
#include "f32-conv-hwc.h"
#include "avx2-math.h"

#define CV_VEC __m256
#define CV_MASK __m256i
#define CV_LANES 8
#define CV_MAX_NP 3   /* np * nv <= 12: the accumulators, np broadcasts */
#define CV_MAX_NV 6   /* and one weight vector fit the 16 ymm registers */
#define CV_LOAD(p) _mm256_loadu_ps(p)
#define CV_LOADM(p, m) _mm256_maskload_ps((p), (m))
#define CV_STORE(p, v) _mm256_storeu_ps((p), (v))
#define CV_STOREM(p, m, v) _mm256_maskstore_ps((p), (m), (v))
#define CV_BCAST(p) _mm256_broadcast_ss(p)
#define CV_ZERO() _mm256_setzero_ps()
#define CV_FMADD(a, b, c) _mm256_fmadd_ps((a), (b), (c))
#define CV_ACT(x, act) avx2_act_ps((x), (act))
#define CV_SWISH_N(v, n) avx2_swish_pairs((v), (n))
#include "f32-conv-hwc-tile.h"

typedef void (*conv_tile_fn)(const ops_conv_args *a, int oy, int ox, int co, __m256i cm);
#define CONV_DEF(NP, NV, M)                                                        \
    static void conv_tile_##NP##_##NV##_##M(const ops_conv_args *a, int oy, int ox, \
                                            int co, __m256i cm)                    \
    { conv_tile(NP, NV, M, 0, 0, 0, a, oy, ox, co, cm); }
#define CONV_DEF_NP(NP)                                                            \
    CONV_DEF(NP, 1, 0) CONV_DEF(NP, 2, 0) CONV_DEF(NP, 3, 0) CONV_DEF(NP, 4, 0)     \
    CONV_DEF(NP, 1, 1) CONV_DEF(NP, 2, 1) CONV_DEF(NP, 3, 1) CONV_DEF(NP, 4, 1)
CONV_DEF_NP(1)
CONV_DEF_NP(2)
#define CONV_DEF_STEM3(NP, NV, SW)                                                 \
    static void conv_tile_stem3_##NP##_##NV##_##SW(const ops_conv_args *a, int oy,  \
                                                   int ox, int co, __m256i cm)     \
    { conv_tile(NP, NV, 0, 1, SW, NP > 1, a, oy, ox, co, cm); }
#define CONV_DEF_STEM3_NV(NP, NV) CONV_DEF_STEM3(NP, NV, 0) CONV_DEF_STEM3(NP, NV, 1)
CONV_DEF_STEM3_NV(1, 1) CONV_DEF_STEM3_NV(1, 2) CONV_DEF_STEM3_NV(1, 3)
CONV_DEF_STEM3_NV(1, 4) CONV_DEF_STEM3_NV(1, 6)
CONV_DEF_STEM3_NV(3, 1) CONV_DEF_STEM3_NV(3, 2) CONV_DEF_STEM3_NV(3, 3)
CONV_DEF_STEM3_NV(3, 4) CONV_DEF_STEM3_NV(2, 6)
/* [several pixels][swish][nv - 1], whole vectors of output channels only:
 * three pixels for up to 4 vectors (B0's 32 channels: 12 accumulators),
 * two for 6 (B4's 48 in one tile; 5 vectors are never chosen). Measured
 * against pairs of pixels x 4 vectors, B4's 48 channels as a tile of 4 and
 * one of 2 (bench-kernels isa, alternating builds): see the file top. */
#define STEM3_ROW(NP, NP6, SW)                                                     \
    { conv_tile_stem3_##NP##_1_##SW, conv_tile_stem3_##NP##_2_##SW,                \
      conv_tile_stem3_##NP##_3_##SW, conv_tile_stem3_##NP##_4_##SW, 0,             \
      conv_tile_stem3_##NP6##_6_##SW }
static const conv_tile_fn conv_tiles_stem3[2][2][6] = {
    { STEM3_ROW(1, 1, 0), STEM3_ROW(1, 1, 1) }, { STEM3_ROW(3, 2, 0), STEM3_ROW(3, 2, 1) },
};
#undef STEM3_ROW
/* [np - 1][masked][nv - 1] */
static const conv_tile_fn conv_tiles[2][2][4] = {
    { { conv_tile_1_1_0, conv_tile_1_2_0, conv_tile_1_3_0, conv_tile_1_4_0 },
      { conv_tile_1_1_1, conv_tile_1_2_1, conv_tile_1_3_1, conv_tile_1_4_1 } },
    { { conv_tile_2_1_0, conv_tile_2_2_0, conv_tile_2_3_0, conv_tile_2_4_0 },
      { conv_tile_2_1_1, conv_tile_2_2_1, conv_tile_2_3_1, conv_tile_2_4_1 } },
};

/* The stem's output columns from ox on a row whose kernel rows are all
 * inside the image: a group (3 pixels, or 2 with 6 vectors:
 * conv_tiles_stem3) where every tap of all of them is inside the row,
 * else one. */
static int stem_pixels(int ox, int ox_lo, int ox_hi, int nv)
{
    const int np = nv > 4 ? 2 : 3;
    return ox >= ox_lo && ox + np - 1 < ox_hi ? np : 1;
}

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

    const int stem3 = g.kh == 3 && g.kw == 3 && g.dil_h == 1 && g.dil_w == 1 && a->in_dims.c == 3;
    const int swish = a->act.kind == OPS_ACT_SWISH;
    if (stem3 && oc % 8 == 0) {
        /* Tiles of 48 channels where they divide oc (B4), else of 32 (B0)
         * and the rest, under 4 vectors, in the same column groups. */
        const int nv = oc % 48 == 0 ? 6 : 4;
        const int nchunk = oc / (8 * nv), rest_nv = oc % (8 * nv) / 8;
        for (int oy = a->row_begin; oy < a->row_end; oy++) {
            const int iy0 = oy * g.stride_h - g.pad_top;
            const int row_inner = iy0 >= 0 && iy0 + 2 < a->in_dims.h;   /* all three kernel rows */
            for (int ox = 0; ox < ow;) {
                const int np = row_inner ? stem_pixels(ox, ox_lo, ox_hi, nv) : 1;
                for (int j = 0; j < nchunk; j++) conv_tiles_stem3[np > 1][swish][nv - 1](a, oy, ox, 8 * nv * j, cm);
                if (rest_nv) conv_tiles_stem3[np > 1][swish][rest_nv - 1](a, oy, ox, 8 * nv * nchunk, cm);
                ox += np;
            }
        }
        return OPS_OK;
    }
    for (int oy = a->row_begin; oy < a->row_end; oy++) {
        for (int ox = 0; ox < ow;) {
            const int np = ox >= ox_lo && ox + 1 < ox_hi ? 2 : 1;
            for (int j = 0; j < nfull; j++) conv_tiles[np - 1][0][3](a, oy, ox, 32 * j, cm);
            if (rem) conv_tiles[np - 1][rem_masked][rem_nv - 1](a, oy, ox, 32 * nfull, cm);
            ox += np;
        }
    }
    return OPS_OK;
}
