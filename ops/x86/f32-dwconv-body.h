/*
 * f32-dwconv-body.h -- the depthwise convolution body shared by the 3x3,
 * 5x5 and any-k kernels of AVX2 (avx2-dwconv.h) and AVX-512
 * (avx512-dwconv.h). Each of those headers names its vector type and
 * operations (the DW_* macros below) and includes this one; each kernel
 * file then instantiates DW_BODY with its constants. The figures below
 * were measured with the AVX2 binding (8 channels a vector, on Zen 3);
 * what differs on AVX-512 is in avx512-dwconv.h.
 *
 * Vectorised across channels, DW_LANES a step (HWC keeps them contiguous).
 *
 * Loop order: channel group (see DW_BODY), output row, then a tile of up
 * to 8 output columns, then the group's channel blocks of that tile
 * (DW_BLOCK_OUTER: blocks, then tiles, on short rows). Sweeping the channels innermost walks the
 * input rows and the output row strictly forward in memory, whole cache
 * lines at a time, which the hardware prefetcher follows; the earlier
 * order (channel block outer, columns inner) touched one 32-byte half line
 * every c*4 bytes, and on the large maps (190x190x144: a 3-row window is
 * 330 KB) the other half was evicted from L1 before the next block came
 * back for it -- the kernel ran at a third of its in-cache speed in the
 * model. The tap weights of a block are reloaded per tile (kh*kw loads per
 * 8*kh*kw FMAs) -- cheap, they are in L1.
 *
 * Within a tile, one loaded input vector feeds every output of the tile
 * that reads it (stride 1, 3x3: each column serves up to 3 outputs), so an
 * 8-wide tile does (8-1)*S+K loads per kernel row instead of 8*K. The
 * weights of one kernel row are held in registers: 8 accumulators + K
 * weights + 1 input <= 14 of AVX2's 16 ymm registers for K = 5.
 *
 * Every output takes its taps in (ky, kx) order, bias first, skipping the
 * padded ones, exactly as the scalar oracle does -- in a tile of 8, of 4,
 * alone, or at the border -- so any split of the rows (or of the columns
 * into tiles) gives identical output. Top and bottom rows run the tiles
 * with a shorter ky range; only the left/right border columns take the
 * per-pixel path.
 *
 * Swish (every EfficientNet depthwise) is not applied in the tile
 * epilogues (unless DW_SWISH_EPI): a row is computed raw, then
 * dw_swish_row runs the swishes four at a time in lockstep (DW_SWISH_N;
 * two pairs on AVX2, avx2_swish_pairs) over it while it is in L1. Eight
 * sequential swishes in the epilogue cost ~6 ns per vector; measured in
 * L1 (16x16x64 maps, best of 200): 3x3 11.0 -> 6.4 ns per output vector,
 * 5x5 12.6 -> 9.1; in the model, where the maps come from L2/L3, the gain
 * is within the noise.
 */
/*
 * The binding defines, before including this file:
 *   DW_VEC, DW_MASK        vector and lane-mask types
 *   DW_LANES               floats per vector
 *   DW_BODY                the name of the instantiated body
 *   DW_SWISH_EPI(kw, sw)   1: swish in the tile epilogues, 0: the row pass
 *   DW_BLOCK_OUTER(kw, sw, ow)  1: channel blocks outside the column tiles
 *   DW_LOADU(p), DW_LOADM(p, m), DW_STOREU(p, v), DW_STOREM(p, m, v),
 *   DW_ZERO(), DW_NOMASK, DW_TAIL_MASK(n), DW_FMADD(a, b, c), DW_ADD(a, b),
 *   DW_ACT_PS(x, act), DW_SWISH(x), DW_SWISH_N(v, n)
 * The vector math must be lane for lane the same IEEE operations in both
 * bindings (avx2-math.h, avx512-math.h), so both give the same bits.
 */
#ifndef EFFAD_F32_DWCONV_BODY_H
#define EFFAD_F32_DWCONV_BODY_H

#include "ops.h"
#include "kernels-internal.h"   /* ops_dw_fixed_kxk, the scalar oracle */

/* Kernel heights up to this go through the body (a row table on the stack);
 * taller ones -- valid ONNX, never EfficientNet -- to the scalar oracle. */
#define DW_MAX_KH 16

/* Prefetch distance in 8-column tiles, and the input size above which the
 * kernel prefetches (below it the maps stay in L2/L3 between layers). */
#ifndef DW_PF_TILES
#define DW_PF_TILES 2
#endif
/* Channel group size target: kh input rows x the group's channels (see the
 * loop in DW_BODY). */
#ifndef DW_GROUP_BYTES
#define DW_GROUP_BYTES (128u << 10)
#endif
/* DW_REG_WEIGHTS(kw, sw) 1: full channel blocks of sliding rows run
 * dw_row_rw -- the block's kw x kw weights held in registers across the
 * row, tiles of DW_RW_TILE(kw) columns. Needs kw * kw + DW_RW_TILE(kw) + 2
 * vector registers (avx512-dwconv.h says where it pays). */
#ifndef DW_REG_WEIGHTS
#define DW_REG_WEIGHTS(kw, sw) 0
#endif
/* Whether a row of this shape takes the register-weight path (before
 * activation: dw_row runs swish as a row pass then). */
#define DW_USES_RW(kh, kw, sw, sliding) (DW_REG_WEIGHTS(kw, sw) && (sliding) && (kh) == (kw))
/* Columns per register-weight tile: 4 for 3x3 (4 accumulators, 9
 * weights); 2 for 5x5, whose 25 weights leave few registers. */
#define DW_RW_TILE(k) ((k) == 3 ? 4 : 2)
#ifndef DW_PF_MIN_BYTES
#define DW_PF_MIN_BYTES (1u << 20)
#endif

#define DW_LD(p) (masked ? DW_LOADM((p), cm) : DW_LOADU(p))
#define DW_ST(p, v) (masked ? DW_STOREM((p), cm, (v)) : DW_STOREU((p), (v)))

/* Activation in the tile epilogues: every kind but swish, which goes
 * through dw_swish_row or the lockstep in dw_epilogue (the switch is on a
 * value constant for the call). */
#define DW_ACT(acc) DW_ACT_PS((acc), act)

/* The epilogue of n output vectors: activation and channel sum on the
 * registers, one store each; the output is never read back. epi_swish:
 * swish in locksteps of four (constant, so each instance has one path). */
static inline __attribute__((always_inline)) void
dw_epilogue(DW_VEC *acc, const int n, float *o, size_t c, float *cs, const int masked,
            ops_act act, DW_MASK cm, const int epi_swish)
{
    DW_VEC s = cs ? DW_LD(cs) : DW_ZERO();
    if (epi_swish && act.kind == OPS_ACT_SWISH) {
#pragma GCC unroll 2
        for (int j = 0; j < n; j += 4) DW_SWISH_N(acc + j, n - j < 4 ? n - j : 4);
#pragma GCC unroll 8
        for (int j = 0; j < n; j++) {
            s = DW_ADD(s, acc[j]);
            DW_ST(o + (size_t)j * c, acc[j]);
        }
        if (cs) DW_ST(cs, s);
        return;
    }
#pragma GCC unroll 8
    for (int j = 0; j < n; j++) {
        const DW_VEC y = DW_ACT(acc[j]);
        s = DW_ADD(s, y);
        DW_ST(o + (size_t)j * c, y);
    }
    if (cs) DW_ST(cs, s);
}

/* N adjacent output columns, one channel block. Their window spans
 * (N-1)*sw + kw input columns from ix0; of these, [col_lo, col_hi) are
 * inside the row (all of them but at the left and right edges; constants,
 * like kw, sw and N, in the sliding path). rows[ky]: start of the input row
 * under kernel row ky; off: (ix0 + col_lo, cb) within a row; wb: weights +
 * cb; kernel rows [ky_lo, ky_hi) are inside the image. */
static inline __attribute__((always_inline)) void
dw_tile(const float *const *rows, const size_t off, const float *wb, const DW_VEC vbias, const size_t c,
        const int ky_lo, const int ky_hi, const int kw, const int sw, const int N,
        const int col_lo, const int col_hi,
        const int sliding, const int masked, ops_act act, DW_MASK cm,
        float *o, float *cs)
{
    DW_VEC acc[8];
#pragma GCC unroll 8
    for (int j = 0; j < N; j++) acc[j] = vbias;
    for (int ky = ky_lo; ky < ky_hi; ky++) {
        const float *q = rows[ky] + off;
        const float *wk = wb + (size_t)ky * kw * c;
        if (sliding) {
            /* kw, sw and N are constants: the loops unroll completely and
             * the tap selection resolves at compile time. Column col feeds
             * output j = (col - kx) / sw for each kx that divides evenly;
             * for a fixed j the kx come in increasing order. */
            DW_VEC w[5];
#pragma GCC unroll 5
            for (int kx = 0; kx < kw; kx++) w[kx] = DW_LD(wk + (size_t)kx * c);
#pragma GCC unroll 24
            for (int col = col_lo; col < col_hi; col++) {
                const DW_VEC x = DW_LD(q + (size_t)(col - col_lo) * c);
#pragma GCC unroll 5
                for (int kx = 0; kx < kw; kx++) {
                    const int d = col - kx;
                    if (d >= 0 && d % sw == 0 && d / sw < N)
                        acc[d / sw] = DW_FMADD(x, w[kx], acc[d / sw]);
                }
            }
        } else {
            for (int kx = 0; kx < kw; kx++) {
                const DW_VEC w = DW_LD(wk + (size_t)kx * c);
#pragma GCC unroll 8
                for (int j = 0; j < N; j++)
                    acc[j] = DW_FMADD(DW_LD(q + (size_t)(j * sw + kx) * c), w, acc[j]);
            }
        }
    }
    dw_epilogue(acc, N, o, c, cs, masked, act, cm, DW_SWISH_EPI(kw, sw));
}

/* One output pixel at the left/right border, one channel block: the taps
 * inside the image, in (ky, kx) order. */
static inline __attribute__((always_inline)) void
dw_border_px(const ops_dwconv_args *a, const int kw, const int sw, const float *const *rows,
             int ky_lo, int ky_hi, int ox, int cb, const DW_VEC vbias, const int masked,
             DW_MASK cm, float *o, float *cs)
{
    const ops_act act = a->act;
    const int iw = a->in_dims.w;
    const size_t c = (size_t)a->in_dims.c;
    const int ix0 = ox * sw - a->g.pad_left;
    const int kx_lo = ix0 < 0 ? -ix0 : 0;
    const int kx_hi = iw - ix0 < kw ? iw - ix0 : kw;
    const float *wb = a->w + cb;
    DW_VEC acc = vbias;
    for (int ky = ky_lo; ky < ky_hi; ky++) {
        const float *ip = rows[ky] + cb;
        for (int kx = kx_lo; kx < kx_hi; kx++)
            acc = DW_FMADD(DW_LD(ip + (size_t)(ix0 + kx) * c), DW_LD(wb + (size_t)(ky * kw + kx) * c), acc);
    }
    dw_epilogue(&acc, 1, o, c, cs, masked, act, cm, DW_SWISH_EPI(kw, sw));
}

/* The N outputs from the left edge of a stride-1 row with "same"
 * padding (or the N up to its right edge), as one sliding tile whose
 * window starts kw / 2 columns before the row (or ends kw / 2 after it):
 * the columns outside are skipped at compile time, so the taps are those
 * of dw_border_px in the same order. On B4's 12x12 and 24x24 maps the
 * edges are a third and a sixth of the outputs, and the per-pixel path
 * cost twice a tile's time. N is kw / 2, or 4 or 8 where the row has room
 * (dw_edge_n): an edge of kw / 2 outputs is kw / 2 FMA chains, which
 * leave the FMA units idle for most of their latency. Measured against
 * edges of kw / 2 (bench-kernels isa, alternating binaries): B4's
 * depthwise layers avx512 8.92 -> 8.19 ms, avx2 13.2 -> 12.1; B0's avx512
 * 0.99 -> 0.93, avx2 1.55 -> 1.42; 12x12x1632 5x5 avx512 165 -> 124 us,
 * 24x24x960 5x5 350 -> 293, 7x7x1152 5x5 42.5 -> 30.7. In the engine
 * (effad bench, alternating): B4 1 thread 53.0 -> 52.3 ms (min), 2
 * threads 35.7-36.2 -> 34.8-35.5, B0 1 thread 6.50-6.67 -> 6.36-6.56. */
static inline __attribute__((always_inline)) void
dw_edge(const ops_dwconv_args *a, const int kw, const int right, const int N, const float *const *rows,
        int ky_lo, int ky_hi, int ox, int c0, int c1, float *orow, DW_MASK tail)
{
    const int P = kw / 2, span = (N - 1) + kw;
    const int col_lo = right ? 0 : P, col_hi = right ? span - P : span;
    const ops_act act = a->act;
    const size_t c = (size_t)a->in_dims.c;
    const DW_MASK none = DW_NOMASK;
    float *cs = a->chan_sum;
    const size_t off = (size_t)(ox - P + col_lo) * c;
    float *o = orow + (size_t)ox * c;
    int cb = c0;
    for (; cb + DW_LANES <= c1; cb += DW_LANES) {
        const DW_VEC vbias = a->bias ? DW_LOADU(a->bias + cb) : DW_ZERO();
        dw_tile(rows, off + cb, a->w + cb, vbias, c, ky_lo, ky_hi, kw, 1, N, col_lo, col_hi, 1, 0, act, none,
                o + cb, cs ? cs + cb : 0);
    }
    if (cb < c1) {
        const DW_VEC vbias = a->bias ? DW_LOADM(a->bias + cb, tail) : DW_ZERO();
        dw_tile(rows, off + cb, a->w + cb, vbias, c, ky_lo, ky_hi, kw, 1, N, col_lo, col_hi, 1, 1, act, tail,
                o + cb, cs ? cs + cb : 0);
    }
}

/* Tiles of N columns from *ox while they fit before ox_hi, all channels. */
static inline __attribute__((always_inline)) void
dw_tiles(const ops_dwconv_args *a, const int kw, const int sw, const int N,
         const int sliding, const float *const *rows, int ky_lo, int ky_hi, int *oxp, int ox_hi,
         int c0, int c1, float *orow, DW_MASK tail, int prefetch)
{
    const ops_act act = a->act;
    const int c = a->in_dims.c;
    const DW_MASK none = DW_NOMASK;
    float *cs = a->chan_sum;
    int ox = *oxp;
    for (; ox + N <= ox_hi; ox += N) {
        const int ix0 = ox * sw - a->g.pad_left;
        const size_t off = (size_t)ix0 * c;
        float *o = orow + (size_t)ox * c;
        int cb = c0;
        for (; cb + DW_LANES <= c1; cb += DW_LANES) {
            if (N == 8 && prefetch) {
                /* Block cb of this tile consumes the floats [cb*N*sw,
                 * (cb+DW_LANES)*N*sw) past ip's column of each input row,
                 * in step with the stream; fetch the same span DW_PF_TILES
                 * tiles ahead: N*sw*DW_LANES/16 cache lines per row. */
                const size_t pf = off + (size_t)cb * N * sw + (size_t)DW_PF_TILES * N * sw * c;
                for (int ky = ky_lo; ky < ky_hi; ky++)
#pragma GCC unroll 16
                    for (int l = 0; l < N * sw * DW_LANES / 16; l++)
                        _mm_prefetch((const char *)(rows[ky] + pf) + 64 * l, _MM_HINT_T0);
            }
            const DW_VEC vbias = a->bias ? DW_LOADU(a->bias + cb) : DW_ZERO();
            dw_tile(rows, off + cb, a->w + cb, vbias, (size_t)c, ky_lo, ky_hi, kw, sw, N, 0, (N - 1) * sw + kw,
                    sliding, 0, act, none, o + cb, cs ? cs + cb : 0);
        }
        if (cb < c1) {
            const DW_VEC vbias = a->bias ? DW_LOADM(a->bias + cb, tail) : DW_ZERO();
            dw_tile(rows, off + cb, a->w + cb, vbias, (size_t)c, ky_lo, ky_hi, kw, sw, N, 0, (N - 1) * sw + kw,
                    sliding, 1, act, tail, o + cb, cs ? cs + cb : 0);
        }
    }
    *oxp = ox;
}

static inline __attribute__((always_inline)) void
dw_border(const ops_dwconv_args *a, const int kw, const int sw,
          const float *const *rows, int ky_lo, int ky_hi, int ox, int c0, int c1, float *orow, DW_MASK tail)
{
    const int c = a->in_dims.c;
    const DW_MASK none = DW_NOMASK;
    float *cs = a->chan_sum;
    float *o = orow + (size_t)ox * c;
    int cb = c0;
    for (; cb + DW_LANES <= c1; cb += DW_LANES) {
        const DW_VEC vbias = a->bias ? DW_LOADU(a->bias + cb) : DW_ZERO();
        dw_border_px(a, kw, sw, rows, ky_lo, ky_hi, ox, cb, vbias, 0, none, o + cb,
                     cs ? cs + cb : 0);
    }
    if (cb < c1) {
        const DW_VEC vbias = a->bias ? DW_LOADM(a->bias + cb, tail) : DW_ZERO();
        dw_border_px(a, kw, sw, rows, ky_lo, ky_hi, ox, cb, vbias, 1, tail, o + cb,
                     cs ? cs + cb : 0);
    }
}

/* Swish on channels [c0, c1) of an output row written without activation,
 * in place, each output added to chan_sum in pixel order -- the order the
 * tile epilogues add them, so the sums are the same bits. Four pixels of a
 * channel block at a time, in lockstep (DW_SWISH_N): in the tile
 * epilogue the swishes ran one after another at about twice the cost. */
static inline __attribute__((always_inline)) void
dw_swish_block(float *o, const int ow, const size_t c, float *cs, const int masked, DW_MASK cm)
{
    DW_VEC s = cs ? DW_LD(cs) : DW_ZERO();
    int ox = 0;
    for (; ox + 4 <= ow; ox += 4) {
        DW_VEC v[4];
#pragma GCC unroll 4
        for (int j = 0; j < 4; j++) v[j] = DW_LD(o + (size_t)(ox + j) * c);
        DW_SWISH_N(v, 4);
#pragma GCC unroll 4
        for (int j = 0; j < 4; j++) {
            s = DW_ADD(s, v[j]);
            DW_ST(o + (size_t)(ox + j) * c, v[j]);
        }
    }
    for (; ox < ow; ox++) {
        const DW_VEC y = DW_SWISH(DW_LD(o + (size_t)ox * c));
        s = DW_ADD(s, y);
        DW_ST(o + (size_t)ox * c, y);
    }
    if (cs) DW_ST(cs, s);
}

static inline __attribute__((always_inline)) void
dw_swish_row(float *orow, const int ow, const size_t c, const int c0, const int c1, float *cs, DW_MASK tail)
{
    const DW_MASK none = DW_NOMASK;
    int cb = c0;
    for (; cb + DW_LANES <= c1; cb += DW_LANES) dw_swish_block(orow + cb, ow, c, cs ? cs + cb : 0, 0, none);
    if (cb < c1) dw_swish_block(orow + cb, ow, c, cs ? cs + cb : 0, 1, tail);
}

/* The width of an edge tile (dw_edge) with `room` outputs to spare: 8 or
 * 4 where they fit, else the P = kw / 2 the edge must cover. */
static inline int dw_edge_n(const int P, const int room) { return room >= 8 ? 8 : room >= 4 ? 4 : P; }

/* An edge tile of n (8, 4 or kw / 2) outputs: n as a constant. */
static inline __attribute__((always_inline)) void
dw_edge_any(const ops_dwconv_args *a, const int kw, const int right, const int n, const float *const *rows,
            int ky_lo, int ky_hi, int ox, int c0, int c1, float *orow, DW_MASK tail)
{
    if (n == 8) dw_edge(a, kw, right, 8, rows, ky_lo, ky_hi, ox, c0, c1, orow, tail);
    else if (n == 4) dw_edge(a, kw, right, 4, rows, ky_lo, ky_hi, ox, c0, c1, orow, tail);
    else dw_edge(a, kw, right, kw / 2, rows, ky_lo, ky_hi, ox, c0, c1, orow, tail);
}

/* Where a row's edges go, given the columns [ox_lo, ox_hi) whose taps are
 * all inside: with edge tiles (`edges`, see dw_row_act: stride 1 and kw / 2
 * pads, so ow == iw), the left one covers [0, *mid_lo) and the right one
 * [*mid_hi, ow), as wide as the row allows (the left tile's window, kw / 2
 * columns past it, must end inside the row, which also leaves the right
 * edge its kw / 2 outputs; the right one must not reach the left one);
 * else border pixels cover [0, ox_lo) and [ox_hi, ow). */
static inline __attribute__((always_inline)) void
dw_edges_at(const ops_dwconv_args *a, const int kw, const int edges, const int ox_lo, const int ox_hi,
            int *mid_lo, int *mid_hi)
{
    if (!edges) { *mid_lo = ox_lo; *mid_hi = ox_hi; return; }
    const int P = kw / 2, ow = a->out_dims.w;
    *mid_lo = dw_edge_n(P, ow - P);
    *mid_hi = ow - dw_edge_n(P, ow - *mid_lo);
}

/* The columns left of mid_lo (left edge as one tile, or border pixels),
 * channels [c0, c1). */
static inline __attribute__((always_inline)) void
dw_left(const ops_dwconv_args *a, const int kw, const int sw, const float *const *rows, int ky_lo, int ky_hi,
        int mid_lo, int edges, int c0, int c1, float *orow, DW_MASK tail)
{
    if (edges) {
        dw_edge_any(a, kw, 0, mid_lo, rows, ky_lo, ky_hi, 0, c0, c1, orow, tail);
        return;
    }
    for (int ox = 0; ox < mid_lo; ox++) dw_border(a, kw, sw, rows, ky_lo, ky_hi, ox, c0, c1, orow, tail);
}

/* The columns from mid_hi to the end of the row, as dw_left. */
static inline __attribute__((always_inline)) void
dw_right(const ops_dwconv_args *a, const int kw, const int sw, const float *const *rows, int ky_lo, int ky_hi,
         int mid_hi, int edges, int c0, int c1, float *orow, DW_MASK tail)
{
    if (edges) {
        dw_edge_any(a, kw, 1, a->out_dims.w - mid_hi, rows, ky_lo, ky_hi, mid_hi, c0, c1, orow, tail);
        return;
    }
    for (int ox = mid_hi; ox < a->out_dims.w; ox++) dw_border(a, kw, sw, rows, ky_lo, ky_hi, ox, c0, c1, orow, tail);
}

/* Every output of a row, channels [c0, c1): left edge or border
 * columns, tiles of 8, 4 and 1, right edge or border. */
static inline __attribute__((always_inline)) void
dw_sweep(const ops_dwconv_args *a, const int kw, const int sw, const int sliding, const float *const *rows,
         int ky_lo, int ky_hi, int ox_lo, int ox_hi, int edges, int c0, int c1, float *orow, DW_MASK tail,
         int prefetch)
{
    int ox, mid_hi;
    dw_edges_at(a, kw, edges, ox_lo, ox_hi, &ox, &mid_hi);
    dw_left(a, kw, sw, rows, ky_lo, ky_hi, ox, edges, c0, c1, orow, tail);
    dw_tiles(a, kw, sw, 8, sliding, rows, ky_lo, ky_hi, &ox, mid_hi, c0, c1, orow, tail, prefetch);
    dw_tiles(a, kw, sw, 4, sliding, rows, ky_lo, ky_hi, &ox, mid_hi, c0, c1, orow, tail, prefetch);
    dw_tiles(a, kw, sw, 1, sliding, rows, ky_lo, ky_hi, &ox, mid_hi, c0, c1, orow, tail, prefetch);
    dw_right(a, kw, sw, rows, ky_lo, ky_hi, mid_hi, edges, c0, c1, orow, tail);
}

/* N adjacent outputs of one full channel block with the weights in
 * registers (w[ky * K + kx]): the taps in (ky, kx) order after the bias,
 * the kernel rows outside the image skipped, as in dw_tile, so the same
 * bits. ky runs over the constant K with a branch per row instead of the
 * runtime [ky_lo, ky_hi), so that w is indexed by constants and stays in
 * registers. Raw sums: no activation, no channel sum. */
static inline __attribute__((always_inline)) void
dw_tile_rw(const float *const *rows, const size_t off, const DW_VEC *w, const DW_VEC vbias, const size_t c,
           const int ky_lo, const int ky_hi, const int K, const int sw, const int N, float *o)
{
    DW_VEC acc[4];
#pragma GCC unroll 4
    for (int j = 0; j < N; j++) acc[j] = vbias;
#pragma GCC unroll 5
    for (int ky = 0; ky < K; ky++) {
        if (ky < ky_lo || ky >= ky_hi) continue;
        const float *q = rows[ky] + off;
#pragma GCC unroll 16
        for (int col = 0; col < (N - 1) * sw + K; col++) {
            const DW_VEC x = DW_LOADU(q + (size_t)col * c);
#pragma GCC unroll 5
            for (int kx = 0; kx < K; kx++) {
                const int d = col - kx;
                if (d >= 0 && d % sw == 0 && d / sw < N) acc[d / sw] = DW_FMADD(x, w[ky * K + kx], acc[d / sw]);
            }
        }
    }
#pragma GCC unroll 4
    for (int j = 0; j < N; j++) DW_STOREU(o + (size_t)j * c, acc[j]);
}

/* One output row of the full channel block cb, raw (dw_row applies swish
 * and the channel sums after): the edges as dw_sweep does them, the
 * columns between in register-weight tiles. */
static inline __attribute__((always_inline)) void
dw_row_rw(const ops_dwconv_args *a, const int K, const int sw, const float *const *rows, int ky_lo, int ky_hi,
          int ox_lo, int ox_hi, int edges, int cb, float *orow, DW_MASK tail)
{
    const int c1 = cb + DW_LANES, NT = DW_RW_TILE(K);
    const size_t c = (size_t)a->in_dims.c;
    int ox, mid_hi;
    dw_edges_at(a, K, edges, ox_lo, ox_hi, &ox, &mid_hi);
    dw_left(a, K, sw, rows, ky_lo, ky_hi, ox, edges, cb, c1, orow, tail);
    DW_VEC w[25];
#pragma GCC unroll 25
    for (int t = 0; t < K * K; t++) w[t] = DW_LOADU(a->w + (size_t)t * c + cb);
    const DW_VEC vbias = a->bias ? DW_LOADU(a->bias + cb) : DW_ZERO();
    for (; ox + NT <= mid_hi; ox += NT)
        dw_tile_rw(rows, (size_t)(ox * sw - a->g.pad_left) * c + cb, w, vbias, c, ky_lo, ky_hi, K, sw, NT,
                   orow + (size_t)ox * c + cb);
    for (; ox < mid_hi; ox++)
        dw_tile_rw(rows, (size_t)(ox * sw - a->g.pad_left) * c + cb, w, vbias, c, ky_lo, ky_hi, K, sw, 1,
                   orow + (size_t)ox * c + cb);
    dw_right(a, K, sw, rows, ky_lo, ky_hi, mid_hi, edges, cb, c1, orow, tail);
}

/* One output row, channels [c0, c1), activation in the tile epilogues. */
static inline __attribute__((always_inline)) void
dw_row_act(const ops_dwconv_args *a, const int kh, const int kw, const int sh, const int sw,
       const int sliding, int oy, int ox_lo, int ox_hi, int c0, int c1, DW_MASK tail,
       int prefetch)
{
    const int ih = a->in_dims.h, ow = a->out_dims.w, c = a->in_dims.c;
    const int iy0 = oy * sh - a->g.pad_top;
    const int ky_lo = iy0 < 0 ? -iy0 : 0;
    const int ky_hi = ih - iy0 < kh ? ih - iy0 : kh;
    float *orow = a->out + (size_t)oy * ow * c;
    /* rows[ky] for the kernel rows inside the image; the ring (if any) is
     * resolved here, once per output row. */
    const float *rows[DW_MAX_KH];
    for (int ky = ky_lo; ky < ky_hi; ky++) rows[ky] = ops_dw_in_row(a, iy0 + ky);
    /* stride 1, "same" padding on both sides, a row at least kw wide: the
     * edges as tiles (dw_edge) */
    const int P = kw / 2;
    const int edges = sliding && sw == 1 && (kw & 1) && P > 0 && a->g.pad_left == P && a->g.pad_right == P &&
                      ox_lo == P && ow - ox_hi == P && a->in_dims.w >= kw;
    if (DW_USES_RW(kh, kw, sw, sliding) && a->act.kind == OPS_ACT_NONE && !a->chan_sum) {
        int cb = c0;
        for (; cb + DW_LANES <= c1; cb += DW_LANES)
            dw_row_rw(a, kw, sw, rows, ky_lo, ky_hi, ox_lo, ox_hi, edges, cb, orow, tail);
        if (cb < c1) dw_sweep(a, kw, sw, sliding, rows, ky_lo, ky_hi, ox_lo, ox_hi, edges, cb, c1, orow, tail, 0);
        return;
    }
    if (!DW_BLOCK_OUTER(kw, sw, ow)) {
        dw_sweep(a, kw, sw, sliding, rows, ky_lo, ky_hi, ox_lo, ox_hi, edges, c0, c1, orow, tail, prefetch);
        return;
    }
    for (int cb = c0; cb < c1; cb += DW_LANES)
        dw_sweep(a, kw, sw, sliding, rows, ky_lo, ky_hi, ox_lo, ox_hi, edges, cb,
                 c1 - cb < DW_LANES ? c1 : cb + DW_LANES, orow, tail, 0);
}

/* One output row, channels [c0, c1). With swish, the row is computed
 * without activation and sums, then dw_swish_row applies both. */
static inline __attribute__((always_inline)) void
dw_row(const ops_dwconv_args *a, const int kh, const int kw, const int sh, const int sw,
       const int sliding, const int swish, int oy, int ox_lo, int ox_hi, int c0, int c1, DW_MASK tail,
       int prefetch)
{
    if (!swish || (DW_SWISH_EPI(kw, sw) && !DW_USES_RW(kh, kw, sw, sliding))) {
        dw_row_act(a, kh, kw, sh, sw, sliding, oy, ox_lo, ox_hi, c0, c1, tail, prefetch);
        return;
    }
    ops_dwconv_args raw = *a;
    raw.act.kind = OPS_ACT_NONE;
    raw.chan_sum = 0;
    dw_row_act(&raw, kh, kw, sh, sw, sliding, oy, ox_lo, ox_hi, c0, c1, tail, prefetch);
    dw_swish_row(a->out + (size_t)oy * a->out_dims.w * a->in_dims.c, a->out_dims.w, (size_t)a->in_dims.c,
                 c0, c1, a->chan_sum, tail);
}

/* K (kernel side) and S (stride) are constants in the fast paths, 0 for
 * "read it from the geometry". Dilation 1 only; the caller checks. */
static inline __attribute__((always_inline)) void
DW_BODY(const ops_dwconv_args *a, const int K, const int S)
{
    const ops_conv_geom g = a->g;
    const int kh = K ? K : g.kh, kw = K ? K : g.kw;
    const int sh = S ? S : g.stride_h, sw = S ? S : g.stride_w;
    const int iw = a->in_dims.w, c = a->in_dims.c, ow = a->out_dims.w;
    /* Columns whose taps all fall inside the row: ox*sw - pad_left >= 0 and
     * ox*sw - pad_left + kw <= iw. */
    int ox_lo = (g.pad_left + sw - 1) / sw;
    int ox_hi = iw - kw + g.pad_left >= 0 ? (iw - kw + g.pad_left) / sw + 1 : 0;
    if (ox_hi > ow) ox_hi = ow;
    if (ox_lo > ox_hi) ox_lo = ox_hi;
    const int sliding = K && S && K <= 5;
    const DW_MASK tail = DW_TAIL_MASK((size_t)(c % DW_LANES));
    /* Software prefetch only when the input cannot be cache-resident (a
     * ring of a few rows is, by construction). */
    const int prefetch = !a->in_ring && (size_t)a->in_dims.h * iw * c * sizeof(float) > DW_PF_MIN_BYTES;

    /* Channel groups outermost: the kh input rows that one output row
     * reads, restricted to a group, stay within DW_GROUP_BYTES, so they are
     * still in L2 when the next kh - 1 output rows come back for them. With
     * all channels at once, B4's 24x24x960 5x5 spans 460 KB per output row,
     * about all of L2. Measured (bench-kernels-style, maps in L3, best of
     * 200): 24x24x960 5x5 1162 -> 1068-1098 us, 12x12x1632 5x5 506 -> 488
     * us; shapes of one group unchanged. Groups are whole cache lines (16
     * channels); a channel's outputs and its sum come out in the same order
     * either way, so results are unchanged. */
    size_t group = DW_GROUP_BYTES / ((size_t)kh * iw * sizeof(float) + 1) / 16 * 16;
    if (group < 16) group = 16;
    for (size_t c0 = 0; c0 < (size_t)c; c0 += group) {
        const int c1 = (size_t)c - c0 < group ? c : (int)(c0 + group);
        for (int oy = a->row_begin; oy < a->row_end; oy++) {
            if (a->act.kind == OPS_ACT_SWISH)
                dw_row(a, kh, kw, sh, sw, sliding, 1, oy, ox_lo, ox_hi, (int)c0, c1, tail, prefetch);
            else dw_row(a, kh, kw, sh, sw, sliding, 0, oy, ox_lo, ox_hi, (int)c0, c1, tail, prefetch);
        }
    }
}

/* DW_FIXED_K(name, K) defines the kernel `name` for one K x K (3, 5) at
 * strides 1 and 2 (ops_dw_fixed_kxk; OPS_ERR_UNSUPPORTED otherwise:
 * dw_entry sends other strides to the any-k kernel). Each stride is an
 * instance of its own: inlined into one, GCC allocated the stride-2
 * instance's registers worse once the stride-1 one grew (wider edge tiles:
 * AVX-512 3x3 stride 2 took 1.3-1.4x its time, 48x48x336 and 28x28x240,
 * bench-kernels isa). */
#define DW_FIXED_K(name, K)                                                                      \
    static __attribute__((noinline)) void name##_s1(const ops_dwconv_args *a) { DW_BODY(a, K, 1); } \
    static __attribute__((noinline)) void name##_s2(const ops_dwconv_args *a) { DW_BODY(a, K, 2); } \
    ops_status name(const ops_dwconv_args *a)                                                    \
    {                                                                                            \
        if (!ops_dw_fixed_kxk(&a->g, K)) return OPS_ERR_UNSUPPORTED;                            \
        if (a->g.stride_h == 1) name##_s1(a);                                                    \
        else name##_s2(a);                                                                       \
        return OPS_OK;                                                                           \
    }

/* Any kernel size and stride, dilation 1. */
static inline __attribute__((always_inline)) ops_status
dw_any_k(const ops_dwconv_args *a)
{
    if (a->g.dil_h != 1 || a->g.dil_w != 1 || a->g.kh < 1 || a->g.kw < 1 ||
        a->g.stride_h < 1 || a->g.stride_w < 1 || a->g.kh > DW_MAX_KH)
        return OPS_ERR_UNSUPPORTED;
    DW_BODY(a, 0, 0);
    return OPS_OK;
}

/* The table's entry: checks the arguments once and picks the kernel from
 * the shape -- the only place that branches on it. */
static inline __attribute__((always_inline)) ops_status
dw_entry(const ops_dwconv_args *a, ops_status (*k3)(const ops_dwconv_args *),
         ops_status (*k5)(const ops_dwconv_args *), ops_status (*kany)(const ops_dwconv_args *))
{
    if (!a || !a->in || !a->w || !a->out) return OPS_ERR_ARG;
    if (a->out_dims.c != a->in_dims.c) return OPS_ERR_ARG;
    if (a->row_begin < 0 || a->row_end > a->out_dims.h || a->row_begin > a->row_end || a->in_ring < 0)
        return OPS_ERR_ARG;
    const ops_conv_geom g = a->g;
    if (a->in_dims.c < 1 || g.dil_h != 1 || g.dil_w != 1 || g.kh < 1 || g.kw < 1 ||
        g.stride_h < 1 || g.stride_w < 1 || g.pad_top < 0 || g.pad_left < 0 || g.kh > DW_MAX_KH)
        return f32_dwconv_hwc_scalar(a);   /* dilated or degenerate: the oracle */
    if (ops_dw_fixed_kxk(&g, 3)) return k3(a);
    if (ops_dw_fixed_kxk(&g, 5)) return k5(a);
    return kany(a);
}

#undef DW_LD
#undef DW_ST
#undef DW_ACT

#endif /* EFFAD_F32_DWCONV_BODY_H */
