/*
 * q8-gemm-6x16.h -- every int8 1x1 convolution on AVX2: uint8 A x int8 B
 * in 6-row x 16-column register tiles of int32 sums, then the epilogue of
 * ops/q8.h (q8-avx2.h) on the tile. One body, two instantiations:
 * q8-gemm-6x16-avx2.c (Q8G_VNNI 0: any AVX2 CPU) and
 * q8-gemm-6x16-avxvnni.c (Q8G_VNNI 1: AVX2 CPUs with AVX-VNNI, the VEX
 * form of VPDPBUSD -- Alder Lake and later Intel cores, the N100-class
 * Atoms of fanless edge boxes, Xeon 6 E-cores, Zen 5). Q8G_FN(name)
 * appends the instantiation's suffix to the public names.
 *
 * Without VNNI, three inner loops, all exact (so all give the scalar
 * reference's bits); the packer picks one per panel of 16 columns from the
 * weights it holds:
 *  - "u6s8": when every weight of the panel lies in [-32, 32] (a model
 *    converted with --weight-bits 6), the two vpmaddubsw results of two k
 *    quads are added in int16 (2 x 2 x 255 x 32 = 32640 < 32767) before
 *    one vpmaddwd widens eight k into int32. 6x16x8 per step: 12
 *    broadcasts, 4 B loads, 24 + 12 multiplies, 12 + 12 adds -- three
 *    multiplies where u8s8 has four.
 *  - "u8s8": when every weight of the panel lies in [-64, 63] (a model
 *    converted with --weight-bits 7), vpmaddubsw multiplies 32 byte pairs
 *    at once and cannot saturate (2 x 255 x 64 < 32767); vpmaddwd against
 *    ones widens four k into int32. 6x16x4 per step: 6 broadcasts, 2 B
 *    loads, 12 + 12 multiplies, 12 adds.
 *  - "i16": any int8 weights. A and B widened to int16, vpmaddwd sums two
 *    k exactly. 6x16x2 per step: 6 broadcasts, 2 B loads, 12 multiplies,
 *    12 adds.
 * u8s8 and i16 issue the same number of multiply uops per MAC (vpmaddubsw and
 * vpmaddwd share the multiply pipes on Zen 3 and Skylake), so the 7-bit
 * form saves front-end instructions, half of B's bytes and A's widening,
 * not multiplies. (vpmaddubsw with full 8-bit weights would saturate at
 * 2 x 255 x 127 and differ from the reference; ONNX Runtime's
 * "reduce_range" exists for the same reason.)
 * With VNNI every panel is k quads whatever its weights: VPDPBUSD adds
 * four u8 x s8 products into each int32 lane in one instruction, without
 * an int16 step that could saturate. 6x16x4 per step: 6 broadcasts, 2 B
 * loads, 12 VPDPBUSD -- a third of u8s8's vector instructions.
 *
 * The zero point of A is not subtracted in the loop: acc = sum a*w -
 * a_zero * colsum(w), the column term precomputed when B is packed and
 * loaded as the accumulators' start value -- the same integer as the
 * scalar reference's sum (int32 addition wraps, so the order of the terms
 * cannot change a result that fits).
 *
 * Registers: 12 accumulators, 2 B vectors, the broadcast A value and one
 * product: all 16 ymm for i16 (the loop is kept free of anything else so
 * that the compiler can allocate it without spilling); u8s8 also needs the
 * vector of ones and spills one accumulator to L1. u6s8, which holds four
 * B vectors and two broadcasts, spilled five or six accumulators in every
 * step; it runs the tile as two passes over k of three rows each (six
 * accumulators: no spill; B read twice, from L1). Measured (plain AVX2
 * table, one thread pinned, shared Zen 5, three alternated runs, the
 * --fast bench models): B4's 1x1 layers 35.1-35.8 -> 33.9-34.1 ms, the
 * pass 60.1-63.1 -> 59.0-59.1; B0 6.65-6.74 -> 6.56-6.83 (noise).
 *
 * Epilogue: the activation is a compile-time constant of the tile (swish:
 * every expand and the head; none: the projections, with the residual;
 * anything else through a switch). It runs in two passes: the activations
 * of the whole tile, then the roundings, with rows packed in pairs so that
 * one pack/permute writes 16 bytes to each of two rows (bench-q8-kernels,
 * shared Zen 5, plain AVX2: the swish expands 6-12 % faster than finishing
 * each pair of rows in one go; the projections unchanged).
 *
 * Loop order: when packed B is small (the early, wide layers: k <= ~100),
 * one 6-row tile sweeps every panel before the next, in one call (A's rows
 * stay in L1, C is written as one stream). When it is larger, A is taken
 * in blocks of rows that fit in L2 and each panel sweeps the block, so a
 * panel is read from L2/L3 once per block instead of once per 6 rows.
 *
 * Prefetch: in that blocked order the first tile of each panel asks for
 * the next panel into L2 (_MM_HINT_T1), the line at the offset its own k
 * loop is reading, as the float GEMM does (f32-gemm-blocking.h): those are
 * the late layers' weights, streamed from L3 or memory on every pass, and
 * the next panel's first tile otherwise waited on each of its lines.
 * Measured (--fast bench models, one thread pinned, shared Zen 5,
 * 2026-12-05, four alternated pairs): plain AVX2 B4@380 59.0-60.7 ->
 * 58.3-58.9 ms, B0 6.55-6.85 -> 6.37-6.63 (`--layers`: the expands 14.85-
 * 14.95 -> 14.31-14.49 ms, the projections unchanged -- their B stays in
 * L2 across A's blocks); AVX-VNNI B4 46.8-48.2 -> 46.2-47.0, B0 5.31-5.64
 * -> 5.22-5.51. Not kept: into L1 (_MM_HINT_T0) instead, no better; the
 * same in the 16x8 GEMM (q16-gemm-6x16.h) and the AVX-512 VNNI one, no
 * change beyond the noise (B0 6.45-6.53 either way; AVX-512 B4 25.0-25.5
 * -> 25.0-25.2).
 *
 * A is copied per block when the tiles need it in another form: widened
 * to int16 for i16 panels, padded when k is not a multiple of 4, and
 * requantised when the call carries a_mult (the squeeze-excite rescale,
 * 32 columns across the block's rows at a time); otherwise u8s8 tiles
 * read it where it lies.
 *
 * Measured (bench/bench-q8-kernels.c, 7-bit weights, best of repeats on
 * the shared 2-vCPU Zen 3, int8 time / float32 time of the same shape):
 * 0.47-0.58 on the deep layers (49x1152x192, 144x448x2688), 0.65-0.85 on
 * the projections and mid expands, ~1.0 on the k = 16..24 expands, where
 * the swish epilogue is most of the work for either type.
 * AVX-VNNI against the 7-bit u8s8 loop (`effad bench --layers`, one
 * thread pinned to one vCPU of a shared Zen 5, two alternated runs each):
 * the 1x1 layers of B0 int8 4.47-4.52 -> 2.92-3.05 ms (71 -> 105-109
 * GMAC/s), of B4 42.5-43.3 -> 25.7-25.8 ms (85-87 -> 143-144 GMAC/s).
 * Shape by shape (`bench-q8-kernels --weight-bits=7 avx2-vnni avx2`,
 * same machine, minima): 0.51-0.63 of the u8s8 time on the projections
 * and deep expands, 0.76-0.86 on the k = 16..40 swish expands, where the
 * epilogue is most of the work.
 *
 * Measured and not kept (plain AVX2 table, shared Zen 5, 2026-12-04):
 *  - 4-row tiles for the u8s8 loop (8 accumulators, the ones vector in a
 *    register, nothing spilled): alone, hot in L1 (the loop copied into a
 *    test program), 104-106 GMAC/s against 74-96 for 6 rows on B4's
 *    shapes; in the engine, B4@380 int8, the 1x1 layers 44.2-46.0 ms
 *    against 44.4-45.1 and the pass 69.4-69.9 against 69.1-69.9 (three
 *    alternated pairs): what the pass loses here is not the inner loop.
 *  - A blocks of 512 KiB instead of 128 (fewer sweeps of B per layer):
 *    the 1x1 layers 43.5-44.2 against 44.2-45.8 ms, within noise.
 *
 * The u6s8 loop (2026-12-05, plain AVX2 table, one thread pinned, shared
 * Zen 5; the all-int8 bench models, --weight-bits 7 against 6): the 1x1
 * layers of B4@380 43.7 -> 36.0 ms (84.5 -> 102.8 GMAC/s), the pass
 * 64.1-67.2 -> 59.8-61.7 ms; B0 6.6-6.9 -> 6.2-6.3 ms (three alternated
 * runs). Six bits rounded to nearest cost the fidelity bar (demo 0.9876,
 * brushed metal 0.9872 against 0.9923 / 0.9904 with 7 bits, 2026-12-04);
 * what makes them usable is the converter's error-compensating rounding
 * (convert/gptq.c).
 *
 * Packed B, the table's own layout (ops/dispatch.h): per panel of 16
 * columns, a 128-byte header (16 int32 a_zero * colsum, then the mode),
 * then the panel's B: u8s8: ceil(k/4) rows of 16 columns x 4 int8 (k
 * quads); i16: ceil(k/2) rows of 16 columns x 2 int16 (k pairs); padding
 * zero. Every panel has the i16 size, so the panel of column j0 starts at
 * (j0 / 16) * panel_bytes(k) whatever the modes.
 */
#ifndef Q8G_VNNI
#error "define Q8G_VNNI (0 or 1) and Q8G_FN before including q8-gemm-6x16.h"
#endif
#include <immintrin.h>
#include "kernels-internal.h"
#include "q8-avx2.h"

#define Q8_MR 6
#define Q8_NR 16
#define HEADER_BYTES 128u
/* Packed B up to this size is read from L2 by every 6-row tile. */
#define B_SWEEP_BYTES (128u << 10)
/* Above it, A is taken in blocks of about this many bytes (as copied). */
#define A_BLOCK_BYTES (128u << 10)
enum { MODE_I16 = 0, MODE_U8S8 = 1, MODE_U6S8 = 2 };
enum { EPI_ACT = 0, EPI_SWISH = 1, EPI_NONE = 2 };

static size_t kp_of(size_t k) { return (k + 1) / 2; }   /* k pairs */
static size_t kq_of(size_t k) { return (k + 3) / 4; }   /* k quads */
static size_t panel_bytes(size_t k) { return HEADER_BYTES + kp_of(k) * Q8_NR * 4; }

/* The sizes and offsets are the same for both instantiations (a VNNI
 * panel is a u8s8 one, in room for an i16 one): the avx2 names serve both
 * tables. */
#if !Q8G_VNNI
size_t q8_gemm_pack_buffer_size_avx2(size_t n, size_t k)
{
    return (n + Q8_NR - 1) / Q8_NR * panel_bytes(k);
}

size_t q8_gemm_pack_offset_avx2(size_t j0, size_t k)
{
    return j0 / Q8_NR * panel_bytes(k);
}
#endif

/* Bytes of one row of A as the tiles read it: uint8 k quads and int16 k
 * pairs (whichever the panels need; the scratch has room for both). */
static size_t a_row_bytes(size_t k) { return kq_of(k) * 4 + kp_of(k) * 4; }

/* Rows of A per block (a multiple of the tile height; see the top). */
static size_t block_rows(size_t m, size_t n, size_t k)
{
    const size_t m6 = (m + Q8_MR - 1) / Q8_MR * Q8_MR;
    if (q8_gemm_pack_buffer_size_avx2(n, k) <= B_SWEEP_BYTES) return Q8_MR;
    size_t mc = A_BLOCK_BYTES / a_row_bytes(k) / Q8_MR * Q8_MR;
    if (mc < Q8_MR) mc = Q8_MR;
    return mc < m6 ? mc : m6;
}

/* Scratch: each panel's epilogue factors (mult and bias of its 16
 * columns, zero past n), then one block of A rows in both forms; 32-byte
 * aligned. */
static size_t factor_bytes(size_t n) { return (n + Q8_NR - 1) / Q8_NR * 4 * sizeof(__m256); }

#if !Q8G_VNNI
size_t q8_gemm_buffer_size_avx2(size_t m, size_t n, size_t k)
{
    return factor_bytes(n) + block_rows(m ? m : 1, n, k) * a_row_bytes(k) + 64;
}
#endif

/* ---------------------------------------------------------------- pack */

/* Row kk of B's panel at column j0 (16 bytes; zeros past k or past the
 * nr valid columns; full: nr is 16, the common case, a plain load). */
static inline __attribute__((always_inline)) __m128i b_row(const ops_q8_gemm_args *g, size_t kk, size_t j0,
                                                           size_t nr, const int full)
{
    if (kk >= g->k) return _mm_setzero_si128();
    const int8_t *p = g->b + kk * g->b_stride + j0;
    if (full) return _mm_loadu_si128((const __m128i *)(const void *)p);
    int8_t t[16] = { 0 };
    memcpy(t, p, nr);
    return _mm_loadu_si128((const __m128i *)(const void *)t);
}

/* Four k rows of 16 columns into [column][4 bytes] (u8s8); adds each
 * column's four weights to s4 (1 x w through vpmaddubsw, exact in int16). */
static inline __attribute__((always_inline)) void pack_quad(__m128i r0, __m128i r1, __m128i r2, __m128i r3, __m128i *p,
                                                            __m128i *s4)
{
    const __m128i one8 = _mm_set1_epi8(1), one16 = _mm_set1_epi16(1);
    const __m128i t0 = _mm_unpacklo_epi8(r0, r1), t1 = _mm_unpackhi_epi8(r0, r1);
    const __m128i t2 = _mm_unpacklo_epi8(r2, r3), t3 = _mm_unpackhi_epi8(r2, r3);
    const __m128i q[4] = { _mm_unpacklo_epi16(t0, t2), _mm_unpackhi_epi16(t0, t2),    /* columns 0-3, 4-7 */
                           _mm_unpacklo_epi16(t1, t3), _mm_unpackhi_epi16(t1, t3) };  /* 8-11, 12-15 */
#pragma GCC unroll 4
    for (int i = 0; i < 4; i++) {
        _mm_store_si128(p + i, q[i]);
        s4[i] = _mm_add_epi32(s4[i], _mm_madd_epi16(_mm_maddubs_epi16(one8, q[i]), one16));
    }
}

/* Two k rows of 16 columns into [column][2 int16] (i16); adds the column
 * sums (w x 1 through vpmaddwd). */
static inline __attribute__((always_inline)) void pack_pair(__m128i r0, __m128i r1, __m256i *p, __m256i *sum0,
                                                            __m256i *sum1)
{
    const __m256i ones16 = _mm256_set1_epi16(1);
    const __m256i w0 = _mm256_cvtepi8_epi16(_mm_unpacklo_epi8(r0, r1));   /* columns 0-7, (k, k+1) */
    const __m256i w1 = _mm256_cvtepi8_epi16(_mm_unpackhi_epi8(r0, r1));   /* columns 8-15 */
    _mm256_store_si256(p, w0);
    _mm256_store_si256(p + 1, w1);
    *sum0 = _mm256_add_epi32(*sum0, _mm256_madd_epi16(w0, ones16));
    *sum1 = _mm256_add_epi32(*sum1, _mm256_madd_epi16(w1, ones16));
}

/* One panel: the mode from the weights' range, the column sums, B laid
 * out for that mode. Full panels (16 columns) walk B's rows with plain
 * loads; the k tail and a partial last panel go through b_row. */
static inline __attribute__((always_inline)) void pack_panel(const ops_q8_gemm_args *g, size_t j0, uint8_t *panel,
                                                              const int full)
{
    const size_t k = g->k, nr = g->n - j0 < Q8_NR ? g->n - j0 : Q8_NR, ld = g->b_stride;
    const int8_t *b = g->b + j0;
    __m128i lo = _mm_setzero_si128(), hi = lo;
    if (Q8G_VNNI) {
        /* no range to check: every panel is k quads */
    } else if (full) {
        const int8_t *p = b;
        for (size_t kk = 0; kk < k; kk++, p += ld) {
            const __m128i r = _mm_loadu_si128((const __m128i *)(const void *)p);
            lo = _mm_min_epi8(lo, r);
            hi = _mm_max_epi8(hi, r);
        }
    } else {
        for (size_t kk = 0; kk < k; kk++) {
            const __m128i r = b_row(g, kk, j0, nr, 0);
            lo = _mm_min_epi8(lo, r);
            hi = _mm_max_epi8(hi, r);
        }
    }
    /* every byte in [-64, 63]: lo + 64 and 63 - hi stay non-negative */
    const int small = Q8G_VNNI || _mm_movemask_epi8(_mm_or_si128(_mm_cmplt_epi8(lo, _mm_set1_epi8(-64)),
                                                     _mm_cmpgt_epi8(hi, _mm_set1_epi8(63)))) == 0;
    /* every byte in [-32, 32]: two k quads may share one vpmaddwd */
    const int six = !Q8G_VNNI && _mm_movemask_epi8(_mm_or_si128(_mm_cmplt_epi8(lo, _mm_set1_epi8(-32)),
                                                                _mm_cmpgt_epi8(hi, _mm_set1_epi8(32)))) == 0;
    __m256i sum0 = _mm256_setzero_si256(), sum1 = sum0;   /* columns 0-7, 8-15 */
    if (small) {
        __m128i s4[4] = { _mm_setzero_si128(), _mm_setzero_si128(), _mm_setzero_si128(), _mm_setzero_si128() };
        __m128i *p = (__m128i *)(void *)(panel + HEADER_BYTES);
        size_t kk = 0;
        if (full)
            for (const int8_t *r = b; kk + 4 <= k; kk += 4, p += 4, r += 4 * ld)
                pack_quad(_mm_loadu_si128((const __m128i *)(const void *)r),
                          _mm_loadu_si128((const __m128i *)(const void *)(r + ld)),
                          _mm_loadu_si128((const __m128i *)(const void *)(r + 2 * ld)),
                          _mm_loadu_si128((const __m128i *)(const void *)(r + 3 * ld)), p, s4);
        for (; kk < k; kk += 4, p += 4)
            pack_quad(b_row(g, kk, j0, nr, full), b_row(g, kk + 1, j0, nr, full), b_row(g, kk + 2, j0, nr, full),
                      b_row(g, kk + 3, j0, nr, full), p, s4);
        sum0 = _mm256_set_m128i(s4[1], s4[0]);
        sum1 = _mm256_set_m128i(s4[3], s4[2]);
    } else {
        __m256i *p = (__m256i *)(void *)(panel + HEADER_BYTES);
        size_t kk = 0;
        if (full)
            for (const int8_t *r = b; kk + 2 <= k; kk += 2, p += 2, r += 2 * ld)
                pack_pair(_mm_loadu_si128((const __m128i *)(const void *)r),
                          _mm_loadu_si128((const __m128i *)(const void *)(r + ld)), p, &sum0, &sum1);
        for (; kk < k; kk += 2, p += 2)
            pack_pair(b_row(g, kk, j0, nr, full), b_row(g, kk + 1, j0, nr, full), p, &sum0, &sum1);
    }
    int32_t *corr = (int32_t *)(void *)panel;
    const __m256i z = _mm256_set1_epi32(g->a_zero);
    _mm256_store_si256((__m256i *)(void *)corr, _mm256_mullo_epi32(sum0, z));
    _mm256_store_si256((__m256i *)(void *)(corr + 8), _mm256_mullo_epi32(sum1, z));
    corr[Q8_NR] = six ? MODE_U6S8 : small ? MODE_U8S8 : MODE_I16;
}

static void pack_full(const ops_q8_gemm_args *g, size_t j0, uint8_t *panel) { pack_panel(g, j0, panel, 1); }
static void pack_part(const ops_q8_gemm_args *g, size_t j0, uint8_t *panel) { pack_panel(g, j0, panel, 0); }

ops_status Q8G_FN(q8_gemm_pack)(const ops_q8_gemm_args *g, void *dst)
{
    if (!g || !g->b || !dst || ((uintptr_t)dst & 31)) return OPS_ERR_ARG;
    for (size_t j0 = 0; j0 < g->n; j0 += Q8_NR) {
        uint8_t *panel = (uint8_t *)dst + j0 / Q8_NR * panel_bytes(g->k);
        if (g->n - j0 >= Q8_NR) pack_full(g, j0, panel);
        else pack_part(g, j0, panel);
    }
    return OPS_OK;
}

static int panel_mode(const uint8_t *panel) { return ((const int32_t *)(const void *)panel)[Q8_NR]; }

/* -------------------------------------------------------------- tiles */

typedef struct q8_tile {
    const uint8_t *a;             /* the tile's first A row: 4 bytes per step */
    size_t lda;                   /* bytes from one A row to the next */
    const uint8_t *panel;         /* header, then B; the first of `panels` */
    const uint8_t *next;          /* the panel to prefetch (see "Prefetch"), or NULL */
    size_t panels, panel_bytes;   /* consecutive panels of one call (below) */
    size_t steps;                 /* k quads (u8s8) or k pairs (i16) */
    size_t nr;                    /* valid columns 1..16 (16 when panels > 1) */
    const __m256 *f;              /* per panel: mult (2 vectors), bias (2) */
    ops_act act;
    q8_avx2_out q;
    const uint8_t *res; size_t ldr; __m256i res_zero; __m256 res_scale;
    uint8_t *c; size_t ldc;
} q8_tile;

static inline __m256i bcast4(const uint8_t *p)
{
    int32_t v;
    memcpy(&v, p, 4);
    return _mm256_set1_epi32(v);
}

/* One output vector: ops_q8_finish on 8 lanes up to the activation (bias
 * zero when the layer has none, as in the reference) ... */
static inline __attribute__((always_inline)) __m256 act8(const q8_tile *t, const int epi, __m256i acc, __m256 m,
                                                         __m256 b)
{
    __m256 x = _mm256_fmadd_ps(_mm256_cvtepi32_ps(acc), m, b);
    if (epi == EPI_SWISH) x = q8_avx2_swish(x, 1);
    else if (epi == EPI_ACT) x = q8_avx2_act(x, t->act, 1);
    return x;
}

/* ... and from there to the rounding. */
static inline __attribute__((always_inline)) __m256i round8(const q8_tile *t, __m256 x, const uint8_t *res)
{
    if (res) x = q8_avx2_add_res8(x, res, t->res_zero, t->res_scale);
    return q8_avx2_round(x, &t->q);
}

/* Rows r and r + 1 (or r alone: two = 0) of the tile to C. */
static inline __attribute__((always_inline)) void store_rows(const q8_tile *t, size_t p, const int r, const int two,
                                                             __m256 xa0, __m256 xa1, __m256 xb0, __m256 xb1)
{
    /* nr 8 (B4's 24- and 56-column layers end in one): the upper lanes are
     * neither finished nor stored; other partial panels go through a
     * buffer */
    const size_t nr = t->nr;
    const int eight = nr == 8, upper = nr > 8;
    const uint8_t *ra = 0, *rb = 0;
    uint8_t rbuf[32];
    if (t->res) {
        ra = t->res + (size_t)r * t->ldr + p * Q8_NR;
        rb = two ? ra + t->ldr : ra;
        if (nr < Q8_NR && !eight) {
            memset(rbuf, 0, sizeof rbuf);
            memcpy(rbuf, ra, nr);
            memcpy(rbuf + 16, rb, nr);
            ra = rbuf; rb = rbuf + 16;
        }
    }
    const __m256i xa = round8(t, xa0, ra);
    const __m256i x = q8_avx2_half(xa, upper ? round8(t, xa1, ra ? ra + 8 : 0) : xa, &t->q);
    __m256i y = x;
    if (two) {
        const __m256i ya = round8(t, xb0, rb);
        y = q8_avx2_half(ya, upper ? round8(t, xb1, rb ? rb + 8 : 0) : ya, &t->q);
    }
    const __m256i v = q8_avx2_bytes(x, y);
    uint8_t *c = t->c + (size_t)r * t->ldc + p * Q8_NR;
    if (nr == Q8_NR) {
        _mm_storeu_si128((__m128i *)(void *)c, _mm256_castsi256_si128(v));
        if (two) _mm_storeu_si128((__m128i *)(void *)(c + t->ldc), _mm256_extracti128_si256(v, 1));
    } else if (eight) {
        _mm_storel_epi64((__m128i *)(void *)c, _mm256_castsi256_si128(v));
        if (two) _mm_storel_epi64((__m128i *)(void *)(c + t->ldc), _mm256_extracti128_si256(v, 1));
    } else {
        uint8_t ob[32];
        _mm256_storeu_si256((__m256i *)(void *)ob, v);
        memcpy(c, ob, nr);
        if (two) memcpy(c + t->ldc, ob + 16, nr);
    }
}

#define ROW(r, step)                                                                \
    if (mr > r) {                                                                   \
        const __m256i av = bcast4(a##r + 4 * s);                                    \
        c##r##0 = step(c##r##0, av, vb0);                                           \
        c##r##1 = step(c##r##1, av, vb1);                                           \
    }

/* acc + the products of one step: four k of u8 a x s8 b (u8s8) or two k
 * of int16 (i16) per int32 lane. */
#if Q8G_VNNI
/* VPDPBUSD, VEX-encoded ({vex}, written %{vex%} in GCC asm: the AVX-VNNI form; "x" keeps the operands
 * in ymm0-15, which VEX can name). In asm for the reason the AVX-512 VNNI
 * kernel gives: GCC 12 does not keep the intrinsic's accumulator in one
 * register across the loop. */
static inline __attribute__((always_inline)) __m256i step_u8s8(__m256i acc, __m256i a, __m256i b)
{
    __asm__("%{vex%} vpdpbusd %2, %1, %0" : "+x"(acc) : "x"(a), "x"(b));
    return acc;
}
#else
static inline __attribute__((always_inline)) __m256i step_u8s8(__m256i acc, __m256i a, __m256i b)
{
    return _mm256_add_epi32(acc, _mm256_madd_epi16(_mm256_maddubs_epi16(a, b), _mm256_set1_epi16(1)));
}
#endif

/* acc + two k quads: a (quad s) x b (its columns) and a1 (quad s + 1) x b1,
 * the two vpmaddubsw results added in int16 before one vpmaddwd widens
 * them -- exact when every weight lies in [-32, 32]: 2 x 2 x 255 x 32 =
 * 32640 < 32767. */
static inline __attribute__((always_inline)) __m256i step_u6s8(__m256i acc, __m256i a, __m256i a1, __m256i b,
                                                               __m256i b1)
{
    const __m256i p = _mm256_add_epi16(_mm256_maddubs_epi16(a, b), _mm256_maddubs_epi16(a1, b1));
    return _mm256_add_epi32(acc, _mm256_madd_epi16(p, _mm256_set1_epi16(1)));
}

static inline __attribute__((always_inline)) __m256i step_i16(__m256i acc, __m256i a, __m256i b)
{
    return _mm256_add_epi32(acc, _mm256_madd_epi16(a, b));
}

/* The line of the next panel at the offset the k loop reads in this one. */
#define PREFETCH_NEXT(at) _mm_prefetch((const char *)(next + ((const uint8_t *)(at) - panel)), _MM_HINT_T1)

/* Panel p of the call's panels (see q8_tile). */
static inline __attribute__((always_inline)) void tile(const int mr, const int mode, const int epi, const q8_tile *t,
                                                       size_t p)
{
    const uint8_t *panel = t->panel + p * t->panel_bytes;
    const uint8_t *next = t->next;   /* only ever set with one panel a call */
    if (next) PREFETCH_NEXT(panel), PREFETCH_NEXT(panel + 64);   /* the header */
    /* start from -a_zero * colsum (see the top) */
    const __m256i z = _mm256_setzero_si256();
    const __m256i i0 = _mm256_sub_epi32(z, _mm256_load_si256((const __m256i *)(const void *)panel));
    const __m256i i1 = _mm256_sub_epi32(z, _mm256_load_si256((const __m256i *)(const void *)(panel + 32)));
    __m256i c00 = i0, c01 = i1, c10 = i0, c11 = i1, c20 = i0, c21 = i1;
    __m256i c30 = i0, c31 = i1, c40 = i0, c41 = i1, c50 = i0, c51 = i1;
    /* row pointers past mr stay on row 0: never read */
    const uint8_t *a0 = t->a;
    const uint8_t *a1 = mr > 1 ? a0 + t->lda : a0;
    const uint8_t *a2 = mr > 2 ? a1 + t->lda : a0;
    const uint8_t *a3 = mr > 3 ? a2 + t->lda : a0;
    const uint8_t *a4 = mr > 4 ? a3 + t->lda : a0;
    const uint8_t *a5 = mr > 5 ? a4 + t->lda : a0;
    const __m256i *bp = (const __m256i *)(const void *)(panel + HEADER_BYTES);
    const size_t steps = t->steps;
    if (mode == MODE_U6S8) {
        size_t s = 0;
#define ROW6(r)                                                                     \
    if (mr > r) {                                                                   \
        const __m256i av = bcast4(a##r + 4 * s), av1 = bcast4(a##r + 4 * s + 4);   \
        c##r##0 = step_u6s8(c##r##0, av, av1, vb0, vb2);                            \
        c##r##1 = step_u6s8(c##r##1, av, av1, vb1, vb3);                            \
    }
#define U6_PASS(r0, r1, r2)                                                         \
    {                                                                               \
        const __m256i *bq = bp;                                                     \
        for (s = 0; s + 2 <= steps; s += 2, bq += 4) {                              \
            if (r0 == 0 && next) PREFETCH_NEXT(bq), PREFETCH_NEXT(bq + 2);          \
            const __m256i vb0 = _mm256_load_si256(bq), vb1 = _mm256_load_si256(bq + 1); \
            const __m256i vb2 = _mm256_load_si256(bq + 2), vb3 = _mm256_load_si256(bq + 3); \
            ROW6(r0) ROW6(r1) ROW6(r2)                                              \
        }                                                                           \
        if (s < steps) {                                                            \
            if (r0 == 0 && next) PREFETCH_NEXT(bq);                                 \
            const __m256i vb0 = _mm256_load_si256(bq), vb1 = _mm256_load_si256(bq + 1); \
            ROW(r0, step_u8s8) ROW(r1, step_u8s8) ROW(r2, step_u8s8)                \
        }                                                                           \
    }
        /* rows 0-2 over every k, then rows 3-5 (see Registers above) */
        U6_PASS(0, 1, 2)
        if (mr > 3) U6_PASS(3, 4, 5)
#undef U6_PASS
#undef ROW6
    } else if (mode == MODE_U8S8) {
        for (size_t s = 0; s < steps; s++, bp += 2) {
            if (next) PREFETCH_NEXT(bp);
            const __m256i vb0 = _mm256_load_si256(bp), vb1 = _mm256_load_si256(bp + 1);
            ROW(0, step_u8s8) ROW(1, step_u8s8) ROW(2, step_u8s8)
            ROW(3, step_u8s8) ROW(4, step_u8s8) ROW(5, step_u8s8)
        }
    } else {
        for (size_t s = 0; s < steps; s++, bp += 2) {
            if (next) PREFETCH_NEXT(bp);
            const __m256i vb0 = _mm256_load_si256(bp), vb1 = _mm256_load_si256(bp + 1);
            ROW(0, step_i16) ROW(1, step_i16) ROW(2, step_i16)
            ROW(3, step_i16) ROW(4, step_i16) ROW(5, step_i16)
        }
    }
    /* The epilogue in two passes: every activation of the tile first, then
     * the roundings, packs and stores. Finished pair by pair, each swish
     * (a ~40-cycle chain) fed a pack that waited on it, and the core
     * overlapped few of them; as one run of independent chains it keeps
     * its pipes busy. Same operations on every lane, so the same bits. */
    const __m256 *f = t->f + 4 * p;
    const __m256 m0 = f[0], m1 = f[1], b0 = f[2], b1 = f[3];
    const int upper = t->nr > 8;
    __m256 x[12];
#define ACT_ROW(r)                                                                  \
    if (mr > r) {                                                                   \
        x[2 * r] = act8(t, epi, c##r##0, m0, b0);                                   \
        x[2 * r + 1] = upper ? act8(t, epi, c##r##1, m1, b1) : x[2 * r];            \
    } else {                                                                        \
        x[2 * r] = x[2 * r + 1] = m0;                                               \
    }
    ACT_ROW(0) ACT_ROW(1) ACT_ROW(2) ACT_ROW(3) ACT_ROW(4) ACT_ROW(5)
#undef ACT_ROW
    store_rows(t, p, 0, mr > 1, x[0], x[1], x[2], x[3]);
    if (mr > 2) store_rows(t, p, 2, mr > 3, x[4], x[5], x[6], x[7]);
    if (mr > 4) store_rows(t, p, 4, mr > 5, x[8], x[9], x[10], x[11]);
}
#undef ROW
#undef PREFETCH_NEXT

/* One call: the tile rows against t->panels consecutive panels (a row of
 * tiles across small B: one indirect call per 6 rows, not per panel). */
typedef void (*tile_fn)(const q8_tile *t);
#define TILE(mr, m, e) \
    static void tile_##mr##_##m##_##e(const q8_tile *t) { for (size_t p = 0; p < t->panels; p++) tile(mr, m, e, t, p); }
#define TILES(m, e) TILE(1, m, e) TILE(2, m, e) TILE(3, m, e) TILE(4, m, e) TILE(5, m, e) TILE(6, m, e)
#define ROWS(m, e) { tile_1_##m##_##e, tile_2_##m##_##e, tile_3_##m##_##e, tile_4_##m##_##e, tile_5_##m##_##e, tile_6_##m##_##e }
TILES(1, 0) TILES(1, 1) TILES(1, 2)
#if Q8G_VNNI
/* no i16 or u6s8 panels: their slots hold the u8s8 tiles, never chosen */
#define ROWS_I16(e) ROWS(1, e)
#define ROWS_U6(e) ROWS(1, e)
#else
TILES(0, 0) TILES(0, 1) TILES(0, 2)
TILES(2, 0) TILES(2, 1) TILES(2, 2)
#define ROWS_I16(e) ROWS(0, e)
#define ROWS_U6(e) ROWS(2, e)
#endif
static const tile_fn tiles[3][3][Q8_MR] = {
    { ROWS_I16(0), ROWS(1, 0), ROWS_U6(0) }, { ROWS_I16(1), ROWS(1, 1), ROWS_U6(1) },
    { ROWS_I16(2), ROWS(1, 2), ROWS_U6(2) },
};
#undef ROWS_I16
#undef ROWS_U6
#undef ROWS
#undef TILES
#undef TILE

/* ---------------------------------------------------------------- copy */

/* The block's rows of A requantised by a_mult into u8 (rows kq4 bytes
 * apart): 32 columns at a time across all the rows, so that each chunk's
 * factors are loaded once per block, not once per row (B0's first
 * projection has k = 32: a row is one chunk). */
static void rescale_block(const ops_q8_gemm_args *g, const uint8_t *a, size_t rows, const q8_avx2_out *q, uint8_t *u8)
{
    const size_t k = g->k, lda = g->a_stride, kq4 = kq_of(k) * 4;
    const __m256i zi = _mm256_set1_epi32(g->a_in_zero);
    size_t ch = 0;
    for (; ch + 32 <= k; ch += 32) {
        const __m256 m[4] = { _mm256_loadu_ps(g->a_mult + ch), _mm256_loadu_ps(g->a_mult + ch + 8),
                              _mm256_loadu_ps(g->a_mult + ch + 16), _mm256_loadu_ps(g->a_mult + ch + 24) };
        for (size_t r = 0; r < rows; r++) {
            const uint8_t *x = a + r * lda + ch;
            __m256i v[4];
#pragma GCC unroll 4
            for (int j = 0; j < 4; j++)
                v[j] = q8_avx2_round(_mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_sub_epi32(q8_avx2_load8u(x + 8 * j), zi)), m[j]), q);
            _mm256_storeu_si256((__m256i *)(void *)(u8 + r * kq4 + ch),
                                q8_avx2_bytes(q8_avx2_half(v[0], v[1], q), q8_avx2_half(v[2], v[3], q)));
        }
    }
    if (ch < k)
        for (size_t r = 0; r < rows; r++)
            q8_avx2_rescale_row(a + r * lda + ch, k - ch, g->a_in_zero, g->a_mult + ch, g->a_zero, q, u8 + r * kq4 + ch);
}

/* Rows of A into the block: uint8 with k padded to 4 (u8: when the tiles
 * cannot read A in place, or A is requantised by a_mult -- the u8 row is
 * then what gets widened) and widened to int16 with k padded to 2 (a16). */
static void copy_rows(const ops_q8_gemm_args *g, const uint8_t *a, size_t rows, const q8_avx2_out *qa, uint8_t *u8,
                      int16_t *a16)
{
    const size_t k = g->k, lda = g->a_stride, kq4 = kq_of(k) * 4, kp2 = kp_of(k) * 2;
    if (u8 && g->a_mult) rescale_block(g, a, rows, qa, u8);
    if (!a16 && g->a_mult && kq4 == k) return;
    for (size_t r = 0; r < rows; r++) {
        const uint8_t *src = a + r * lda;
        if (u8) {
            uint8_t *d = u8 + r * kq4;
            if (!g->a_mult) memcpy(d, src, k);
            if (kq4 > k) memset(d + k, 0, kq4 - k);
            src = d;
        }
        if (!a16) continue;
        int16_t *w = a16 + r * kp2;
        size_t i = 0;
        for (; i + 16 <= k; i += 16)
            _mm256_storeu_si256((__m256i *)(void *)(w + i), _mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i *)(const void *)(src + i))));
        if (i + 8 <= k) {
            _mm_storeu_si128((__m128i *)(void *)(w + i), _mm_cvtepu8_epi16(_mm_loadl_epi64((const __m128i *)(const void *)(src + i))));
            i += 8;
        }
        for (; i < kp2; i++) w[i] = i < k ? src[i] : 0;
    }
}

ops_status Q8G_FN(q8_gemm_6x16)(const ops_q8_gemm_args *g, void *scratch)
{
    if (!g || (g->m && g->n && (!g->a || !g->c || !g->out.mult || !g->k))) return OPS_ERR_ARG;
    const size_t m = g->m, n = g->n, k = g->k;
    if (!m || !n) return OPS_OK;
    /* without a packed B (tests, callers that do not pack) the reference:
     * the layout above is only built by this file's q8_gemm_pack */
    if (!g->b_packed || !scratch) return q8_gemm_scalar(g, scratch);
    const uint8_t *packed = g->b_packed;
    int any_i16 = 0, any_u8 = 0;
    for (size_t j0 = 0; j0 < n; j0 += Q8_NR) {
        const int mode = panel_mode(packed + j0 / Q8_NR * panel_bytes(k));
        any_i16 |= mode == MODE_I16;
        any_u8 |= mode != MODE_I16;
    }
    /* u8s8 tiles read A where it lies when its rows hold whole k quads
     * and need no requantising */
    const int u8_in_place = k % 4 == 0 && !g->a_mult;
    const int need_u8 = (any_u8 && !u8_in_place) || g->a_mult;
    const q8_avx2_out qa = q8_avx2_out_of(1.0f, g->a_zero);
    const size_t mc = block_rows(m, n, k), kq4 = kq_of(k) * 4;
    __m256 *factors = (__m256 *)(((uintptr_t)scratch + 31) & ~(uintptr_t)31);
    uint8_t *u8 = (uint8_t *)factors + factor_bytes(n);
    int16_t *a16 = (int16_t *)(void *)(u8 + ((mc * kq4 + 31) & ~(size_t)31));
    for (size_t j0 = 0; j0 < n; j0 += Q8_NR) {
        const size_t nr = n - j0 < Q8_NR ? n - j0 : Q8_NR;
        float mult[16] = { 0 }, bias[16] = { 0 };
        memcpy(mult, g->out.mult + j0, nr * sizeof(float));
        if (g->out.bias) memcpy(bias, g->out.bias + j0, nr * sizeof(float));
        __m256 *f = factors + j0 / Q8_NR * 4;
        f[0] = _mm256_loadu_ps(mult); f[1] = _mm256_loadu_ps(mult + 8);
        f[2] = _mm256_loadu_ps(bias); f[3] = _mm256_loadu_ps(bias + 8);
    }

    q8_tile t;
    t.act = g->out.act;
    t.q = q8_avx2_out_for(&g->out);
    t.res_zero = _mm256_set1_epi32(g->res_zero);
    t.res_scale = _mm256_set1_ps(g->res_scale);
    t.ldr = g->res_stride;
    t.ldc = g->c_stride;
    const size_t pb = panel_bytes(k);
    t.panel_bytes = pb;
    const int epi = g->out.act.kind == OPS_ACT_SWISH ? EPI_SWISH : g->out.act.kind == OPS_ACT_NONE ? EPI_NONE : EPI_ACT;
    for (size_t i0 = 0; i0 < m; i0 += mc) {
        const size_t rows = m - i0 < mc ? m - i0 : mc;
        if (any_i16 || need_u8) copy_rows(g, g->a + i0 * g->a_stride, rows, &qa, need_u8 ? u8 : 0, any_i16 ? a16 : 0);
        for (size_t j0 = 0, j1; j0 < n; j0 = j1) {
            t.panel = packed + j0 / Q8_NR * pb;
            const int mode = panel_mode(t.panel), u8s8 = mode != MODE_I16;
            /* sweeping: the run of full panels of one mode from j0 */
            j1 = j0 + Q8_NR;
            if (mc == Q8_MR)
                while (j1 + Q8_NR <= n && panel_mode(packed + j1 / Q8_NR * pb) == mode) j1 += Q8_NR;
            t.nr = n - j0 < Q8_NR ? n - j0 : Q8_NR;
            t.panels = j1 <= n ? (j1 - j0) / Q8_NR : 1;
            t.f = factors + j0 / Q8_NR * 4;
            t.steps = u8s8 ? kq_of(k) : kp_of(k);
            for (size_t i = 0; i < rows; i += Q8_MR) {
                const size_t mr = rows - i < Q8_MR ? rows - i : Q8_MR;
                if (!u8s8) { t.a = (const uint8_t *)(a16 + i * kp_of(k) * 2); t.lda = kp_of(k) * 4; }
                else if (u8_in_place) { t.a = g->a + (i0 + i) * g->a_stride; t.lda = g->a_stride; }
                else { t.a = u8 + i * kq4; t.lda = kq4; }
                t.res = g->res ? g->res + (i0 + i) * g->res_stride + j0 : 0;
                t.c = g->c + (i0 + i) * g->c_stride + j0;
                /* blocks of A (B too big to sweep): the block's first tile
                 * brings the next panel into L2 */
                t.next = i == 0 && mc > Q8_MR && j1 < n ? packed + j1 / Q8_NR * pb : 0;
                tiles[epi][mode][mr - 1](&t);
            }
        }
    }
    return OPS_OK;
}
