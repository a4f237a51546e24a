/*
 * test-ops-neon.c -- the NEON kernels against the scalar oracles.
 *
 * Random shapes chosen to hit every tail: odd channel counts (1..3 lanes
 * left over, 4-wide and 16-wide remainders), row counts that are not a
 * multiple of the 4-row GEMM tile, strides larger than the row, strides
 * 1 and 2, dilation, asymmetric pads, row_begin/row_end slices, every
 * activation, and each optional epilogue input present or NULL. Every
 * output buffer has guard cells that must come back untouched. The vector
 * exp is measured in ulps against double-precision exp.
 *
 * Only aarch64 builds have NEON kernels; elsewhere this program says SKIP,
 * so the same suite runs on every host.
 */
#include <stdint.h>
#include <stdlib.h>
#include "check.h"
#include "ops.h"
#include "dispatch.h"

#if !defined(__aarch64__)

int main(void)
{
    (void)check_report;
    (void)check_done;
    return check_skip("test-ops-neon", "not an aarch64 build, NEON kernels not compiled (run make cross-test)");
}

#else
#include "arm/ops-neon.h"

/* ---- helpers ------------------------------------------------------------ */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint32_t rnd_u32(void)
{
    rng_state ^= rng_state << 13; rng_state ^= rng_state >> 7; rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state >> 16);
}

static int rnd_int(int lo, int hi) { return lo + (int)(rnd_u32() % (uint32_t)(hi - lo + 1)); }
static float rnd_f(float lo, float hi) { return lo + (hi - lo) * (float)(rnd_u32() & 0xffffff) / 16777216.0f; }

static void fill(float *p, size_t n, float lo, float hi)
{
    for (size_t i = 0; i < n; i++) p[i] = rnd_f(lo, hi);
}

#define GUARD 1234.5f

static ops_act rnd_act(void)
{
    ops_act act = { (ops_act_kind)rnd_int(0, OPS_ACT_HARDSWISH), 0.0f, 0.0f };
    if (act.kind == OPS_ACT_CLIP) { act.a = rnd_f(-1.0f, 0.0f); act.b = rnd_f(0.0f, 6.0f); }
    if (act.kind == OPS_ACT_HARDSIGMOID) { act.a = 0.2f; act.b = 0.5f; }
    return act;
}

/* Sums of products agree to a few float roundings of their magnitude. */
static int close_enough(float got, float want, float scale)
{
    if (got != got || want != want) return got != got && want != want;
    return fabsf(got - want) <= 1e-5f * (scale + fabsf(want)) + 1e-6f;
}

/* Compares n floats; reports only the first mismatch of a case. */
static int compare(const char *what, int tcase, const float *got, const float *want, size_t n, float scale)
{
    for (size_t i = 0; i < n; i++) {
        if (!close_enough(got[i], want[i], scale)) {
            CHECK_MSG(0, "%s case %d: [%zu] neon %.9g vs scalar %.9g", what, tcase, i,
                      (double)got[i], (double)want[i]);
            return 0;
        }
    }
    CHECK(1);
    return 1;
}

static double ulps(float got, double want)
{
    if (want == 0.0) return got == 0.0f ? 0.0 : fabs((double)got) / 1.4e-45;
    int e; frexp(want, &e);
    double ulp = ldexp(1.0, (e - 24) < -149 ? -149 : e - 24);
    return fabs((double)got - want) / ulp;
}

/* ---- exp and activations ----------------------------------------------- */

static float neon_exp1(float x)
{
    return vgetq_lane_f32(ops_neon_expq(vdupq_n_f32(x)), 0);
}

static void test_exp(void)
{
    /* Normal results: across the whole range, and densely near 0. */
    double worst = 0.0; float worst_x = 0.0f;
    for (int i = 0; i <= 400000; i++) {
        float x = -87.0f + 175.5f * (float)i / 400000.0f;
        double u = ulps(neon_exp1(x), exp((double)x));
        if (u > worst) { worst = u; worst_x = x; }
    }
    for (int i = 0; i < 100000; i++) {
        float x = rnd_f(-1.0f, 1.0f);
        double u = ulps(neon_exp1(x), exp((double)x));
        if (u > worst) { worst = u; worst_x = x; }
    }
    printf("test-ops-neon: exp max error %.2f ulp (at x = %.7g)\n", worst, (double)worst_x);
    CHECK_MSG(worst <= 2.0, "exp error %.3f ulp at %.9g", worst, (double)worst_x);

    /* Denormal results (x in [-103.9, -87.3]): a few ulps of 2^-149. */
    double dworst = 0.0;
    for (int i = 0; i <= 10000; i++) {
        float x = -103.0f + 15.7f * (float)i / 10000.0f;
        double d = fabs((double)neon_exp1(x) - exp((double)x)) / 1.401298464e-45;
        if (d > dworst) dworst = d;
    }
    CHECK_MSG(dworst <= 2.0, "exp denormal error %.3f x 2^-149", dworst);

    CHECK(neon_exp1(0.0f) == 1.0f);
    CHECK(isinf(neon_exp1(89.0f)) && neon_exp1(89.0f) > 0);
    CHECK(isinf(neon_exp1(INFINITY)));
    CHECK(neon_exp1(-INFINITY) == 0.0f);
    CHECK(neon_exp1(-200.0f) == 0.0f);
    CHECK(isnan(neon_exp1(NAN)));
    CHECK(neon_exp1(88.72f) < INFINITY && neon_exp1(88.72f) > 3.3e38f);
}

static void test_act(void)
{
    const ops_act acts[] = {
        { OPS_ACT_NONE, 0, 0 }, { OPS_ACT_RELU, 0, 0 }, { OPS_ACT_CLIP, 0.0f, 6.0f },
        { OPS_ACT_CLIP, -0.5f, 0.25f }, { OPS_ACT_SIGMOID, 0, 0 }, { OPS_ACT_SWISH, 0, 0 },
        { OPS_ACT_HARDSIGMOID, 0.2f, 0.5f }, { OPS_ACT_HARDSWISH, 0, 0 },
    };
    enum { N = 1003 };   /* 125 eight-wide steps, one four-wide, three lanes */
    static float x[N + 4], ref[N];
    for (size_t t = 0; t < sizeof acts / sizeof acts[0]; t++) {
        fill(x, N, -30.0f, 30.0f);
        x[0] = -120.0f; x[1] = 120.0f; x[2] = 0.0f; x[3] = -0.0f; x[4] = 1e-30f;
        for (int i = 0; i < 4; i++) x[N + i] = GUARD;
        for (int i = 0; i < N; i++) ref[i] = ops_act_apply1(x[i], acts[t]);
        CHECK_EQ_INT(f32_act_neon(x, N, acts[t]), OPS_OK);
        double worst = 0.0;
        for (int i = 0; i < N; i++) {
            double d = fabs((double)x[i] - (double)ref[i]);
            /* exp (<= 1 ulp), the add and the division, against an oracle
             * with its own expf rounding: a few ulps apart at worst. */
            double tol = 6.0 * 1.2e-7 * fabs((double)ref[i]) + 1e-37;
            if (d > tol && d / tol > worst) worst = d / tol;
        }
        CHECK_MSG(worst == 0.0, "act kind %d: error %.3g x tolerance", (int)acts[t].kind, worst);
        CHECK(x[N] == GUARD && x[N + 3] == GUARD);
    }
    /* NaN goes through RELU / CLIP exactly as in the oracle. */
    float v[3] = { NAN, -1.0f, 2.0f };
    ops_act relu = { OPS_ACT_RELU, 0, 0 }, clip = { OPS_ACT_CLIP, 0, 1 };
    f32_act_neon(v, 3, relu);
    CHECK(v[0] == ops_act_apply1(NAN, relu) && v[1] == 0.0f && v[2] == 2.0f);
    v[0] = NAN;
    f32_act_neon(v, 3, clip);
    CHECK(isnan(v[0]) == isnan(ops_act_apply1(NAN, clip)) && v[2] == 1.0f);
    CHECK_EQ_INT(f32_act_neon(NULL, 3, relu), OPS_ERR_ARG);
    CHECK_EQ_INT(f32_act_neon(NULL, 0, relu), OPS_OK);
}

/* ---- GEMM --------------------------------------------------------------- */

static void test_gemm(void)
{
    static const size_t dims_n[] = { 1, 2, 3, 4, 5, 7, 8, 15, 16, 17, 19, 20, 31, 32, 33, 48, 67 };
    for (int tc = 0; tc < 300; tc++) {
        size_t m = (size_t)rnd_int(1, 23);
        size_t n = dims_n[rnd_u32() % (sizeof dims_n / sizeof dims_n[0])];
        size_t k = (size_t)rnd_int(1, 70);
        if (tc == 0) { m = 1; n = 1; k = 1; }
        if (tc == 1) { m = 196; n = 48; k = 144; }   /* a B0 projection */
        size_t as = k + (size_t)rnd_int(0, 3), bs = n + (size_t)rnd_int(0, 3);
        size_t cs = n + (size_t)rnd_int(1, 3), rs = n + (size_t)rnd_int(0, 3);
        float *a = malloc(m * as * sizeof *a), *b = malloc(k * bs * sizeof *b);
        float *sc = malloc(k * sizeof *sc), *bias = malloc(n * sizeof *bias);
        float *res = malloc(m * rs * sizeof *res);
        float *c1 = malloc(m * cs * sizeof *c1), *c2 = malloc(m * cs * sizeof *c2);
        fill(a, m * as, -1.0f, 1.0f); fill(b, k * bs, -1.0f, 1.0f);
        fill(sc, k, 0.0f, 1.0f); fill(bias, n, -1.0f, 1.0f); fill(res, m * rs, -1.0f, 1.0f);
        for (size_t i = 0; i < m * cs; i++) c1[i] = c2[i] = GUARD;
        ops_gemm_args g = { m, n, k, a, as, (rnd_u32() & 1) ? sc : NULL, b, bs,
                            (rnd_u32() & 1) ? bias : NULL, rnd_act(),
                            (rnd_u32() & 1) ? res : NULL, rs, c1, cs, NULL };
        CHECK_EQ_INT(f32_gemm_scalar(&g, NULL), OPS_OK);
        g.c = c2;
        size_t sb = ops_neon_kernels.f32->gemm_buffer_size(m, n, k);
        void *scratch = sb ? malloc(sb) : NULL;
        CHECK_EQ_INT(ops_neon_kernels.f32->gemm(&g, scratch), OPS_OK);
        free(scratch);
        /* The guard columns between n and c_stride compare equal too. */
        compare("gemm", tc, c2, c1, m * cs, (float)k * 0.5f);
        free(a); free(b); free(sc); free(bias); free(res); free(c1); free(c2);
    }
    ops_gemm_args bad = { 2, 2, 2, NULL, 2, NULL, NULL, 2, NULL, { OPS_ACT_NONE, 0, 0 }, NULL, 0, NULL, 2, NULL };
    CHECK_EQ_INT(ops_neon_kernels.f32->gemm(&bad, NULL), OPS_ERR_ARG);
    CHECK_EQ_INT(ops_neon_kernels.f32->gemm(NULL, NULL), OPS_ERR_ARG);
    bad.m = 0;
    CHECK_EQ_INT(ops_neon_kernels.f32->gemm(&bad, NULL), OPS_OK);
}

/* ---- depthwise ---------------------------------------------------------- */

static ops_conv_geom rnd_geom(int k)
{
    ops_conv_geom g;
    g.kh = g.kw = k;
    g.stride_h = g.stride_w = rnd_int(1, 2);
    g.dil_h = g.dil_w = (rnd_u32() % 5 == 0) ? 2 : 1;
    g.pad_top = rnd_int(0, k / 2 + 1); g.pad_left = rnd_int(0, k / 2 + 1);
    g.pad_bottom = rnd_int(0, k / 2 + 1); g.pad_right = rnd_int(0, k / 2 + 1);
    if (rnd_u32() & 1) { g.stride_w = 1; g.dil_w = 1; }   /* non-square geometry */
    return g;
}

static void test_dwconv(void)
{
    static const int ks[] = { 3, 5, 3, 5, 1, 7, 2 };
    int cases = 0;
    for (int tc = 0; tc < 240; tc++) {
        int k = ks[tc % 7];
        ops_hwc in = { rnd_int(1, 13), rnd_int(1, 13), rnd_int(1, 41) };
        if (tc % 5 == 0) in.c = rnd_int(1, 3);
        if (tc == 0) { in.h = 14; in.w = 14; in.c = 240; }
        ops_conv_geom g = rnd_geom(k);
        int oh = ops_conv_out_dim(in.h, g.kh, g.stride_h, g.dil_h, g.pad_top, g.pad_bottom);
        int ow = ops_conv_out_dim(in.w, g.kw, g.stride_w, g.dil_w, g.pad_left, g.pad_right);
        if (oh < 1 || ow < 1) continue;
        cases++;
        size_t nin = (size_t)in.h * in.w * in.c, nout = (size_t)oh * ow * in.c;
        float *x = malloc(nin * sizeof *x), *w = malloc((size_t)k * k * in.c * sizeof *w);
        float *bias = malloc((size_t)in.c * sizeof *bias);
        float *o1 = malloc(nout * sizeof *o1), *o2 = malloc(nout * sizeof *o2);
        float *s1 = malloc((size_t)(in.c + 1) * sizeof *s1), *s2 = malloc((size_t)(in.c + 1) * sizeof *s2);
        fill(x, nin, -1.0f, 1.0f); fill(w, (size_t)k * k * in.c, -1.0f, 1.0f);
        fill(bias, (size_t)in.c, -0.5f, 0.5f);
        for (size_t i = 0; i < nout; i++) o1[i] = o2[i] = GUARD;
        for (int i = 0; i <= in.c; i++) s1[i] = s2[i] = i < in.c ? 0.25f : GUARD;
        int rb = rnd_int(0, oh - 1), re = rnd_int(rb, oh);
        if (tc % 3 == 0) { rb = 0; re = oh; }
        ops_dwconv_args d = { x, in, w, (rnd_u32() & 3) ? bias : NULL, g, rnd_act(),
                              o1, (ops_hwc){ oh, ow, in.c }, rb, re, (rnd_u32() & 1) ? s1 : NULL, 0 };
        CHECK_EQ_INT(f32_dwconv_hwc_scalar(&d), OPS_OK);
        d.out = o2;
        if (d.chan_sum) d.chan_sum = s2;
        CHECK_EQ_INT(ops_neon_kernels.f32->dwconv(&d), OPS_OK);
        /* Rows outside [rb, re) keep their guard value in both. */
        compare("dwconv", tc, o2, o1, nout, (float)(k * k));
        if (d.chan_sum) compare("dwconv chan_sum", tc, s2, s1, (size_t)in.c + 1, (float)(k * k * oh * ow));
        free(x); free(w); free(bias); free(o1); free(o2); free(s1); free(s2);
    }
    CHECK_MSG(cases > 150, "only %d depthwise cases had an output", cases);
    ops_dwconv_args bad = { 0 };
    CHECK_EQ_INT(ops_neon_kernels.f32->dwconv(&bad), OPS_ERR_ARG);
    CHECK_EQ_INT(ops_neon_kernels.f32->dwconv(NULL), OPS_ERR_ARG);
}

/* ---- general conv (stem) ------------------------------------------------ */

static void test_conv(void)
{
    for (int tc = 0; tc < 120; tc++) {
        int k = (tc % 4 == 3) ? 1 : 3;
        int groups = (tc % 10 == 9) ? 2 : 1;
        ops_hwc in = { rnd_int(1, 11), rnd_int(1, 11), groups * rnd_int(1, 4) };
        int oc = groups * rnd_int(1, 40);
        if (tc == 0) { in.h = in.w = 16; in.c = 3; oc = 32; }
        if (tc % 6 == 1) oc = 16 * rnd_int(1, 4);
        ops_conv_geom g = rnd_geom(k);
        int oh = ops_conv_out_dim(in.h, k, g.stride_h, g.dil_h, g.pad_top, g.pad_bottom);
        int ow = ops_conv_out_dim(in.w, k, g.stride_w, g.dil_w, g.pad_left, g.pad_right);
        if (oh < 1 || ow < 1) continue;
        size_t nin = (size_t)in.h * in.w * in.c, nout = (size_t)oh * ow * oc;
        size_t nw = (size_t)k * k * (in.c / groups) * oc;
        float *x = malloc(nin * sizeof *x), *w = malloc(nw * sizeof *w), *bias = malloc((size_t)oc * sizeof *bias);
        float *o1 = malloc(nout * sizeof *o1), *o2 = malloc(nout * sizeof *o2);
        fill(x, nin, -1.0f, 1.0f); fill(w, nw, -1.0f, 1.0f); fill(bias, (size_t)oc, -0.5f, 0.5f);
        for (size_t i = 0; i < nout; i++) o1[i] = o2[i] = GUARD;
        int rb = rnd_int(0, oh - 1), re = rnd_int(rb, oh);
        if (tc % 2 == 0) { rb = 0; re = oh; }
        ops_conv_args a = { x, in, w, (rnd_u32() & 3) ? bias : NULL, g, groups, rnd_act(),
                            o1, (ops_hwc){ oh, ow, oc }, rb, re, 0 };
        CHECK_EQ_INT(f32_conv_hwc_scalar(&a), OPS_OK);
        a.out = o2;
        CHECK_EQ_INT(ops_neon_kernels.f32->conv(&a), OPS_OK);
        compare("conv", tc, o2, o1, nout, (float)(k * k * in.c));
        free(x); free(w); free(bias); free(o1); free(o2);
    }
    CHECK_EQ_INT(ops_neon_kernels.f32->conv(NULL), OPS_ERR_ARG);
}

/* ---- squeeze-excite and pooling ----------------------------------------- */

static void test_se_and_mean(void)
{
    for (int tc = 0; tc < 60; tc++) {
        int c = rnd_int(1, 300), rc = rnd_int(1, 40);
        if (tc == 0) { c = 1152; rc = 48; }
        float *mean = malloc((size_t)c * sizeof *mean), *w1 = malloc((size_t)c * rc * sizeof *w1);
        float *w2 = malloc((size_t)c * rc * sizeof *w2), *b1 = malloc((size_t)rc * sizeof *b1);
        float *b2 = malloc((size_t)c * sizeof *b2), *sc = malloc((size_t)rc * sizeof *sc);
        float *g1 = malloc((size_t)(c + 1) * sizeof *g1), *g2 = malloc((size_t)(c + 1) * sizeof *g2);
        fill(mean, (size_t)c, -1.0f, 1.0f); fill(w1, (size_t)c * rc, -0.3f, 0.3f);
        fill(w2, (size_t)c * rc, -0.3f, 0.3f); fill(b1, (size_t)rc, -0.1f, 0.1f); fill(b2, (size_t)c, -0.1f, 0.1f);
        g1[c] = g2[c] = GUARD;
        ops_act swish = { OPS_ACT_SWISH, 0, 0 }, sig = { OPS_ACT_SIGMOID, 0, 0 };
        ops_se_args s = { mean, c, rc, w1, (tc & 1) ? b1 : NULL, (tc % 3) ? swish : rnd_act(),
                          w2, (tc & 2) ? b2 : NULL, (tc % 4) ? sig : rnd_act(), g1, sc };
        CHECK_EQ_INT(f32_se_gate_scalar(&s), OPS_OK);
        s.gate = g2;
        CHECK_EQ_INT(ops_neon_kernels.f32->se_gate(&s), OPS_OK);
        compare("se_gate", tc, g2, g1, (size_t)c + 1, (float)c * 0.3f);
        free(mean); free(w1); free(w2); free(b1); free(b2); free(sc); free(g1); free(g2);
    }
    ops_se_args bad = { 0 };
    CHECK_EQ_INT(ops_neon_kernels.f32->se_gate(&bad), OPS_ERR_ARG);

    for (int tc = 0; tc < 80; tc++) {
        size_t hw = (size_t)rnd_int(1, 60), c = (size_t)rnd_int(1, 99);
        if (tc == 0) { hw = 49; c = 1280; }
        float *x = malloc(hw * c * sizeof *x), *m1 = malloc((c + 1) * sizeof *m1), *m2 = malloc((c + 1) * sizeof *m2);
        fill(x, hw * c, -2.0f, 2.0f);
        m1[c] = m2[c] = GUARD;
        CHECK_EQ_INT(f32_mean_hw_scalar(x, hw, c, m1), OPS_OK);
        CHECK_EQ_INT(ops_neon_kernels.f32->mean_hw(x, hw, c, m2), OPS_OK);
        compare("mean_hw", tc, m2, m1, c + 1, 2.0f);
        free(x); free(m1); free(m2);
    }
    float one = 1.0f, out;
    CHECK_EQ_INT(ops_neon_kernels.f32->mean_hw(&one, 0, 1, &out), OPS_ERR_ARG);
    CHECK_EQ_INT(ops_neon_kernels.f32->mean_hw(NULL, 4, 1, &out), OPS_ERR_ARG);
}

static void test_dispatch(void)
{
    CHECK(ops_neon_kernels.isa == OPS_ISA_NEON);
    CHECK(ops_isa_available(OPS_ISA_NEON));
    CHECK(ops_isa_best() == OPS_ISA_NEON);
    /* by the CPU's dot product (int8 GEMM); the float32 kernels are one set */
    const ops_kernels *k = ops_kernels_for(OPS_ISA_NEON);
    CHECK(k == &ops_neon_kernels || k == &ops_neondot_kernels);
    CHECK(k && k->f32 == ops_neon_kernels.f32 && ops_neondot_kernels.f32 == ops_neon_kernels.f32);
    CHECK(ops_neon_kernels.f32->conv && ops_neon_kernels.f32->dwconv && ops_neon_kernels.f32->gemm_buffer_size &&
          ops_neon_kernels.f32->gemm && ops_neon_kernels.f32->se_gate && ops_neon_kernels.f32->mean_hw && ops_neon_kernels.f32->act);
}

int main(void)
{
    test_dispatch();
    test_exp();
    test_act();
    test_gemm();
    test_dwconv();
    test_conv();
    test_se_and_mean();
    return check_done("test-ops-neon");
}
#endif
