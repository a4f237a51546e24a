/*
 * test-qdq-import.c -- `effad convert` on QDQ-quantised ONNX files.
 *
 *   - ONNX Runtime's format (tests/int8/ort-qdq/, written by
 *     make-ort-qdq.py the way quantize_static writes: uint8 and int8
 *     activations, per-channel weights, int32 biases, pairs inside every
 *     epilogue): every block and the head int8, the scales taken exactly
 *     as the file's table lists them (int8 zero points + 128), each
 *     layer's int8 weights within half a step of the float model's, the
 *     model running close to the float one;
 *   - effad's own --emit-qdq graph read back: the very same int8 model
 *     (every layer's weights, scales and types; the same levels); and a
 *     float .efm as the converter's input (the demo model, through the
 *     float graph qdq_emit writes): the very same float model;
 *   - what does not map is refused with a message naming it: 16-bit and
 *     per-channel activations, asymmetric weights, a requantising pair, a
 *     DequantizeLinear of a non-constant, a QuantizeLinear read by a
 *     Conv, a block with int8 weights in only some convolutions, an int8
 *     block without a pair at one of its activation points.
 */
#include <math.h>
#include <stdlib.h>
#include "check.h"
#include "onnx-edit.h"
#include "test-files.h"
#include "convert.h"
#include "onnx.h"
#include "effad.h"
#include "demo-model.h"
#include "efm-source.h"
#include "efm-copy.h"

typedef struct pair { float scale; int zero; } pair;

static int read_table(const char *path, int plus, pair *t, int max)
{
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    char line[512], name[400];
    int n = 0;
    while (fgets(line, sizeof line, f) && n < max) {
        float s;
        int z;
        if (line[0] == '#' || sscanf(line, "%399s %g %d", name, &s, &z) != 3) continue;
        t[n].scale = s;
        t[n].zero = z + plus;
        n++;
    }
    fclose(f);
    return n;
}

/* Every int8 conv of m, and its float counterpart in f. */
typedef void (*conv_fn)(const effad_conv *q, const effad_conv *f, void *ctx);
static void each_int8_conv(const effad_model *m, const effad_model *f, conv_fn fn, void *ctx)
{
    for (int i = 0; i < m->n_blocks; i++) {
        const effad_conv *q[3] = { &m->blocks[i].expand, &m->blocks[i].dw, &m->blocks[i].project };
        const effad_conv *r[3] = { &f->blocks[i].expand, &f->blocks[i].dw, &f->blocks[i].project };
        for (int k = 0; k < 3; k++)
            if (q[k]->w.data && q[k]->w.dtype == EFFAD_S8) fn(q[k], r[k], ctx);
    }
    if (m->has_head && m->head.w.dtype == EFFAD_S8) fn(&m->head, &f->head, ctx);
}

typedef struct table_ctx { const pair *t; int n; int bad; } table_ctx;
static int in_table(const table_ctx *c, const effad_qtype *q)
{
    for (int i = 0; i < c->n; i++)
        if (c->t[i].scale == q->scale && c->t[i].zero == q->zero_point) return 1;
    return 0;
}
static void check_types(const effad_conv *q, const effad_conv *f, void *ctx)
{
    (void)f;
    table_ctx *c = ctx;
    if (!in_table(c, &q->in_q) || !in_table(c, &q->out_q)) c->bad++;
}

static void check_weights(const effad_conv *q, const effad_conv *f, void *ctx)
{
    int *bad = ctx;
    const size_t count = (size_t)q->cout * (size_t)(q->cin / q->groups) * (size_t)q->kh * (size_t)q->kw;
    const int8_t *w = q->w.data;
    const float *ref = f->w.data;
    /* both in the .efm layout, output channel innermost */
    for (size_t k = 0; k < count; k++) {
        const float s = q->w.scale[k % (size_t)q->cout];
        if (fabsf((float)w[k] * s - ref[k]) > 0.5001f * s) { (*bad)++; return; }
    }
}

static effad_status open_file(const char *path, convert_session **cs, effad_error *e)
{
    size_t n = 0;
    uint8_t *bytes = slurp(path, &n);
    CHECK_MSG(bytes != 0, "cannot read %s", path);
    if (!bytes) return EFFAD_ERR_IO;
    effad_status s = convert_open(bytes, n, 0, cs, 0, e);
    free(bytes);
    return s;
}

static void test_ort_format(const char *name, const char *float_dir, int zero_plus)
{
    char path[256];
    snprintf(path, sizeof path, "tests/int8/ort-qdq/%s.onnx", name);
    effad_error e = { 0 };
    convert_session *cs = 0, *fs = 0;
    CHECK_MSG(open_file(path, &cs, &e) == EFFAD_OK, "%s: %s", path, e.msg);
    snprintf(path, sizeof path, "tests/golden/%s/model.onnx", float_dir);
    CHECK_MSG(open_file(path, &fs, &e) == EFFAD_OK, "%s: %s", path, e.msg);
    if (!cs || !fs) { convert_close(cs); convert_close(fs); return; }
    convert_qdq_report r;
    const convert_quant *q = convert_imported(cs, &r);
    CHECK(q != 0 && r.found);
    CHECK_EQ_INT(r.int8_blocks, convert_n_blocks(cs));
    CHECK(r.float_blocks == 0 && r.head_int8 && r.stem_weights);
    CHECK_MSG(r.n_act > r.n_act_used && r.n_act_used > 0, "%d of %d pairs used", r.n_act_used, r.n_act);
    uint8_t *e8 = 0, *e32 = 0;
    size_t n8 = 0, n32 = 0;
    CHECK(convert_write(cs, q, &e8, &n8, &e) == EFFAD_OK && convert_write(fs, 0, &e32, &n32, &e) == EFFAD_OK);
    static effad_model m8, m32;
    void *b8 = e8 ? efm_load_copy(e8, n8, &m8) : 0, *b32 = e32 ? efm_load_copy(e32, n32, &m32) : 0;
    if (b8 && b32) {
        pair t[512];
        snprintf(path, sizeof path, "tests/int8/ort-qdq/%s.txt", name);
        table_ctx tc = { t, read_table(path, zero_plus, t, 512), 0 };
        CHECK_MSG(tc.n > 100, "%s: %d table lines", path, tc.n);
        each_int8_conv(&m8, &m32, check_types, &tc);
        CHECK_MSG(tc.bad == 0, "%s: %d int8 layers with a type the file does not list", name, tc.bad);
        int bad = 0;
        each_int8_conv(&m8, &m32, check_weights, &bad);
        CHECK_MSG(bad == 0, "%s: %d layers' int8 weights are not the float ones quantised", name, bad);
        /* it runs, and follows the float model */
        snprintf(path, sizeof path, "tests/golden/%s/input.f32", float_dir);
        size_t n_in = 0;
        float *x = slurp_f32(path, &n_in);
        float a[4096], b[4096];
        const effad_model *ms[2] = { &m8, &m32 };
        float *outs[2] = { a, b };
        for (int k = 0; k < 2 && x; k++) {
            size_t bytes;
            void *arena = 0;
            effad_runner run;
            float *pooled[EFFAD_MAX_TAPS];
            size_t off = 0;
            for (int t2 = 0; t2 < ms[k]->n_taps; t2++) { pooled[t2] = outs[k] + off; off += (size_t)ms[k]->taps[t2].channels; }
            CHECK(effad_arena_bytes(ms[k], 0, 0, &bytes, &e) == EFFAD_OK && !posix_memalign(&arena, 64, bytes) &&
                  effad_runner_init(&run, ms[k], 0, 0, arena, bytes, &e) == EFFAD_OK &&
                  effad_run(&run, x, pooled, &e) == EFFAD_OK);
            free(arena);
        }
        if (x) {
            const int last = m8.n_taps - 1;
            size_t off = 0;
            for (int t2 = 0; t2 < last; t2++) off += (size_t)m8.taps[t2].channels;
            double ab = 0, aa = 0, bb = 0;
            for (int j = 0; j < m8.taps[last].channels; j++) {
                ab += (double)a[off + j] * b[off + j]; aa += (double)a[off + j] * a[off + j]; bb += (double)b[off + j] * b[off + j];
            }
            const double cosine = ab / sqrt(aa * bb);
            printf("  %s: %d of %d pairs, %d of %d weights used; head level cosine to float32 %.4f\n", name, r.n_act_used,
                   r.n_act, r.n_weight_used, r.n_weight, cosine);
            CHECK_MSG(cosine > 0.9, "%s: head level cosine %.4f", name, cosine);
        }
        free(x);
    }
    free(b8); free(b32); free(e8); free(e32);
    convert_close(cs);
    convert_close(fs);
}

static int same_conv(const effad_conv *a, const effad_conv *b)
{
    if (!a->w.data || !b->w.data) return !a->w.data == !b->w.data;
    const size_t count = (size_t)a->cout * (size_t)(a->cin / a->groups) * (size_t)a->kh * (size_t)a->kw;
    const size_t esz = a->w.dtype == EFFAD_S8 ? 1 : 4;
    return a->w.dtype == b->w.dtype && a->cout == b->cout && !memcmp(a->w.data, b->w.data, count * esz) &&
           (a->w.dtype != EFFAD_S8 || !memcmp(a->w.scale, b->w.scale, sizeof(float) * (size_t)a->cout)) &&
           a->in_q.dtype == b->in_q.dtype && a->in_q.scale == b->in_q.scale && a->in_q.zero_point == b->in_q.zero_point &&
           a->out_q.dtype == b->out_q.dtype && a->out_q.scale == b->out_q.scale && a->out_q.zero_point == b->out_q.zero_point &&
           (!a->b.data) == (!b->b.data) && (!a->b.data || !memcmp(a->b.data, b->b.data, sizeof(float) * (size_t)a->cout));
}

static int same_model(const effad_model *a, const effad_model *b);

/* effad's own QDQ graph gives back the model it came from. */
static void test_round_trip(const char *dir)
{
    char path[256];
    snprintf(path, sizeof path, "%s/qdq.onnx", dir);
    effad_error e = { 0 };
    convert_session *cs = 0;
    CHECK_MSG(open_file(path, &cs, &e) == EFFAD_OK, "%s: %s", path, e.msg);
    if (!cs) return;
    uint8_t *efm = 0;
    size_t n = 0;
    CHECK(convert_write(cs, convert_imported(cs, 0), &efm, &n, &e) == EFFAD_OK);
    convert_close(cs);
    snprintf(path, sizeof path, "%s/model.efm", dir);
    size_t n0 = 0;
    uint8_t *orig = slurp(path, &n0);
    static effad_model a, b;
    void *ba = efm ? efm_load_copy(efm, n, &a) : 0, *bb = orig ? efm_load_copy(orig, n0, &b) : 0;
    CHECK_MSG(ba && bb && same_model(&a, &b), "%s: --emit-qdq read back is not the model it was written from", dir);
    free(ba); free(bb); free(efm); free(orig);
}

static int same_model(const effad_model *a, const effad_model *b)
{
    int same = a->n_blocks == b->n_blocks && a->n_taps == b->n_taps && same_conv(&a->stem, &b->stem) &&
               a->has_head == b->has_head && same_conv(&a->head, &b->head) && !memcmp(a->mean, b->mean, sizeof a->mean) &&
               !memcmp(a->std, b->std, sizeof a->std);
    for (int i = 0; i < a->n_blocks && same; i++) {
        const effad_block *x = &a->blocks[i], *y = &b->blocks[i];
        same = x->skip == y->skip && same_conv(&x->expand, &y->expand) && same_conv(&x->dw, &y->dw) &&
               same_conv(&x->se_reduce, &y->se_reduce) && same_conv(&x->se_expand, &y->se_expand) &&
               same_conv(&x->project, &y->project) && x->dw.pad_top == y->dw.pad_top && x->dw.pad_mode == y->dw.pad_mode;
    }
    for (int t = 0; t < a->n_taps && same; t++) same = a->taps[t].at == b->taps[t].at;
    return same;
}

static void test_efm_source(void)
{
    uint8_t *efm = 0, *onnx = 0, *back = 0;
    size_t n = 0, n_onnx = 0, n_back = 0;
    effad_error e = { 0 };
    demo_model_options o;
    demo_model_options_default(&o);
    o.tf_same = 1;   /* TensorFlow padding survives the trip too */
    CHECK(demo_model_build(&o, &efm, &n, &e) == EFFAD_OK);
    convert_options opt;
    memset(&opt, 0, sizeof opt);
    CHECK(efm && efm_source_is_efm(efm, n) && !efm_source_is_efm((const uint8_t *)"ONNX", 4));
    CHECK_MSG(efm && efm_source_to_onnx(efm, n, &opt, &onnx, &n_onnx, &e) == EFFAD_OK, "%s", e.msg);
    CHECK(opt.taps == CONVERT_TAPS_GRAPH && opt.set_norm);
    CHECK_MSG(onnx && effad_convert_onnx(onnx, n_onnx, &opt, &back, &n_back, 0, &e) == EFFAD_OK, "%s", e.msg);
    static effad_model a, b;
    void *ba = efm ? efm_load_copy(efm, n, &a) : 0, *bb = back ? efm_load_copy(back, n_back, &b) : 0;
    CHECK_MSG(ba && bb && same_model(&a, &b), "the demo model does not survive .efm -> ONNX -> .efm");
    free(ba); free(bb); free(efm); free(onnx); free(back);
}

/* ----------------------------------------------------------- refusals */

static void set_str(char **dst, const char *s)
{
    free(*dst);
    *dst = malloc(strlen(s) + 1);
    strcpy(*dst, s);
}

typedef void (*edit_fn)(onnx_model *m);

/* the first activation pair past the input (the stem conv's output) made
 * int16 with a zero point: effad's int16 activations are symmetric */
static void sixteen_bit(onnx_model *m)
{
    onnx_node *q = nth_op(m, "QuantizeLinear", 1);
    onnx_tensor *z = init_named(m, q->in[2]);
    int16_t *d = malloc(2 * z->count);
    for (size_t k = 0; k < z->count; k++) d[k] = (int16_t)(((uint8_t *)z->data)[k] + 1);
    free(z->data);
    z->data = d;
    z->dtype = ONNX_INT16;
}
static void per_channel_act(onnx_model *m)
{
    onnx_node *q = nth_op(m, "QuantizeLinear", 1);
    onnx_tensor *s = init_named(m, q->in[1]), *z = init_named(m, q->in[2]);
    float *sd = malloc(8); sd[0] = sd[1] = ((float *)s->data)[0];
    uint8_t *zd = malloc(2); zd[0] = zd[1] = ((uint8_t *)z->data)[0];
    free(s->data); free(z->data);
    s->data = sd; z->data = zd;
    s->ndim = z->ndim = 1; s->dims[0] = z->dims[0] = 2; s->count = z->count = 2;
}
/* weights of block 1's expand conv (the 5th Conv: stem, b0 dw, b0 SE x2, b0 project, b1 expand) */
static onnx_node *weight_dq(onnx_model *m, int conv)
{
    onnx_node *c = nth_op(m, "Conv", conv);
    for (int i = 0; i < m->n_node; i++)
        if (!strcmp(m->node[i].op_type, "DequantizeLinear") && !strcmp(m->node[i].out[0], c->in[1])) return &m->node[i];
    return 0;
}
static void asymmetric_weights(onnx_model *m)
{
    onnx_node *dq = weight_dq(m, 5);
    ((int8_t *)init_named(m, dq->in[2])->data)[0] = 3;
}
static void partial_block(onnx_model *m)
{
    onnx_node *dq = weight_dq(m, 5);
    onnx_tensor *w = init_named(m, dq->in[0]), *z = init_named(m, dq->in[2]);
    /* an int32 constant is a bias to the importer: the conv keeps float weights */
    int32_t *d = malloc(4 * w->count), *zd = malloc(4 * z->count);
    for (size_t k = 0; k < w->count; k++) d[k] = ((int8_t *)w->data)[k];
    for (size_t k = 0; k < z->count; k++) zd[k] = 0;
    free(w->data); free(z->data);
    w->data = d; w->dtype = ONNX_INT32;
    z->data = zd; z->dtype = ONNX_INT32;
}
static void requantise(onnx_model *m)
{
    onnx_node *q = nth_op(m, "QuantizeLinear", 3);
    for (int i = 0; i < m->n_node; i++)
        if (!strcmp(m->node[i].op_type, "DequantizeLinear") && !strcmp(m->node[i].in[0], q->out[0])) {
            /* the DQ reads a scale of its own, twice the Q's */
            onnx_tensor *s = init_named(m, q->in[1]);
            onnx_tensor *t = realloc(m->init, sizeof *t * (size_t)(m->n_init + 1));
            m->init = t;
            s = init_named(m, q->in[1]);
            onnx_tensor *n = &m->init[m->n_init++];
            *n = *s;
            n->name = malloc(16); strcpy(n->name, "other_scale");
            n->data = malloc(4); ((float *)n->data)[0] = 2 * ((float *)s->data)[0];
            set_str(&m->node[i].in[1], "other_scale");
            return;
        }
}
static void dq_of_input(onnx_model *m)
{
    for (int i = 0; i < m->n_node; i++)
        if (!strcmp(m->node[i].op_type, "DequantizeLinear") && strstr(m->node[i].in[0], "_QuantizeLinear_Output")) {
            set_str(&m->node[i].in[0], m->input[0].name);
            return;
        }
}
static void q_read_by_conv(onnx_model *m)
{
    onnx_node *q = nth_op(m, "QuantizeLinear", 2);
    onnx_node *c = nth_op(m, "Conv", 1);
    set_str(&c->in[0], q->out[0]);
}
/* block 1's depthwise output without its pair: the DQ becomes an
 * Identity of the float tensor, the Q is left unread */
static void missing_pair(onnx_model *m)
{
    onnx_node *dw = nth_op(m, "Conv", 6);
    /* its activation: Sigmoid + Mul; the Mul's output pair */
    const char *y = dw->out[0];
    onnx_node *mul = 0;
    for (int i = 0; i < m->n_node && !mul; i++)
        if (!strcmp(m->node[i].op_type, "Mul"))
            for (int k = 0; k < m->node[i].n_in; k++)
                if (strstr(m->node[i].in[k], y) == m->node[i].in[k] && strlen(m->node[i].in[k]) > strlen(y)) mul = &m->node[i];
    onnx_node *q = 0;
    for (int i = 0; i < m->n_node && mul && !q; i++)
        if (!strcmp(m->node[i].op_type, "QuantizeLinear") && !strcmp(m->node[i].in[0], mul->out[0])) q = &m->node[i];
    for (int i = 0; i < m->n_node && q; i++)
        if (!strcmp(m->node[i].op_type, "DequantizeLinear") && !strcmp(m->node[i].in[0], q->out[0])) {
            set_str(&m->node[i].op_type, "Identity");
            set_str(&m->node[i].in[0], q->in[0]);
            for (int k = 1; k < m->node[i].n_in; k++) free(m->node[i].in[k]);
            m->node[i].n_in = 1;
            return;
        }
}

static void test_refusals(void)
{
    static const struct { const char *what; edit_fn edit; const char *msg; } cases[] = {
        { "16-bit activation with a zero point", sixteen_bit, "symmetric: zero point 0" },
        { "per-channel activation", per_channel_act, "one per tensor" },
        { "asymmetric weights", asymmetric_weights, "asymmetric weights" },
        { "partial block", partial_block, "in 2 of its 3 convolutions" },
        { "requantisation", requantise, "does not undo" },
        { "DQ of the input", dq_of_input, "neither a constant nor" },
        { "Q read by a Conv", q_read_by_conv, "not a DequantizeLinear" },
        { "missing pair", missing_pair, "has no QuantizeLinear/DequantizeLinear pair" },
    };
    size_t n = 0;
    uint8_t *bytes = slurp("tests/int8/ort-qdq/tiny-tv-fold-u8.onnx", &n);
    CHECK(bytes != 0);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0] && bytes; i++) {
        onnx_model m;
        effad_error e = { 0 };
        if (onnx_model_read(bytes, n, &m, &e)) { CHECK_MSG(0, "%s", e.msg); break; }
        cases[i].edit(&m);
        convert_session *cs = 0;
        effad_status s = convert_open_model(&m, 0, &cs, 0, &e);
        CHECK_MSG(s == EFFAD_ERR_UNSUPPORTED, "%s: status %d (%s)", cases[i].what, (int)s, e.msg);
        CHECK_MSG(strstr(e.msg, cases[i].msg) != 0, "%s: \"%s\" lacks \"%s\"", cases[i].what, e.msg, cases[i].msg);
        convert_close(cs);
    }
    free(bytes);
}

/* A mixed graph (uint8 and 16x8 blocks, tests/int8/tiny-tv-fold-mx) whose
 * 16x8 block 5 lost the int16 pair on its input: refused with the tensor
 * named, nothing made up for the missing scale. */
static void test_mixed_missing_width(void)
{
    size_t n = 0;
    uint8_t *bytes = slurp("tests/int8/tiny-tv-fold-mx/qdq.onnx", &n);
    CHECK(bytes != 0);
    if (!bytes) return;
    onnx_model m;
    effad_error e = { 0 };
    CHECK(onnx_model_read(bytes, n, &m, &e) == EFFAD_OK);
    onnx_node *q = 0, *dq = 0;
    for (int i = 0; i < m.n_node; i++) {
        if (!strcmp(m.node[i].name, "b5.in.q")) q = &m.node[i];
        if (!strcmp(m.node[i].name, "b5.in.dq")) dq = &m.node[i];
    }
    CHECK(q && dq);
    if (q && dq) {
        /* the DequantizeLinear passes the uint8 view through instead */
        set_str(&dq->op_type, "Identity");
        set_str(&dq->in[0], q->in[0]);
        for (int k = 1; k < dq->n_in; k++) free(dq->in[k]);
        dq->n_in = 1;
        convert_session *cs = 0;
        const effad_status s = convert_open_model(&m, 0, &cs, 0, &e);
        CHECK_MSG(s == EFFAD_ERR_UNSUPPORTED, "status %d (%s)", (int)s, e.msg);
        CHECK_STR_CONTAINS(e.msg, "block 5 computes in int16, but its input");
        CHECK_STR_CONTAINS(e.msg, "has no int16 QuantizeLinear/DequantizeLinear pair");
        convert_close(cs);
    } else onnx_model_free(&m);
    free(bytes);
}

int main(void)
{
    test_ort_format("tiny-tv-fold-u8", "tiny-tv-fold", 0);
    test_ort_format("tiny-tv-op17-s8", "tiny-tv-op17", 128);
    test_round_trip("tests/int8/tiny-tv-fold");
    test_round_trip("tests/int8/tiny-lm-static");
    test_round_trip("tests/int8/tiny-tv-fold-a16");   /* int16 activations */
    test_round_trip("tests/int8/tiny-tv-fold-mx");    /* uint8 and 16x8 blocks, both boundaries */
    test_mixed_missing_width();
    test_efm_source();
    test_refusals();
    return check_done("qdq-import");
}
