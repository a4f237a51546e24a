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
 * A float32 model becomes the float32 graph effad runs, node for node
 * (xnn-graph-f32.c); an all-int8 one the QS8 graph TensorFlow Lite runs for
 * a fully quantised network (xnn-graph-qs8.c). Geometry (the pads of every
 * convolution) comes from effad's own plan at the model's native size. The
 * outputs are the model's taps, as effad's are; ONNX Runtime runs the
 * classifier after the head instead (bench/ort-bench.js), a few hundred
 * microseconds.
 *
 * --check runs effad (its best kernels) and XNNPACK once each on the same
 * input and compares every tap's spatial mean, so that a timing is never of
 * a graph that computes something else: float32 must be within 1e-4 of the
 * tap's largest magnitude everywhere; int8, which the two round differently
 * (XNNPACK's fixed-point requantisation and int8 pre-activations, effad's
 * float epilogue), must keep the last tap's cosine with effad's at least
 * 0.9 (B0 on the demo calibration: 0.988-0.9997 over the taps). Exit 1
 * otherwise.
 *
 * Prints one JSON object with the keys of `effad bench --json` (tool
 * "xnnpack"). The input is the same pseudo-random tensor effad bench and
 * ort-bench.js use (quantised for the QS8 graph). XNNPACK picks its kernels
 * from the CPU it sees, through cpuinfo; under bench/hide-avx512.so, with
 * libXNNPACK and libcpuinfo copied and patched by `bench/ort-as-avx2.py
 * --libs`, it sees an AVX2-only CPU.
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <pthreadpool.h>
#include "xnn-graph.h"

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

/* ------------------------------------------------------ the builder */

void *xnn_builder_keep(xnn_builder *b, size_t bytes)
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

void xnn_builder_check(xnn_builder *b, enum xnn_status s, const char *what)
{
    if (s != xnn_status_success && !b->failed) { b->failed = 1; b->why = what; }
}

void xnn_builder_free(xnn_builder *b)
{
    for (int i = 0; i < b->n_owned; i++) free(b->owned[i]);
    free(b->owned);
    b->owned = 0; b->n_owned = b->cap_owned = 0;
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
    const int q8 = m.quantised;
    const char *no = q8 ? xnn_qs8_unsupported(&m) : xnn_f32_unsupported(&m);
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
    xnn_builder b = { 0 };
    b.m = &m;
    for (int t = 0; t < m.n_taps; t++) b.tap_of_at[m.taps[t].at] = (uint32_t)(1 + t);
    if (xnn_create_subgraph((uint32_t)(1 + m.n_taps), 0, &b.g) != xnn_status_success)
        return fail("XNNPACK", "xnn_create_subgraph failed");
    if (q8) xnn_qs8_build(&b, &r);
    else xnn_f32_build(&b, &r);
    if (b.failed) return fail(model, b.why);
    pthreadpool_t pool = threads > 1 ? pthreadpool_create((size_t)threads) : 0;
    xnn_runtime_t rt = 0;
    if (xnn_create_runtime_v2(b.g, pool, 0, &rt) != xnn_status_success) return fail(model, "xnn_create_runtime_v2 failed");

    /* input: effad bench's xorshift32 tensor, CHW for effad, NHWC here
     * (int8 for the QS8 graph, quantised as its input says) */
    const int H = m.in_h, W = m.in_w, C = m.in_c;
    const size_t n_in = (size_t)H * W * C, elem = q8 ? 1 : sizeof(float);
    float *chw = malloc(n_in * sizeof(float));
    void *nhwc = malloc(n_in * elem);
    void *outs[EFFAD_MAX_TAPS] = { 0 };
    size_t out_n[EFFAD_MAX_TAPS] = { 0 };
    struct xnn_external_value ext[1 + EFFAD_MAX_TAPS];
    if (!chw || !nhwc) return fail(model, "out of memory");
    uint32_t seed = 2463534242u;
    for (size_t i = 0; i < n_in; i++) {
        seed ^= seed << 13; seed ^= seed >> 17; seed ^= seed << 5;
        chw[i] = (float)(seed >> 8) * (4.0f / 16777216.0f) - 2.0f;
    }
    float in_scale = 1.0f;
    int32_t in_zero = 0;
    if (q8) xnn_qs8_input(&in_scale, &in_zero);
    for (int c = 0; c < C; c++)
        for (size_t p = 0; p < (size_t)H * W; p++) {
            const float v = chw[(size_t)c * H * W + p];
            if (!q8) { ((float *)nhwc)[p * C + (size_t)c] = v; continue; }
            const float q = nearbyintf(v / in_scale) + (float)in_zero;
            ((int8_t *)nhwc)[p * C + (size_t)c] = (int8_t)(q < -128.0f ? -128.0f : q > 127.0f ? 127.0f : q);
        }
    ext[0].id = 0; ext[0].data = nhwc;
    for (int t = 0; t < m.n_taps; t++) {
        int c, h, w;
        effad_tap_shape(&r, t, &c, &h, &w);   /* the map at the tap's position */
        out_n[t] = (size_t)h * w * c;
        if (!(outs[t] = malloc(out_n[t] * elem))) return fail(model, "out of memory");
        ext[1 + t].id = (uint32_t)(1 + t); ext[1 + t].data = outs[t];
    }
    if (xnn_setup_runtime(rt, (size_t)(1 + m.n_taps), ext) != xnn_status_success)
        return fail(model, "xnn_setup_runtime failed");
    const double t_load = now_ms() - t0;

    if (check_only) {
        /* effad's pooled taps against the spatial means of XNNPACK's maps:
         * float32 within 1e-4 of the largest; int8, whose two graphs round
         * differently (XNNPACK's fixed-point requantisation and pre-swish
         * int8 values, effad's float epilogue), by the cosine of the pooled
         * vectors, at least 0.9 for the last tap -- a check of the graph's
         * structure, not of its numbers */
        float *pooled[EFFAD_MAX_TAPS];
        for (int t = 0; t < m.n_taps; t++)
            if (!(pooled[t] = malloc((size_t)m.taps[t].channels * sizeof(float)))) return fail(model, "out of memory");
        if (effad_run(&r, chw, pooled, &e)) return fail(model, e.msg);
        if (xnn_invoke_runtime(rt) != xnn_status_success) return fail(model, "xnn_invoke_runtime failed");
        int bad = 0;
        for (int t = 0; t < m.n_taps; t++) {
            const int c = m.taps[t].channels;
            const size_t px = out_n[t] / (size_t)c;
            float sc = 1.0f;
            int32_t z = 0;
            if (q8) xnn_qs8_tap(&b, t, &sc, &z);
            double worst = 0, big = 0, dot = 0, nx = 0, ne = 0;
            for (int ch = 0; ch < c; ch++) {
                double s = 0;
                for (size_t p = 0; p < px; p++) {
                    const size_t i = p * (size_t)c + (size_t)ch;
                    s += q8 ? sc * ((double)((const int8_t *)outs[t])[i] - z) : ((const float *)outs[t])[i];
                }
                const double x = s / (double)px, y = pooled[t][ch];
                if (fabs(x - y) > worst) worst = fabs(x - y);
                if (fabs(y) > big) big = fabs(y);
                dot += x * y; nx += x * x; ne += y * y;
            }
            const double rel = big > 0 ? worst / big : worst, cosine = nx > 0 && ne > 0 ? dot / sqrt(nx * ne) : 0;
            printf("tap %d (%s, %d channels): max |xnnpack - effad| %.3g = %.3g of the largest, cosine %.6f\n", t,
                   m.taps[t].name, c, worst, rel, cosine);
            if (q8 ? t == m.n_taps - 1 && !(cosine >= 0.9) : !(rel < 1e-4)) bad = 1;
        }
        if (bad)
            fprintf(stderr, "xnn-bench: %s: XNNPACK's graph differs from effad's (%s)\n", model,
                    q8 ? "cosine of the last tap below 0.9" : "by more than 1e-4");
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
    xnn_builder_free(&b);
    for (int t = 0; t < m.n_taps; t++) free(outs[t]);
    free(times); free(sorted); free(chw); free(nhwc); free(arena);
    effad_file_unmap(&mf);
    return 0;
}
