/*
 * xnn-graph-f32.c -- a float32 effad model as an XNNPACK subgraph (see
 * xnn-graph.h), the graph effad runs (engine/forward.c) node for node in
 * XNNPACK's operators, NHWC float32: the stem convolution, then per block
 * the expand 1x1, the depthwise kxk, squeeze-excite (global average
 * pooling, two 1x1 convolutions, a broadcast multiply), the projection and
 * the skip add, then the head. Swish is Sigmoid then Multiply, as
 * TensorFlow Lite's XNNPACK delegate runs a LOGISTIC + MUL pair. The pads
 * come from effad's plan, the weights from the .efm, transposed where
 * XNNPACK's filter layout ([out][kh][kw][in]) differs from effad's.
 */
#include <math.h>
#include <stdlib.h>
#include "xnn-graph.h"

/* A 4-D NHWC value: internal, or the external output of the tap at
 * position `at` (-1: none). */
static uint32_t value(xnn_builder *b, int h, int w, int c, int at)
{
    const size_t dims[4] = { 1, (size_t)h, (size_t)w, (size_t)c };
    uint32_t ext = XNN_INVALID_VALUE_ID, flags = 0, id = XNN_INVALID_VALUE_ID;
    if (at >= 0 && b->tap_of_at[at]) { ext = b->tap_of_at[at]; flags = XNN_VALUE_FLAG_EXTERNAL_OUTPUT; }
    xnn_builder_check(b, xnn_define_tensor_value(b->g, xnn_datatype_fp32, 4, dims, 0, ext, flags, &id), "tensor value");
    return id;
}

static uint32_t constant(xnn_builder *b, size_t n_dims, const size_t *dims, const void *data)
{
    uint32_t id = XNN_INVALID_VALUE_ID;
    xnn_builder_check(b, xnn_define_tensor_value(b->g, xnn_datatype_fp32, n_dims, dims, data, XNN_INVALID_VALUE_ID, 0,
                                                 &id),
                      "constant");
    return id;
}

static uint32_t bias_of(xnn_builder *b, const effad_conv *c)
{
    if (!c->b.data) return XNN_INVALID_VALUE_ID;
    const size_t dims[1] = { (size_t)c->cout };
    return constant(b, 1, dims, c->b.data);
}

/* The activation of conv c applied to x (h x w x ch) into a value at
 * position `at`. Clamps ride on the convolution itself (lo, hi), so only
 * sigmoid and swish need nodes of their own. */
static void act_bounds(const effad_conv *c, float *lo, float *hi)
{
    *lo = -INFINITY; *hi = INFINITY;
    if (c->act == EFFAD_ACT_RELU) *lo = 0.0f;
    if (c->act == EFFAD_ACT_CLIP) { *lo = c->act_a; *hi = c->act_b; }
}

static uint32_t activate(xnn_builder *b, const effad_conv *c, uint32_t x, int h, int w, int ch, int at)
{
    if (c->act != EFFAD_ACT_SIGMOID && c->act != EFFAD_ACT_SWISH) return x;
    const int swish = c->act == EFFAD_ACT_SWISH;
    const uint32_t s = value(b, h, w, ch, swish ? -1 : at);
    xnn_builder_check(b, xnn_define_sigmoid(b->g, x, s, 0), "sigmoid");
    if (!swish) return s;
    const uint32_t y = value(b, h, w, ch, at);
    xnn_builder_check(b, xnn_define_multiply2(b->g, -INFINITY, INFINITY, x, s, y, 0), "swish multiply");
    return y;
}

static int supported_act(const effad_conv *c)
{
    return c->act == EFFAD_ACT_NONE || c->act == EFFAD_ACT_RELU || c->act == EFFAD_ACT_CLIP ||
           c->act == EFFAD_ACT_SIGMOID || c->act == EFFAD_ACT_SWISH;
}

/* A general convolution (the stem): effad's [kh][kw][cin][cout] weights as
 * XNNPACK's [cout][kh][kw][cin]. */
static uint32_t conv_kxk(xnn_builder *b, const effad_conv *c, const effad_geom *gm, uint32_t x, int at)
{
    const int kh = c->kh, kw = c->kw, ci = c->cin, co = c->cout;
    const float *w = c->w.data;
    float *t = xnn_builder_keep(b, (size_t)kh * kw * ci * co * sizeof(float));
    if (!t) { xnn_builder_check(b, xnn_status_out_of_memory, "stem weights"); return x; }
    for (int ky = 0; ky < kh; ky++)
        for (int kx = 0; kx < kw; kx++)
            for (int i = 0; i < ci; i++)
                for (int o = 0; o < co; o++)
                    t[(((size_t)o * kh + ky) * kw + kx) * ci + i] = w[(((size_t)ky * kw + kx) * ci + i) * co + o];
    const size_t fd[4] = { (size_t)co, (size_t)kh, (size_t)kw, (size_t)ci };
    float lo, hi;
    act_bounds(c, &lo, &hi);
    const int pre = c->act == EFFAD_ACT_SIGMOID || c->act == EFFAD_ACT_SWISH;
    const uint32_t y = value(b, gm->out_h, gm->out_w, co, pre ? -1 : at);
    xnn_builder_check(b, xnn_define_convolution_2d(b->g, (uint32_t)gm->pad_top, (uint32_t)gm->pad_right, (uint32_t)gm->pad_bottom,
                                       (uint32_t)gm->pad_left, (uint32_t)kh, (uint32_t)kw, (uint32_t)c->stride_h,
                                       (uint32_t)c->stride_w, (uint32_t)c->dil_h, (uint32_t)c->dil_w, 1, (size_t)ci,
                                       (size_t)co, lo, hi, x, constant(b, 4, fd, t), bias_of(b, c), y, 0),
                      "stem convolution");
    return activate(b, c, y, gm->out_h, gm->out_w, co, at);
}

/* A 1x1 convolution on an h x w map: effad's [cin][cout] as [cout][1][1][cin]. */
static uint32_t conv_1x1(xnn_builder *b, const effad_conv *c, uint32_t x, int h, int w, int at)
{
    const int ci = c->cin, co = c->cout;
    const float *wt = c->w.data;
    float *t = xnn_builder_keep(b, (size_t)ci * co * sizeof(float));
    if (!t) { xnn_builder_check(b, xnn_status_out_of_memory, "1x1 weights"); return x; }
    for (int i = 0; i < ci; i++)
        for (int o = 0; o < co; o++) t[(size_t)o * ci + i] = wt[(size_t)i * co + o];
    const size_t fd[4] = { (size_t)co, 1, 1, (size_t)ci };
    float lo, hi;
    act_bounds(c, &lo, &hi);
    const int pre = c->act == EFFAD_ACT_SIGMOID || c->act == EFFAD_ACT_SWISH;
    const uint32_t y = value(b, h, w, co, pre ? -1 : at);
    xnn_builder_check(b, xnn_define_convolution_2d(b->g, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, (size_t)ci, (size_t)co, lo, hi, x,
                                       constant(b, 4, fd, t), bias_of(b, c), y, 0),
                      "1x1 convolution");
    return activate(b, c, y, h, w, co, at);
}

/* Squeeze-excite's 1x1 on the pooled vector: effad's [rc][c] and [c][rc]
 * are already [out][1][1][in]. */
static uint32_t conv_vec(xnn_builder *b, const effad_conv *c, uint32_t x)
{
    const size_t fd[4] = { (size_t)c->cout, 1, 1, (size_t)c->cin };
    float lo, hi;
    act_bounds(c, &lo, &hi);
    const uint32_t y = value(b, 1, 1, c->cout, -1);
    xnn_builder_check(b, xnn_define_convolution_2d(b->g, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, (size_t)c->cin, (size_t)c->cout, lo, hi,
                                       x, constant(b, 4, fd, c->w.data), bias_of(b, c), y, 0),
                      "squeeze-excite convolution");
    return activate(b, c, y, 1, 1, c->cout, -1);
}

/* Depthwise kxk: effad's [kh][kw][c] is XNNPACK's [1][kh][kw][c]. */
static uint32_t conv_dw(xnn_builder *b, const effad_conv *c, const effad_geom *gm, uint32_t x)
{
    const size_t fd[4] = { 1, (size_t)c->kh, (size_t)c->kw, (size_t)c->cout };
    float lo, hi;
    act_bounds(c, &lo, &hi);
    const uint32_t y = value(b, gm->out_h, gm->out_w, c->cout, -1);
    xnn_builder_check(b, xnn_define_depthwise_convolution_2d(b->g, (uint32_t)gm->pad_top, (uint32_t)gm->pad_right,
                                                 (uint32_t)gm->pad_bottom, (uint32_t)gm->pad_left, (uint32_t)c->kh,
                                                 (uint32_t)c->kw, (uint32_t)c->stride_h, (uint32_t)c->stride_w,
                                                 (uint32_t)c->dil_h, (uint32_t)c->dil_w, 1, (size_t)c->cin, lo, hi, x,
                                                 constant(b, 4, fd, c->w.data), bias_of(b, c), y, 0),
                      "depthwise convolution");
    return activate(b, c, y, gm->out_h, gm->out_w, c->cout, -1);
}

const char *xnn_f32_unsupported(const effad_model *m)
{
    if (m->quantised) return "an int8 model: xnn-bench builds float32 models only";
    if (m->stem.groups != 1 || !supported_act(&m->stem)) return "the stem is not a plain convolution";
    if (m->has_head && !supported_act(&m->head)) return "the head's activation";
    for (int i = 0; i < m->n_blocks; i++) {
        const effad_block *k = &m->blocks[i];
        const effad_conv *cs[5] = { &k->expand, &k->dw, &k->se_reduce, &k->se_expand, &k->project };
        for (int j = 0; j < 5; j++)
            if (cs[j]->w.data && !supported_act(cs[j])) return "an activation XNNPACK has no node for here";
    }
    return 0;
}

void xnn_f32_build(xnn_builder *b, const effad_runner *r)
{
    const effad_model *m = b->m;
    const int h0 = r->in_h, w0 = r->in_w;
    uint32_t x = XNN_INVALID_VALUE_ID;
    const size_t in_dims[4] = { 1, (size_t)h0, (size_t)w0, (size_t)m->in_c };
    xnn_builder_check(b, xnn_define_tensor_value(b->g, xnn_datatype_fp32, 4, in_dims, 0, 0, XNN_VALUE_FLAG_EXTERNAL_INPUT, &x),
                      "input");
    const effad_geom sg = effad_stem_geom(r);
    x = conv_kxk(b, &m->stem, &sg, x, 0);
    int h = sg.out_h, w = sg.out_w;
    for (int i = 0; i < m->n_blocks; i++) {
        const effad_block *k = &m->blocks[i];
        const effad_geom g = effad_block_geom(r, i);
        uint32_t e = k->expand.w.data ? conv_1x1(b, &k->expand, x, h, w, -1) : x;
        uint32_t d = conv_dw(b, &k->dw, &g, e);
        if (k->se_c) {
            const uint32_t p = value(b, 1, 1, k->mid_c, -1);
            xnn_builder_check(b, xnn_define_global_average_pooling_2d(b->g, -INFINITY, INFINITY, d, p, 0), "squeeze");
            const uint32_t gate = conv_vec(b, &k->se_expand, conv_vec(b, &k->se_reduce, p));
            const uint32_t dg = value(b, g.out_h, g.out_w, k->mid_c, -1);
            xnn_builder_check(b, xnn_define_multiply2(b->g, -INFINITY, INFINITY, d, gate, dg, 0), "excite");
            d = dg;
        }
        uint32_t y = conv_1x1(b, &k->project, d, g.out_h, g.out_w, k->skip ? -1 : 1 + i);
        if (k->skip) {
            const uint32_t s = value(b, g.out_h, g.out_w, k->out_c, 1 + i);
            xnn_builder_check(b, xnn_define_add2(b->g, -INFINITY, INFINITY, y, x, s, 0), "skip add");
            y = s;
        }
        x = y; h = g.out_h; w = g.out_w;
    }
    if (m->has_head) conv_1x1(b, &m->head, x, h, w, m->n_blocks + 1);
}
