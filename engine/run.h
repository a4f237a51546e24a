/*
 * run.h -- the layers of the forward pass, internal to engine/.
 *
 * forward.c reads like the architecture table and calls these; each one
 * takes a layer, its input and output in the arena, and hides the element
 * type (float32 in run-f32.c, int8 in run-q8.c), the thread split and the
 * kernel table behind one call. Splits are by fixed bands of rows or
 * chunks of columns, never by thread count, so results are the same bits
 * for any number of threads.
 */
#ifndef EFFAD_RUN_H
#define EFFAD_RUN_H

#include "effad.h"
#include "dispatch.h"
#include "q8.h"
#include "plan.h"

/* ---- plumbing (run.c) ---- */

/* fn over [0, n) on the pool (or this thread); the first failure any
 * worker recorded with run_note. */
ops_status run_parallel(effad_runner *r, effad_range_fn fn, void *ctx, int n);
/* Whether a 1x1 layer of `cols` output channels over `pixels` rows is
 * split among the threads by column chunks (r->gemm_cols) rather than by
 * row chunks (PLAN_GEMM_ROWS); either gives the same bits. */
int run_gemm_by_cols(const effad_runner *r, size_t cols, size_t pixels);
/* Records a kernel's failure for worker w: each worker writes only its own
 * slot, so there is no shared write. */
void run_note(effad_runner *r, int worker, ops_status s);
void *run_scratch(const effad_runner *r, int worker);
static inline uint8_t *run_buf(const effad_runner *r, size_t off) { return r->arena + off; }
ops_act run_act(const effad_conv *c);
/* Conv c's weights as r->packed holds them for r's table, or NULL
 * (engine/packed.c). */
const void *run_packed(const effad_runner *r, const effad_conv *c);
/* Whether runner.packed holds r's model packed for r's table. */
int run_packed_fits(const effad_runner *r);
ops_conv_geom run_geom(const effad_conv *c, const effad_geom *g);
/* Output rows [*begin, *end) of band `band` of an out_h-row map. */
void run_band_rows(int band, int out_h, int *begin, int *end);
/* A quantised layer: int8 weights, uint8 (q8) or int16 (q16) activations. */
static inline int run_is_q8(const effad_conv *c) { return c->w.dtype == EFFAD_S8 && c->in_q.dtype != EFFAD_F32; }
/* A weight-only layer: int8 weights stored, float32 activations; it runs
 * the float32 kernels on weights dequantised once (run_f32_weights). */
static inline int run_is_wq(const effad_conv *c) { return c->w.dtype == EFFAD_S8 && c->in_q.dtype == EFFAD_F32; }
/* Conv c's float32 weights: its own, or for a weight-only layer the
 * runner's dequantised copy (plan.c), which a pre-packed 1x1 layer does
 * not have (it is never read: the packed copy is). */
const float *run_f32_weights(const effad_runner *r, const effad_conv *c);
/* Before a weight-only 1x1 layer without a copy of its own runs: its
 * weights dequantised into the runner's shared region (plan.c,
 * wq_layout); nothing for any other layer. */
void run_wq_refill(const effad_runner *r, const effad_conv *c);
static inline int run_is_q16(const effad_conv *c) { return c->w.dtype == EFFAD_S8 && c->in_q.dtype == EFFAD_S16; }
/* Bytes of one activation element of type q. */
static inline size_t run_elem_bytes(const effad_qtype *q) { return plan_elem_bytes(q); }

/* ---- layers, any type (run.c dispatches to run-f32.c / run-q8.c) ---- */

/* The squeeze-excite gate as a projection takes it on its inputs: a
 * float32 layer multiplies them by `scale` (the gate itself); an int8
 * layer requantises them from type `from` to its own input type, channel
 * by channel, with the factors `scale` (ops_q8_gemm_args' a_mult). */
typedef struct run_fold { const float *scale; effad_qtype from; } run_fold;

/* out = act(conv1x1(in)) over `pixels` rows; fold (the squeeze-excite gate
 * on the inputs) and res (the skip, of type res_q) may be NULL. */
ops_status run_1x1(effad_runner *r, const effad_conv *c, const void *in, size_t pixels, const run_fold *fold,
                   const void *res, const effad_qtype *res_q, void *out);
/* Depthwise conv; with mean != NULL also the float spatial mean of its
 * output (band sums in `bands`, added in band order). */
ops_status run_dw(effad_runner *r, const effad_conv *c, const effad_geom *g, const void *in, void *out,
                  void *bands, float *mean);
/* expand -> depthwise through per-worker rings of rows (plan.h). */
ops_status run_expand_dw(effad_runner *r, const effad_block *b, const effad_geom *g, int ring_rows,
                         const void *in, void *out, void *bands, float *mean);
/* The stem in float, reading the caller's CHW image `in` where it lies
 * (ops_conv_args.in_plane); out is of type `to`: float32, or int8 / int16
 * quantised band by band from the worker's scratch, which then also feeds
 * the stem's tap, if any: pooled and map (either NULL) as f32_run_tap. */
ops_status run_stem(effad_runner *r, const effad_conv *c, const effad_geom *g, const float *in, void *out,
                    const effad_qtype *to, float *pooled, float *map);
/* The squeeze-excite gate from the pooled mean (float, whatever the
 * type of its weights). */
ops_status run_se_gate(effad_runner *r, const effad_block *b, const float *mean, float *gate, float *hidden);
/* A quantised block's squeeze-excite: the depthwise output rescaled per
 * channel by the gate into the projection's input type -- as the
 * projection reads it when the kernels can (fold receives the factors,
 * kept in mult), else in place (fold->scale is then NULL). */
ops_status run_gate_q(effad_runner *r, const effad_block *b, void *dw, size_t pixels, const float *gate,
                      float *mult, run_fold *fold);
/* Elements [i0, i1) of in (type from) to out (type to), one of them float32:
 * run_convert's arithmetic on one span, in the calling worker. */
ops_status run_convert_span(const effad_runner *r, const void *in, const effad_qtype *from, void *out,
                            const effad_qtype *to, size_t i0, size_t i1);
/* n elements of type `from` to type `to` (float32 <-> uint8 or int16). */
ops_status run_convert(effad_runner *r, const void *in, const effad_qtype *from, void *out, const effad_qtype *to,
                       size_t n);
/* A tap on an h x w x c map of type q: pooled (float, may be NULL) and the
 * float HWC map kept for the caller (may be NULL). */
ops_status run_tap(effad_runner *r, const void *x, const effad_qtype *q, int h, int w, int c, float *pooled,
                   float *map);

/* ---- per type (run-f32.c, run-q8.c) ---- */

/* The fused expand+depthwise driver (run.c) asks these to fill ring rows
 * and to produce one output row. */
typedef struct fused_ops {
    /* expands input rows [row, row + n) into ring slot `slot` */
    ops_status (*expand_rows)(const void *job, int row, int n, int slot, void *ring, void *scratch);
    /* output row oy of the depthwise, reading the ring; band_sum: this band's slot or NULL */
    ops_status (*dw_row)(const void *job, int oy, const void *ring, void *band_sum);
} fused_ops;

ops_status f32_run_1x1(effad_runner *r, const effad_conv *c, const float *in, size_t pixels, const float *gate,
                       const float *res, float *out);
ops_status f32_run_dw(effad_runner *r, const effad_conv *c, const effad_geom *g, const float *in, float *out,
                      float *bands, float *mean);
ops_status f32_run_expand_dw(effad_runner *r, const effad_block *b, const effad_geom *g, int ring_rows,
                             const float *in, float *out, float *bands, float *mean);
ops_status f32_run_tap(effad_runner *r, const float *x, int h, int w, int c, float *pooled, float *map);

ops_status q8_run_1x1(effad_runner *r, const effad_conv *c, const uint8_t *in, size_t pixels, const run_fold *fold,
                      const uint8_t *res, const effad_qtype *res_q, uint8_t *out);
ops_status q8_run_dw(effad_runner *r, const effad_conv *c, const effad_geom *g, const uint8_t *in, uint8_t *out,
                     int32_t *bands, float *mean);
ops_status q8_run_expand_dw(effad_runner *r, const effad_block *b, const effad_geom *g, int ring_rows,
                            const uint8_t *in, uint8_t *out, int32_t *bands, float *mean);
ops_status q8_run_tap(effad_runner *r, const uint8_t *x, const effad_qtype *q, int h, int w, int c, float *pooled,
                      float *map);
ops_status q8_run_gate(effad_runner *r, const effad_block *b, uint8_t *dw, size_t pixels, const float *gate,
                       float *mult, run_fold *fold);

/* What the int8 and 16x8 layers share (run-q8.c). */
/* mult[j] = s_in * s_w[j], the epilogue's per-column factor, into one of
 * the two halves of the plan's qmul buffer (fused layers need both). */
const float *q8_layer_mult(effad_runner *r, const effad_conv *c, int half);
ops_q8_out q8_out_of(const effad_conv *c, const float *mult);
/* The float mean of a map of type q from its exact per-band sums. */
void q8_band_mean(const int32_t *bands, int n_bands, int c, long long pixels, const effad_qtype *q, float *mean);

/* a_mult: the squeeze-excite gate's rescale of in's columns (q16_run_gate
 * hands it on when the projection is split by rows), or NULL. */
ops_status q16_run_1x1(effad_runner *r, const effad_conv *c, const int16_t *in, size_t pixels, const float *a_mult,
                       const int16_t *res, const effad_qtype *res_q, int16_t *out);
ops_status q16_run_dw(effad_runner *r, const effad_conv *c, const effad_geom *g, const int16_t *in, int16_t *out,
                      int32_t *bands, float *mean);
ops_status q16_run_expand_dw(effad_runner *r, const effad_block *b, const effad_geom *g, int ring_rows,
                             const int16_t *in, int16_t *out, int32_t *bands, float *mean);
ops_status q16_run_tap(effad_runner *r, const int16_t *x, const effad_qtype *q, int h, int w, int c, float *pooled,
                       float *map);
ops_status q16_run_gate(effad_runner *r, const effad_block *b, int16_t *dw, size_t pixels, const float *gate,
                        float *mult, run_fold *fold);

/* Runs the fused band loop (run.c) over job with the type's ops; each
 * worker's ring is ring_bytes_per_row * ring_rows bytes. */
ops_status run_fused_bands(effad_runner *r, const fused_ops *ops, const void *job, const ops_conv_geom *g,
                           int in_h, int in_w, int ring_rows, size_t row_bytes, int out_h, void *bands,
                           size_t band_bytes);

#endif
