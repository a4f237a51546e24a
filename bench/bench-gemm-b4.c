/*
 * bench-gemm-b4.c -- every 1x1 convolution of EfficientNet-B4 at 380x380
 * (or B0 at 224x224), in network order, each with its own weights (70 MB
 * in all for B4, so B comes from memory as in a real pass), packing and
 * GEMM timed apart, for one or more kernel tables side by side. Not part
 * of `make test`. Build and run (after `make`):
 *
 *   cc -std=c11 -D_POSIX_C_SOURCE=200809L -O2 -Iops -o build/bench-gemm-b4 bench/bench-gemm-b4.c build/libeffad.a -lm
 *   build/bench-gemm-b4 [passes] [b4|b0] [isa ...]
 *
 * isa: scalar, avx2, avx512, neon; by default avx2 and the best ISA when
 * they differ (else the best alone). Within a pass every layer runs on
 * each table in turn, the order flipped from pass to pass, so a noisy
 * neighbour on the shared machine hits the tables alike. Per layer the
 * figure is the minimum over the passes; layers of one shape are summed
 * into one line; `ratio` is the last table's pack + GEMM time over the
 * first's.
 *
 * EFFAD_BENCH_PREPACKED=1 packs every layer once before the passes, each
 * into its own buffer, and times the GEMM alone: B then comes from memory
 * as the engine's pre-packed weights do, not from the cache the pack just
 * filled. On the shared Zen 5 (AVX2 table, CPU 1, two alternated runs
 * each, 2026-12-04) it made no difference: 84.2-84.6 ms with B packed hot,
 * 84.9-85.0 with it from memory -- the panel prefetch hides the stream.
 * In the engine (`effad bench --layers`, means) the same late 1x1 layers
 * take ~8-13 % longer than their minima here, and the 24x24x960 and
 * 12x12x1632 depthwise layers 1.4x their hot-cache time in bench-kernels.
 * Mean against minimum is most of that gap: the engine's own per-layer
 * minima over 30 passes (a throwaway, 2026-12-06) are within 4 % of the
 * minima here for B4's layers of blocks 11-31 and the head
 * (f32-gemm-6x16-avx2.c has the figures).
 *
 * EFFAD_BENCH_NO_SWISH=1 times every layer without its swish (wrong
 * values): the swish's own cost. AVX2 table, B4, prepacked, CPU 1, shared
 * Zen 5, 2026-12-05: 78.6 -> 73.6 ms in all; the small-k expands of blocks
 * 2-10 pay most of it (block 2's 36100x24x144 3.38 -> 2.30 ms, 36.9 ->
 * 54.3 GMAC/s; blocks 3-6 5.40 -> 3.98), the 1x1 layers of blocks 11-31
 * 1.5 ms in all. About six cycles per eight swishes, their FMA-pipe work
 * (six of their fourteen operations) beside the tile's own FMAs; the
 * divider is not the limit (vdivps ymm issues every ~1.25 cycles here).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "dispatch.h"
#include "bench-util.h"


typedef struct layer { size_t m, k, n; int swish, scale, res; int count; const char *what; } layer;

/* B4 380x380: expand runs on the block's input map, project on its output. */
static const layer b4[] = {
    { 36100, 48, 24, 0, 1, 0, 1, "b0 project" },
    { 36100, 24, 24, 0, 1, 1, 1, "b1 project" },
    { 36100, 24, 144, 1, 0, 0, 1, "b2 expand" },
    { 9025, 144, 32, 0, 1, 0, 1, "b2 project" },
    { 9025, 32, 192, 1, 0, 0, 4, "b3-6 expand" },
    { 9025, 192, 32, 0, 1, 1, 3, "b3-5 project" },
    { 2304, 192, 56, 0, 1, 0, 1, "b6 project" },
    { 2304, 56, 336, 1, 0, 0, 4, "b7-10 expand" },
    { 2304, 336, 56, 0, 1, 1, 3, "b7-9 project" },
    { 576, 336, 112, 0, 1, 0, 1, "b10 project" },
    { 576, 112, 672, 1, 0, 0, 6, "b11-16 expand" },
    { 576, 672, 112, 0, 1, 1, 5, "b11-15 project" },
    { 576, 672, 160, 0, 1, 0, 1, "b16 project" },
    { 576, 160, 960, 1, 0, 0, 6, "b17-22 expand" },
    { 576, 960, 160, 0, 1, 1, 5, "b17-21 project" },
    { 144, 960, 272, 0, 1, 0, 1, "b22 project" },
    { 144, 272, 1632, 1, 0, 0, 8, "b23-30 expand" },
    { 144, 1632, 272, 0, 1, 1, 7, "b23-29 project" },
    { 144, 1632, 448, 0, 1, 0, 1, "b30 project" },
    { 144, 448, 2688, 1, 0, 0, 1, "b31 expand" },
    { 144, 2688, 448, 0, 1, 1, 1, "b31 project" },
    { 144, 448, 1792, 1, 0, 0, 1, "head" },
};

/* B0 224x224: maps 112x112 down to 7x7. */
static const layer b0[] = {
    { 12544, 32, 16, 0, 1, 0, 1, "b0 project" },
    { 12544, 16, 96, 1, 0, 0, 1, "b1 expand" },
    { 3136, 96, 24, 0, 1, 0, 1, "b1 project" },
    { 3136, 24, 144, 1, 0, 0, 2, "b2-3 expand" },
    { 3136, 144, 24, 0, 1, 1, 1, "b2 project" },
    { 784, 144, 40, 0, 1, 0, 1, "b3 project" },
    { 784, 40, 240, 1, 0, 0, 2, "b4-5 expand" },
    { 784, 240, 40, 0, 1, 1, 1, "b4 project" },
    { 196, 240, 80, 0, 1, 0, 1, "b5 project" },
    { 196, 80, 480, 1, 0, 0, 3, "b6-8 expand" },
    { 196, 480, 80, 0, 1, 1, 2, "b6-7 project" },
    { 196, 480, 112, 0, 1, 0, 1, "b8 project" },
    { 196, 112, 672, 1, 0, 0, 3, "b9-11 expand" },
    { 196, 672, 112, 0, 1, 1, 2, "b9-10 project" },
    { 49, 672, 192, 0, 1, 0, 1, "b11 project" },
    { 49, 192, 1152, 1, 0, 0, 4, "b12-15 expand" },
    { 49, 1152, 192, 0, 1, 1, 3, "b12-14 project" },
    { 49, 1152, 320, 0, 1, 0, 1, "b15 project" },
    { 49, 320, 1280, 1, 0, 0, 1, "head" },
};

#define MAX_TABLES 4

int main(int argc, char **argv)
{
    int passes = argc > 1 ? atoi(argv[1]) : 10;
    const layer *net = b4;
    size_t nshapes = sizeof b4 / sizeof b4[0];
    if (argc > 2 && !strcmp(argv[2], "b0")) { net = b0; nshapes = sizeof b0 / sizeof b0[0]; }
    else if (argc > 2 && strcmp(argv[2], "b4")) { fprintf(stderr, "usage: bench-gemm-b4 [passes] [b4|b0] [isa ...]\n"); return 2; }
    const ops_kernels *kt[MAX_TABLES];
    int nt = 0;
    for (int i = 3; i < argc && nt < MAX_TABLES; i++) {
        int isa = ops_isa_parse(argv[i]);
        if (isa < 0 || !ops_kernels_for((ops_isa)isa)) { fprintf(stderr, "isa %s: unknown or not available\n", argv[i]); return 2; }
        kt[nt++] = ops_kernels_for((ops_isa)isa);
    }
    if (!nt) {
        if (ops_isa_available(OPS_ISA_AVX2) && ops_isa_best() != OPS_ISA_AVX2) kt[nt++] = ops_kernels_for(OPS_ISA_AVX2);
        kt[nt++] = ops_kernels_for(ops_isa_best());
    }
    size_t maxmk = 0, maxmn = 0, maxkn = 0, nl = 0;
    for (size_t i = 0; i < nshapes; i++) {
        const layer *l = &net[i];
        if (l->m * l->k > maxmk) maxmk = l->m * l->k;
        if (l->m * l->n > maxmn) maxmn = l->m * l->n;
        for (int t = 0; t < nt; t++) {
            const ops_f32_kernels *f = kt[t]->f32;
            size_t pk = f->gemm_pack ? f->gemm_pack_buffer_size(l->n, l->k) / sizeof(float) : 0;
            if (pk > maxkn) maxkn = pk;
            if (f->gemm_buffer_size(l->m, l->n, l->k) / sizeof(float) > maxkn)
                maxkn = f->gemm_buffer_size(l->m, l->n, l->k) / sizeof(float);
        }
        nl += (size_t)l->count;
    }
    float *a = bench_floats(maxmk), *c = bench_floats(maxmn), *res = bench_floats(maxmn), *pk = bench_floats(maxkn + 16);
    float **w = malloc(nl * sizeof *w), **bias = malloc(nl * sizeof *bias), **s = malloc(nl * sizeof *s);
    /* EFFAD_BENCH_PREPACKED=1: every layer's B packed once, before the
     * passes, into its own buffer (per table), as the engine's pre-packed
     * weights are: the GEMM then reads B from memory, not from the cache
     * the pack just filled; a_scale is left out (the engine applies the
     * gate to a copy first). */
    const int prepacked = getenv("EFFAD_BENCH_PREPACKED") && atoi(getenv("EFFAD_BENCH_PREPACKED"));
    /* EFFAD_BENCH_NO_SWISH=1: every layer without its swish (wrong values):
     * what the epilogue's swish costs, layer by layer (see the top) */
    const int no_swish = getenv("EFFAD_BENCH_NO_SWISH") && atoi(getenv("EFFAD_BENCH_NO_SWISH"));
    float **pp = calloc(nl * nt, sizeof *pp);
    double *tp = malloc(nl * nt * sizeof *tp), *tg = malloc(nl * nt * sizeof *tg);
    for (size_t i = 0, li = 0; i < nshapes; i++)
        for (int r = 0; r < net[i].count; r++, li++) {
            w[li] = bench_floats(net[i].k * net[i].n); bias[li] = bench_floats(net[i].n); s[li] = bench_floats(net[i].k);
            for (int t = 0; prepacked && t < nt; t++) {
                const ops_f32_kernels *f = kt[t]->f32;
                if (!f->gemm_pack) continue;
                ops_gemm_args g;
                memset(&g, 0, sizeof g);
                g.k = net[i].k; g.n = net[i].n; g.b = w[li]; g.b_stride = net[i].n;
                pp[li * nt + t] = bench_floats(f->gemm_pack_buffer_size(g.n, g.k) / sizeof(float) + 16);
                f->gemm_pack(&g, pp[li * nt + t]);
            }
        }
    for (size_t i = 0; i < nl * nt; i++) tp[i] = tg[i] = 1e30;
    for (int pass = 0; pass < passes + 1; pass++) {
        for (size_t i = 0, li = 0; i < nshapes; i++)
            for (int r = 0; r < net[i].count; r++, li++)
                for (int tt = 0; tt < nt; tt++) {
                    const int t = pass & 1 ? nt - 1 - tt : tt;
                    const ops_f32_kernels *f = kt[t]->f32;
                    const layer *l = &net[i];
                    ops_gemm_args g;
                    memset(&g, 0, sizeof g);
                    g.m = l->m; g.k = l->k; g.n = l->n;
                    g.a = a; g.a_stride = l->k; g.b = w[li]; g.b_stride = l->n;
                    g.bias = bias[li]; g.a_scale = l->scale && !prepacked ? s[li] : 0;
                    g.act = (ops_act){ l->swish && !no_swish ? OPS_ACT_SWISH : OPS_ACT_NONE, 0, 0 };
                    g.res = l->res ? res : 0; g.res_stride = l->n;
                    g.c = c; g.c_stride = l->n;
                    double t0 = bench_now(), t1 = t0;
                    if (pp[li * nt + t]) {
                        g.b_packed = pp[li * nt + t];
                        f->gemm(&g, 0);
                        t1 = t0;
                    } else if (f->gemm_pack) {
                        f->gemm_pack(&g, pk);
                        g.b_packed = pk;
                        t1 = bench_now();
                        f->gemm(&g, 0);
                    } else {
                        f->gemm(&g, pk);
                    }
                    double t2 = bench_now();
                    if (pass > 0) {   /* the first pass warms the page tables */
                        if (t1 - t0 < tp[li * nt + t]) tp[li * nt + t] = t1 - t0;
                        if (t2 - t1 < tg[li * nt + t]) tg[li * nt + t] = t2 - t1;
                    }
                }
    }
    double sp[MAX_TABLES] = { 0 }, sg[MAX_TABLES] = { 0 }, smac = 0;
    printf("%-16s %5s %5s %5s", "layer", "m", "k", "n");
    for (int t = 0; t < nt; t++) printf("  %11s %8s %8s %7s", kt[t]->name, "pack ms", "gemm ms", "GMAC/s");
    printf("%s\n", nt > 1 ? "   ratio" : "");
    for (size_t i = 0, li = 0; i < nshapes; i++, li += (size_t)net[i - 1].count) {
        double mac = (double)net[i].m * net[i].k * net[i].n * net[i].count;
        printf("%-16s %5zu %5zu %5zu", net[i].what, net[i].m, net[i].k, net[i].n);
        double first = 0, last = 0;
        for (int t = 0; t < nt; t++) {
            double p = 0, q = 0;
            for (int r = 0; r < net[i].count; r++) { p += tp[(li + r) * nt + t]; q += tg[(li + r) * nt + t]; }
            printf("  %11s %8.3f %8.3f %7.2f", "", p * 1e3, q * 1e3, mac / (p + q) * 1e-9);
            sp[t] += p; sg[t] += q;
            if (t == 0) first = p + q;
            last = p + q;
        }
        if (nt > 1) printf("  %6.3f", last / first);
        printf("\n");
        smac += mac;
    }
    printf("%-16s %17s", "all", "");
    for (int t = 0; t < nt; t++) printf("  %11s %8.3f %8.3f %7.2f", "", sp[t] * 1e3, sg[t] * 1e3, smac / (sp[t] + sg[t]) * 1e-9);
    if (nt > 1) printf("  %6.3f", (sp[nt - 1] + sg[nt - 1]) / (sp[0] + sg[0]));
    printf("\n");
    for (int t = 0; t < nt; t++) printf("total %s %.3f ms\n", kt[t]->name, (sp[t] + sg[t]) * 1e3);
    return 0;
}
