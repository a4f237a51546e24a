/*
 * f32-gemm-12x32-avx512.c -- every 1x1 convolution: C = act(A * diag(s) *
 * B + bias) + res, in 12-row x 32-column register tiles on zmm.
 *
 * Tile: 12 rows x 2 zmm = 24 accumulators, plus 2 B vectors and 1
 * broadcast A value = 27 of the 32 zmm registers. Per k step: 2 B loads,
 * 12 A broadcasts, 24 FMAs -- 12 cycles at 2 FMA/cycle on Zen 5's full
 * 512-bit pipes, the loads well inside two per cycle. Hot in cache it runs
 * at 113-116 GMAC/s on B4's shapes, 96-98% of the 118.5 GMAC/s a loop of
 * independent zmm FMAs measures on one core of this Zen 5.
 *
 * Bits: every output element is the AVX2 kernel's (f32-gemm-6x16-avx2.c)
 * chain of operations -- bias, then one FMA per k in order; with packed B
 * the a_scale folded into B as s[p] * b[p][j] rounded once, with B read in
 * place A scaled as a[p] * s[p]; then the same activation (avx512-math.h
 * is avx2-math.h lane by lane) and the residual added last. So the avx512
 * table's GEMM gives the avx2 table's bits (test-ops-kernels checks it on
 * random shapes, every activation, each B mode and column split), and any
 * split of m or n across threads gives the same bits too.
 *
 * B is packed into the caller's scratch (or once per layer by
 * f32_gemm_pack_avx512, passed as b_packed) as 32-column panels of k rows,
 * zero-padded, a_scale folded in; the panel of column j0 starts at float
 * j0 * k (dispatch.h). With neither scratch nor b_packed B is read in
 * place (the last vector of a panel loaded under a mask).
 *
 * Measured (B4@380's and B0@224's 1x1 layers, pack + GEMM, every variant
 * compiled into one process and called in turn on each layer, minimum of
 * 6-10 passes, time relative to the AVX2 6x16 kernel; bench/bench-gemm-b4.c
 * runs the kept one):
 *  - Tiles, B0 / B4: 12x32 0.511 / 0.519 (kept), 6x64 0.501 / 0.511,
 *    8x48 0.496 / 0.511, 14x32 0.498 / 0.523, 8x32 0.504 / 0.515, 4x64
 *    0.507 / 0.522, 28x16 0.703 / 0.696 (one B vector per 28 broadcasts:
 *    load-bound, and its row pointers spill). All but 28x16 are within the
 *    +-2% one variant moves from run to run on this shared machine; 12x32
 *    is kept because the engine's row chunks (PLAN_GEMM_ROWS = 12) then
 *    end on whole tiles and 32-column panels keep column chunks small.
 *  - Row blocking (f32-gemm-blocking.h, sized for Zen 3's 512 KiB L2)
 *    against Zen 5's 1 MiB L2: B-in-L2 bound 64 or 384 KiB, A block 128
 *    or 512 KiB, no A prefetch: 0.499-0.504 on B0 and 0.499-0.528 on B4
 *    against the kept 0.502 / 0.513 -- no difference beyond noise.
 *  - Packing B one row at a time (the AVX2 pack's order): see gemm_pack_b.
 *  - A last tile of 1-3 rows: see the tile loop (hot in cache, 13x1152x192
 *    0.82x the time, B0's 49-row layers 0.94-1.0x).
 *  - Prefetching the next B panel from the first tile of each panel
 *    (gemm_tile_pf_*): with the weights packed once and streamed from
 *    memory on every pass, as in production (bench/bench-isa-ab.c packs
 *    them so; its earlier form packed B per pass, from cache, and showed
 *    nothing), B4's unfused expands 0.961 and head 0.954 of the time, the
 *    projections 1.00; alone (prepacked B4 layers) 0.91-0.96 on the
 *    144-row expands. Spreading that prefetch over every full tile of the
 *    panel (each tile a slice of the next panel's rows) instead of the
 *    first tile alone: within noise (2026-12-04, three alternated runs).
 *  - K-blocking (slices of k, the raw sums stored to C and reloaded, so
 *    the same bits): the 144-row layers run at 90-93 GMAC/s with B from
 *    memory, and the guess was A's 12-row slice spilling L1. Slices of 128
 *    and 256 made B4's 1x1 layers 1.05 and 1.04 of the time (the 144-row
 *    ones 1.03-1.34, b31 the worst), 512 1.00 (bench-gemm-b4, alternating
 *    runs); not kept. The AVX2 kernel measured it a loss on Zen 3 too.
 * In the engine (bench/bench-isa-ab.c, one thread, sum of per-layer
 * minima over 40 / 15 alternated passes), the unfused 1x1 layers took
 * 3.72 ms instead of 6.65 on B0@224 (0.56) and 38.9 instead of 73.8 on
 * B4@380 (0.53), with bit-identical pooled outputs; the layers whose A
 * or C do not fit in cache (B0's 112x112 and 56x56 projections, n = 16
 * and 24) gain least.
 */
#include <stdint.h>
#include <immintrin.h>
#include "kernels-internal.h"
#include "avx512-math.h"
#include "f32-gemm-blocking.h"

#define GEMM_MR 12
#define GEMM_NV 2                      /* zmm vectors per panel row */
#define GEMM_NR (GEMM_NV * 16)

static size_t panels_floats(size_t n, size_t k)
{
    return k * ((n + GEMM_NR - 1) / GEMM_NR * GEMM_NR);
}

size_t f32_gemm_buffer_size_avx512(size_t m, size_t n, size_t k)
{
    (void)m;
    /* +64: the packed panels start at the next 64-byte boundary. */
    return panels_floats(n, k) * sizeof(float) + 64;
}

/* What a tile needs besides its A rows and C/res position. */
typedef struct gemm_panel {
    const float *b;   size_t ldb;   /* panel start (column j0) */
    const float *bnext;             /* the panel to prefetch (pf tiles only) */
    const float *s;                 /* a_scale, in-place mode only */
    const float *bias;              /* at column j0, or NULL */
    ops_act act;
    size_t k;
    __mmask16 mlast;                /* valid lanes of the panel's last vector */
    size_t lda, ldc, ldr;
} gemm_panel;

typedef void (*gemm_tile_fn)(const gemm_panel *p, const float *a, const float *res, float *c);

/* The epilogue of activations other than none and swish (relu, clip,
 * sigmoid, hard-sigmoid, hard-swish: none in EfficientNet), on the raw sums
 * the tile stored: act(x) + res, the operations of the register epilogue,
 * so the same bits; out of line, so that each tile carries one copy of the
 * activation switch instead of one per accumulator. */
static __attribute__((noinline)) void gemm_act_rows(float *c, size_t ldc, const float *res, size_t ldr,
                                                    size_t rows, size_t cols, ops_act act)
{
    for (size_t r = 0; r < rows; r++, c += ldc, res = res ? res + ldr : 0)
        for (size_t j = 0; j < cols; j += 16) {
            const __mmask16 m = avx512_tail_mask(cols - j);
            __m512 x = avx512_act_ps(_mm512_maskz_loadu_ps(m, c + j), act);
            if (res) x = _mm512_add_ps(x, _mm512_maskz_loadu_ps(m, res + j));
            _mm512_mask_storeu_ps(c + j, m, x);
        }
}

/* mr (1..GEMM_MR), nv (1..GEMM_NV vectors), inplace (B read in place: mask
 * the last vector's loads), scaled (multiply A by a_scale) and swish are
 * compile-time constants in every instantiation below, so the loops over
 * rows and vectors unroll into straight-line code on named registers. */
static inline __attribute__((always_inline)) void
gemm_tile(const int mr, const int nv, const int inplace, const int scaled, const int swish, const int pf,
          const gemm_panel *pn, const float *a, const float *res, float *c)
{
    const size_t k = pn->k, lda = pn->lda, ldb = inplace ? pn->ldb : GEMM_NR;
    const __mmask16 mlast = pn->mlast;
    __m512 acc[GEMM_MR][GEMM_NV];
    _Pragma("GCC unroll 4") for (int v = 0; v < nv; v++) {
        const __m512 vb = !pn->bias ? _mm512_setzero_ps()
                        : v == nv - 1 ? _mm512_maskz_loadu_ps(mlast, pn->bias + 16 * v)
                                      : _mm512_loadu_ps(pn->bias + 16 * v);
        _Pragma("GCC unroll 16") for (int r = 0; r < mr; r++) acc[r][v] = vb;
    }

    const float *bp = pn->b;
    const float *s = pn->s;
    for (size_t p = 0; p < k; p++, bp += ldb) {
        if (pf) {   /* the next panel's row p: its two lines, into L2 */
            _mm_prefetch((const char *)(pn->bnext + p * GEMM_NR), _MM_HINT_T1);
            _mm_prefetch((const char *)(pn->bnext + p * GEMM_NR + 16), _MM_HINT_T1);
        }
        __m512 b[GEMM_NV];
        _Pragma("GCC unroll 4") for (int v = 0; v < nv; v++)
            b[v] = inplace && v == nv - 1 ? _mm512_maskz_loadu_ps(mlast, bp + 16 * v) : _mm512_loadu_ps(bp + 16 * v);
        const __m512 vs = scaled ? _mm512_set1_ps(s[p]) : _mm512_setzero_ps();
        _Pragma("GCC unroll 16") for (int r = 0; r < mr; r++) {
            __m512 av = _mm512_set1_ps(a[(size_t)r * lda + p]);
            if (scaled) av = _mm512_mul_ps(av, vs);
            _Pragma("GCC unroll 4") for (int v = 0; v < nv; v++) acc[r][v] = _mm512_fmadd_ps(av, b[v], acc[r][v]);
        }
    }

    /* Swish runs on the accumulators before the store, as in the AVX2
     * kernel: the independent exp chains of a tile overlap. */
    const size_t ldc = pn->ldc, ldr = pn->ldr;
    const int plain = swish || pn->act.kind == OPS_ACT_NONE;
    _Pragma("GCC unroll 16") for (int r = 0; r < mr; r++) {
        float *cr = c + (size_t)r * ldc;
        const float *rr = res && plain ? res + (size_t)r * ldr : 0;
        _Pragma("GCC unroll 4") for (int v = 0; v < nv; v++) {
            __m512 x = swish ? avx512_swish_ps(acc[r][v]) : acc[r][v];
            if (v == nv - 1) {
                if (rr) x = _mm512_add_ps(x, _mm512_maskz_loadu_ps(mlast, rr + 16 * v));
                _mm512_mask_storeu_ps(cr + 16 * v, mlast, x);
            } else {
                if (rr) x = _mm512_add_ps(x, _mm512_loadu_ps(rr + 16 * v));
                _mm512_storeu_ps(cr + 16 * v, x);
            }
        }
    }
    if (!plain)
        gemm_act_rows(c, ldc, res, ldr, (size_t)mr, (size_t)(nv - 1) * 16 + (size_t)__builtin_popcount(mlast), pn->act);
}

/* One function per (mr, nv) and mode; modes: 0 packed B, 1 packed B with
 * swish, 2 B in place, 3 B in place with A scaled by a_scale (in place,
 * swish goes through gemm_act_rows). */
#define GEMM_DEF(MR, NV, IP, SC, SW)                                                     \
    static void gemm_tile_##MR##x##NV##_##IP##SC##SW(const gemm_panel *p, const float *a, \
                                                     const float *res, float *c)         \
    { gemm_tile(MR, NV, IP, SC, SW, 0, p, a, res, c); }
#define GEMM_DEF_NV(MR, IP, SC, SW) GEMM_DEF(MR, 1, IP, SC, SW) GEMM_DEF(MR, 2, IP, SC, SW)
#define GEMM_PTR_NV(MR, IP, SC, SW) { gemm_tile_##MR##x1_##IP##SC##SW, gemm_tile_##MR##x2_##IP##SC##SW }
#define GEMM_FOR_ROWS(X, IP, SC, SW)                                                     \
    X(1, IP, SC, SW) X(2, IP, SC, SW) X(3, IP, SC, SW) X(4, IP, SC, SW) X(5, IP, SC, SW) \
    X(6, IP, SC, SW) X(7, IP, SC, SW) X(8, IP, SC, SW) X(9, IP, SC, SW) X(10, IP, SC, SW) \
    X(11, IP, SC, SW) X(12, IP, SC, SW)
#define GEMM_PTR_ROWS(IP, SC, SW)                                                              \
    { GEMM_PTR_NV(1, IP, SC, SW), GEMM_PTR_NV(2, IP, SC, SW), GEMM_PTR_NV(3, IP, SC, SW),       \
      GEMM_PTR_NV(4, IP, SC, SW), GEMM_PTR_NV(5, IP, SC, SW), GEMM_PTR_NV(6, IP, SC, SW),       \
      GEMM_PTR_NV(7, IP, SC, SW), GEMM_PTR_NV(8, IP, SC, SW), GEMM_PTR_NV(9, IP, SC, SW),       \
      GEMM_PTR_NV(10, IP, SC, SW), GEMM_PTR_NV(11, IP, SC, SW), GEMM_PTR_NV(12, IP, SC, SW) }
GEMM_FOR_ROWS(GEMM_DEF_NV, 0, 0, 0)
GEMM_FOR_ROWS(GEMM_DEF_NV, 0, 0, 1)
GEMM_FOR_ROWS(GEMM_DEF_NV, 1, 0, 0)
GEMM_FOR_ROWS(GEMM_DEF_NV, 1, 1, 0)
static const gemm_tile_fn gemm_tiles[4][GEMM_MR][GEMM_NV] = {
    GEMM_PTR_ROWS(0, 0, 0), GEMM_PTR_ROWS(0, 0, 1), GEMM_PTR_ROWS(1, 0, 0), GEMM_PTR_ROWS(1, 1, 0),
};

/* The full tile of packed B that also prefetches the next panel (pn->bnext):
 * run as the first tile of each panel when B is large, so the panel the
 * next tiles need is on its way from memory while this one computes. Only
 * the order of loads changes, never a result. */
static void gemm_tile_pf_plain(const gemm_panel *p, const float *a, const float *res, float *c)
{ gemm_tile(GEMM_MR, GEMM_NV, 0, 0, 0, 1, p, a, res, c); }
static void gemm_tile_pf_swish(const gemm_panel *p, const float *a, const float *res, float *c)
{ gemm_tile(GEMM_MR, GEMM_NV, 0, 0, 1, 1, p, a, res, c); }

/* B, scaled row by row by a_scale (or not), to dst as GEMM_NR-column panels
 * of k rows; columns past n are zero so the tile loads them unmasked. The
 * product is the AVX2 pack's, s[p] * b[p][j] rounded once. B is read
 * GEMM_PACK_ROWS rows at a time, and each panel gets those rows as one
 * contiguous run of 512 bytes: row by row (the AVX2 pack's order, each
 * row one sequential read) wrote 128 bytes to each of n / 32 panels in
 * turn, and took 2-2.5x as long on wide layers (B0's 192x1152 and
 * 320x1280 from memory: 0.051 and 0.103 ms against 0.020 and 0.042);
 * 8 rows were as good as 4, 16 and 32 worse (more read streams). */
#define GEMM_PACK_ROWS 4
static void gemm_pack_b(const ops_gemm_args *g, float *dst)
{
    const size_t n = g->n, k = g->k, nfull = n / GEMM_NR * GEMM_NR, panel = k * GEMM_NR;
    const size_t nr = n - nfull;   /* columns in the last, partial panel */
    for (size_t p0 = 0; p0 < k; p0 += GEMM_PACK_ROWS) {
        const size_t rows = k - p0 < GEMM_PACK_ROWS ? k - p0 : GEMM_PACK_ROWS;
        __m512 vs[GEMM_PACK_ROWS];
        for (size_t q = 0; q < rows; q++) vs[q] = _mm512_set1_ps(g->a_scale ? g->a_scale[p0 + q] : 1.0f);
        const float *src = g->b + p0 * g->b_stride;
        float *d = dst + p0 * GEMM_NR;
        size_t j0 = 0;
        for (; j0 < nfull; j0 += GEMM_NR, d += panel)
            for (size_t q = 0; q < rows; q++)
                _Pragma("GCC unroll 4") for (int v = 0; v < GEMM_NV; v++)
                    _mm512_storeu_ps(d + q * GEMM_NR + 16 * v,
                                     _mm512_mul_ps(_mm512_loadu_ps(src + q * g->b_stride + j0 + 16 * v), vs[q]));
        if (nr)
            for (size_t q = 0; q < rows; q++)
                _Pragma("GCC unroll 4") for (int v = 0; v < GEMM_NV; v++) {
                    const size_t lo = (size_t)v * 16, cnt = nr > lo ? nr - lo : 0;
                    const __m512 x = _mm512_maskz_loadu_ps(avx512_tail_mask(cnt), src + q * g->b_stride + j0 + lo);
                    _mm512_storeu_ps(d + q * GEMM_NR + lo, _mm512_mul_ps(x, vs[q]));
                }
    }
}

size_t f32_gemm_pack_buffer_size_avx512(size_t n, size_t k)
{
    return panels_floats(n, k) * sizeof(float);
}

ops_status f32_gemm_pack_avx512(const ops_gemm_args *g, float *dst)
{
    if (!g || !g->b || !dst || ((uintptr_t)dst & 31)) return OPS_ERR_ARG;
    gemm_pack_b(g, dst);
    return OPS_OK;
}

ops_status f32_gemm_12x32_avx512(const ops_gemm_args *g, void *scratch)
{
    if (!g || (g->m && (!g->a || (!g->b && !g->b_packed) || !g->c))) return OPS_ERR_ARG;
    const size_t m = g->m, n = g->n, k = g->k;
    if (!m || !n) return OPS_OK;

    gemm_panel pn;
    pn.s = g->a_scale;
    pn.act = g->act;
    pn.k = k;
    pn.lda = g->a_stride;
    pn.ldc = g->c_stride;
    pn.ldr = g->res_stride;
    const f32_gemm_b src = f32_gemm_b_of(g, scratch, GEMM_NR, 64, gemm_pack_b);
    const float *b = src.b;
    const size_t panel_step = src.panel_step;
    pn.ldb = src.ldb;
    const int mode = src.packed ? (g->act.kind == OPS_ACT_SWISH ? 1 : 0) : (g->a_scale ? 3 : 2);

    const size_t b_bytes = panels_floats(n, k) * sizeof(float);
    const f32_gemm_blocking bl = f32_gemm_block_rows(m, k, g->a_stride, b_bytes, GEMM_MR);
    for (size_t i0 = 0; i0 < m; i0 += bl.rows) {
        const size_t i1 = m - i0 < bl.rows ? m : i0 + bl.rows;
        if (bl.prefetch_a) f32_gemm_prefetch_rows(g->a, g->a_stride, i1, GEMM_MR, k);
        for (size_t j0 = 0, pi = 0; j0 < n; j0 += GEMM_NR, pi++) {
            const size_t nr = n - j0 < GEMM_NR ? n - j0 : GEMM_NR;
            const size_t nv = (nr + 15) / 16;
            pn.mlast = avx512_tail_mask(nr - (nv - 1) * 16);
            pn.b = b + pi * panel_step;
            pn.bias = g->bias ? g->bias + j0 : 0;
            pn.bnext = f32_gemm_next_panel(&src, b_bytes, pi, j0, GEMM_NR, n, i1, m);
            for (size_t i = i0, mr; i < i1; i += mr) {
                /* A tile of 1-3 rows has 2-6 accumulators, too few to
                 * cover the FMA latency (4 cycles x 2 pipes): 12 + 1..3
                 * rows are run as two tiles of 7-8 and 6-7 instead (B0's
                 * 7x7 maps: 49 = 3 x 12 + 7 + 6, not 4 x 12 + 1). */
                const size_t left = i1 - i;
                mr = left <= GEMM_MR ? left : left < GEMM_MR + 4 ? (left + 1) / 2 : GEMM_MR;
                const float *res = g->res ? g->res + i * g->res_stride + j0 : 0;
                float *c = g->c + i * g->c_stride + j0;
                const gemm_tile_fn f = i == i0 && pn.bnext && mr == GEMM_MR && nv == GEMM_NV
                                       ? (mode ? gemm_tile_pf_swish : gemm_tile_pf_plain) : gemm_tiles[mode][mr - 1][nv - 1];
                f(&pn, g->a + i * g->a_stride, res, c);
            }
        }
    }
    return OPS_OK;
}
