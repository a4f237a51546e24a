/*
 * xnn-graph.h -- what bench/xnn-bench.c's two graph builders share: an
 * effad model turned into an XNNPACK subgraph, node for node --
 * xnn-graph-f32.c for float32 models, xnn-graph-qs8.c for int8 ones (the
 * QS8 graph TensorFlow Lite's XNNPACK delegate runs for a fully quantised
 * network). A bench tool: it includes Debian's xnnpack.h and is never part
 * of effad.
 */
#ifndef EFFAD_BENCH_XNN_GRAPH_H
#define EFFAD_BENCH_XNN_GRAPH_H

#include <stdint.h>
#include <xnnpack.h>
#include "effad.h"

/* The subgraph being built. Weights XNNPACK reads in place for the life of
 * the runtime: the copies made here (transposed, quantised) are kept in
 * `owned` and freed with xnn_builder_free. The first failing definition
 * is remembered (failed, why) and the rest carry on harmlessly. */
typedef struct xnn_builder {
    xnn_subgraph_t g;
    const effad_model *m;
    void **owned; int n_owned, cap_owned;
    uint32_t tap_of_at[EFFAD_MAX_BLOCKS + 2];   /* external id of the tap at a position, 0 if none */
    float tap_scale[EFFAD_MAX_TAPS];            /* the QS8 graph's tap outputs: real = scale * (q - zero) */
    int32_t tap_zero[EFFAD_MAX_TAPS];
    int failed;
    const char *why;
} xnn_builder;

void *xnn_builder_keep(xnn_builder *b, size_t bytes);
void xnn_builder_check(xnn_builder *b, enum xnn_status s, const char *what);
void xnn_builder_free(xnn_builder *b);

/* The network of r's model at r's planned size: input external id 0 (NHWC;
 * float32, or int8 for the QS8 graph), tap t's map external id 1 + t.
 * Whether the builder can, else why not. */
const char *xnn_f32_unsupported(const effad_model *m);
void xnn_f32_build(xnn_builder *b, const effad_runner *r);
const char *xnn_qs8_unsupported(const effad_model *m);
void xnn_qs8_build(xnn_builder *b, const effad_runner *r);
/* The QS8 graph's input quantisation (scale, zero point of int8 data) and
 * the type of tap t's output, to quantise the input and read the taps. */
void xnn_qs8_input(float *scale, int32_t *zero);
void xnn_qs8_tap(const xnn_builder *b, int t, float *scale, int32_t *zero);

#endif /* EFFAD_BENCH_XNN_GRAPH_H */
