/*
 * GEMM with the 1x1-convolution epilogue, 4 rows x 16 columns a tile.
 *
 * Why 4x16: aarch64 has 32 vector registers; 16 accumulators + 4 B vectors
 * + 4 A vectors fit without spills, and each loaded B vector feeds four
 * FMAs. A is read four k at a time so one vector load (and one multiply by
 * a_scale, the squeeze-excite gate folded into the projection) serves four
 * broadcasts via the lane-indexed FMA. B is read in place, unpacked: the
 * rows are the [in_c][out_c] weights the converter already laid out, so
 * the kernel needs no scratch.
 *
 * Tails: rows past m reuse the last valid row's A (loaded, never stored);
 * columns are done 16, then 4, then 1..3 with lane loads and stores that
 * never touch memory beyond row n.
 */
#include "ops-neon.h"

size_t f32_gemm_buffer_size_neon(size_t m, size_t n, size_t k)
{
    (void)m; (void)n; (void)k;
    return 0;
}

typedef struct tile_rows {
    const float *a[4];
    float *c[4];
    const float *res[4];
    int mr;
} tile_rows;

/* Bias, activation, then residual: the oracle's order. */
static inline void store_vec(const ops_gemm_args *g, const tile_rows *t, int r, size_t j,
                             float32x4_t acc, size_t nt)
{
    float32x4_t v = ops_neon_actq(acc, g->act);
    if (nt == 4) {
        if (t->res[r]) v = vaddq_f32(v, vld1q_f32(t->res[r] + j));
        vst1q_f32(t->c[r] + j, v);
    } else {
        if (t->res[r]) v = vaddq_f32(v, ops_neon_load_tail(t->res[r] + j, nt));
        ops_neon_store_tail(t->c[r] + j, v, nt);
    }
}

static inline float32x4_t bias_vec(const ops_gemm_args *g, size_t j, size_t nt)
{
    if (!g->bias) return vdupq_n_f32(0.0f);
    return nt == 4 ? vld1q_f32(g->bias + j) : ops_neon_load_tail(g->bias + j, nt);
}

/* A values k..k+3 of row r, gated by a_scale when there is one. */
static inline float32x4_t a_vec(const ops_gemm_args *g, const float *ar, size_t k)
{
    float32x4_t v = vld1q_f32(ar + k);
    return g->a_scale ? vmulq_f32(v, vld1q_f32(g->a_scale + k)) : v;
}

static inline float a_one(const ops_gemm_args *g, const float *ar, size_t k)
{
    return g->a_scale ? ar[k] * g->a_scale[k] : ar[k];
}

static void tile_4x16(const ops_gemm_args *g, const tile_rows *t, size_t j)
{
    float32x4_t c00, c01, c02, c03, c10, c11, c12, c13, c20, c21, c22, c23, c30, c31, c32, c33;
    c00 = bias_vec(g, j, 4);      c01 = bias_vec(g, j + 4, 4);
    c02 = bias_vec(g, j + 8, 4);  c03 = bias_vec(g, j + 12, 4);
    c10 = c00; c11 = c01; c12 = c02; c13 = c03;
    c20 = c00; c21 = c01; c22 = c02; c23 = c03;
    c30 = c00; c31 = c01; c32 = c02; c33 = c03;
    const float *a0 = t->a[0], *a1 = t->a[1], *a2 = t->a[2], *a3 = t->a[3];
    const float *b = g->b + j;
    const size_t bs = g->b_stride;
    size_t k = 0;

#define GEMM_STEP(BR, L, A0, A1, A2, A3) do {                                    \
        const float *br_ = (BR);                                                 \
        float32x4_t b0_ = vld1q_f32(br_), b1_ = vld1q_f32(br_ + 4);              \
        float32x4_t b2_ = vld1q_f32(br_ + 8), b3_ = vld1q_f32(br_ + 12);         \
        c00 = vfmaq_laneq_f32(c00, b0_, A0, L); c01 = vfmaq_laneq_f32(c01, b1_, A0, L); \
        c02 = vfmaq_laneq_f32(c02, b2_, A0, L); c03 = vfmaq_laneq_f32(c03, b3_, A0, L); \
        c10 = vfmaq_laneq_f32(c10, b0_, A1, L); c11 = vfmaq_laneq_f32(c11, b1_, A1, L); \
        c12 = vfmaq_laneq_f32(c12, b2_, A1, L); c13 = vfmaq_laneq_f32(c13, b3_, A1, L); \
        c20 = vfmaq_laneq_f32(c20, b0_, A2, L); c21 = vfmaq_laneq_f32(c21, b1_, A2, L); \
        c22 = vfmaq_laneq_f32(c22, b2_, A2, L); c23 = vfmaq_laneq_f32(c23, b3_, A2, L); \
        c30 = vfmaq_laneq_f32(c30, b0_, A3, L); c31 = vfmaq_laneq_f32(c31, b1_, A3, L); \
        c32 = vfmaq_laneq_f32(c32, b2_, A3, L); c33 = vfmaq_laneq_f32(c33, b3_, A3, L); \
    } while (0)

    for (; k + 4 <= g->k; k += 4) {
        float32x4_t x0 = a_vec(g, a0, k), x1 = a_vec(g, a1, k);
        float32x4_t x2 = a_vec(g, a2, k), x3 = a_vec(g, a3, k);
        GEMM_STEP(b + k * bs, 0, x0, x1, x2, x3);
        GEMM_STEP(b + (k + 1) * bs, 1, x0, x1, x2, x3);
        GEMM_STEP(b + (k + 2) * bs, 2, x0, x1, x2, x3);
        GEMM_STEP(b + (k + 3) * bs, 3, x0, x1, x2, x3);
    }
    for (; k < g->k; k++) {
        float32x4_t x0 = vdupq_n_f32(a_one(g, a0, k)), x1 = vdupq_n_f32(a_one(g, a1, k));
        float32x4_t x2 = vdupq_n_f32(a_one(g, a2, k)), x3 = vdupq_n_f32(a_one(g, a3, k));
        GEMM_STEP(b + k * bs, 0, x0, x1, x2, x3);
    }
#undef GEMM_STEP

    store_vec(g, t, 0, j, c00, 4); store_vec(g, t, 0, j + 4, c01, 4);
    store_vec(g, t, 0, j + 8, c02, 4); store_vec(g, t, 0, j + 12, c03, 4);
    if (t->mr > 1) {
        store_vec(g, t, 1, j, c10, 4); store_vec(g, t, 1, j + 4, c11, 4);
        store_vec(g, t, 1, j + 8, c12, 4); store_vec(g, t, 1, j + 12, c13, 4);
    }
    if (t->mr > 2) {
        store_vec(g, t, 2, j, c20, 4); store_vec(g, t, 2, j + 4, c21, 4);
        store_vec(g, t, 2, j + 8, c22, 4); store_vec(g, t, 2, j + 12, c23, 4);
    }
    if (t->mr > 3) {
        store_vec(g, t, 3, j, c30, 4); store_vec(g, t, 3, j + 4, c31, 4);
        store_vec(g, t, 3, j + 8, c32, 4); store_vec(g, t, 3, j + 12, c33, 4);
    }
}

/* Four rows x nt (1..4) columns: the column tail of tile_4x16. */
static void tile_4x4(const ops_gemm_args *g, const tile_rows *t, size_t j, size_t nt)
{
    float32x4_t c0 = bias_vec(g, j, nt), c1 = c0, c2 = c0, c3 = c0;
    const float *a0 = t->a[0], *a1 = t->a[1], *a2 = t->a[2], *a3 = t->a[3];
    const float *b = g->b + j;
    const size_t bs = g->b_stride;
    size_t k = 0;
    if (nt == 4) {
        for (; k + 4 <= g->k; k += 4) {
            float32x4_t x0 = a_vec(g, a0, k), x1 = a_vec(g, a1, k);
            float32x4_t x2 = a_vec(g, a2, k), x3 = a_vec(g, a3, k);
            float32x4_t b0 = vld1q_f32(b + k * bs), b1 = vld1q_f32(b + (k + 1) * bs);
            float32x4_t b2 = vld1q_f32(b + (k + 2) * bs), b3 = vld1q_f32(b + (k + 3) * bs);
            c0 = vfmaq_laneq_f32(c0, b0, x0, 0); c1 = vfmaq_laneq_f32(c1, b0, x1, 0);
            c2 = vfmaq_laneq_f32(c2, b0, x2, 0); c3 = vfmaq_laneq_f32(c3, b0, x3, 0);
            c0 = vfmaq_laneq_f32(c0, b1, x0, 1); c1 = vfmaq_laneq_f32(c1, b1, x1, 1);
            c2 = vfmaq_laneq_f32(c2, b1, x2, 1); c3 = vfmaq_laneq_f32(c3, b1, x3, 1);
            c0 = vfmaq_laneq_f32(c0, b2, x0, 2); c1 = vfmaq_laneq_f32(c1, b2, x1, 2);
            c2 = vfmaq_laneq_f32(c2, b2, x2, 2); c3 = vfmaq_laneq_f32(c3, b2, x3, 2);
            c0 = vfmaq_laneq_f32(c0, b3, x0, 3); c1 = vfmaq_laneq_f32(c1, b3, x1, 3);
            c2 = vfmaq_laneq_f32(c2, b3, x2, 3); c3 = vfmaq_laneq_f32(c3, b3, x3, 3);
        }
    }
    for (; k < g->k; k++) {
        const float *br = b + k * bs;
        float32x4_t bv = nt == 4 ? vld1q_f32(br) : ops_neon_load_tail(br, nt);
        c0 = vfmaq_n_f32(c0, bv, a_one(g, a0, k));
        c1 = vfmaq_n_f32(c1, bv, a_one(g, a1, k));
        c2 = vfmaq_n_f32(c2, bv, a_one(g, a2, k));
        c3 = vfmaq_n_f32(c3, bv, a_one(g, a3, k));
    }
    store_vec(g, t, 0, j, c0, nt);
    if (t->mr > 1) store_vec(g, t, 1, j, c1, nt);
    if (t->mr > 2) store_vec(g, t, 2, j, c2, nt);
    if (t->mr > 3) store_vec(g, t, 3, j, c3, nt);
}

ops_status f32_gemm_4x16_neon(const ops_gemm_args *g, void *scratch)
{
    (void)scratch;
    if (!g || (g->m && (!g->a || (!g->b && !g->b_packed) || !g->c))) return OPS_ERR_ARG;
    for (size_t i = 0; i < g->m; i += 4) {
        tile_rows t;
        t.mr = g->m - i < 4 ? (int)(g->m - i) : 4;
        for (int r = 0; r < 4; r++) {
            size_t row = i + (size_t)(r < t.mr ? r : t.mr - 1);
            t.a[r] = g->a + row * g->a_stride;
            t.c[r] = g->c + row * g->c_stride;
            t.res[r] = g->res ? g->res + row * g->res_stride : 0;
        }
        size_t j = 0;
        for (; j + 16 <= g->n; j += 16) tile_4x16(g, &t, j);
        for (; j < g->n; j += 4) tile_4x4(g, &t, j, g->n - j < 4 ? g->n - j : 4);
    }
    return OPS_OK;
}
