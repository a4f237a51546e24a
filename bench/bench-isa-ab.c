/*
 * bench-isa-ab.c -- one model on two kernel tables in one process: forward
 * passes alternate between the tables (which one goes first flips every
 * pass), and each layer's figure is its minimum over the passes, so a
 * neighbour on the shared 2-vCPU machine that steals a pass or two hits
 * both tables alike and drops out. Also says whether the two tables' pooled
 * outputs are bit-identical. Not part of `make test`. Build and run (after
 * `make`):
 *
 *   cc -std=c11 -D_POSIX_C_SOURCE=200809L -O2 -Iengine -Iops -o build/bench-isa-ab bench/bench-isa-ab.c build/libeffad.a -lm -pthread
 *   build/bench-isa-ab MODEL.efm [passes] [isa-a] [isa-b] [blocks]   (default 40 avx2 avx512)
 *
 * `blocks` also lists each block's layers (per-layer minima, ms) for both
 * tables, to set beside `node bench/ort-profile.js ... --blocks`.
 *
 * `sum` adds the per-layer minima (the pass a quiet machine would give);
 * `pass` is the minimum whole pass, which noise reaches less often.
 *
 * Each side packs its 1x1 weights once, on huge pages where the kernel
 * grants them, as `effad bench` and the pipeline do: without that every
 * pass packed B into the runner's buffer, so the GEMMs read B from cache
 * where production streams it from memory (70 MB per B4 pass), and a
 * change to how B is fetched measured as nothing.
 */
#define _DEFAULT_SOURCE 1   /* madvise */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include "effad.h"

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec * 1e-6;
}

typedef struct side {
    effad_runner r;
    effad_packed packed;
    double last, cur[EFFAD_LAYER_COUNT][EFFAD_MAX_BLOCKS], best[EFFAD_LAYER_COUNT][EFFAD_MAX_BLOCKS], pass;
    float *out, *pooled[EFFAD_MAX_TAPS];
} side;

static void on_layer(void *ctx, effad_layer layer, int block)
{
    side *s = ctx;
    double t = now_ms();
    s->cur[layer][block] += t - s->last;
    s->last = t;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench-isa-ab MODEL.efm [passes] [isa-a] [isa-b]\n");
        return 2;
    }
    const int passes = argc > 2 ? atoi(argv[2]) : 40;
    const char *isa[2] = { argc > 3 ? argv[3] : "avx2", argc > 4 ? argv[4] : "avx512" };
    effad_error e = { 0 };
    effad_mapped_file mf;
    static effad_model m;
    static side sd[2];
    if (effad_file_map(argv[1], &mf, &e) || effad_model_load(&m, mf.bytes, mf.n_bytes, &e)) {
        fprintf(stderr, "%s: %s\n", argv[1], e.msg);
        return 1;
    }
    const effad_plan_opts po = { .in_h = m.in_h, .in_w = m.in_w, .n_workers = 1 };
    size_t outs = 0, n_in = (size_t)m.in_c * m.in_h * m.in_w;
    for (int t = 0; t < m.n_taps; t++) outs += (size_t)m.taps[t].channels;
    float *input = malloc(n_in * sizeof *input);
    uint32_t seed = 2463534242u;   /* effad bench's input */
    for (size_t i = 0; i < n_in; i++) {
        seed ^= seed << 13; seed ^= seed >> 17; seed ^= seed << 5;
        input[i] = (float)(seed >> 8) * (4.0f / 16777216.0f) - 2.0f;
    }
    for (int v = 0; v < 2; v++) {
        side *s = &sd[v];
        const effad_kernel_set *k = effad_kernels(isa[v]);
        size_t bytes;
        effad_plan_opts pov = po;
        if (k && effad_packed_bytes(&m, k)) pov.flags |= EFFAD_PLAN_PREPACKED;   /* as production plans */
        if (!k || effad_arena_bytes(&m, k, &pov, &bytes, &e)) {
            fprintf(stderr, "%s: not available here\n", isa[v]);
            return 1;
        }
        void *arena = aligned_alloc(64, (bytes + 63) / 64 * 64);
        if (!arena || effad_runner_init(&s->r, &m, k, &pov, arena, bytes, &e)) {
            fprintf(stderr, "%s: %s\n", isa[v], e.msg);
            return 1;
        }
        const size_t pb = effad_packed_bytes(&m, k), huge = (size_t)2 << 20;
        if (pb) {
            void *buf = aligned_alloc(huge, (pb + huge - 1) / huge * huge);
            if (!buf) { fprintf(stderr, "out of memory for packed weights\n"); return 1; }
            madvise(buf, pb / huge * huge, MADV_HUGEPAGE);
            if (effad_pack(&s->packed, &m, k, buf, pb, 0, 0, &e)) { fprintf(stderr, "%s: %s\n", isa[v], e.msg); return 1; }
            s->r.packed = &s->packed;
        }
        isa[v] = effad_kernels_name(k);
        s->r.on_layer = on_layer;
        s->r.on_layer_ctx = s;
        s->out = malloc((outs + 1) * sizeof *s->out);
        for (int t = 0, off = 0; t < m.n_taps; off += m.taps[t].channels, t++) s->pooled[t] = s->out + off;
        s->pass = 1e30;
        for (int l = 0; l < EFFAD_LAYER_COUNT; l++)
            for (int b = 0; b < EFFAD_MAX_BLOCKS; b++) s->best[l][b] = 1e30;
    }
    const int warmup = 3;
    for (int i = 0; i < warmup + passes; i++)
        for (int q = 0; q < 2; q++) {
            side *s = &sd[(i + q) & 1];
            memset(s->cur, 0, sizeof s->cur);
            const double t0 = now_ms();
            s->last = t0;
            if (effad_run(&s->r, input, s->pooled, &e)) {
                fprintf(stderr, "%s\n", e.msg);
                return 1;
            }
            const double t = now_ms() - t0;
            if (i < warmup) continue;
            if (t < s->pass) s->pass = t;
            for (int l = 0; l < EFFAD_LAYER_COUNT; l++)
                for (int b = 0; b < EFFAD_MAX_BLOCKS; b++)
                    if (s->cur[l][b] < s->best[l][b]) s->best[l][b] = s->cur[l][b];
        }

    static const char *const names[EFFAD_LAYER_COUNT] = { "(input)", "stem", "expand", "depthwise", "squeeze-excite",
                                                          "project", "head", "taps", "expand+dw" };
    printf("%s, %d passes each: pooled outputs %s\n", argv[1], passes,
           memcmp(sd[0].out, sd[1].out, outs * sizeof(float)) ? "differ" : "bit-identical");
    printf("%-16s %11s %11s %7s   ms, sum over blocks of per-layer minima\n", "layer", isa[0], isa[1], "ratio");
    double sum[2] = { 0, 0 }, gemm[2] = { 0, 0 };
    for (int l = 0; l < EFFAD_LAYER_COUNT; l++) {
        double x[2] = { 0, 0 };
        for (int v = 0; v < 2; v++)
            for (int b = 0; b < EFFAD_MAX_BLOCKS; b++) x[v] += sd[v].best[l][b];
        if (x[0] <= 0 && x[1] <= 0) continue;
        printf("%-16s %11.3f %11.3f %7.3f\n", names[l], x[0], x[1], x[1] / x[0]);
        for (int v = 0; v < 2; v++) {
            sum[v] += x[v];
            if (l == EFFAD_LAYER_EXPAND || l == EFFAD_LAYER_PROJECT || l == EFFAD_LAYER_HEAD) gemm[v] += x[v];
        }
    }
    if (argc > 5 && !strcmp(argv[5], "blocks"))
        for (int b = 0; b < EFFAD_MAX_BLOCKS; b++) {
            double x[2] = { 0, 0 };
            for (int v = 0; v < 2; v++)
                for (int l = 0; l < EFFAD_LAYER_COUNT; l++)
                    if (sd[v].best[l][b] > 0 && sd[v].best[l][b] < 1e29) x[v] += sd[v].best[l][b];
            if (x[0] <= 0 && x[1] <= 0) continue;
            printf("  block %2d:", b);
            for (int l = 0; l < EFFAD_LAYER_COUNT; l++)
                if (sd[0].best[l][b] > 0 && sd[0].best[l][b] < 1e29)
                    printf(" %s %.3f/%.3f", names[l], sd[0].best[l][b], sd[1].best[l][b]);
            printf("  | %.3f %.3f\n", x[0], x[1]);
        }
    printf("%-16s %11.3f %11.3f %7.3f\n", "1x1 (unfused)", gemm[0], gemm[1], gemm[1] / gemm[0]);
    printf("%-16s %11.3f %11.3f %7.3f\n", "sum", sum[0], sum[1], sum[1] / sum[0]);
    printf("%-16s %11.3f %11.3f %7.3f\n", "pass (min)", sd[0].pass, sd[1].pass, sd[1].pass / sd[0].pass);
    return 0;
}
