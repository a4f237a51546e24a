/*
 * xnn-bench.c -- XNNPACK's side of `make bench`: the network of an effad
 * .efm model built as an XNNPACK subgraph and timed as `effad bench --json`
 * times effad, so that the bench can set effad beside TensorFlow Lite's CPU
 * backend as well as beside ONNX Runtime. Not part of the product: it links
 * Debian's libXNNPACK (libxnnpack-dev, libpthreadpool-dev) and effad's
 * library, and lives here, in bench/, for that reason.
 *
 *   make xnn-bench
 *   build/bench/xnn-bench MODEL.efm [--threads N] [--runs R] [--warmup W] [--check]
 *
 * The graph is the one effad runs (engine/forward.c), node for node in
 * XNNPACK's own operators, NHWC float32: the stem convolution, then per
 * block the expand 1x1, the depthwise kxk, squeeze-excite (global average
 * pooling, two 1x1 convolutions, a broadcast multiply), the projection and
 * the skip add, then the head. Swish is Sigmoid then Multiply, as
 * TensorFlow Lite's XNNPACK delegate runs a LOGISTIC + MUL pair. Geometry
 * (the pads of every convolution) comes from effad's own plan at the model's
 * native size, the weights from the .efm, transposed where XNNPACK's
 * filter layout ([out][kh][kw][in]) differs from effad's. The outputs are
 * the model's taps, as effad's are; ONNX Runtime runs the classifier after
 * the head instead (bench/ort-bench.js), a few hundred microseconds.
 *
 * --check runs effad (its best kernels) and XNNPACK once each on the same
 * input and compares every tap's spatial mean: the largest difference
 * against the tap's largest magnitude must be below 1e-4, else exit 1 --
 * so a timing is never of a graph that computes something else.
 *
 * Prints one JSON object with the keys of `effad bench --json` (tool
 * "xnnpack"). The input is the same pseudo-random tensor effad bench and
 * ort-bench.js use. XNNPACK picks its kernels from the CPU it sees (through
 * cpuinfo); under bench/hide-avx512.so, with libXNNPACK and libcpuinfo
 * copied and patched by bench/ort-as-avx2.py, it sees an AVX2-only CPU.
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <pthreadpool.h>
#include <xnnpack.h>
#include "effad.h"

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec * 1e-6;
}

static int fail(const char *what, const char *why)
{
    fprintf(stderr, "xnn-bench: %s: %s\n", what, why);
    return 1;
}

/* ---------------------------------------------------------- the graph */

/* Weights XNNPACK reads in place for the life of the runtime: the
 * transposed copies are kept here and freed at the end. */
typedef struct builder {
    xnn_subgraph_t g;
    const effad_model *m;
    void **owned; int n_owned, cap_owned;
    uint32_t tap_of_at[EFFAD_MAX_BLOCKS + 2];   /* external id + 1 of the tap at a position, 0 if none */
    int failed;
    const char *why;
} builder;

static void *keep(builder *b, size_t bytes)
{
    if (b->n_owned == b->cap_owned) {
        int cap = b->cap_owned ? 2 * b->cap_owned : 64;
        void **p = realloc(b->owned, (size_t)cap * sizeof *p);
        if (!p) return 0;
        b->owned = p; b->cap_owned = cap;
    }
    void *p = malloc(bytes ? bytes : 1);
    if (p) b->owned[b->n_owned++] = p;
    return p;
}

static void check(builder *b, enum xnn_status s, const char *what)
{
    if (s != xnn_status_success && !b->failed) { b->failed = 1; b->why = what; }
}

/* A 4-D NHWC value: internal, or the external output of the tap at
 * position `at` (-1: none). */
static uint32_t value(builder *b, int h, int w, int c, int at)
{
    const size_t dims[4] = { 1, (size_t)h, (size_t)w, (size_t)c };
    uint32_t ext = XNN_INVALID_VALUE_ID, flags = 0, id = XNN_INVALID_VALUE_ID;
    if (at >= 0 && b->tap_of_at[at]) { ext = b->tap_of_at[at]; flags = XNN_VALUE_FLAG_EXTERNAL_OUTPUT; }
    check(b, xnn_define_tensor_value(b->g, xnn_datatype_fp32, 4, dims, 0, ext, flags, &id), "tensor value");
    return id;
}

static uint32_t constant(builder *b, size_t n_dims, const size_t *dims, const void *data)
{
    uint32_t id = XNN_INVALID_VALUE_ID;
    check(b, xnn_define_tensor_value(b->g, xnn_datatype_fp32, n_dims, dims, data, XNN_INVALID_VALUE_ID, 0, &id),
          "constant");
    return id;
}

static uint32_t bias_of(builder *b, const effad_conv *c)
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

static uint32_t activate(builder *b, const effad_conv *c, uint32_t x, int h, int w, int ch, int at)
{
    if (c->act != EFFAD_ACT_SIGMOID && c->act != EFFAD_ACT_SWISH) return x;
    const int swish = c->act == EFFAD_ACT_SWISH;
    const uint32_t s = value(b, h, w, ch, swish ? -1 : at);
    check(b, xnn_define_sigmoid(b->g, x, s, 0), "sigmoid");
    if (!swish) return s;
    const uint32_t y = value(b, h, w, ch, at);
    check(b, xnn_define_multiply2(b->g, -INFINITY, INFINITY, x, s, y, 0), "swish multiply");
    return y;
}

static int supported_act(const effad_conv *c)
{
    return c->act == EFFAD_ACT_NONE || c->act == EFFAD_ACT_RELU || c->act == EFFAD_ACT_CLIP ||
           c->act == EFFAD_ACT_SIGMOID || c->act == EFFAD_ACT_SWISH;
}

/* A general convolution (the stem): effad's [kh][kw][cin][cout] weights as
 * XNNPACK's [cout][kh][kw][cin]. */
static uint32_t conv_kxk(builder *b, const effad_conv *c, const effad_geom *gm, uint32_t x, int at)
{
    const int kh = c->kh, kw = c->kw, ci = c->cin, co = c->cout;
    const float *w = c->w.data;
    float *t = keep(b, (size_t)kh * kw * ci * co * sizeof(float));
    if (!t) { check(b, xnn_status_out_of_memory, "stem weights"); return x; }
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
    check(b, xnn_define_convolution_2d(b->g, (uint32_t)gm->pad_top, (uint32_t)gm->pad_right, (uint32_t)gm->pad_bottom,
                                       (uint32_t)gm->pad_left, (uint32_t)kh, (uint32_t)kw, (uint32_t)c->stride_h,
                                       (uint32_t)c->stride_w, (uint32_t)c->dil_h, (uint32_t)c->dil_w, 1, (size_t)ci,
                                       (size_t)co, lo, hi, x, constant(b, 4, fd, t), bias_of(b, c), y, 0),
          "stem convolution");
    return activate(b, c, y, gm->out_h, gm->out_w, co, at);
}

/* A 1x1 convolution on an h x w map: effad's [cin][cout] as [cout][1][1][cin]. */
static uint32_t conv_1x1(builder *b, const effad_conv *c, uint32_t x, int h, int w, int at)
{
    const int ci = c->cin, co = c->cout;
    const float *wt = c->w.data;
    float *t = keep(b, (size_t)ci * co * sizeof(float));
    if (!t) { check(b, xnn_status_out_of_memory, "1x1 weights"); return x; }
    for (int i = 0; i < ci; i++)
        for (int o = 0; o < co; o++) t[(size_t)o * ci + i] = wt[(size_t)i * co + o];
    const size_t fd[4] = { (size_t)co, 1, 1, (size_t)ci };
    float lo, hi;
    act_bounds(c, &lo, &hi);
    const int pre = c->act == EFFAD_ACT_SIGMOID || c->act == EFFAD_ACT_SWISH;
    const uint32_t y = value(b, h, w, co, pre ? -1 : at);
    check(b, xnn_define_convolution_2d(b->g, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, (size_t)ci, (size_t)co, lo, hi, x,
                                       constant(b, 4, fd, t), bias_of(b, c), y, 0),
          "1x1 convolution");
    return activate(b, c, y, h, w, co, at);
}

/* Squeeze-excite's 1x1 on the pooled vector: effad's [rc][c] and [c][rc]
 * are already [out][1][1][in]. */
static uint32_t conv_vec(builder *b, const effad_conv *c, uint32_t x)
{
    const size_t fd[4] = { (size_t)c->cout, 1, 1, (size_t)c->cin };
    float lo, hi;
    act_bounds(c, &lo, &hi);
    const uint32_t y = value(b, 1, 1, c->cout, -1);
    check(b, xnn_define_convolution_2d(b->g, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, (size_t)c->cin, (size_t)c->cout, lo, hi,
                                       x, constant(b, 4, fd, c->w.data), bias_of(b, c), y, 0),
          "squeeze-excite convolution");
    return activate(b, c, y, 1, 1, c->cout, -1);
}

/* Depthwise kxk: effad's [kh][kw][c] is XNNPACK's [1][kh][kw][c]. */
static uint32_t conv_dw(builder *b, const effad_conv *c, const effad_geom *gm, uint32_t x)
{
    const size_t fd[4] = { 1, (size_t)c->kh, (size_t)c->kw, (size_t)c->cout };
    float lo, hi;
    act_bounds(c, &lo, &hi);
    const uint32_t y = value(b, gm->out_h, gm->out_w, c->cout, -1);
    check(b, xnn_define_depthwise_convolution_2d(b->g, (uint32_t)gm->pad_top, (uint32_t)gm->pad_right,
                                                 (uint32_t)gm->pad_bottom, (uint32_t)gm->pad_left, (uint32_t)c->kh,
                                                 (uint32_t)c->kw, (uint32_t)c->stride_h, (uint32_t)c->stride_w,
                                                 (uint32_t)c->dil_h, (uint32_t)c->dil_w, 1, (size_t)c->cin, lo, hi, x,
                                                 constant(b, 4, fd, c->w.data), bias_of(b, c), y, 0),
          "depthwise convolution");
    return activate(b, c, y, gm->out_h, gm->out_w, c->cout, -1);
}

/* Whether this program can build model m (float32, the operators above);
 * else why not. */
static const char *unsupported(const effad_model *m)
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

/* The whole network, input external id 0, tap t's output external id 1 + t. */
static void build(builder *b, const effad_runner *r)
{
    const effad_model *m = b->m;
    const int h0 = r->in_h, w0 = r->in_w;
    uint32_t x = XNN_INVALID_VALUE_ID;
    const size_t in_dims[4] = { 1, (size_t)h0, (size_t)w0, (size_t)m->in_c };
    check(b, xnn_define_tensor_value(b->g, xnn_datatype_fp32, 4, in_dims, 0, 0, XNN_VALUE_FLAG_EXTERNAL_INPUT, &x),
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
            check(b, xnn_define_global_average_pooling_2d(b->g, -INFINITY, INFINITY, d, p, 0), "squeeze");
            const uint32_t gate = conv_vec(b, &k->se_expand, conv_vec(b, &k->se_reduce, p));
            const uint32_t dg = value(b, g.out_h, g.out_w, k->mid_c, -1);
            check(b, xnn_define_multiply2(b->g, -INFINITY, INFINITY, d, gate, dg, 0), "excite");
            d = dg;
        }
        uint32_t y = conv_1x1(b, &k->project, d, g.out_h, g.out_w, k->skip ? -1 : 1 + i);
        if (k->skip) {
            const uint32_t s = value(b, g.out_h, g.out_w, k->out_c, 1 + i);
            check(b, xnn_define_add2(b->g, -INFINITY, INFINITY, y, x, s, 0), "skip add");
            y = s;
        }
        x = y; h = g.out_h; w = g.out_w;
    }
    if (m->has_head) conv_1x1(b, &m->head, x, h, w, m->n_blocks + 1);
}

/* ----------------------------------------------------------- the run */

static int cmp_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    const double t0 = now_ms();
    const char *model = 0;
    int threads = 1, runs = 20, warmup = 3, check_only = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : 0;
        if (!strcmp(a, "--threads") && v) { threads = atoi(v); i++; }
        else if (!strcmp(a, "--runs") && v) { runs = atoi(v); i++; }
        else if (!strcmp(a, "--warmup") && v) { warmup = atoi(v); i++; }
        else if (!strcmp(a, "--check")) check_only = 1;
        else if (a[0] != '-' && !model) model = a;
        else {
            fprintf(stderr, "usage: xnn-bench MODEL.efm [--threads N] [--runs R] [--warmup W] [--check]\n");
            return 2;
        }
    }
    if (!model || threads < 1 || runs < 1 || warmup < 0) {
        fprintf(stderr, "usage: xnn-bench MODEL.efm [--threads N] [--runs R] [--warmup W] [--check]\n");
        return 2;
    }

    effad_error e = { 0 };
    effad_mapped_file mf;
    static effad_model m;
    if (effad_file_map(model, &mf, &e)) return fail("load", e.msg);   /* the message names the file */
    if (effad_model_load(&m, mf.bytes, mf.n_bytes, &e)) return fail(model, e.msg);
    const char *no = unsupported(&m);
    if (no) return fail(model, no);

    /* effad's plan gives the geometry; with --check it also runs */
    const effad_kernel_set *k = 0;
    if (effad_kernels_select(0, &k, &e)) return fail("kernels", e.msg);
    const effad_plan_opts po = { .in_h = m.in_h, .in_w = m.in_w, .n_workers = 1 };
    size_t arena_bytes = 0;
    if (effad_arena_bytes(&m, k, &po, &arena_bytes, &e)) return fail(model, e.msg);
    void *arena = 0;
    if (check_only && posix_memalign(&arena, 64, arena_bytes)) return fail(model, "out of memory for effad's arena");
    effad_runner r;
    if (effad_runner_init(&r, &m, k, &po, arena, check_only ? arena_bytes : 0, &e)) return fail(model, e.msg);

    if (xnn_initialize(0) != xnn_status_success) return fail("XNNPACK", "xnn_initialize failed (CPU not supported?)");
    builder b = { 0 };
    b.m = &m;
    for (int t = 0; t < m.n_taps; t++) b.tap_of_at[m.taps[t].at] = (uint32_t)(1 + t);
    if (xnn_create_subgraph((uint32_t)(1 + m.n_taps), 0, &b.g) != xnn_status_success)
        return fail("XNNPACK", "xnn_create_subgraph failed");
    build(&b, &r);
    if (b.failed) return fail(model, b.why);
    pthreadpool_t pool = threads > 1 ? pthreadpool_create((size_t)threads) : 0;
    xnn_runtime_t rt = 0;
    if (xnn_create_runtime_v2(b.g, pool, 0, &rt) != xnn_status_success) return fail(model, "xnn_create_runtime_v2 failed");

    /* input: effad bench's xorshift32 tensor, CHW for effad, NHWC here */
    const int H = m.in_h, W = m.in_w, C = m.in_c;
    const size_t n_in = (size_t)H * W * C;
    float *chw = malloc(n_in * sizeof(float)), *nhwc = malloc(n_in * sizeof(float));
    float *outs[EFFAD_MAX_TAPS] = { 0 };
    size_t out_n[EFFAD_MAX_TAPS] = { 0 };
    struct xnn_external_value ext[1 + EFFAD_MAX_TAPS];
    if (!chw || !nhwc) return fail(model, "out of memory");
    uint32_t seed = 2463534242u;
    for (size_t i = 0; i < n_in; i++) {
        seed ^= seed << 13; seed ^= seed >> 17; seed ^= seed << 5;
        chw[i] = (float)(seed >> 8) * (4.0f / 16777216.0f) - 2.0f;
    }
    for (int c = 0; c < C; c++)
        for (size_t p = 0; p < (size_t)H * W; p++) nhwc[p * C + (size_t)c] = chw[(size_t)c * H * W + p];
    ext[0].id = 0; ext[0].data = nhwc;
    for (int t = 0; t < m.n_taps; t++) {
        int c, h, w;
        effad_tap_shape(&r, t, &c, &h, &w);   /* the map at the tap's position */
        out_n[t] = (size_t)h * w * c;
        if (!(outs[t] = malloc(out_n[t] * sizeof(float)))) return fail(model, "out of memory");
        ext[1 + t].id = (uint32_t)(1 + t); ext[1 + t].data = outs[t];
    }
    if (xnn_setup_runtime(rt, (size_t)(1 + m.n_taps), ext) != xnn_status_success)
        return fail(model, "xnn_setup_runtime failed");
    const double t_load = now_ms() - t0;

    if (check_only) {
        /* effad's pooled taps against the spatial means of XNNPACK's maps */
        float *pooled[EFFAD_MAX_TAPS];
        for (int t = 0; t < m.n_taps; t++)
            if (!(pooled[t] = malloc((size_t)m.taps[t].channels * sizeof(float)))) return fail(model, "out of memory");
        if (effad_run(&r, chw, pooled, &e)) return fail(model, e.msg);
        if (xnn_invoke_runtime(rt) != xnn_status_success) return fail(model, "xnn_invoke_runtime failed");
        int bad = 0;
        for (int t = 0; t < m.n_taps; t++) {
            const int c = m.taps[t].channels;
            const size_t px = out_n[t] / (size_t)c;
            double worst = 0, big = 0;
            for (int ch = 0; ch < c; ch++) {
                double s = 0;
                for (size_t p = 0; p < px; p++) s += outs[t][p * (size_t)c + (size_t)ch];
                const double d = fabs(s / (double)px - pooled[t][ch]);
                if (d > worst) worst = d;
                if (fabs(pooled[t][ch]) > big) big = fabs(pooled[t][ch]);
            }
            const double rel = big > 0 ? worst / big : worst;
            printf("tap %d (%s, %d channels): max |xnnpack - effad| %.3g = %.3g of the largest\n", t, m.taps[t].name,
                   c, worst, rel);
            if (!(rel < 1e-4)) bad = 1;
        }
        if (bad) fprintf(stderr, "xnn-bench: %s: XNNPACK's graph differs from effad's by more than 1e-4\n", model);
        return bad;
    }

    double *times = malloc((size_t)runs * sizeof(double)), t_first = 0;
    if (!times) return fail(model, "out of memory");
    for (int i = 0; i < warmup + runs; i++) {
        const double a = now_ms();
        if (xnn_invoke_runtime(rt) != xnn_status_success) return fail(model, "xnn_invoke_runtime failed");
        const double z = now_ms();
        if (i == 0) t_first = z - t0;
        if (i >= warmup) times[i - warmup] = z - a;
    }
    double mean = 0;
    for (int i = 0; i < runs; i++) mean += times[i];
    mean /= runs;
    double *sorted = malloc((size_t)runs * sizeof(double));
    if (!sorted) return fail(model, "out of memory");
    memcpy(sorted, times, (size_t)runs * sizeof(double));
    qsort(sorted, (size_t)runs, sizeof(double), cmp_double);
    const double median = runs % 2 ? sorted[runs / 2] : 0.5 * (sorted[runs / 2 - 1] + sorted[runs / 2]);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("{\"tool\":\"xnnpack\",\"model\":\"%s\",\"threads\":%d,\"in_h\":%d,\"in_w\":%d,\"runs\":%d,\"warmup\":%d,"
           "\"median_ms\":%.4f,\"min_ms\":%.4f,\"mean_ms\":%.4f,\"per_s\":%.3f,\"load_ms\":%.3f,\"first_ms\":%.3f,"
           "\"peak_rss_kb\":%ld,\"times_ms\":[",
           model, threads, H, W, runs, warmup, median, sorted[0], mean, 1e3 / median, t_load, t_first, ru.ru_maxrss);
    for (int i = 0; i < runs; i++) printf("%s%.4f", i ? "," : "", times[i]);
    printf("]}\n");

    xnn_delete_runtime(rt);
    xnn_delete_subgraph(b.g);
    if (pool) pthreadpool_destroy(pool);
    for (int i = 0; i < b.n_owned; i++) free(b.owned[i]);
    free(b.owned);
    for (int t = 0; t < m.n_taps; t++) free(outs[t]);
    free(times); free(sorted); free(chw); free(nhwc); free(arena);
    effad_file_unmap(&mf);
    return 0;
}
