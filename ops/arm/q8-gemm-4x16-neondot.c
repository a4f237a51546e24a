/*
 * q8-gemm-4x16-neondot.c -- every int8 1x1 convolution on Armv8.2-A cores
 * with the dot-product extension (Cortex-A55/A75 and later, Neoverse):
 * uint8 A x int8 B in 4-row x 16-column tiles of int32 sums, SDOT summing
 * four byte products into each lane per instruction, then the epilogue of
 * ops/q8.h (q8-neon.h) on the tile.
 *
 * SDOT multiplies signed bytes, and A is uint8: the kernel feeds it
 * a' = a - 128 (a ^ 0x80, exact in int8) and adds back what that takes
 * away, per column: sum (a - a_zero) w = sum a' w + (128 - a_zero)
 * colsum(w). The column term is computed when B is packed, so the sum is
 * the scalar reference's integer, exactly (no saturation anywhere: SDOT
 * accumulates in int32).
 *
 * Packed B, this table's own layout (ops/dispatch.h): per panel of 16
 * columns, a 64-byte header of 16 int32 column terms, then ceil(k/4) rows
 * of 16 columns x 4 int8 (k quads, zero past k and past n) -- one 64-byte
 * row is four q registers, each 4 columns x 4 k, the operand SDOT's
 * lane-indexed form wants. The panel of column j0 starts at
 * (j0 / 16) * panel_bytes(k).
 *
 * Only chosen when the CPU has the extension (ops/dispatch.c asks the
 * kernel's HWCAP_ASIMDDP); the pragma below compiles just this file for
 * Armv8.2-A + dotprod, whatever -mcpu the rest of the build uses (a
 * command-line -march would conflict with e.g. -mcpu=cortex-a53).
 */
#if defined(__aarch64__)
#pragma GCC target("arch=armv8.2-a+dotprod")
#include "q8-neon.h"

#define MR Q8_NEON_MR
#define NR Q8_NEON_NR
#define HEADER_BYTES 64u

static size_t kq_of(size_t k) { return (k + 3) / 4; }              /* k quads */
static size_t lda_of(size_t k) { return (k + 15) / 16 * 16; }      /* A scratch row: whole q registers */
static size_t panel_bytes(size_t k) { return HEADER_BYTES + kq_of(k) * NR * 4; }

size_t q8_gemm_pack_buffer_size_neondot(size_t n, size_t k)
{
    return (n + NR - 1) / NR * panel_bytes(k);
}

size_t q8_gemm_pack_offset_neondot(size_t j0, size_t k)
{
    return j0 / NR * panel_bytes(k);
}

/* Scratch: the tile's A rows as a - 128, k padded to whole q registers. */
size_t q8_gemm_buffer_size_neondot(size_t m, size_t n, size_t k)
{
    (void)m; (void)n;
    return MR * lda_of(k);
}

/* Row kk of B at columns j0.. (16 bytes; zeros past k or past the nr
 * valid columns). */
static inline int8x16_t b_row(const ops_q8_gemm_args *g, size_t kk, size_t j0, size_t nr)
{
    if (kk >= g->k) return vdupq_n_s8(0);
    const int8_t *p = g->b + kk * g->b_stride + j0;
    if (nr == NR) return vld1q_s8(p);
    int8_t t[NR] = { 0 };
    memcpy(t, p, nr);
    return vld1q_s8(t);
}

/* Four rows of B into 16 columns x 4 k (zips: bytes of row pairs, then
 * halfwords of the pairs), and each column's four weights summed. */
static void pack_panel(const ops_q8_gemm_args *g, size_t j0, uint8_t *panel)
{
    const size_t nr = g->n - j0 < NR ? g->n - j0 : NR;
    int8_t *p = (int8_t *)(panel + HEADER_BYTES);
    int32x4_t sum[4] = { vdupq_n_s32(0), vdupq_n_s32(0), vdupq_n_s32(0), vdupq_n_s32(0) };
    for (size_t kk = 0; kk < g->k; kk += 4, p += 64) {
        const int8x16_t r0 = b_row(g, kk, j0, nr), r1 = b_row(g, kk + 1, j0, nr);
        const int8x16_t r2 = b_row(g, kk + 2, j0, nr), r3 = b_row(g, kk + 3, j0, nr);
        const int16x8_t t0 = vreinterpretq_s16_s8(vzip1q_s8(r0, r1)), t1 = vreinterpretq_s16_s8(vzip2q_s8(r0, r1));
        const int16x8_t t2 = vreinterpretq_s16_s8(vzip1q_s8(r2, r3)), t3 = vreinterpretq_s16_s8(vzip2q_s8(r2, r3));
        const int8x16_t q[4] = {
            vreinterpretq_s8_s16(vzip1q_s16(t0, t2)), vreinterpretq_s8_s16(vzip2q_s16(t0, t2)),   /* columns 0-3, 4-7 */
            vreinterpretq_s8_s16(vzip1q_s16(t1, t3)), vreinterpretq_s8_s16(vzip2q_s16(t1, t3)),   /* 8-11, 12-15 */
        };
        for (int i = 0; i < 4; i++) {
            vst1q_s8(p + 16 * i, q[i]);
            sum[i] = vaddq_s32(sum[i], vpaddlq_s16(vpaddlq_s8(q[i])));
        }
    }
    const int32x4_t z = vdupq_n_s32(128 - g->a_zero);
    int32_t *corr = (int32_t *)(void *)panel;
    for (int i = 0; i < 4; i++) vst1q_s32(corr + 4 * i, vmulq_s32(sum[i], z));
}

ops_status q8_gemm_pack_neondot(const ops_q8_gemm_args *g, void *dst)
{
    if (!g || !g->b || !dst || ((uintptr_t)dst & 3)) return OPS_ERR_ARG;
    for (size_t j0 = 0; j0 < g->n; j0 += NR) pack_panel(g, j0, (uint8_t *)dst + j0 / NR * panel_bytes(g->k));
    return OPS_OK;
}

/* Rows i.. of A (requantised by a_mult when given) into scratch as
 * a - 128, zero-padded. */
static void copy_rows(const ops_q8_gemm_args *g, size_t i, size_t mr, size_t lda, void *scratch)
{
    const uint8x16_t flip = vdupq_n_u8(0x80);
    const q8_neon_a_reader rd = q8_neon_a_reader_of(g);
    for (size_t r = 0; r < mr; r++) {
        const uint8_t *src = g->a + (i + r) * g->a_stride;
        int8_t *d = (int8_t *)scratch + r * lda;
        size_t x = 0;
        for (; x + 16 <= g->k; x += 16) vst1q_s8(d + x, vreinterpretq_s8_u8(veorq_u8(q8_neon_a16(&rd, src, x), flip)));
        for (; x < g->k; x++) d[x] = (int8_t)(q8_neon_a1(g, src, x) ^ 0x80);
        for (; x < lda; x++) d[x] = 0;
    }
}

/* One k quad (lane l of the A registers) into the tile's sums: four B
 * registers, each feeding one SDOT per row. */
#define ROW_DOT(r, l)                                                                 \
    if (mr > r) {                                                                     \
        acc[r][0] = vdotq_laneq_s32(acc[r][0], b0, a##r, l);                          \
        acc[r][1] = vdotq_laneq_s32(acc[r][1], b1, a##r, l);                          \
        acc[r][2] = vdotq_laneq_s32(acc[r][2], b2, a##r, l);                          \
        acc[r][3] = vdotq_laneq_s32(acc[r][3], b3, a##r, l);                          \
    }
#define QUAD(l)                                                                       \
    do {                                                                              \
        const int8_t *bq = bp + 64 * (l);                                             \
        const int8x16_t b0 = vld1q_s8(bq), b1 = vld1q_s8(bq + 16);                    \
        const int8x16_t b2 = vld1q_s8(bq + 32), b3 = vld1q_s8(bq + 48);               \
        ROW_DOT(0, l) ROW_DOT(1, l) ROW_DOT(2, l) ROW_DOT(3, l)                       \
    } while (0)

/* t->k counts k quads here. */
static inline __attribute__((always_inline)) void tile(const int mr, const q8_neon_tile *t)
{
    int32x4_t acc[MR][4];
    /* the column terms of the header start every sum */
    for (int i = 0; i < 4; i++) acc[0][i] = vld1q_s32((const int32_t *)t->panel + 4 * i);
    for (int r = 1; r < MR; r++)
        for (int i = 0; i < 4; i++) acc[r][i] = acc[0][i];
    const int8_t *bp = (const int8_t *)t->panel + HEADER_BYTES;
    const int8_t *ap = t->a;
    const size_t lda = t->lda;
    /* rows past mr load row 0 again (read, never summed) */
#define LOAD_A                                                                        \
    const int8x16_t a0 = vld1q_s8(ap), a1 = vld1q_s8(ap + (mr > 1 ? lda : 0));        \
    const int8x16_t a2 = vld1q_s8(ap + (mr > 2 ? 2 * lda : 0)), a3 = vld1q_s8(ap + (mr > 3 ? 3 * lda : 0))
    size_t q = 0;
    for (; q + 4 <= t->k; q += 4, ap += 16, bp += 4 * 64) {
        LOAD_A;
        QUAD(0); QUAD(1); QUAD(2); QUAD(3);
    }
    if (q < t->k) {
        LOAD_A;
        switch (t->k - q) {   /* the last 1..3 quads; exact sums, so any order */
        case 3: QUAD(2); __attribute__((fallthrough));
        case 2: QUAD(1); __attribute__((fallthrough));
        default: QUAD(0);
        }
    }
#undef LOAD_A
    for (int r = 0; r < mr; r++) q8_neon_store_row(t, r, acc[r]);
}
#undef QUAD
#undef ROW_DOT

Q8_NEON_TILE_FNS

ops_status q8_gemm_4x16_neondot(const ops_q8_gemm_args *g, void *scratch)
{
    const size_t k = g ? g->k : 0;
    const q8_neon_gemm kern = { lda_of(k), kq_of(k), panel_bytes(k), copy_rows, { tile_1, tile_2, tile_3, tile_4 } };
    return q8_neon_gemm_run(g, scratch, &kern);
}

#endif /* __aarch64__ */
