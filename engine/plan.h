/* plan.h -- internal constants shared by the plan and the forward pass. */
#ifndef EFFAD_PLAN_H
#define EFFAD_PLAN_H

#include <stddef.h>
#include <string.h>
#include "effad.h"

/* Depthwise rows (and pooled taps) are summed in fixed bands of this many
 * output rows, and the band sums added in band order: the pooled vector is
 * then the same bits whatever the number of threads. Bands are also the
 * unit of work a thread takes, so they are small: with 4 rows, a 12x12 map
 * (B4's last stages) made 3 bands, split 2:1 between two threads. */
#define PLAN_BAND_ROWS 2
/* GEMM rows are handed to workers in chunks of this many pixels; a layer
 * with fewer row chunks than column chunks (the 7x7 maps of the last
 * stages, the head) is split by output channels instead, in chunks of
 * PLAN_GEMM_COLS -- a multiple of every kernel's column tile, so no tile
 * is cut. The choice depends on the shape only, and every output element
 * is computed by the same instructions either way (tests/unit/test-
 * threads.c). Each worker still makes one kernel call on its contiguous
 * run of chunks, so small chunks cost nothing but buy balance: at 64 rows
 * a 12x12 map (B4's last stages) made 3 chunks, split 2:1 between two
 * threads, and a 14x14 one 4 chunks of 64, 64, 64, 4. 12 is a multiple of
 * every table's row tile (6 AVX2, 4 NEON, 2 DSP), so no chunk ends in a
 * short tile. */
#define PLAN_GEMM_ROWS 12
#define PLAN_GEMM_COLS 16   /* rounded up to a multiple of the table's panel */

/* Bytes left unused between one worker's scratch or ring and the next
 * worker's. A worker runs through its ring again and again, and the
 * hardware prefetcher, following the stream, reads on past its end into
 * the next worker's ring, which that worker is writing on another core:
 * every such line then moves between the cores twice. Two workers, Zen 5
 * (whose two vCPUs are ~480 ns apart), one process, alternated passes,
 * time against rings 64 KiB apart: B0@224's fused block 1 1.20x with the
 * rings adjacent, 1.21 / 1.17 / 1.11 / 1.03x at 4 / 8 / 16 / 32 KiB
 * (arena on 4 KiB pages; ~1.1x on huge pages, where the machine was
 * noisier); B4@380's fused blocks 2-5 1.04-1.08x adjacent (AVX2). */
#define PLAN_WORKER_GAP ((size_t)64 << 10)

/* A block's expand 1x1 is fused with its depthwise conv -- the expanded map
 * produced a few rows at a time into a per-worker ring of just the rows
 * the depthwise window needs -- when
 *  - the whole expanded map would be at least min_map bytes (it is written
 *    to memory and read back otherwise: B4's first expand makes 20 MB),
 *  - the ring fits in max_ring bytes (so it stays in a 512 KiB L2 next to
 *    the weights and the output row),
 *  - the expand's weights are at most max_weights bytes (each ring refill
 *    is a GEMM of a row or two that streams all of them), and
 *  - with several workers, the input rows expanded twice stay within
 *    max_repeat per mille of the map: each worker starts its ring afresh,
 *    so every worker after the first expands again the kh - 1 rows the one
 *    before it ended on. Two workers, Zen 5, one process running both
 *    plans in alternated passes (arena on huge pages, rings apart as
 *    below), time unfused / fused: B0@224 block 2 (3x3 on 56 rows: 36 per
 *    mille) 1.06 AVX2 / 1.11 AVX-512; B4@380 block 10 (3x3 on 48: 42) 1.00,
 *    block 6 (5x5 on 95: 42) 0.94, blocks 7-9 (5x5 on 48: 83) 0.84; B0
 *    block 3 (5x5 on 56: 71) 0.79 / 1.02. Hence 40.
 * The sizes are in bytes, so a 16x8 block's int16 map meets min_map where
 * the same block in int8 does not (B4@380 `--fast`: blocks 6-8, 48x48x336,
 * 1.55 MB fused; block 9, int8, 774 KB not). Checked on the AVX2 table
 * (one thread, three alternated runs, 2026-12-06): blocks 6-8 fused
 * 2.18-2.23 ms each, unfused 2.28-2.35.
 * Smaller maps stay in cache anyway and run as whole-map GEMMs, which tile
 * better. Fused or not, every value is computed by the same instructions,
 * so the rule never changes a result: tests/unit/test-threads.c forces it
 * on and off and compares bit for bit. Measured on B4@380 (1 thread, Zen
 * 3): fusing blocks 2-16 took the pass from 188 to 165 ms (best of 4
 * interleaved rounds); also fusing block 31 (12x12, 4.8 MB of weights)
 * made that block 6.3 -> 7.4 ms, hence max_weights. */
typedef struct plan_fuse_rule { size_t min_map, max_ring, max_weights, max_repeat; } plan_fuse_rule;
#define PLAN_FUSE_DEFAULT { (size_t)1 << 20, (size_t)384 << 10, (size_t)160 << 10, 40 }
/* The AVX-512 tables' rule: every x86 core with AVX-512 has an L2 of at
 * least 1 MiB (Skylake-SP and later, Zen 4, Zen 5), where ring and weights
 * may both be larger. On B4@380 (Zen 5, 1 thread, bench/bench-isa-ab.c
 * with the rule switched on one side, minima of 15 alternated passes)
 * blocks 11-16 (301-430 KB of expand weights) then take 0.97x the time and
 * 17-21 (614 KB, a 460 KB ring) 0.98x, the pass 0.99x; fusing the 12x12
 * blocks 23-30 as well (1.8 MB of weights each) made them 1.05-1.08x.
 * One worker only: with two, each worker's first rows repeat the input
 * rows the other's last ones expanded (kh - 1 of a 24-row map: 8-17 %
 * more expand work), and B4's pass took 1.026x the time (blocks 17-21
 * 1.07x), so more workers keep PLAN_FUSE_DEFAULT. The AVX2 table on the
 * same Zen 5 with this rule (blocks 11-22 fused too), one thread, five
 * alternated rounds (bench/ab-builds.sh, 2026-12-06): B4 float32 102.9
 * against 102.2 ms, B4 `--fast` 59.9-60.1 against 60.1-60.4 in the
 * rounds no neighbour disturbed -- nothing to gain even with the larger
 * L2, so the AVX2 tables keep the default (and AVX2-only cores such as
 * Zen 3's have 512 KiB). */
#define PLAN_FUSE_WIDE { (size_t)1 << 20, (size_t)1 << 20, (size_t)1 << 20, 0 }   /* max_repeat 0: one worker */

/* The tap on the stem: its index, -1 when none, -2 when several (a
 * quantising stem pools one: plan.c, stem_type). */
int plan_stem_tap(const effad_model *m);

/* effad_arena_bytes and effad_runner_init with a given fusion rule. */
effad_status plan_arena_bytes(const effad_model *m, const struct ops_kernels *k, const effad_plan_opts *o,
                              const plan_fuse_rule *rule, size_t *bytes, effad_error *e);
effad_status plan_runner_init(effad_runner *r, const effad_model *m, const struct ops_kernels *k,
                              const effad_plan_opts *o, const plan_fuse_rule *rule,
                              void *arena, size_t arena_bytes, effad_error *e);

size_t plan_bands(int rows);
/* A 16x8 projection under a squeeze-excite gate reads its input
 * requantised by the gate a block of rows at a time, into the worker's
 * scratch just before the GEMM reads it (run-q16.c): at most
 * PLAN_Q16_GATE_BYTES of int16, a whole number of PLAN_GEMM_ROWS chunks
 * (one at least), so the block stays in L2 beside B's panels. */
#define PLAN_Q16_GATE_BYTES ((size_t)64 << 10)
static inline size_t plan_q16_gate_rows(size_t k)
{
    const size_t rows = PLAN_Q16_GATE_BYTES / (k * sizeof(int16_t)) / PLAN_GEMM_ROWS * PLAN_GEMM_ROWS;
    return rows ? rows : PLAN_GEMM_ROWS;
}
/* The conv slots of a model, one per conv that may hold weights the
 * engine reads in float32 (squeeze-excite aside): 0 the stem, 1 + 3i +
 * {0, 1, 2} block i's expand, depthwise and projection, 1 + 3 n_blocks
 * the head; -1 for anything else. */
#define PLAN_CONV_SLOTS (3 * EFFAD_MAX_BLOCKS + 2)
static inline int plan_conv_slot(const effad_model *m, const effad_conv *c)
{
    if (c == &m->stem) return 0;
    if (c == &m->head) return 1 + 3 * m->n_blocks;
    for (int i = 0; i < m->n_blocks; i++) {
        const effad_block *b = &m->blocks[i];
        if (c == &b->expand) return 1 + 3 * i;
        if (c == &b->dw) return 2 + 3 * i;
        if (c == &b->project) return 3 + 3 * i;
    }
    return -1;
}
static inline int plan_slot_is_1x1(const effad_model *m, int slot)
{
    return slot != 0 && (slot == 1 + 3 * m->n_blocks || (slot - 1) % 3 != 1);
}
/* A weight-only conv's weights as float32 into dst (all of them). */
void plan_dequantise_weights(const effad_conv *c, float *dst);
static inline const effad_conv *plan_conv_at(const effad_model *m, int slot)
{
    if (slot == 0) return &m->stem;
    if (slot == 1 + 3 * m->n_blocks) return m->has_head ? &m->head : 0;
    const effad_block *b = &m->blocks[(slot - 1) / 3];
    return (slot - 1) % 3 == 0 ? &b->expand : (slot - 1) % 3 == 1 ? &b->dw : &b->project;
}
/* Bytes of one activation element of type q. */
static inline size_t plan_elem_bytes(const effad_qtype *q)
{
    return q->dtype == EFFAD_U8 ? 1u : q->dtype == EFFAD_S16 ? 2u : sizeof(float);
}
/* Input rows the depthwise window spans: the fused ring's size. */
int plan_ring_rows(int kh, int dil_h, int in_h);

#endif
