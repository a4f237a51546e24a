/*
 * q8-gemm-6x16-avx2.c -- every int8 1x1 convolution: uint8 A x int8 B in
 * 6-row x 16-column register tiles of int32 sums, then the epilogue of
 * ops/q8.h (q8-avx2.h) on the tile.
 *
 * Two inner loops, both exact (so both give the scalar reference's bits);
 * the packer picks one per panel of 16 columns from the weights it holds:
 *  - "u8s8": when every weight of the panel lies in [-64, 63] (a model
 *    converted with --weight-bits 7), vpmaddubsw multiplies 32 byte pairs
 *    at once and cannot saturate (2 x 255 x 64 < 32767); vpmaddwd against
 *    ones widens four k into int32. 36 instructions per 6x16x4 step.
 *  - "i16": any int8 weights. A and B widened to int16, vpmaddwd sums two
 *    k exactly. 32 instructions per 6x16x2 step: ~1.8x the u8s8 cost, and
 *    still ahead of the float kernel's 20 per 6x16x1.
 * (vpmaddubsw with full 8-bit weights would saturate at 2 x 255 x 127 and
 * differ from the reference; ONNX Runtime's "reduce_range" exists for the
 * same reason.)
 * The zero point of A is not subtracted in the loop: acc = sum a*w -
 * a_zero * colsum(w), the column term precomputed when B is packed -- the
 * same integer as the scalar reference's sum.
 *
 * Packed B, the table's own layout (ops/dispatch.h): per panel of 16
 * columns, a 128-byte header (16 int32 a_zero * colsum, then the mode),
 * then the panel's B: u8s8: ceil(k/4) rows of 16 columns x 4 int8 (k
 * quads); i16: ceil(k/2) rows of 16 columns x 2 int16 (k pairs); padding
 * zero. Every panel has the i16 size, so the panel of column j0 starts at
 * (j0 / 16) * panel_bytes(k) whatever the modes.
 */
#include <immintrin.h>
#include "kernels-internal.h"
#include "q8-avx2.h"

#define Q8_MR 6
#define Q8_NR 16
#define HEADER_BYTES 128u
enum { MODE_I16 = 0, MODE_U8S8 = 1 };

static size_t kp_of(size_t k) { return (k + 1) / 2; }   /* k pairs */
static size_t kq_of(size_t k) { return (k + 3) / 4; }   /* k quads */
static size_t panel_bytes(size_t k) { return HEADER_BYTES + kp_of(k) * Q8_NR * 4; }

size_t q8_gemm_pack_buffer_size_avx2(size_t n, size_t k)
{
    return (n + Q8_NR - 1) / Q8_NR * panel_bytes(k);
}

size_t q8_gemm_pack_offset_avx2(size_t j0, size_t k)
{
    return j0 / Q8_NR * panel_bytes(k);
}

/* Scratch: the tile's A rows, k padded to a multiple of 4, as uint8 and
 * (for i16 panels) widened to int16; 32-byte aligned. */
size_t q8_gemm_buffer_size_avx2(size_t m, size_t n, size_t k)
{
    (void)m; (void)n;
    return Q8_MR * kq_of(k) * 4 + Q8_MR * kp_of(k) * 4 + 64;
}

/* Row kk of B's panel at column j0 (16 bytes; zeros past k or past the
 * nr valid columns). */
static inline __m128i b_row(const ops_q8_gemm_args *g, size_t kk, size_t j0, size_t nr)
{
    if (kk >= g->k) return _mm_setzero_si128();
    const int8_t *p = g->b + kk * g->b_stride + j0;
    if (nr == Q8_NR) return _mm_loadu_si128((const __m128i *)(const void *)p);
    int8_t t[16] = { 0 };
    memcpy(t, p, nr);
    return _mm_loadu_si128((const __m128i *)(const void *)t);
}

/* One panel: the mode from the weights' range, the column sums, B laid
 * out for that mode. 16-byte rows interleaved with unpacks: four k rows
 * into [column][4 bytes] (u8s8), or two into [column][2 int16] (i16). */
static void pack_panel(const ops_q8_gemm_args *g, size_t j0, uint8_t *panel)
{
    const size_t k = g->k, nr = g->n - j0 < Q8_NR ? g->n - j0 : Q8_NR;
    __m128i lo = _mm_setzero_si128(), hi = lo;
    for (size_t kk = 0; kk < k; kk++) {
        const __m128i r = b_row(g, kk, j0, nr);
        lo = _mm_min_epi8(lo, r);
        hi = _mm_max_epi8(hi, r);
    }
    /* every byte in [-64, 63]: lo + 64 and 63 - hi stay non-negative */
    const int small = _mm_movemask_epi8(_mm_or_si128(_mm_cmplt_epi8(lo, _mm_set1_epi8(-64)),
                                                     _mm_cmpgt_epi8(hi, _mm_set1_epi8(63)))) == 0;
    __m256i sum0 = _mm256_setzero_si256(), sum1 = sum0;   /* columns 0-7, 8-15 */
    const __m256i ones16 = _mm256_set1_epi16(1);
    const __m128i one8 = _mm_set1_epi8(1), one16 = _mm_set1_epi16(1);
    __m128i s4[4] = { _mm_setzero_si128(), _mm_setzero_si128(), _mm_setzero_si128(), _mm_setzero_si128() };
    if (small) {
        __m128i *p = (__m128i *)(void *)(panel + HEADER_BYTES);
        for (size_t kk = 0; kk < k; kk += 4, p += 4) {
            const __m128i r0 = b_row(g, kk, j0, nr), r1 = b_row(g, kk + 1, j0, nr);
            const __m128i r2 = b_row(g, kk + 2, j0, nr), r3 = b_row(g, kk + 3, j0, nr);
            const __m128i t0 = _mm_unpacklo_epi8(r0, r1), t1 = _mm_unpackhi_epi8(r0, r1);
            const __m128i t2 = _mm_unpacklo_epi8(r2, r3), t3 = _mm_unpackhi_epi8(r2, r3);
            const __m128i q0 = _mm_unpacklo_epi16(t0, t2), q1 = _mm_unpackhi_epi16(t0, t2);
            const __m128i q2 = _mm_unpacklo_epi16(t1, t3), q3 = _mm_unpackhi_epi16(t1, t3);
            _mm_store_si128(p, q0); _mm_store_si128(p + 1, q1); _mm_store_si128(p + 2, q2); _mm_store_si128(p + 3, q3);
            /* column sums: each column's four bytes (1 x w, exact in int16) */
            s4[0] = _mm_add_epi32(s4[0], _mm_madd_epi16(_mm_maddubs_epi16(one8, q0), one16));   /* columns 0-3 */
            s4[1] = _mm_add_epi32(s4[1], _mm_madd_epi16(_mm_maddubs_epi16(one8, q1), one16));   /* 4-7 */
            s4[2] = _mm_add_epi32(s4[2], _mm_madd_epi16(_mm_maddubs_epi16(one8, q2), one16));   /* 8-11 */
            s4[3] = _mm_add_epi32(s4[3], _mm_madd_epi16(_mm_maddubs_epi16(one8, q3), one16));   /* 12-15 */
        }
        sum0 = _mm256_set_m128i(s4[1], s4[0]);
        sum1 = _mm256_set_m128i(s4[3], s4[2]);
    } else {
        __m256i *p = (__m256i *)(void *)(panel + HEADER_BYTES);
        for (size_t kk = 0; kk < k; kk += 2, p += 2) {
            const __m128i r0 = b_row(g, kk, j0, nr), r1 = b_row(g, kk + 1, j0, nr);
            const __m256i w0 = _mm256_cvtepi8_epi16(_mm_unpacklo_epi8(r0, r1));   /* columns 0-7, (k, k+1) */
            const __m256i w1 = _mm256_cvtepi8_epi16(_mm_unpackhi_epi8(r0, r1));   /* columns 8-15 */
            _mm256_store_si256(p, w0); _mm256_store_si256(p + 1, w1);
            sum0 = _mm256_add_epi32(sum0, _mm256_madd_epi16(w0, ones16));
            sum1 = _mm256_add_epi32(sum1, _mm256_madd_epi16(w1, ones16));
        }
    }
    int32_t *corr = (int32_t *)(void *)panel;
    const __m256i z = _mm256_set1_epi32(g->a_zero);
    _mm256_store_si256((__m256i *)(void *)corr, _mm256_mullo_epi32(sum0, z));
    _mm256_store_si256((__m256i *)(void *)(corr + 8), _mm256_mullo_epi32(sum1, z));
    corr[Q8_NR] = small ? MODE_U8S8 : MODE_I16;
}

ops_status q8_gemm_pack_avx2(const ops_q8_gemm_args *g, void *dst)
{
    if (!g || !g->b || !dst || ((uintptr_t)dst & 31)) return OPS_ERR_ARG;
    for (size_t j0 = 0; j0 < g->n; j0 += Q8_NR) pack_panel(g, j0, (uint8_t *)dst + j0 / Q8_NR * panel_bytes(g->k));
    return OPS_OK;
}

/* The tile's mr rows of A into scratch: uint8 with k padded to 4 (u8), and
 * widened to int16 with k padded to 2 (a16) when i16 panels need them. */
static void copy_rows(const uint8_t *a, size_t lda, size_t mr, size_t k, int widen, uint8_t *u8, int16_t *a16)
{
    const size_t kq4 = kq_of(k) * 4, kp2 = kp_of(k) * 2;
    for (size_t r = 0; r < mr; r++) {
        const uint8_t *src = a + r * lda;
        uint8_t *d = u8 + r * kq4;
        memcpy(d, src, k);
        memset(d + k, 0, kq4 - k);
        if (!widen) continue;
        int16_t *w = a16 + r * kp2;
        size_t i = 0;
        for (; i + 16 <= k; i += 16)
            _mm256_storeu_si256((__m256i *)(void *)(w + i), _mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i *)(const void *)(src + i))));
        for (; i < kp2; i++) w[i] = i < k ? src[i] : 0;
    }
}

typedef struct q8_tile {
    const uint8_t *a8;            /* rows of ceil(k/4)*4 uint8 */
    const int16_t *a16;           /* rows of ceil(k/2)*2 int16 */
    const uint8_t *panel;         /* header, then B */
    size_t k, nr;                 /* nr: valid columns 1..16 */
    __m256 m0, m1, b0, b1;        /* the panel's epilogue factors */
    int has_bias;
    ops_act act;
    q8_avx2_out q;
    const uint8_t *res; size_t ldr; __m256i res_zero; __m256 res_scale;
    uint8_t *c; size_t ldc;
} q8_tile;

#define ACC_DECL __m256i c00 = _mm256_setzero_si256(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, \
                         c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00
#define ROW_STEP(r, op)                                                                                \
    if (mr > r) {                                                                                      \
        const __m256i av = _mm256_set1_epi32(ap[(size_t)(r) * lda]);                                   \
        c##r##0 = _mm256_add_epi32(c##r##0, op(av, vb0));                                              \
        c##r##1 = _mm256_add_epi32(c##r##1, op(av, vb1));                                              \
    }

static inline __m256i madd_u8s8(__m256i a, __m256i b)
{
    return _mm256_madd_epi16(_mm256_maddubs_epi16(a, b), _mm256_set1_epi16(1));
}

static inline __attribute__((always_inline)) void store_row(const q8_tile *t, int r, __m256i acc0, __m256i acc1,
                                                            __m256i corr0, __m256i corr1)
{
    __m256 r0 = _mm256_setzero_ps(), r1 = r0;
    const int has_res = t->res != 0;
    if (has_res) {
        uint8_t rb[16];
        const uint8_t *rp = t->res + (size_t)r * t->ldr;
        if (t->nr < 16) { memset(rb, 0, 16); memcpy(rb, rp, t->nr); rp = rb; }
        r0 = q8_avx2_res8(rp, t->res_zero, t->res_scale);
        r1 = q8_avx2_res8(rp + 8, t->res_zero, t->res_scale);
    }
    const __m256i q0 = q8_avx2_finish(_mm256_sub_epi32(acc0, corr0), t->m0, t->b0, t->has_bias, t->act, r0, has_res, &t->q);
    const __m256i q1 = q8_avx2_finish(_mm256_sub_epi32(acc1, corr1), t->m1, t->b1, t->has_bias, t->act, r1, has_res, &t->q);
    const __m128i out = q8_avx2_pack16(q0, q1);
    uint8_t *cp = t->c + (size_t)r * t->ldc;
    if (t->nr == 16) _mm_storeu_si128((__m128i *)(void *)cp, out);
    else { uint8_t ob[16]; _mm_storeu_si128((__m128i *)(void *)ob, out); memcpy(cp, ob, t->nr); }
}

static inline __attribute__((always_inline)) void tile(const int mr, const int u8s8, const q8_tile *t)
{
    ACC_DECL;
    const int32_t *bp = (const int32_t *)(const void *)(t->panel + HEADER_BYTES);
    if (u8s8) {
        const size_t kq = kq_of(t->k), lda = kq;
        const int32_t *a = (const int32_t *)(const void *)t->a8;
        for (size_t q = 0; q < kq; q++, bp += Q8_NR) {
            const __m256i vb0 = _mm256_load_si256((const __m256i *)(const void *)bp);
            const __m256i vb1 = _mm256_load_si256((const __m256i *)(const void *)(bp + 8));
            const int32_t *ap = a + q;
            ROW_STEP(0, madd_u8s8) ROW_STEP(1, madd_u8s8) ROW_STEP(2, madd_u8s8)
            ROW_STEP(3, madd_u8s8) ROW_STEP(4, madd_u8s8) ROW_STEP(5, madd_u8s8)
        }
    } else {
        const size_t kp = kp_of(t->k), lda = kp;
        const int32_t *a = (const int32_t *)(const void *)t->a16;
        for (size_t q = 0; q < kp; q++, bp += Q8_NR) {
            const __m256i vb0 = _mm256_load_si256((const __m256i *)(const void *)bp);
            const __m256i vb1 = _mm256_load_si256((const __m256i *)(const void *)(bp + 8));
            const int32_t *ap = a + q;
            ROW_STEP(0, _mm256_madd_epi16) ROW_STEP(1, _mm256_madd_epi16) ROW_STEP(2, _mm256_madd_epi16)
            ROW_STEP(3, _mm256_madd_epi16) ROW_STEP(4, _mm256_madd_epi16) ROW_STEP(5, _mm256_madd_epi16)
        }
    }
    const __m256i corr0 = _mm256_load_si256((const __m256i *)(const void *)t->panel);
    const __m256i corr1 = _mm256_load_si256((const __m256i *)(const void *)(t->panel + 32));
    store_row(t, 0, c00, c01, corr0, corr1);
    if (mr > 1) store_row(t, 1, c10, c11, corr0, corr1);
    if (mr > 2) store_row(t, 2, c20, c21, corr0, corr1);
    if (mr > 3) store_row(t, 3, c30, c31, corr0, corr1);
    if (mr > 4) store_row(t, 4, c40, c41, corr0, corr1);
    if (mr > 5) store_row(t, 5, c50, c51, corr0, corr1);
}
#undef ROW_STEP
#undef ACC_DECL

typedef void (*tile_fn)(const q8_tile *t);
#define TILE(mr, m) static void tile_##mr##_##m(const q8_tile *t) { tile(mr, m, t); }
TILE(1, 0) TILE(2, 0) TILE(3, 0) TILE(4, 0) TILE(5, 0) TILE(6, 0)
TILE(1, 1) TILE(2, 1) TILE(3, 1) TILE(4, 1) TILE(5, 1) TILE(6, 1)
#undef TILE
static const tile_fn tiles[2][Q8_MR] = {
    { tile_1_0, tile_2_0, tile_3_0, tile_4_0, tile_5_0, tile_6_0 },
    { tile_1_1, tile_2_1, tile_3_1, tile_4_1, tile_5_1, tile_6_1 },
};

ops_status q8_gemm_6x16_avx2(const ops_q8_gemm_args *g, void *scratch)
{
    if (!g || (g->m && g->n && (!g->a || !g->c || !g->out.mult || !g->k))) return OPS_ERR_ARG;
    const size_t m = g->m, n = g->n, k = g->k;
    if (!m || !n) return OPS_OK;
    /* without a packed B (tests, callers that do not pack) the reference:
     * the layout above is only built by q8_gemm_pack_avx2 */
    if (!g->b_packed || !scratch) return q8_gemm_scalar(g, scratch);
    uint8_t *a8 = (uint8_t *)(((uintptr_t)scratch + 31) & ~(uintptr_t)31);
    int16_t *a16 = (int16_t *)(void *)(a8 + ((Q8_MR * kq_of(k) * 4 + 31) & ~(size_t)31));
    const uint8_t *packed = g->b_packed;
    int any_i16 = 0;
    for (size_t j0 = 0; j0 < n; j0 += Q8_NR)
        any_i16 |= ((const int32_t *)(const void *)(packed + j0 / Q8_NR * panel_bytes(k)))[Q8_NR] == MODE_I16;

    q8_tile t;
    t.k = k;
    t.act = g->out.act;
    t.q = q8_avx2_out_of(&g->out);
    t.has_bias = g->out.bias != 0;
    t.res_zero = _mm256_set1_epi32(g->res_zero);
    t.res_scale = _mm256_set1_ps(g->res_scale);
    t.ldr = g->res_stride;
    t.ldc = g->c_stride;
    t.a8 = a8;
    t.a16 = a16;
    for (size_t i = 0; i < m; i += Q8_MR) {
        const size_t mr = m - i < Q8_MR ? m - i : Q8_MR;
        copy_rows(g->a + i * g->a_stride, g->a_stride, mr, k, any_i16, a8, a16);
        for (size_t j0 = 0; j0 < n; j0 += Q8_NR) {
            t.nr = n - j0 < Q8_NR ? n - j0 : Q8_NR;
            t.panel = packed + j0 / Q8_NR * panel_bytes(k);
            float mult[16] = { 0 }, bias[16] = { 0 };
            memcpy(mult, g->out.mult + j0, t.nr * sizeof(float));
            if (g->out.bias) memcpy(bias, g->out.bias + j0, t.nr * sizeof(float));
            t.m0 = _mm256_loadu_ps(mult); t.m1 = _mm256_loadu_ps(mult + 8);
            t.b0 = _mm256_loadu_ps(bias); t.b1 = _mm256_loadu_ps(bias + 8);
            t.res = g->res ? g->res + i * g->res_stride + j0 : 0;
            t.c = g->c + i * g->c_stride + j0;
            const int mode = ((const int32_t *)(const void *)t.panel)[Q8_NR];
            tiles[mode == MODE_U8S8][mr - 1](&t);
        }
    }
    return OPS_OK;
}
