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
 * The tile itself is f32-conv-hwc-tile.h, shared with the AVX2 kernel; as
 * there, the stem's groups of pixels run without range tests on rows whose
 * kernel rows are inside the image (B0's stem 166 -> 156-161 us).
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

#define CV_VEC __m512
#define CV_MASK __mmask16
#define CV_LANES 16
#define CV_MAX_NP 4   /* 16 accumulators of the 32 zmm registers */
#define CV_MAX_NV 4
#define CV_LOAD(p) _mm512_loadu_ps(p)
#define CV_LOADM(p, m) _mm512_maskz_loadu_ps((m), (p))
#define CV_STORE(p, v) _mm512_storeu_ps((p), (v))
#define CV_STOREM(p, m, v) _mm512_mask_storeu_ps((p), (m), (v))
#define CV_BCAST(p) _mm512_set1_ps(*(p))
#define CV_ZERO() _mm512_setzero_ps()
#define CV_FMADD(a, b, c) _mm512_fmadd_ps((a), (b), (c))
#define CV_ACT(x, act) avx512_act_ps((x), (act))
#define CV_SWISH_N(v, n) avx512_swish_n((v), (n))
#include "f32-conv-hwc-tile.h"

typedef void (*conv_tile_fn)(const ops_conv_args *a, int oy, int ox, int co, __mmask16 cm);
#define CONV_DEF(NP, NV, M, S3, SW)                                                            \
    static void conv_tile_##NP##_##NV##_##M##_##S3##_##SW(const ops_conv_args *a, int oy, int ox, \
                                                          int co, __mmask16 cm)                  \
    { conv_tile(NP, NV, M, S3, SW, S3 && NP > 1, a, oy, ox, co, cm); }
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
        /* the stem's quads run without range tests (f32-conv-hwc-tile.h):
         * only on rows whose three kernel rows are inside the image */
        const int iy0 = oy * g.stride_h - g.pad_top;
        const int row_inner = !stem3 || (iy0 >= 0 && iy0 + 2 < a->in_dims.h);
        for (int ox = 0; ox < ow;) {
            const int quad = row_inner && ox >= ox_lo && ox + 3 < ox_hi;
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
