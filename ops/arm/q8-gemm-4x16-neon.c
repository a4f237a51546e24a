/*
 * q8-gemm-4x16-neon.c -- every int8 1x1 convolution on any Armv8-A core
 * (Cortex-A53/A72, the cores without the dot-product extension): 4-row x
 * 16-column tiles of int32 sums built with SMLAL on int16, then the
 * epilogue of ops/q8.h (q8-neon.h) on the tile.
 *
 * Arithmetic: A is widened once per tile into int16 as a - a_zero (at most
 * 255 in magnitude; requantised first when the call has a_mult) and B per k row into int16 (|w| <= 128); SMLAL
 * multiplies the two into int32 and adds (at most 32640 a product, no
 * saturation), so the sums are the scalar reference's integers. The
 * lane-indexed form takes A's k-th value from a register holding eight,
 * so one load of A serves eight k steps.
 *
 * Packed B, this table's own layout (ops/dispatch.h): per panel of 16
 * columns, k rows of 16 int8 (zero past n): a panel is read from start to
 * end while the tile's sums stay in registers, instead of one 16-byte
 * piece per row of the [k][n] weights. The panel of column j0 starts at
 * (j0 / 16) * 16 k bytes.
 */
#if defined(__aarch64__)
#include "q8-neon.h"

#define MR Q8_NEON_MR
#define NR Q8_NEON_NR

static size_t lda_of(size_t k) { return (k + 7) / 8 * 8; }   /* A scratch row, int16: whole q registers */
static size_t panel_bytes(size_t k) { return k * NR; }

size_t q8_gemm_pack_buffer_size_neon(size_t n, size_t k)
{
    return (n + NR - 1) / NR * panel_bytes(k);
}

size_t q8_gemm_pack_offset_neon(size_t j0, size_t k)
{
    return j0 / NR * panel_bytes(k);
}

/* Scratch: the tile's A rows as int16 a - a_zero, k padded with zeros. */
size_t q8_gemm_buffer_size_neon(size_t m, size_t n, size_t k)
{
    (void)m; (void)n;
    return MR * lda_of(k) * sizeof(int16_t);
}

ops_status q8_gemm_pack_neon(const ops_q8_gemm_args *g, void *dst)
{
    if (!g || !g->b || !dst) return OPS_ERR_ARG;
    for (size_t j0 = 0; j0 < g->n; j0 += NR) {
        const size_t nr = g->n - j0 < NR ? g->n - j0 : NR;
        int8_t *p = (int8_t *)dst + j0 / NR * panel_bytes(g->k);
        const int8_t *b = g->b + j0;
        for (size_t kk = 0; kk < g->k; kk++, p += NR, b += g->b_stride) {
            if (nr == NR) { vst1q_s8(p, vld1q_s8(b)); continue; }
            memcpy(p, b, nr);
            memset(p + nr, 0, NR - nr);
        }
    }
    return OPS_OK;
}

/* Rows i.. of A (requantised by a_mult when given) into scratch as
 * int16 a - a_zero, zero-padded. */
static void copy_rows(const ops_q8_gemm_args *g, size_t i, size_t mr, size_t lda, void *scratch)
{
    const int16x8_t z = vdupq_n_s16((int16_t)g->a_zero);
    const q8_neon_a_reader rd = q8_neon_a_reader_of(g);
    for (size_t r = 0; r < mr; r++) {
        const uint8_t *src = g->a + (i + r) * g->a_stride;
        int16_t *d = (int16_t *)scratch + r * lda;
        size_t x = 0;
        for (; x + 16 <= g->k; x += 16) {
            const uint8x16_t v = q8_neon_a16(&rd, src, x);
            vst1q_s16(d + x, vsubq_s16(vreinterpretq_s16_u16(vmovl_u8(vget_low_u8(v))), z));
            vst1q_s16(d + x + 8, vsubq_s16(vreinterpretq_s16_u16(vmovl_high_u8(v)), z));
        }
        for (; x < g->k; x++) d[x] = (int16_t)(q8_neon_a1(g, src, x) - g->a_zero);
        for (; x < lda; x++) d[x] = 0;
    }
}

/* B row l of the group of eight (16 columns widened to two int16
 * registers) times lane l of each row's A register. */
#define ROW_MLAL(r, l)                                                                \
    if (mr > r) {                                                                     \
        acc[r][0] = vmlal_laneq_s16(acc[r][0], vget_low_s16(blo), a##r, l);           \
        acc[r][1] = vmlal_high_laneq_s16(acc[r][1], blo, a##r, l);                    \
        acc[r][2] = vmlal_laneq_s16(acc[r][2], vget_low_s16(bhi), a##r, l);           \
        acc[r][3] = vmlal_high_laneq_s16(acc[r][3], bhi, a##r, l);                    \
    }
#define KSTEP(l)                                                                      \
    do {                                                                              \
        const int8x16_t b = vld1q_s8(bp + NR * (l));                                  \
        const int16x8_t blo = vmovl_s8(vget_low_s8(b)), bhi = vmovl_high_s8(b);       \
        ROW_MLAL(0, l) ROW_MLAL(1, l) ROW_MLAL(2, l) ROW_MLAL(3, l)                   \
    } while (0)

static inline __attribute__((always_inline)) void tile(const int mr, const q8_neon_tile *t)
{
    int32x4_t acc[MR][4];
    for (int r = 0; r < MR; r++)
        for (int i = 0; i < 4; i++) acc[r][i] = vdupq_n_s32(0);
    const int8_t *bp = t->panel;
    const int16_t *ap = t->a;
    const size_t lda = t->lda;
    /* rows past mr load row 0 again (read, never summed) */
#define LOAD_A                                                                        \
    const int16x8_t a0 = vld1q_s16(ap), a1 = vld1q_s16(ap + (mr > 1 ? lda : 0));      \
    const int16x8_t a2 = vld1q_s16(ap + (mr > 2 ? 2 * lda : 0)), a3 = vld1q_s16(ap + (mr > 3 ? 3 * lda : 0))
    size_t kk = 0;
    for (; kk + 8 <= t->k; kk += 8, ap += 8, bp += 8 * NR) {
        LOAD_A;
        KSTEP(0); KSTEP(1); KSTEP(2); KSTEP(3); KSTEP(4); KSTEP(5); KSTEP(6); KSTEP(7);
    }
    if (kk < t->k) {
        LOAD_A;
        switch (t->k - kk) {   /* the last 1..7 rows of B; exact sums, so any order */
        case 7: KSTEP(6); __attribute__((fallthrough));
        case 6: KSTEP(5); __attribute__((fallthrough));
        case 5: KSTEP(4); __attribute__((fallthrough));
        case 4: KSTEP(3); __attribute__((fallthrough));
        case 3: KSTEP(2); __attribute__((fallthrough));
        case 2: KSTEP(1); __attribute__((fallthrough));
        default: KSTEP(0);
        }
    }
#undef LOAD_A
    for (int r = 0; r < mr; r++) q8_neon_store_row(t, r, acc[r]);
}
#undef KSTEP
#undef ROW_MLAL

Q8_NEON_TILE_FNS

ops_status q8_gemm_4x16_neon(const ops_q8_gemm_args *g, void *scratch)
{
    const size_t k = g ? g->k : 0;
    const q8_neon_gemm kern = { lda_of(k), k, panel_bytes(k), copy_rows, { tile_1, tile_2, tile_3, tile_4 } };
    return q8_neon_gemm_run(g, scratch, &kern);
}

#endif /* __aarch64__ */
