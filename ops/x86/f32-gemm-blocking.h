/*
 * f32-gemm-blocking.h -- the row blocking of the x86 float GEMMs
 * (f32-gemm-6x16-avx2.c, f32-gemm-12x32-avx512.c): how many rows of A one
 * sweep over the column panels takes, and the prefetch of A that goes with
 * it. Only the order of the tiles depends on it, never a result.
 *
 * The sizes were measured for the AVX2 kernel on Zen 3 (512 KiB L2); on
 * Zen 5 (1 MiB L2) the AVX-512 kernel measured halving or doubling each,
 * or no prefetch, as no different beyond noise (its header has figures).
 */
#ifndef EFFAD_F32_GEMM_BLOCKING_H
#define EFFAD_F32_GEMM_BLOCKING_H

#include <stddef.h>
#include <stdint.h>
#include <immintrin.h>
#include "ops.h"

/* Rows per block: the A block (rows x k) is reused across all column
 * panels, so keep it within about half of a 512 KiB L2. */
#define F32_GEMM_A_BLOCK_BYTES (256u * 1024u)
/* Packed B up to this size is read from L2 by every tile row. */
#define F32_GEMM_B_L2_BYTES (128u * 1024u)
/* A larger than this is prefetched a tile row ahead. */
#define F32_GEMM_PREFETCH_A_BYTES (1024u * 1024u)

typedef struct f32_gemm_blocking {
    size_t rows;      /* rows of A per sweep over the panels, a multiple of mr */
    int prefetch_a;   /* ask for the next tile row of A while this one runs */
} f32_gemm_blocking;

/* For an m x k A (row stride lda, in floats), packed B of b_bytes, and tiles
 * of mr rows.
 *
 * When all of B fits in L2 (the expand layers of the early, large blocks:
 * k <= 40), one tile row sweeps every panel before the next: its A rows
 * stay in L1 and C is written row after row as one sequential stream,
 * instead of short pieces of thousands of rows per panel (each one a
 * separate write miss on a map bigger than L2).
 *
 * With B small, rows are swept one tile at a time; when A is beyond L2 (a
 * projection's input is the depthwise output, several MB in L3), the next
 * tile row is asked into L2 while this one computes (k x mr cycles per
 * panel): the row streams were not followed by the hardware prefetchers.
 * AVX2 on Zen 3, 9025x192x32 (B4's block 3-5 projection): 0.84-0.85x the
 * time; 900x192x32 (A in L2) 1.03-1.05x without the size condition, hence
 * it. */
static inline f32_gemm_blocking f32_gemm_block_rows(size_t m, size_t k, size_t lda, size_t b_bytes, size_t mr)
{
    f32_gemm_blocking bl;
    bl.rows = F32_GEMM_A_BLOCK_BYTES / (k * sizeof(float) + 1) / mr * mr;
    if (bl.rows < mr || b_bytes <= F32_GEMM_B_L2_BYTES) bl.rows = mr;
    bl.prefetch_a = bl.rows == mr && m * lda * sizeof(float) > F32_GEMM_PREFETCH_A_BYTES;
    return bl;
}

/* Prefetches rows [row, row + rows) of A (k floats each, row stride lda)
 * into L2. The address is formed as an integer and may lie past A: a
 * prefetch never faults. */
static inline void f32_gemm_prefetch_rows(const float *a, size_t lda, size_t row, size_t rows, size_t k)
{
    const uintptr_t base = (uintptr_t)a + row * lda * sizeof(float);
    for (size_t r = 0; r < rows; r++)
        for (size_t off = 0; off < k * sizeof(float); off += 64)
            _mm_prefetch((const char *)(base + r * lda * sizeof(float) + off), _MM_HINT_T1);
}

/* Where one call's B comes from: packed by the caller once per layer
 * (b_packed), packed here into the scratch (at the next `align`-byte
 * boundary), or, with neither, read in place. nr is the kernel's panel
 * width. */
typedef struct f32_gemm_b {
    const float *b;
    size_t ldb;           /* floats from one k row of a panel to the next */
    size_t panel_step;    /* floats from one panel to the next */
    int packed;
} f32_gemm_b;

static inline f32_gemm_b f32_gemm_b_of(const ops_gemm_args *g, void *scratch, size_t nr, uintptr_t align,
                                       void (*pack)(const ops_gemm_args *g, float *dst))
{
    f32_gemm_b s;
    s.packed = scratch != 0 || g->b_packed != 0;
    if (s.packed) {
        float *pk = (float *)g->b_packed;
        if (!pk) {
            pk = (float *)(((uintptr_t)scratch + align - 1) & ~(align - 1));
            pack(g, pk);
        }
        s.b = pk;
        s.ldb = nr;
        s.panel_step = g->k * nr;
    } else {
        s.b = g->b;
        s.ldb = g->b_stride;
        s.panel_step = nr;
    }
    return s;
}

/* The panel to prefetch into L2 while the panel pi (at column j0) of the
 * row block ending at row i1 is computed: the next panel, or the first
 * again for the next row block; NULL when this is the last of all, or when
 * B is not worth it -- not packed, or small enough (b_bytes) to stay in
 * L2. Packed B beyond that is the late layers' weights, streamed from
 * memory on every pass; both x86 kernels prefetch it from the first tile
 * of each panel (f32-gemm-12x32-avx512.c has the figures). */
static inline const float *f32_gemm_next_panel(const f32_gemm_b *src, size_t b_bytes, size_t pi, size_t j0,
                                               size_t nr, size_t n, size_t i1, size_t m)
{
    if (!src->packed || b_bytes <= F32_GEMM_B_L2_BYTES) return 0;
    return j0 + nr < n ? src->b + (pi + 1) * src->panel_step : i1 < m ? src->b : 0;
}

#endif /* EFFAD_F32_GEMM_BLOCKING_H */
