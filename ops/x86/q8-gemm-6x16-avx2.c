/*
 * q8-gemm-6x16-avx2.c -- every int8 1x1 convolution: uint8 A x int8 B in
 * 6-row x 16-column register tiles of int32 sums, then the epilogue of
 * ops/q8.h (q8-avx2.h) on the tile.
 *
 * The multiply is vpmaddwd on 16-bit values: A is widened to int16 a tile
 * row at a time (the 6 rows, k values each, in the caller's scratch), B is
 * packed as int16 pairs (k, k+1) of 16 columns, so one vpmaddwd of a
 * broadcast A pair against a B vector gives 8 columns' sums of two k
 * exactly -- 16 multiply-adds per instruction against the float kernel's
 * 8 per FMA, and no saturation whatever the weights (vpmaddubsw would
 * saturate at 2 x 255 x 127 unless weights were cut to 7 bits).
 * The zero point of A is not subtracted in the loop: acc = sum a*w -
 * a_zero * colsum(w), with a_zero * colsum(w) precomputed per column when
 * B is packed -- the same integer as the scalar reference's sum.
 *
 * Packed B (the table's own layout, ops/dispatch.h): per panel of 16
 * columns, ceil(k/2) rows of 16 int32 pairs (columns 0-7 then 8-15; odd k
 * padded with a zero row), then 16 int32 a_zero * colsum. The panel of
 * column j0 starts at (j0 / 16) * panel_bytes(k).
 */
#include <immintrin.h>
#include "kernels-internal.h"
#include "q8-avx2.h"

#define Q8_MR 6
#define Q8_NR 16

static size_t kp_of(size_t k) { return (k + 1) / 2; }
static size_t panel_bytes(size_t k) { return kp_of(k) * Q8_NR * 4 + Q8_NR * 4; }

size_t q8_gemm_pack_buffer_size_avx2(size_t n, size_t k)
{
    return (n + Q8_NR - 1) / Q8_NR * panel_bytes(k);
}

size_t q8_gemm_pack_offset_avx2(size_t j0, size_t k)
{
    return j0 / Q8_NR * panel_bytes(k);
}

/* Scratch: the widened A tile (6 rows of ceil(k/2) pairs), 32-byte aligned. */
size_t q8_gemm_buffer_size_avx2(size_t m, size_t n, size_t k)
{
    (void)m; (void)n;
    return Q8_MR * kp_of(k) * 4 + 32;
}

ops_status q8_gemm_pack_avx2(const ops_q8_gemm_args *g, void *dst)
{
    if (!g || !g->b || !dst || ((uintptr_t)dst & 3)) return OPS_ERR_ARG;
    const size_t n = g->n, k = g->k, kp = kp_of(k);
    for (size_t j0 = 0; j0 < n; j0 += Q8_NR) {
        int16_t *p = (int16_t *)(void *)((uint8_t *)dst + j0 / Q8_NR * panel_bytes(k));
        int32_t *corr = (int32_t *)(void *)(p + kp * Q8_NR * 2);
        for (size_t c = 0; c < Q8_NR; c++) {
            const size_t j = j0 + c;
            int32_t sum = 0;
            for (size_t q = 0; q < kp; q++) {
                const int16_t w0 = j < n ? g->b[(2 * q) * g->b_stride + j] : 0;
                const int16_t w1 = j < n && 2 * q + 1 < k ? g->b[(2 * q + 1) * g->b_stride + j] : 0;
                p[(q * Q8_NR + c) * 2] = w0;
                p[(q * Q8_NR + c) * 2 + 1] = w1;
                sum += w0 + w1;
            }
            corr[c] = g->a_zero * sum;
        }
    }
    return OPS_OK;
}

/* The 6 (or fewer) rows of A starting at a, widened to int16 pairs. */
static void widen_rows(const uint8_t *a, size_t lda, size_t mr, size_t k, int32_t *dst)
{
    const size_t kp = kp_of(k);
    for (size_t r = 0; r < mr; r++) {
        const uint8_t *src = a + r * lda;
        int16_t *d = (int16_t *)(void *)(dst + r * kp);
        size_t i = 0;
        for (; i + 16 <= k; i += 16)
            _mm256_storeu_si256((__m256i *)(void *)(d + i), _mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i *)(const void *)(src + i))));
        for (; i < k; i++) d[i] = src[i];
        if (k & 1) d[k] = 0;
    }
}

typedef struct q8_tile {
    const int32_t *a;            /* widened rows, kp pairs each */
    const int32_t *b;            /* panel: kp x 16 pairs, then 16 corrections */
    size_t kp, nr;               /* nr: valid columns 1..16 */
    const float *mult, *bias;    /* at column j0 */
    ops_act act;
    q8_avx2_out q;
    const uint8_t *res; size_t ldr; __m256i res_zero; __m256 res_scale;
    uint8_t *c; size_t ldc;
} q8_tile;

static inline __attribute__((always_inline)) void tile(const int mr, const q8_tile *t)
{
    __m256i acc[Q8_MR][2];
    for (int r = 0; r < mr; r++) acc[r][0] = acc[r][1] = _mm256_setzero_si256();
    const int32_t *bp = t->b;
    for (size_t q = 0; q < t->kp; q++, bp += Q8_NR) {
        const __m256i b0 = _mm256_load_si256((const __m256i *)(const void *)bp);
        const __m256i b1 = _mm256_load_si256((const __m256i *)(const void *)(bp + 8));
        for (int r = 0; r < mr; r++) {
            const __m256i av = _mm256_set1_epi32(t->a[(size_t)r * t->kp + q]);
            acc[r][0] = _mm256_add_epi32(acc[r][0], _mm256_madd_epi16(av, b0));
            acc[r][1] = _mm256_add_epi32(acc[r][1], _mm256_madd_epi16(av, b1));
        }
    }
    const __m256i corr0 = _mm256_load_si256((const __m256i *)(const void *)bp);
    const __m256i corr1 = _mm256_load_si256((const __m256i *)(const void *)(bp + 8));
    float mult[16] = { 0 }, bias[16] = { 0 };
    for (size_t j = 0; j < t->nr; j++) { mult[j] = t->mult[j]; if (t->bias) bias[j] = t->bias[j]; }
    const __m256 m0 = _mm256_loadu_ps(mult), m1 = _mm256_loadu_ps(mult + 8);
    const __m256 bb0 = _mm256_loadu_ps(bias), bb1 = _mm256_loadu_ps(bias + 8);
    const int has_bias = t->bias != 0, has_res = t->res != 0;
    for (int r = 0; r < mr; r++) {
        __m256 r0 = _mm256_setzero_ps(), r1 = r0;
        if (has_res) {
            uint8_t rb[16] = { 0 };
            const uint8_t *rp = t->res + (size_t)r * t->ldr;
            if (t->nr == 16) memcpy(rb, rp, 16); else memcpy(rb, rp, t->nr);
            r0 = q8_avx2_res8(rb, t->res_zero, t->res_scale);
            r1 = q8_avx2_res8(rb + 8, t->res_zero, t->res_scale);
        }
        const __m256i q0 = q8_avx2_finish(_mm256_sub_epi32(acc[r][0], corr0), m0, bb0, has_bias, t->act, r0, has_res, &t->q);
        const __m256i q1 = q8_avx2_finish(_mm256_sub_epi32(acc[r][1], corr1), m1, bb1, has_bias, t->act, r1, has_res, &t->q);
        const __m128i out = q8_avx2_pack16(q0, q1);
        uint8_t *cp = t->c + (size_t)r * t->ldc;
        if (t->nr == 16) _mm_storeu_si128((__m128i *)(void *)cp, out);
        else { uint8_t ob[16]; _mm_storeu_si128((__m128i *)(void *)ob, out); memcpy(cp, ob, t->nr); }
    }
}

static void tile_rows(size_t mr, const q8_tile *t)
{
    switch (mr) {
    case 6: tile(6, t); break;
    case 5: tile(5, t); break;
    case 4: tile(4, t); break;
    case 3: tile(3, t); break;
    case 2: tile(2, t); break;
    default: tile(1, t); break;
    }
}

ops_status q8_gemm_6x16_avx2(const ops_q8_gemm_args *g, void *scratch)
{
    if (!g || (g->m && g->n && (!g->a || !g->c || !g->out.mult || !g->k))) return OPS_ERR_ARG;
    const size_t m = g->m, n = g->n, k = g->k;
    if (!m || !n) return OPS_OK;
    /* without a packed B (tests, tables that call it directly) fall back to
     * the reference: the layout above is only built by gemm_pack */
    if (!g->b_packed || !scratch) return q8_gemm_scalar(g, scratch);
    int32_t *a16 = (int32_t *)(((uintptr_t)scratch + 31) & ~(uintptr_t)31);
    q8_tile t;
    t.kp = kp_of(k);
    t.act = g->out.act;
    t.q = q8_avx2_out_of(&g->out);
    t.res_zero = _mm256_set1_epi32(g->res_zero);
    t.res_scale = _mm256_set1_ps(g->res_scale);
    t.ldr = g->res_stride;
    t.ldc = g->c_stride;
    t.a = a16;
    for (size_t i = 0; i < m; i += Q8_MR) {
        const size_t mr = m - i < Q8_MR ? m - i : Q8_MR;
        widen_rows(g->a + i * g->a_stride, g->a_stride, mr, k, a16);
        for (size_t j0 = 0; j0 < n; j0 += Q8_NR) {
            t.nr = n - j0 < Q8_NR ? n - j0 : Q8_NR;
            t.b = (const int32_t *)(const void *)((const uint8_t *)g->b_packed + j0 / Q8_NR * panel_bytes(k));
            t.mult = g->out.mult + j0;
            t.bias = g->out.bias ? g->out.bias + j0 : 0;
            t.res = g->res ? g->res + i * g->res_stride + j0 : 0;
            t.c = g->c + i * g->c_stride + j0;
            tile_rows(mr, &t);
        }
    }
    return OPS_OK;
}
