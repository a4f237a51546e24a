/* Lowering ONNX nodes to layers, then fusing them for inference. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "layers.h"
#include "support.h"

static effad_status node_fail(const graph *g, int ni, effad_error *e, effad_status s, const char *why, const char *detail)
{
    char label[160];
    return effad_fail(e, s, "%s: %s%s", graph_node_label(g, ni, label, sizeof label), why, detail ? detail : "");
}

static const ctensor *const_in(const graph *g, int ni, int k)
{
    const onnx_node *n = &g->om->node[ni];
    if (k >= n->n_in || g->node_in[ni][k] < 0) return 0;
    const gval *v = &g->val[g->node_in[ni][k]];
    return v->t.has_data ? &v->t : 0;
}

static effad_status lower_conv(const graph *g, int ni, layer *L, effad_error *e)
{
    const onnx_node *n = &g->om->node[ni];
    const ctensor *w = const_in(g, ni, 1), *b = const_in(g, ni, 2);
    const gval *x = &g->val[g->node_in[ni][0]];
    if (!w) return node_fail(g, ni, e, EFFAD_ERR_UNSUPPORTED, "weights are not constant", 0);
    if (n->n_in > 2 && *n->in[2] && !b) return node_fail(g, ni, e, EFFAD_ERR_UNSUPPORTED, "bias is not constant", 0);
    if (w->ndim != 4 || !x->known || x->t.ndim != 4)
        return node_fail(g, ni, e, EFFAD_ERR_UNSUPPORTED, "only 2-D convolutions on N x C x H x W are supported", 0);
    const onnx_attr *a;
    L->stride_h = L->stride_w = L->dil_h = L->dil_w = 1;
    if ((a = onnx_node_attr(g->om->node + ni, "strides")) && a->n == 2) { L->stride_h = (int)a->ints[0]; L->stride_w = (int)a->ints[1]; }
    if ((a = onnx_node_attr(g->om->node + ni, "dilations")) && a->n == 2) { L->dil_h = (int)a->ints[0]; L->dil_w = (int)a->ints[1]; }
    L->groups = (int)onnx_attr_int(n, "group", 1);
    L->cout = (int)w->dims[0];
    L->cin = (int)x->t.dims[1];
    L->kh = (int)w->dims[2]; L->kw = (int)w->dims[3];
    if (L->groups < 1 || L->cin % L->groups || L->cout % L->groups || w->dims[1] * L->groups != L->cin)
        return node_fail(g, ni, e, EFFAD_ERR_FORMAT, "weight shape does not match input channels and group", 0);
    if (b && (int)b->count != L->cout) return node_fail(g, ni, e, EFFAD_ERR_FORMAT, "bias length differs from output channels", 0);
    /* the output shape was inferred with these pads; recover them the same way */
    const gval *y = &g->val[g->node_out[ni][0]];
    if (!y->known) return node_fail(g, ni, e, EFFAD_ERR_UNSUPPORTED, "unsupported convolution attributes (kernel_shape/auto_pad)", 0);
    const onnx_attr *ap = onnx_node_attr(n, "auto_pad");
    const char *mode = ap && ap->s ? ap->s : "NOTSET";
    if (!strcmp(mode, "NOTSET")) {
        if ((a = onnx_node_attr(n, "pads")) && a->n == 4)
            for (int k = 0; k < 4; k++) L->pads[k] = (int)a->ints[k];
    } else if (strcmp(mode, "VALID")) {
        int64_t in[2] = { x->t.dims[2], x->t.dims[3] }, k2[2] = { L->kh, L->kw }, s2[2] = { L->stride_h, L->stride_w }, d2[2] = { L->dil_h, L->dil_w };
        for (int ax = 0; ax < 2; ax++) {
            int64_t out = (in[ax] + s2[ax] - 1) / s2[ax], total = (out - 1) * s2[ax] + (k2[ax] - 1) * d2[ax] + 1 - in[ax];
            if (total < 0) total = 0;
            int64_t small = total / 2, big = total - small;
            int upper = !strcmp(mode, "SAME_UPPER");
            L->pads[ax] = (int)(upper ? small : big);
            L->pads[ax + 2] = (int)(upper ? big : small);
        }
    }
    for (int k = 0; k < 4; k++)
        if (L->pads[k] < 0) return node_fail(g, ni, e, EFFAD_ERR_UNSUPPORTED, "negative padding", 0);
    L->w = ctensor_to_f32(w);
    L->b = b ? ctensor_to_f32(b) : 0;
    if (!L->w || (b && !L->b)) return effad_fail(e, EFFAD_ERR_NOMEM, "out of memory");
    L->act.kind = OPS_ACT_NONE;
    return EFFAD_OK;
}

static effad_status lower_bn(const graph *g, int ni, layer *L, effad_error *e)
{
    const ctensor *sc = const_in(g, ni, 1), *bi = const_in(g, ni, 2), *mu = const_in(g, ni, 3), *var = const_in(g, ni, 4);
    if (!sc || !bi || !mu || !var) return node_fail(g, ni, e, EFFAD_ERR_UNSUPPORTED, "parameters are not constant", 0);
    size_t c = sc->count;
    if (bi->count != c || mu->count != c || var->count != c) return node_fail(g, ni, e, EFFAD_ERR_FORMAT, "parameter lengths differ", 0);
    double eps = onnx_attr_float(&g->om->node[ni], "epsilon", 1e-5f);
    L->cout = (int)c;
    L->bn_scale = malloc(sizeof(double) * c);
    L->bn_shift = malloc(sizeof(double) * c);
    if (!L->bn_scale || !L->bn_shift) return effad_fail(e, EFFAD_ERR_NOMEM, "out of memory");
    /* folded in double: y = x * scale + shift, as gamma (x - mean) / sqrt(var + eps) + beta */
    for (size_t k = 0; k < c; k++) {
        double s = ctensor_get_f(sc, k) / sqrt(ctensor_get_f(var, k) + (double)(float)eps);
        L->bn_scale[k] = s;
        L->bn_shift[k] = ctensor_get_f(bi, k) - ctensor_get_f(mu, k) * s;
    }
    return EFFAD_OK;
}

static effad_status lower_pad(const graph *g, int ni, layer *L, effad_error *e)
{
    const onnx_node *n = &g->om->node[ni];
    L->pad_ok = 0;
    /* mode, axes and constness were checked by convert_node_supported */
    int64_t *pads = L->pad_all; int np = 0;
    const ctensor *p = const_in(g, ni, 1), *v = const_in(g, ni, 2);
    const onnx_attr *pa = onnx_node_attr(n, "pads");
    if (pa && pa->type == ONNX_ATTR_INTS && pa->n <= 2 * ONNX_MAX_DIMS) { np = pa->n; for (int k = 0; k < np; k++) pads[k] = pa->ints[k]; }
    else if (p && p->count <= 2 * ONNX_MAX_DIMS) { np = (int)p->count; for (int k = 0; k < np; k++) pads[k] = ctensor_get_i(p, (size_t)k); }
    else return node_fail(g, ni, e, EFFAD_ERR_UNSUPPORTED, "pads missing or longer than twice the largest rank", 0);
    const gval *x = &g->val[g->node_in[ni][0]];
    if (x->known && np != 2 * x->t.ndim) return node_fail(g, ni, e, EFFAD_ERR_FORMAT, "pads length is not twice the input rank", 0);
    L->pad_n = np;
    double value = onnx_attr_float(n, "value", 0.0f);
    if (v && v->count == 1) value = ctensor_get_f(v, 0);
    L->pad_value = (float)value;
    /* only a zero border on H and W can become a convolution's padding */
    if (np != 8 || value != 0.0 || pads[0] || pads[1] || pads[4] || pads[5]) return EFFAD_OK;
    for (int k = 0; k < 8; k++) if (pads[k] < 0) return EFFAD_OK;   /* cropping */
    L->pad_ok = 1;
    L->pad_hw[0] = (int)pads[2]; L->pad_hw[1] = (int)pads[3];
    L->pad_hw[2] = (int)pads[6]; L->pad_hw[3] = (int)pads[7];
    return EFFAD_OK;
}

static effad_status lower_act(const graph *g, int ni, layer *L, effad_error *e)
{
    const onnx_node *n = &g->om->node[ni];
    const char *op = n->op_type;
    (void)e;
    if (!strcmp(op, "Relu")) L->act.kind = OPS_ACT_RELU;
    else if (!strcmp(op, "Sigmoid")) L->act.kind = OPS_ACT_SIGMOID;
    else if (!strcmp(op, "HardSwish")) L->act.kind = OPS_ACT_HARDSWISH;
    else if (!strcmp(op, "HardSigmoid")) {
        L->act.kind = OPS_ACT_HARDSIGMOID;
        L->act.a = onnx_attr_float(n, "alpha", 0.2f);
        L->act.b = onnx_attr_float(n, "beta", 0.5f);
    } else {   /* Clip: bounds as attributes before opset 11, as inputs after */
        L->act.kind = OPS_ACT_CLIP;
        L->act.a = -INFINITY; L->act.b = INFINITY;
        if (g->opset < 11) {
            L->act.a = onnx_attr_float(n, "min", -INFINITY);
            L->act.b = onnx_attr_float(n, "max", INFINITY);
        } else {
            const ctensor *lo = const_in(g, ni, 1), *hi = const_in(g, ni, 2);
            if ((n->n_in > 1 && *n->in[1] && !lo) || (n->n_in > 2 && *n->in[2] && !hi))
                return node_fail(g, ni, e, EFFAD_ERR_UNSUPPORTED, "Clip bounds are not constant", 0);
            if (lo) L->act.a = (float)ctensor_get_f(lo, 0);
            if (hi) L->act.b = (float)ctensor_get_f(hi, 0);
        }
    }
    return EFFAD_OK;
}

static int is_spatial_mean(const graph *g, int ni)
{
    const onnx_node *n = &g->om->node[ni];
    if (!strcmp(n->op_type, "GlobalAveragePool")) return 1;
    if (strcmp(n->op_type, "ReduceMean")) return 0;
    const gval *x = &g->val[g->node_in[ni][0]];
    if (!x->known || x->t.ndim != 4) return 0;
    int64_t axes[8]; int na = 0;
    const onnx_attr *a = onnx_node_attr(n, "axes");
    const ctensor *t = const_in(g, ni, 1);
    if (a && a->type == ONNX_ATTR_INTS && a->n <= 8) { na = a->n; for (int k = 0; k < na; k++) axes[k] = a->ints[k]; }
    else if (t && t->count <= 8) { na = (int)t->count; for (int k = 0; k < na; k++) axes[k] = ctensor_get_i(t, (size_t)k); }
    if (na != 2) return 0;
    int mark = 0;
    for (int k = 0; k < 2; k++) { int64_t ax = axes[k] < 0 ? axes[k] + 4 : axes[k]; if (ax == 2) mark |= 1; if (ax == 3) mark |= 2; }
    return mark == 3;
}

effad_status layers_lower(layer_net *net, const graph *g, effad_error *e)
{
    memset(net, 0, sizeof *net);
    net->g = g;
    net->cap = g->om->n_node + 1;
    net->l = calloc((size_t)net->cap, sizeof *net->l);
    net->producer = malloc(sizeof(int) * (size_t)(g->n_val + 1));
    net->uses = malloc(sizeof(int) * (size_t)(g->n_val + 1));
    if (!net->l || !net->producer || !net->uses) return effad_fail(e, EFFAD_ERR_NOMEM, "out of memory");
    for (int ni = 0; ni < g->om->n_node; ni++) {
        const onnx_node *n = &g->om->node[ni];
        if (n->n_out < 1 || g->node_out[ni][0] < 0) continue;
        if (g->val[g->node_out[ni][0]].t.has_data) continue;    /* folded away */
        layer *L = &net->l[net->n];
        memset(L, 0, sizeof *L);
        L->node = ni;
        L->in0 = n->n_in > 0 ? g->node_in[ni][0] : -1;
        L->in1 = n->n_in > 1 ? g->node_in[ni][1] : -1;
        L->out = g->node_out[ni][0];
        const char *op = n->op_type;
        effad_status s = EFFAD_OK;
        /* every operator the converter computes reads its first input (an
         * empty name is ONNX's "absent"): without one nothing below may
         * index the value table with it (fuzz-onnx: a Conv whose input
         * name was empty read before the table) */
        if (L->in0 < 0) return node_fail(g, ni, e, EFFAD_ERR_FORMAT, "its first input is missing (empty name)", 0);
        /* an operator effad computes must be one it computes as written:
         * refuse here, naming the attribute, rather than run it differently */
        if (convert_op_float_kernel(op) && (s = convert_graph_node_supported(g, ni, e))) return s;
        if (!strcmp(op, "Conv")) { L->kind = L_CONV; s = lower_conv(g, ni, L, e); }
        else if (!strcmp(op, "BatchNormalization")) { L->kind = L_BN; s = lower_bn(g, ni, L, e); }
        else if (!strcmp(op, "Pad")) { L->kind = L_PAD; s = lower_pad(g, ni, L, e); }
        else if (!strcmp(op, "Relu") || !strcmp(op, "Sigmoid") || !strcmp(op, "Clip") ||
                 !strcmp(op, "HardSigmoid") || !strcmp(op, "HardSwish")) { L->kind = L_ACT; s = lower_act(g, ni, L, e); }
        else if (!strcmp(op, "Add")) L->kind = L_ADD;
        else if (!strcmp(op, "Mul")) L->kind = L_MUL;
        else if (is_spatial_mean(g, ni)) L->kind = L_POOL;
        else if (!strcmp(op, "Identity") || !strcmp(op, "Dropout")) L->kind = L_ALIAS;
        else L->kind = L_OTHER;
        if (s) return s;
        if (L->kind == L_ADD || L->kind == L_MUL) {
            /* both operands must be activations: a constant operand would be a bias or scale we do not model */
            if (L->in1 < 0 || g->val[L->in1].t.has_data || g->val[L->in0].t.has_data) L->kind = L_OTHER;
        }
        net->n++;
    }
    layers_index(net);
    return EFFAD_OK;
}

void layers_index(layer_net *net)
{
    const graph *g = net->g;
    for (int v = 0; v < g->n_val; v++) { net->producer[v] = -1; net->uses[v] = g->val[v].is_output ? 1 : 0; }
    for (int i = 0; i < net->n; i++) {
        const layer *L = &net->l[i];
        if (L->dead) continue;
        if (L->out >= 0) net->producer[L->out] = i;
        const onnx_node *n = &g->om->node[L->node];
        for (int k = 0; k < n->n_in; k++) {
            int v = g->node_in[L->node][k];
            if (k == 0) v = L->in0;
            else if (k == 1 && (L->kind == L_ADD || L->kind == L_MUL)) v = L->in1;
            if (v >= 0 && !g->val[v].t.has_data) net->uses[v]++;
        }
    }
}

int layers_consumer(const layer_net *net, int v, int k)
{
    for (int i = 0; i < net->n; i++) {
        const layer *L = &net->l[i];
        if (L->dead) continue;
        int reads = L->in0 == v || ((L->kind == L_ADD || L->kind == L_MUL) && L->in1 == v);
        if (reads && k-- == 0) return i;
    }
    return -1;
}

void layers_free(layer_net *net)
{
    if (!net) return;
    for (int i = 0; i < net->n; i++) {
        free(net->l[i].w); free(net->l[i].b);
        free(net->l[i].wq); free(net->l[i].wq_scale);
        free(net->l[i].bn_scale); free(net->l[i].bn_shift);
    }
    free(net->l); free(net->producer); free(net->uses);
    memset(net, 0, sizeof *net);
}
