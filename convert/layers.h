/*
 * layers.h -- the network part of a graph, as fusable layers.
 *
 * Lowering turns the non-constant ONNX nodes into a few layer kinds and
 * fuses what inference does not need separately: BatchNormalization into
 * the convolution before it, a zero Pad into the convolution after it,
 * x * sigmoid(x) and other activations into the convolution's epilogue.
 * The matcher then reads EfficientNet's structure off the fused layers.
 */
#ifndef EFFAD_LAYERS_H
#define EFFAD_LAYERS_H

#include "graph.h"
#include "ops.h"

typedef enum lkind { L_CONV, L_BN, L_PAD, L_ACT, L_ADD, L_MUL, L_POOL, L_ALIAS, L_OTHER } lkind;

typedef struct layer {
    lkind kind;
    int node;                  /* ONNX node it came from (first, if fused) */
    int in0, in1, out;         /* value ids; in1 = -1 if none */
    int dead;
    /* L_CONV: weights OIHW (float, owned), pads top/left/bottom/right */
    int cin, cout, kh, kw, groups, stride_h, stride_w, dil_h, dil_w;
    int pads[4];
    int pad_mode;              /* EFM_PAD_*, decided by the matcher */
    float *w, *b;
    /* int8 weights given by a quantised ONNX (qdq-import.h), OIHW like w,
     * with one scale per output channel; NULL otherwise (owned) */
    int8_t *wq; float *wq_scale;
    ops_act act;               /* L_CONV epilogue, or the L_ACT itself */
    /* L_BN */
    double *bn_scale, *bn_shift;
    /* L_PAD: pads on H/W (top, left, bottom, right) when pad_ok */
    int pad_ok; int pad_hw[4];
    /* L_PAD as written: pad_n begin/end amounts (all axes), fill value */
    int pad_n; int64_t pad_all[2 * ONNX_MAX_DIMS]; float pad_value;
    /* L_POOL: spatial mean over H, W (GlobalAveragePool, ReduceMean) */
} layer;

/* How many weights an L_CONV holds (OIHW): cout x cin/groups x kh x kw. */
static inline size_t layer_weight_count(const layer *c)
{
    return (size_t)c->cout * (size_t)(c->cin / c->groups) * (size_t)c->kh * (size_t)c->kw;
}

typedef struct layer_net {
    const graph *g;
    int n, cap;
    layer *l;
    int *producer;             /* per value: layer index or -1 */
    int *uses;                 /* per value: live consumers (+1 if graph output) */
} layer_net;

effad_status layers_lower(layer_net *net, const graph *g, effad_error *e);
void layers_free(layer_net *net);
/* Recomputes producer/uses after fusion. */
void layers_index(layer_net *net);
/* The k-th live consumer layer of value v (k from 0), or -1. */
int layers_consumer(const layer_net *net, int v, int k);

#endif
