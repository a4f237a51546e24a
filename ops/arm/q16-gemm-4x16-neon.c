/*
 * q16-gemm-4x16-neon.c -- the 16x8 1x1 convolution on any Armv8-A core:
 * 4-row x 16-column tiles summed by SMLAL, then the epilogue of ops/q16.h
 * (q16-neon.h). Both NEON tables use it: SDOT has no 16-bit form.
 *
 * Arithmetic: A is int16 already and B is stored widened, so SMLAL
 * multiplies the two straight into int32 lanes, taking A's k-th value from
 * a register holding eight (one load of A serves eight k steps). A product
 * is at most 32768 * 128 = 2^22 in magnitude, so an int32 lane holds 511
 * of them: for k up to KBLOCK the tile's sums stay int32 and become float
 * by one rounding; past it (B4's projections reach k = 2688) each block of
 * KBLOCK k is added into int64 lanes and the int64 sum becomes float by
 * one rounding (q16-neon.h). Either way the scalar reference's integer,
 * rounded as it rounds it.
 *
 * Packed B, this table's own layout (ops/dispatch.h): per panel of 16
 * columns, k rows of 16 int16 (zero past n), B widened once at packing
 * instead of once per row of A's tiles. The panel of column j0 starts at
 * (j0 / 16) * 32 k bytes. A is read in place: only the last k % 8 values
 * of each row go through a zero-padded copy on the stack, so no scratch.
 */
#if defined(__aarch64__)
#include "q16-neon.h"

#define MR 4
#define NR 16
/* k per int32 block: 63 groups of 8, 504 * 2^22 < 2^31. */
#define KBLOCK 504

static size_t panel_bytes(size_t k) { return k * NR * sizeof(int16_t); }

size_t q16_gemm_pack_buffer_size_neon(size_t n, size_t k)
{
    return (n + NR - 1) / NR * panel_bytes(k);
}

size_t q16_gemm_pack_offset_neon(size_t j0, size_t k)
{
    return j0 / NR * panel_bytes(k);
}

size_t q16_gemm_buffer_size_neon(size_t m, size_t n, size_t k)
{
    (void)m; (void)n; (void)k;
    return 0;
}

ops_status q16_gemm_pack_neon(const ops_q16_gemm_args *g, void *dst)
{
    if (!g || !g->b || !dst) return OPS_ERR_ARG;
    for (size_t j0 = 0; j0 < g->n; j0 += NR) {
        const size_t nr = g->n - j0 < NR ? g->n - j0 : NR;
        int16_t *p = (int16_t *)((uint8_t *)dst + j0 / NR * panel_bytes(g->k));
        const int8_t *b = g->b + j0;
        for (size_t kk = 0; kk < g->k; kk++, p += NR, b += g->b_stride) {
            if (nr == NR) {
                const int8x16_t v = vld1q_s8(b);
                vst1q_s16(p, vmovl_s8(vget_low_s8(v)));
                vst1q_s16(p + 8, vmovl_high_s8(v));
                continue;
            }
            size_t j = 0;
            for (; j < nr; j++) p[j] = b[j];
            for (; j < NR; j++) p[j] = 0;
        }
    }
    return OPS_OK;
}

typedef struct q16_neon_tile {
    const int16_t *a[MR];         /* the tile's A rows (rows past mr repeat row 0: read, never summed) */
    const int16_t *a_tail;        /* [MR][8]: their last k % 8 values, zero-padded */
    const int16_t *panel;         /* the panel's packed B */
    size_t k;
    size_t nr;                    /* valid columns 1..16 */
    float32x4_t mult[4], bias[4]; /* the panel's epilogue factors (bias zeros if none) */
    ops_act act;
    float32x4_t inv;
    const int16_t *res; size_t ldr; float32x4_t res_scale;
    int16_t *c; size_t ldc;
} q16_neon_tile;

/* Row r of a tile: 16 sums (as floats) through the epilogue, the residual
 * added, 1..16 int16 stored. */
static inline __attribute__((always_inline)) void store_row(const q16_neon_tile *t, int r, const float32x4_t accf[4])
{
    float32x4_t res[4] = { vdupq_n_f32(0.0f), vdupq_n_f32(0.0f), vdupq_n_f32(0.0f), vdupq_n_f32(0.0f) };
    const int has_res = t->res != 0;
    if (has_res) {
        int16_t rb[NR];
        const int16_t *rp = t->res + (size_t)r * t->ldr;
        if (t->nr < NR) { memset(rb, 0, sizeof rb); memcpy(rb, rp, t->nr * sizeof(int16_t)); rp = rb; }
        q16_neon_to_f32(vld1q_s16(rp), res);
        q16_neon_to_f32(vld1q_s16(rp + 8), res + 2);
    }
    int32x4_t q[4];
    for (int i = 0; i < 4; i++)
        q[i] = q16_neon_finish(accf[i], t->mult[i], t->bias[i], t->act, res[i], t->res_scale, has_res, t->inv);
    const int16x8_t lo = q16_neon_narrow8(q[0], q[1]), hi = q16_neon_narrow8(q[2], q[3]);
    int16_t *cp = t->c + (size_t)r * t->ldc;
    if (t->nr == NR) { vst1q_s16(cp, lo); vst1q_s16(cp + 8, hi); return; }
    int16_t ob[NR];
    vst1q_s16(ob, lo);
    vst1q_s16(ob + 8, hi);
    memcpy(cp, ob, t->nr * sizeof(int16_t));
}

/* B row l of the group of eight (16 int16 columns in two registers) times
 * lane l of each row's A register. */
#define ROW_MLAL(r, l)                                                                \
    if (mr > r) {                                                                     \
        acc[r][0] = vmlal_laneq_s16(acc[r][0], vget_low_s16(blo), a##r, l);           \
        acc[r][1] = vmlal_high_laneq_s16(acc[r][1], blo, a##r, l);                    \
        acc[r][2] = vmlal_laneq_s16(acc[r][2], vget_low_s16(bhi), a##r, l);           \
        acc[r][3] = vmlal_high_laneq_s16(acc[r][3], bhi, a##r, l);                    \
    }
#define KSTEP(l)                                                                      \
    do {                                                                              \
        const int16x8_t blo = vld1q_s16(bp + NR * (l)), bhi = vld1q_s16(bp + NR * (l) + 8); \
        ROW_MLAL(0, l) ROW_MLAL(1, l) ROW_MLAL(2, l) ROW_MLAL(3, l)                   \
    } while (0)
#define LOAD_A(p0, p1, p2, p3)                                                        \
    const int16x8_t a0 = vld1q_s16(p0), a1 = vld1q_s16(p1), a2 = vld1q_s16(p2), a3 = vld1q_s16(p3)

/* The steps on a row's sums are written out: with the int64 widening as a
 * loop over the four (GCC 12 -O2 leaves it rolled) the k loop grew from
 * 147 to 164 instructions per 8 k, 16 of them register moves. */
#define ROW_ZERO(r) acc[r][0] = acc[r][1] = acc[r][2] = acc[r][3] = vdupq_n_s32(0);
#define WIDEN4(r, i)                                                                  \
    {                                                                                 \
        int64_t *w = wide + (r) * 16 + 4 * (i);                                       \
        vst1q_s64(w, vaddw_s32(vld1q_s64(w), vget_low_s32(acc[r][i])));               \
        vst1q_s64(w + 2, vaddw_high_s32(vld1q_s64(w + 2), acc[r][i]));                \
    }
#define ROW_WIDEN(r)                                                                  \
    if (mr > r) {                                                                     \
        WIDEN4(r, 0) WIDEN4(r, 1) WIDEN4(r, 2) WIDEN4(r, 3)                           \
        ROW_ZERO(r)                                                                   \
    }
#define ROW_STORE(r)                                                                  \
    if (mr > r) {                                                                     \
        float32x4_t accf[4];                                                          \
        for (int i = 0; i < 4; i++) {                                                 \
            const int64_t *w = wide + (r) * 16 + 4 * i;                               \
            accf[i] = blocks ? q16_neon_s64_to_f32(vld1q_s64(w), vld1q_s64(w + 2))    \
                             : vcvtq_f32_s32(acc[r][i]);                              \
        }                                                                             \
        store_row(t, r, accf);                                                        \
    }

static inline __attribute__((always_inline)) void tile(const int mr, const q16_neon_tile *t)
{
    int32x4_t acc[MR][4];
    ROW_ZERO(0) ROW_ZERO(1) ROW_ZERO(2) ROW_ZERO(3)
    int64_t wide[MR * 16];        /* the int64 sums past KBLOCK: row r, column j at 16 r + j */
    const int blocks = t->k > KBLOCK;
    if (blocks) memset(wide, 0, sizeof wide);
    const int16_t *bp = t->panel;
    const int16_t *const *ap = t->a;
    const size_t k8 = t->k / 8 * 8;
    size_t kk = 0;
    for (size_t kb = 0; kb < t->k; kb += KBLOCK) {
        const size_t kend = t->k - kb < KBLOCK ? t->k : kb + KBLOCK;
        const size_t kend8 = kend < k8 ? kend : k8;
        for (; kk < kend8; kk += 8, bp += 8 * NR) {
            LOAD_A(ap[0] + kk, ap[1] + kk, ap[2] + kk, ap[3] + kk);
            KSTEP(0); KSTEP(1); KSTEP(2); KSTEP(3); KSTEP(4); KSTEP(5); KSTEP(6); KSTEP(7);
        }
        if (kk < kend) {   /* the last 1..7 k, in the last block; exact sums, so any order */
            const int16_t *at = t->a_tail;
            LOAD_A(at, at + 8, at + 16, at + 24);
            switch (kend - kk) {
            case 7: KSTEP(6); __attribute__((fallthrough));
            case 6: KSTEP(5); __attribute__((fallthrough));
            case 5: KSTEP(4); __attribute__((fallthrough));
            case 4: KSTEP(3); __attribute__((fallthrough));
            case 3: KSTEP(2); __attribute__((fallthrough));
            case 2: KSTEP(1); __attribute__((fallthrough));
            default: KSTEP(0);
            }
            kk = kend;
        }
        if (blocks) { ROW_WIDEN(0) ROW_WIDEN(1) ROW_WIDEN(2) ROW_WIDEN(3) }
    }
    ROW_STORE(0) ROW_STORE(1) ROW_STORE(2) ROW_STORE(3)
}
#undef ROW_STORE
#undef ROW_WIDEN
#undef ROW_ZERO
#undef LOAD_A
#undef KSTEP
#undef ROW_MLAL

static void tile_1(const q16_neon_tile *t) { tile(1, t); }
static void tile_2(const q16_neon_tile *t) { tile(2, t); }
static void tile_3(const q16_neon_tile *t) { tile(3, t); }
static void tile_4(const q16_neon_tile *t) { tile(4, t); }

/* Per 4 rows of A, every panel of 16 columns. Without a packed B (callers
 * that do not pack), the scalar reference. */
ops_status q16_gemm_4x16_neon(const ops_q16_gemm_args *g, void *scratch)
{
    if (!g) return OPS_ERR_ARG;
    const size_t m = g->m, n = g->n, k = g->k;
    if (!m || !n) return OPS_OK;
    if (!g->b_packed) return q16_gemm_scalar(g, scratch);
    if (!g->a || !g->c || !g->out.mult || !k) return OPS_ERR_ARG;
    void (*const tiles[MR])(const q16_neon_tile *) = { tile_1, tile_2, tile_3, tile_4 };
    int16_t a_tail[MR * 8];
    q16_neon_tile t;
    t.a_tail = a_tail;
    t.k = k;
    t.act = g->out.act;
    t.inv = vdupq_n_f32(g->out.inv_scale);
    t.res_scale = vdupq_n_f32(g->res_scale);
    t.ldr = g->res_stride;
    t.ldc = g->c_stride;
    const size_t k8 = k / 8 * 8;
    for (size_t i = 0; i < m; i += MR) {
        const size_t mr = m - i < MR ? m - i : MR;
        memset(a_tail, 0, sizeof a_tail);
        for (size_t r = 0; r < MR; r++) {
            t.a[r] = g->a + (i + (r < mr ? r : 0)) * g->a_stride;
            if (r < mr) memcpy(a_tail + 8 * r, t.a[r] + k8, (k - k8) * sizeof(int16_t));
        }
        for (size_t j0 = 0; j0 < n; j0 += NR) {
            t.nr = n - j0 < NR ? n - j0 : NR;
            t.panel = (const int16_t *)((const uint8_t *)g->b_packed + j0 / NR * panel_bytes(k));
            float mult[NR] = { 0 }, bias[NR] = { 0 };
            memcpy(mult, g->out.mult + j0, t.nr * sizeof(float));
            if (g->out.bias) memcpy(bias, g->out.bias + j0, t.nr * sizeof(float));
            for (int c = 0; c < 4; c++) { t.mult[c] = vld1q_f32(mult + 4 * c); t.bias[c] = vld1q_f32(bias + 4 * c); }
            t.res = g->res ? g->res + i * g->res_stride + j0 : 0;
            t.c = g->c + i * g->c_stride + j0;
            tiles[mr - 1](&t);
        }
    }
    return OPS_OK;
}

#endif /* __aarch64__ */
