/* An .efm as a QDQ ONNX graph (qdq-emit.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "qdq-emit.h"
#include "onnx-write.h"

#define NAME 96
#define PREFIX 48   /* a layer's name prefix: names derived from it fit NAME */

typedef struct emitter {
    onnx_builder b;
    const effad_model *m;
    int oom;
} emitter;

/* A value of the graph: the name of its float view (the DequantizeLinear
 * output when the value is uint8) and its type. */
typedef struct value { char name[NAME]; effad_qtype q; } value;

static void node1(emitter *em, const char *op, const char *name, int n_in, const char *const *in, const char *out,
                  const onnx_wattr *attr, int n_attr)
{
    const char *outs[1] = { out };
    onnx_add_node(&em->b, op, name, n_in, in, 1, outs, attr, n_attr);
}

static void scalar_f32(emitter *em, const char *name, float v)
{
    onnx_add_init(&em->b, name, ONNX_FLOAT, 0, 0, &v);
}

/* ---------------------------------------------------------- weights */

/* Element (o, ci, ky, kx) of ONNX's OIHW in the .efm layout of c
 * (efm-format.h): [out][in] for squeeze-excite, HWIO otherwise. */
static size_t efm_at(const effad_conv *c, int se, int o, int ci, int ky, int kx)
{
    const int icg = c->cin / c->groups;
    if (se) return (size_t)o * (size_t)icg + (size_t)ci;
    return (((size_t)ky * (size_t)c->kw + (size_t)kx) * (size_t)icg + (size_t)ci) * (size_t)c->cout + (size_t)o;
}

/* The float weights of c as a value called prefix.w: an initializer, or
 * int8 OIHW + per-channel scales through DequantizeLinear on axis 0 --
 * for an int8 layer and for a weight-only one alike (int8 weights, float32
 * activations, which store() leaves without a pair): ONNX Runtime then
 * runs the weight-only layer's q * scale in float, as the engine does. */
static void weights(emitter *em, const effad_conv *c, int se, const char *prefix)
{
    const int icg = c->cin / c->groups;
    const size_t count = (size_t)c->cout * (size_t)icg * (size_t)c->kh * (size_t)c->kw;
    const int64_t dims[4] = { c->cout, icg, c->kh, c->kw };
    const int int8 = c->w.dtype == EFFAD_S8;
    void *oihw = malloc(count * (int8 ? 1 : sizeof(float)) + 1);
    if (!oihw) { em->oom = 1; return; }
    size_t k = 0;
    for (int o = 0; o < c->cout; o++)
        for (int ci = 0; ci < icg; ci++)
            for (int ky = 0; ky < c->kh; ky++)
                for (int kx = 0; kx < c->kw; kx++, k++) {
                    const size_t at = efm_at(c, se, o, ci, ky, kx);
                    if (int8) ((int8_t *)oihw)[k] = ((const int8_t *)c->w.data)[at];
                    else ((float *)oihw)[k] = ((const float *)c->w.data)[at];
                }
    char w[NAME], wq[NAME], ws[NAME], wz[NAME];
    snprintf(w, sizeof w, "%s.w", prefix);
    if (!int8) {
        onnx_add_init(&em->b, w, ONNX_FLOAT, 4, dims, oihw);
        free(oihw);
        return;
    }
    snprintf(wq, sizeof wq, "%s.w_int8", prefix);
    snprintf(ws, sizeof ws, "%s.w_scale", prefix);
    snprintf(wz, sizeof wz, "%s.w_zero", prefix);
    int8_t *zeros = calloc((size_t)c->cout, 1);
    if (!zeros) { free(oihw); em->oom = 1; return; }
    const int64_t n_out = c->cout;
    onnx_add_init(&em->b, wq, ONNX_INT8, 4, dims, oihw);
    onnx_add_init(&em->b, ws, ONNX_FLOAT, 1, &n_out, c->w.scale);
    onnx_add_init(&em->b, wz, ONNX_INT8, 1, &n_out, zeros);
    const char *in[3] = { wq, ws, wz };
    const onnx_wattr axis = onnx_wattr_int("axis", 0);
    char node[NAME];
    snprintf(node, sizeof node, "%s.w_dq", prefix);
    node1(em, "DequantizeLinear", node, 3, in, w, &axis, 1);
    free(oihw); free(zeros);
}

/* ------------------------------------------------------------ layers */

/* out = act(in) for the engine's activation kinds; returns out's name
 * (in itself for none) in `out`. */
static void activation(emitter *em, const effad_conv *c, const char *in, const char *prefix, char *out)
{
    char node[NAME], tmp[NAME], lo[NAME], hi[NAME];
    snprintf(node, sizeof node, "%s.act", prefix);
    switch (c->act) {
    case EFFAD_ACT_NONE: snprintf(out, NAME, "%s", in); return;
    case EFFAD_ACT_RELU:
        snprintf(out, NAME, "%s.relu", prefix);
        node1(em, "Relu", node, 1, &in, out, 0, 0);
        return;
    case EFFAD_ACT_CLIP: {
        snprintf(lo, sizeof lo, "%s.clip_min", prefix);
        snprintf(hi, sizeof hi, "%s.clip_max", prefix);
        scalar_f32(em, lo, c->act_a);
        scalar_f32(em, hi, c->act_b);
        const char *ins[3] = { in, lo, hi };
        snprintf(out, NAME, "%s.clip", prefix);
        node1(em, "Clip", node, 3, ins, out, 0, 0);
        return;
    }
    case EFFAD_ACT_SIGMOID:
        snprintf(out, NAME, "%s.sigmoid", prefix);
        node1(em, "Sigmoid", node, 1, &in, out, 0, 0);
        return;
    case EFFAD_ACT_HARDSIGMOID: {
        const onnx_wattr a[2] = { onnx_wattr_float("alpha", c->act_a), onnx_wattr_float("beta", c->act_b) };
        snprintf(out, NAME, "%s.hardsigmoid", prefix);
        node1(em, "HardSigmoid", node, 1, &in, out, a, 2);
        return;
    }
    case EFFAD_ACT_SWISH:
    case EFFAD_ACT_HARDSWISH: {
        /* x * sigmoid(x), x * hardsigmoid(x; 1/6, 1/2) */
        snprintf(tmp, sizeof tmp, "%s.gate", prefix);
        if (c->act == EFFAD_ACT_SWISH) node1(em, "Sigmoid", node, 1, &in, tmp, 0, 0);
        else {
            const onnx_wattr a[2] = { onnx_wattr_float("alpha", 1.0f / 6.0f), onnx_wattr_float("beta", 0.5f) };
            node1(em, "HardSigmoid", node, 1, &in, tmp, a, 2);
        }
        const char *ins[2] = { in, tmp };
        snprintf(out, NAME, "%s.%s", prefix, c->act == EFFAD_ACT_SWISH ? "swish" : "hardswish");
        snprintf(node, sizeof node, "%s.act_mul", prefix);
        node1(em, "Mul", node, 2, ins, out, 0, 0);
        return;
    }
    }
    em->oom = 1;   /* the loader admits no other kind */
}

/* conv(in) + bias -> activation, at the geometry g; its output name in out. */
static void conv(emitter *em, const effad_conv *c, int se, const effad_geom *g, const char *in, const char *prefix,
                 char *out)
{
    weights(em, c, se, prefix);
    char w[NAME], b[NAME], y[NAME], node[NAME];
    snprintf(w, sizeof w, "%s.w", prefix);
    snprintf(b, sizeof b, "%s.b", prefix);
    snprintf(y, sizeof y, "%s.conv", prefix);
    snprintf(node, sizeof node, "%s.conv", prefix);
    if (c->b.data) {
        const int64_t n = c->cout;
        onnx_add_init(&em->b, b, ONNX_FLOAT, 1, &n, c->b.data);
    }
    const int64_t k[2] = { c->kh, c->kw }, s[2] = { c->stride_h, c->stride_w }, d[2] = { c->dil_h, c->dil_w };
    int64_t pads[4] = { 0, 0, 0, 0 };
    if (g) { pads[0] = g->pad_top; pads[1] = g->pad_left; pads[2] = g->pad_bottom; pads[3] = g->pad_right; }
    const onnx_wattr a[5] = { onnx_wattr_ints("kernel_shape", k, 2), onnx_wattr_ints("strides", s, 2),
                              onnx_wattr_ints("pads", pads, 4), onnx_wattr_ints("dilations", d, 2),
                              onnx_wattr_int("group", c->groups) };
    const char *ins[3] = { in, w, b };
    node1(em, "Conv", node, c->b.data ? 3 : 2, ins, y, a, 5);
    activation(em, c, y, prefix, out);
}

/* v's float view as type q: a QuantizeLinear/DequantizeLinear pair when
 * the engine stores it as uint8 or int16 there (the int16 pair is opset
 * 21's, whose QuantizeLinear takes an int16 zero point: qdq_emit asks for
 * that opset then), nothing when it stays float. */
static void store(emitter *em, value *v, const effad_qtype *q, const char *prefix)
{
    v->q = *q;
    if (q->dtype != EFFAD_U8 && q->dtype != EFFAD_S16) return;
    char s[NAME], z[NAME], qn[NAME], dq[NAME], node[NAME];
    snprintf(s, sizeof s, "%s.scale", prefix);
    snprintf(z, sizeof z, "%s.zero", prefix);
    snprintf(qn, sizeof qn, "%s.%s", prefix, q->dtype == EFFAD_U8 ? "uint8" : "int16");
    snprintf(dq, sizeof dq, "%s.dq", prefix);
    scalar_f32(em, s, q->scale);
    if (q->dtype == EFFAD_U8) {
        const uint8_t zero = (uint8_t)q->zero_point;
        onnx_add_init(&em->b, z, ONNX_UINT8, 0, 0, &zero);
    } else {
        const int16_t zero = 0;   /* the loader admits no other */
        onnx_add_init(&em->b, z, ONNX_INT16, 0, 0, &zero);
    }
    const char *qin[3] = { v->name, s, z }, *din[3] = { qn, s, z };
    snprintf(node, sizeof node, "%s.q", prefix);
    node1(em, "QuantizeLinear", node, 3, qin, qn, 0, 0);
    snprintf(node, sizeof node, "%s.dq", prefix);
    node1(em, "DequantizeLinear", node, 3, din, dq, 0, 0);
    snprintf(v->name, sizeof v->name, "%s", dq);
}

/* The block input x brought to the type the block reads (float32 <->
 * uint8 or int16 at a boundary, as forward.c's to_type). */
static void to_type(emitter *em, value *x, const effad_qtype *want, const char *prefix)
{
    if (want->dtype != EFFAD_F32 && x->q.dtype != want->dtype) store(em, x, want, prefix);
    else if (want->dtype == EFFAD_F32) x->q = *want;
}

static void taps(emitter *em, int at, const value *x, int c, int h, int w)
{
    for (int t = 0; t < em->m->n_taps; t++) {
        if (em->m->taps[t].at != at) continue;
        char out[NAME], node[NAME];
        snprintf(out, sizeof out, "level%d", t);
        snprintf(node, sizeof node, "level%d", t);
        const char *in = x->name;
        node1(em, "Identity", node, 1, &in, out, 0, 0);
        const int64_t dims[4] = { 1, c, h, w };
        onnx_add_output(&em->b, out, ONNX_FLOAT, 4, dims);
    }
}

static void block(emitter *em, int i, const effad_block *bl, const effad_geom *g, value *x)
{
    char p[PREFIX], tmp[NAME];
    snprintf(p, sizeof p, "b%d.in", i);
    to_type(em, x, bl->expand.w.data ? &bl->expand.in_q : &bl->dw.in_q, p);
    const value in = *x;
    value v = in;
    if (bl->expand.w.data) {
        snprintf(p, sizeof p, "b%d.expand", i);
        conv(em, &bl->expand, 0, 0, in.name, p, v.name);
        store(em, &v, &bl->expand.out_q, p);
    }
    snprintf(p, sizeof p, "b%d.dw", i);
    conv(em, &bl->dw, 0, g, v.name, p, tmp);
    snprintf(v.name, sizeof v.name, "%s", tmp);
    store(em, &v, &bl->dw.out_q, p);
    if (bl->se_c) {
        char pool[NAME], r[NAME], gate[NAME], gated[NAME], node[NAME];
        snprintf(p, sizeof p, "b%d.se", i);
        snprintf(pool, sizeof pool, "%s.pool", p);
        const char *pin = v.name;
        node1(em, "GlobalAveragePool", pool, 1, &pin, pool, 0, 0);
        snprintf(p, sizeof p, "b%d.se_reduce", i);
        conv(em, &bl->se_reduce, 1, 0, pool, p, r);
        snprintf(p, sizeof p, "b%d.se_expand", i);
        conv(em, &bl->se_expand, 1, 0, r, p, gate);
        snprintf(gated, sizeof gated, "b%d.gated", i);
        snprintf(node, sizeof node, "b%d.gate_mul", i);
        const char *min[2] = { v.name, gate };
        node1(em, "Mul", node, 2, min, gated, 0, 0);
        snprintf(v.name, sizeof v.name, "%s", gated);
        v.q.dtype = EFFAD_F32;
        if (bl->project.in_q.dtype != EFFAD_F32) store(em, &v, &bl->project.in_q, gated);
    }
    snprintf(p, sizeof p, "b%d.project", i);
    conv(em, &bl->project, 0, 0, v.name, p, tmp);
    if (bl->skip) {
        char sum[NAME];
        snprintf(sum, sizeof sum, "b%d.add", i);
        const char *ain[2] = { tmp, in.name };
        node1(em, "Add", sum, 2, ain, sum, 0, 0);
        snprintf(tmp, sizeof tmp, "%s", sum);
    }
    snprintf(x->name, sizeof x->name, "%s", tmp);
    x->q.dtype = EFFAD_F32;
    snprintf(p, sizeof p, "b%d.out", i);
    store(em, x, &bl->project.out_q, p);
}

effad_status qdq_emit(const effad_model *m, uint8_t **onnx, size_t *n_bytes, effad_error *e)
{
    *onnx = 0; *n_bytes = 0;
    /* the geometry the engine plans at the native size (no arena needed) */
    static effad_runner r;
    const effad_plan_opts po = { .n_workers = 1 };
    effad_status s = effad_runner_init(&r, m, 0, &po, 0, 0, e);
    if (s) return s;
    emitter em;
    memset(&em, 0, sizeof em);
    em.m = m;
    onnx_builder_init(&em.b, m->quantised ? "effad int8 (QDQ)" : "effad float32");
    const int64_t in_dims[4] = { 1, m->in_c, m->in_h, m->in_w };
    onnx_add_input(&em.b, "input", ONNX_FLOAT, 4, in_dims);

    value x = { "", m->stem.out_q };
    const effad_geom sg = effad_stem_geom(&r);
    conv(&em, &m->stem, 0, &sg, "input", "stem", x.name);
    x.q.dtype = EFFAD_F32;
    store(&em, &x, &m->stem.out_q, "stem.out");
    int h = sg.out_h, w = sg.out_w;
    taps(&em, 0, &x, m->stem.cout, h, w);
    for (int i = 0; i < m->n_blocks; i++) {
        const effad_geom g = effad_block_geom(&r, i);
        block(&em, i, &m->blocks[i], &g, &x);
        h = g.out_h; w = g.out_w;
        taps(&em, i + 1, &x, m->blocks[i].out_c, h, w);
    }
    if (m->has_head) {
        to_type(&em, &x, &m->head.in_q, "head.in");
        char y[NAME];
        conv(&em, &m->head, 0, 0, x.name, "head", y);
        snprintf(x.name, sizeof x.name, "%s", y);
        x.q.dtype = EFFAD_F32;
        store(&em, &x, &m->head.out_q, "head.out");
        taps(&em, m->n_blocks + 1, &x, m->head.cout, h, w);
    }
    if (em.oom) {
        onnx_builder_free(&em.b);
        return effad_fail(e, EFFAD_ERR_NOMEM, "out of memory writing the QDQ graph");
    }
    return onnx_builder_finish(&em.b, m->act16 ? 21 : 13, "effad", onnx, n_bytes, e);
}
