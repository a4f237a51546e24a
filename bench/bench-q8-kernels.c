/*
 * bench-q8-kernels.c -- the int8 kernels of the best ISA against its
 * float32 kernels on EfficientNet's layer shapes (B0 at 224, a few of B4
 * at 380). Not part of `make test`. Build and run (after `make`):
 *
 *   cc -std=c11 -D_POSIX_C_SOURCE=200809L -O2 -Iops -o build/bench-q8-kernels bench/bench-q8-kernels.c build/libeffad.a -lm && build/bench-q8-kernels
 *
 * Each figure is the best of repetitions filling 0.2 s (the machine is
 * shared; the minimum is the least disturbed run); int8/f32 < 1 means the
 * int8 kernel is faster. GEMMs are timed with B packed once outside the
 * loop (as the engine does once per layer), and the pack on its own.
 * When the best ISA is not AVX2 (AVX-512), its int8 GEMM and depthwise
 * are also timed against the AVX2 ones, the two alternated in rounds,
 * minima kept. Tables by name instead (as `effad --version` prints them):
 *
 *   build/bench-q8-kernels [--weight-bits=7|6] [TABLE [VS]]
 *
 * e.g. `avx2-vnni avx2`: the AVX-VNNI kernels against the plain AVX2 ones.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "dispatch.h"
#include "bench-util.h"

static uint32_t seed = 12345;
static uint32_t rnd(void) { seed = seed * 1664525u + 1013904223u; return seed >> 8; }

static float *fbuf(size_t n, float lo, float hi)
{
    float *p = malloc((n ? n : 1) * sizeof *p);
    for (size_t i = 0; i < n; i++) p[i] = lo + (hi - lo) * (float)(rnd() & 0xFFFF) / 65536.0f;
    return p;
}

static void *bbuf(size_t n, int lo, int hi)
{
    uint8_t *p = NULL;
    if (posix_memalign((void **)&p, 64, n + 64)) exit(1);
    for (size_t i = 0; i < n; i++) p[i] = (uint8_t)(lo + (int)(rnd() % (uint32_t)(hi - lo + 1)));
    return p;
}

#define BEST_OF(best, budget, stmt) do { \
    double t_end_ = bench_now() + (budget); int r_ = 0; (best) = 1e30; \
    do { double t0_ = bench_now(); stmt; double t_ = bench_now() - t0_; if (t_ < (best)) (best) = t_; r_++; } \
    while (bench_now() < t_end_ || r_ < 3); } while (0)

int main(int argc, char **argv)
{
    /* --weight-bits=7 or =6: the weights' range a model converted so holds
     * (7: the u8s8 loop on plain AVX2, 6: u6s8; ops/x86/q8-gemm-6x16.h) */
    const int bits = argc > 1 && !strcmp(argv[1], "--weight-bits=7") ? 7
                   : argc > 1 && !strcmp(argv[1], "--weight-bits=6") ? 6 : 8;
    const int seven = bits != 8, wlo = bits == 6 ? -32 : bits == 7 ? -64 : -127, whi = bits == 6 ? 32 : bits == 7 ? 63 : 127;
    const ops_kernels *kv = ops_kernels_for(ops_isa_best());
    /* the comparison: AVX2's where the best ISA is another */
    const ops_kernels *k2 = ops_isa_available(OPS_ISA_AVX2) && kv->isa != OPS_ISA_AVX2 ? ops_kernels_for(OPS_ISA_AVX2) : 0;
    if (argc > 1 + seven) {
        kv = ops_kernels_named(argv[1 + seven]);
        k2 = argc > 2 + seven ? ops_kernels_named(argv[2 + seven]) : 0;
        if (!kv || !ops_kernels_run(kv) || (argc > 2 + seven && (!k2 || !ops_kernels_run(k2)))) {
            fprintf(stderr, "bench-q8-kernels: a table named is unknown or not run by this CPU\n");
            return 2;
        }
    }
    printf("ISA %s, int8 weights %s\n", kv->name, bits == 6 ? "6-bit" : bits == 7 ? "7-bit" : "8-bit");

    static const struct { size_t m, k, n; int act, res; const char *what; } gs[] = {
        { 12544, 32, 16, OPS_ACT_NONE, 0, "b0 project" },
        { 12544, 16, 96, OPS_ACT_SWISH, 0, "b1 expand" },
        { 3136, 24, 144, OPS_ACT_SWISH, 0, "b2 expand" },
        { 3136, 144, 24, OPS_ACT_NONE, 1, "b2 project + skip" },
        { 784, 40, 240, OPS_ACT_SWISH, 0, "b4 expand" },
        { 196, 80, 480, OPS_ACT_SWISH, 0, "b6 expand" },
        { 196, 672, 112, OPS_ACT_NONE, 1, "b10 project + skip" },
        { 49, 192, 1152, OPS_ACT_SWISH, 0, "b13 expand" },
        { 49, 1152, 192, OPS_ACT_NONE, 1, "b13 project + skip" },
        { 49, 320, 1280, OPS_ACT_SWISH, 0, "head" },
        { 9025, 32, 192, OPS_ACT_SWISH, 0, "B4 b6 expand" },
        { 36100, 24, 24, OPS_ACT_NONE, 1, "B4 b1 project + skip" },
        { 144, 448, 2688, OPS_ACT_SWISH, 0, "B4 b30 expand" },
    };
    printf("\nGEMM  m x k x n                           f32 us   int8 us   int8/f32   pack us%s%s%s\n",
           k2 ? "  " : "", k2 ? k2->name : "", k2 ? " int8 us  int8/that" : "");
    for (size_t i = 0; i < sizeof gs / sizeof gs[0]; i++) {
        const size_t m = gs[i].m, k = gs[i].k, n = gs[i].n;
        const ops_act act = { (ops_act_kind)gs[i].act, 0, 0 };
        float *a = fbuf(m * k, -2, 2), *b = fbuf(k * n, -0.1f, 0.1f), *c = fbuf(m * n, 0, 0), *bias = fbuf(n, -1, 1);
        float *res = fbuf(m * n, -1, 1);
        ops_gemm_args g;
        memset(&g, 0, sizeof g);
        g.m = m; g.n = n; g.k = k; g.a = a; g.a_stride = k; g.b = b; g.b_stride = n; g.bias = bias; g.act = act;
        g.c = c; g.c_stride = n;
        if (gs[i].res) { g.res = res; g.res_stride = n; }
        void *fpack = NULL;
        if (posix_memalign(&fpack, 64, kv->f32->gemm_pack_buffer_size(n, k) + 64)) return 1;
        kv->f32->gemm_pack(&g, fpack);
        g.b_packed = fpack;
        double tf;
        BEST_OF(tf, 0.2, kv->f32->gemm(&g, 0));

        uint8_t *qa = bbuf(m * k, 0, 255), *qc = bbuf(m * n, 0, 0), *qr = bbuf(m * n, 0, 255);
        int8_t *qb = bbuf(k * n, wlo, whi);
        float *mult = fbuf(n, 1e-5f, 1e-4f);
        ops_q8_gemm_args q;
        memset(&q, 0, sizeof q);
        q.m = m; q.n = n; q.k = k; q.a = qa; q.a_stride = k; q.a_zero = 117; q.b = qb; q.b_stride = n;
        q.out = (ops_q8_out){ mult, bias, act, 20.0f, 97, 0 };
        if (gs[i].res) { q.res = qr; q.res_stride = n; q.res_zero = 120; q.res_scale = 0.02f; }
        q.out.bounded = ops_q8_out_bounded(&q.out, n, (double)k, 256, q.res ? 256 : 0, q.res_scale);   /* as the loader finds real layers */
        q.c = qc; q.c_stride = n;
        void *qpack = NULL, *scr = NULL;
        if (posix_memalign(&qpack, 64, kv->q8->gemm_pack_buffer_size(n, k) + 64)) return 1;
        if (posix_memalign(&scr, 64, kv->q8->gemm_buffer_size(m, n, k) + 64)) return 1;
        double tp;
        BEST_OF(tp, 0.1, kv->q8->gemm_pack(&q, qpack));
        q.b_packed = qpack;
        double tq;
        if (k2) {
            /* the AVX2 int8 GEMM beside it, alternated (the machine is shared) */
            ops_q8_gemm_args q2 = q;
            void *pack2 = NULL, *scr2 = NULL;
            if (posix_memalign(&pack2, 64, k2->q8->gemm_pack_buffer_size(n, k) + 64)) return 1;
            if (posix_memalign(&scr2, 64, k2->q8->gemm_buffer_size(m, n, k) + 64)) return 1;
            k2->q8->gemm_pack(&q2, pack2);
            q2.b_packed = pack2;
            double t2 = 1e30;
            tq = 1e30;
            for (int round = 0; round < 5; round++) {
                double t;
                BEST_OF(t, 0.04, kv->q8->gemm(&q, scr));
                tq = t < tq ? t : tq;
                BEST_OF(t, 0.04, k2->q8->gemm(&q2, scr2));
                t2 = t < t2 ? t : t2;
            }
            printf("%5zu x %4zu x %4zu %-20s %8.1f  %8.1f   %6.2f   %7.1f  %8.1f   %6.2f\n", m, k, n, gs[i].what,
                   tf * 1e6, tq * 1e6, tq / tf, tp * 1e6, t2 * 1e6, tq / t2);
            free(pack2); free(scr2);
        } else {
            BEST_OF(tq, 0.2, kv->q8->gemm(&q, scr));
            printf("%5zu x %4zu x %4zu %-20s %8.1f  %8.1f   %6.2f   %7.1f\n", m, k, n, gs[i].what, tf * 1e6, tq * 1e6,
                   tq / tf, tp * 1e6);
        }
        free(a); free(b); free(c); free(bias); free(res); free(fpack);
        free(qa); free(qb); free(qc); free(qr); free(mult); free(qpack); free(scr);
    }

    /* every depthwise shape of B0 at 224 and of B4 at 380 (`effad info`
     * of an int8 model lists the blocks), pads "same", called as the
     * engine calls it: PLAN_BAND_ROWS (2) output rows a call, or, in the
     * blocks it fuses with their expansion, one row a call from a ring of
     * kh input rows */
    static const struct { int h, w, c, k, s, blocks, fused; const char *what; } ds[] = {
        { 112, 112, 32, 3, 1, 1, 0, "B0 b0" },       { 112, 112, 96, 3, 2, 1, 1, "B0 b1" },
        { 56, 56, 144, 3, 1, 1, 0, "B0 b2" },        { 56, 56, 144, 5, 2, 1, 0, "B0 b3" },
        { 28, 28, 240, 5, 1, 1, 0, "B0 b4" },        { 28, 28, 240, 3, 2, 1, 0, "B0 b5" },
        { 14, 14, 480, 3, 1, 2, 0, "B0 b6-7" },      { 14, 14, 480, 5, 1, 1, 0, "B0 b8" },
        { 14, 14, 672, 5, 1, 2, 0, "B0 b9-10" },     { 14, 14, 672, 5, 2, 1, 0, "B0 b11" },
        { 7, 7, 1152, 5, 1, 3, 0, "B0 b12-14" },     { 7, 7, 1152, 3, 1, 1, 0, "B0 b15" },
        { 190, 190, 48, 3, 1, 1, 0, "B4 b0" },       { 190, 190, 24, 3, 1, 1, 0, "B4 b1" },
        { 190, 190, 144, 3, 2, 1, 1, "B4 b2" },      { 95, 95, 192, 3, 1, 3, 1, "B4 b3-5" },
        { 95, 95, 192, 5, 2, 1, 1, "B4 b6" },        { 48, 48, 336, 5, 1, 3, 0, "B4 b7-9" },
        { 48, 48, 336, 3, 2, 1, 0, "B4 b10" },       { 24, 24, 672, 3, 1, 5, 0, "B4 b11-15" },
        { 24, 24, 672, 5, 1, 1, 0, "B4 b16" },       { 24, 24, 960, 5, 1, 5, 0, "B4 b17-21" },
        { 24, 24, 960, 5, 2, 1, 0, "B4 b22" },       { 12, 12, 1632, 5, 1, 7, 0, "B4 b23-29" },
        { 12, 12, 1632, 3, 1, 1, 0, "B4 b30" },      { 12, 12, 2688, 3, 1, 1, 0, "B4 b31" },
    };
    /* against the comparison table's depthwise, alternated in rounds
     * (the machine is shared), minima kept */
    const ops_kernels *dw2 = k2;
    double sum_q[2] = { 0, 0 }, sum_2[2] = { 0, 0 };
    printf("\ndwconv  h x w x c   k s (swish, chan_sum)   f32 us   int8 us   int8/f32%s   (r: one row a call from a ring)\n",
           dw2 ? "  that int8 us  int8/that" : "");
#define DW_CALLS(fn, args) \
    for (int y0_ = 0; y0_ < oh; y0_ += band) { \
        args.row_begin = y0_; args.row_end = y0_ + band < oh ? y0_ + band : oh; fn(&args); }
    for (size_t i = 0; i < sizeof ds / sizeof ds[0]; i++) {
        const int p = ds[i].k / 2;
        const ops_conv_geom geo = { ds[i].k, ds[i].k, ds[i].s, ds[i].s, 1, 1, p, p, p, p };
        const int h = ds[i].h, w = ds[i].w, c = ds[i].c, ring = ds[i].fused ? ds[i].k : 0, band = ring ? 1 : 2;
        const int oh = ops_conv_out_dim(h, geo.kh, geo.stride_h, 1, geo.pad_top, geo.pad_bottom);
        const int ow = ops_conv_out_dim(w, geo.kw, geo.stride_w, 1, geo.pad_left, geo.pad_right);
        const size_t ni = (size_t)(ring ? ring : h) * w * c, no = (size_t)oh * ow * c, nw = (size_t)geo.kh * geo.kw * c;
        float *in = fbuf(ni, -2, 2), *wf = fbuf(nw, -0.3f, 0.3f), *bias = fbuf((size_t)c, -1, 1), *out = fbuf(no, 0, 0);
        float *cs = fbuf((size_t)c, 0, 0);
        ops_dwconv_args d;
        memset(&d, 0, sizeof d);
        d.in = in; d.in_dims = (ops_hwc){ h, w, c }; d.w = wf; d.bias = bias; d.g = geo;
        d.act = (ops_act){ OPS_ACT_SWISH, 0, 0 }; d.out = out; d.out_dims = (ops_hwc){ oh, ow, c };
        d.chan_sum = cs; d.in_ring = ring;
        double tf;
        BEST_OF(tf, 0.1, DW_CALLS(kv->f32->dwconv, d));

        uint8_t *qi = bbuf(ni, 0, 255), *qo = bbuf(no, 0, 0);
        int8_t *qw = bbuf(nw, wlo, whi);
        float *mult = fbuf((size_t)c, 1e-4f, 1e-3f);
        int32_t *qs = calloc((size_t)c, sizeof(int32_t));
        ops_q8_dwconv_args q;
        memset(&q, 0, sizeof q);
        q.in = qi; q.in_dims = d.in_dims; q.in_zero = 121; q.w = qw; q.g = geo;
        q.out = (ops_q8_out){ mult, bias, d.act, 20.0f, 97, 0 };
        q.out.bounded = ops_q8_out_bounded(&q.out, (size_t)c, (double)(geo.kh * geo.kw), 256, 0, 0.0f);
        q.out_q = qo; q.out_dims = d.out_dims; q.chan_sum = qs; q.in_ring = ring;
        double tq = 1e30, t2 = 1e30;
        for (int round = 0; round < (dw2 ? 5 : 1); round++) {
            double t;
            BEST_OF(t, dw2 ? 0.04 : 0.2, DW_CALLS(kv->q8->dwconv, q));
            tq = t < tq ? t : tq;
            if (!dw2) continue;
            BEST_OF(t, 0.04, DW_CALLS(dw2->q8->dwconv, q));
            t2 = t < t2 ? t : t2;
        }
        printf("%4d x %3d x %4d   %d %d %-10s %-8s %8.1f  %8.1f   %6.2f", h, w, c, ds[i].k, ds[i].s, ds[i].what,
               ring ? "r" : "", tf * 1e6, tq * 1e6, tq / tf);
        if (dw2) printf("  %8.1f   %6.2f", t2 * 1e6, tq / t2);
        printf("\n");
        sum_q[ds[i].what[1] == '4'] += tq * ds[i].blocks;
        sum_2[ds[i].what[1] == '4'] += t2 * ds[i].blocks;
        free(in); free(wf); free(bias); free(out); free(cs); free(qi); free(qo); free(qw); free(mult); free(qs);
    }
#undef DW_CALLS
    for (int m = 0; dw2 && m < 2; m++)
        printf("B%d's depthwise layers: %s int8 %.0f us, %s int8 %.0f us (%.2f)\n", m ? 4 : 0, kv->name, sum_q[m] * 1e6,
               dw2->name, sum_2[m] * 1e6, sum_q[m] / sum_2[m]);

    {
        const int c = 1152, rc = 48;
        float *mean = fbuf((size_t)c, -1, 1), *w1 = fbuf((size_t)rc * c, -0.1f, 0.1f), *b1 = fbuf((size_t)rc, -1, 1);
        float *w2 = fbuf((size_t)c * rc, -0.1f, 0.1f), *b2 = fbuf((size_t)c, -1, 1), *gate = fbuf((size_t)c, 0, 0);
        float *hid = fbuf((size_t)rc, 0, 0), *s1 = fbuf((size_t)rc, 1e-3f, 1e-2f), *s2 = fbuf((size_t)c, 1e-3f, 1e-2f);
        int8_t *q1 = bbuf((size_t)rc * c, -127, 127), *q2 = bbuf((size_t)c * rc, -127, 127);
        const ops_se_args f = { mean, c, rc, w1, b1, { OPS_ACT_SWISH, 0, 0 }, w2, b2, { OPS_ACT_SIGMOID, 0, 0 }, gate, hid };
        const ops_q8_se_args q = { mean, c, rc, q1, s1, b1, { OPS_ACT_SWISH, 0, 0 }, q2, s2, b2,
                                   { OPS_ACT_SIGMOID, 0, 0 }, gate, hid };
        double tf, tq;
        BEST_OF(tf, 0.2, kv->f32->se_gate(&f));
        BEST_OF(tq, 0.2, kv->q8->se_gate(&q));
        printf("\nsqueeze-excite c %d rc %d: f32 %.1f us, int8 weights %.1f us\n", c, rc, tf * 1e6, tq * 1e6);

        const size_t px = 196, ch = 672;
        uint8_t *x = bbuf(px * ch, 0, 255);
        float *mult = fbuf(ch, 0.5f, 1.5f);
        double ts;
        BEST_OF(ts, 0.2, kv->q8->scale_channels(x, px, ch, 120, mult, 110, x));
        printf("squeeze-excite rescale 14x14x672: %.1f us\n", ts * 1e6);
    }
    return 0;
}
