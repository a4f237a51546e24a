/*
 * graph.h -- an ONNX graph with every value's shape, constants folded.
 *
 * Built in one pass over the (topologically ordered) nodes: a node whose
 * inputs are all known is evaluated by the constant evaluator; any other
 * gets its output shapes inferred, so that a later Shape node can be
 * folded too. What remains non-constant is the network itself.
 */
#ifndef EFFAD_GRAPH_H
#define EFFAD_GRAPH_H

#include "ctensor.h"

typedef struct gval {
    const char *name;
    int producer;          /* node index, -1 for graph inputs/initializers */
    int is_output;         /* position in graph outputs + 1, or 0         */
    int known;             /* shape known (t.ndim, t.dims)                */
    ctensor t;             /* shape; data too when t.has_data             */
} gval;

typedef struct graph {
    const onnx_model *om;
    int64_t opset;
    int n_val, cap_val;
    gval *val;
    int *slots; int n_slots;      /* hash: name -> value id + 1 */
    int **node_in, **node_out;    /* value ids per node input/output (-1: omitted) */
    int input;                    /* the network's image input value */
    size_t folded, fold_budget;   /* elements computed by folding, and the
                                     limit (ctensor.h) */
} graph;

typedef struct graph_options {
    int in_h, in_w;               /* override symbolic/other input sizes, 0 = keep */
    int all_const_ok;             /* a graph that folds completely is fine (conformance
                                     tests of Constant and friends); input = -1 then */
} graph_options;

effad_status graph_build(graph *g, const onnx_model *om, const graph_options *opt, effad_error *e);
void graph_free(graph *g);
int graph_find(const graph *g, const char *name);   /* value id or -1 */
/* "Conv 'name'" or "Conv #12" for messages. */
const char *graph_node_label(const graph *g, int node, char *buf, size_t n);

#endif
