/* Matching EfficientNet: stem -> MBConv blocks -> head, then the taps.
 *
 * Walks the main path from the image input. At each block input the one
 * convolution reading it is either an expand 1x1 (followed by a depthwise
 * conv), a depthwise conv (expansion ratio 1), or the head 1x1. Anything
 * else stops the match with a message naming the node where it stopped. */
#include <stdio.h>
#include <string.h>
#include "match.h"
#include "efm-format.h"

static effad_status stop(const layer_net *net, const layer *L, effad_error *e, const char *why)
{
    char label[160];
    if (!L) return effad_fail(e, EFFAD_ERR_UNSUPPORTED, "not an EfficientNet: %s", why);
    return effad_fail(e, EFFAD_ERR_UNSUPPORTED, "not an EfficientNet: matching stopped at %s: %s",
                      graph_node_label(net->g, L->node, label, sizeof label), why);
}

/* The unique live consumer of v of the given kind (-1: none, -2: several). */
static int consumer_of_kind(const layer_net *net, int v, lkind kind)
{
    int found = -1;
    for (int k = 0;; k++) {
        int c = layers_consumer(net, v, k);
        if (c < 0) break;
        if (net->l[c].kind != kind) continue;
        if (found >= 0) return -2;
        found = c;
    }
    return found;
}

static int is_depthwise(const layer *c)
{
    return c->kind == L_CONV && c->groups == c->cin && c->cin == c->cout && c->groups > 1;
}

static int is_pointwise(const layer *c)
{
    return c->kind == L_CONV && c->kh == 1 && c->kw == 1 && c->groups == 1 && c->stride_h == 1 &&
           c->stride_w == 1 && !c->pads[0] && !c->pads[1] && !c->pads[2] && !c->pads[3];
}

/* Squeeze-excite hanging off the depthwise output x: mean -> conv -> act
 * -> conv -> gate -> x * gate. Returns the Mul's output, or -1. */
static int match_se(const layer_net *net, int x, mblock *b)
{
    int pi = consumer_of_kind(net, x, L_POOL), mi = consumer_of_kind(net, x, L_MUL);
    if (pi < 0 || mi < 0 || net->uses[x] != 2) return -1;
    const layer *pool = &net->l[pi], *mul = &net->l[mi];
    if (net->uses[pool->out] != 1) return -1;
    int ri = consumer_of_kind(net, pool->out, L_CONV);
    if (ri < 0 || !is_pointwise(&net->l[ri]) || net->uses[net->l[ri].out] != 1) return -1;
    int ei = consumer_of_kind(net, net->l[ri].out, L_CONV);
    if (ei < 0 || !is_pointwise(&net->l[ei])) return -1;
    const layer *ex = &net->l[ei];
    if (ex->act.kind != OPS_ACT_SIGMOID && ex->act.kind != OPS_ACT_HARDSIGMOID) return -1;
    int gate = ex->out;
    if (!((mul->in0 == x && mul->in1 == gate) || (mul->in1 == x && mul->in0 == gate))) return -1;
    if (net->uses[gate] != 1) return -1;
    b->se_reduce = &net->l[ri];
    b->se_expand = ex;
    b->se_c = net->l[ri].cout;
    return mul->out;
}

static effad_status match_block(const layer_net *net, int x, const layer *first, mblock *b, effad_error *e)
{
    memset(b, 0, sizeof *b);
    const layer *dw = first;
    if (!is_depthwise(first)) {
        b->expand = first;
        if (net->uses[first->out] != 1) return stop(net, first, e, "expand output has several readers");
        int di = consumer_of_kind(net, first->out, L_CONV);
        if (di < 0 || !is_depthwise(&net->l[di])) return stop(net, first, e, "expand 1x1 not followed by a depthwise convolution");
        dw = &net->l[di];
    }
    b->dw = dw;
    b->in_c = first->cin;
    b->mid_c = dw->cout;
    int y = match_se(net, dw->out, b);
    if (y < 0) {
        if (net->uses[dw->out] != 1) return stop(net, dw, e, "depthwise output feeds something other than squeeze-excite");
        y = dw->out;
    }
    if (net->uses[y] != 1) return stop(net, dw, e, "squeeze-excite output has several readers");
    int pi = consumer_of_kind(net, y, L_CONV);
    if (pi < 0 || !is_pointwise(&net->l[pi])) return stop(net, dw, e, "no 1x1 projection after the depthwise stage");
    b->project = &net->l[pi];
    b->out_c = b->project->cout;
    b->out_val = b->project->out;
    /* the residual is an Add of the projection and the block input; an Add
     * of the projection and something else is the NEXT block's residual */
    int ai = consumer_of_kind(net, b->project->out, L_ADD);
    if (ai >= 0) {
        const layer *add = &net->l[ai];
        int other = add->in0 == b->project->out ? add->in1 : add->in0;
        if (other == x) {
            if (net->uses[b->project->out] != 1) return stop(net, add, e, "projection read besides the residual add");
            b->skip = 1;
            b->out_val = add->out;
        }
    }
    if (b->skip && (b->in_c != b->out_c || dw->stride_h != 1 || dw->stride_w != 1))
        return stop(net, b->project, e, "residual across a change of shape");
    return EFFAD_OK;
}

static int boundary_at(const mnet *m, int v)
{
    int last = m->n_blocks + (m->head ? 1 : 0);
    for (int at = 0; at <= last; at++)
        if (m->boundary[at] == v) return at;
    return -1;
}

static int channels_at(const mnet *m, int at)
{
    if (at == 0) return m->stem->cout;
    if (at <= m->n_blocks) return m->blocks[at - 1].out_c;
    return m->head->cout;
}

static effad_status add_tap(mnet *m, int at, int pooled, const char *name, const char *node, effad_error *e)
{
    if (m->n_taps == EFFAD_MAX_TAPS) return effad_fail(e, EFFAD_ERR_UNSUPPORTED, "more than %d taps", EFFAD_MAX_TAPS);
    mtap *t = &m->taps[m->n_taps++];
    t->at = at; t->pooled = pooled; t->channels = channels_at(m, at);
    t->name = name; t->node = node;
    return EFFAD_OK;
}

/* A graph output is a tap when it is a block boundary, or the spatial mean
 * of one (possibly reshaped after pooling, as N x C). */
static int output_tap(const layer_net *net, const mnet *m, int v, int *pooled)
{
    int at = boundary_at(m, v);
    if (at >= 0) { *pooled = 0; return at; }
    for (int hops = 0; hops < 8; hops++) {
        int p = net->producer[v];
        if (p < 0) return -1;
        const layer *L = &net->l[p];
        if (L->kind == L_POOL) {
            at = boundary_at(m, L->in0);
            if (at >= 0) { *pooled = 1; return at; }
            return -1;
        }
        const char *op = net->g->om->node[L->node].op_type;
        if (L->kind == L_ALIAS) {
            /* an Identity of a block boundary is that boundary (the
             * graphs qdq_emit writes name their levels this way) */
            v = L->in0;
            at = boundary_at(m, v);
            if (at >= 0) { *pooled = 0; return at; }
            continue;
        }
        if (!strcmp(op, "Flatten") || !strcmp(op, "Reshape") || !strcmp(op, "Squeeze")) { v = L->in0; continue; }
        return -1;
    }
    return -1;
}

static const char *node_name(const graph *g, int node)
{
    return node >= 0 ? g->om->node[node].name : "";
}

static effad_status choose_taps(const layer_net *net, convert_taps rule, mnet *m, effad_error *e)
{
    const graph *g = net->g;
    effad_status s;
    if (rule == CONVERT_TAPS_AUTO || rule == CONVERT_TAPS_GRAPH) {
        for (int o = 0; o < g->om->n_output; o++) {
            int v = graph_find(g, g->om->output[o].name), pooled = 0;
            int at = output_tap(net, m, v, &pooled);
            if (at < 0) {
                size_t len = strlen(m->ignored);
                snprintf(m->ignored + len, sizeof m->ignored - len, "%soutput '%s'", len ? ", " : "", g->val[v].name);
                continue;
            }
            int node = g->val[v].producer;
            if ((s = add_tap(m, at, pooled, g->val[v].name, node >= 0 ? g->om->node[node].name : "", e))) return s;
        }
        if (m->n_taps) { m->tap_rule = "graph-outputs"; return EFFAD_OK; }
        if (rule == CONVERT_TAPS_GRAPH) return effad_fail(e, EFFAD_ERR_UNSUPPORTED, "no graph output is a block boundary or its pooled mean");
        m->ignored[0] = '\0';
        rule = CONVERT_TAPS_STAGE_END;
    }
    if (rule == CONVERT_TAPS_EVERY_BLOCK) {
        m->tap_rule = "every-block";
        for (int i = 0; i < m->n_blocks; i++)
            if ((s = add_tap(m, i + 1, 0, g->val[m->boundary[i + 1]].name, node_name(g, m->boundary_node[i + 1]), e))) return s;
        if (m->head && m->n_taps < EFFAD_MAX_TAPS) {
            const int at = m->n_blocks + 1;
            if ((s = add_tap(m, at, 0, g->val[m->boundary[at]].name, node_name(g, m->boundary_node[at]), e))) return s;
        }
        return EFFAD_OK;
    }
    m->tap_rule = rule == CONVERT_TAPS_STAGE_END ? "stage-end" : "stage-start";
    if ((s = add_tap(m, 0, 0, g->val[m->boundary[0]].name, node_name(g, m->boundary_node[0]), e))) return s;
    for (int st = 0; st < m->n_stages; st++) {
        int pick = -1;
        for (int i = 0; i < m->n_blocks; i++) {
            if (m->blocks[i].stage != st) continue;
            if (rule == CONVERT_TAPS_STAGE_START) { if (pick < 0) pick = i; }
            else pick = i;
        }
        if ((s = add_tap(m, pick + 1, 0, g->val[m->boundary[pick + 1]].name, node_name(g, m->boundary_node[pick + 1]), e))) return s;
    }
    if (m->head) {
        int at = m->n_blocks + 1;
        if ((s = add_tap(m, at, 0, g->val[m->boundary[at]].name, node_name(g, m->boundary_node[at]), e))) return s;
    }
    return EFFAD_OK;
}

effad_status match_efficientnet(const layer_net *net, convert_taps taps, mnet *m, effad_error *e)
{
    const graph *g = net->g;
    effad_status s;
    memset(m, 0, sizeof *m);
    const gval *in = &g->val[g->input];
    if (!in->known || in->t.ndim != 4 || in->t.dims[0] != 1 || in->t.dims[1] != 3)
        return effad_fail(e, EFFAD_ERR_UNSUPPORTED, "input '%s' is not a 1 x 3 x H x W image tensor", in->name);
    if (in->t.dtype != ONNX_FLOAT)
        return effad_fail(e, EFFAD_ERR_UNSUPPORTED, "input '%s' is %s, not float", in->name, onnx_dtype_name(in->t.dtype));
    m->in_h = (int)in->t.dims[2];
    m->in_w = (int)in->t.dims[3];

    int si = consumer_of_kind(net, g->input, L_CONV);
    if (si < 0) {
        int c = layers_consumer(net, g->input, 0);
        return stop(net, c >= 0 ? &net->l[c] : 0, e, "the image input does not feed a convolution (the stem)");
    }
    m->stem = &net->l[si];
    if (m->stem->groups != 1) return stop(net, m->stem, e, "grouped stem convolution");
    int x = m->stem->out, node_of_x = m->stem->node;
    m->boundary[0] = x; m->boundary_node[0] = g->val[x].producer; (void)node_of_x;

    for (;;) {
        int ci = consumer_of_kind(net, x, L_CONV);
        if (ci == -2) return stop(net, &net->l[net->producer[x]], e, "output read by several convolutions");
        if (ci < 0) break;                                   /* no head */
        const layer *c = &net->l[ci];
        if (!is_depthwise(c)) {
            if (!is_pointwise(c)) return stop(net, c, e, "expected a 1x1 or depthwise convolution at a block input");
            int nxt = consumer_of_kind(net, c->out, L_CONV);
            if (nxt < 0 || !is_depthwise(&net->l[nxt])) { m->head = c; break; }
        }
        if (m->n_blocks == EFFAD_MAX_BLOCKS) return stop(net, c, e, "more blocks than effad supports");
        mblock *b = &m->blocks[m->n_blocks];
        if ((s = match_block(net, x, c, b, e))) return s;
        b->stage = m->n_blocks == 0 ? 0 : m->blocks[m->n_blocks - 1].stage + (b->skip ? 0 : 1);
        m->n_blocks++;
        x = b->out_val;
        m->boundary[m->n_blocks] = x;
        m->boundary_node[m->n_blocks] = g->val[x].producer;
    }
    if (!m->n_blocks) return stop(net, m->stem, e, "no MBConv block after the stem");
    m->n_stages = m->blocks[m->n_blocks - 1].stage + 1;
    if (m->head) {
        m->boundary[m->n_blocks + 1] = m->head->out;
        m->boundary_node[m->n_blocks + 1] = g->val[m->head->out].producer;
    }
    match_pad_modes(g, m);
    return choose_taps(net, taps, m, e);
}

/* ------------------------------------------------------------ padding */

static int matches_tf_same(const graph *g, const layer *c)
{
    const gval *x = &g->val[c->in0];
    int t, b, l, r;
    ops_tf_same_pad((int)x->t.dims[2], c->kh, c->stride_h, c->dil_h, &t, &b);
    ops_tf_same_pad((int)x->t.dims[3], c->kw, c->stride_w, c->dil_w, &l, &r);
    return c->pads[0] == t && c->pads[1] == l && c->pads[2] == b && c->pads[3] == r;
}

static void set_mode(const graph *g, layer *c, int tf_style)
{
    if (!c) return;
    int ph = (c->kh - 1) * c->dil_h, pw = (c->kw - 1) * c->dil_w;
    if (tf_style && matches_tf_same(g, c)) c->pad_mode = EFM_PAD_TF_SAME;
    else if (ph % 2 == 0 && pw % 2 == 0 && c->pads[0] == ph / 2 && c->pads[2] == ph / 2 &&
             c->pads[1] == pw / 2 && c->pads[3] == pw / 2) c->pad_mode = EFM_PAD_SYMMETRIC;
    else c->pad_mode = EFM_PAD_EXPLICIT;
}

/* lukemelas/TensorFlow models pad "same": asymmetric wherever a stride-2
 * kernel meets an even size. One such conv marks the whole model, so that
 * its symmetric-looking convs are recomputed "same" at other sizes too. */
void match_pad_modes(const graph *g, mnet *m)
{
    int tf_style = 0;
    const layer *spatial[EFFAD_MAX_BLOCKS + 1];
    int n = 0;
    spatial[n++] = m->stem;
    for (int i = 0; i < m->n_blocks; i++) spatial[n++] = m->blocks[i].dw;
    for (int i = 0; i < n; i++) {
        const layer *c = spatial[i];
        if ((c->pads[0] != c->pads[2] || c->pads[1] != c->pads[3]) && matches_tf_same(g, c)) tf_style = 1;
    }
    /* layers are owned by the layer_net; the match only points at them */
    set_mode(g, (layer *)m->stem, tf_style);
    set_mode(g, (layer *)m->head, tf_style);
    for (int i = 0; i < m->n_blocks; i++) {
        mblock *b = &m->blocks[i];
        set_mode(g, (layer *)b->expand, tf_style);
        set_mode(g, (layer *)b->dw, tf_style);
        set_mode(g, (layer *)b->se_reduce, tf_style);
        set_mode(g, (layer *)b->se_expand, tf_style);
        set_mode(g, (layer *)b->project, tf_style);
    }
}
