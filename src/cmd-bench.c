/* effad bench: how fast one forward pass is, and where the time goes.
 *
 * Times R passes after W warm-ups on a fixed pseudo-random input (the
 * numbers do not depend on the values: no data-dependent branches in the
 * kernels) and prints median/min/mean. --layers attaches the runner's
 * profiling hook and splits the time by layer and by layer type; --json is
 * what bench/run.sh reads. The clock starts when the command starts, so
 * load_ms and first_ms are the in-process half of a cold start. */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/resource.h>
#include "cli.h"
#include "big-buffer.h"

static int help(void)
{
    printf("usage: effad bench MODEL.efm [options]\n"
           "  --threads N         worker threads, the caller included (default 1)\n"
           "  --runs R            timed passes (default 20)\n"
           "  --warmup W          untimed passes first (default 3)\n"
           "  --input-size H,W    input size other than the model's native one (old: --size)\n"
           "  --isa NAME          force a kernel path (also EFFAD_ISA)\n"
           "  --layers            per-layer profile and totals per layer type\n"
           "  --json              one JSON object on stdout instead of text\n");
    return 0;
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec * 1e-6;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* ------------------------------------------------------------ profile */

/* Time per (layer, block), summed over the timed passes; the hook charges
 * each stretch since its previous call to the part that just ended. */
typedef struct profile {
    int on;
    double last;
    double ms[EFFAD_LAYER_COUNT][EFFAD_MAX_BLOCKS];
} profile;

static void on_layer(void *ctx, effad_layer layer, int block)
{
    profile *p = ctx;
    double t = now_ms();
    if (p->on && (unsigned)layer < EFFAD_LAYER_COUNT && block >= 0 && block < EFFAD_MAX_BLOCKS)
        p->ms[layer][block] += t - p->last;
    p->last = t;
}

/* Layer types for the totals: what a kernel author would optimise. */
/* The three T_GEMM_* rows split T_GEMM (not added to the total again). */
enum { T_STEM, T_GEMM, T_DW3, T_DW5, T_DWK, T_FUSED, T_SE, T_TAPS, T_GEMM_EXPAND, T_GEMM_PROJECT,
       T_GEMM_HEAD, T_COUNT };
static const char *const type_names[T_COUNT] = {
    "stem conv", "1x1 conv (GEMM)", "depthwise 3x3", "depthwise 5x5", "depthwise other", "expand+depthwise",
    "squeeze-excite", "taps", "  expand (+act)", "  project (+gate,skip)", "  head (+act)"
};

static int dw_type(const effad_conv *c)
{
    return c->kh == 3 && c->kw == 3 ? T_DW3 : c->kh == 5 && c->kw == 5 ? T_DW5 : T_DWK;
}

typedef struct totals { double ms[T_COUNT]; long long macs[T_COUNT]; } totals;

/* Per-pass averages by type, with the multiply-accumulates each type does. */
static void type_totals(const effad_runner *r, const profile *p, int runs, totals *t)
{
    const effad_model *m = r->m;
    memset(t, 0, sizeof *t);
    const effad_geom sg = effad_stem_geom(r);
    int h = sg.out_h, w = sg.out_w;
    t->ms[T_STEM] = p->ms[EFFAD_LAYER_STEM][0];
    t->macs[T_STEM] = (long long)h * w * m->stem.cout * m->stem.cin / m->stem.groups * m->stem.kh * m->stem.kw;
    for (int i = 0; i < m->n_blocks; i++) {
        const effad_block *b = &m->blocks[i];
        const effad_geom gb = effad_block_geom(r, i), *g = &gb;
        long long in_px = (long long)h * w, out_px = (long long)g->out_h * g->out_w;
        int dt = dw_type(&b->dw);
        t->ms[T_GEMM_EXPAND] += p->ms[EFFAD_LAYER_EXPAND][i];
        t->ms[T_GEMM_PROJECT] += p->ms[EFFAD_LAYER_PROJECT][i];
        t->ms[dt] += p->ms[EFFAD_LAYER_DEPTHWISE][i];
        t->ms[T_FUSED] += p->ms[EFFAD_LAYER_EXPAND_DW][i];
        t->ms[T_SE] += p->ms[EFFAD_LAYER_SE][i];
        const long long ex_macs = b->expand.w.data ? in_px * b->in_c * b->mid_c : 0;
        const long long dw_macs = out_px * b->mid_c * b->dw.kh * b->dw.kw;
        if (effad_block_fused(r, i)) {
            t->macs[T_FUSED] += ex_macs + dw_macs;
        } else {
            t->macs[T_GEMM_EXPAND] += ex_macs;
            t->macs[dt] += dw_macs;
        }
        t->macs[T_GEMM_PROJECT] += out_px * b->mid_c * b->out_c;
        if (b->se_c) t->macs[T_SE] += 2LL * b->mid_c * b->se_c;
        h = g->out_h; w = g->out_w;
    }
    if (m->has_head) {
        t->ms[T_GEMM_HEAD] = p->ms[EFFAD_LAYER_HEAD][0];
        t->macs[T_GEMM_HEAD] = (long long)h * w * m->head.cin * m->head.cout;
    }
    for (int k = T_GEMM_EXPAND; k <= T_GEMM_HEAD; k++) { t->ms[T_GEMM] += t->ms[k]; t->macs[T_GEMM] += t->macs[k]; }
    for (int i = 0; i < EFFAD_MAX_BLOCKS; i++) t->ms[T_TAPS] += p->ms[EFFAD_LAYER_TAPS][i];
    for (int k = 0; k < T_COUNT; k++) t->ms[k] /= runs;
}

static void print_layers(FILE *f, const effad_runner *r, const profile *p, int runs)
{
    const effad_model *m = r->m;
    double total = 0;
    fprintf(f, "\nper layer, ms per pass (mean of %d):\n", runs);
    fprintf(f, "  %-5s %-3s %-4s %-11s %-9s %8s %8s %8s %8s %8s\n", "block", "k", "s", "in>mid>out", "out HxW",
            "expand", "dw", "se", "project", "sum");
    fprintf(f, "  %-5s %-3s %-4s %-11d %-9s %8s %8.3f\n", "stem", "", "", m->stem.cout, "", "",
            p->ms[EFFAD_LAYER_STEM][0] / runs);
    for (int i = 0; i < m->n_blocks; i++) {
        const effad_block *b = &m->blocks[i];
        double ex = p->ms[EFFAD_LAYER_EXPAND][i] / runs, dw = p->ms[EFFAD_LAYER_DEPTHWISE][i] / runs;
        double se = p->ms[EFFAD_LAYER_SE][i] / runs, pr = p->ms[EFFAD_LAYER_PROJECT][i] / runs;
        double fused = p->ms[EFFAD_LAYER_EXPAND_DW][i] / runs;
        char chans[40], hw[24], exs[24];
        snprintf(chans, sizeof chans, "%d>%d>%d", b->in_c, b->mid_c, b->out_c);
        const effad_geom g = effad_block_geom(r, i);
        snprintf(hw, sizeof hw, "%dx%d", g.out_h, g.out_w);
        /* a fused block's expand time is inside its dw column */
        if (effad_block_fused(r, i)) snprintf(exs, sizeof exs, "%8s", "(in dw)");
        else snprintf(exs, sizeof exs, "%8.3f", ex);
        fprintf(f, "  %-5d %-3d %-4d %-11s %-9s %s %8.3f %8.3f %8.3f %8.3f\n", i, b->dw.kh, b->dw.stride_h,
                chans, hw, exs, dw + fused, se, pr, ex + dw + fused + se + pr);
    }
    if (m->has_head)
        fprintf(f, "  %-5s %-3s %-4s %-11d %-9s %8.3f\n", "head", "", "", m->head.cout, "",
                p->ms[EFFAD_LAYER_HEAD][0] / runs);
    totals t;
    type_totals(r, p, runs, &t);
    for (int k = 0; k < T_GEMM_EXPAND; k++) total += t.ms[k];
    fprintf(f, "\nper layer type, ms per pass:\n  %-22s %9s %6s %10s %9s\n", "type", "ms", "%", "MMACs", "GMAC/s");
    static const int order[T_COUNT] = { T_STEM, T_GEMM, T_GEMM_EXPAND, T_GEMM_PROJECT, T_GEMM_HEAD, T_DW3, T_DW5,
                                        T_DWK, T_FUSED, T_SE, T_TAPS };
    for (int i = 0; i < T_COUNT; i++) {
        int k = order[i];
        if (t.ms[k] <= 0 && !t.macs[k]) continue;
        fprintf(f, "  %-22s %9.3f %5.1f%% %10.1f", type_names[k], t.ms[k], total > 0 ? 100 * t.ms[k] / total : 0,
                (double)t.macs[k] * 1e-6);
        if (t.macs[k] && t.ms[k] > 0) fprintf(f, " %9.2f", (double)t.macs[k] / (t.ms[k] * 1e6));
        fprintf(f, "\n");
    }
    fprintf(f, "  %-22s %9.3f\n", "total", total);
}

/* -------------------------------------------------------------- command */

int cmd_bench(int argc, char **argv)
{
    const double t0 = now_ms();
    const char *model = 0, *isa = 0;
    int threads = 1, runs = 20, warmup = 3, layers = 0, json = 0, h = 0, w = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : 0;
        if (cli_is_help(a)) return help();
        if (!strcmp(a, "--threads") && v) {
            if (!cli_int_option("bench", "--threads", v, 1, EFFAD_MAX_THREADS, &threads)) return 2;
            i++;
        } else if (!strcmp(a, "--runs") && v) {
            if (!cli_int_option("bench", "--runs", v, 1, 1000000, &runs)) return 2;
            i++;
        } else if (!strcmp(a, "--warmup") && v) {
            if (!cli_int_option("bench", "--warmup", v, 0, 1000000, &warmup)) return 2;
            i++;
        } else if (cli_opt_input_size(a) && v) {
            if (!cli_input_size("bench", a, v, &h, &w)) return 2;
            i++;
        } else if (!strcmp(a, "--isa") && v) { isa = v; i++; }
        else if (!strcmp(a, "--layers")) layers = 1;
        else if (!strcmp(a, "--json")) json = 1;
        else if (a[0] == '-') return cli_usage_error("bench", "unknown or incomplete option '%s'", a);
        else if (!model) model = a;
        else return cli_usage_error("bench", "unexpected argument '%s'", a);
    }
    if (!model) return cli_usage_error("bench", "need MODEL.efm%s", "");
    effad_error e = { 0 };
#ifndef EFFAD_HAVE_THREADS
    if (threads > 1) {
        effad_fail(&e, EFFAD_ERR_UNSUPPORTED, "--threads %d: this effad was built without threads (THREADS=0); "
                   "rebuild with make THREADS=1", threads);
        return cli_error("bench", &e);
    }
#endif
    const effad_kernel_set *k = cli_kernels(isa, &e);
    if (!k) return cli_error("bench", &e);
    effad_mapped_file mf;
    static effad_model m;
    if (cli_load_model(model, &mf, &m, &e)) return cli_error("bench", &e);
    if (!h) { h = m.in_h; w = m.in_w; }
    int rc = 1;
    void *arena = 0, *packed_buf = 0;
    float *input = 0, *outbuf = 0;
    double *times = 0;
#ifdef EFFAD_HAVE_THREADS
    effad_threads *pool = 0;
#endif
    static profile prof;
    effad_runner r;
    size_t arena_bytes;

    /* the 1x1 weights packed once, as the pipeline does (src/pipeline.c) */
    static effad_packed packed;
    const size_t packed_bytes = effad_packed_bytes(&m, k);
    const effad_plan_opts po = { .in_h = h, .in_w = w, .n_workers = threads, .map_taps = 0,
                                 .flags = packed_bytes ? EFFAD_PLAN_PREPACKED : 0 };
    if (effad_arena_bytes(&m, k, &po, &arena_bytes, &e)) goto fail;
    if (!(arena = big_buffer(arena_bytes))) { effad_fail(&e, EFFAD_ERR_NOMEM, "out of memory for the arena"); goto fail; }
    if (effad_runner_init(&r, &m, k, &po, arena, arena_bytes, &e)) goto fail;
    if (packed_bytes) {
        if (!(packed_buf = big_buffer(packed_bytes))) { effad_fail(&e, EFFAD_ERR_NOMEM, "out of memory for packed weights"); goto fail; }
        if (effad_pack(&packed, &m, k, packed_buf, packed_bytes, effad_file_release, &mf, &e)) goto fail;
        r.packed = &packed;
    }
#ifdef EFFAD_HAVE_THREADS
    if (threads > 1 && !(pool = effad_threads_create(threads, &e))) goto fail;
    r.threads = pool;
#endif
    size_t n_in = (size_t)m.in_c * h * w, total = 0;
    float *pooled[EFFAD_MAX_TAPS];
    for (int t = 0; t < m.n_taps; t++) total += (size_t)m.taps[t].channels;
    input = malloc(n_in * sizeof(float));
    outbuf = malloc((total + 1) * sizeof(float));
    times = malloc((size_t)runs * sizeof(double));
    if (!input || !outbuf || !times) { effad_fail(&e, EFFAD_ERR_NOMEM, "out of memory"); goto fail; }
    uint32_t seed = 2463534242u;       /* xorshift32: the same input every run */
    for (size_t i = 0; i < n_in; i++) {
        seed ^= seed << 13; seed ^= seed >> 17; seed ^= seed << 5;
        input[i] = (float)(seed >> 8) * (4.0f / 16777216.0f) - 2.0f;
    }
    for (int t = 0, off = 0; t < m.n_taps; off += m.taps[t].channels, t++) pooled[t] = outbuf + off;
    const double t_load = now_ms() - t0;

    if (layers) { r.on_layer = on_layer; r.on_layer_ctx = &prof; }
    double t_first = 0;
    for (int i = 0; i < warmup + runs; i++) {
        prof.on = i >= warmup;
        double a = now_ms();
        prof.last = a;
        if (effad_run(&r, input, pooled, &e)) goto fail;
        double b = now_ms();
        if (i == 0) t_first = b - t0;
        if (i >= warmup) times[i - warmup] = b - a;
    }

    double sum = 0, mn = times[0];
    for (int i = 0; i < runs; i++) { sum += times[i]; if (times[i] < mn) mn = times[i]; }
    double *sorted = malloc((size_t)runs * sizeof(double));
    if (!sorted) { effad_fail(&e, EFFAD_ERR_NOMEM, "out of memory"); goto fail; }
    memcpy(sorted, times, (size_t)runs * sizeof(double));
    qsort(sorted, (size_t)runs, sizeof(double), cmp_double);
    double med = runs % 2 ? sorted[runs / 2] : 0.5 * (sorted[runs / 2 - 1] + sorted[runs / 2]);
    free(sorted);
    struct rusage ru;
    long rss_kb = getrusage(RUSAGE_SELF, &ru) ? -1 : ru.ru_maxrss;   /* Linux: KiB */
    long long macs = effad_model_macs(&m, h, w);

    if (json) {
        printf("{\"tool\":\"effad\",\"model\":\"%s\",\"variant\":\"%s\",\"isa\":\"%s\",\"threads\":%d,"
               "\"in_h\":%d,\"in_w\":%d,\"runs\":%d,\"warmup\":%d,\"median_ms\":%.4f,\"min_ms\":%.4f,"
               "\"mean_ms\":%.4f,\"per_s\":%.3f,\"load_ms\":%.3f,\"first_ms\":%.3f,\"peak_rss_kb\":%ld,"
               "\"arena_bytes\":%zu,\"macs\":%lld,\"times_ms\":[",
               model, m.variant, effad_kernels_name(k), threads, h, w, runs, warmup, med, mn, sum / runs, 1e3 / med, t_load,
               t_first, rss_kb, arena_bytes, macs);
        for (int i = 0; i < runs; i++) printf("%s%.4f", i ? "," : "", times[i]);
        printf("]");
        if (layers) {
            totals t;
            type_totals(&r, &prof, runs, &t);
            printf(",\"layer_types\":{");
            for (int i = 0; i < T_COUNT; i++)
                printf("%s\"%s\":{\"ms\":%.4f,\"macs\":%lld}", i ? "," : "",
                       type_names[i] + (type_names[i][0] == ' ' ? 2 : 0), t.ms[i], t.macs[i]);
            printf("}");
        }
        printf("}\n");
    } else {
        printf("%s (%s) %dx%d, %s, %d thread%s, %.2f GMACs\n", model, m.variant, h, w, effad_kernels_name(k), threads,
               threads > 1 ? "s" : "", (double)macs * 1e-9);
        printf("  %d runs after %d warm-up: median %.3f ms, min %.3f ms, mean %.3f ms, %.1f inferences/s\n",
               runs, warmup, med, mn, sum / runs, 1e3 / med);
        printf("  start -> model loaded %.2f ms, -> first inference done %.2f ms; peak RSS %.1f MiB, arena %.1f MiB\n",
               t_load, t_first, rss_kb / 1024.0, arena_bytes / 1048576.0);
        if (layers) print_layers(stdout, &r, &prof, runs);
    }
    rc = 0;
fail:
    if (rc) cli_error("bench", &e);
#ifdef EFFAD_HAVE_THREADS
    effad_threads_destroy(pool);
#endif
    free(times); free(outbuf); free(input); free(arena); free(packed_buf);
    effad_file_unmap(&mf);
    return rc;
}
