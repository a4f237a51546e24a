/*
 * f32-gemm-6x16-avx2.c -- every 1x1 convolution: C = act(A * diag(s) * B
 * + bias) + res, in 6-row x 16-column register tiles.
 *
 * Tile: 6 rows x 2 ymm = 12 accumulators, plus 2 B vectors and 1 broadcast
 * A value = 15 of the 16 ymm registers. Per k step: 2 B loads, 6 A
 * broadcasts, 12 FMAs -- 6 cycles at 2 FMA/cycle, with the loads well
 * inside the load ports' budget.
 *
 * B is packed into the caller's scratch as 16-column panels (k rows of 16
 * contiguous floats, the last panel zero-padded), with a_scale folded in:
 * b'[k][j] = a_scale[k] * b[k][j]. That costs k*n multiplies per call
 * instead of one per A broadcast (the folded SE gate would otherwise add 6
 * multiplies to every 12 FMAs), keeps the k loop free of tail masks, and
 * makes each panel one contiguous stream. A caller running many calls on
 * one B (a layer split across threads) packs it once with
 * f32_gemm_pack_avx2 and passes b_packed. With neither scratch nor b_packed
 * the kernel reads B in place (masked loads on the last panel, a_scale
 * applied to A).
 *
 * Every output element is the same chain of FMAs (bias, then k in order)
 * whichever tile shape, row block or row sub-range computes it, so any
 * split of m across threads gives bit-identical results.
 *
 * Measured and not kept (B4's shapes on the 2-vCPU Zen 3, two kernels
 * compiled into one process and called alternately, min time ratio):
 *  - K-blocking (GotoBLAS kc = 128/256/512 through C): 1.01-1.05 on
 *    144x448x2688, 144x2688x448, 576x160x960, 576x960x160; Zen 3's L2
 *    feeds a panel fast enough, and the extra C traffic costs more than
 *    re-reading B from L3.
 *  - Packing each panel inside the first row block: 0.94 on the wide
 *    expands, 1.13-1.16 on the deep projections (B's column strips stall);
 *    the separate pack is ~4% of B4's GEMM time (bench/bench-gemm-b4.c).
 *  - Sweeping a whole tile row across the panels inside one call (saving
 *    the indirect call per tile): 0.87-0.94 with the earlier swish, but
 *    1.26-1.63 on the swish expands once the swish divides (avx2-math.h).
 *  - Prefetching the residual of the next tile: 0.99-1.08.
 *  - A packed per call as 6-row strips (k x 6 contiguous, one stream per
 *    tile instead of six rows), for m <= 1024, k >= 128, n >= 64 (B4's
 *    layers of blocks 11-31 and the head; bench/bench-gemm-b4.c, Zen 5,
 *    prepacked B, three alternated runs, 2026-12-06): 82.8 / 84.4 / 87.3
 *    ms against 79.6 / 81.1 / 84.4, the expands no faster even before
 *    the pack's cost -- the six row streams from L2 are not what the
 *    kernel waits on.
 *  - The k loop unrolled 4x (GCC unroll; Zen 5, bench/bench-gemm-b4.c, B
 *    from memory, 2026-12-04): 1.01-1.05 on B4's late layers -- the loop
 *    is bound by its 12 FMAs, not by the pointer arithmetic. For scale, on
 *    those layers (144 and 576 rows, k or n 960-2688) this kernel runs at
 *    47-54 GMAC/s and ONNX Runtime's AVX2 NCHWc convolutions at 51-55 of the
 *    56.8 that independent FMAs reach (bench/ort-profile.js --nodes).
 *  - Where the rest goes (Zen 5, 2026-12-04, this kernel through the
 *    table on B4's late shapes, 144x1632x272, 576x160x960 + swish,
 *    144x2688x448, 144x272x1632 + swish): 50-56 GMAC/s with A and B hot,
 *    49-52 with each call's A and B one of 24 copies (from memory), 45-47
 *    in the pass as `effad bench --layers` averages it; the bare k loop of
 *    6x16 (or of 4x24) alone reaches 55-57. The pass's gap is its mean
 *    against these minima: each layer's minimum over 30 passes in the
 *    engine (B4, one thread pinned, 2026-12-06) is within 4 % of
 *    bench-gemm-b4's prepacked minimum for the same layer either way
 *    (blocks 17-21 expand 1.732-1.739 ms against 1.768, project 1.653-1.659
 *    against 1.715; blocks 23-29 expand 1.230-1.241 against 1.268, project
 *    1.212-1.234 against 1.213; block 31 3.377 / 3.376 against 3.391 /
 *    3.367; the head 2.240 against 2.263): 51-53 GMAC/s, what ONNX
 *    Runtime's 1x1 layers reach.
 *    A blocks of 256, 512 or 1024 KiB (f32-gemm-blocking.h): B4's 1x1
 *    layers 92.6-96.3 ms in all three (bench-gemm-b4, prepacked, two
 *    alternated runs), no difference.
 */
#include <stdint.h>
#include <immintrin.h>
#include "kernels-internal.h"
#include "avx2-math.h"
#include "f32-gemm-blocking.h"

#define GEMM_MR 6
#define GEMM_NR 16

size_t f32_gemm_buffer_size_avx2(size_t m, size_t n, size_t k)
{
    (void)m;
    /* +32: the packed panels start at the next 32-byte boundary. */
    return k * ((n + GEMM_NR - 1) / GEMM_NR * GEMM_NR) * sizeof(float) + 32;
}

/* What a tile needs besides its A rows and C/res position. */
typedef struct gemm_panel {
    const float *b;   size_t ldb;   /* panel start (column j0) */
    const float *s;                 /* a_scale, unpacked mode only */
    const float *bnext;             /* the panel to prefetch (pf tiles only) */
    const float *bias;              /* at column j0, or NULL */
    ops_act act;
    size_t k, nr;                   /* nr: valid columns, 1..16 */
    size_t lda, ldc, ldr;
} gemm_panel;

typedef void (*gemm_tile_fn)(const gemm_panel *p, const float *a, const float *res, float *c);

/* mr (1..6), nv (1..2 vectors), bmask (mask B loads of the last vector) and
 * scaled (multiply A by a_scale) are compile-time constants in every
 * instantiation below, so each folds to straight-line code. */
static inline __attribute__((always_inline)) void
gemm_tile(const int mr, const int nv, const int bmask, const int scaled, const int swish, const int pf,
          const gemm_panel *pn, const float *a, const float *res, float *c)
{
    const size_t k = pn->k, lda = pn->lda, ldb = pn->ldb;
    const size_t nlast = pn->nr - (size_t)(nv - 1) * 8;   /* 1..8 */
    const int full = nlast == 8;
    const __m256i mlast = avx2_tail_mask(nlast);
    const __m256 zero = _mm256_setzero_ps();

    __m256 vb0 = zero, vb1 = zero;
    if (pn->bias) {
        if (nv == 2) {
            vb0 = _mm256_loadu_ps(pn->bias);
            vb1 = full ? _mm256_loadu_ps(pn->bias + 8) : _mm256_maskload_ps(pn->bias + 8, mlast);
        } else {
            vb0 = full ? _mm256_loadu_ps(pn->bias) : _mm256_maskload_ps(pn->bias, mlast);
        }
    }
    __m256 c00 = vb0, c01 = vb1, c10 = vb0, c11 = vb1, c20 = vb0, c21 = vb1;
    __m256 c30 = vb0, c31 = vb1, c40 = vb0, c41 = vb1, c50 = vb0, c51 = vb1;

    /* Row pointers past mr stay on row 0: never dereferenced, never formed
     * out of bounds. */
    const float *a0 = a;
    const float *a1 = mr > 1 ? a0 + lda : a0;
    const float *a2 = mr > 2 ? a1 + lda : a0;
    const float *a3 = mr > 3 ? a2 + lda : a0;
    const float *a4 = mr > 4 ? a3 + lda : a0;
    const float *a5 = mr > 5 ? a4 + lda : a0;
    const float *bp = pn->b;
    const float *s = pn->s;

    for (size_t p = 0; p < k; p++, bp += ldb) {
        /* the next panel's row p (one line), into L2 */
        if (pf) _mm_prefetch((const char *)(pn->bnext + p * GEMM_NR), _MM_HINT_T1);
        __m256 b0, b1 = zero;
        if (nv == 2) {
            b0 = _mm256_loadu_ps(bp);
            b1 = bmask ? _mm256_maskload_ps(bp + 8, mlast) : _mm256_loadu_ps(bp + 8);
        } else {
            b0 = bmask ? _mm256_maskload_ps(bp, mlast) : _mm256_loadu_ps(bp);
        }
        __m256 vs = zero;
        if (scaled) vs = _mm256_broadcast_ss(s + p);
#define GEMM_ROW(r)                                                        \
        if (mr > r) {                                                      \
            __m256 av = _mm256_broadcast_ss(a##r + p);                     \
            if (scaled) av = _mm256_mul_ps(av, vs);                        \
            c##r##0 = _mm256_fmadd_ps(av, b0, c##r##0);                    \
            if (nv == 2) c##r##1 = _mm256_fmadd_ps(av, b1, c##r##1);       \
        }
        GEMM_ROW(0) GEMM_ROW(1) GEMM_ROW(2) GEMM_ROW(3) GEMM_ROW(4) GEMM_ROW(5)
#undef GEMM_ROW
    }

    const size_t ldc = pn->ldc, ldr = pn->ldr;
    /* The activation runs on the accumulators before the store: the 12
     * independent exp chains of a swish tile keep both FMA pipes busy
     * (spilling a few registers to L1 is cheaper than storing the raw sums
     * and reloading them, which ran one dependent chain at a time). */
    const ops_act act = pn->act;
#define GEMM_OUT(r)                                                                \
    if (mr > r) {                                                                  \
        float *cr = c + (size_t)r * ldc;                                           \
        const float *rr = res ? res + (size_t)r * ldr : 0;                         \
        __m256 x0 = swish ? avx2_swish_ps(c##r##0) : avx2_act_ps(c##r##0, act);                                 \
        if (nv == 2) {                                                             \
            __m256 x1 = swish ? avx2_swish_ps(c##r##1) : avx2_act_ps(c##r##1, act);                                 \
            if (rr) {                                                              \
                x0 = _mm256_add_ps(x0, _mm256_loadu_ps(rr));                       \
                x1 = _mm256_add_ps(x1, full ? _mm256_loadu_ps(rr + 8)              \
                                            : _mm256_maskload_ps(rr + 8, mlast));  \
            }                                                                      \
            _mm256_storeu_ps(cr, x0);                                              \
            if (full) _mm256_storeu_ps(cr + 8, x1);                                \
            else _mm256_maskstore_ps(cr + 8, mlast, x1);                           \
        } else {                                                                   \
            if (rr) x0 = _mm256_add_ps(x0, full ? _mm256_loadu_ps(rr)              \
                                                : _mm256_maskload_ps(rr, mlast));  \
            if (full) _mm256_storeu_ps(cr, x0);                                    \
            else _mm256_maskstore_ps(cr, mlast, x0);                               \
        }                                                                          \
    }
    GEMM_OUT(0) GEMM_OUT(1) GEMM_OUT(2) GEMM_OUT(3) GEMM_OUT(4) GEMM_OUT(5)
#undef GEMM_OUT
}

/* One function per (mr, nv) and mode; modes: 0 plain, 1 masked B tail,
 * 2 scaled A, 3 scaled A + masked B tail (these three only when B is read
 * in place), 4 plain with swish. */
#define GEMM_DEF(MR, NV, BM, SC, SW)                                                \
    static void gemm_tile_##MR##x##NV##_##BM##SC##SW(const gemm_panel *p, const float *a, \
                                                     const float *res, float *c)    \
    { gemm_tile(MR, NV, BM, SC, SW, 0, p, a, res, c); }
#define GEMM_DEF_MODE(BM, SC, SW)                                                   \
    GEMM_DEF(1, 1, BM, SC, SW) GEMM_DEF(1, 2, BM, SC, SW) GEMM_DEF(2, 1, BM, SC, SW) \
    GEMM_DEF(2, 2, BM, SC, SW) GEMM_DEF(3, 1, BM, SC, SW) GEMM_DEF(3, 2, BM, SC, SW) \
    GEMM_DEF(4, 1, BM, SC, SW) GEMM_DEF(4, 2, BM, SC, SW) GEMM_DEF(5, 1, BM, SC, SW) \
    GEMM_DEF(5, 2, BM, SC, SW) GEMM_DEF(6, 1, BM, SC, SW) GEMM_DEF(6, 2, BM, SC, SW)
GEMM_DEF_MODE(0, 0, 0)
GEMM_DEF_MODE(1, 0, 0)
GEMM_DEF_MODE(0, 1, 0)
GEMM_DEF_MODE(1, 1, 0)
GEMM_DEF_MODE(0, 0, 1)
#define GEMM_ROWS(BM, SC, SW)                                                       \
    { { gemm_tile_1x1_##BM##SC##SW, gemm_tile_1x2_##BM##SC##SW },                   \
      { gemm_tile_2x1_##BM##SC##SW, gemm_tile_2x2_##BM##SC##SW },                   \
      { gemm_tile_3x1_##BM##SC##SW, gemm_tile_3x2_##BM##SC##SW },                   \
      { gemm_tile_4x1_##BM##SC##SW, gemm_tile_4x2_##BM##SC##SW },                   \
      { gemm_tile_5x1_##BM##SC##SW, gemm_tile_5x2_##BM##SC##SW },                   \
      { gemm_tile_6x1_##BM##SC##SW, gemm_tile_6x2_##BM##SC##SW } }
/* Mode 4, packed B with a swish epilogue (every expand layer and the head),
 * has the activation as a constant: 12 straight-line swishes the core can
 * overlap, instead of 12 switches that split the epilogue into blocks. */
static const gemm_tile_fn gemm_tiles[5][GEMM_MR][2] = {
    GEMM_ROWS(0, 0, 0), GEMM_ROWS(1, 0, 0), GEMM_ROWS(0, 1, 0), GEMM_ROWS(1, 1, 0), GEMM_ROWS(0, 0, 1),
};

/* The full tile of packed B that also prefetches the next panel (pn->bnext):
 * run as the first tile of each panel when B is larger than L2 (the late
 * layers' weights, streamed from memory on every pass), so the panel the
 * next tiles need is on its way while this one computes -- the AVX-512
 * kernel's measure (f32-gemm-12x32-avx512.c). Only the order of loads
 * changes, never a result. */
static void gemm_tile_pf_plain(const gemm_panel *p, const float *a, const float *res, float *c)
{ gemm_tile(GEMM_MR, 2, 0, 0, 0, 1, p, a, res, c); }
static void gemm_tile_pf_swish(const gemm_panel *p, const float *a, const float *res, float *c)
{ gemm_tile(GEMM_MR, 2, 0, 0, 1, 1, p, a, res, c); }

/* B, scaled row by row by a_scale (or not), to dst as 16-column panels of
 * k rows of 16 floats; columns past n are zero so the tile loads them
 * unmasked. B is walked row by row, each row once and contiguously: the
 * weights come from L3 or memory on every call, and a sequential read is
 * what the prefetchers follow (walking one panel at a time read a 64-byte
 * piece of each row, n * 4 bytes apart, and stalled on every one). */
static void gemm_pack_b(const ops_gemm_args *g, float *dst)
{
    const size_t n = g->n, k = g->k, n16 = n / GEMM_NR * GEMM_NR, panel = k * GEMM_NR;
    const size_t nr = n - n16;   /* columns in the last, partial panel */
    const __m256i m0 = avx2_tail_mask(nr < 8 ? nr : 8);
    const __m256i m1 = avx2_tail_mask(nr > 8 ? nr - 8 : 0);
    for (size_t p = 0; p < k; p++) {
        const float *src = g->b + p * g->b_stride;
        float *d = dst + p * GEMM_NR;
        const __m256 vs = _mm256_broadcast_ss(g->a_scale ? g->a_scale + p : &(const float){ 1.0f });
        size_t j0 = 0;
        for (; j0 < n16; j0 += GEMM_NR, d += panel) {
            _mm256_store_ps(d, _mm256_mul_ps(_mm256_loadu_ps(src + j0), vs));
            _mm256_store_ps(d + 8, _mm256_mul_ps(_mm256_loadu_ps(src + j0 + 8), vs));
        }
        if (nr) {
            _mm256_store_ps(d, _mm256_mul_ps(_mm256_maskload_ps(src + j0, m0), vs));
            _mm256_store_ps(d + 8, nr > 8 ? _mm256_mul_ps(_mm256_maskload_ps(src + j0 + 8, m1), vs)
                                          : _mm256_setzero_ps());
        }
    }
}

size_t f32_gemm_pack_buffer_size_avx2(size_t n, size_t k)
{
    return k * ((n + GEMM_NR - 1) / GEMM_NR * GEMM_NR) * sizeof(float);
}

ops_status f32_gemm_pack_avx2(const ops_gemm_args *g, float *dst)
{
    if (!g || !g->b || !dst || ((uintptr_t)dst & 31)) return OPS_ERR_ARG;
    gemm_pack_b(g, dst);
    return OPS_OK;
}

ops_status f32_gemm_6x16_avx2(const ops_gemm_args *g, void *scratch)
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
    const f32_gemm_b src = f32_gemm_b_of(g, scratch, GEMM_NR, 32, gemm_pack_b);
    const float *b = src.b;
    const size_t panel_step = src.panel_step;
    const int packed = src.packed;
    pn.ldb = src.ldb;
    const int mode = packed ? (g->act.kind == OPS_ACT_SWISH ? 4 : 0) : (g->a_scale ? 2 : 0);

    const size_t b_bytes = f32_gemm_pack_buffer_size_avx2(n, k);
    const f32_gemm_blocking bl = f32_gemm_block_rows(m, k, g->a_stride, b_bytes, GEMM_MR);
    for (size_t i0 = 0; i0 < m; i0 += bl.rows) {
        const size_t i1 = m - i0 < bl.rows ? m : i0 + bl.rows;
        if (bl.prefetch_a) f32_gemm_prefetch_rows(g->a, g->a_stride, i1, GEMM_MR, k);
        for (size_t j0 = 0, pi = 0; j0 < n; j0 += GEMM_NR, pi++) {
            pn.nr = n - j0 < GEMM_NR ? n - j0 : GEMM_NR;
            pn.b = b + pi * panel_step;
            pn.bias = g->bias ? g->bias + j0 : 0;
            const int nv = pn.nr > 8 ? 2 : 1;
            const int md = mode | (!packed && pn.nr != (size_t)nv * 8);
            pn.bnext = f32_gemm_next_panel(&src, b_bytes, pi, j0, GEMM_NR, n, i1, m);
            for (size_t i = i0; i < i1; i += GEMM_MR) {
                const size_t mr = i1 - i < GEMM_MR ? i1 - i : GEMM_MR;
                const float *res = g->res ? g->res + i * g->res_stride + j0 : 0;
                float *c = g->c + i * g->c_stride + j0;
                const gemm_tile_fn f = i == i0 && pn.bnext && mr == GEMM_MR && nv == 2
                                       ? (mode == 4 ? gemm_tile_pf_swish : gemm_tile_pf_plain) : gemm_tiles[md][mr - 1][nv - 1];
                f(&pn, g->a + i * g->a_stride, res, c);
            }
        }
    }
    return OPS_OK;
}
