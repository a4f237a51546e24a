/*
 * q16-gemm-avx512.h -- the 16x8 1x1 convolution (ops/q16.h) on zmm: int16
 * A x int8 B in 12-row x 32-column tiles, shared by the AVX-512 kernel
 * (q16-gemm-12x32-avx512.c: vpmaddwd + vpaddd) and the VNNI one
 * (q16-gemm-12x32-avx512vnni.c: vpdpwssd, one instruction for the same
 * exact int32 sum). Bit-identical to q16_gemm_scalar.
 *
 * Pairs of k. B is packed widened to int16, two k rows interleaved per
 * int32 lane (column j of rows 2s and 2s+1: one lane), so one multiply-
 * add takes a whole (a[2s], a[2s+1]) pair of every column; A's pair is
 * simply the 4 bytes at a + 2s broadcast (int16 A is already in pair
 * order). An odd k's last pair reads only a[k-1] (a masked load: A needs
 * no padding) against a zero row of B.
 *
 * Exact sums. |a * w| <= 2^15 * 2^7 = 2^22, a pair at most 2^23, so an
 * int32 lane holds 255 pair steps (< 2^31) -- 510 k, which covers every
 * B0 layer but the last projections' 1152 and B4's up to 2688. Longer k
 * is summed in blocks of 255 pair steps in int32, each block widened and
 * added into int64 (parked on the stack, two zmm per vector of sums):
 * the reference's int64 integer. Converting it: vcvtqq2ps (AVX-512DQ)
 * rounds the int64 once, as (float) does; a one-block sum takes
 * vcvtdq2ps, which rounds the same integer the same way.
 *
 * Then the epilogue of ops/q16.h lane by lane (q16-avx512.h), after the
 * k loop over sums parked in L1, as the int8 VNNI kernel does (and for
 * its reasons: the exponential's constants need the registers).
 *
 * Registers: 24 accumulators, 2 B vectors, the broadcast A pair.
 * Variants per tile height 1-12, 1 or 2 vectors of columns and the
 * activation (swish; none: the projections with their residual;
 * anything else through q8_avx512_act's switch).
 *
 * Packed B (the table's own layout, ops/dispatch.h): per panel of 32
 * columns, ceil(k/2) rows of 32 int32 lanes (columns 0-15, then 16-31;
 * the low int16 row 2s, the high row 2s+1), zero past k and past n; the
 * panel of column j0 starts at (j0 / 32) * panel_bytes(k). No header: the
 * activations have no zero point to fold in.
 *
 * Loop order as in the int8 VNNI GEMM: packed B up to 128 KB is swept
 * whole by every 12-row tile; larger B meets blocks of about 128 KB of A
 * rows while every panel passes over them.
 *
 * Measured on a shared 2-vCPU Zen 5 (one thread, best of 300 calls, swish,
 * B0 shapes m x n x k): VNNI 80 us at 3136x96x16, 71 at 784x240x40, 65 at
 * 49x1152x192, 110 at 49x1280x320; without VNNI 7-11% slower; the int8
 * VNNI GEMM 70, 53, 37, 60; the float AVX-512 GEMM 77, 90, 108, 196. A
 * k pair per instruction is half the int8 kernel's k quad, so the deep
 * layers take up to 1.8x its time; the early ones, where the epilogue is
 * most of the work, 1.15-1.25x.
 */
#ifndef EFFAD_Q16_GEMM_AVX512_H
#define EFFAD_Q16_GEMM_AVX512_H

#include <immintrin.h>
#include "kernels-internal.h"
#include "q16-avx512.h"

#define Q16G_MR 12
#define Q16G_NR 32
/* Pair steps summed in int32 before widening to int64 (see the top). */
#define Q16G_PAIR_BLOCK 255
#define Q16G_B_SWEEP_BYTES (128u << 10)
#define Q16G_A_BLOCK_BYTES (128u << 10)
enum { Q16G_EPI_ACT = 0, Q16G_EPI_SWISH = 1, Q16G_EPI_NONE = 2 };

static inline size_t q16g_panel_bytes(size_t k)
{
    return (k + 1) / 2 * Q16G_NR * 4;
}

/* Rows of A per block (a multiple of the tile height). */
static inline size_t q16g_block_rows(size_t m, size_t n, size_t k)
{
    const size_t m_up = (m + Q16G_MR - 1) / Q16G_MR * Q16G_MR;
    if ((n + Q16G_NR - 1) / Q16G_NR * q16g_panel_bytes(k) <= Q16G_B_SWEEP_BYTES) return Q16G_MR;
    size_t mc = Q16G_A_BLOCK_BYTES / (2 * k) / Q16G_MR * Q16G_MR;
    if (mc < Q16G_MR) mc = Q16G_MR;
    return mc < m_up ? mc : m_up;
}

typedef struct q16g_tile {
    const int16_t *a; size_t lda;   /* the tile's first A row */
    size_t pairs;                   /* pair steps, ceil(k / 2) */
    int odd;                        /* k is odd: the last step reads a[k-1] only */
    const uint8_t *panel;           /* the first of `panels` consecutive panels */
    size_t panels, panel_bytes;
    __mmask16 m0, m1;               /* valid columns of the last panel: 0-15, 16-31 */
    const float *mult, *bias;       /* at the first panel's first column; bias may be NULL */
    ops_act act;
    q16_avx512_out q;
    const int16_t *res; size_t ldr; __m512 res_scale;
    int16_t *c; size_t ldc;
} q16g_tile;

Q16_AVX512_INLINE __m512i q16g_bcast2(const int16_t *p)
{
    int32_t v;
    memcpy(&v, p, 4);
    return _mm512_set1_epi32(v);
}

/* acc + the int16 pairs of a times those of b, exact. With VNNI one
 * vpdpwssd, in asm for the reason of the int8 VNNI GEMM's vpdpbusd (GCC 12
 * copied every intrinsic accumulator through a second register each step). */
Q16_AVX512_INLINE __m512i q16g_madd(__m512i acc, __m512i a, __m512i b)
{
#ifdef __AVX512VNNI__
    __asm__("vpdpwssd %2, %1, %0" : "+v"(acc) : "v"(a), "v"(b));
    return acc;
#else
    return _mm512_add_epi32(acc, _mm512_madd_epi16(a, b));
#endif
}

/* d (two int64 vectors: lanes 0-7, 8-15) = (first ? 0 : d) + s widened. */
Q16_AVX512_INLINE void q16g_widen_add(__m512i *d, __m512i s, int first)
{
    const __m512i lo = _mm512_cvtepi32_epi64(_mm512_castsi512_si256(s));
    const __m512i hi = _mm512_cvtepi32_epi64(_mm512_extracti64x4_epi64(s, 1));
    d[0] = first ? lo : _mm512_add_epi64(d[0], lo);
    d[1] = first ? hi : _mm512_add_epi64(d[1], hi);
}

Q16_AVX512_INLINE __m512 q16g_float64(const __m512i *d)
{
    return _mm512_insertf32x8(_mm512_castps256_ps512(_mm512_cvtepi64_ps(d[0])), _mm512_cvtepi64_ps(d[1]), 1);
}

#define Q16G_ROW(r, load)                                    \
    if (mr > r) {                                            \
        const __m512i av = load;                             \
        c##r##0 = q16g_madd(c##r##0, av, b0);                \
        if (nv > 1) c##r##1 = q16g_madd(c##r##1, av, b1);    \
    }
#define Q16G_ROWS(load) Q16G_ROW(0, load(0)) Q16G_ROW(1, load(1)) Q16G_ROW(2, load(2)) Q16G_ROW(3, load(3))     \
                        Q16G_ROW(4, load(4)) Q16G_ROW(5, load(5)) Q16G_ROW(6, load(6)) Q16G_ROW(7, load(7))     \
                        Q16G_ROW(8, load(8)) Q16G_ROW(9, load(9)) Q16G_ROW(10, load(10)) Q16G_ROW(11, load(11))
#define Q16G_PAIR(r) q16g_bcast2(a##r + 2 * s)
#define Q16G_TAIL(r) _mm512_broadcastd_epi32(_mm_maskz_loadu_epi16(1, a##r + 2 * s))
#define Q16G_APTR(r) const int16_t *a##r = mr > r ? a0 + r * lda : a0;
#define Q16G_ZERO(r) __m512i c##r##0 = _mm512_setzero_si512(), c##r##1 = c##r##0;
#define Q16G_SAVE32(r) if (mr > r) { f[r][0] = _mm512_cvtepi32_ps(c##r##0); if (nv > 1) f[r][1] = _mm512_cvtepi32_ps(c##r##1); }
#define Q16G_SAVE64(r) if (mr > r) { q16g_widen_add(w[r][0], c##r##0, s0 == 0); if (nv > 1) q16g_widen_add(w[r][1], c##r##1, s0 == 0); }

/* Panel p of the call: mr rows (1..12) x nv vectors of 16 columns (1, 2).
 * Named accumulators in the loop (an array's vectors went back and forth
 * to the stack under GCC). */
Q16_AVX512_INLINE void q16g_tile_panel(const int mr, const int nv, const int epi, const q16g_tile *t, size_t p)
{
    const uint8_t *panel = t->panel + p * t->panel_bytes;
    const size_t lda = t->lda, pairs = t->pairs, full = pairs - (size_t)t->odd;
    const int16_t *a0 = t->a;
    Q16G_APTR(1) Q16G_APTR(2) Q16G_APTR(3) Q16G_APTR(4) Q16G_APTR(5) Q16G_APTR(6)
    Q16G_APTR(7) Q16G_APTR(8) Q16G_APTR(9) Q16G_APTR(10) Q16G_APTR(11)
    __m512 f[Q16G_MR][2];          /* the sums as floats, one rounding each */
    __m512i w[Q16G_MR][2][2];      /* the int64 sums of a long k */
    /* (GCC cannot tell that the k loop below runs and fills f) */
    for (int r = 0; r < mr; r++) f[r][0] = f[r][1] = _mm512_setzero_ps();
    for (size_t s0 = 0; s0 < pairs; s0 += Q16G_PAIR_BLOCK) {
        const size_t s1 = pairs - s0 < Q16G_PAIR_BLOCK ? pairs : s0 + Q16G_PAIR_BLOCK;
        const size_t s_full = s1 < full ? s1 : full;
        Q16G_ZERO(0) Q16G_ZERO(1) Q16G_ZERO(2) Q16G_ZERO(3) Q16G_ZERO(4) Q16G_ZERO(5)
        Q16G_ZERO(6) Q16G_ZERO(7) Q16G_ZERO(8) Q16G_ZERO(9) Q16G_ZERO(10) Q16G_ZERO(11)
        const __m512i *bp = (const __m512i *)(const void *)(panel + s0 * Q16G_NR * 4);
        size_t s = s0;
        for (; s < s_full; s++, bp += 2) {
            const __m512i b0 = _mm512_load_si512(bp), b1 = nv > 1 ? _mm512_load_si512(bp + 1) : b0;
            Q16G_ROWS(Q16G_PAIR)
        }
        if (s < s1) {   /* the odd k's last pair */
            const __m512i b0 = _mm512_load_si512(bp), b1 = nv > 1 ? _mm512_load_si512(bp + 1) : b0;
            Q16G_ROWS(Q16G_TAIL)
        }
        if (pairs <= Q16G_PAIR_BLOCK) {
            Q16G_SAVE32(0) Q16G_SAVE32(1) Q16G_SAVE32(2) Q16G_SAVE32(3) Q16G_SAVE32(4) Q16G_SAVE32(5)
            Q16G_SAVE32(6) Q16G_SAVE32(7) Q16G_SAVE32(8) Q16G_SAVE32(9) Q16G_SAVE32(10) Q16G_SAVE32(11)
        } else {
            Q16G_SAVE64(0) Q16G_SAVE64(1) Q16G_SAVE64(2) Q16G_SAVE64(3) Q16G_SAVE64(4) Q16G_SAVE64(5)
            Q16G_SAVE64(6) Q16G_SAVE64(7) Q16G_SAVE64(8) Q16G_SAVE64(9) Q16G_SAVE64(10) Q16G_SAVE64(11)
        }
    }
    if (pairs > Q16G_PAIR_BLOCK)
        for (int r = 0; r < mr; r++) {
            f[r][0] = q16g_float64(w[r][0]);
            if (nv > 1) f[r][1] = q16g_float64(w[r][1]);
        }
    /* only the call's last panel can be partial */
    const int last = p + 1 == t->panels;
    const __mmask16 m0 = last ? t->m0 : 0xffff, m1 = last ? t->m1 : 0xffff;
    const __mmask32 m01 = (__mmask32)m0 | (__mmask32)m1 << 16;
    const size_t col = p * Q16G_NR;
    const __m512 g0 = _mm512_maskz_loadu_ps(m0, t->mult + col), g1 = _mm512_maskz_loadu_ps(m1, t->mult + col + 16);
    const __m512 z = _mm512_setzero_ps();
    const __m512 h0 = t->bias ? _mm512_maskz_loadu_ps(m0, t->bias + col) : z;
    const __m512 h1 = t->bias ? _mm512_maskz_loadu_ps(m1, t->bias + col + 16) : z;
    const int16_t *res = t->res ? t->res + col : 0;
    int16_t *c = t->c + col;
    const __m512i order = _mm512_setr_epi64(0, 2, 4, 6, 1, 3, 5, 7);
    for (int r = 0; r < mr; r++, c += t->ldc, res = res ? res + t->ldr : 0) {
        __m512 x0 = _mm512_fmadd_ps(f[r][0], g0, h0), x1 = x0;
        if (nv > 1) x1 = _mm512_fmadd_ps(f[r][1], g1, h1);
        if (epi == Q16G_EPI_SWISH) {
            x0 = q8_avx512_swish(x0, 0);
            if (nv > 1) x1 = q8_avx512_swish(x1, 0);
        } else if (epi == Q16G_EPI_ACT) {
            x0 = q8_avx512_act(x0, t->act, 0);
            if (nv > 1) x1 = q8_avx512_act(x1, t->act, 0);
        }
        if (res) {
            x0 = q16_avx512_add_res(x0, res, m0, t->res_scale);
            if (nv > 1) x1 = q16_avx512_add_res(x1, res + 16, m1, t->res_scale);
        }
        const __m512i r0 = q16_avx512_quantize(x0, &t->q);
        if (nv > 1) {
            /* vpackssdw takes 4 lanes of each per 128 bits; the qword
             * permute puts the columns back in order */
            const __m512i r1 = q16_avx512_quantize(x1, &t->q);
            _mm512_mask_storeu_epi16(c, m01, _mm512_permutexvar_epi64(order, _mm512_packs_epi32(r0, r1)));
        } else {
            _mm256_mask_storeu_epi16(c, m0, _mm512_cvtepi32_epi16(r0));
        }
    }
}
#undef Q16G_SAVE64
#undef Q16G_SAVE32
#undef Q16G_ZERO
#undef Q16G_APTR
#undef Q16G_TAIL
#undef Q16G_PAIR
#undef Q16G_ROWS
#undef Q16G_ROW

typedef void (*q16g_tile_fn)(const q16g_tile *t);
#define Q16G_TILE(mr, nv, e)                                                 \
    static void q16g_tile_##mr##_##nv##_##e(const q16g_tile *t)              \
    {                                                                        \
        for (size_t p = 0; p < t->panels; p++) q16g_tile_panel(mr, nv, e, t, p); \
    }
#define Q16G_TILES(nv, e) Q16G_TILE(1, nv, e) Q16G_TILE(2, nv, e) Q16G_TILE(3, nv, e) Q16G_TILE(4, nv, e)    \
                          Q16G_TILE(5, nv, e) Q16G_TILE(6, nv, e) Q16G_TILE(7, nv, e) Q16G_TILE(8, nv, e)    \
                          Q16G_TILE(9, nv, e) Q16G_TILE(10, nv, e) Q16G_TILE(11, nv, e) Q16G_TILE(12, nv, e)
#define Q16G_HEIGHTS(nv, e) { q16g_tile_1_##nv##_##e, q16g_tile_2_##nv##_##e, q16g_tile_3_##nv##_##e,    \
                              q16g_tile_4_##nv##_##e, q16g_tile_5_##nv##_##e, q16g_tile_6_##nv##_##e,    \
                              q16g_tile_7_##nv##_##e, q16g_tile_8_##nv##_##e, q16g_tile_9_##nv##_##e,    \
                              q16g_tile_10_##nv##_##e, q16g_tile_11_##nv##_##e, q16g_tile_12_##nv##_##e }
Q16G_TILES(1, 0) Q16G_TILES(1, 1) Q16G_TILES(1, 2) Q16G_TILES(2, 0) Q16G_TILES(2, 1) Q16G_TILES(2, 2)
static const q16g_tile_fn q16g_tiles[3][2][12] = {
    { Q16G_HEIGHTS(1, 0), Q16G_HEIGHTS(2, 0) },
    { Q16G_HEIGHTS(1, 1), Q16G_HEIGHTS(2, 1) },
    { Q16G_HEIGHTS(1, 2), Q16G_HEIGHTS(2, 2) },
};
#undef Q16G_HEIGHTS
#undef Q16G_TILES
#undef Q16G_TILE

/* The whole GEMM over B packed by q16_gemm_pack_avx512 (the caller has
 * checked the arguments and that b_packed is there). */
static inline void q16g_run(const ops_q16_gemm_args *g)
{
    const size_t m = g->m, n = g->n, k = g->k;
    const uint8_t *packed = g->b_packed;
    const size_t mc = q16g_block_rows(m, n, k), pb = q16g_panel_bytes(k);
    q16g_tile t;
    t.pairs = (k + 1) / 2;
    t.odd = (int)(k & 1);
    t.panel_bytes = pb;
    t.act = g->out.act;
    t.q = q16_avx512_out_of(g->out.inv_scale);
    t.ldr = g->res_stride;
    t.res_scale = _mm512_set1_ps(g->res_scale);
    t.ldc = g->c_stride;
    t.lda = g->a_stride;
    const int epi = g->out.act.kind == OPS_ACT_SWISH ? Q16G_EPI_SWISH
                    : g->out.act.kind == OPS_ACT_NONE ? Q16G_EPI_NONE : Q16G_EPI_ACT;
    const size_t n_full = n / Q16G_NR * Q16G_NR;
    for (size_t i0 = 0; i0 < m; i0 += mc) {
        const size_t rows = m - i0 < mc ? m - i0 : mc;
        /* runs of panels: every full one at once when sweeping, else one
         * at a time; the partial last panel on its own */
        for (size_t j0 = 0, j1; j0 < n; j0 = j1) {
            j1 = j0 < n_full ? (mc == Q16G_MR ? n_full : j0 + Q16G_NR) : n;
            const size_t nr = j1 - j0 < Q16G_NR ? j1 - j0 : Q16G_NR;
            const int nv = nr > 16 ? 2 : 1;
            t.panel = packed + j0 / Q16G_NR * pb;
            t.panels = (j1 - j0 + Q16G_NR - 1) / Q16G_NR;
            t.m0 = (__mmask16)(nr >= 16 ? 0xffffu : (1u << nr) - 1u);
            t.m1 = (__mmask16)(nr >= 32 ? 0xffffu : nr > 16 ? (1u << (nr - 16)) - 1u : 0u);
            t.mult = g->out.mult + j0;
            t.bias = g->out.bias ? g->out.bias + j0 : 0;
            for (size_t i = 0; i < rows; i += Q16G_MR) {
                const size_t mr = rows - i < Q16G_MR ? rows - i : Q16G_MR;
                t.a = g->a + (i0 + i) * g->a_stride;
                t.res = g->res ? g->res + (i0 + i) * g->res_stride + j0 : 0;
                t.c = g->c + (i0 + i) * g->c_stride + j0;
                q16g_tiles[epi][nv - 1][mr - 1](&t);
            }
        }
    }
}

#endif /* EFFAD_Q16_GEMM_AVX512_H */
