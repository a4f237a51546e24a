/*
 * q16-gemm-6x16.h -- every 16x8 1x1 convolution on AVX2: int16 A x int8 B
 * in 6-row x 16-column register tiles, then the epilogue of ops/q16.h
 * (q16-avx2.h) on the tile. Bit for bit the scalar reference. One body,
 * two instantiations: q16-gemm-6x16-avx2.c (Q16G_VNNI 0) and
 * q16-gemm-6x16-avxvnni.c (Q16G_VNNI 1: each vpmaddwd + vpaddd of the k
 * loop one VEX vpdpwssd, the same integers). Both read the same packed B;
 * the packer and the size companions are the avx2 file's. Measured
 * (`effad bench --layers`, 16x8 models, one thread pinned, shared Zen 5,
 * two alternated runs): the 1x1 layers of B0 5.11 -> 4.61-4.63 ms, of B4
 * 45.6-46.5 -> 40.6 ms (76-77 -> 87 GMAC/s); whole passes (with the
 * depthwise by vpdpwssd too) B0 8.26 -> 7.49, B4 76.2-79.2 -> 67.9-68.5.
 *
 * The sum. B is packed as int16 k pairs, so one vpmaddwd of a broadcast
 * int32 holding (a[k], a[k+1]) against a packed row gives 8 columns' sums
 * of two products, exactly: |a * w| <= 2^15 * 2^7, a pair sum < 2^23. 6x16x2
 * per step: 6 broadcasts, 2 B loads, 12 multiplies, 12 adds -- the int8
 * GEMM's "i16" loop, with A read where it lies (it is int16 already, so
 * there is no widening copy). An odd last k is a step of its own whose
 * broadcast holds (a[k-1], 0): the pair's second weight is a packed zero,
 * and reading a[k] could run past the end of A.
 *
 * Exactness past int32. The int32 lanes hold 255 pair steps at worst
 * (255 * 2^23 < 2^31), i.e. k <= 510: every layer of B0 up to its 672-
 * channel projections. Longer k (1152 in B0, 2688 in B4) is summed in
 * blocks of 255 steps, each block's lanes widened and added into int64 in
 * memory (a few instructions per 255 steps). The integer is the
 * reference's whatever the grouping, and is converted to float once: an
 * int32 sum by cvtdq2ps, an int64 one (|x| < 2^34 here, far below the
 * trick's 2^51) exactly to double by the 2^52 magic number, then by
 * cvtpd2ps, which rounds once to nearest even like the C conversion.
 *
 * Registers: 12 accumulators, 2 B vectors, the broadcast and one product:
 * all 16 ymm, so the loop holds nothing else.
 *
 * Epilogue: the activation is a compile-time constant of the tile (swish:
 * the expands and the head; none: the projections, with the residual;
 * anything else through a switch). A row's 16 columns are two vectors of
 * rounded int32, one vpackssdw (which also clamps from below, q16-avx2.h)
 * and one permute from 32 bytes of C.
 *
 * Loop order (as the int8 GEMM): packed B up to B_SWEEP_BYTES is swept by
 * each 6-row tile across all its panels in one call; bigger B is taken
 * panel by panel against blocks of A rows that fit in L2, so a panel is
 * read from L3 once per block, not once per tile.
 *
 * Packed B, the table's own layout (ops/dispatch.h): per panel of 16
 * columns, ceil(k/2) rows of 16 columns x (w[k], w[k+1]) as int16 -- the
 * first 8 columns' pairs, then the last 8 -- padding zero. The panel of
 * column j0 starts at (j0 / 16) * ceil(k/2) * 64 bytes. No header: with
 * zero point 0 there are no column sums to carry.
 */
#ifndef Q16G_VNNI
#error "define Q16G_VNNI (0 or 1) and Q16G_FN before including q16-gemm-6x16.h"
#endif
#include <immintrin.h>
#include "kernels-internal.h"
#include "q16-avx2.h"

#define Q16_MR 6
#define Q16_NR 16
/* k pairs per int32 block (see the top). */
#define BLOCK_STEPS 255u
/* Packed B up to this size is read from L2 by every 6-row tile. */
#define B_SWEEP_BYTES (128u << 10)
/* Above it, A is taken in blocks of about this many bytes. */
#define A_BLOCK_BYTES (128u << 10)
enum { EPI_ACT = 0, EPI_SWISH = 1, EPI_NONE = 2 };

#define Q16_ALWAYS static inline __attribute__((always_inline))

static size_t kp_of(size_t k) { return (k + 1) / 2; }
static size_t panel_bytes(size_t k) { return kp_of(k) * Q16_NR * 4; }

#if !Q16G_VNNI   /* the sizes and the packer serve both tables */
size_t q16_gemm_pack_buffer_size_avx2(size_t n, size_t k)
{
    return (n + Q16_NR - 1) / Q16_NR * panel_bytes(k);
}

size_t q16_gemm_pack_offset_avx2(size_t j0, size_t k)
{
    return j0 / Q16_NR * panel_bytes(k);
}

/* No scratch: A is read in place and the epilogue factors per panel. */
size_t q16_gemm_buffer_size_avx2(size_t m, size_t n, size_t k)
{
    (void)m; (void)n; (void)k;
    return 0;
}

/* ---------------------------------------------------------------- pack */

/* Row kk of B's panel at column j0 (16 int8; zeros past k or past the nr
 * valid columns). */
static __m128i b_row(const ops_q16_gemm_args *g, size_t kk, size_t j0, size_t nr)
{
    if (kk >= g->k) return _mm_setzero_si128();
    const int8_t *p = g->b + kk * g->b_stride + j0;
    if (nr == Q16_NR) return _mm_loadu_si128((const __m128i *)(const void *)p);
    int8_t t[16] = { 0 };
    memcpy(t, p, nr);
    return _mm_loadu_si128((const __m128i *)(const void *)t);
}

ops_status q16_gemm_pack_avx2(const ops_q16_gemm_args *g, void *dst)
{
    if (!g || !g->b || !dst) return OPS_ERR_ARG;
    const size_t n = g->n, kp = kp_of(g->k);
    for (size_t j0 = 0; j0 < n; j0 += Q16_NR) {
        const size_t nr = n - j0 < Q16_NR ? n - j0 : Q16_NR;
        uint8_t *panel = (uint8_t *)dst + q16_gemm_pack_offset_avx2(j0, g->k);
        for (size_t s = 0; s < kp; s++) {
            const __m128i r0 = b_row(g, 2 * s, j0, nr), r1 = b_row(g, 2 * s + 1, j0, nr);
            __m256i *p = (__m256i *)(void *)(panel + s * Q16_NR * 4);
            _mm256_storeu_si256(p, _mm256_cvtepi8_epi16(_mm_unpacklo_epi8(r0, r1)));       /* columns 0-7 */
            _mm256_storeu_si256(p + 1, _mm256_cvtepi8_epi16(_mm_unpackhi_epi8(r0, r1)));   /* 8-15 */
        }
    }
    return OPS_OK;
}
#endif

/* -------------------------------------------------------------- tiles */

typedef struct q16_tile {
    const int16_t *a;             /* the tile's first A row */
    size_t lda;                   /* elements from one A row to the next */
    const uint8_t *panel;         /* the first of `panels` consecutive panels */
    size_t panels, panel_bytes;
    size_t k;
    size_t nr;                    /* valid columns 1..16 (16 when panels > 1) */
    const float *mult, *bias;     /* column 0 of the first panel; bias may be NULL */
    ops_act act;
    q8_avx2_out q;
    const int16_t *res; size_t ldr; __m256 res_scale;
    int16_t *c; size_t ldc;
} q16_tile;

Q16_ALWAYS __m256i bcast2(const int16_t *p)
{
    int32_t v;
    memcpy(&v, p, 4);
    return _mm256_set1_epi32(v);
}

/* An exact int64 (|x| < 2^51) lane by lane to float, rounded once (see the
 * top). */
Q16_ALWAYS __m128 i64_to_ps(__m256i x)
{
    const __m256d magic = _mm256_set1_pd(0x1.8p52);
    const __m256d d = _mm256_sub_pd(_mm256_castsi256_pd(_mm256_add_epi64(x, _mm256_castpd_si256(magic))), magic);
    return _mm256_cvtpd_ps(d);
}

/* ops_q16_finish on 8 lanes up to the rounding. */
Q16_ALWAYS __m256i finish8(const q16_tile *t, const int epi, __m256 accf, __m256 m, __m256 b, const int16_t *res)
{
    __m256 x = _mm256_fmadd_ps(accf, m, b);
    if (epi == EPI_SWISH) x = q8_avx2_swish(x, 0);
    else if (epi == EPI_ACT) x = q8_avx2_act(x, t->act, 0);
    if (res) x = q16_avx2_add_res8(x, res, t->res_scale);
    return q8_avx2_round(x, &t->q);
}

/* Row r of panel p of the tile to C; x0, x1: its sums as float (columns
 * 0-7, 8-15). */
Q16_ALWAYS void store_row_body(const q16_tile *t, size_t p, const int epi, int r, __m256 x0, __m256 x1)
{
    const size_t nr = t->nr, col = p * Q16_NR;
    /* nr 8 (B4's 24- and 56-column layers end in one): the upper lanes are
     * neither finished nor stored; other partial panels through buffers */
    const int eight = nr == 8, upper = nr > 8;
    const int16_t *res = 0;
    int16_t rbuf[16];
    if (t->res) {
        res = t->res + (size_t)r * t->ldr + col;
        if (nr < Q16_NR && !eight) {
            memset(rbuf, 0, sizeof rbuf);
            memcpy(rbuf, res, nr * sizeof(int16_t));
            res = rbuf;
        }
    }
    const __m256 m0 = _mm256_loadu_ps(t->mult + col), m1 = upper ? _mm256_loadu_ps(t->mult + col + 8) : m0;
    __m256 b0 = _mm256_setzero_ps(), b1 = b0;
    if (t->bias) {
        b0 = _mm256_loadu_ps(t->bias + col);
        if (upper) b1 = _mm256_loadu_ps(t->bias + col + 8);
    }
    int16_t *c = t->c + (size_t)r * t->ldc + col;
    const __m256i y0 = finish8(t, epi, x0, m0, b0, res);
    if (eight) {
        q16_avx2_store8(c, y0);
        return;
    }
    const __m256i v = q16_avx2_pack16(y0, finish8(t, epi, x1, m1, b1, res ? res + 8 : 0));
    if (nr == Q16_NR) {
        _mm256_storeu_si256((__m256i *)(void *)c, v);
    } else {
        int16_t ob[16];
        _mm256_storeu_si256((__m256i *)(void *)ob, v);
        memcpy(c, ob, nr * sizeof(int16_t));
    }
}

/* Out of line, one per epilogue: inlined into the tile, the swish's
 * registers made GCC spill an accumulator inside the k loop. */
#define STORE_ROW(name, e) \
    static __attribute__((noinline)) void name(const q16_tile *t, size_t p, int r, __m256 x0, __m256 x1) \
    { store_row_body(t, p, e, r, x0, x1); }
STORE_ROW(store_row_act, EPI_ACT)
STORE_ROW(store_row_swish, EPI_SWISH)
STORE_ROW(store_row_none, EPI_NONE)
#undef STORE_ROW

Q16_ALWAYS void store_row(const q16_tile *t, size_t p, const int epi, int r, __m256 x0, __m256 x1)
{
    if (epi == EPI_SWISH) store_row_swish(t, p, r, x0, x1);
    else if (epi == EPI_NONE) store_row_none(t, p, r, x0, x1);
    else store_row_act(t, p, r, x0, x1);
}

/* One k step of row r: op SET starts the sums with it, ADD adds to them.
 * (Starting from the first step rather than from zero is not for the
 * saved instruction: given twelve zero-initialised accumulators, GCC 12
 * spilled nine of them in the loop.) */
#if Q16G_VNNI
/* acc + a . b in int16 pairs by VEX VPDPWSSD. In asm for the reason the
 * int8 GEMMs give (q8-gemm-6x16.h): GCC 12 does not keep the intrinsic's
 * accumulator in one register across the loop. */
Q16_ALWAYS __m256i dpwssd(__m256i acc, __m256i a, __m256i b)
{
    __asm__("%{vex%} vpdpwssd %2, %1, %0" : "+x"(acc) : "x"(a), "x"(b));
    return acc;
}
#define ADD(acc, a, b) acc = dpwssd(acc, (a), (b));
#else
#define ADD(acc, a, b) acc = _mm256_add_epi32(acc, _mm256_madd_epi16((a), (b)));
#endif
#define SET(acc, a, b) acc = _mm256_madd_epi16((a), (b));
#define STEP(r, av, op)                                  \
    if (mr > r) {                                        \
        const __m256i x_ = (av);                         \
        op(c##r##0, x_, vb0)                             \
        op(c##r##1, x_, vb1)                             \
    }
#define STEPS(s, op)                                                                                      \
    {                                                                                                     \
        const __m256i vb0 = _mm256_loadu_si256(bp + 2 * (s)), vb1 = _mm256_loadu_si256(bp + 2 * (s) + 1); \
        STEP(0, bcast2(a0 + 2 * (s)), op) STEP(1, bcast2(a1 + 2 * (s)), op)                              \
        STEP(2, bcast2(a2 + 2 * (s)), op) STEP(3, bcast2(a3 + 2 * (s)), op)                              \
        STEP(4, bcast2(a4 + 2 * (s)), op) STEP(5, bcast2(a5 + 2 * (s)), op)                              \
    }
/* the odd last k: (a[k-1], 0) against the pair (w[k-1], 0) */
#define TAIL(s, op)                                                                                       \
    {                                                                                                     \
        const __m256i vb0 = _mm256_loadu_si256(bp + 2 * (s)), vb1 = _mm256_loadu_si256(bp + 2 * (s) + 1); \
        STEP(0, _mm256_set1_epi32((uint16_t)a0[2 * (s)]), op) STEP(1, _mm256_set1_epi32((uint16_t)a1[2 * (s)]), op) \
        STEP(2, _mm256_set1_epi32((uint16_t)a2[2 * (s)]), op) STEP(3, _mm256_set1_epi32((uint16_t)a3[2 * (s)]), op) \
        STEP(4, _mm256_set1_epi32((uint16_t)a4[2 * (s)]), op) STEP(5, _mm256_set1_epi32((uint16_t)a5[2 * (s)]), op) \
    }
/* The int32 sums of k steps [s0, s1): full pairs, then the odd tail if
 * the block ends the row; a block may be the tail alone (k = 511). */
#define BLOCK(s0, s1)                                               \
    {                                                               \
        const size_t se_ = (s1) < kf ? (s1) : kf;                   \
        if (se_ > (s0)) {                                           \
            STEPS(s0, SET)                                          \
            for (size_t s = (s0) + 1; s < se_; s++) STEPS(s, ADD)   \
            if ((s1) > kf) TAIL(kf, ADD)                            \
        } else {                                                    \
            TAIL(kf, SET)                                           \
        }                                                           \
    }
/* a block's int32 sums of row r widened and added into w[r] */
#define FLUSH(r)                                                                                             \
    if (mr > r) {                                                                                            \
        __m256i *w_ = (__m256i *)(void *)w[r];                                                               \
        w_[0] = _mm256_add_epi64(w_[0], _mm256_cvtepi32_epi64(_mm256_castsi256_si128(c##r##0)));             \
        w_[1] = _mm256_add_epi64(w_[1], _mm256_cvtepi32_epi64(_mm256_extracti128_si256(c##r##0, 1)));        \
        w_[2] = _mm256_add_epi64(w_[2], _mm256_cvtepi32_epi64(_mm256_castsi256_si128(c##r##1)));             \
        w_[3] = _mm256_add_epi64(w_[3], _mm256_cvtepi32_epi64(_mm256_extracti128_si256(c##r##1, 1)));        \
    }

/* Panel p of the call's panels (see q16_tile); longk: k > 2 * BLOCK_STEPS. */
Q16_ALWAYS void tile(const int mr, const int epi, const int longk, const q16_tile *t, size_t p)
{
    const __m256i *bp = (const __m256i *)(const void *)(t->panel + p * t->panel_bytes);
    /* row pointers past mr stay on row 0: never read */
    const int16_t *a0 = t->a;
    const int16_t *a1 = mr > 1 ? a0 + t->lda : a0;
    const int16_t *a2 = mr > 2 ? a1 + t->lda : a0;
    const int16_t *a3 = mr > 3 ? a2 + t->lda : a0;
    const int16_t *a4 = mr > 4 ? a3 + t->lda : a0;
    const int16_t *a5 = mr > 5 ? a4 + t->lda : a0;
    const size_t k = t->k, kf = k / 2, kp = kp_of(k);
    __m256i c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51;
    if (!longk) {
        BLOCK(0, kp)
#define OUT32(r) \
    if (mr > r) store_row(t, p, epi, r, _mm256_cvtepi32_ps(c##r##0), _mm256_cvtepi32_ps(c##r##1));
        OUT32(0) OUT32(1) OUT32(2) OUT32(3) OUT32(4) OUT32(5)
#undef OUT32
        return;
    }
    _Alignas(32) int64_t w[Q16_MR][Q16_NR];
    memset(w, 0, sizeof w);
    for (size_t s0 = 0; s0 < kp; s0 += BLOCK_STEPS) {
        const size_t s1 = kp - s0 < BLOCK_STEPS ? kp : s0 + BLOCK_STEPS;
        BLOCK(s0, s1)
        FLUSH(0) FLUSH(1) FLUSH(2) FLUSH(3) FLUSH(4) FLUSH(5)
    }
    for (int r = 0; r < mr; r++) {
        const __m256i *w_ = (const __m256i *)(const void *)w[r];
        store_row(t, p, epi, r, _mm256_set_m128(i64_to_ps(w_[1]), i64_to_ps(w_[0])),
                  _mm256_set_m128(i64_to_ps(w_[3]), i64_to_ps(w_[2])));
    }
}
#undef FLUSH
#undef BLOCK
#undef ADD
#undef SET
#undef TAIL
#undef STEPS
#undef STEP

/* One call: the tile rows against t->panels consecutive panels (a row of
 * tiles across small B: one indirect call per 6 rows, not per panel). */
typedef void (*tile_fn)(const q16_tile *t);
#define TILE(mr, e, l) \
    static void tile_##mr##_##e##_##l(const q16_tile *t) { for (size_t p = 0; p < t->panels; p++) tile(mr, e, l, t, p); }
#define TILES(e, l) TILE(1, e, l) TILE(2, e, l) TILE(3, e, l) TILE(4, e, l) TILE(5, e, l) TILE(6, e, l)
#define ROWS(e, l) { tile_1_##e##_##l, tile_2_##e##_##l, tile_3_##e##_##l, tile_4_##e##_##l, tile_5_##e##_##l, tile_6_##e##_##l }
TILES(0, 0) TILES(1, 0) TILES(2, 0) TILES(0, 1) TILES(1, 1) TILES(2, 1)
static const tile_fn tiles[2][3][Q16_MR] = {
    { ROWS(0, 0), ROWS(1, 0), ROWS(2, 0) },
    { ROWS(0, 1), ROWS(1, 1), ROWS(2, 1) },
};
#undef ROWS
#undef TILES
#undef TILE

/* Rows of A per block (a multiple of the tile height; see the top). */
static size_t block_rows(size_t m, size_t n, size_t k)
{
    const size_t m6 = (m + Q16_MR - 1) / Q16_MR * Q16_MR;
    if (q16_gemm_pack_buffer_size_avx2(n, k) <= B_SWEEP_BYTES) return Q16_MR;
    size_t mc = A_BLOCK_BYTES / (k * sizeof(int16_t)) / Q16_MR * Q16_MR;
    if (mc < Q16_MR) mc = Q16_MR;
    return mc < m6 ? mc : m6;
}

ops_status Q16G_FN(q16_gemm_6x16)(const ops_q16_gemm_args *g, void *scratch)
{
    if (!g) return OPS_ERR_ARG;
    if (!g->m || !g->n) return OPS_OK;
    if (!g->a || !g->c || !g->out.mult || g->k == 0) return OPS_ERR_ARG;
    /* without a packed B (callers that do not pack) the reference: the
     * layout above is only built by q16_gemm_pack_avx2 */
    if (!g->b_packed) return q16_gemm_scalar(g, scratch);
    const size_t m = g->m, n = g->n, k = g->k;
    const size_t mc = block_rows(m, n, k), pb = panel_bytes(k);
    const int longk = kp_of(k) > BLOCK_STEPS;
    const int epi = g->out.act.kind == OPS_ACT_SWISH ? EPI_SWISH : g->out.act.kind == OPS_ACT_NONE ? EPI_NONE : EPI_ACT;
    /* the factors of a last partial panel, zero-padded to its 16 columns */
    float tmult[Q16_NR] = { 0 }, tbias[Q16_NR] = { 0 };
    const size_t n16 = n / Q16_NR * Q16_NR;
    if (n16 < n) {
        memcpy(tmult, g->out.mult + n16, (n - n16) * sizeof(float));
        if (g->out.bias) memcpy(tbias, g->out.bias + n16, (n - n16) * sizeof(float));
    }

    q16_tile t;
    t.lda = g->a_stride;
    t.panel_bytes = pb;
    t.k = k;
    t.act = g->out.act;
    t.q = q16_avx2_out_for(&g->out);
    t.res_scale = _mm256_set1_ps(g->res_scale);
    t.ldr = g->res_stride;
    t.ldc = g->c_stride;
    for (size_t i0 = 0; i0 < m; i0 += mc) {
        const size_t rows = m - i0 < mc ? m - i0 : mc;
        for (size_t j0 = 0, j1; j0 < n; j0 = j1) {
            /* sweeping (one 6-row block): every full panel in one call */
            j1 = j0 + Q16_NR;
            if (mc == Q16_MR && j1 <= n) j1 = n16;
            t.panel = (const uint8_t *)g->b_packed + j0 / Q16_NR * pb;
            t.nr = n - j0 < Q16_NR ? n - j0 : Q16_NR;
            t.panels = j1 <= n ? (j1 - j0) / Q16_NR : 1;
            if (t.nr == Q16_NR) {
                t.mult = g->out.mult + j0;
                t.bias = g->out.bias ? g->out.bias + j0 : 0;
            } else {
                t.mult = tmult;
                t.bias = g->out.bias ? tbias : 0;
            }
            for (size_t i = 0; i < rows; i += Q16_MR) {
                const size_t mr = rows - i < Q16_MR ? rows - i : Q16_MR;
                t.a = g->a + (i0 + i) * g->a_stride;
                t.res = g->res ? g->res + (i0 + i) * g->res_stride + j0 : 0;
                t.c = g->c + (i0 + i) * g->c_stride + j0;
                tiles[longk][epi][mr - 1](&t);
            }
        }
    }
    return OPS_OK;
}
