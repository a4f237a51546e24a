/*
 * bench-gemm-b4.c -- every 1x1 convolution of EfficientNet-B4 at 380x380,
 * in network order, each with its own weights (70 MB in all, so B comes
 * from memory as in a real pass), packing and GEMM timed apart. Not part
 * of `make test`. Build and run (after `make`):
 *
 *   cc -std=c11 -D_POSIX_C_SOURCE=200809L -O2 -Iops -o build/bench-gemm-b4 bench/bench-gemm-b4.c build/libeffad.a -lm && build/bench-gemm-b4 [passes]
 *
 * Per layer the figure is the minimum over the passes (the machine is
 * shared); layers of one shape are summed into one line.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "dispatch.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static float *buf(size_t n)
{
    float *p = aligned_alloc(64, ((n ? n : 1) * sizeof *p + 63) / 64 * 64);
    uint32_t s = (uint32_t)n * 2654435761u + 12345u;
    for (size_t i = 0; i < n; i++) { s = s * 1664525u + 1013904223u; p[i] = (float)(s >> 8) / 16777216.0f - 0.5f; }
    return p;
}

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
#define NSHAPES (sizeof b4 / sizeof b4[0])

int main(int argc, char **argv)
{
    int passes = argc > 1 ? atoi(argv[1]) : 10;
    const ops_kernels *kv = ops_kernels_for(ops_isa_best());
    size_t maxmk = 0, maxmn = 0, maxkn = 0, nl = 0;
    for (size_t i = 0; i < NSHAPES; i++) {
        const layer *l = &b4[i];
        if (l->m * l->k > maxmk) maxmk = l->m * l->k;
        if (l->m * l->n > maxmn) maxmn = l->m * l->n;
        size_t pk = kv->f32->gemm_pack_buffer_size ? kv->f32->gemm_pack_buffer_size(l->n, l->k) / sizeof(float) : 0;
        if (pk > maxkn) maxkn = pk;
        if (kv->f32->gemm_buffer_size(l->m, l->n, l->k) / sizeof(float) > maxkn)
            maxkn = kv->f32->gemm_buffer_size(l->m, l->n, l->k) / sizeof(float);
        nl += (size_t)l->count;
    }
    float *a = buf(maxmk), *c = buf(maxmn), *res = buf(maxmn), *pk = buf(maxkn + 16);
    float **w = malloc(nl * sizeof *w), **bias = malloc(nl * sizeof *bias), **s = malloc(nl * sizeof *s);
    double *tp = malloc(nl * sizeof *tp), *tg = malloc(nl * sizeof *tg);
    for (size_t i = 0, li = 0; i < NSHAPES; i++)
        for (int r = 0; r < b4[i].count; r++, li++) {
            w[li] = buf(b4[i].k * b4[i].n); bias[li] = buf(b4[i].n); s[li] = buf(b4[i].k);
            tp[li] = tg[li] = 1e30;
        }
    for (int pass = 0; pass < passes + 1; pass++) {
        for (size_t i = 0, li = 0; i < NSHAPES; i++)
            for (int r = 0; r < b4[i].count; r++, li++) {
                const layer *l = &b4[i];
                ops_gemm_args g;
                memset(&g, 0, sizeof g);
                g.m = l->m; g.k = l->k; g.n = l->n;
                g.a = a; g.a_stride = l->k; g.b = w[li]; g.b_stride = l->n;
                g.bias = bias[li]; g.a_scale = l->scale ? s[li] : 0;
                g.act = (ops_act){ l->swish ? OPS_ACT_SWISH : OPS_ACT_NONE, 0, 0 };
                g.res = l->res ? res : 0; g.res_stride = l->n;
                g.c = c; g.c_stride = l->n;
                double t0 = now(), t1 = t0;
                if (kv->f32->gemm_pack) {
                    kv->f32->gemm_pack(&g, pk);
                    g.b_packed = pk;
                    t1 = now();
                    kv->f32->gemm(&g, 0);
                } else {
                    kv->f32->gemm(&g, pk);
                }
                double t2 = now();
                if (pass > 0) {   /* the first pass warms the page tables */
                    if (t1 - t0 < tp[li]) tp[li] = t1 - t0;
                    if (t2 - t1 < tg[li]) tg[li] = t2 - t1;
                }
            }
    }
    double sp = 0, sg = 0, smac = 0;
    printf("%-16s %5s %5s %5s  %8s %8s  %7s\n", "layer", "m", "k", "n", "pack ms", "gemm ms", "GMAC/s");
    for (size_t i = 0, li = 0; i < NSHAPES; i++) {
        double p = 0, q = 0;
        for (int r = 0; r < b4[i].count; r++, li++) { p += tp[li]; q += tg[li]; }
        double mac = (double)b4[i].m * b4[i].k * b4[i].n * b4[i].count;
        printf("%-16s %5zu %5zu %5zu  %8.3f %8.3f  %7.2f\n", b4[i].what, b4[i].m, b4[i].k, b4[i].n,
               p * 1e3, q * 1e3, mac / (p + q) * 1e-9);
        sp += p; sg += q; smac += mac;
    }
    printf("%-16s %17s  %8.3f %8.3f  %7.2f   total %.3f ms\n", "all", "", sp * 1e3, sg * 1e3,
           smac / (sp + sg) * 1e-9, (sp + sg) * 1e3);
    return 0;
}
