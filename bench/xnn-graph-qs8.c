/*
 * xnn-graph-qs8.c -- an int8 effad model as the QS8 XNNPACK subgraph that
 * TensorFlow Lite's XNNPACK delegate runs for a fully quantised
 * EfficientNet (see xnn-graph.h): int8 activations with one scale and zero
 * point per tensor, int8 weights with one scale per output channel
 * (qcint8), int32 biases, and every operator XNNPACK's own integer kernel --
 * the stem included, which effad keeps float32, and swish as a QS8
 * Sigmoid (output scale 1/256, zero -128, as TFLite fixes it) then a QS8
 * Multiply. So the graph has what TFLite's would have and effad's does not:
 * an int8 pre-activation before every swish and every gate.
 *
 * The quantisation comes from the .efm where it has one: effad's uint8
 * activations (scale, zero point z) are int8 with zero z - 128, its int8
 * weights and their scales are used as they are. Where effad has none --
 * the stem's weights and input, the pre-activations, the squeeze-excite
 * vector and gate, the head's output -- this file picks ranges wide enough
 * not to clip (a pre-activation spans +-the largest value of its
 * activation's output). Speed does not depend on those choices; they only
 * keep `xnn-bench --check`'s comparison with effad's int8 pass meaningful
 * (the cosine of each tap's pooled vector). Only models whose every block
 * is int8 with uint8 activations: the all-int8 model `make bench` times.
 */
#include <math.h>
#include <stdlib.h>
#include "xnn-graph.h"

typedef struct qv {
    uint32_t id;
    float scale;
    int32_t zero;   /* int8 */
} qv;

/* effad's uint8 type as int8 */
static qv qtype(const effad_qtype *q)
{
    qv v = { XNN_INVALID_VALUE_ID, q->scale, q->zero_point - 128 };
    return v;
}

/* The symmetric range of a pre-activation whose activation's output is v. */
static qv pre_of(qv post)
{
    const float hi = post.scale * (float)(127 - post.zero);
    qv v = { XNN_INVALID_VALUE_ID, hi / 127.0f, 0 };
    return v;
}

/* A 4-D NHWC int8 value of type q: internal, or the external output of the
 * tap at position `at` (-1: none). */
static qv value(xnn_builder *b, int h, int w, int c, int at, qv q)
{
    const size_t dims[4] = { 1, (size_t)h, (size_t)w, (size_t)c };
    uint32_t ext = XNN_INVALID_VALUE_ID, flags = 0;
    if (at >= 0 && b->tap_of_at[at]) {
        ext = b->tap_of_at[at];
        flags = XNN_VALUE_FLAG_EXTERNAL_OUTPUT;
        b->tap_scale[ext - 1] = q.scale;
        b->tap_zero[ext - 1] = q.zero;
    }
    xnn_builder_check(b, xnn_define_quantized_tensor_value(b->g, xnn_datatype_qint8, q.zero, q.scale, 4, dims, 0, ext,
                                                           flags, &q.id),
                      "int8 tensor value");
    return q;
}

/* Weights [dims] with one scale per index of dimension channel_dim. */
static uint32_t filter(xnn_builder *b, const int8_t *w, const float *scale, const size_t *dims, size_t channel_dim)
{
    uint32_t id = XNN_INVALID_VALUE_ID;
    xnn_builder_check(b, xnn_define_channelwise_quantized_tensor_value(b->g, xnn_datatype_qcint8, scale, 4,
                                                                       channel_dim, dims, w, XNN_INVALID_VALUE_ID, 0,
                                                                       &id),
                      "int8 filter");
    return id;
}

/* The float bias of c as int32 on the scale s_in * s_w[o] of each output. */
static uint32_t bias(xnn_builder *b, const effad_conv *c, float s_in, const float *s_w)
{
    const int n = c->cout;
    int32_t *q = xnn_builder_keep(b, (size_t)n * sizeof *q);
    float *s = xnn_builder_keep(b, (size_t)n * sizeof *s);
    if (!q || !s) { xnn_builder_check(b, xnn_status_out_of_memory, "int8 bias"); return XNN_INVALID_VALUE_ID; }
    const float *f = c->b.data;
    for (int o = 0; o < n; o++) {
        s[o] = s_in * s_w[o];
        q[o] = f ? (int32_t)lrintf(f[o] / s[o]) : 0;
    }
    const size_t dims[1] = { (size_t)n };
    uint32_t id = XNN_INVALID_VALUE_ID;
    xnn_builder_check(b, xnn_define_channelwise_quantized_tensor_value(b->g, xnn_datatype_qcint32, s, 1, 0, dims, q,
                                                                       XNN_INVALID_VALUE_ID, 0, &id),
                      "int32 bias");
    return id;
}

/* c's activation on its pre-activation x (h x w x ch) into type post. */
static qv activate(xnn_builder *b, const effad_conv *c, qv x, int h, int w, int ch, int at, qv post)
{
    if (c->act == EFFAD_ACT_NONE) return x;
    const qv sig_q = { XNN_INVALID_VALUE_ID, 1.0f / 256.0f, -128 };
    const qv s = value(b, h, w, ch, c->act == EFFAD_ACT_SIGMOID ? at : -1, sig_q);
    xnn_builder_check(b, xnn_define_sigmoid(b->g, x.id, s.id, 0), "int8 sigmoid");
    if (c->act == EFFAD_ACT_SIGMOID) return s;
    const qv y = value(b, h, w, ch, at, post);
    xnn_builder_check(b, xnn_define_multiply2(b->g, -INFINITY, INFINITY, x.id, s.id, y.id, 0), "int8 swish multiply");
    return y;
}

/* A convolution of x with int8 weights wq [cout][kh][kw][cin] (scales
 * s_w) into type post through c's activation. */
static qv conv(xnn_builder *b, const effad_conv *c, const int8_t *wq, const float *s_w, const effad_geom *g, qv x,
               int at, qv post)
{
    const size_t fd[4] = { (size_t)c->cout, (size_t)c->kh, (size_t)c->kw, (size_t)c->cin };
    const qv out = value(b, g->out_h, g->out_w, c->cout, c->act == EFFAD_ACT_NONE ? at : -1,
                         c->act == EFFAD_ACT_NONE ? post : pre_of(post));
    xnn_builder_check(b, xnn_define_convolution_2d(b->g, (uint32_t)g->pad_top, (uint32_t)g->pad_right,
                                                   (uint32_t)g->pad_bottom, (uint32_t)g->pad_left, (uint32_t)c->kh,
                                                   (uint32_t)c->kw, (uint32_t)c->stride_h, (uint32_t)c->stride_w,
                                                   (uint32_t)c->dil_h, (uint32_t)c->dil_w, 1, (size_t)c->cin,
                                                   (size_t)c->cout, -INFINITY, INFINITY, x.id,
                                                   filter(b, wq, s_w, fd, 0), bias(b, c, x.scale, s_w), out.id, 0),
                      "int8 convolution");
    return activate(b, c, out, g->out_h, g->out_w, c->cout, at, post);
}

/* A 1x1 convolution: effad's int8 [cin][cout] as [cout][1][1][cin]. */
static qv conv_1x1(xnn_builder *b, const effad_conv *c, qv x, int h, int w, int at, qv post)
{
    int8_t *t = xnn_builder_keep(b, (size_t)c->cin * c->cout);
    if (!t) { xnn_builder_check(b, xnn_status_out_of_memory, "int8 1x1 weights"); return x; }
    const int8_t *wq = c->w.data;
    for (int i = 0; i < c->cin; i++)
        for (int o = 0; o < c->cout; o++) t[(size_t)o * c->cin + i] = wq[(size_t)i * c->cout + o];
    const effad_geom g = { h, w, h, w, 0, 0, 0, 0 };
    return conv(b, c, t, c->w.scale, &g, x, at, post);
}

/* Depthwise: effad's int8 [kh][kw][c] is XNNPACK's [1][kh][kw][c], its
 * scales along the last dimension. */
static qv conv_dw(xnn_builder *b, const effad_conv *c, const effad_geom *g, qv x, qv post)
{
    const size_t fd[4] = { 1, (size_t)c->kh, (size_t)c->kw, (size_t)c->cout };
    const qv out = value(b, g->out_h, g->out_w, c->cout, -1, c->act == EFFAD_ACT_NONE ? post : pre_of(post));
    xnn_builder_check(b, xnn_define_depthwise_convolution_2d(b->g, (uint32_t)g->pad_top, (uint32_t)g->pad_right,
                                                             (uint32_t)g->pad_bottom, (uint32_t)g->pad_left,
                                                             (uint32_t)c->kh, (uint32_t)c->kw, (uint32_t)c->stride_h,
                                                             (uint32_t)c->stride_w, (uint32_t)c->dil_h,
                                                             (uint32_t)c->dil_w, 1, (size_t)c->cin, -INFINITY,
                                                             INFINITY, x.id, filter(b, c->w.data, c->w.scale, fd, 3),
                                                             bias(b, c, x.scale, c->w.scale), out.id, 0),
                      "int8 depthwise convolution");
    return activate(b, c, out, g->out_h, g->out_w, c->cout, -1, post);
}

/* The stem, float32 in effad's int8 models: its weights rounded to int8
 * per output channel here, [kh][kw][cin][cout] -> [cout][kh][kw][cin]. */
static qv stem(xnn_builder *b, const effad_conv *c, const effad_geom *g, qv x, qv post)
{
    const int kh = c->kh, kw = c->kw, ci = c->cin, co = c->cout;
    int8_t *t = xnn_builder_keep(b, (size_t)kh * kw * ci * co);
    float *s = xnn_builder_keep(b, (size_t)co * sizeof *s);
    if (!t || !s) { xnn_builder_check(b, xnn_status_out_of_memory, "stem weights"); return x; }
    const float *w = c->w.data;
    const size_t taps = (size_t)kh * kw * ci;
    for (int o = 0; o < co; o++) {
        float big = 0;
        for (size_t i = 0; i < taps; i++) big = fmaxf(big, fabsf(w[i * co + o]));
        s[o] = big > 0 ? big / 127.0f : 1.0f;
        for (size_t i = 0; i < taps; i++) t[(size_t)o * taps + i] = (int8_t)lrintf(w[i * co + o] / s[o]);
    }
    return conv(b, c, t, s, g, x, 0, post);
}

const char *xnn_qs8_unsupported(const effad_model *m)
{
    if (m->act16) return "a 16x8 model: xnn-bench builds float32 and uint8 models";
    if (m->stem.groups != 1) return "the stem is not a plain convolution";
    for (int i = 0; i < m->n_blocks; i++) {
        const effad_block *k = &m->blocks[i];
        const effad_conv *cs[5] = { &k->expand, &k->dw, &k->se_reduce, &k->se_expand, &k->project };
        for (int j = 0; j < 5; j++) {
            if (!cs[j]->w.data) continue;
            if (cs[j]->w.dtype != EFFAD_S8 || (j != 2 && j != 3 && cs[j]->in_q.dtype != EFFAD_U8))
                return "a block that is not int8: xnn-bench builds int8 models whose every block is int8";
            if (cs[j]->act != EFFAD_ACT_NONE && cs[j]->act != EFFAD_ACT_SIGMOID && cs[j]->act != EFFAD_ACT_SWISH)
                return "an activation the QS8 graph has no node for here";
        }
    }
    if (m->has_head && (m->head.w.dtype != EFFAD_S8 || m->head.in_q.dtype != EFFAD_U8))
        return "the head is not int8";
    return 0;
}

void xnn_qs8_input(float *scale, int32_t *zero)
{
    *scale = 4.0f / 255.0f;   /* effad bench's input: [-2, 2) */
    *zero = 0;
}

void xnn_qs8_tap(const xnn_builder *b, int t, float *scale, int32_t *zero)
{
    *scale = b->tap_scale[t];
    *zero = b->tap_zero[t];
}

void xnn_qs8_build(xnn_builder *b, const effad_runner *r)
{
    const effad_model *m = b->m;
    float in_scale;
    int32_t in_zero;
    xnn_qs8_input(&in_scale, &in_zero);
    qv x = { XNN_INVALID_VALUE_ID, in_scale, in_zero };
    const size_t in_dims[4] = { 1, (size_t)r->in_h, (size_t)r->in_w, (size_t)m->in_c };
    xnn_builder_check(b, xnn_define_quantized_tensor_value(b->g, xnn_datatype_qint8, x.zero, x.scale, 4, in_dims, 0, 0,
                                                           XNN_VALUE_FLAG_EXTERNAL_INPUT, &x.id),
                      "input");
    const effad_block *b0 = &m->blocks[0];
    const effad_geom sg = effad_stem_geom(r);
    x = stem(b, &m->stem, &sg, x, qtype(b0->expand.w.data ? &b0->expand.in_q : &b0->dw.in_q));
    int h = sg.out_h, w = sg.out_w;
    /* squeeze-excite's vector and gate have no type in effad (float there):
     * its hidden vector spans [-0.3, 9.7] after its swish */
    const qv se_post = { XNN_INVALID_VALUE_ID, 10.0f / 255.0f, -121 };
    for (int i = 0; i < m->n_blocks; i++) {
        const effad_block *k = &m->blocks[i];
        const effad_geom g = effad_block_geom(r, i);
        const qv e = k->expand.w.data ? conv_1x1(b, &k->expand, x, h, w, -1, qtype(&k->expand.out_q)) : x;
        qv d = conv_dw(b, &k->dw, &g, e, qtype(&k->dw.out_q));
        if (k->se_c) {
            const qv p = value(b, 1, 1, k->mid_c, -1, d);
            xnn_builder_check(b, xnn_define_global_average_pooling_2d(b->g, -INFINITY, INFINITY, d.id, p.id, 0),
                              "int8 squeeze");
            const effad_geom one = { 1, 1, 1, 1, 0, 0, 0, 0 };
            qv s = conv(b, &k->se_reduce, k->se_reduce.w.data, k->se_reduce.w.scale, &one, p, -1, se_post);
            s = conv(b, &k->se_expand, k->se_expand.w.data, k->se_expand.w.scale, &one, s, -1, se_post);
            const qv dg = value(b, g.out_h, g.out_w, k->mid_c, -1, qtype(&k->project.in_q));
            xnn_builder_check(b, xnn_define_multiply2(b->g, -INFINITY, INFINITY, d.id, s.id, dg.id, 0), "int8 excite");
            d = dg;
        }
        const qv out_q = qtype(&k->project.out_q);
        qv y = conv_1x1(b, &k->project, d, g.out_h, g.out_w, k->skip ? -1 : 1 + i, out_q);
        if (k->skip) {
            const qv s = value(b, g.out_h, g.out_w, k->out_c, 1 + i, out_q);
            xnn_builder_check(b, xnn_define_add2(b->g, -INFINITY, INFINITY, y.id, x.id, s.id, 0), "int8 skip add");
            y = s;
        }
        x = y; h = g.out_h; w = g.out_w;
    }
    if (m->has_head) {
        /* effad's head writes float32 taps: its int8 output here spans [-0.3, 25] */
        const qv head_q = m->head.out_q.dtype == EFFAD_U8 ? qtype(&m->head.out_q)
                                                          : (qv){ XNN_INVALID_VALUE_ID, 0.1f, -125 };
        conv_1x1(b, &m->head, x, h, w, m->n_blocks + 1, head_q);
    }
}
