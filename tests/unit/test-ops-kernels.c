/*
 * test-ops-kernels.c -- every SIMD kernel table against the scalar oracles.
 *
 * For each ISA this build and CPU run (besides scalar), each kernel is run
 * on seeded random shapes chosen to hit the tails: odd channel counts, m/n/k
 * not multiples of the tile, strides 1 and 2, kernels 3 and 5 (and the
 * generic path), asymmetric TF-"same" pads, every activation, with and
 * without bias / a_scale / residual / chan_sum. Results must agree with the
 * oracle to ~1e-5 of the output's magnitude, and must be bit-identical
 * however the rows are split (the engine's threads split by row). On a
 * machine with only scalar this still runs and checks the dispatch.
 */
#include <float.h>
#include <stdint.h>
#include <stdlib.h>
#include "check.h"
#include "dispatch.h"
#include "kernels-internal.h"

/* ---- helpers ---------------------------------------------------------- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint32_t rnd(void)
{
    rng_state ^= rng_state << 13; rng_state ^= rng_state >> 7; rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state >> 16);
}
static int rnd_int(int lo, int hi) { return lo + (int)(rnd() % (uint32_t)(hi - lo + 1)); }
static float rnd_f(float lo, float hi) { return lo + (hi - lo) * (float)(rnd() & 0xffffff) / 16777216.0f; }
static float *rnd_buf(size_t n, float lo, float hi)
{
    float *p = malloc((n ? n : 1) * sizeof *p);
    for (size_t i = 0; i < n; i++) p[i] = rnd_f(lo, hi);
    return p;
}
static float *copy_buf(const float *x, size_t n)
{
    float *p = malloc((n ? n : 1) * sizeof *p);
    if (n) memcpy(p, x, n * sizeof *p);
    return p;
}

static const ops_act acts[] = {
    { OPS_ACT_NONE, 0, 0 },        { OPS_ACT_RELU, 0, 0 },    { OPS_ACT_CLIP, 0.0f, 6.0f },
    { OPS_ACT_SIGMOID, 0, 0 },     { OPS_ACT_SWISH, 0, 0 },   { OPS_ACT_HARDSIGMOID, 0.2f, 0.5f },
    { OPS_ACT_HARDSWISH, 0, 0 },
};
#define N_ACTS ((int)(sizeof acts / sizeof acts[0]))

/* Largest |got - want| relative to the array's magnitude (1 + max |want|). */
static double max_err(const float *got, const float *want, size_t n)
{
    double mag = 1.0, e = 0.0;
    for (size_t i = 0; i < n; i++) if (fabs(want[i]) > mag) mag = fabs(want[i]);
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)got[i] - want[i]);
        if (!(d <= e)) e = d;   /* NaN counts as failure */
    }
    return e / mag;
}
#define TOL 1e-5

/* ---- GEMM --------------------------------------------------------------- */

/* A random GEMM of m x n x k: strides a few floats past the widths, bias,
 * a_scale and residual each present or not. A and the bias lie in
 * [-amp, amp], a_scale in [0, smax]; the case owns its buffers. */
typedef struct gemm_case { ops_gemm_args g; float *a, *b, *bias, *scale, *res; } gemm_case;
static void gemm_case_new(gemm_case *gc, size_t m, size_t n, size_t k, float amp, float smax, ops_act act)
{
    ops_gemm_args *g = &gc->g;
    memset(g, 0, sizeof *g);
    g->m = m; g->n = n; g->k = k;
    g->a_stride = k + (size_t)rnd_int(0, 3);
    g->b_stride = n + (size_t)rnd_int(0, 3);
    g->c_stride = n + (size_t)rnd_int(0, 3);
    g->res_stride = n + (size_t)rnd_int(0, 2);
    gc->a = rnd_buf(m * g->a_stride, -amp, amp);
    gc->b = rnd_buf((k ? k : 1) * g->b_stride, -1, 1);
    gc->bias = rnd_buf(n, -amp, amp);
    gc->scale = rnd_buf(k, 0, smax);
    gc->res = rnd_buf(m * g->res_stride, -1, 1);
    g->a = gc->a; g->b = gc->b;
    g->bias = rnd() & 1 ? gc->bias : 0;
    g->a_scale = rnd() & 1 ? gc->scale : 0;
    g->res = rnd() & 1 ? gc->res : 0;
    g->act = act;
}
static void gemm_case_free(gemm_case *gc)
{
    free(gc->a); free(gc->b); free(gc->bias); free(gc->scale); free(gc->res);
}

static void test_gemm(const ops_kernels *kt)
{
    static const size_t ms[] = { 1, 2, 3, 5, 6, 7, 11, 13, 49 };
    static const size_t ns[] = { 1, 3, 7, 8, 9, 15, 16, 17, 24, 33, 40, 144 };
    static const size_t ks[] = { 0, 1, 3, 7, 16, 17, 33, 200 };
    int cases = 0, bad = 0, split_bad = 0, guard_bad = 0, packed_bad = 0;
    for (int t = 0; t < 400; t++) {
        size_t m = ms[rnd() % 9], n = ns[rnd() % 12], k = ks[rnd() % 8];
        if (t % 25 == 0) m = (size_t)rnd_int(100, 300);
        /* B larger than the AVX2 kernel's L2 budget: k is then cut into
         * chunks that go through C (K-blocking), with an odd last chunk. */
        if (t % 5 == 3) { k = (size_t)rnd_int(400, 900); n = (size_t)rnd_int(80, 200); }
        gemm_case gc;
        gemm_case_new(&gc, m, n, k, 1, 1, acts[t % N_ACTS]);
        ops_gemm_args g = gc.g;
        size_t cn = g.m * g.c_stride;
        float *want = malloc(cn * sizeof *want), *got = malloc(cn * sizeof *got);
        float *got2 = malloc(cn * sizeof *got2);
        for (size_t i = 0; i < cn; i++) want[i] = got[i] = got2[i] = -777.0f;
        g.c = want;
        CHECK(f32_gemm_scalar(&g, 0) == OPS_OK);

        /* With scratch (packed B) on odd cases, in place on even ones; the
         * scratch is exactly the advertised size and deliberately
         * misaligned, so ASan sees any overrun. */
        size_t sb = kt->f32->gemm_buffer_size(g.m, g.n, g.k);
        unsigned char *sraw = malloc(sb + 4);
        void *scratch = (t & 1) ? sraw + 4 : 0;
        g.c = got;
        CHECK(kt->f32->gemm(&g, scratch) == OPS_OK);
        double e = max_err(got, want, cn);
        cases++;
        if (!(e <= TOL)) {
            bad++;
            CHECK_MSG(e <= TOL, "%s gemm m=%zu n=%zu k=%zu act=%d bias=%d scale=%d res=%d scratch=%d err=%g",
                      kt->name, g.m, g.n, g.k, g.act.kind, !!g.bias, !!g.a_scale, !!g.res, !!scratch, e);
        }
        /* Columns between n and the row stride must be left alone. */
        for (size_t i = 0; i < g.m; i++)
            for (size_t j = g.n; j < g.c_stride; j++) guard_bad += got[i * g.c_stride + j] != -777.0f;

        /* B packed once by the table (what the engine does per layer) gives
         * the same bits as the kernel packing its own copy. */
        if (kt->f32->gemm_pack && scratch) {
            float *pk = 0;
            if (posix_memalign((void **)&pk, 32, kt->f32->gemm_pack_buffer_size(g.n, g.k) + 32) == 0) {
                ops_gemm_args h = g;
                CHECK(kt->f32->gemm_pack(&g, pk) == OPS_OK);
                h.b_packed = pk;
                h.c = got2;
                CHECK(kt->f32->gemm(&h, 0) == OPS_OK);
                packed_bad += memcmp(got, got2, cn * sizeof *got) != 0;
                free(pk);
            }
        }

        /* Split m in two calls at a random row: must be bit-identical. */
        if (g.m > 1) {
            size_t cut = (size_t)rnd_int(1, (int)g.m - 1);
            ops_gemm_args h = g;
            h.c = got2; h.m = cut;
            CHECK(kt->f32->gemm(&h, scratch) == OPS_OK);
            h.m = g.m - cut; h.a = g.a + cut * g.a_stride; h.c = got2 + cut * g.c_stride;
            if (g.res) h.res = g.res + cut * g.res_stride;
            CHECK(kt->f32->gemm(&h, scratch) == OPS_OK);
            split_bad += memcmp(got, got2, cn * sizeof *got) != 0;
        }
        /* Split n at a panel boundary (what the engine's column chunks
         * do): bit-identical too. */
        if (g.n > 16) {
            size_t cut = 16 * (size_t)rnd_int(1, (int)((g.n - 1) / 16));
            ops_gemm_args h = g;
            for (size_t i = 0; i < cn; i++) got2[i] = -777.0f;
            h.c = got2; h.n = cut;
            CHECK(kt->f32->gemm(&h, scratch) == OPS_OK);
            h.n = g.n - cut; h.b = g.b + cut; h.c = got2 + cut;
            if (g.bias) h.bias = g.bias + cut;
            if (g.res) h.res = g.res + cut;
            CHECK(kt->f32->gemm(&h, scratch) == OPS_OK);
            split_bad += memcmp(got, got2, cn * sizeof *got) != 0;
        }
        free(sraw);
        gemm_case_free(&gc);
        free(want); free(got); free(got2);
    }
    CHECK_EQ_INT(split_bad, 0);
    CHECK_EQ_INT(packed_bad, 0);
    CHECK_EQ_INT(guard_bad, 0);
    printf("  %s gemm: %d cases, %d over tolerance\n", kt->name, cases, bad);
}

#if defined(__x86_64__)
/* One gemm call of table kt in one B mode: 0 B in place (no scratch),
 * 1 packed into the scratch by the kernel, 2 packed once by gemm_pack and
 * handed in as b_packed -- and then, when cut > 0, as two column ranges
 * split at cut (a multiple of the table's panel), each given the packed
 * panels from float cut * k on, as the engine's column chunks are. */
static void gemm_mode(const ops_kernels *kt, const ops_gemm_args *g0, int mode, size_t cut, float *c)
{
    ops_gemm_args g = *g0;
    g.c = c;
    if (mode == 0) { CHECK(kt->f32->gemm(&g, 0) == OPS_OK); return; }
    void *buf = 0;
    size_t bytes = mode == 1 ? kt->f32->gemm_buffer_size(g.m, g.n, g.k) : kt->f32->gemm_pack_buffer_size(g.n, g.k);
    if (posix_memalign(&buf, 64, bytes + 64)) { CHECK(0); return; }
    if (mode == 1) {
        CHECK(kt->f32->gemm(&g, buf) == OPS_OK);
    } else {
        CHECK(kt->f32->gemm_pack(&g, buf) == OPS_OK);
        g.b_packed = buf;
        if (cut) g.n = cut;
        CHECK(kt->f32->gemm(&g, 0) == OPS_OK);
        if (cut) {
            g.n = g0->n - cut;
            g.b += cut; g.c += cut;
            g.b_packed = (const float *)buf + cut * g.k;
            if (g.bias) g.bias += cut;
            if (g.res) g.res += cut;
            CHECK(kt->f32->gemm(&g, 0) == OPS_OK);
        }
    }
    free(buf);
}

/* The AVX-512 GEMM gives the AVX2 GEMM's bits (each output element the same
 * FMA chain, a_scale folded the same way, the same activations): random
 * shapes with row, column and k tails of both tiles, every activation,
 * with and without bias / a_scale / residual, sums large enough to reach
 * the activations' saturated ranges, in each B mode. */
static void test_gemm_avx512_bits(void)
{
    const ops_kernels *k2 = ops_kernels_for(OPS_ISA_AVX2), *k5 = ops_kernels_for(OPS_ISA_AVX512);
    if (!k2 || !k5) {
        printf("test-ops-kernels: SKIP avx512 gemm bits = avx2 gemm bits: AVX-512 not available on this CPU or build\n");
        return;
    }
    static const size_t ms[] = { 1, 2, 5, 6, 7, 11, 12, 13, 17, 24, 25, 49 };
    static const size_t ns[] = { 1, 7, 15, 16, 17, 24, 31, 32, 33, 48, 56, 64, 65, 97, 112, 144 };
    static const size_t ks[] = { 0, 1, 3, 16, 17, 33, 200 };
    const size_t panel = k5->f32->gemm_panel > k2->f32->gemm_panel ? k5->f32->gemm_panel : k2->f32->gemm_panel;
    int cases = 0, bad = 0;
    for (int t = 0; t < 600; t++) {
        size_t m = ms[rnd() % 12], n = ns[rnd() % 16], k = ks[rnd() % 7];
        if (t % 20 == 0) m = (size_t)rnd_int(100, 300);
        if (t % 7 == 3) { k = (size_t)rnd_int(400, 900); n = (size_t)rnd_int(80, 200); }
        gemm_case gc;
        gemm_case_new(&gc, m, n, k, t % 3 == 0 ? 8.0f : 1.0f, 1.5f, acts[t % N_ACTS]);
        const ops_gemm_args g = gc.g;
        const int mode = (t / N_ACTS) % 3;
        const size_t cut = mode == 2 && g.n > panel && rnd() & 1 ? panel * (size_t)rnd_int(1, (int)((g.n - 1) / panel)) : 0;
        const size_t cn = g.m * g.c_stride;
        float *c2 = malloc(cn * sizeof *c2), *c5 = malloc(cn * sizeof *c5);
        for (size_t i = 0; i < cn; i++) c2[i] = c5[i] = -777.0f;
        gemm_mode(k2, &g, mode, cut, c2);
        gemm_mode(k5, &g, mode, cut, c5);
        cases++;
        if (memcmp(c2, c5, cn * sizeof *c2) != 0) {
            bad++;
            size_t i = 0;
            while (i < cn && !memcmp(&c2[i], &c5[i], sizeof *c2)) i++;
            CHECK_MSG(0, "avx512 gemm bits differ from avx2: m=%zu n=%zu k=%zu act=%d bias=%d scale=%d res=%d mode=%d cut=%zu "
                         "first at row %zu col %zu: %.9g vs %.9g",
                      g.m, g.n, g.k, g.act.kind, !!g.bias, !!g.a_scale, !!g.res, mode, cut, i / g.c_stride,
                      i % g.c_stride, (double)c2[i], (double)c5[i]);
        }
        gemm_case_free(&gc);
        free(c2); free(c5);
    }
    CHECK_EQ_INT(bad, 0);
    printf("  avx512 gemm = avx2 gemm bit for bit: %d cases, %d differ\n", cases, bad);
}
#endif

/* ---- depthwise ----------------------------------------------------------- */

static void test_dwconv(const ops_kernels *kt)
{
    static const int cs[] = { 1, 3, 7, 8, 16, 17, 33, 96 };
    int cases = 0, bad = 0, split_bad = 0, ring_bad = 0;
    for (int t = 0; t < 500; t++) {
        ops_dwconv_args d;
        memset(&d, 0, sizeof d);
        int k = t % 5 == 4 ? rnd_int(1, 7) : (rnd() & 1 ? 3 : 5);
        ops_conv_geom g = { k, k, 1, 1, 1, 1, 0, 0, 0, 0 };
        if (t % 17 == 16) g.kw = rnd_int(1, 5);           /* non-square: generic */
        if (t % 23 == 22) g.dil_h = g.dil_w = 2;           /* oracle fallback     */
        g.stride_h = g.stride_w = rnd_int(1, 2);
        if (t % 19 == 18) g.stride_w = 3 - g.stride_h;     /* mixed strides       */
        if (t % 29 == 28) g.stride_h = g.stride_w = 3;     /* 3x3/5x5: the any-k kernel (ops_dw_fixed_kxk) */
        switch (rnd() % 4) {
        case 0: break;                                                       /* valid */
        case 1: g.pad_top = g.pad_left = g.kh / 2; g.pad_bottom = g.pad_right = g.kw / 2; break;
        case 2: /* TF "same" at stride 2: the extra pad goes after */
            g.pad_top = (g.kh - 1) / 2 - (g.kh % 2 == 1 && g.stride_h == 2 ? 1 : 0);
            if (g.pad_top < 0) g.pad_top = 0;
            g.pad_left = g.pad_top; g.pad_bottom = g.pad_top + 1; g.pad_right = g.pad_left + 1; break;
        default: g.pad_top = rnd_int(0, 2); g.pad_left = rnd_int(0, 2);
                 g.pad_bottom = rnd_int(0, 2); g.pad_right = rnd_int(0, 2); break;
        }
        int c = cs[rnd() % 8];
        int ih = rnd_int(1, 13), iw = rnd_int(1, 13);
        if (t % 50 == 0) { ih = 28; iw = 28; c = 40; }
        /* wide rows: the AVX2 kernel then works in channel groups of 16
         * (avx2-dwconv.h, DW_GROUP_BYTES), the last one partial */
        if (t % 50 == 25) { ih = 7; iw = 700; c = 40; }
        int oh = ops_conv_out_dim(ih, g.kh, g.stride_h, g.dil_h, g.pad_top, g.pad_bottom);
        int ow = ops_conv_out_dim(iw, g.kw, g.stride_w, g.dil_w, g.pad_left, g.pad_right);
        if (oh < 1 || ow < 1) { t--; continue; }
        float *in = rnd_buf((size_t)ih * iw * c, -1, 1);
        float *w = rnd_buf((size_t)g.kh * g.kw * c, -1, 1), *bias = rnd_buf((size_t)c, -1, 1);
        size_t on = (size_t)oh * ow * c;
        float *want = rnd_buf(on, 0, 0), *got = rnd_buf(on, 0, 0), *got2 = rnd_buf(on, 0, 0);
        float *cs0 = rnd_buf((size_t)c, -1, 1);
        float *cs_want = copy_buf(cs0, (size_t)c), *cs_got = copy_buf(cs0, (size_t)c);
        d.in = in; d.in_dims = (ops_hwc){ ih, iw, c };
        d.w = w; d.bias = rnd() & 1 ? bias : 0;
        d.g = g; d.act = acts[t % N_ACTS];
        d.out_dims = (ops_hwc){ oh, ow, c };
        d.row_begin = 0; d.row_end = oh;
        int use_cs = rnd() & 1;
        d.out = want; d.chan_sum = use_cs ? cs_want : 0;
        CHECK(f32_dwconv_hwc_scalar(&d) == OPS_OK);
        d.out = got; d.chan_sum = use_cs ? cs_got : 0;
        CHECK(kt->f32->dwconv(&d) == OPS_OK);
        double e = max_err(got, want, on);
        /* chan_sum adds up to oh*ow outputs: its own magnitude applies. */
        double ecs = use_cs ? max_err(cs_got, cs_want, (size_t)c) : 0.0;
        cases++;
        if (!(e <= TOL && ecs <= TOL)) {
            bad++;
            CHECK_MSG(e <= TOL && ecs <= TOL,
                      "%s dwconv %dx%d%s s%d,%d pads %d,%d,%d,%d in %dx%dx%d act=%d cs=%d err=%g cs_err=%g",
                      kt->name, g.kh, g.kw, g.dil_h > 1 ? " dil2" : "", g.stride_h, g.stride_w, g.pad_top,
                      g.pad_left, g.pad_bottom, g.pad_right, ih, iw, c, d.act.kind, use_cs, e, ecs);
        }
        if (oh > 1) {
            int cut = rnd_int(1, oh - 1);
            d.out = got2; d.chan_sum = 0;
            d.row_begin = 0; d.row_end = cut;
            CHECK(kt->f32->dwconv(&d) == OPS_OK);
            d.row_begin = cut; d.row_end = oh;
            CHECK(kt->f32->dwconv(&d) == OPS_OK);
            split_bad += memcmp(got, got2, on * sizeof *got) != 0;
        }
        {
            /* The same rows from a ring buffer, one output row per call, the
             * way the engine runs an expand fused with its depthwise: the
             * ring holds just the input rows each output row reads (plus
             * 0-2 spare slots), and every other slot is poisoned. Output and
             * channel sums must be the same bits as the whole-map call. */
            const int span = (g.kh - 1) * g.dil_h + 1;
            const int ring = (span < ih ? span : ih) + rnd_int(0, 2);
            const size_t row = (size_t)iw * c;
            float *rb = rnd_buf((size_t)ring * row, 0, 0);
            float *got3 = rnd_buf(on, 0, 0), *cs_ring = copy_buf(cs0, (size_t)c);
            ops_dwconv_args r = d;
            r.in = rb; r.in_ring = ring; r.out = got3; r.chan_sum = use_cs ? cs_ring : 0;
            for (int oy = 0; oy < oh; oy++) {
                for (size_t i = 0; i < (size_t)ring * row; i++) rb[i] = 1e30f;
                for (int ky = 0; ky < g.kh; ky++) {
                    int iy = oy * g.stride_h - g.pad_top + ky * g.dil_h;
                    if (iy >= 0 && iy < ih)
                        memcpy(rb + (size_t)(iy % ring) * row, in + (size_t)iy * row, row * sizeof *rb);
                }
                r.row_begin = oy; r.row_end = oy + 1;
                CHECK(kt->f32->dwconv(&r) == OPS_OK);
            }
            ring_bad += memcmp(got3, got, on * sizeof *got) != 0 ||
                        (use_cs && memcmp(cs_ring, cs_got, (size_t)c * sizeof *cs_got) != 0);
            free(rb); free(got3); free(cs_ring);
        }
        free(in); free(w); free(bias); free(want); free(got); free(got2);
        free(cs0); free(cs_want); free(cs_got);
    }
    CHECK_EQ_INT(split_bad, 0);
    CHECK_EQ_INT(ring_bad, 0);
    ops_dwconv_args neg;
    memset(&neg, 0, sizeof neg);
    neg.in = neg.w = (const float *)kt; neg.out = (float *)(void *)&neg;
    neg.in_dims = neg.out_dims = (ops_hwc){ 1, 1, 1 };
    neg.g = (ops_conv_geom){ 1, 1, 1, 1, 1, 1, 0, 0, 0, 0 };
    neg.in_ring = -1;
    CHECK(kt->f32->dwconv(&neg) == OPS_ERR_ARG);
    printf("  %s dwconv: %d cases, %d over tolerance\n", kt->name, cases, bad);
}

/* ---- dense conv (stem) ----------------------------------------------------- */

static void test_conv(const ops_kernels *kt)
{
    static const int ocs[] = { 1, 7, 8, 16, 24, 32, 33, 40, 48, 64, 96 };
    int cases = 0, bad = 0, split_bad = 0, planar_bad = 0;
    for (int t = 0; t < 200; t++) {
        ops_conv_args cv;
        memset(&cv, 0, sizeof cv);
        int k = rnd() % 3 ? 3 : rnd_int(1, 5);
        ops_conv_geom g = { k, k, 2, 2, 1, 1, 0, 0, 1, 1 };
        if (rnd() & 1) { g.stride_h = g.stride_w = 1; g.pad_top = g.pad_left = g.pad_bottom = g.pad_right = k / 2; }
        if (t % 7 == 6) { g.pad_top = rnd_int(0, 2); g.pad_left = rnd_int(0, 2); }
        if (t % 13 == 12) g.dil_h = g.dil_w = 2;
        int ic = t % 3 == 0 ? rnd_int(1, 8) : 3;
        int oc = ocs[rnd() % 11];
        int ih = rnd_int(1, 17), iw = rnd_int(1, 17);
        if (t % 40 == 0) { ih = 32; iw = 32; ic = 3; oc = 32; }
        int groups = 1;
        if (t % 11 == 10) { groups = 2; ic = 4; oc = 8; }   /* oracle fallback */
        int oh = ops_conv_out_dim(ih, g.kh, g.stride_h, g.dil_h, g.pad_top, g.pad_bottom);
        int ow = ops_conv_out_dim(iw, g.kw, g.stride_w, g.dil_w, g.pad_left, g.pad_right);
        if (oh < 1 || ow < 1) { t--; continue; }
        float *in = rnd_buf((size_t)ih * iw * ic, -1, 1);
        float *w = rnd_buf((size_t)g.kh * g.kw * (ic / groups) * oc, -1, 1);
        float *bias = rnd_buf((size_t)oc, -1, 1);
        size_t on = (size_t)oh * ow * oc;
        float *want = rnd_buf(on, 0, 0), *got = rnd_buf(on, 0, 0), *got2 = rnd_buf(on, 0, 0);
        cv.in = in; cv.in_dims = (ops_hwc){ ih, iw, ic };
        cv.w = w; cv.bias = rnd() & 1 ? bias : 0;
        cv.g = g; cv.groups = groups; cv.act = acts[t % N_ACTS];
        cv.out_dims = (ops_hwc){ oh, ow, oc };
        cv.row_begin = 0; cv.row_end = oh;
        cv.out = want;
        CHECK(f32_conv_hwc_scalar(&cv) == OPS_OK);
        cv.out = got;
        CHECK(kt->f32->conv(&cv) == OPS_OK);
        double e = max_err(got, want, on);
        cases++;
        if (!(e <= TOL)) {
            bad++;
            CHECK_MSG(e <= TOL, "%s conv k%d s%d dil%d pads %d,%d in %dx%dx%d oc %d g%d act=%d err=%g",
                      kt->name, k, g.stride_h, g.dil_h, g.pad_top, g.pad_left, ih, iw, ic, oc, groups,
                      cv.act.kind, e);
        }
        {
            /* the same input planar (CHW, a plane stride past h*w): every
             * value the same bits as from HWC, the reference's and the
             * kernel's alike -- the stem reads the caller's image so */
            const size_t plane = (size_t)ih * iw + (size_t)(t % 5);
            float *chw = rnd_buf(plane * ic, 0, 0);
            for (int y = 0; y < ih; y++)
                for (int x = 0; x < iw; x++)
                    for (int c = 0; c < ic; c++)
                        chw[(size_t)c * plane + (size_t)y * iw + x] = in[((size_t)y * iw + x) * ic + c];
            ops_conv_args pl = cv;
            pl.in = chw; pl.in_plane = plane;
            pl.out = got2;
            CHECK(f32_conv_hwc_scalar(&pl) == OPS_OK);
            planar_bad += memcmp(got2, want, on * sizeof *got2) != 0;
            CHECK(kt->f32->conv(&pl) == OPS_OK);
            planar_bad += memcmp(got2, got, on * sizeof *got2) != 0;
            if (ih * iw > 1) {   /* planes that overlap: refused */
                pl.in_plane = (size_t)ih * iw - 1;
                CHECK(f32_conv_hwc_scalar(&pl) == OPS_ERR_ARG);
                CHECK(kt->f32->conv(&pl) == OPS_ERR_ARG);
            }
            free(chw);
        }
        if (oh > 1) {
            int cut = rnd_int(1, oh - 1);
            cv.out = got2;
            cv.row_begin = 0; cv.row_end = cut;
            CHECK(kt->f32->conv(&cv) == OPS_OK);
            cv.row_begin = cut; cv.row_end = oh;
            CHECK(kt->f32->conv(&cv) == OPS_OK);
            split_bad += memcmp(got, got2, on * sizeof *got) != 0;
        }
        free(in); free(w); free(bias); free(want); free(got); free(got2);
    }
    CHECK_EQ_INT(split_bad, 0);
    CHECK_EQ_INT(planar_bad, 0);
    printf("  %s conv: %d cases, %d over tolerance\n", kt->name, cases, bad);
}

/* ---- squeeze-excite, pooling, activations ------------------------------------ */

static void test_se_mean_act(const ops_kernels *kt)
{
    static const int cs[] = { 1, 7, 16, 33, 96, 1152 };
    static const int rcs[] = { 1, 4, 8, 9, 48 };
    for (int t = 0; t < 60; t++) {
        int c = cs[rnd() % 6], rc = rcs[rnd() % 5];
        float *mean = rnd_buf((size_t)c, -2, 2), *w1 = rnd_buf((size_t)rc * c, -0.5f, 0.5f);
        float *b1 = rnd_buf((size_t)rc, -1, 1), *w2 = rnd_buf((size_t)c * rc, -1, 1);
        float *b2 = rnd_buf((size_t)c, -1, 1);
        float *gw = rnd_buf((size_t)c, 0, 0), *gg = rnd_buf((size_t)c, 0, 0);
        float *s1 = rnd_buf((size_t)rc, 0, 0), *s2 = rnd_buf((size_t)rc, 0, 0);
        ops_se_args s = { mean, c, rc, w1, rnd() & 1 ? b1 : 0, acts[t % N_ACTS],
                          w2, rnd() & 1 ? b2 : 0, acts[(t / N_ACTS) % N_ACTS], gw, s1 };
        CHECK(f32_se_gate_scalar(&s) == OPS_OK);
        s.gate = gg; s.scratch = s2;
        CHECK(kt->f32->se_gate(&s) == OPS_OK);
        double e = max_err(gg, gw, (size_t)c);
        /* The reduce is a c-term dot product summed in another order by the
         * SIMD kernel: rounding differences grow like sqrt(c), and with
         * c = 1152 a random draw measured 1.1e-5. */
        const double tol = TOL * (c > 96 ? sqrt((double)c / 96.0) : 1.0);
        CHECK_MSG(e <= tol, "%s se_gate c=%d rc=%d err=%g", kt->name, c, rc, e);
        free(mean); free(w1); free(b1); free(w2); free(b2); free(gw); free(gg); free(s1); free(s2);
    }
    static const size_t mcs[] = { 1, 3, 8, 17, 33, 40, 1280 };
    for (int t = 0; t < 40; t++) {
        size_t hw = (size_t)(t % 3 == 0 ? 49 : rnd_int(1, 20)), c = mcs[rnd() % 7];
        float *in = rnd_buf(hw * c, -3, 3), *mw = rnd_buf(c, 0, 0), *mg = rnd_buf(c, 0, 0);
        CHECK(f32_mean_hw_scalar(in, hw, c, mw) == OPS_OK);
        CHECK(kt->f32->mean_hw(in, hw, c, mg) == OPS_OK);
        double e = max_err(mg, mw, c);
        CHECK_MSG(e <= TOL, "%s mean_hw hw=%zu c=%zu err=%g", kt->name, hw, c, e);
        free(in); free(mw); free(mg);
    }
    CHECK(kt->f32->mean_hw(0, 0, 3, (float[3]){ 0 }) == OPS_ERR_ARG);
    static const size_t ans[] = { 0, 1, 7, 8, 9, 100 };
    for (int t = 0; t < 6 * N_ACTS; t++) {
        size_t n = ans[t % 6];
        float *x = rnd_buf(n, -20, 20);
        static const float extremes[] = { -1e30f, -104.5f, -100.0f, -88.9f, -87.5f, 0.0f, -0.0f,
                                          88.5f, 89.5f, 100.0f, 1e30f };
        for (size_t i = 0; i < n && i < 11; i++) if (n == 100) x[i * 9] = extremes[i];
        float *want = copy_buf(x, n), *got = copy_buf(x, n);
        ops_act act = acts[t / 6];
        CHECK(f32_act_scalar(want, n, act) == OPS_OK);
        CHECK(kt->f32->act(got, n, act) == OPS_OK);
        /* Per element, relative: activations never sum, so each output is
         * within a couple of ulps of the oracle's. */
        double e = 0;
        for (size_t i = 0; i < n; i++) {
            double d = fabs((double)got[i] - want[i]) / (fabs(want[i]) > 1e-30 ? fabs(want[i]) : 1.0);
            if (!(d <= e)) e = d;
        }
        CHECK_MSG(e <= 2e-6, "%s act kind=%d n=%zu rel err=%g", kt->name, act.kind, n, e);
        free(x); free(want); free(got);
    }
}

/* ---- vector exp / sigmoid accuracy ---------------------------------------- */

#if defined(__x86_64__)
/* Distance in ulps between two finite positive floats. */
static double ulp_dist(float a, float b)
{
    int32_t ia, ib;
    memcpy(&ia, &a, 4); memcpy(&ib, &b, 4);
    return fabs((double)ia - (double)ib);
}

static void test_avx2_math(void)
{
    /* Dense sweep of [-88, 88]: 1.76 million points, step 1e-4, against
     * libm expf. Relative error over normal results; ulps everywhere. */
    enum { N = 1760001 };
    float *x = malloc(N * sizeof *x), *y = malloc(N * sizeof *y);
    for (int i = 0; i < N; i++) x[i] = -88.0f + (float)i * 1e-4f;
    x[N - 1] = 88.0f;
    f32_vexp_avx2(x, y, N);
    double max_rel = 0, max_ulp = 0, max_ulp_sub = 0;
    for (int i = 0; i < N; i++) {
        float ref = expf(x[i]);
        double u = ulp_dist(y[i], ref);
        if (ref >= FLT_MIN) {
            double rel = fabs((double)y[i] - ref) / ref;
            if (!(rel <= max_rel)) max_rel = rel;
            if (!(u <= max_ulp)) max_ulp = u;
        } else if (!(u <= max_ulp_sub)) max_ulp_sub = u;
    }
    printf("  avx2 exp over [-88, 88]: max rel err %.3g (%.0f ulp) normal results, %.0f ulp subnormal\n",
           max_rel, max_ulp, max_ulp_sub);
    /* Degree-5 minimax polynomial: 9.2e-8 in exact arithmetic, ~2.1e-7
     * measured with float rounding (the 1-ulp degree-7 Taylor form it
     * replaced measured 1.2e-7 but cost two more FMAs per vector). */
    CHECK_MSG(max_rel <= 2.5e-7, "max rel err %g", max_rel);
    CHECK_MSG(max_ulp <= 2, "max ulp %g", max_ulp);
    CHECK_MSG(max_ulp_sub <= 2, "max ulp (subnormal) %g", max_ulp_sub);

    static const float edge_x[] = { -1e30f, -104.5f, -103.0f, -88.0f, 0.0f, 1.0f, 88.72f, 88.8f, 89.5f, 1e30f };
    float edge_y[10];
    f32_vexp_avx2(edge_x, edge_y, 10);
    for (int i = 0; i < 10; i++) {
        float ref = expf(edge_x[i]);
        CHECK_MSG(edge_y[i] == ref || ulp_dist(edge_y[i], ref) <= 2, "exp(%g) = %g, libm %g",
                  (double)edge_x[i], (double)edge_y[i], (double)ref);
    }

    /* Sigmoid against a double-precision reference, [-100, 100]. */
    double sig_rel = 0, sig_abs = 0;
    int sig_tiny_bad = 0;
    for (int i = 0; i < N; i++) x[i] = -100.0f + (float)i * (200.0f / (N - 1));
    f32_vsigmoid_avx2(x, y, N);
    for (int i = 0; i < N; i++) {
        double ref = 1.0 / (1.0 + exp(-(double)x[i]));
        if (!(fabs(y[i] - ref) <= sig_abs)) sig_abs = fabs(y[i] - ref);
        if (ref < FLT_MIN) { sig_tiny_bad += !(y[i] >= 0 && y[i] < 2 * FLT_MIN); continue; }
        double rel = fabs(y[i] - ref) / ref;
        if (!(rel <= sig_rel)) sig_rel = rel;
    }
    printf("  avx2 sigmoid over [-100, 100]: max rel err %.3g, abs err %.3g vs double\n", sig_rel, sig_abs);
    /* rcp + one Newton step (~1.3e-7) on top of the exp: measured 3.1e-7
     * relative, 1.1e-7 absolute. */
    CHECK_MSG(sig_rel <= 4e-7, "sigmoid max rel err %g", sig_rel);
    CHECK_MSG(sig_abs <= 2e-7, "sigmoid max abs err %g", sig_abs);
    CHECK_EQ_INT(sig_tiny_bad, 0);
    static const float sx[] = { -1e30f, -200.0f, -89.0f, 0.0f, 30.0f, 200.0f, 1e30f };
    static const float sy[] = { 0.0f, 0.0f, 0.0f, 0.5f, 1.0f, 1.0f, 1.0f };
    float so[7];
    f32_vsigmoid_avx2(sx, so, 7);
    for (int i = 0; i < 7; i++) CHECK_MSG(so[i] == sy[i], "sigmoid(%g) = %g", (double)sx[i], (double)so[i]);

    /* Swish (the epilogue form, avx2-math.h) against double x / (1 + e^-x):
     * relative error for x >= -80, where results are normal floats; below,
     * where the kernel floors x at -88, |y| must stay under 1.5e-33. */
    double sw_rel = 0;
    int sw_floor_bad = 0;
    f32_vswish_avx2(x, y, N);
    for (int i = 0; i < N; i++) {
        double xd = x[i], ref = xd / (1.0 + exp(-xd));
        if (xd < -80.0) { sw_floor_bad += !(fabs(y[i]) <= 1.5e-33); continue; }
        double err = xd == 0.0 ? fabs(y[i]) : fabs(y[i] - ref) / fabs(ref);
        if (!(err <= sw_rel)) sw_rel = err;
    }
    printf("  avx2 swish over [-100, 100]: max rel err %.3g vs double (x >= -80)\n", sw_rel);
    /* measured 3.6e-7 (avx2-math.h's table form; 3.9e-7 with the degree-5
     * exp before it): the one-constant reduction at large n, the table's
     * and the polynomial's rounding, one division */
    CHECK_MSG(sw_rel <= 5e-7, "swish max rel err %g", sw_rel);
    CHECK_EQ_INT(sw_floor_bad, 0);
    /* saturation: large x gives x exactly; no x below -80 (-1e30, -inf)
     * scales the floor back up; 0 stays 0. */
    static const float wx[] = { 30.0f, 200.0f, 1e30f, -1e30f, -INFINITY, -200.0f, 0.0f, INFINITY };
    float wo[8];
    f32_vswish_avx2(wx, wo, 8);
    for (int i = 0; i < 3; i++) CHECK_MSG(wo[i] == wx[i], "swish(%g) = %g", (double)wx[i], (double)wo[i]);
    for (int i = 3; i < 7; i++) CHECK_MSG(fabs(wo[i]) <= 1.5e-33, "swish(%g) = %g", (double)wx[i], (double)wo[i]);
    CHECK_MSG(wo[7] == INFINITY, "swish(inf) = %g", (double)wo[7]);
    free(x); free(y);
}
#endif

/* ---- AVX-512 gives AVX2's bits ------------------------------------------------- *
 * The AVX-512 float kernels do, per output element, the AVX2 kernel's
 * operations in the AVX2 kernel's order (avx512-math.h, avx512-dwconv.h),
 * so that switching ISA moves no golden error. Held here bit for bit, on
 * random shapes that reach every path of both. Depthwise: channel tails of
 * either width (c % 16 and c % 8), short rows (channel blocks outermost on
 * AVX-512) and long ones, "same" and valid and asymmetric pads, strides 1,
 * 2 and mixed, every activation, channel sums, whole maps, bands and
 * one-row calls from a ring. Dense conv: the stem's 3x3x3 and other
 * kernels, out_c tails of 8, 16 and 64, border and interior pixels.
 * Squeeze-excite, spatial mean and activation: lengths around the 8- and
 * 16-lane steps and B4's widths. */

#if defined(__x86_64__)
static int bits_differ(const float *x, const float *y, size_t n) { return memcmp(x, y, n * sizeof *x) != 0; }

static void test_dwconv_identity(const ops_kernels *k2, const ops_kernels *k5)
{
    static const int cs[] = { 1, 3, 8, 15, 16, 17, 24, 33, 40, 48, 100 };
    int cases = 0, bad = 0;
    for (int t = 0; t < 600; t++) {
        int k = t % 7 == 6 ? rnd_int(1, 7) : (rnd() & 1 ? 3 : 5);
        ops_conv_geom g = { k, k, 1, 1, 1, 1, 0, 0, 0, 0 };
        if (t % 13 == 12) g.kw = rnd_int(1, 5);
        g.stride_h = g.stride_w = rnd_int(1, 2);
        if (t % 11 == 10) g.stride_w = 3 - g.stride_h;
        switch (rnd() % 3) {
        case 0: g.pad_top = g.pad_bottom = g.kh / 2; g.pad_left = g.pad_right = g.kw / 2; break;
        case 1: break;
        default: g.pad_top = rnd_int(0, 2); g.pad_left = rnd_int(0, 2);
                 g.pad_bottom = rnd_int(0, 2); g.pad_right = rnd_int(0, 2); break;
        }
        const int c = cs[rnd() % 11];
        int ih = rnd_int(1, 20), iw = rnd_int(1, 20);
        if (t % 10 == 0) ih = iw = 12;
        if (t % 10 == 5) ih = iw = 7;
        if (t % 25 == 3) { ih = 9; iw = 40; }
        int oh = ops_conv_out_dim(ih, g.kh, g.stride_h, 1, g.pad_top, g.pad_bottom);
        int ow = ops_conv_out_dim(iw, g.kw, g.stride_w, 1, g.pad_left, g.pad_right);
        if (oh < 1 || ow < 1) { t--; continue; }
        const size_t in_n = (size_t)ih * iw * c, on = (size_t)oh * ow * c;
        float *in = rnd_buf(in_n, -4, 4), *w = rnd_buf((size_t)g.kh * g.kw * c, -1, 1);
        float *bias = rnd_buf((size_t)c, -1, 1), *cs0 = rnd_buf((size_t)c, -1, 1);
        float *out[2] = { rnd_buf(on, 0, 0), rnd_buf(on, 0, 0) };
        float *sum[2] = { copy_buf(cs0, (size_t)c), copy_buf(cs0, (size_t)c) };
        ops_dwconv_args d;
        memset(&d, 0, sizeof d);
        d.in = in; d.in_dims = (ops_hwc){ ih, iw, c };
        d.w = w; d.bias = rnd() & 1 ? bias : 0;
        d.g = g; d.act = acts[t % N_ACTS];
        d.out_dims = (ops_hwc){ oh, ow, c };
        const int use_cs = rnd() % 4 != 0;
        /* 0: the whole map, 1: bands of two rows, 2: one row a call from
         * a ring of the whole map */
        const int mode = rnd() % 3;
        const ops_kernels *ks[2] = { k2, k5 };
        for (int i = 0; i < 2; i++) {
            d.out = out[i]; d.chan_sum = use_cs ? sum[i] : 0;
            d.in_ring = mode == 2 ? ih : 0;
            const int step = mode == 0 ? oh : mode == 1 ? 2 : 1;
            for (int y = 0; y < oh; y += step) {
                d.row_begin = y; d.row_end = y + step < oh ? y + step : oh;
                CHECK(ks[i]->f32->dwconv(&d) == OPS_OK);
            }
        }
        cases++;
        if (bits_differ(out[0], out[1], on) || bits_differ(sum[0], sum[1], (size_t)c)) {
            bad++;
            CHECK_MSG(0, "dwconv %dx%d s%d,%d pads %d,%d,%d,%d in %dx%dx%d act=%d cs=%d mode %d: avx2 and avx512 bits differ",
                      g.kh, g.kw, g.stride_h, g.stride_w, g.pad_top, g.pad_left, g.pad_bottom, g.pad_right, ih, iw, c,
                      d.act.kind, use_cs, mode);
        }
        free(in); free(w); free(bias); free(cs0); free(out[0]); free(out[1]); free(sum[0]); free(sum[1]);
    }
    CHECK_EQ_INT(bad, 0);
    printf("  avx2 = avx512 bits: dwconv %d cases, %d differ\n", cases, bad);
}

static void test_conv_identity(const ops_kernels *k2, const ops_kernels *k5)
{
    static const int ocs[] = { 1, 7, 8, 16, 24, 32, 33, 40, 48, 64, 80, 100 };
    int cases = 0, bad = 0;
    for (int t = 0; t < 300; t++) {
        int k = rnd() % 3 ? 3 : rnd_int(1, 5);
        ops_conv_geom g = { k, k, 2, 2, 1, 1, 1, 1, 1, 1 };
        if (rnd() & 1) { g.stride_h = g.stride_w = 1; g.pad_top = g.pad_left = g.pad_bottom = g.pad_right = k / 2; }
        if (t % 5 == 4) { g.pad_top = rnd_int(0, 2); g.pad_left = rnd_int(0, 2); g.pad_bottom = rnd_int(0, 2);
                          g.pad_right = rnd_int(0, 2); }
        if (t % 13 == 12) g.dil_h = g.dil_w = 2;
        const int ic = t % 3 == 0 ? rnd_int(1, 8) : 3, oc = ocs[rnd() % 12];
        const int ih = rnd_int(1, 24), iw = rnd_int(1, 24);
        int oh = ops_conv_out_dim(ih, g.kh, g.stride_h, g.dil_h, g.pad_top, g.pad_bottom);
        int ow = ops_conv_out_dim(iw, g.kw, g.stride_w, g.dil_w, g.pad_left, g.pad_right);
        if (oh < 1 || ow < 1) { t--; continue; }
        const size_t on = (size_t)oh * ow * oc;
        float *in = rnd_buf((size_t)ih * iw * ic, -2, 2), *w = rnd_buf((size_t)g.kh * g.kw * ic * oc, -1, 1);
        float *bias = rnd_buf((size_t)oc, -1, 1), *out[2] = { rnd_buf(on, 0, 0), rnd_buf(on, 0, 0) };
        ops_conv_args cv;
        memset(&cv, 0, sizeof cv);
        cv.in = in; cv.in_dims = (ops_hwc){ ih, iw, ic };
        cv.w = w; cv.bias = rnd() & 1 ? bias : 0;
        cv.g = g; cv.groups = 1; cv.act = acts[t % N_ACTS];
        cv.out_dims = (ops_hwc){ oh, ow, oc };
        const ops_kernels *ks[2] = { k2, k5 };
        const int step = rnd() & 1 ? oh : 2;
        for (int i = 0; i < 2; i++) {
            cv.out = out[i];
            for (int y = 0; y < oh; y += step) {
                cv.row_begin = y; cv.row_end = y + step < oh ? y + step : oh;
                CHECK(ks[i]->f32->conv(&cv) == OPS_OK);
            }
        }
        cases++;
        if (bits_differ(out[0], out[1], on)) {
            bad++;
            CHECK_MSG(0, "conv k%d s%d dil%d pads %d,%d in %dx%dx%d oc %d act=%d: avx2 and avx512 bits differ", k,
                      g.stride_h, g.dil_h, g.pad_top, g.pad_left, ih, iw, ic, oc, cv.act.kind);
        }
        free(in); free(w); free(bias); free(out[0]); free(out[1]);
    }
    CHECK_EQ_INT(bad, 0);
    printf("  avx2 = avx512 bits: conv %d cases, %d differ\n", cases, bad);
}

static void test_se_mean_act_identity(const ops_kernels *k2, const ops_kernels *k5)
{
    static const int cs[] = { 1, 7, 8, 15, 16, 17, 24, 33, 96, 100, 1152, 2688 };
    static const int rcs[] = { 1, 3, 4, 8, 9, 12, 16, 17, 28, 48, 68, 112 };
    int bad = 0;
    for (int t = 0; t < 120; t++) {
        const int c = cs[rnd() % 12], rc = rcs[rnd() % 12];
        float *mean = rnd_buf((size_t)c, -2, 2), *w1 = rnd_buf((size_t)rc * c, -0.5f, 0.5f);
        float *b1 = rnd_buf((size_t)rc, -1, 1), *w2 = rnd_buf((size_t)c * rc, -1, 1), *b2 = rnd_buf((size_t)c, -1, 1);
        float *gate[2] = { rnd_buf((size_t)c, 0, 0), rnd_buf((size_t)c, 0, 0) };
        float *scr[2] = { rnd_buf((size_t)rc, 0, 0), rnd_buf((size_t)rc, 0, 0) };
        if (t % 10 == 9) for (int i = 0; i < c; i++) if (i % 3) mean[i] = 0.0f;   /* zero products */
        ops_se_args s = { mean, c, rc, w1, rnd() & 1 ? b1 : 0, acts[t % N_ACTS],
                          w2, rnd() & 1 ? b2 : 0, acts[(t / N_ACTS) % N_ACTS], gate[0], scr[0] };
        CHECK(k2->f32->se_gate(&s) == OPS_OK);
        s.gate = gate[1]; s.scratch = scr[1];
        CHECK(k5->f32->se_gate(&s) == OPS_OK);
        if (bits_differ(gate[0], gate[1], (size_t)c) || bits_differ(scr[0], scr[1], (size_t)rc)) {
            bad++;
            CHECK_MSG(0, "se_gate c=%d rc=%d acts %d,%d: avx2 and avx512 bits differ", c, rc, s.act.kind,
                      s.gate_act.kind);
        }
        free(mean); free(w1); free(b1); free(w2); free(b2);
        free(gate[0]); free(gate[1]); free(scr[0]); free(scr[1]);
    }
    for (int t = 0; t < 60; t++) {
        const size_t hw = (size_t)rnd_int(1, 50), c = (size_t)cs[rnd() % 12];
        float *in = rnd_buf(hw * c, -3, 3), *m2 = rnd_buf(c, 0, 0), *m5 = rnd_buf(c, 0, 0);
        CHECK(k2->f32->mean_hw(in, hw, c, m2) == OPS_OK);
        CHECK(k5->f32->mean_hw(in, hw, c, m5) == OPS_OK);
        if (bits_differ(m2, m5, c)) {
            bad++;
            CHECK_MSG(0, "mean_hw hw=%zu c=%zu: avx2 and avx512 bits differ", hw, c);
        }
        free(in); free(m2); free(m5);
    }
    for (int t = 0; t < 8 * N_ACTS; t++) {
        const size_t n = (size_t)rnd_int(0, 100);
        float *x = rnd_buf(n, -100, 100);
        float *y2 = copy_buf(x, n), *y5 = copy_buf(x, n);
        const ops_act act = acts[t % N_ACTS];
        CHECK(k2->f32->act(y2, n, act) == OPS_OK);
        CHECK(k5->f32->act(y5, n, act) == OPS_OK);
        if (bits_differ(y2, y5, n)) {
            bad++;
            CHECK_MSG(0, "act kind=%d n=%zu: avx2 and avx512 bits differ", act.kind, n);
        }
        free(x); free(y2); free(y5);
    }
    CHECK_EQ_INT(bad, 0);
    printf("  avx2 = avx512 bits: se_gate 120, mean_hw 60, act %d cases, %d differ\n", 8 * N_ACTS, bad);
}

static void test_isa_identity(void)
{
    if (!ops_isa_available(OPS_ISA_AVX2) || !ops_isa_available(OPS_ISA_AVX512)) {
        printf("test-ops-kernels: SKIP avx2 = avx512 bit identity: this CPU or build lacks %s\n",
               ops_isa_available(OPS_ISA_AVX2) ? "avx512" : "avx2");
        return;
    }
    const ops_kernels *k2 = ops_kernels_for(OPS_ISA_AVX2), *k5 = ops_kernels_for(OPS_ISA_AVX512);
    test_dwconv_identity(k2, k5);
    test_conv_identity(k2, k5);
    test_se_mean_act_identity(k2, k5);
}
#endif

/* ---- dispatch --------------------------------------------------------------- */

static void test_dispatch(void)
{
    CHECK(ops_isa_available(OPS_ISA_SCALAR));
    CHECK(ops_isa_available(ops_isa_best()));
    CHECK(ops_kernels_for(ops_isa_best()) != 0);
    for (int i = 0; i < OPS_ISA_COUNT; i++) {
        const ops_kernels *kt = ops_kernels_for((ops_isa)i);
        CHECK_EQ_INT(kt != 0, ops_isa_available((ops_isa)i));
        if (kt) {
            CHECK_EQ_INT(kt->isa, i);
            CHECK(kt->f32->conv && kt->f32->dwconv && kt->f32->gemm_buffer_size && kt->f32->gemm && kt->f32->se_gate &&
                  kt->f32->mean_hw && kt->f32->act);
        }
    }
    CHECK(ops_kernels_for((ops_isa)OPS_ISA_COUNT) == 0);
#if defined(__x86_64__)
    __builtin_cpu_init();
    int cpu = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    int cpu512 = cpu && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
                 __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl");
    CHECK_EQ_INT(ops_isa_available(OPS_ISA_AVX2), cpu);
    CHECK_EQ_INT(ops_isa_available(OPS_ISA_AVX512), cpu512);
    if (cpu) CHECK_EQ_INT(ops_isa_best(), cpu512 ? OPS_ISA_AVX512 : OPS_ISA_AVX2);
#endif
}

int main(void)
{
    test_dispatch();
    int tested = 0;
    for (int i = 0; i < OPS_ISA_COUNT; i++) {
        if (i == OPS_ISA_SCALAR) continue;
        if (!ops_isa_available((ops_isa)i)) {
            printf("test-ops-kernels: SKIP %s kernels: not available on this CPU or build\n", ops_isa_name((ops_isa)i));
            continue;
        }
        const ops_kernels *kt = ops_kernels_for((ops_isa)i);
        tested++;
        rng_state = 0x9e3779b97f4a7c15ull + (uint64_t)i;
        test_gemm(kt);
        test_dwconv(kt);
        test_conv(kt);
        test_se_mean_act(kt);
#if defined(__x86_64__)
        if (i == OPS_ISA_AVX2 || i == OPS_ISA_AVX512) test_avx2_math();
#endif
    }
#if defined(__x86_64__)
    test_gemm_avx512_bits();
    test_isa_identity();
#endif
    printf("  SIMD tables tested: %d (best: %s)\n", tested, ops_isa_name(ops_isa_best()));
    return check_done("test-ops-kernels");
}
