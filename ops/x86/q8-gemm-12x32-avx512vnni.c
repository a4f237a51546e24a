/*
 * q8-gemm-12x32-avx512vnni.c -- every int8 1x1 convolution on CPUs with
 * AVX512_VNNI: uint8 A x int8 B in 12-row x 32-column tiles of int32 sums,
 * VPDPBUSD adding four u8 x s8 products into each lane per instruction,
 * then the epilogue of ops/q8.h sixteen lanes at a time (q8-avx512.h).
 * Bit-identical to the scalar reference (the sums are exact integers, the
 * epilogue the reference's float operations lane by lane).
 *
 * VPDPBUSD takes its first multiplicand unsigned and its second signed,
 * which is this GEMM's A and B as they are: any int8 weights (no 7-bit
 * mode, no widening to int16 as in the AVX2 kernel), and the sum is exact
 * (the non-saturating form, int32 lanes; a group of four products is at
 * most 4 x 255 x 128). As in the AVX2 kernel the zero point of A is not
 * subtracted in the loop: the accumulators start from -a_zero * colsum(w),
 * computed when B is packed -- the same integer as the reference's sum.
 *
 * A is read where it lies (4 bytes broadcast per row and step; the last,
 * partial k quad of a row a masked load of k % 4 bytes, so k needs no
 * padding copy). Only a call with a_mult (the squeeze-excite rescale)
 * copies A, requantised on zmm, block by block into the scratch: 6-21%
 * faster than the table's scale_channels pass followed by the GEMM
 * (9025x192x32 224 vs 283 us, 49x1152x192 28 vs 30 us), so the table
 * says gemm_a_mult.
 *
 * Registers: 24 accumulators, 2 B vectors, the broadcast A value. After
 * the k loop the sums are parked in L1 and the epilogue is a loop over
 * the rows (all rows unrolled made 4 KB of code per variant and was up
 * to 27% slower: the exponential's constants need the registers).
 * Variants per tile height 1-12, 1 or 2 vectors of columns (a last panel
 * of <= 16 columns: B0's 16- and B4's 24-column layers) and the
 * activation (swish: every expand and the head; none: the projections,
 * with the residual; anything else through a switch).
 *
 * Loop order as in the AVX2 kernel: packed B up to 128 KB (the early
 * layers) is swept whole by each 12-row tile; larger B meets blocks of A
 * rows of about 128 KB while every panel passes over them.
 *
 * Measured on a shared 2-vCPU Zen 5 (bench/bench-q8-kernels.c, the AVX2
 * int8 GEMM in the same process, alternated, minima; 8-bit weights):
 * 0.22-0.26 of the AVX2 time on the deep layers (49x1152x192 25.5 us vs
 * 110 us; 144x448x2688 435 vs 1944 us), 0.33-0.40 on the early expands
 * and projections (12544x16x96 swish 260 vs 688 us), where the epilogue is
 * most of the work; with 7-bit weights (AVX2's vpmaddubsw mode) 0.26-0.53.
 * The deep layers reach 430 GMAC/s (1444x1632x272). End to end
 * (all blocks int8, one thread, per-layer minima over alternated passes):
 * B0 1x1 layers 4.9 -> 1.7 ms, B4 at 380 47 -> 13 ms; the whole pass
 * 0.54x (B0) and 0.47x (B4) of the AVX2 table's.
 * Tried and not kept: GCC 12's _mm512_dpbusd_epi32 in the k loop -- it
 * copied every accumulator through a second register (and the stack) each
 * step, 1.6-1.75x slower on the deep layers than the one-line asm below;
 * 8-row tiles (1-4% slower) and 6-row (1-11%); vpmovdb to a register and
 * a masked store instead of GCC's vpmovdb-to-memory (no change); 512 KB
 * sweeps and 384 KB A blocks (within 2%, either way).
 *
 * Packed B, the table's own layout (ops/dispatch.h): per panel of 32
 * columns, a 128-byte header (32 int32 -a_zero * colsum), then ceil(k/4)
 * rows of 32 columns x 4 int8 (k quads; two zmm per row, columns 0-15
 * then 16-31), zero past k and past n. The panel of column j0 starts at
 * (j0 / 32) * panel_bytes(k). Packing reads B once (masked loads for the
 * k and column tails), faster than the AVX2 packer (B0's 192x1152: 26 vs
 * 35 us from memory, 7 vs 14 us from cache).
 */
#include <immintrin.h>
#include "kernels-internal.h"
#include "q8-avx512.h"

#define Q8_MR 12
#define Q8_NR 32
#define HEADER_BYTES (Q8_NR * 4u)
/* Packed B up to this size is swept whole by every tile. */
#define B_SWEEP_BYTES (128u << 10)
/* Above it, A is taken in blocks of about this many bytes. */
#define A_BLOCK_BYTES (128u << 10)
enum { EPI_ACT = 0, EPI_SWISH = 1, EPI_NONE = 2 };

static size_t kq_of(size_t k) { return (k + 3) / 4; }
static size_t panel_bytes(size_t k) { return HEADER_BYTES + kq_of(k) * Q8_NR * 4; }

size_t q8_gemm_pack_buffer_size_avx512vnni(size_t n, size_t k)
{
    return (n + Q8_NR - 1) / Q8_NR * panel_bytes(k);
}

size_t q8_gemm_pack_offset_avx512vnni(size_t j0, size_t k)
{
    return j0 / Q8_NR * panel_bytes(k);
}

/* Rows of A per block (a multiple of the tile height; see the top). */
static size_t block_rows(size_t m, size_t n, size_t k)
{
    const size_t m_up = (m + Q8_MR - 1) / Q8_MR * Q8_MR;
    if (q8_gemm_pack_buffer_size_avx512vnni(n, k) <= B_SWEEP_BYTES) return Q8_MR;
    size_t mc = A_BLOCK_BYTES / k / Q8_MR * Q8_MR;
    if (mc < Q8_MR) mc = Q8_MR;
    return mc < m_up ? mc : m_up;
}

/* Scratch: one block of A rows requantised by a_mult (k bytes a row). */
size_t q8_gemm_buffer_size_avx512vnni(size_t m, size_t n, size_t k)
{
    return block_rows(m ? m : 1, n, k) * k + 64;
}

/* ---------------------------------------------------------------- pack */

/* One panel: k quads of 32 columns as [column][4 k], and the column sums
 * (1 x w through VPDPBUSD) times -a_zero in the header. Rows past k and
 * columns past n load as zeros (masked loads). */
static void pack_panel(const ops_q8_gemm_args *g, size_t j0, uint8_t *panel)
{
    const size_t k = g->k, ld = g->b_stride;
    const __mmask32 cols = (__mmask32)(g->n - j0 >= Q8_NR ? 0xffffffffu : (1u << (g->n - j0)) - 1u);
    const int8_t *b = g->b + j0;
    const __m512i ones = _mm512_set1_epi8(1);
    __m512i sum0 = _mm512_setzero_si512(), sum1 = sum0;   /* columns 0-15, 16-31 */
    __m512i *p = (__m512i *)(void *)(panel + HEADER_BYTES);
    for (size_t kk = 0; kk < k; kk += 4, p += 2) {
        __m256i r[4];
#pragma GCC unroll 4
        for (size_t i = 0; i < 4; i++)
            r[i] = _mm256_maskz_loadu_epi8(kk + i < k ? cols : 0, b + (kk + i < k ? (kk + i) * ld : 0));
        /* per 128-bit lane: bytes of row pairs, then halfwords of the pairs */
        const __m256i t0 = _mm256_unpacklo_epi8(r[0], r[1]), t1 = _mm256_unpackhi_epi8(r[0], r[1]);
        const __m256i t2 = _mm256_unpacklo_epi8(r[2], r[3]), t3 = _mm256_unpackhi_epi8(r[2], r[3]);
        const __m256i q0 = _mm256_unpacklo_epi16(t0, t2), q1 = _mm256_unpackhi_epi16(t0, t2);   /* 0-3 16-19, 4-7 20-23 */
        const __m256i q2 = _mm256_unpacklo_epi16(t1, t3), q3 = _mm256_unpackhi_epi16(t1, t3);   /* 8-11 24-27, 12-15 28-31 */
        const __m512i v0 = _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_permute2x128_si256(q0, q1, 0x20)),
                                              _mm256_permute2x128_si256(q2, q3, 0x20), 1);
        const __m512i v1 = _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_permute2x128_si256(q0, q1, 0x31)),
                                              _mm256_permute2x128_si256(q2, q3, 0x31), 1);
        _mm512_store_si512(p, v0);
        _mm512_store_si512(p + 1, v1);
        sum0 = _mm512_dpbusd_epi32(sum0, ones, v0);
        sum1 = _mm512_dpbusd_epi32(sum1, ones, v1);
    }
    const __m512i z = _mm512_set1_epi32(-g->a_zero);
    _mm512_store_si512(panel, _mm512_mullo_epi32(sum0, z));
    _mm512_store_si512(panel + 64, _mm512_mullo_epi32(sum1, z));
}

ops_status q8_gemm_pack_avx512vnni(const ops_q8_gemm_args *g, void *dst)
{
    if (!g || !g->b || !dst || ((uintptr_t)dst & 63)) return OPS_ERR_ARG;
    for (size_t j0 = 0; j0 < g->n; j0 += Q8_NR) pack_panel(g, j0, (uint8_t *)dst + j0 / Q8_NR * panel_bytes(g->k));
    return OPS_OK;
}

/* -------------------------------------------------------------- tiles */

typedef struct vnni_tile {
    const uint8_t *a; size_t lda;   /* the tile's first A row */
    size_t quads;                   /* whole k quads */
    __mmask16 k_tail;               /* the bytes of the partial last quad, or 0 */
    const uint8_t *panel;           /* the first of `panels` consecutive panels */
    size_t panels, panel_bytes;
    __mmask16 m0, m1;               /* valid columns of the last panel: 0-15, 16-31 */
    const float *mult, *bias;       /* at the first panel's first column; bias may be NULL */
    ops_act act;
    q8_avx512_out q;
    const uint8_t *res; size_t ldr; __m512i res_zero; __m512 res_scale;
    uint8_t *c; size_t ldc;
} vnni_tile;

Q8_AVX512_INLINE __m512i bcast4(const uint8_t *p)
{
    int32_t v;
    memcpy(&v, p, 4);
    return _mm512_set1_epi32(v);
}

/* acc + a (u8) . b (s8), VPDPBUSD. In asm because GCC 12 does not tie
 * the intrinsic's accumulator to one register across the loop: it copied
 * each of the 16 through a second register (and the stack) every step. */
Q8_AVX512_INLINE __m512i dpbusd(__m512i acc, __m512i a, __m512i b)
{
    __asm__("vpdpbusd %2, %1, %0" : "+v"(acc) : "v"(a), "v"(b));
    return acc;
}

#define ROW(r, load)                                         \
    if (mr > r) {                                            \
        const __m512i av = load;                             \
        c##r##0 = dpbusd(c##r##0, av, b0);                   \
        if (nv > 1) c##r##1 = dpbusd(c##r##1, av, b1);       \
    }
#define ROWS(load) ROW(0, load(0)) ROW(1, load(1)) ROW(2, load(2)) ROW(3, load(3))   \
                   ROW(4, load(4)) ROW(5, load(5)) ROW(6, load(6)) ROW(7, load(7))   \
                   ROW(8, load(8)) ROW(9, load(9)) ROW(10, load(10)) ROW(11, load(11))
#define QUAD(r) bcast4(a##r + 4 * s)
#define TAIL(r) _mm512_broadcastd_epi32(_mm_maskz_loadu_epi8(t->k_tail, a##r + 4 * quads))
#define APTR(r) const uint8_t *a##r = mr > r ? a0 + r * lda : a0;
#define SAVE(r) if (mr > r) { acc[r][0] = c##r##0; acc[r][1] = c##r##1; }

/* Panel p of the call: mr rows (1..Q8_MR) x nv vectors of 16 columns (1,
 * 2). Named accumulators, not an array, in the loop: GCC kept an array's
 * vectors moving between registers and the stack. */
Q8_AVX512_INLINE void tile(const int mr, const int nv, const int epi, const vnni_tile *t, size_t p)
{
    const uint8_t *panel = t->panel + p * t->panel_bytes;
    const __m512i i0 = _mm512_load_si512(panel), i1 = _mm512_load_si512(panel + 64);
    __m512i c00 = i0, c01 = i1, c10 = i0, c11 = i1, c20 = i0, c21 = i1, c30 = i0, c31 = i1;
    __m512i c40 = i0, c41 = i1, c50 = i0, c51 = i1, c60 = i0, c61 = i1, c70 = i0, c71 = i1;
    __m512i c80 = i0, c81 = i1, c90 = i0, c91 = i1, c100 = i0, c101 = i1, c110 = i0, c111 = i1;
    /* row pointers past mr stay on row 0: never read */
    const size_t lda = t->lda;
    const uint8_t *a0 = t->a;
    APTR(1) APTR(2) APTR(3) APTR(4) APTR(5) APTR(6) APTR(7) APTR(8) APTR(9) APTR(10) APTR(11)
    const __m512i *bp = (const __m512i *)(const void *)(panel + HEADER_BYTES);
    const size_t quads = t->quads;
    for (size_t s = 0; s < quads; s++, bp += 2) {
        const __m512i b0 = _mm512_load_si512(bp), b1 = nv > 1 ? _mm512_load_si512(bp + 1) : b0;
        ROWS(QUAD)
    }
    if (t->k_tail) {
        const __m512i b0 = _mm512_load_si512(bp), b1 = nv > 1 ? _mm512_load_si512(bp + 1) : b0;
        ROWS(TAIL)
    }
    /* The epilogue is a loop over the sums parked in L1: unrolled, it made
     * 4 KB of code per tile variant, and it needs the registers for its
     * own constants. */
    __m512i acc[12][2];
    SAVE(0) SAVE(1) SAVE(2) SAVE(3) SAVE(4) SAVE(5) SAVE(6) SAVE(7) SAVE(8) SAVE(9) SAVE(10) SAVE(11)
    /* only the call's last panel can be partial */
    const int last = p + 1 == t->panels;
    const __mmask16 m0 = last ? t->m0 : 0xffff, m1 = last ? t->m1 : 0xffff;
    const __mmask32 m01 = (__mmask32)m0 | (__mmask32)m1 << 16;
    const size_t col = p * Q8_NR;
    const __m512 f0 = _mm512_maskz_loadu_ps(m0, t->mult + col), f1 = _mm512_maskz_loadu_ps(m1, t->mult + col + 16);
    const __m512 z = _mm512_setzero_ps();
    const __m512 g0 = t->bias ? _mm512_maskz_loadu_ps(m0, t->bias + col) : z;
    const __m512 g1 = t->bias ? _mm512_maskz_loadu_ps(m1, t->bias + col + 16) : z;
    const uint8_t *res = t->res ? t->res + col : 0;
    uint8_t *c = t->c + col;
    /* With swish, two passes, as the AVX2 kernel's epilogue
     * (q8-gemm-6x16.h): every activation of the tile, then the roundings
     * and stores. Otherwise one (the first loop is empty). */
    __m512 xs[12][2];
    for (int r = 0; r < mr && epi == EPI_SWISH; r++) {
        xs[r][0] = q8_avx512_swish(_mm512_fmadd_ps(_mm512_cvtepi32_ps(acc[r][0]), f0, g0), 1);
        if (nv > 1) xs[r][1] = q8_avx512_swish(_mm512_fmadd_ps(_mm512_cvtepi32_ps(acc[r][1]), f1, g1), 1);
    }
    for (int r = 0; r < mr; r++, c += t->ldc, res = res ? res + t->ldr : 0) {
        __m512 x0, x1;
        if (epi == EPI_SWISH) {
            x0 = xs[r][0];
            x1 = nv > 1 ? xs[r][1] : x0;
        } else {
            x0 = _mm512_fmadd_ps(_mm512_cvtepi32_ps(acc[r][0]), f0, g0);
            x1 = nv > 1 ? _mm512_fmadd_ps(_mm512_cvtepi32_ps(acc[r][1]), f1, g1) : x0;
            if (epi == EPI_ACT) {
                x0 = q8_avx512_act(x0, t->act, 1);
                if (nv > 1) x1 = q8_avx512_act(x1, t->act, 1);
            }
        }
        if (res) {
            x0 = q8_avx512_add_res(x0, res, m0, t->res_zero, t->res_scale);
            if (nv > 1) x1 = q8_avx512_add_res(x1, res + 16, m1, t->res_zero, t->res_scale);
        }
        if (nv > 1) _mm256_mask_storeu_epi8(c, m01, q8_avx512_quantize2(x0, x1, &t->q));
        else _mm_mask_storeu_epi8(c, m0, q8_avx512_quantize(x0, &t->q));
    }
}
#undef SAVE
#undef APTR
#undef TAIL
#undef QUAD
#undef ROWS
#undef ROW

typedef void (*tile_fn)(const vnni_tile *t);
#define TILE(mr, nv, e) \
    static void tile_##mr##_##nv##_##e(const vnni_tile *t) { for (size_t p = 0; p < t->panels; p++) tile(mr, nv, e, t, p); }
#define TILES(nv, e) TILE(1, nv, e) TILE(2, nv, e) TILE(3, nv, e) TILE(4, nv, e) TILE(5, nv, e) TILE(6, nv, e) \
                     TILE(7, nv, e) TILE(8, nv, e) TILE(9, nv, e) TILE(10, nv, e) TILE(11, nv, e) TILE(12, nv, e)
#define ROWS(nv, e) { tile_1_##nv##_##e, tile_2_##nv##_##e, tile_3_##nv##_##e, tile_4_##nv##_##e, tile_5_##nv##_##e,  \
                      tile_6_##nv##_##e, tile_7_##nv##_##e, tile_8_##nv##_##e, tile_9_##nv##_##e, tile_10_##nv##_##e, \
                      tile_11_##nv##_##e, tile_12_##nv##_##e }
TILES(1, 0) TILES(1, 1) TILES(1, 2) TILES(2, 0) TILES(2, 1) TILES(2, 2)
static const tile_fn tiles[3][2][12] = {
    { ROWS(1, 0), ROWS(2, 0) }, { ROWS(1, 1), ROWS(2, 1) }, { ROWS(1, 2), ROWS(2, 2) },
};
#undef ROWS
#undef TILES
#undef TILE

/* ---------------------------------------------------------------- gemm */

ops_status q8_gemm_12x32_avx512vnni(const ops_q8_gemm_args *g, void *scratch)
{
    if (!g || (g->m && g->n && (!g->a || !g->c || !g->out.mult || !g->k))) return OPS_ERR_ARG;
    const size_t m = g->m, n = g->n, k = g->k;
    if (!m || !n) return OPS_OK;
    /* without a packed B (tests, callers that do not pack) the reference:
     * the layout above is only built by q8_gemm_pack_avx512vnni */
    if (!g->b_packed || (g->a_mult && !scratch)) return q8_gemm_scalar(g, scratch);
    const uint8_t *packed = g->b_packed;
    const size_t mc = block_rows(m, n, k), pb = panel_bytes(k);
    uint8_t *a_copy = (uint8_t *)(((uintptr_t)scratch + 63) & ~(uintptr_t)63);
    const q8_avx512_out qa = q8_avx512_out_of(1.0f, g->a_zero);

    vnni_tile t;
    t.quads = k / 4;
    t.k_tail = (__mmask16)((1u << (k % 4)) - 1u);
    t.panel_bytes = pb;
    t.act = g->out.act;
    t.q = q8_avx512_out_of(g->out.inv_scale, g->out.zero);
    t.ldr = g->res_stride;
    t.res_zero = _mm512_set1_epi32(g->res_zero);
    t.res_scale = _mm512_set1_ps(g->res_scale);
    t.ldc = g->c_stride;
    const int epi = g->out.act.kind == OPS_ACT_SWISH ? EPI_SWISH : g->out.act.kind == OPS_ACT_NONE ? EPI_NONE : EPI_ACT;
    const size_t n_full = n / Q8_NR * Q8_NR;
    for (size_t i0 = 0; i0 < m; i0 += mc) {
        const size_t rows = m - i0 < mc ? m - i0 : mc;
        const uint8_t *a = g->a + i0 * g->a_stride;
        size_t lda = g->a_stride;
        if (g->a_mult) {
            for (size_t r = 0; r < rows; r++)
                q8_avx512_rescale_row(a + r * lda, k, g->a_in_zero, g->a_mult, &qa, a_copy + r * k);
            a = a_copy;
            lda = k;
        }
        t.lda = lda;
        /* runs of panels: every full one at once when sweeping, else one
         * at a time; the partial last panel on its own */
        for (size_t j0 = 0, j1; j0 < n; j0 = j1) {
            j1 = j0 < n_full ? (mc == Q8_MR ? n_full : j0 + Q8_NR) : n;
            const size_t nr = j1 - j0 < Q8_NR ? j1 - j0 : Q8_NR;
            const int nv = nr > 16 ? 2 : 1;
            t.panel = packed + j0 / Q8_NR * pb;
            t.panels = (j1 - j0 + Q8_NR - 1) / Q8_NR;
            t.m0 = (__mmask16)(nr >= 16 ? 0xffffu : (1u << nr) - 1u);
            t.m1 = (__mmask16)(nr >= 32 ? 0xffffu : nr > 16 ? (1u << (nr - 16)) - 1u : 0u);
            t.mult = g->out.mult + j0;
            t.bias = g->out.bias ? g->out.bias + j0 : 0;
            for (size_t i = 0; i < rows; i += Q8_MR) {
                const size_t mr = rows - i < Q8_MR ? rows - i : Q8_MR;
                t.a = a + i * lda;
                t.res = g->res ? g->res + (i0 + i) * g->res_stride + j0 : 0;
                t.c = g->c + (i0 + i) * g->c_stride + j0;
                tiles[epi][nv - 1][mr - 1](&t);
            }
        }
    }
    return OPS_OK;
}
