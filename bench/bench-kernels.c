/*
 * bench-kernels.c -- scalar vs SIMD kernels on EfficientNet-B0's layer shapes.
 * Not part of `make test`. Build and run (after `make`):
 *
 *   cc -std=c11 -D_POSIX_C_SOURCE=200809L -O2 -Iops -o build/bench-kernels bench/bench-kernels.c build/libeffad.a -lm -pthread && build/bench-kernels
 *
 * `build/bench-kernels isa [SECONDS]`: only AVX2 against AVX-512, side by
 * side in one process: every depthwise shape of B0 and B4 and the stems
 * (the two tables), squeeze-excite and the taps' spatial means (the two
 * entry points), each with SECONDS (default 0.5) of alternating rounds.
 * On the shared 2-vCPU Zen 5 EPYC, avx512 / avx2 time: depthwise B0 0.64,
 * B4 0.69; stem B0 0.55, B4 0.37; se_gate 0.81; mean_hw 0.68-0.83.
 *
 * Each figure is the best of several timed repetitions (the machine is
 * shared; the minimum is the least disturbed run). GFLOP/s counts one FMA
 * as 2 flops and ignores the epilogue. `peak` is measured by a loop of
 * independent FMAs: 2 FMA units x 8 floats x 2 flops per cycle.
 *
 * Before/after the h-perf kernel work, one run each, back to back, on the
 * shared 2-vCPU EPYC (Zen 3; peak measured 97-98 GFLOP/s; both noisy):
 *
 *   kernel (hot cache)                         before      after
 *   gemm 12544x16x96 expand + swish (packed)   4148 us     1300 us
 *   gemm 3136x24x144 expand                     377 us      274 us
 *   gemm 3136x144x24 project (SE-scaled)        369 us      280 us
 *   gemm 49x1152x320 project                    582 us      478 us
 *   dwconv 112x112x32 3x3 s1 (swish, sum)       489 us      397 us
 *   dwconv 112x112x96 3x3 s2                    729 us      362 us
 *   dwconv 28x28x240 5x5 s1                     552 us      397 us
 *   stem 224x224x3 -> 112x112x32 + swish       1008 us      648 us
 *   sigmoid, L1-resident                       0.63 ns/el  0.51 ns/el
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#if defined(__x86_64__)
#include <immintrin.h>
#endif
#include "dispatch.h"
#include "bench-util.h"
#include "kernels-internal.h"

/* 64-byte aligned, as the engine's arena and the .efm weights are: from
 * malloc (16-byte aligned) every zmm load of a 16-channel block splits two
 * cache lines, and the AVX-512 depthwise ran 1.3-1.5x slower. */
static float *buf(size_t n)
{
    float *p = aligned_alloc(64, (n * sizeof *p + 63) / 64 * 64 + 64);
    uint32_t s = 12345;
    for (size_t i = 0; i < n; i++) { s = s * 1664525u + 1013904223u; p[i] = (float)(s >> 8) / 16777216.0f - 0.5f; }
    return p;
}

/* best = the shortest of repetitions of stmt filling about budget seconds. */
#define BEST_OF(best, budget, stmt) do { \
    double t_end_ = bench_now() + (budget); int r_ = 0; (best) = 1e30; \
    do { double t0_ = bench_now(); stmt; double t_ = bench_now() - t0_; if (t_ < (best)) (best) = t_; r_++; } \
    while (bench_now() < t_end_ || r_ < 3); } while (0)

#if defined(__x86_64__)
__attribute__((target("avx2,fma"))) static double fma_peak_gflops(void)
{
    /* 10 independent chains: more than FMA latency (4) x units (2). */
    const __m256 m = _mm256_set1_ps(0.999999f), a = _mm256_set1_ps(1e-7f);
    __m256 c0 = _mm256_set1_ps(0), c1 = _mm256_set1_ps(1), c2 = _mm256_set1_ps(2), c3 = _mm256_set1_ps(3);
    __m256 c4 = _mm256_set1_ps(4), c5 = _mm256_set1_ps(5), c6 = _mm256_set1_ps(6), c7 = _mm256_set1_ps(7);
    __m256 c8 = _mm256_set1_ps(8), c9 = _mm256_set1_ps(9);
    const long iters = 200000;   /* short runs: best-of dodges time slices */
    double best = 1e30;
    for (int rep = 0; rep < 200; rep++) {
        double t0 = bench_now();
        for (long it = 0; it < iters; it++) {
            c0 = _mm256_fmadd_ps(c0, m, a); c1 = _mm256_fmadd_ps(c1, m, a);
            c2 = _mm256_fmadd_ps(c2, m, a); c3 = _mm256_fmadd_ps(c3, m, a);
            c4 = _mm256_fmadd_ps(c4, m, a); c5 = _mm256_fmadd_ps(c5, m, a);
            c6 = _mm256_fmadd_ps(c6, m, a); c7 = _mm256_fmadd_ps(c7, m, a);
            c8 = _mm256_fmadd_ps(c8, m, a); c9 = _mm256_fmadd_ps(c9, m, a);
        }
        double t = bench_now() - t0;
        if (t < best) best = t;
    }
    __m256 s = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(c0, c1), _mm256_add_ps(c2, c3)),
                             _mm256_add_ps(_mm256_add_ps(c4, c5), _mm256_add_ps(c6, c7)));
    s = _mm256_add_ps(s, _mm256_add_ps(c8, c9));
    float sink[8];
    _mm256_storeu_ps(sink, s);
    if (sink[0] == 12345.0f) printf(" ");
    return iters * 10.0 * 16.0 / best * 1e-9;
}
#endif

/* ---- the same kernels on two ISAs, side by side ----
 * Depthwise on every depthwise shape of B0 @224 and B4 @380 (torchvision
 * models: symmetric k/2 pads; swish and channel sums), one output row per
 * call from a ring holding the whole map, as the engine's fused
 * expand+depthwise calls it (no software prefetch), the two tables
 * alternately, one pass over the map each per round, so both see the same
 * machine load; the figure is each one's minimum. */
typedef struct dw_shape { const char *model; int h, w, c, k, s, blocks; } dw_shape;
static const dw_shape dw_model_shapes[] = {
    { "b0", 112, 112, 32, 3, 1, 1 },   { "b0", 112, 112, 96, 3, 2, 1 },  { "b0", 56, 56, 144, 3, 1, 1 },
    { "b0", 56, 56, 144, 5, 2, 1 },    { "b0", 28, 28, 240, 5, 1, 1 },   { "b0", 28, 28, 240, 3, 2, 1 },
    { "b0", 14, 14, 480, 3, 1, 2 },    { "b0", 14, 14, 480, 5, 1, 1 },   { "b0", 14, 14, 672, 5, 1, 2 },
    { "b0", 14, 14, 672, 5, 2, 1 },    { "b0", 7, 7, 1152, 5, 1, 3 },    { "b0", 7, 7, 1152, 3, 1, 1 },
    { "b4", 190, 190, 48, 3, 1, 1 },   { "b4", 190, 190, 24, 3, 1, 1 },  { "b4", 190, 190, 144, 3, 2, 1 },
    { "b4", 95, 95, 192, 3, 1, 3 },    { "b4", 95, 95, 192, 5, 2, 1 },   { "b4", 48, 48, 336, 5, 1, 3 },
    { "b4", 48, 48, 336, 3, 2, 1 },    { "b4", 24, 24, 672, 3, 1, 5 },   { "b4", 24, 24, 672, 5, 1, 1 },
    { "b4", 24, 24, 960, 5, 1, 5 },    { "b4", 24, 24, 960, 5, 2, 1 },   { "b4", 12, 12, 1632, 5, 1, 7 },
    { "b4", 12, 12, 1632, 3, 1, 1 },   { "b4", 12, 12, 2688, 3, 1, 1 },
};

/* Minimum time of each of two calls over rounds filling about budget s. */
#define ALTERNATE(ta, tb, budget, stmt_a, stmt_b) do { \
    double t_end_ = bench_now() + (budget); int r_ = 0; (ta) = (tb) = 1e30; \
    do { double t0_ = bench_now(); stmt_a; double t1_ = bench_now(); stmt_b; double t2_ = bench_now(); \
         if (t1_ - t0_ < (ta)) (ta) = t1_ - t0_; \
         if (t2_ - t1_ < (tb)) (tb) = t2_ - t1_; \
         r_++; } \
    while (bench_now() < t_end_ || r_ < 5); } while (0)

static void conv_bands(const ops_f32_kernels *k, ops_conv_args cv)
{
    for (int oy = 0; oy < cv.out_dims.h; oy += 2) {
        cv.row_begin = oy; cv.row_end = oy + 2 < cv.out_dims.h ? oy + 2 : cv.out_dims.h;
        k->conv(&cv);
    }
}

static void dw_rows(const ops_f32_kernels *k, ops_dwconv_args d)
{
    for (int oy = 0; oy < d.out_dims.h; oy++) {
        d.row_begin = oy; d.row_end = oy + 1;
        k->dwconv(&d);
    }
}

static void isa_compare(const ops_kernels *ka, const ops_kernels *kb, double budget)
{
    printf("\n%s vs %s, alternating, min of rounds (us); x blocks = that shape's depthwise layers in the model\n",
           ka->name, kb->name);
    printf("model  h x w x c        k s  blocks   %8s   %8s   %s/%s\n", ka->name, kb->name, kb->name, ka->name);
    double tot_a[2] = { 0, 0 }, tot_b[2] = { 0, 0 };
    for (size_t i = 0; i < sizeof dw_model_shapes / sizeof dw_model_shapes[0]; i++) {
        const dw_shape *sh = &dw_model_shapes[i];
        const int p = sh->k / 2;
        ops_dwconv_args d;
        memset(&d, 0, sizeof d);
        ops_conv_geom g = { sh->k, sh->k, sh->s, sh->s, 1, 1, p, p, p, p };
        int oh = ops_conv_out_dim(sh->h, g.kh, g.stride_h, 1, g.pad_top, g.pad_bottom);
        int ow = ops_conv_out_dim(sh->w, g.kw, g.stride_w, 1, g.pad_left, g.pad_right);
        float *in = buf((size_t)sh->h * sh->w * sh->c), *w = buf((size_t)g.kh * g.kw * sh->c);
        float *bias = buf((size_t)sh->c), *out = buf((size_t)oh * ow * sh->c), *cs = buf((size_t)sh->c);
        d.in = in; d.in_dims = (ops_hwc){ sh->h, sh->w, sh->c };
        d.w = w; d.bias = bias; d.g = g; d.act = (ops_act){ OPS_ACT_SWISH, 0, 0 };
        d.out = out; d.out_dims = (ops_hwc){ oh, ow, sh->c };
        d.chan_sum = cs; d.in_ring = sh->h;
        double ta, tb;
        ALTERNATE(ta, tb, budget, dw_rows(ka->f32, d), dw_rows(kb->f32, d));
        const int m = sh->model[1] == '4';
        tot_a[m] += ta * sh->blocks; tot_b[m] += tb * sh->blocks;
        printf("%-5s %4d x %3d x %4d  %d %d  x%d     %8.1f   %8.1f   %.3f\n", sh->model, sh->h, sh->w, sh->c, sh->k,
               sh->s, sh->blocks, ta * 1e6, tb * 1e6, tb / ta);
        free(in); free(w); free(bias); free(out); free(cs);
    }
    for (int m = 0; m < 2; m++)
        printf("%s depthwise total (shape x blocks): %s %.0f us, %s %.0f us, %.3f\n", m ? "b4" : "b0", ka->name,
               tot_a[m] * 1e6, kb->name, tot_b[m] * 1e6, tot_b[m] / tot_a[m]);

    /* the stem, as the engine calls it: bands of two output rows */
    static const struct { const char *model; int in, oc; } stems[] = { { "b0", 224, 32 }, { "b4", 380, 48 } };
    for (int i = 0; i < 2; i++) {
        const int ih = stems[i].in, oh = ih / 2, oc = stems[i].oc;
        ops_conv_args cv;
        memset(&cv, 0, sizeof cv);
        cv.g = (ops_conv_geom){ 3, 3, 2, 2, 1, 1, 1, 1, 1, 1 };
        float *in = buf((size_t)ih * ih * 3), *w = buf(27 * (size_t)oc), *bias = buf((size_t)oc);
        float *out = buf((size_t)oh * oh * oc);
        cv.in = in; cv.in_dims = (ops_hwc){ ih, ih, 3 }; cv.w = w; cv.bias = bias; cv.groups = 1;
        cv.act = (ops_act){ OPS_ACT_SWISH, 0, 0 };
        cv.out = out; cv.out_dims = (ops_hwc){ oh, oh, oc };
        double ta, tb;
        ALTERNATE(ta, tb, budget, conv_bands(ka->f32, cv), conv_bands(kb->f32, cv));
        printf("%s stem %dx%dx3 -> %dx%dx%d + swish: %s %.1f us, %s %.1f us, %.3f\n", stems[i].model, ih, ih, oh, oh,
               oc, ka->name, ta * 1e6, kb->name, tb * 1e6, tb / ta);
        free(in); free(w); free(bias); free(out);
    }
}

#if defined(__x86_64__)
/* Squeeze-excite over every SE block of B0 and B4 (c = the depthwise
 * channels, rc = the block's input channels / 4), all blocks' weights
 * allocated at once and run in model order, so they come from L3 as in a
 * pass; and the spatial means of the tapped maps (stage outputs and the
 * head), in bands of two rows as the engine's taps take them. The AVX2 and
 * AVX-512 entry points alternately. */
static void se_mean_compare(double budget)
{
    static const struct { const char *model; int n; int c[32], rc[32]; } ses[] = {
        { "b0", 16, { 32, 96, 144, 144, 240, 240, 480, 480, 480, 672, 672, 672, 1152, 1152, 1152, 1152 },
                    { 8, 4, 6, 6, 10, 10, 20, 20, 20, 28, 28, 28, 48, 48, 48, 48 } },
        { "b4", 32, { 48, 24, 144, 192, 192, 192, 192, 336, 336, 336, 336, 672, 672, 672, 672, 672, 672, 960, 960, 960,
                      960, 960, 960, 1632, 1632, 1632, 1632, 1632, 1632, 1632, 1632, 2688 },
                    { 12, 6, 6, 8, 8, 8, 8, 14, 14, 14, 14, 28, 28, 28, 28, 28, 28, 40, 40, 40, 40, 40, 40, 68, 68, 68,
                      68, 68, 68, 68, 68, 112 } },
    };
    for (int m = 0; m < 2; m++) {
        const int n = ses[m].n;
        float *w1[32], *w2[32], *b1[32], *b2[32], *mean = buf(2688), *gate = buf(2688), *scr = buf(112);
        ops_se_args s[32];
        for (int i = 0; i < n; i++) {
            const int c = ses[m].c[i], rc = ses[m].rc[i];
            w1[i] = buf((size_t)rc * c); w2[i] = buf((size_t)c * rc); b1[i] = buf((size_t)rc); b2[i] = buf((size_t)c);
            s[i] = (ops_se_args){ mean, c, rc, w1[i], b1[i], { OPS_ACT_SWISH, 0, 0 }, w2[i], b2[i],
                                  { OPS_ACT_SIGMOID, 0, 0 }, gate, scr };
        }
        double ta, tb;
        ALTERNATE(ta, tb, budget, for (int i = 0; i < n; i++) f32_se_gate_avx2(&s[i]),
                  for (int i = 0; i < n; i++) f32_se_gate_avx512(&s[i]));
        printf("%s se_gate, all %d blocks: avx2 %.1f us, avx512 %.1f us, %.3f\n", ses[m].model, n, ta * 1e6, tb * 1e6,
               tb / ta);
        for (int i = 0; i < n; i++) { free(w1[i]); free(w2[i]); free(b1[i]); free(b2[i]); }
        free(mean); free(gate); free(scr);
    }
    static const struct { const char *model; int n; int hw[8], c[8]; } taps[] = {
        { "b0", 6, { 112, 56, 28, 14, 7, 7 }, { 16, 24, 40, 112, 320, 1280 } },
        { "b4", 8, { 190, 95, 48, 24, 24, 12, 12, 12 }, { 24, 32, 56, 112, 160, 272, 448, 1792 } },
    };
    for (int m = 0; m < 2; m++) {
        float *map[8], *out = buf(1792);
        for (int i = 0; i < taps[m].n; i++) map[i] = buf((size_t)taps[m].hw[i] * taps[m].hw[i] * taps[m].c[i]);
#define TAP_MEANS(fn) for (int i = 0; i < taps[m].n; i++) for (int y = 0; y < taps[m].hw[i]; y += 2) \
            fn(map[i] + (size_t)y * taps[m].hw[i] * taps[m].c[i], \
               (size_t)(taps[m].hw[i] - y < 2 ? 1 : 2) * taps[m].hw[i], (size_t)taps[m].c[i], out)
        double ta, tb;
        ALTERNATE(ta, tb, budget, TAP_MEANS(f32_mean_hw_avx2), TAP_MEANS(f32_mean_hw_avx512));
#undef TAP_MEANS
        printf("%s mean_hw, the %d tapped maps in bands of 2 rows: avx2 %.1f us, avx512 %.1f us, %.3f\n",
               taps[m].model, taps[m].n, ta * 1e6, tb * 1e6, tb / ta);
        for (int i = 0; i < taps[m].n; i++) free(map[i]);
        free(out);
    }
}
#endif

int main(int argc, char **argv)
{
    /* bench-kernels isa: only the avx2 vs avx512 comparison */
    if (argc > 1 && !strcmp(argv[1], "isa")) {
        if (!ops_isa_available(OPS_ISA_AVX2) || !ops_isa_available(OPS_ISA_AVX512)) {
            printf("SKIP: this CPU or build lacks avx2 or avx512\n");
            return 0;
        }
        isa_compare(ops_kernels_for(OPS_ISA_AVX2), ops_kernels_for(OPS_ISA_AVX512), argc > 2 ? atof(argv[2]) : 0.5);
#if defined(__x86_64__)
        se_mean_compare(argc > 2 ? atof(argv[2]) : 0.5);
#endif
        return 0;
    }

    const ops_kernels *sc = ops_kernels_for(OPS_ISA_SCALAR);
    const ops_kernels *kv = ops_kernels_for(ops_isa_best());
    printf("best ISA: %s\n", kv->name);
#if defined(__x86_64__)
    if (ops_isa_available(OPS_ISA_AVX2)) printf("FMA peak (1 core, measured): %.1f GFLOP/s\n", fma_peak_gflops());
#endif

    /* ---- GEMM (1x1 convs) ---- */
    static const struct { size_t m, k, n; int act, scale; const char *what; } gs[] = {
        { 12544, 32, 16, OPS_ACT_NONE, 1, "b1 project (SE-scaled)" },
        { 12544, 16, 96, OPS_ACT_SWISH, 0, "b2 expand + swish" },
        { 3136, 24, 144, OPS_ACT_NONE, 0, "b3 expand" },
        { 3136, 144, 24, OPS_ACT_NONE, 1, "b3 project (SE-scaled)" },
        { 784, 40, 240, OPS_ACT_NONE, 0, "b5 expand" },
        { 196, 672, 112, OPS_ACT_NONE, 1, "b11 project" },
        { 49, 1152, 320, OPS_ACT_NONE, 1, "b16 project" },
        { 49, 320, 1280, OPS_ACT_SWISH, 0, "head 1x1 + swish" },
    };
    printf("\nGEMM  m x k x n               scalar GF/s   %s packed GF/s   %s in-place GF/s   speedup\n",
           kv->name, kv->name);
    for (size_t i = 0; i < sizeof gs / sizeof gs[0]; i++) {
        ops_gemm_args g;
        memset(&g, 0, sizeof g);
        g.m = gs[i].m; g.k = gs[i].k; g.n = gs[i].n;
        float *a = buf(g.m * g.k), *b = buf(g.k * g.n), *c = buf(g.m * g.n), *bias = buf(g.n), *s = buf(g.k);
        g.a = a; g.a_stride = g.k; g.b = b; g.b_stride = g.n; g.c = c; g.c_stride = g.n;
        g.bias = bias; g.a_scale = gs[i].scale ? s : 0;
        g.act = (ops_act){ (ops_act_kind)gs[i].act, 0, 0 };
        void *scr = malloc(kv->f32->gemm_buffer_size(g.m, g.n, g.k));
        double fl = 2.0 * g.m * g.n * g.k;
        double ts;
        BEST_OF(ts, 0.3, sc->f32->gemm(&g, 0));
        double tp;
        BEST_OF(tp, 0.3, kv->f32->gemm(&g, scr));
        double tu;
        BEST_OF(tu, 0.3, kv->f32->gemm(&g, 0));
        printf("%5zu x %4zu x %4zu %-24s %6.1f   %14.1f   %16.1f   %6.1fx  (%.0f us)\n", g.m, g.k, g.n,
               gs[i].what, fl / ts * 1e-9, fl / tp * 1e-9, fl / tu * 1e-9, ts / (tp < tu ? tp : tu),
               (tp < tu ? tp : tu) * 1e6);
        free(a); free(b); free(c); free(bias); free(s); free(scr);
    }

    /* ---- depthwise ---- */
    static const struct { int h, w, c, k, s; int pt, pl, pb, pr; } ds[] = {
        { 112, 112, 32, 3, 1, 1, 1, 1, 1 },
        { 112, 112, 96, 3, 2, 0, 0, 1, 1 },
        { 56, 56, 144, 3, 1, 1, 1, 1, 1 },
        { 56, 56, 144, 5, 2, 1, 1, 2, 2 },
        { 28, 28, 240, 5, 1, 2, 2, 2, 2 },
        { 14, 14, 672, 5, 1, 2, 2, 2, 2 },
        { 7, 7, 1152, 5, 1, 2, 2, 2, 2 },
        /* B4 @380: maps larger than the caches (the prefetching path) */
        { 190, 190, 144, 3, 2, 0, 0, 1, 1 },
        { 95, 95, 192, 3, 1, 1, 1, 1, 1 },
        { 95, 95, 192, 5, 2, 1, 1, 2, 2 },
    };
    printf("\ndwconv  h x w x c   k s   (swish, chan_sum)   scalar GF/s   %s GF/s   speedup\n", kv->name);
    for (size_t i = 0; i < sizeof ds / sizeof ds[0]; i++) {
        ops_dwconv_args d;
        memset(&d, 0, sizeof d);
        ops_conv_geom g = { ds[i].k, ds[i].k, ds[i].s, ds[i].s, 1, 1, ds[i].pt, ds[i].pl, ds[i].pb, ds[i].pr };
        int oh = ops_conv_out_dim(ds[i].h, g.kh, g.stride_h, 1, g.pad_top, g.pad_bottom);
        int ow = ops_conv_out_dim(ds[i].w, g.kw, g.stride_w, 1, g.pad_left, g.pad_right);
        float *in = buf((size_t)ds[i].h * ds[i].w * ds[i].c), *w = buf((size_t)g.kh * g.kw * ds[i].c);
        float *bias = buf((size_t)ds[i].c), *out = buf((size_t)oh * ow * ds[i].c), *cs = buf((size_t)ds[i].c);
        d.in = in; d.in_dims = (ops_hwc){ ds[i].h, ds[i].w, ds[i].c };
        d.w = w; d.bias = bias; d.g = g; d.act = (ops_act){ OPS_ACT_SWISH, 0, 0 };
        d.out = out; d.out_dims = (ops_hwc){ oh, ow, ds[i].c };
        d.row_begin = 0; d.row_end = oh; d.chan_sum = cs;
        double fl = 2.0 * oh * ow * ds[i].c * g.kh * g.kw;
        double ts;
        BEST_OF(ts, 0.3, sc->f32->dwconv(&d));
        double tv;
        BEST_OF(tv, 0.3, kv->f32->dwconv(&d));
        printf("%4d x %3d x %4d   %d %d %24s %6.2f   %9.2f   %6.1fx  (%.0f us)\n", ds[i].h, ds[i].w, ds[i].c,
               ds[i].k, ds[i].s, "", fl / ts * 1e-9, fl / tv * 1e-9, ts / tv, tv * 1e6);
        free(in); free(w); free(bias); free(out); free(cs);
    }

    /* ---- stem ---- */
    {
        ops_conv_args cv;
        memset(&cv, 0, sizeof cv);
        cv.g = (ops_conv_geom){ 3, 3, 2, 2, 1, 1, 0, 0, 1, 1 };
        float *in = buf(224 * 224 * 3), *w = buf(27 * 32), *bias = buf(32), *out = buf(112 * 112 * 32);
        cv.in = in; cv.in_dims = (ops_hwc){ 224, 224, 3 }; cv.w = w; cv.bias = bias; cv.groups = 1;
        cv.act = (ops_act){ OPS_ACT_SWISH, 0, 0 };
        cv.out = out; cv.out_dims = (ops_hwc){ 112, 112, 32 }; cv.row_begin = 0; cv.row_end = 112;
        double fl = 2.0 * 112 * 112 * 32 * 27;
        double ts;
        BEST_OF(ts, 0.3, sc->f32->conv(&cv));
        double tv;
        BEST_OF(tv, 0.3, kv->f32->conv(&cv));
        printf("\nstem 224x224x3 -> 112x112x32 3x3 s2 + swish: scalar %.2f GF/s, %s %.2f GF/s, %.1fx (%.0f us)\n",
               fl / ts * 1e-9, kv->name, fl / tv * 1e-9, ts / tv, tv * 1e6);
        free(in); free(w); free(bias); free(out);
    }

    /* ---- SE, pooling, activation ---- */
    {
        float *mean = buf(1152), *w1 = buf(48 * 1152), *b1 = buf(48), *w2 = buf(1152 * 48), *b2 = buf(1152);
        float *gate = buf(1152), *scr = buf(48);
        ops_se_args s = { mean, 1152, 48, w1, b1, { OPS_ACT_SWISH, 0, 0 }, w2, b2, { OPS_ACT_SIGMOID, 0, 0 },
                          gate, scr };
        double ts;
        BEST_OF(ts, 0.2, sc->f32->se_gate(&s));
        double tv;
        BEST_OF(tv, 0.2, kv->f32->se_gate(&s));
        printf("se_gate c=1152 rc=48: scalar %.1f us, %s %.1f us, %.1fx\n", ts * 1e6, kv->name, tv * 1e6, ts / tv);
        free(mean); free(w1); free(b1); free(w2); free(b2); free(gate); free(scr);
        float *in = buf(112 * 112 * 96), *out = buf(96);
        BEST_OF(ts, 0.2, sc->f32->mean_hw(in, 112 * 112, 96, out));
        BEST_OF(tv, 0.2, kv->f32->mean_hw(in, 112 * 112, 96, out));
        printf("mean_hw 112x112x96: scalar %.1f us, %s %.1f us, %.1fx\n", ts * 1e6, kv->name, tv * 1e6, ts / tv);
        const size_t n = 112 * 112 * 96;
        ops_act sw = { OPS_ACT_SWISH, 0, 0 };
        /* In place, so each repetition restarts from the same data (repeated
         * swish would decay into subnormals); the copy is in both timings. */
        float *x = buf(n);
        BEST_OF(ts, 0.3, (memcpy(x, in, n * sizeof *x), sc->f32->act(x, n, sw)));
        BEST_OF(tv, 0.3, (memcpy(x, in, n * sizeof *x), kv->f32->act(x, n, sw)));
        free(x);
        printf("act swish 112x112x96 (+copy): scalar %.2f Gelem/s, %s %.2f Gelem/s, %.1fx\n", n / ts * 1e-9, kv->name,
               n / tv * 1e-9, ts / tv);
        free(in); free(out);
    }
#if defined(__x86_64__)
    /* The vector math alone, on 4096 floats (L1-resident): what swish costs
     * per element once memory is out of the picture. */
    if (ops_isa_available(OPS_ISA_AVX2)) {
        enum { NM = 4096 };
        float *x = buf(NM), *y = buf(NM);
        for (size_t i = 0; i < NM; i++) x[i] = x[i] * 40.0f;   /* [-20, 20) */
        double te, tsg;
        BEST_OF(te, 0.2, for (int r = 0; r < 100; r++) f32_vexp_avx2(x, y, NM));
        BEST_OF(tsg, 0.2, for (int r = 0; r < 100; r++) f32_vsigmoid_avx2(x, y, NM));
        printf("avx2 vector math, L1-resident: exp %.3f ns/elem, sigmoid %.3f ns/elem\n",
               te / (100.0 * NM) * 1e9, tsg / (100.0 * NM) * 1e9);
        free(x); free(y);
    }
#endif
    return 0;
}
