/* A QDQ-quantised ONNX as the converter's input (qdq-import.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "qdq-import.h"
#include "calibrate.h"

/* ---------------------------------------------------------------- strip */

static char *dup_str(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}

static int is_op(const onnx_node *n, const char *op)
{
    return !strcmp(n->op_type, op) && (!n->domain[0] || !strcmp(n->domain, "ai.onnx"));
}

static const onnx_tensor *init_of(const onnx_model *om, const char *name)
{
    for (int i = 0; i < om->n_init; i++)
        if (!strcmp(om->init[i].name, name)) return &om->init[i];
    return 0;
}

static int producer_of(const onnx_model *om, const char *name)
{
    for (int i = 0; i < om->n_node; i++)
        for (int k = 0; k < om->node[i].n_out; k++)
            if (!strcmp(om->node[i].out[k], name)) return i;
    return -1;
}

/* What messages call a node: its name, else its first output, else
 * nothing (fuzz-onnx-qdq: a nameless DequantizeLinear with no outputs,
 * whose refusal read out[0] of an empty list). */
static const char *label(const onnx_node *n)
{
    return n->name[0] ? n->name : n->n_out > 0 ? n->out[0] : "(no name, no outputs)";
}

/* Element k of an integer tensor, as int64. */
static int64_t int_at(const onnx_tensor *t, size_t k)
{
    switch (t->dtype) {
    case ONNX_INT8: return ((const int8_t *)t->data)[k];
    case ONNX_UINT8: return ((const uint8_t *)t->data)[k];
    case ONNX_INT16: return ((const int16_t *)t->data)[k];
    case ONNX_UINT16: return ((const uint16_t *)t->data)[k];
    case ONNX_INT32: return ((const int32_t *)t->data)[k];
    default: return 0;
    }
}

/* The scale and zero point of a Q or DQ node: constants, checked. */
typedef struct qparams { const onnx_tensor *scale, *zero; int axis; } qparams;

static effad_status params_of(const onnx_model *om, const onnx_node *n, const onnx_tensor *x, qparams *p,
                              effad_error *e)
{
    p->scale = n->n_in > 1 ? init_of(om, n->in[1]) : 0;
    p->zero = n->n_in > 2 && n->in[2][0] ? init_of(om, n->in[2]) : 0;
    if (!p->scale || p->scale->dtype != ONNX_FLOAT || !p->scale->data || p->scale->ndim > 1)
        return effad_fail(e, EFFAD_ERR_UNSUPPORTED, "%s '%s': its scale is not a float constant of one value or one "
                          "per channel", n->op_type, label(n));
    if (n->n_in > 2 && n->in[2][0] && (!p->zero || !p->zero->data || p->zero->count != p->scale->count))
        return effad_fail(e, EFFAD_ERR_UNSUPPORTED, "%s '%s': its zero point is not a constant like its scale",
                          n->op_type, label(n));
    for (size_t k = 0; k < p->scale->count; k++)
        if (!(((const float *)p->scale->data)[k] > 0) || !isfinite(((const float *)p->scale->data)[k]))
            return effad_fail(e, EFFAD_ERR_UNSUPPORTED, "%s '%s': scale %g is not a positive number", n->op_type,
                              label(n), (double)((const float *)p->scale->data)[k]);
    const int ndim = x ? x->ndim : 4;
    int64_t axis = onnx_attr_int(n, "axis", 1);
    if (axis < 0) axis += ndim;
    p->axis = (int)axis;
    if (p->scale->count > 1 && x && (axis < 0 || axis >= x->ndim || x->dims[axis] != (int64_t)p->scale->count))
        return effad_fail(e, EFFAD_ERR_UNSUPPORTED, "%s '%s': %zu scales along axis %d of a tensor of that size %lld",
                          n->op_type, label(n), p->scale->count, p->axis,
                          x && axis >= 0 && axis < x->ndim ? (long long)x->dims[axis] : -1LL);
    return EFFAD_OK;
}

static effad_status nomem(effad_error *e) { return effad_fail(e, EFFAD_ERR_NOMEM, "out of memory"); }

/* Appends a float initializer (data taken over). It reallocates om->init:
 * pointers into it are stale afterwards, hence the shape by value. */
static effad_status add_init(onnx_model *om, const char *name, int ndim, const int64_t *dims, size_t count, float *data,
                             effad_error *e)
{
    onnx_tensor *t = realloc(om->init, sizeof *t * (size_t)(om->n_init + 1));
    if (!t) { free(data); return nomem(e); }
    om->init = t;
    onnx_tensor *n = &om->init[om->n_init];
    memset(n, 0, sizeof *n);
    n->name = dup_str(name);
    if (!n->name) { free(data); return nomem(e); }
    n->dtype = ONNX_FLOAT;
    n->ndim = ndim;
    memcpy(n->dims, dims, sizeof n->dims);
    n->count = count;
    n->data = data;
    om->n_init++;
    return EFFAD_OK;
}

/* A DequantizeLinear of a constant: its float values, and the int8
 * weights when effad can run them as they are. */
static effad_status dq_constant(onnx_model *om, qdq_import *qi, const onnx_node *n, const onnx_tensor *x, effad_error *e)
{
    qparams p;
    effad_status s = params_of(om, n, x, &p, e);
    if (s) return s;
    if (x->dtype != ONNX_INT8 && x->dtype != ONNX_UINT8 && x->dtype != ONNX_INT32)
        return effad_fail(e, EFFAD_ERR_UNSUPPORTED, "DequantizeLinear '%s': %s constants (effad reads int8, uint8 and "
                          "int32 ones)", label(n), onnx_dtype_name(x->dtype));
    float *f = malloc(sizeof(float) * (x->count ? x->count : 1));
    if (!f) return nomem(e);
    /* channel of element k along the scale's axis */
    size_t inner = 1;
    for (int d = p.axis + 1; d < x->ndim; d++) inner *= (size_t)x->dims[d];
    int zero_nonzero = 0;
    for (size_t k = 0; k < x->count; k++) {
        const size_t c = p.scale->count > 1 ? (k / inner) % p.scale->count : 0;
        const int64_t z = p.zero ? int_at(p.zero, c) : 0;
        zero_nonzero |= z != 0;
        f[k] = (float)(int_at(x, k) - z) * ((const float *)p.scale->data)[c];
    }
    if (x->dtype != ONNX_INT32) {   /* an int32 constant is a bias: its float values are all effad needs */
        qdq_weight *w = realloc(qi->weight, sizeof *w * (size_t)(qi->n_weight + 1));
        if (!w) { free(f); return nomem(e); }
        qi->weight = w;
        w = &qi->weight[qi->n_weight++];
        memset(w, 0, sizeof *w);
        w->name = dup_str(n->out[0]);
        w->count = x->count;
        w->cout = x->ndim ? x->dims[0] : 1;
        if (!w->name) { free(f); return nomem(e); }
        if (x->dtype != ONNX_INT8) snprintf(w->why, sizeof w->why, "uint8 weights (effad's are int8, symmetric)");
        else if (zero_nonzero) snprintf(w->why, sizeof w->why, "asymmetric weights (a zero point other than 0)");
        else if (p.scale->count > 1 && p.axis != 0)
            snprintf(w->why, sizeof w->why, "weight scales along axis %d, not per output channel", p.axis);
        else if (x->ndim < 1) snprintf(w->why, sizeof w->why, "a scalar weight");
        else {
            w->q = malloc(x->count ? x->count : 1);
            w->scale = malloc(sizeof(float) * (size_t)w->cout);
            if (!w->q || !w->scale) { free(f); return nomem(e); }
            memcpy(w->q, x->data, x->count);
            for (int64_t o = 0; o < w->cout; o++)
                w->scale[o] = ((const float *)p.scale->data)[p.scale->count > 1 ? (size_t)o : 0];
            w->usable = 1;
        }
    }
    int64_t dims[ONNX_MAX_DIMS];
    memcpy(dims, x->dims, sizeof dims);
    return add_init(om, n->out[0], x->ndim, dims, x->count, f, e);   /* x and p are stale after this */
}

static effad_status rename_input(onnx_model *om, const char *from, const char *to, effad_error *e)
{
    for (int i = 0; i < om->n_node; i++)
        for (int k = 0; k < om->node[i].n_in; k++)
            if (!strcmp(om->node[i].in[k], from)) {
                char *d = dup_str(to);
                if (!d) return nomem(e);
                free(om->node[i].in[k]);
                om->node[i].in[k] = d;
            }
    return EFFAD_OK;
}

static effad_status add_identity(onnx_model *om, const char *in, const char *out, effad_error *e)
{
    onnx_node *nodes = realloc(om->node, sizeof *nodes * (size_t)(om->n_node + 1));
    if (!nodes) return nomem(e);
    om->node = nodes;
    onnx_node *n = &om->node[om->n_node];
    memset(n, 0, sizeof *n);
    n->name = dup_str(out); n->op_type = dup_str("Identity"); n->domain = dup_str("");
    n->in = malloc(sizeof(char *)); n->out = malloc(sizeof(char *));
    if (n->in) n->in[0] = dup_str(in);
    if (n->out) n->out[0] = dup_str(out);
    n->n_in = n->in ? 1 : 0;
    n->n_out = n->out ? 1 : 0;
    om->n_node++;
    if (!n->name || !n->op_type || !n->domain || !n->n_in || !n->n_out || !n->in[0] || !n->out[0]) return nomem(e);
    return EFFAD_OK;
}

/* A Q/DQ pair on an activation: its type, recorded by the float tensor's
 * name; readers of the DQ read that tensor instead. */
static effad_status dq_pair(onnx_model *om, qdq_import *qi, const onnx_node *dq, const onnx_node *q, effad_error *e)
{
    qparams pq, pd;
    effad_status s;
    if ((s = params_of(om, q, 0, &pq, e)) || (s = params_of(om, dq, 0, &pd, e))) return s;
    if (pq.scale->count != 1)
        return effad_fail(e, EFFAD_ERR_UNSUPPORTED, "QuantizeLinear '%s': %zu scales for activation '%s' (effad's "
                          "activations have one per tensor)", label(q), pq.scale->count, q->in[0]);
    const onnx_dtype t = pq.zero ? pq.zero->dtype : ONNX_UINT8;
    if (t != ONNX_UINT8 && t != ONNX_INT8 && t != ONNX_INT16)
        return effad_fail(e, EFFAD_ERR_UNSUPPORTED, "QuantizeLinear '%s': %s activation '%s' (effad's are uint8, "
                          "int8 or int16)", label(q), onnx_dtype_name(t), q->in[0]);
    const float scale = ((const float *)pq.scale->data)[0];
    const int64_t zero = pq.zero ? int_at(pq.zero, 0) : 0;
    if (pd.scale->count != 1 || ((const float *)pd.scale->data)[0] != scale || (pd.zero ? int_at(pd.zero, 0) : 0) != zero ||
        (pd.zero ? pd.zero->dtype : ONNX_UINT8) != t)
        return effad_fail(e, EFFAD_ERR_UNSUPPORTED, "DequantizeLinear '%s' does not undo QuantizeLinear '%s' (another "
                          "scale or zero point: a requantisation)", label(dq), label(q));
    if (t == ONNX_INT16 && zero != 0)
        return effad_fail(e, EFFAD_ERR_UNSUPPORTED, "QuantizeLinear '%s': int16 activation '%s' with zero point %lld "
                          "(effad's int16 activations are symmetric: zero point 0)", label(q), q->in[0], (long long)zero);
    /* int8 with zero z holds the same reals as uint8 with zero z + 128;
     * int16 is the 16x8 layers' type (ops/q16.h) */
    const effad_qtype qt = t == ONNX_INT16 ? (effad_qtype){ EFFAD_S16, scale, 0 }
                                            : (effad_qtype){ EFFAD_U8, scale, (int32_t)(t == ONNX_INT8 ? zero + 128 : zero) };
    for (int i = 0; i < qi->n_act; i++)
        if (!strcmp(qi->act[i].name, q->in[0])) {
            /* a second pair of the other width: where a uint8 block hands
             * over to a 16x8 one (or back), as --emit-qdq writes it */
            effad_qtype *have = qi->act[i].q.dtype == qt.dtype ? &qi->act[i].q : &qi->act[i].alt;
            if (!have->dtype) *have = qt;
            else if (have->scale != qt.scale || have->zero_point != qt.zero_point)
                return effad_fail(e, EFFAD_ERR_UNSUPPORTED, "'%s' is quantised twice, with different scales", q->in[0]);
            goto rewire;
        }
    qdq_act *a = realloc(qi->act, sizeof *a * (size_t)(qi->n_act + 1));
    if (!a) return nomem(e);
    qi->act = a;
    qi->act[qi->n_act].name = dup_str(q->in[0]);
    qi->act[qi->n_act].q = qt;
    qi->act[qi->n_act].alt = (effad_qtype){ 0, 0.0f, 0 };
    qi->act[qi->n_act].used = 0;
    if (!qi->act[qi->n_act++].name) return nomem(e);
rewire:
    if ((s = rename_input(om, dq->out[0], q->in[0], e))) return s;
    for (int o = 0; o < om->n_output; o++)
        if (!strcmp(om->output[o].name, dq->out[0])) return add_identity(om, q->in[0], dq->out[0], e);
    return EFFAD_OK;
}

effad_status qdq_strip(onnx_model *om, qdq_import *qi, effad_error *e)
{
    memset(qi, 0, sizeof *qi);
    const int n0 = om->n_node;
    uint8_t *drop = calloc((size_t)(n0 ? n0 : 1), 1);
    if (!drop) return nomem(e);
    effad_status s = EFFAD_OK;
    for (int i = 0; i < n0 && !s; i++) {
        const onnx_node *n = &om->node[i];
        int q = is_op(n, "QuantizeLinear");
        if (!q && !is_op(n, "DequantizeLinear")) continue;
        qi->found = 1;
        /* both take x, a scale and an optional zero point, and give one
         * output; everything below reads in[0] and out[0] */
        if (n->n_in < 2 || n->n_out != 1) {
            s = effad_fail(e, EFFAD_ERR_UNSUPPORTED, "%s '%s': %d inputs, %d outputs (2 or 3 inputs, 1 output)", n->op_type,
                           label(n), n->n_in, n->n_out);
            break;
        }
        if (q) continue;
        const onnx_tensor *x = init_of(om, n->in[0]);
        const int p = x ? -1 : producer_of(om, n->in[0]);
        if (x) s = dq_constant(om, qi, n, x, e);
        else if (p >= 0 && is_op(&om->node[p], "QuantizeLinear")) s = dq_pair(om, qi, n, &om->node[p], e);
        else s = effad_fail(e, EFFAD_ERR_UNSUPPORTED, "DequantizeLinear '%s': its input '%s' is neither a constant nor "
                            "a QuantizeLinear's output", label(n), n->in[0]);
        drop[i] = 1;
    }
    /* a QuantizeLinear now read by nothing goes too; one still read feeds
     * something that is not a DequantizeLinear */
    for (int i = 0; i < n0 && !s; i++) {
        const onnx_node *n = &om->node[i];
        if (!is_op(n, "QuantizeLinear")) continue;
        for (int j = 0; j < om->n_node && !s; j++)
            for (int k = 0; k < om->node[j].n_in && !s; k++)
                if ((j >= n0 || !drop[j]) && !strcmp(om->node[j].in[k], n->out[0]))
                    s = effad_fail(e, EFFAD_ERR_UNSUPPORTED, "QuantizeLinear '%s': its output feeds %s '%s', not a "
                                   "DequantizeLinear", label(n), om->node[j].op_type, label(&om->node[j]));
        for (int o = 0; o < om->n_output && !s; o++)
            if (!strcmp(om->output[o].name, n->out[0]))
                s = effad_fail(e, EFFAD_ERR_UNSUPPORTED, "QuantizeLinear '%s': its 8-bit output is a graph output", label(n));
        drop[i] = 1;
    }
    if (!s && qi->found) {
        int k = 0;
        for (int i = 0; i < om->n_node; i++) {
            if (i < n0 && drop[i]) { onnx_node_free(&om->node[i]); continue; }
            om->node[k++] = om->node[i];
        }
        om->n_node = k;
    }
    free(drop);
    return s;
}

/* ----------------------------------------------------------------- map */

static qdq_weight *weight_of(qdq_import *qi, const graph *g, const layer *c)
{
    if (!c) return 0;
    const onnx_node *n = &g->om->node[c->node];
    if (n->n_in < 2) return 0;
    for (int i = 0; i < qi->n_weight; i++)
        if (!strcmp(qi->weight[i].name, n->in[1])) return &qi->weight[i];
    return 0;
}

/* The layer's weights as the int8 the graph gave, checked against the
 * float weights the converter holds (a fold after quantisation changes
 * them, and then the int8 values no longer say what the layer computes). */
static effad_status take_weights(qdq_weight *w, const layer *c, const char *what, effad_error *e)
{
    if (!w->usable) return effad_fail(e, EFFAD_ERR_UNSUPPORTED, "%s: %s", what, w->why);
    const size_t count = layer_weight_count(c);
    if (w->count != count || w->cout != c->cout)
        return effad_fail(e, EFFAD_ERR_UNSUPPORTED, "%s: its int8 weights have another shape (%zu values)", what, w->count);
    const size_t per = count / (size_t)c->cout;
    for (size_t k = 0; k < count; k++)
        if ((float)w->q[k] * w->scale[k / per] != c->w[k])
            return effad_fail(e, EFFAD_ERR_UNSUPPORTED, "%s: the weights were changed after quantisation (a "
                              "BatchNormalization folded into them?), so its int8 values no longer apply", what);
    layer *L = (layer *)c;   /* layers are the layer_net's; the match only points at them */
    L->wq = malloc(count);
    L->wq_scale = malloc(sizeof(float) * (size_t)c->cout);
    if (!L->wq || !L->wq_scale) return nomem(e);
    memcpy(L->wq, w->q, count);
    memcpy(L->wq_scale, w->scale, sizeof(float) * (size_t)c->cout);
    return EFFAD_OK;
}

/* The Q/DQ pair the graph put on value v, or NULL. */
static qdq_act *act_of(qdq_import *qi, const graph *g, int v)
{
    for (int i = 0; i < qi->n_act; i++)
        if (!strcmp(qi->act[i].name, g->val[v].name)) return &qi->act[i];
    return 0;
}

/* Point p's range as the exact type the graph gave value v. */
static effad_status take_act(qdq_import *qi, const graph *g, int v, convert_quant *q, int p, const char *what,
                             effad_error *e)
{
    qdq_act *a = act_of(qi, g, v);
    if (!a)
        return effad_fail(e, EFFAD_ERR_UNSUPPORTED, "%s: its weights are int8 but '%s' has no QuantizeLinear/"
                          "DequantizeLinear pair (effad runs a block in int8 throughout, or weight-only: float "
                          "activations everywhere)", what, g->val[v].name);
    calib_point_range(q, p)->exact = a->q;
    calib_point_range(q, p)->exact_alt = a->alt;
    a->used = 1;
    return EFFAD_OK;
}

effad_status qdq_map(qdq_import *qi, const mnet *m, const graph *g, convert_quant *q, qdq_report *rep,
                     effad_error *e)
{
    memset(q, 0, sizeof *q);
    memset(rep, 0, sizeof *rep);
    rep->found = qi->found;
    rep->n_act = qi->n_act;
    rep->n_weight = qi->n_weight;
    /* The width the graph's weights were rounded to (6, 7 or 8 bits: the
     * widest code): the squeeze-excite weights, which are read as floats
     * (q * scale) and rounded again per output channel to nearest, then
     * get their own codes back -- each row's largest code is the width's
     * qmax, so the scale and every code come out as they went in. At a
     * fixed 8 bits a 7-bit model's gates were rounded anew and its levels
     * left the QDQ graph's (found 2026-12-05). Only the units that take
     * the model's width count: 16x8 ones have 8 bits whatever it is
     * (quant_unit_weight_bits), so their codes say nothing of it (see the
     * end). */
    q->n_blocks = m->n_blocks;
    rep->stem_weights = weight_of(qi, g, m->stem) != 0;
    effad_status s;
    char what[64];
    for (int i = 0; i < m->n_blocks; i++) {
        const mblock *b = &m->blocks[i];
        const layer *convs[3] = { b->expand, b->dw, b->project };
        qdq_weight *w[3];
        int n_conv = 0, n_int8 = 0;
        for (int k = 0; k < 3; k++) {
            w[k] = weight_of(qi, g, convs[k]);
            n_conv += convs[k] != 0;
            n_int8 += w[k] != 0;
        }
        snprintf(what, sizeof what, "block %d", i);
        if (!n_int8) { rep->float_blocks++; continue; }
        if (n_int8 != n_conv)
            return effad_fail(e, EFFAD_ERR_UNSUPPORTED, "%s: int8 weights in %d of its %d convolutions (effad runs a "
                              "block in int8 throughout, or in float32)", what, n_int8, n_conv);
        for (int k = 0; k < 3; k++)
            if (convs[k] && (s = take_weights(w[k], convs[k], what, e))) return s;
        /* no pair inside the block: its int8 weights run on float
         * activations (what --emit-qdq writes for a weight-only block; a
         * pair on its output may still be the next block's input's) */
        if (!(b->expand && act_of(qi, g, b->expand->out)) && !act_of(qi, g, b->dw->out) &&
            !(b->se_c && act_of(qi, g, b->project->in0))) {
            q->block_int8[i] = QUANT_UNIT_WEIGHTS;
            rep->weight_only_blocks++;
            continue;
        }
        const int base = 1 + 4 * i;
        if ((s = take_act(qi, g, m->boundary[i], q, i ? base - 4 + CALIB_OUT : 0, what, e))) return s;
        if (b->expand && (s = take_act(qi, g, b->expand->out, q, base + CALIB_EXPAND, what, e))) return s;
        if ((s = take_act(qi, g, b->dw->out, q, base + CALIB_DW, what, e))) return s;
        if (b->se_c && (s = take_act(qi, g, b->project->in0, q, base + CALIB_GATED, what, e))) return s;
        if ((s = take_act(qi, g, b->out_val, q, base + CALIB_OUT, what, e))) return s;
        /* int16 inside (the depthwise output's pair): a 16x8 block, whose
         * input may have a uint8 pair first (unit_qtype picks its width) */
        const qdq_act *dwa = act_of(qi, g, b->dw->out);
        q->block_int8[i] = dwa->q.dtype == EFFAD_S16 ? QUANT_UNIT_INT16 : QUANT_UNIT_INT8;
        const quant_range *in = calib_point_range(q, i ? base - 4 + CALIB_OUT : 0);
        if (in->exact.dtype != dwa->q.dtype && in->exact_alt.dtype != dwa->q.dtype)
            return effad_fail(e, EFFAD_ERR_UNSUPPORTED, "%s computes in %s, but its input '%s' has no %s "
                              "QuantizeLinear/DequantizeLinear pair (a block reads its own width: where a uint8 "
                              "block hands over to an int16 one, the tensor needs a pair of each)", what,
                              effad_dtype_name(dwa->q.dtype), g->val[m->boundary[i]].name,
                              effad_dtype_name(dwa->q.dtype));
        rep->int8_blocks++;
    }
    qdq_weight *hw = weight_of(qi, g, m->head);
    if (m->head && hw) {
        if ((s = take_weights(hw, m->head, "the head", e))) return s;
        if (!act_of(qi, g, m->head->out)) q->head_int8 = rep->head_int8 = QUANT_UNIT_WEIGHTS;
        else if ((s = take_act(qi, g, m->boundary[m->n_blocks], q, m->n_blocks ? 4 * m->n_blocks : 0, "the head", e)) ||
                 (s = take_act(qi, g, m->head->out, q, CALIB_POINTS(m->n_blocks) - 1, "the head", e)))
            return s;
        else q->head_int8 = rep->head_int8 = act_of(qi, g, m->head->out)->q.dtype == EFFAD_S16 ? QUANT_UNIT_INT16
                                                                                              : QUANT_UNIT_INT8;
    }
    int widest = 0;
    for (int i = 0; i <= m->n_blocks; i++) {
        const int unit = i < m->n_blocks ? q->block_int8[i] : q->head_int8;
        if (unit != QUANT_UNIT_INT8 && unit != QUANT_UNIT_WEIGHTS) continue;
        const mblock *b = i < m->n_blocks ? &m->blocks[i] : 0;
        const layer *convs[3] = { b ? b->expand : m->head, b ? b->dw : 0, b ? b->project : 0 };
        for (int k = 0; k < 3; k++) {
            const qdq_weight *w = weight_of(qi, g, convs[k]);
            for (size_t j = 0; w && w->usable && j < w->count; j++) {
                const int v = w->q[j] < 0 ? -w->q[j] : w->q[j];
                widest = v > widest ? v : widest;
            }
        }
    }
    q->weight_bits = widest <= 31 && widest > 0 ? 6 : widest <= 63 && widest > 0 ? 7 : 8;
    for (int i = 0; i < qi->n_act; i++) rep->n_act_used += qi->act[i].used;
    for (int i = 0; i < m->n_blocks; i++) {
        const mblock *b = &m->blocks[i];
        if (q->block_int8[i] == QUANT_UNIT_FLOAT) continue;
        rep->n_weight_used += (b->expand != 0) + 2;
    }
    rep->n_weight_used += q->head_int8 != QUANT_UNIT_FLOAT;
    return EFFAD_OK;
}

void qdq_import_free(qdq_import *qi)
{
    for (int i = 0; i < qi->n_act; i++) free(qi->act[i].name);
    for (int i = 0; i < qi->n_weight; i++) { free(qi->weight[i].name); free(qi->weight[i].q); free(qi->weight[i].scale); }
    free(qi->act); free(qi->weight);
    memset(qi, 0, sizeof *qi);
}
