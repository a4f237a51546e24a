/*
 * bench-group-fusion.c -- a block's expand and depthwise run by groups of
 * channels against the whole-map way, on EfficientNet-B4's unfused blocks,
 * with the kernels as they are. Not part of `make test`. Build and run
 * (after `make`):
 *
 *   cc -std=c11 -D_POSIX_C_SOURCE=200809L -O2 -Iops -o build/bench-group-fusion bench/bench-group-fusion.c build/libeffad.a -lm -pthread
 *   build/bench-group-fusion [rounds] [isa] [group ...]
 *
 * Blocks 11-31 of B4@380 run today as the whole expand GEMM (with swish)
 * into one map of 24x24 or 12x12 pixels by 672-2688 channels (1-2.2 MB,
 * beyond a 1 MiB L2), then the depthwise conv reading that map back. By
 * groups: for each group of G channels, the expand GEMM's G columns into a
 * G-channel map (147 KB at 24x24x64), the depthwise on it at once, while it
 * is in L2, and its output copied into the block's full depthwise map (the
 * projection reads that as before). No kernel changes: a depthwise call on
 * a contiguous G-channel map with its weights laid out [kh][kw][G] is an
 * ordinary call, and the GEMM takes G columns of packed B by the panel
 * offset the engine already uses for column chunks (G a multiple of every
 * panel). Per channel the arithmetic is the same; the squeeze-excite sums
 * come per band, as the engine's are.
 *
 * Each round times both ways on each shape, alternating, each after
 * reading 16 MB (the weights of the layers between, as in a pass), with the
 * block's packed weights in one of 8 copies so that they come from memory
 * too. Printed per shape: median and minimum of the rounds, whole and
 * grouped; then the sums over the blocks of each shape (x count).
 *
 * Measured (shared 2-vCPU Zen 5, CPU 0, 2026-12-04, 30 rounds, groups of
 * 96, which divide every expanded width from 192 on): on the AVX2 table
 * the sum over blocks 11-31 went 41.4 -> 38.0 ms (24x24 maps 0.87-0.94x,
 * 12x12x1632 0.94-0.98x, 12x12x2688 0.97x); on the AVX-512 one the 24x24
 * maps 0.88-0.96x, 12x12x1632 1.01-1.05x (its 940 KB map stays in the
 * 1 MiB L2 anyway), 12x12x2688 1.00x. 64 and 192 channels per group
 * measured within 1-4 % of 96.
 *
 * Built into the engine the same day and not kept: a plan rule (grouped
 * when not ring-fused and the expanded map >= 900 KB on AVX2, 1.2 MB on
 * AVX-512), each worker's group maps in its ring region, the depthwise
 * weights laid out per group in that region, run-f32.c handing whole
 * groups to workers, band sums at their place in the block's buffer (the
 * same bits as unfused). B4@380 on the AVX2 table, `effad bench`, three
 * alternated pairs of 20 runs on a quiet machine: one thread 100.3-104.0
 * ms unfused against 101.4-104.2 grouped (no gain: in the pass the
 * depthwise layers already ran near their hot time, 0.49-0.51 ms for
 * 24x24x960, where this program's eviction makes them slower), two
 * threads 54.2-54.9 against 56.2-57.4 (1.04x: 7 or 17 groups split 4:3
 * or 9:8 between two workers). What it did give: 2.1 MB less arena (no
 * whole expanded map). Worth trying again on a core with a smaller L2
 * (Zen 3's 512 KiB), with groups split so that workers stay even.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "dispatch.h"
#include "bench-util.h"

#define BAND_ROWS 2          /* engine/plan.h PLAN_BAND_ROWS */
#define COPIES 8
#define EVICT_FLOATS (4u << 20)


/* B4@380's unfused blocks: input h = w, input channels, expanded channels,
 * depthwise kernel and stride, how many blocks have the shape. */
typedef struct block { int h, cin, mid, k, s, count; const char *what; } block;
static const block b4[] = {
    { 24, 112, 672, 3, 1, 5, "b11-15" },
    { 24, 112, 672, 5, 1, 1, "b16" },
    { 24, 160, 960, 5, 1, 5, "b17-21" },
    { 24, 160, 960, 5, 2, 1, "b22" },
    { 12, 272, 1632, 5, 1, 7, "b23-29" },
    { 12, 272, 1632, 3, 1, 1, "b30" },
    { 12, 448, 2688, 3, 1, 1, "b31" },
};

typedef struct shape_bufs {
    float *a, *bias, *dw_w, *dw_wg, *exp, *dw_out, *sums, *gexp, *gout;
    float *packed[COPIES];
    void *scratch;
} shape_bufs;

static int cmp_double(const void *x, const void *y)
{
    const double a = *(const double *)x, b = *(const double *)y;
    return a < b ? -1 : a > b;
}

static void dw_bands(const ops_f32_kernels *f, ops_dwconv_args d, float *sums, size_t sum_stride)
{
    for (int y = 0, band = 0; y < d.out_dims.h; y += BAND_ROWS, band++) {
        d.row_begin = y;
        d.row_end = y + BAND_ROWS < d.out_dims.h ? y + BAND_ROWS : d.out_dims.h;
        d.chan_sum = sums + (size_t)band * sum_stride;
        memset(d.chan_sum, 0, sizeof(float) * (size_t)d.out_dims.c);
        f->dwconv(&d);
    }
}

static void run_whole(const ops_f32_kernels *f, const block *b, const shape_bufs *s, int copy, int oh)
{
    const size_t m = (size_t)b->h * b->h;
    ops_gemm_args g;
    memset(&g, 0, sizeof g);
    g.m = m; g.n = (size_t)b->mid; g.k = (size_t)b->cin;
    g.a = s->a; g.a_stride = (size_t)b->cin;
    g.b_packed = s->packed[copy]; g.bias = s->bias;
    g.act = (ops_act){ OPS_ACT_SWISH, 0, 0 };
    g.c = s->exp; g.c_stride = (size_t)b->mid;
    f->gemm(&g, s->scratch);
    const int p = b->k / 2;
    ops_dwconv_args d;
    memset(&d, 0, sizeof d);
    d.in = s->exp; d.in_dims = (ops_hwc){ b->h, b->h, b->mid };
    d.w = s->dw_w; d.bias = s->bias;
    d.g = (ops_conv_geom){ b->k, b->k, b->s, b->s, 1, 1, p, p, p, p };
    d.act = (ops_act){ OPS_ACT_SWISH, 0, 0 };
    d.out = s->dw_out; d.out_dims = (ops_hwc){ oh, oh, b->mid };
    dw_bands(f, d, s->sums, (size_t)b->mid);
}

static void run_grouped(const ops_f32_kernels *f, const block *b, const shape_bufs *s, int copy, int oh, int G)
{
    const size_t m = (size_t)b->h * b->h, om = (size_t)oh * oh;
    const int p = b->k / 2;
    for (int c0 = 0; c0 < b->mid; c0 += G) {
        ops_gemm_args g;
        memset(&g, 0, sizeof g);
        g.m = m; g.n = (size_t)G; g.k = (size_t)b->cin;
        g.a = s->a; g.a_stride = (size_t)b->cin;
        g.b_packed = s->packed[copy] + (size_t)c0 * (size_t)b->cin;   /* dispatch.h: column j0 at j0 * k */
        g.bias = s->bias + c0;
        g.act = (ops_act){ OPS_ACT_SWISH, 0, 0 };
        g.c = s->gexp; g.c_stride = (size_t)G;
        f->gemm(&g, s->scratch);
        ops_dwconv_args d;
        memset(&d, 0, sizeof d);
        d.in = s->gexp; d.in_dims = (ops_hwc){ b->h, b->h, G };
        d.w = s->dw_wg + (size_t)c0 * b->k * b->k; d.bias = s->bias + c0;
        d.g = (ops_conv_geom){ b->k, b->k, b->s, b->s, 1, 1, p, p, p, p };
        d.act = (ops_act){ OPS_ACT_SWISH, 0, 0 };
        d.out = s->gout; d.out_dims = (ops_hwc){ oh, oh, G };
        dw_bands(f, d, s->sums + c0, (size_t)b->mid);
        for (size_t i = 0; i < om; i++)
            memcpy(s->dw_out + i * (size_t)b->mid + c0, s->gout + i * (size_t)G, sizeof(float) * (size_t)G);
    }
}

int main(int argc, char **argv)
{
    const int rounds = argc > 1 ? atoi(argv[1]) : 40;
    const int isa = argc > 2 ? ops_isa_parse(argv[2]) : (int)ops_isa_best();
    if (rounds < 1 || isa < 0 || !ops_kernels_for((ops_isa)isa) || !ops_kernels_for((ops_isa)isa)->f32->gemm_pack) {
        fprintf(stderr, "usage: bench-group-fusion [rounds] [isa with a packing gemm] [group ...]\n");
        return 2;
    }
    const ops_f32_kernels *f = ops_kernels_for((ops_isa)isa)->f32;
    int groups[8], ng = 0;
    for (int i = 3; i < argc && ng < 8; i++) groups[ng++] = atoi(argv[i]);
    if (!ng) { groups[ng++] = 64; groups[ng++] = 192; }
    int gmax = 0;
    for (int i = 0; i < ng; i++) {
        if (groups[i] <= 0 || groups[i] % 32) { fprintf(stderr, "group %d: a positive multiple of 32\n", groups[i]); return 2; }
        if (groups[i] > gmax) gmax = groups[i];
    }

    float *evict = bench_floats(EVICT_FLOATS);
    double *tw = malloc(sizeof(double) * (size_t)rounds), *tg = malloc(sizeof(double) * (size_t)rounds * (size_t)ng);
    double sum_whole = 0, sum_group[8] = { 0 };
    printf("%s, %d rounds; ms per block: median (min)\n", ops_kernels_for((ops_isa)isa)->name, rounds);
    printf("%-7s %-18s %-16s", "blocks", "shape", "whole");
    for (int i = 0; i < ng; i++) printf(" G=%-14d", groups[i]);
    printf("\n");
    for (size_t bi = 0; bi < sizeof b4 / sizeof b4[0]; bi++) {
        const block *b = &b4[bi];
        const int p = b->k / 2, oh = (b->h + 2 * p - b->k) / b->s + 1;
        const size_t m = (size_t)b->h * b->h, kk = (size_t)b->k * b->k, mid = (size_t)b->mid;
        shape_bufs s;
        s.a = bench_floats(m * (size_t)b->cin);
        s.bias = bench_floats(mid);
        s.dw_w = bench_floats(kk * mid);
        s.dw_wg = bench_floats(kk * mid);
        s.exp = bench_floats(m * mid);
        s.dw_out = bench_floats((size_t)oh * oh * mid);
        s.sums = bench_floats(((size_t)oh + BAND_ROWS - 1) / BAND_ROWS * mid);
        s.gexp = bench_floats(m * (size_t)gmax);   /* dw_wg: [group][kh][kw][G], laid out per G below */
        s.gout = bench_floats((size_t)oh * oh * (size_t)gmax);
        s.scratch = aligned_alloc(64, (f->gemm_buffer_size(m, mid, (size_t)b->cin) + 64 + 63) / 64 * 64);
        float *w = bench_floats((size_t)b->cin * mid);
        for (int c = 0; c < COPIES; c++) {
            s.packed[c] = aligned_alloc(64, (f->gemm_pack_buffer_size(mid, (size_t)b->cin) + 63) / 64 * 64);
            ops_gemm_args g;
            memset(&g, 0, sizeof g);
            g.n = mid; g.k = (size_t)b->cin; g.b = w; g.b_stride = mid;
            f->gemm_pack(&g, s.packed[c]);
        }
        for (int r = 0; r < rounds; r++) {
            volatile float sink = 0;
            for (size_t i = 0; i < EVICT_FLOATS; i += 16) sink += evict[i];
            double t0 = bench_now();
            run_whole(f, b, &s, r % COPIES, oh);
            tw[r] = bench_now() - t0;
            for (int gi = 0; gi < ng; gi++) {
                const int G = groups[gi];
                if (b->mid % G) { tg[gi * rounds + r] = 0; continue; }
                for (int c0 = 0; c0 < b->mid; c0 += G)
                    for (size_t t = 0; t < kk; t++)
                        memcpy(s.dw_wg + (size_t)c0 * kk + t * (size_t)G, s.dw_w + t * mid + c0, sizeof(float) * (size_t)G);
                for (size_t i = 0; i < EVICT_FLOATS; i += 16) sink += evict[i];
                t0 = bench_now();
                run_grouped(f, b, &s, (r + 1) % COPIES, oh, G);
                tg[gi * rounds + r] = bench_now() - t0;
            }
        }
        qsort(tw, (size_t)rounds, sizeof *tw, cmp_double);
        char shape[32];
        snprintf(shape, sizeof shape, "%dx%dx%d k%d s%d", b->h, b->h, b->mid, b->k, b->s);
        printf("%-7s %-18s %6.3f (%6.3f)  ", b->what, shape, tw[rounds / 2] * 1e3, tw[0] * 1e3);
        sum_whole += tw[rounds / 2] * b->count;
        for (int gi = 0; gi < ng; gi++) {
            double *t = tg + gi * rounds;
            if (b->mid % groups[gi]) { printf(" %-16s", "-"); sum_group[gi] += tw[rounds / 2] * b->count; continue; }
            qsort(t, (size_t)rounds, sizeof *t, cmp_double);
            printf(" %6.3f (%6.3f)  ", t[rounds / 2] * 1e3, t[0] * 1e3);
            const double best = t[rounds / 2] < tw[rounds / 2] ? t[rounds / 2] : tw[rounds / 2];
            sum_group[gi] += best * b->count;
        }
        printf("\n");
        free(s.a); free(s.bias); free(s.dw_w); free(s.dw_wg); free(s.exp); free(s.dw_out); free(s.sums);
        free(s.gexp); free(s.gout); free(s.scratch); free(w);
        for (int c = 0; c < COPIES; c++) free(s.packed[c]);
    }
    printf("sum over the blocks (medians): whole %.2f ms", sum_whole * 1e3);
    for (int gi = 0; gi < ng; gi++)
        printf(", G=%d %.2f ms (shapes it does not divide, or where it loses, counted whole)", groups[gi], sum_group[gi] * 1e3);
    printf("\n");
    free(evict); free(tw); free(tg);
    return 0;
}
