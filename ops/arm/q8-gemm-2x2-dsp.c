/*
 * q8-gemm-2x2-dsp.c -- every int8 1x1 convolution on cores with the Arm
 * DSP extension (Cortex-M4/M7/M33, 32-bit Armv7-A): 2 rows x 2 columns of
 * int32 sums, four k a step, two products per SMLAD.
 *
 * B is read in place, [k][n] as the converter wrote it (on a
 * microcontroller the weights stay in flash, and a packed copy would cost
 * RAM the size of the largest layer). SMLAD sums two products of one
 * output, so both must come from one column: for columns j, j+1 and rows
 * k..k+3, the two bytes of each row are one halfword; rows k and k+2
 * joined make a word whose bytes 0 and 2 are column j's (k, k+2) and
 * bytes 1 and 3 column j+1's, which SXTB16 (directly and rotated by 8)
 * turns into pairs. A's word of four k is split the same way, with
 * UXTAB16 subtracting the zero point (exact in int16: |a - zero| <= 255),
 * so the sums are the reference's integers; its epilogue
 * (ops_q8_finish) then gives its bits.
 *
 * The last k % 4 rows, and the last column when n is odd, take the
 * reference's arithmetic; so does a call with a_mult, whole. The C builds on any host (q8-dsp.h), where the
 * tests hold it against the reference.
 */
#include "q8-dsp.h"
#include "../q8.h"

/* Column pair j, j+1 over rows mr (1 or 2) of A: the four (or two) sums. */
static inline __attribute__((always_inline)) void pair_sums(const int mr, const ops_q8_gemm_args *g,
                                                            const uint8_t *a0, const uint8_t *a1, size_t j,
                                                            int32_t acc[2][2])
{
    const uint32_t nz = q8_dsp_neg_zero_pair(g->a_zero);
    const size_t ldb = g->b_stride, k4 = g->k / 4 * 4;
    const int8_t *b = g->b + j;
    int32_t s00 = 0, s01 = 0, s10 = 0, s11 = 0;
    size_t kk = 0;
    for (; kk < k4; kk += 4, b += 4 * ldb) {
        const uint32_t x = q8_dsp_load2(b) | q8_dsp_load2(b + 2 * ldb) << 16;   /* rows k, k+2 */
        const uint32_t y = q8_dsp_load2(b + ldb) | q8_dsp_load2(b + 3 * ldb) << 16;   /* rows k+1, k+3 */
        const uint32_t bj02 = q8_dsp_sxtb16(x), bk02 = q8_dsp_sxtb16(q8_dsp_ror8(x));   /* column j, j+1 */
        const uint32_t bj13 = q8_dsp_sxtb16(y), bk13 = q8_dsp_sxtb16(q8_dsp_ror8(y));
        const uint32_t w0 = q8_dsp_load4(a0 + kk);
        const uint32_t a02 = q8_dsp_uxtab16(nz, w0), a13 = q8_dsp_uxtab16(nz, q8_dsp_ror8(w0));
        s00 = q8_dsp_smlad(a13, bj13, q8_dsp_smlad(a02, bj02, s00));
        s01 = q8_dsp_smlad(a13, bk13, q8_dsp_smlad(a02, bk02, s01));
        if (mr > 1) {
            const uint32_t w1 = q8_dsp_load4(a1 + kk);
            const uint32_t c02 = q8_dsp_uxtab16(nz, w1), c13 = q8_dsp_uxtab16(nz, q8_dsp_ror8(w1));
            s10 = q8_dsp_smlad(c13, bj13, q8_dsp_smlad(c02, bj02, s10));
            s11 = q8_dsp_smlad(c13, bk13, q8_dsp_smlad(c02, bk02, s11));
        }
    }
    for (; kk < g->k; kk++, b += ldb) {
        const int32_t wj = b[0], wk = b[1], x0 = (int32_t)a0[kk] - g->a_zero;
        s00 += x0 * wj;
        s01 += x0 * wk;
        if (mr > 1) {
            const int32_t x1 = (int32_t)a1[kk] - g->a_zero;
            s10 += x1 * wj;
            s11 += x1 * wk;
        }
    }
    acc[0][0] = s00; acc[0][1] = s01; acc[1][0] = s10; acc[1][1] = s11;
}

/* Output (i, j) from its sum: the reference's epilogue, with the residual. */
static inline void put(const ops_q8_gemm_args *g, size_t i, size_t j, int32_t acc)
{
    const int32_t r = g->res ? g->res[i * g->res_stride + j] : 0;
    g->c[i * g->c_stride + j] = ops_q8_finish(acc, &g->out, j, g->res != 0, r, g->res_zero, g->res_scale);
}

static inline __attribute__((always_inline)) void rows(const int mr, const ops_q8_gemm_args *g, size_t i)
{
    const uint8_t *a0 = g->a + i * g->a_stride, *a1 = mr > 1 ? a0 + g->a_stride : a0;
    size_t j = 0;
    for (; j + 2 <= g->n; j += 2) {
        int32_t acc[2][2];
        pair_sums(mr, g, a0, a1, j, acc);
        for (int r = 0; r < mr; r++) {
            put(g, i + (size_t)r, j, acc[r][0]);
            put(g, i + (size_t)r, j + 1, acc[r][1]);
        }
    }
    if (j < g->n)   /* odd n: the last column */
        for (int r = 0; r < mr; r++) {
            const uint8_t *a = r ? a1 : a0;
            int32_t acc = 0;
            for (size_t kk = 0; kk < g->k; kk++) acc += ((int32_t)a[kk] - g->a_zero) * (int32_t)g->b[kk * g->b_stride + j];
            put(g, i + (size_t)r, j, acc);
        }
}

size_t q8_gemm_buffer_size_dsp(size_t m, size_t n, size_t k)
{
    (void)m; (void)n; (void)k;
    return 0;
}

ops_status q8_gemm_2x2_dsp(const ops_q8_gemm_args *g, void *scratch)
{
    (void)scratch;
    if (!g) return OPS_ERR_ARG;
    if (!g->m || !g->n) return OPS_OK;
    if (!g->a || !g->b || !g->c || !g->out.mult || g->k == 0) return OPS_ERR_ARG;
    /* A requantised by a_mult: the reference's (the scalar-dsp table says
     * gemm_a_mult 0, so the engine rescales A in a pass of its own and
     * never asks; A is read in place here, and a requantised copy of two
     * rows would cost the stack 2 k bytes) */
    if (g->a_mult) return q8_gemm_scalar(g, scratch);
    size_t i = 0;
    for (; i + 2 <= g->m; i += 2) rows(2, g, i);
    if (i < g->m) rows(1, g, i);
    return OPS_OK;
}
