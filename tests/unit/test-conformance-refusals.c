/*
 * test-conformance-refusals.c -- every SKIP of the conformance runner is a
 * refusal of the converter, with the same words.
 *
 * `effad convert` only takes whole EfficientNets, so each case here is a
 * stem-like graph (image -> Conv -> the node under test) built in memory.
 * The converter's own stages run on it (graph_build, which folds constants,
 * then layers_lower, the lowering effad_convert_onnx calls), and must
 * refuse with the reason convert_graph_node_supported() gives for the node
 * -- the text tests/onnx-backend-check prints after SKIP. The categories
 * are the skips of `make conformance`: BatchNormalization and Dropout in
 * training mode, reflect/edge Pad, 1-D/3-D Conv, Cast to STRING/FLOAT16,
 * integer inputs to the float kernels, non-tensor graph inputs.
 */
#include <stdlib.h>
#include "check.h"
#include "graph.h"
#include "layers.h"
#include "support.h"

/* ------------------------------------------------ building a ModelProto */

static char *dup(const char *s) { char *p = malloc(strlen(s) + 1); strcpy(p, s); return p; }

static void add_input(onnx_model *m, const char *name, onnx_dtype t, int nd, const int64_t *dims)
{
    m->input = realloc(m->input, sizeof *m->input * (size_t)(m->n_input + 1));
    onnx_value *v = &m->input[m->n_input++];
    memset(v, 0, sizeof *v);
    v->name = dup(name); v->dtype = t; v->ndim = nd;
    for (int d = 0; d < nd; d++) v->dims[d] = dims[d];
}

/* An initializer; values (count of them) are given as doubles. */
static void add_init(onnx_model *m, const char *name, onnx_dtype t, int nd, const int64_t *dims, const double *vals)
{
    m->init = realloc(m->init, sizeof *m->init * (size_t)(m->n_init + 1));
    onnx_tensor *x = &m->init[m->n_init++];
    memset(x, 0, sizeof *x);
    x->name = dup(name); x->dtype = t; x->ndim = nd; x->count = 1;
    for (int d = 0; d < nd; d++) { x->dims[d] = dims[d]; x->count *= (size_t)dims[d]; }
    x->data = calloc(x->count + 1, onnx_dtype_size(t));
    for (size_t k = 0; k < x->count; k++) {
        double v = vals ? vals[k % 4] : 0.25 * (double)(k % 7) - 0.5;
        if (t == ONNX_FLOAT) ((float *)x->data)[k] = (float)v;
        else if (t == ONNX_INT64) ((int64_t *)x->data)[k] = (int64_t)v;
        else if (t == ONNX_BOOL) ((uint8_t *)x->data)[k] = v != 0;
    }
}

static onnx_node *add_node(onnx_model *m, const char *op, const char *in0, const char *in1, const char *in2,
                           const char *out)
{
    m->node = realloc(m->node, sizeof *m->node * (size_t)(m->n_node + 1));
    onnx_node *n = &m->node[m->n_node++];
    memset(n, 0, sizeof *n);
    n->name = dup(""); n->op_type = dup(op); n->domain = dup("");
    const char *ins[3] = { in0, in1, in2 };
    n->in = calloc(3, sizeof *n->in);
    for (int k = 0; k < 3 && ins[k]; k++) n->in[n->n_in++] = dup(ins[k]);
    n->out = calloc(1, sizeof *n->out);
    n->out[n->n_out++] = dup(out);
    return n;
}

static onnx_attr *add_attr(onnx_node *n, const char *name, onnx_attr_type t)
{
    n->attr = realloc(n->attr, sizeof *n->attr * (size_t)(n->n_attr + 1));
    onnx_attr *a = &n->attr[n->n_attr++];
    memset(a, 0, sizeof *a);
    a->name = dup(name); a->type = t;
    return a;
}

static void attr_str(onnx_node *n, const char *name, const char *s)
{
    onnx_attr *a = add_attr(n, name, ONNX_ATTR_STRING);
    a->s = dup(s); a->s_len = strlen(s);
}

/* x: 1 x 3 x 8 x 8 float image -> 3x3 Conv to 4 channels -> "c". */
static void stem(onnx_model *m, int64_t opset)
{
    memset(m, 0, sizeof *m);
    m->n_opset = 1;
    m->opset = calloc(1, sizeof *m->opset);
    m->opset[0].domain = dup(""); m->opset[0].version = opset;
    int64_t xd[4] = { 1, 3, 8, 8 }, wd[4] = { 4, 3, 3, 3 };
    add_input(m, "x", ONNX_FLOAT, 4, xd);
    add_init(m, "w", ONNX_FLOAT, 4, wd, 0);
    add_node(m, "Conv", "x", "w", 0, "c");
}

static void output(onnx_model *m, const char *name)
{
    m->output = calloc(1, sizeof *m->output);
    m->n_output = 1;
    m->output[0].name = dup(name);
    m->output[0].ndim = -1;
}

/* Runs the converter's stages on m; expects a refusal containing reason,
 * and, when the graph got built, the same words from the one place. */
static void expect_refusal(onnx_model *m, const char *what, const char *reason)
{
    graph g; layer_net net; effad_error e;
    memset(&net, 0, sizeof net);
    memset(&e, 0, sizeof e);
    effad_status s = graph_build(&g, m, 0, &e);
    if (!s) {
        effad_error one;
        memset(&one, 0, sizeof one);
        int ni = m->n_node - 1;
        CHECK_MSG(convert_graph_node_supported(&g, ni, &one) == EFFAD_ERR_UNSUPPORTED, "%s: the one place accepts it", what);
        CHECK_STR_CONTAINS(one.msg, reason);
        s = layers_lower(&net, &g, &e);
        CHECK_MSG(!strcmp(e.msg, one.msg), "%s: lowering says \"%s\", the runner \"%s\"", what, e.msg, one.msg);
    }
    CHECK_MSG(s == EFFAD_ERR_UNSUPPORTED, "%s: status %d (%s)", what, (int)s, e.msg);
    CHECK_STR_CONTAINS(e.msg, reason);
    layers_free(&net);
    graph_free(&g);
    onnx_model_free(m);
}

static void expect_accept(onnx_model *m, const char *what)
{
    graph g; layer_net net; effad_error e;
    memset(&net, 0, sizeof net);
    memset(&e, 0, sizeof e);
    effad_status s = graph_build(&g, m, 0, &e);
    if (!s) s = layers_lower(&net, &g, &e);
    CHECK_MSG(s == EFFAD_OK, "%s: %s", what, e.msg);
    layers_free(&net);
    graph_free(&g);
    onnx_model_free(m);
}

/* ---------------------------------------------------------------- cases */

static void batchnorm_training(void)
{
    onnx_model m;
    stem(&m, 15);
    int64_t c = 4;
    static const double ones[4] = { 1, 1, 1, 1 };
    add_init(&m, "s", ONNX_FLOAT, 1, &c, ones); add_init(&m, "b", ONNX_FLOAT, 1, &c, 0);
    add_init(&m, "mu", ONNX_FLOAT, 1, &c, 0);   add_init(&m, "var", ONNX_FLOAT, 1, &c, ones);
    onnx_node *n = add_node(&m, "BatchNormalization", "c", "s", "b", "y");
    n->in = realloc(n->in, sizeof *n->in * 5);
    n->in[n->n_in++] = dup("mu"); n->in[n->n_in++] = dup("var");
    add_attr(n, "training_mode", ONNX_ATTR_INT)->i = 1;
    output(&m, "y");
    expect_refusal(&m, "BatchNormalization training_mode", "training_mode=1 (batch statistics) is not inference");
}

static void pad_mode(const char *mode)
{
    onnx_model m;
    stem(&m, 13);
    int64_t np = 8;
    static const double pads[4] = { 0, 0, 1, 1 };
    add_init(&m, "pads", ONNX_INT64, 1, &np, pads);
    attr_str(add_node(&m, "Pad", "c", "pads", 0, "y"), "mode", mode);
    output(&m, "y");
    char reason[96];
    snprintf(reason, sizeof reason, "mode '%s' (only constant padding is supported)", mode);
    expect_refusal(&m, reason, reason);
}

static void dropout(int training)
{
    onnx_model m;
    stem(&m, 13);
    double t[4] = { training, training, training, training };
    int64_t one = 1;
    add_init(&m, "ratio", ONNX_FLOAT, 0, &one, 0);
    add_init(&m, "train", ONNX_BOOL, 0, &one, t);
    add_node(&m, "Dropout", "c", "ratio", "train", "y");
    output(&m, "y");
    if (training) expect_refusal(&m, "Dropout training_mode", "training_mode=true (random dropout) is not inference");
    else expect_accept(&m, "Dropout training_mode=false");
}

static void conv_rank(int rank)
{
    onnx_model m;
    memset(&m, 0, sizeof m);
    m.n_opset = 1;
    m.opset = calloc(1, sizeof *m.opset);
    m.opset[0].domain = dup(""); m.opset[0].version = 13;
    int64_t xd[5] = { 1, 3, 8, 8, 8 }, wd[5] = { 4, 3, 3, 3, 3 };
    add_input(&m, "x", ONNX_FLOAT, rank + 2, xd);
    add_init(&m, "w", ONNX_FLOAT, rank + 2, wd, 0);
    add_node(&m, "Conv", "x", "w", 0, "y");
    output(&m, "y");
    expect_refusal(&m, "Conv rank", rank == 1 ? "only 2-D convolutions on N x C x H x W are supported (kernel rank 1)"
                                              : "only 2-D convolutions on N x C x H x W are supported (kernel rank 3)");
}

static void cast_to(onnx_dtype to)
{
    onnx_model m;
    stem(&m, 13);
    int64_t two = 2;
    add_init(&m, "k", ONNX_INT64, 1, &two, 0);
    add_attr(add_node(&m, "Cast", "k", 0, 0, "y"), "to", ONNX_ATTR_INT)->i = to;   /* folded */
    output(&m, "c");
    char reason[64];
    snprintf(reason, sizeof reason, "Cast to %s", onnx_dtype_name(to));
    expect_refusal(&m, reason, reason);
}

static void clip_int8(void)
{
    onnx_model m;
    stem(&m, 13);
    int64_t d[4] = { 1, 4, 6, 6 };
    add_input(&m, "q", ONNX_INT8, 4, d);
    add_node(&m, "Clip", "q", 0, 0, "y");
    output(&m, "c");
    expect_refusal(&m, "Clip on int8", "input 'q' is INT8; the kernels compute in float32");
}

static void sequence_input(void)
{
    onnx_model m;
    stem(&m, 13);
    add_input(&m, "seq", ONNX_UNDEFINED, -1, 0);   /* what onnx-read.c makes of a sequence type */
    output(&m, "c");
    expect_refusal(&m, "sequence input", "graph input 'seq' is not a tensor");
}

int main(void)
{
    batchnorm_training();
    pad_mode("reflect");
    pad_mode("edge");
    dropout(1);
    dropout(0);
    conv_rank(1);
    conv_rank(3);
    cast_to(ONNX_STRING);
    cast_to(ONNX_FLOAT16);
    clip_int8();
    sequence_input();
    return check_done("test-conformance-refusals");
}
