/*
 * avx512-dwconv.h -- the depthwise body (f32-dwconv-body.h) on zmm
 * registers: 16 channels a vector, so a block is one cache line when c is
 * a multiple of 16 (every EfficientNet width is) and the buffers are
 * 64-byte aligned (the engine's arena and the .efm weights are); opmasks
 * for the channel tail. Every output is the AVX2 kernel's sequence of FMAs
 * and the same activation (avx512-math.h), and the channel sums add the
 * same outputs in the same order, so the two tables give the same bits
 * (tests/unit/test-ops-kernels.c holds them to it).
 *
 * Two choices differ from AVX2, measured side by side in one process
 * (bench/bench-kernels.c isa, and a harness with both variants of each
 * choice; minimum of alternating rounds, 0.5 s a shape, one output row per
 * call as the engine's fused expand+depthwise makes them; ratios are
 * avx512 / avx2 time, with swish and channel sums):
 *  - 3x3 stride 1: swish in the tile epilogues (two locksteps of four on
 *    the 8 accumulators) instead of the pass over the raw row: the 32 zmm
 *    registers hold them, and the row is not read back. 112x112x32
 *    0.68 -> 0.64, 95x95x192 0.71 -> 0.68, 14x14x480 0.66 -> 0.63; other 3x3
 *    s1 shapes unchanged. Not kept for 5x5 (7x7x1152 0.55 -> 0.61,
 *    24x24x960 0.70 -> 0.74) nor stride 2 (112x112x96 0.62 -> 0.67).
 *  - 5x5 stride 1 on rows of at most 16 outputs: channel blocks outermost
 *    within a row (each block runs every tile of the row, then the next
 *    block), so a block's 25 weight lines stay in L1 across the row's
 *    tiles instead of the whole weight array streaming from L2 once per
 *    tile (a 12-wide row is 3 tiles, a 7-wide one 5). 7x7x1152 0.75 ->
 *    0.54, 14x14x672 0.69 -> 0.62, 12x12x1632 0.70 -> 0.68; not kept for
 *    wider rows (24x24x960 0.68 -> 0.71, 48x48x336 unchanged), 3x3
 *    (12x12x2688 0.69 -> 0.74, 14x14x480 0.66 -> 0.77) or stride 2
 *    (95x95x192 5x5 0.69 -> 0.86).
 * Over all of B0's depthwise layers avx512 / avx2 is 0.64-0.65, over B4's
 * 0.69 (bench-kernels isa). Far from 0.5: 12x12x1632 5x5 takes ~37 cycles
 * per output vector for its 25 FMAs (12.5 at two FMAs a cycle), and ~29
 * with 32 channels, all in L1 -- the swish, the borders and the tile's
 * FMA chains, not memory alone. With 16-byte aligned buffers (malloc)
 * every zmm load splits two lines: 1.3-1.5x slower.
 *  - 3x3 (both strides) and 5x5 stride 2: register weights (DW_REG_WEIGHTS,
 *    dw_row_rw): per row, each full channel block's kw x kw weights are
 *    loaded once into zmm registers and the row is swept in tiles of 4
 *    (3x3) or 2 (5x5) columns, raw, then the swish row pass; edges and
 *    the channel tail as before. The 8-column tiles reloaded kw weights
 *    per kernel row per tile and kept their addresses on the stack.
 *    avx512 / avx2 over B4's depthwise layers 0.704 -> 0.660-0.667, B0's
 *    0.664 -> 0.639 (bench-kernels isa); per shape 12x12x2688 3x3 0.82 ->
 *    0.57, 24x24x672 3x3 0.75 -> 0.60, 190x190x144 3x3 s2 0.62 -> 0.45-0.51,
 *    95x95x192 5x5 s2 0.70 -> 0.66. In the engine (bench-isa-ab with the
 *    3x3 path switched per side) B4's pass 0.993, B0's 0.995. Not kept for
 *    5x5 stride 1: 25 weights in registers with 2-4 accumulators measured
 *    0.73-0.87 against 0.65-0.78 (12x12x1632, 24x24x960, 48x48x336).
 * Tried and not kept: 16-column tiles (16 accumulators; the 8-wide
 * tile's 8 FMA chains only just cover the FMA latency): within noise on
 * the model's shapes, 0.69 -> 0.67 over B4's depthwise in one run, 0.70 ->
 * 0.68 in another, with 3x3 on large maps slower.
 * Nor (2026-12-06 evening): register-weight tiles of 8 columns for 3x3
 * stride 1, with each loaded input column held in a register by an empty
 * asm at stride 1 (GCC folds the load into each FMA that reads it, kw
 * loads of one address, and keeps the column offsets in vector registers
 * for want of general ones). Hot maps (bench-kernels isa, alternated
 * builds, best of three): B4's depthwise 0.93x on AVX-512, 12x12x2688 3x3
 * 0.82x, 24x24x960 5x5 0.88x, but B0's 7x7x1152 1.08x; in the pass
 * (ab-builds.sh, six rounds each) B4 58.66 -> 58.32 ms and B0 5.88 ->
 * 5.93: nothing beyond noise.
 */
#ifndef EFFAD_AVX512_DWCONV_H
#define EFFAD_AVX512_DWCONV_H

#include <immintrin.h>
#include "avx512-math.h"

#define DW_VEC __m512
#define DW_MASK __mmask16
#define DW_LANES 16
#define DW_SWISH_EPI(kw, sw) ((kw) == 3 && (sw) == 1)
#define DW_BLOCK_OUTER(kw, sw, ow) ((kw) >= 5 && (sw) == 1 && (ow) <= 16)
#define DW_LOADU(p) _mm512_loadu_ps(p)
#define DW_LOADM(p, m) _mm512_maskz_loadu_ps((m), (p))
#define DW_STOREU(p, v) _mm512_storeu_ps((p), (v))
#define DW_STOREM(p, m, v) _mm512_mask_storeu_ps((p), (m), (v))
#define DW_ZERO() _mm512_setzero_ps()
#define DW_NOMASK ((__mmask16)0)
#define DW_TAIL_MASK(n) avx512_tail_mask(n)
#define DW_FMADD(a, b, c) _mm512_fmadd_ps((a), (b), (c))
#define DW_ADD(a, b) _mm512_add_ps((a), (b))
#define DW_ACT_PS(x, act) avx512_act_ps((x), (act))
#define DW_SWISH(x) avx512_swish_ps(x)
#define DW_SWISH_N(v, n) avx512_swish_n((v), (n))
#define DW_BODY dwconv_avx512_body
#define DW_REG_WEIGHTS(kw, sw) ((kw) == 3 || (sw) == 2)

#include "f32-dwconv-body.h"

#endif /* EFFAD_AVX512_DWCONV_H */
