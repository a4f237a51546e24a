/* Building the graph: value table, constant folding, shape inference. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "graph.h"
#include "support.h"

/* --------------------------------------------------------- value table */

static unsigned long name_hash(const char *s)
{
    unsigned long h = 5381;
    while (*s) h = h * 33u + (unsigned char)*s++;
    return h;
}

int graph_find(const graph *g, const char *name)
{
    if (!name || !*name || !g->n_slots) return -1;
    for (unsigned long i = name_hash(name) % (unsigned long)g->n_slots;; i = (i + 1) % (unsigned long)g->n_slots) {
        int v = g->slots[i] - 1;
        if (v < 0) return -1;
        if (!strcmp(g->val[v].name, name)) return v;
    }
}

static int add_value(graph *g, const char *name, int producer, effad_error *e)
{
    if (graph_find(g, name) >= 0) {
        effad_fail(e, EFFAD_ERR_FORMAT, "value '%s' is defined twice", name);
        return -1;
    }
    if (g->n_val == g->cap_val) {
        effad_fail(e, EFFAD_ERR_FORMAT, "more values than the graph declares room for");
        return -1;
    }
    int v = g->n_val++;
    memset(&g->val[v], 0, sizeof g->val[v]);
    g->val[v].name = name;
    g->val[v].producer = producer;
    unsigned long i = name_hash(name) % (unsigned long)g->n_slots;
    while (g->slots[i]) i = (i + 1) % (unsigned long)g->n_slots;
    g->slots[i] = v + 1;
    return v;
}

const char *graph_node_label(const graph *g, int node, char *buf, size_t n)
{
    const onnx_node *nd = &g->om->node[node];
    if (*nd->name) snprintf(buf, n, "%s node '%s'", nd->op_type, nd->name);
    else snprintf(buf, n, "%s node #%d (output '%s')", nd->op_type, node, nd->n_out ? nd->out[0] : "");
    return buf;
}

/* ---------------------------------------------------- shape inference */

/* Records an inferred shape, or leaves the value unknown when the shape
 * is out of the limits of ctensor.h (a negative or huge dimension from
 * hostile attributes): every later product of its dimensions then fits. */
static int set_shape(gval *v, onnx_dtype dt, int nd, const int64_t *dims)
{
    size_t count;
    if (!ctensor_shape_ok(nd, dims, &count)) return 0;
    v->known = 1;
    v->t.dtype = dt;
    v->t.ndim = nd;
    v->t.count = count;
    for (int d = 0; d < nd; d++) v->t.dims[d] = dims[d];
    return 1;
}

static int conv_pads(const onnx_node *n, int k_h, int k_w, int s_h, int s_w, int d_h, int d_w,
                     int64_t in_h, int64_t in_w, int64_t pads[4])
{
    const onnx_attr *ap = onnx_node_attr(n, "auto_pad");
    const char *mode = ap && ap->s ? ap->s : "NOTSET";
    pads[0] = pads[1] = pads[2] = pads[3] = 0;   /* top, left, bottom, right */
    if (!strcmp(mode, "NOTSET")) {
        const onnx_attr *p = onnx_node_attr(n, "pads");
        if (p && p->type == ONNX_ATTR_INTS) {
            if (p->n != 4) return 0;
            for (int k = 0; k < 4; k++) {
                if (p->ints[k] < -CTENSOR_MAX_DIM || p->ints[k] > CTENSOR_MAX_DIM) return 0;
                pads[k] = p->ints[k];
            }
        }
        return 1;
    }
    if (!strcmp(mode, "VALID")) return 1;
    if (strcmp(mode, "SAME_UPPER") && strcmp(mode, "SAME_LOWER")) return 0;
    int64_t in[2] = { in_h, in_w }, k[2] = { k_h, k_w }, s[2] = { s_h, s_w }, dl[2] = { d_h, d_w };
    for (int a = 0; a < 2; a++) {
        int64_t out = (in[a] + s[a] - 1) / s[a];
        int64_t total = (out - 1) * s[a] + (k[a] - 1) * dl[a] + 1 - in[a];
        if (total < 0) total = 0;
        /* SAME_UPPER puts the odd pixel at the end (TensorFlow's choice) */
        int64_t small = total / 2, big = total - small;
        int upper = !strcmp(mode, "SAME_UPPER");
        pads[a] = upper ? small : big;
        pads[a + 2] = upper ? big : small;
    }
    return 1;
}

/* Shapes of non-constant outputs for the ops a network is made of. */
static void infer(graph *g, int ni)
{
    const onnx_node *n = &g->om->node[ni];
    const char *op = n->op_type;
    int *in = g->node_in[ni], *out = g->node_out[ni];
    /* an omitted output ("") has no value to give a shape to */
    if (n->n_out < 1 || out[0] < 0 || n->n_in < 1 || in[0] < 0 || !g->val[in[0]].known) return;
    const ctensor *x = &g->val[in[0]].t;
    gval *y = &g->val[out[0]];

    if (!strcmp(op, "Relu") || !strcmp(op, "Sigmoid") || !strcmp(op, "Clip") || !strcmp(op, "HardSigmoid") ||
        !strcmp(op, "HardSwish") || !strcmp(op, "BatchNormalization") || !strcmp(op, "Dropout") ||
        !strcmp(op, "Identity") || !strcmp(op, "LeakyRelu") || !strcmp(op, "Tanh") || !strcmp(op, "Softmax")) {
        set_shape(y, x->dtype, x->ndim, x->dims);
    } else if (!strcmp(op, "Add") || !strcmp(op, "Mul") || !strcmp(op, "Sub") || !strcmp(op, "Div")) {
        if (n->n_in < 2 || in[1] < 0 || !g->val[in[1]].known) return;
        const ctensor *b = &g->val[in[1]].t;
        int nd = x->ndim > b->ndim ? x->ndim : b->ndim;
        int64_t dims[ONNX_MAX_DIMS];
        for (int d = 0; d < nd; d++) {
            int da = d - (nd - x->ndim), db = d - (nd - b->ndim);
            int64_t p = da >= 0 ? x->dims[da] : 1, q = db >= 0 ? b->dims[db] : 1;
            if (p != q && p != 1 && q != 1) return;
            dims[d] = p == 1 ? q : p;
        }
        set_shape(y, x->dtype, nd, dims);
    } else if (!strcmp(op, "Conv")) {
        if (n->n_in < 2 || in[1] < 0 || !g->val[in[1]].known || x->ndim != 4) return;
        const ctensor *w = &g->val[in[1]].t;
        if (w->ndim != 4) return;
        int64_t s[2] = { 1, 1 }, d[2] = { 1, 1 }, pads[4];
        const onnx_attr *a = onnx_node_attr(n, "strides");
        if (a && a->type == ONNX_ATTR_INTS && a->n == 2) { s[0] = a->ints[0]; s[1] = a->ints[1]; }
        a = onnx_node_attr(n, "dilations");
        if (a && a->type == ONNX_ATTR_INTS && a->n == 2) { d[0] = a->ints[0]; d[1] = a->ints[1]; }
        /* within int (the layer keeps them as int) and so within the limits
         * of ctensor.h: no product below overflows */
        for (int k = 0; k < 2; k++)
            if (s[k] < 1 || s[k] > CTENSOR_MAX_DIM || d[k] < 1 || d[k] > CTENSOR_MAX_DIM) return;
        if (!conv_pads(n, (int)w->dims[2], (int)w->dims[3], (int)s[0], (int)s[1], (int)d[0], (int)d[1],
                       x->dims[2], x->dims[3], pads)) return;
        int64_t dims[4] = { x->dims[0], w->dims[0], 0, 0 };
        for (int k = 0; k < 2; k++) {
            int64_t span = d[k] * (w->dims[2 + k] - 1) + 1, avail = x->dims[2 + k] + pads[k] + pads[k + 2] - span;
            if (avail < 0) return;
            dims[2 + k] = avail / s[k] + 1;
        }
        set_shape(y, x->dtype, 4, dims);
    } else if (!strcmp(op, "GlobalAveragePool") || !strcmp(op, "GlobalMaxPool")) {
        int64_t dims[ONNX_MAX_DIMS];
        for (int k = 0; k < x->ndim; k++) dims[k] = k < 2 ? x->dims[k] : 1;
        set_shape(y, x->dtype, x->ndim, dims);
    } else if (!strcmp(op, "ReduceMean")) {
        int64_t axes[ONNX_MAX_DIMS]; int na = 0, mark[ONNX_MAX_DIMS] = { 0 };
        const onnx_attr *a = onnx_node_attr(n, "axes");
        if (a && a->type == ONNX_ATTR_INTS) { if (a->n > ONNX_MAX_DIMS) return; na = a->n; memcpy(axes, a->ints, sizeof(int64_t) * (size_t)na); }
        else if (n->n_in > 1 && in[1] >= 0 && g->val[in[1]].t.has_data) {
            const ctensor *t = &g->val[in[1]].t;
            if ((int)t->count > ONNX_MAX_DIMS) return;
            na = (int)t->count;
            for (int k = 0; k < na; k++) axes[k] = ctensor_get_i(t, (size_t)k);
        }
        for (int k = 0; k < na; k++) { int64_t ax = axes[k] < 0 ? axes[k] + x->ndim : axes[k]; if (ax < 0 || ax >= x->ndim) return; mark[ax] = 1; }
        if (!na) for (int k = 0; k < x->ndim; k++) mark[k] = 1;
        int keep = (int)onnx_attr_int(n, "keepdims", 1), nd = 0;
        int64_t dims[ONNX_MAX_DIMS];
        for (int k = 0; k < x->ndim; k++) { if (!mark[k]) dims[nd++] = x->dims[k]; else if (keep) dims[nd++] = 1; }
        set_shape(y, x->dtype, nd, dims);
    } else if (!strcmp(op, "Pad")) {
        int64_t pads[2 * ONNX_MAX_DIMS]; int np = 0;
        const onnx_attr *a = onnx_node_attr(n, "pads");
        if (a && a->type == ONNX_ATTR_INTS) { if (a->n > 2 * ONNX_MAX_DIMS) return; np = a->n; memcpy(pads, a->ints, sizeof(int64_t) * (size_t)np); }
        else if (n->n_in > 1 && in[1] >= 0 && g->val[in[1]].t.has_data) {
            const ctensor *t = &g->val[in[1]].t;
            if ((int)t->count > 2 * ONNX_MAX_DIMS) return;
            np = (int)t->count;
            for (int k = 0; k < np; k++) pads[k] = ctensor_get_i(t, (size_t)k);
        } else return;
        if (np != 2 * x->ndim) return;
        for (int k = 0; k < np; k++) if (pads[k] < -CTENSOR_MAX_DIM || pads[k] > CTENSOR_MAX_DIM) return;
        int64_t dims[ONNX_MAX_DIMS];
        for (int k = 0; k < x->ndim; k++) dims[k] = x->dims[k] + pads[k] + pads[k + x->ndim];
        set_shape(y, x->dtype, x->ndim, dims);
    } else if (!strcmp(op, "Flatten")) {
        int64_t axis = onnx_attr_int(n, "axis", 1), dims[2] = { 1, 1 };
        if (axis < 0) axis += x->ndim;
        for (int k = 0; k < x->ndim; k++) dims[k < axis ? 0 : 1] *= x->dims[k];
        set_shape(y, x->dtype, 2, dims);
    } else if (!strcmp(op, "Gemm") || !strcmp(op, "MatMul")) {
        if (n->n_in < 2 || in[1] < 0 || !g->val[in[1]].known) return;
        const ctensor *b = &g->val[in[1]].t;
        if (x->ndim != 2 || b->ndim != 2) return;
        int ta = (int)onnx_attr_int(n, "transA", 0), tb = (int)onnx_attr_int(n, "transB", 0);
        int64_t dims[2] = { ta ? x->dims[1] : x->dims[0], tb ? b->dims[0] : b->dims[1] };
        set_shape(y, x->dtype, 2, dims);
    }
}

/* ---------------------------------------------------------------- build */

static effad_status bind_input(graph *g, const onnx_value *in, const graph_options *opt, effad_error *e)
{
    int v = graph_find(g, in->name);
    if (v >= 0) return EFFAD_OK;   /* an initializer listed as input (IR < 4) */
    effad_status s = convert_graph_input_supported(in, e);
    if (s) return s;
    if ((v = add_value(g, in->name, -1, e)) < 0) return e ? e->status : EFFAD_ERR_FORMAT;
    if (in->ndim < 0) return EFFAD_OK;
    int64_t dims[ONNX_MAX_DIMS];
    for (int d = 0; d < in->ndim; d++) {
        dims[d] = in->dims[d];
        /* a symbolic batch is 1: effad scores one image at a time */
        if (dims[d] < 0 && d == 0) dims[d] = 1;
        if (in->ndim == 4 && d >= 2 && opt) {
            int o = d == 2 ? opt->in_h : opt->in_w;
            if (o > 0) dims[d] = o;
        }
        if (dims[d] < 0)
            return effad_fail(e, EFFAD_ERR_UNSUPPORTED, "input '%s' dimension %d is symbolic ('%s'); give the input size",
                              in->name, d, in->dim_param[d] ? in->dim_param[d] : "?");
    }
    if (!set_shape(&g->val[v], in->dtype, in->ndim, dims))
        return effad_fail(e, EFFAD_ERR_UNSUPPORTED, "input '%s' has a shape outside 0..%lld per dimension", in->name,
                          (long long)CTENSOR_MAX_DIM);
    if (g->input < 0) g->input = v;
    return EFFAD_OK;
}

effad_status graph_build(graph *g, const onnx_model *om, const graph_options *opt, effad_error *e)
{
    effad_status s;
    memset(g, 0, sizeof *g);
    g->om = om;
    g->input = -1;
    g->opset = onnx_opset_version(om, "");
    if (g->opset < 0) g->opset = onnx_opset_version(om, "ai.onnx");
    if (g->opset < 1) return effad_fail(e, EFFAD_ERR_FORMAT, "model imports no default-domain opset");
    if (g->opset > 21) return effad_fail(e, EFFAD_ERR_UNSUPPORTED, "opset %lld is newer than effad knows (<= 21)", (long long)g->opset);

    int cap = om->n_init + om->n_input + 1;
    for (int i = 0; i < om->n_node; i++) cap += om->node[i].n_out;
    g->cap_val = cap;
    g->n_slots = 2 * cap + 1;
    g->val = calloc((size_t)cap, sizeof *g->val);
    g->slots = calloc((size_t)g->n_slots, sizeof *g->slots);
    g->node_in = calloc((size_t)om->n_node + 1, sizeof *g->node_in);
    g->node_out = calloc((size_t)om->n_node + 1, sizeof *g->node_out);
    if (!g->val || !g->slots || !g->node_in || !g->node_out) return effad_fail(e, EFFAD_ERR_NOMEM, "out of memory");

    /* initializers with data take at least a byte per element of the file */
    size_t init_elements = 0;
    for (int i = 0; i < om->n_init; i++) if (om->init[i].data) init_elements += om->init[i].count;
    g->fold_budget = init_elements > CTENSOR_MAX_FOLDED_ELEMENTS / 2 ? 2 * init_elements : CTENSOR_MAX_FOLDED_ELEMENTS;
    for (int i = 0; i < om->n_init; i++) {
        int v = add_value(g, om->init[i].name, -1, e);
        if (v < 0) return e ? e->status : EFFAD_ERR_FORMAT;
        if ((s = ctensor_from_onnx(&g->val[v].t, &om->init[i], e))) {
            /* weights of a dtype we do not compute with stay unknown; only
             * a node that actually reads them will complain */
            memset(&g->val[v].t, 0, sizeof g->val[v].t);
            continue;
        }
        g->val[v].known = 1;
    }
    for (int i = 0; i < om->n_input; i++)
        if ((s = bind_input(g, &om->input[i], opt, e))) return s;

    for (int ni = 0; ni < om->n_node; ni++) {
        const onnx_node *n = &om->node[ni];
        char label[160];
        g->node_in[ni] = malloc(sizeof(int) * (size_t)(n->n_in + 1));
        g->node_out[ni] = malloc(sizeof(int) * (size_t)(n->n_out + 1));
        if (!g->node_in[ni] || !g->node_out[ni]) return effad_fail(e, EFFAD_ERR_NOMEM, "out of memory");
        int all_const = 1;
        for (int k = 0; k < n->n_in; k++) {
            int v = -1;
            if (*n->in[k]) {
                v = graph_find(g, n->in[k]);
                if (v < 0)
                    return effad_fail(e, EFFAD_ERR_FORMAT, "%s reads '%s', which no earlier node or initializer defines",
                                      graph_node_label(g, ni, label, sizeof label), n->in[k]);
                if (!g->val[v].t.has_data) all_const = 0;
            }
            g->node_in[ni][k] = v;
        }
        for (int k = 0; k < n->n_out; k++) {
            g->node_out[ni][k] = -1;
            if (!*n->out[k]) continue;
            int v = add_value(g, n->out[k], ni, e);
            if (v < 0) return e ? e->status : EFFAD_ERR_FORMAT;
            g->node_out[ni][k] = v;
        }
        int shape_only = !strcmp(n->op_type, "Shape") || !strcmp(n->op_type, "Size");
        int can_fold = ceval_supports(n->op_type) && n->n_out >= 1 && g->node_out[ni][0] >= 0 &&
                       (all_const || (shape_only && n->n_in >= 1 && g->node_in[ni][0] >= 0 && g->val[g->node_in[ni][0]].known));
        if (can_fold) {
            const ctensor *ins[16];
            if (n->n_in > 16) return effad_fail(e, EFFAD_ERR_UNSUPPORTED, "%s has %d inputs", graph_node_label(g, ni, label, sizeof label), n->n_in);
            for (int k = 0; k < n->n_in; k++) ins[k] = g->node_in[ni][k] >= 0 ? &g->val[g->node_in[ni][k]].t : 0;
            gval *o = &g->val[g->node_out[ni][0]];
            /* folding obeys the same rules as running: one place decides */
            if ((s = convert_node_supported(n, g->opset, ins, n->n_in, e)) ||
                (s = ceval_node(n, g->opset, ins, n->n_in, &o->t, 1, e))) {
                effad_error_prefix(e, graph_node_label(g, ni, label, sizeof label));
                return s;
            }
            o->known = 1;
            if ((g->folded += o->t.count) > g->fold_budget)
                return effad_fail(e, EFFAD_ERR_UNSUPPORTED, "%s: constant folding computes more than %zu elements "
                                  "(the limit for this graph)", graph_node_label(g, ni, label, sizeof label), g->fold_budget);
        } else {
            infer(g, ni);
        }
    }
    for (int i = 0; i < om->n_output; i++) {
        int v = graph_find(g, om->output[i].name);
        if (v < 0) return effad_fail(e, EFFAD_ERR_FORMAT, "graph output '%s' is never produced", om->output[i].name);
        if (!g->val[v].is_output) g->val[v].is_output = i + 1;
    }
    if (g->input < 0 && !(opt && opt->all_const_ok)) return effad_fail(e, EFFAD_ERR_FORMAT, "graph has no non-constant input");
    return EFFAD_OK;
}

void graph_free(graph *g)
{
    if (!g) return;
    for (int v = 0; v < g->n_val; v++) ctensor_free(&g->val[v].t);
    if (g->om)
        for (int i = 0; i < g->om->n_node; i++) { if (g->node_in) free(g->node_in[i]); if (g->node_out) free(g->node_out[i]); }
    free(g->node_in); free(g->node_out); free(g->val); free(g->slots);
    memset(g, 0, sizeof *g);
}
