/*
 * test-q8-kernels.c -- the int8 kernels.
 *
 * 1. The scalar references do what ops/q8.h says: each output is within
 *    one quantisation step of the same formula evaluated in double with
 *    libm's exp (the approximate swish and float rounding may move a value
 *    across a rounding boundary, never further).
 * 2. The portable swish/sigmoid approximation: relative error against
 *    double, measured over a dense grid; the AVX-512 epilogue's
 *    activations, bit for bit against it.
 * 3. Every SIMD table's int8 kernels (GEMM, with and without a_mult;
 *    depthwise; glue; squeeze-excite) give the scalar references' bits, on
 *    random shapes with channel and column tails, odd k, strides,
 *    dilation, asymmetric pads, the ring input, and GEMMs big enough to
 *    take A in several blocks. A table this machine cannot run is
 *    reported as SKIP. On aarch64 both NEON tables run when the CPU has
 *    the dot product (the SMLAL one runs on every core), and
 *    EFFAD_EXPECT_DOTPROD=0|1 (set by make cross-test per emulated CPU)
 *    makes the run fail unless the run-time choice saw what it should.
 * 4. The Arm DSP-extension kernels, built here as portable C (what a
 *    Cortex-M runs with SMLAD / SMLABB in their place), likewise.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#if defined(__x86_64__)
#include <cpuid.h>
#endif
#include "check.h"
#include "q8.h"
#include "dispatch.h"
#include "kernels-internal.h"
#include "q-kernel-test.h"

/* at the end of the file: one table's tests, the DSP kernels, and the
 * NEON table choice */
static void test_q8_table(const ops_kernels *kt);
static void test_dsp_kernels(void);
#if defined(__aarch64__)
static void test_neon_tables(void);
#endif
#if defined(__x86_64__)
static void test_x86_tables(void);
#endif


static int quant_exact(double t, const ops_q8_out *o)
{
    double v = nearbyint(t * o->inv_scale) + o->zero;
    return v < 0 ? 0 : v > 255 ? 255 : (int)v;
}

/* ------------------------------------------------------------------- 2 */

/* The two forms against double: ops_q8_act (16x8 outputs, gates) within
 * 5e-6, ops_q8_act8 (uint8 outputs) within 5e-4 -- and not within 1e-4,
 * so that a mix-up of the two shows. */
static void test_swish_accuracy(void)
{
    double worst[2][2] = { { 0, 0 }, { 0, 0 } };   /* [act8][swish, sigmoid] */
    const ops_act sw = { OPS_ACT_SWISH, 0, 0 }, sg = { OPS_ACT_SIGMOID, 0, 0 };
    for (int i = -3000000; i <= 3000000; i++) {
        const float x = (float)i * 1e-5f;   /* -30 .. 30 */
        const double es = act_exact(x, sw), eg = act_exact(x, sg);
        for (int u8 = 0; u8 < 2; u8++) {
            const float s = u8 ? ops_q8_act8(x, sw) : ops_q8_act(x, sw), g = u8 ? ops_q8_act8(x, sg) : ops_q8_act(x, sg);
            const double rs = fabs(s - es) / (fabs(es) > 1e-30 ? fabs(es) : 1e-30), rg = fabs(g - eg) / eg;
            if (fabs(es) > 1e-6 && rs > worst[u8][0]) worst[u8][0] = rs;
            if (rg > worst[u8][1]) worst[u8][1] = rg;
        }
    }
    printf("  int8 swish: max relative error %.2e, sigmoid %.2e on |x| <= 30; uint8 outputs' form %.2e, %.2e\n",
           worst[0][0], worst[0][1], worst[1][0], worst[1][1]);
    CHECK_MSG(worst[0][0] < 5e-6 && worst[0][1] < 5e-6, "swish %g sigmoid %g", worst[0][0], worst[0][1]);
    CHECK_MSG(worst[1][0] < 5e-4 && worst[1][1] < 5e-4 && worst[1][0] > 1e-4 && worst[1][1] > 1e-4,
              "uint8 outputs' swish %g sigmoid %g", worst[1][0], worst[1][1]);
}

/* ------------------------------------------------------------- shapes */

typedef struct gemm_case {
    ops_q8_gemm_args g;
    uint8_t *a, *res, *c;
    int8_t *b;
    float *mult, *bias, *a_mult;
} gemm_case;

static void gemm_make(gemm_case *t, size_t m, size_t n, size_t k)
{
    memset(t, 0, sizeof *t);
    t->a = malloc(m * k); t->b = malloc(k * n); t->res = malloc(m * n); t->c = malloc(m * n);
    t->mult = malloc(sizeof(float) * n); t->bias = malloc(sizeof(float) * n); t->a_mult = malloc(sizeof(float) * k);
    for (size_t i = 0; i < m * k; i++) t->a[i] = (uint8_t)(rnd() & 1 ? (int)(rnd() & 255) : 128 + (int)(rnd() % 40) - 20);
    /* a third of the cases 7-bit weights (the AVX2 u8s8 panels' range), a
     * third 6-bit ones (u6s8: [-32, 32]; in half of those the odd panels
     * of 16 columns 7-bit, so that one call mixes both), a third the
     * extremes of int8 */
    const int bits = 6 + (int)(rnd() % 3), mixed = bits == 6 && (rnd() & 1);
    for (size_t i = 0; i < k * n; i++) {
        const int wb = mixed && (i % n / 16) % 2 ? 7 : bits;
        t->b[i] = wb == 7   ? (int8_t)(rnd() % 3 == 0 ? (rnd() & 1 ? 63 : -64) : (int)(rnd() % 128) - 64)
                  : wb == 6 ? (int8_t)(rnd() % 3 == 0 ? (rnd() & 1 ? 32 : -32) : (int)(rnd() % 65) - 32)
                            : (int8_t)(rnd() % 3 == 0 ? (rnd() & 1 ? 127 : -128) : (int)(rnd() % 255) - 127);
    }
    for (size_t i = 0; i < m * n; i++) t->res[i] = (uint8_t)rnd();
    const float s_in = frand(0.005f, 0.05f);
    for (size_t j = 0; j < n; j++) { t->mult[j] = s_in * frand(0.0005f, 0.01f); t->bias[j] = frand(-1.0f, 1.0f); }
    ops_q8_gemm_args *g = &t->g;
    g->m = m; g->n = n; g->k = k;
    g->a = t->a; g->a_stride = k; g->a_zero = (int32_t)(rnd() % 256);
    g->b = t->b; g->b_stride = n;
    g->out.mult = t->mult; g->out.bias = rnd() & 1 ? t->bias : 0;
    g->out.act = random_act();
    g->out.inv_scale = 1.0f / frand(0.01f, 0.2f); g->out.zero = (int32_t)(rnd() % 256);
    if (rnd() & 1) { g->res = t->res; g->res_stride = n; g->res_zero = (int32_t)(rnd() % 256); g->res_scale = frand(0.01f, 0.1f); }
    /* a third with A requantised on the way in (the squeeze-excite rescale) */
    if (rnd() % 3 == 0) {
        for (size_t kk = 0; kk < k; kk++) t->a_mult[kk] = frand(0.0f, 2.5f);
        g->a_mult = t->a_mult; g->a_in_zero = (int32_t)(rnd() % 256);
    }
    /* half of them bounded as the loader would find them */
    if (rnd() & 1) g->out.bounded = ops_q8_out_bounded(&g->out, n, (double)k, 256, g->res ? 256 : 0, g->res_scale);
    g->c = t->c; g->c_stride = n;
}

static void gemm_free(gemm_case *t)
{
    free(t->a); free(t->b); free(t->res); free(t->c); free(t->mult); free(t->bias); free(t->a_mult);
}

/* 1: A requantised by a_mult is q8_scale_channels followed by the plain
 * GEMM, bit for bit. */
static void test_gemm_a_mult(void)
{
    int cases = 0;
    for (int it = 0; it < 60; it++) {
        gemm_case t;
        gemm_make(&t, 1 + rnd() % 9, 1 + rnd() % 40, 1 + rnd() % 70);
        ops_q8_gemm_args *g = &t.g;
        if (!g->a_mult) { gemm_free(&t); continue; }
        uint8_t *a2 = malloc(g->m * g->k), *want = malloc(g->m * g->n);
        CHECK_EQ_INT(q8_scale_channels_scalar(g->a, g->m, g->k, g->a_in_zero, g->a_mult, g->a_zero, a2), OPS_OK);
        ops_q8_gemm_args h = *g;
        h.a = a2; h.a_mult = 0; h.c = want;
        CHECK_EQ_INT(q8_gemm_scalar(&h, 0), OPS_OK);
        CHECK_EQ_INT(q8_gemm_scalar(g, 0), OPS_OK);
        CHECK_MSG(!memcmp(g->c, want, g->m * g->n), "a_mult gemm %zux%zux%zu differs from rescale + gemm", g->m, g->n, g->k);
        cases++;
        free(a2); free(want);
        gemm_free(&t);
    }
    printf("  scalar int8 gemm with a_mult = q8_scale_channels + gemm: %d cases\n", cases);
    CHECK(cases > 5);
}

/* 1: the scalar GEMM against the formula in double. */
static void test_gemm_semantics(void)
{
    int worst = 0, cases = 0;
    for (int it = 0; it < 40; it++) {
        gemm_case t;
        gemm_make(&t, 1 + rnd() % 9, 1 + rnd() % 40, 1 + rnd() % 70);
        ops_q8_gemm_args *g = &t.g;
        g->a_mult = 0;   /* its own test below */
        CHECK_EQ_INT(q8_gemm_scalar(g, 0), OPS_OK);
        for (size_t i = 0; i < g->m; i++)
            for (size_t j = 0; j < g->n; j++) {
                long long acc = 0;
                for (size_t kk = 0; kk < g->k; kk++) acc += ((long long)g->a[i * g->k + kk] - g->a_zero) * g->b[kk * g->n + j];
                double v = (double)acc * g->out.mult[j] + (g->out.bias ? g->out.bias[j] : 0);
                v = act_exact(v, g->out.act);
                if (g->res) v += ((double)g->res[i * g->n + j] - g->res_zero) * g->res_scale;
                const int d = abs(quant_exact(v, &g->out) - g->c[i * g->n + j]);
                worst = d > worst ? d : worst;
                cases++;
            }
        gemm_free(&t);
    }
    printf("  scalar int8 gemm vs double: %d outputs, max |diff| %d step\n", cases, worst);
    CHECK(worst <= 1);
}

/* 1: ops_q8_t_max and ops_q8_bounded, the proof behind ops_q8_out.bounded:
 * the bound is reached (an input and weight at their extremes), the
 * activations and residual add what they can, and 2^30 is the line. */
static void test_bound(void)
{
    const ops_act none = { OPS_ACT_NONE, 0, 0 }, clip = { OPS_ACT_CLIP, -300.0f, 6.0f };
    CHECK(ops_q8_t_max(1, 256, 1.0, 0.0, none, 0, 0.0f) == 32768.0);
    CHECK(ops_q8_t_max(27, 256, 0.5, 3.0, none, 0, 0.0f) == 27 * 256 * 128 * 0.5 + 3.0);
    CHECK(ops_q8_t_max(1, 256, 1e-9, 0.0, none, 0, 0.0f) == 1.0);        /* sigmoid's 1 */
    CHECK(ops_q8_t_max(1, 256, 1e-9, 0.0, clip, 0, 0.0f) == 300.0);      /* clip's limit */
    CHECK(ops_q8_t_max(1, 256, 1.0, 0.0, none, 256, -0.5f) == 32768.0 + 128.0);
    /* the most a uint8 x int8 sum of one tap reaches: (0 - 255) * -128 */
    uint8_t a = 0, c;
    int8_t b = -128;
    const float mult = 1.0f;
    ops_q8_gemm_args g;
    memset(&g, 0, sizeof g);
    g.m = g.n = g.k = 1; g.a = &a; g.a_stride = 1; g.a_zero = 255; g.b = &b; g.b_stride = 1;
    g.out.mult = &mult; g.out.act = none; g.out.inv_scale = 1.0f; g.out.zero = 0; g.c = &c; g.c_stride = 1;
    CHECK_EQ_INT(q8_gemm_scalar(&g, 0), OPS_OK);
    CHECK_EQ_INT(c, 255);
    CHECK(ops_q8_bounded(32640.0, 1.0f));
    CHECK(ops_q8_bounded(0x1p30 - 1.0, 1.0f) && !ops_q8_bounded(0x1p30, 1.0f) && !ops_q8_bounded(0x1p29, 2.0f));
    CHECK(!ops_q8_bounded(NAN, 1.0f) && !ops_q8_bounded(1.0, INFINITY) && !ops_q8_bounded(INFINITY, 1.0f));
    printf("  the bound of ops_q8_out.bounded: as derived\n");
}

/* 3: a table's GEMM (packed as the table packs) against the scalar one. */
static void test_gemm_table(const ops_kernels *kt)
{
    const ops_q8_kernels *q = kt->q8;
    int bad = 0, cases = 0;
    for (int it = 0; it < 300; it++) {
        size_t m = 1 + rnd() % (it < 100 ? 13 : 70), n = 1 + rnd() % (it % 3 ? 40 : 200), k = 1 + rnd() % (it % 4 ? 50 : 400);
        /* the last few: a packed B too big to sweep, A in several blocks
         * (the odd ones past 128 KB of packed B whatever the layout) */
        if (it >= 285) { m = 200 + rnd() % 500; n = 100 + rnd() % 150; k = 200 + rnd() % 300; }
        if (it >= 285 && it % 2) { m = 100 + rnd() % 300; n = 200 + rnd() % 100; k = 600 + rnd() % 500; }
        gemm_case t;
        gemm_make(&t, m, n, k);
        uint8_t *want = malloc(m * n);
        t.g.c = want;
        q8_gemm_scalar(&t.g, 0);
        t.g.c = t.c;
        memset(t.c, 0xAB, m * n);
        void *pack = 0, *scratch = 0;
        const size_t sb = q->gemm_buffer_size(m, n, k);
        if (q->gemm_pack) {
            if (posix_memalign(&pack, 64, q->gemm_pack_buffer_size(n, k) + 64)) pack = 0;
            CHECK_EQ_INT(q->gemm_pack(&t.g, pack), OPS_OK);
            t.g.b_packed = pack;
        }
        if (sb && posix_memalign(&scratch, 64, sb)) scratch = 0;
        CHECK_EQ_INT(q->gemm(&t.g, scratch), OPS_OK);
        cases++;
        if (memcmp(t.c, want, m * n)) {
            bad++;
            CHECK_MSG(0, "%s int8 gemm %zux%zux%zu act %d bias %d res %d differs from scalar", kt->name, m, n, k,
                      t.g.out.act.kind, !!t.g.out.bias, !!t.g.res);
        }
        /* a column chunk starting at a panel boundary, through the pack offset */
        if (q->gemm_pack && n > q->gemm_panel) {
            const size_t c0 = q->gemm_panel;
            ops_q8_gemm_args h = t.g;
            h.n = n - c0; h.b += c0; h.c += c0; h.out.mult += c0;
            if (h.out.bias) h.out.bias += c0;
            if (h.res) h.res += c0;
            h.b_packed = (const uint8_t *)pack + q->gemm_pack_offset(c0, k);
            memset(t.c, 0xAB, m * n);
            CHECK_EQ_INT(q->gemm(&h, scratch), OPS_OK);
            for (size_t i = 0; i < m; i++)
                CHECK_MSG(!memcmp(t.c + i * n + c0, want + i * n + c0, n - c0), "%s column chunk row %zu", kt->name, i);
        }
        free(pack); free(scratch); free(want);
        gemm_free(&t);
    }
    printf("  %s int8 gemm: %d cases bit-identical to scalar, %d not\n", kt->name, cases - bad, bad);
}

/* 3: a table's GEMM epilogue over a dense range of sums, for every
 * activation: k = 1 and A = 0..255 against weights -128..127 make each
 * column a ramp of sums, and the column factors stretch the ramps to
 * |t| <= ~140, past the clamps of the exponential (-30, 80) and through
 * the quantiser's saturation on both sides. */
static void test_gemm_epilogue(const ops_kernels *kt)
{
    const ops_q8_kernels *q = kt->q8;
    enum { M = 256, N = 45 };
    static const ops_act acts[] = { { OPS_ACT_NONE, 0, 0 }, { OPS_ACT_RELU, 0, 0 }, { OPS_ACT_CLIP, 0, 6 },
                                    { OPS_ACT_SIGMOID, 0, 0 }, { OPS_ACT_SWISH, 0, 0 },
                                    { OPS_ACT_HARDSIGMOID, 0.2f, 0.5f }, { OPS_ACT_HARDSWISH, 0, 0 } };
    uint8_t a[M], res[M * N], want[M * N], got[M * N];
    int8_t b[N];
    float mult[N], bias[N];
    for (int i = 0; i < M; i++) a[i] = (uint8_t)i;
    for (int j = 0; j < N; j++) {
        b[j] = (int8_t)(j % 2 ? -128 + 3 * j : 127 - 5 * j);
        mult[j] = 0.00012f * (float)(j + 1);
        bias[j] = frand(-2, 2);
    }
    for (int i = 0; i < M * N; i++) res[i] = (uint8_t)rnd();
    int bad = 0;
    for (size_t ai = 0; ai < sizeof acts / sizeof acts[0]; ai++)
        for (int variant = 0; variant < 8; variant++) {
            ops_q8_gemm_args g;
            memset(&g, 0, sizeof g);
            g.m = M; g.n = N; g.k = 1;
            g.a = a; g.a_stride = 1; g.a_zero = 0;
            g.b = b; g.b_stride = N;
            g.out.mult = mult; g.out.bias = variant & 1 ? bias : 0; g.out.act = acts[ai];
            /* a fine output step (many codes saturate) and a coarse one */
            g.out.inv_scale = variant & 2 ? 1.0f / 0.02f : 1.0f / 0.6f;
            g.out.zero = variant & 2 ? 40 : 200;
            if (variant % 4 == 3) { g.res = res; g.res_stride = N; g.res_zero = 128; g.res_scale = 0.05f; }
            /* the second four bounded (ops_q8_out.bounded): the same
             * saturation left to the packs */
            if (variant >= 4) {
                g.out.bounded = ops_q8_out_bounded(&g.out, N, 1, 256, g.res ? 256 : 0, g.res_scale);
                CHECK(g.out.bounded);
            }
            g.c = want; g.c_stride = N;
            CHECK_EQ_INT(q8_gemm_scalar(&g, 0), OPS_OK);
            void *pack = 0, *scratch = 0;
            if (q->gemm_pack) {
                if (posix_memalign(&pack, 64, q->gemm_pack_buffer_size(N, 1) + 64)) pack = 0;
                CHECK_EQ_INT(q->gemm_pack(&g, pack), OPS_OK);
                g.b_packed = pack;
            }
            const size_t sb = q->gemm_buffer_size(M, N, 1);
            if (sb && posix_memalign(&scratch, 64, sb)) scratch = 0;
            g.c = got;
            CHECK_EQ_INT(q->gemm(&g, scratch), OPS_OK);
            if (memcmp(got, want, sizeof got)) {
                bad++;
                CHECK_MSG(0, "%s int8 gemm epilogue act %d variant %d differs from scalar", kt->name, acts[ai].kind, variant);
            }
            free(pack); free(scratch);
        }
#if defined(__x86_64__)
    /* The AVX2 tables take the bounded road when told to: a sum whose
     * t * inv_scale (3e10) is past int32, wrongly declared bounded, comes
     * out 0 there (vcvtps2dq's INT32_MIN, saturated), 255 when clamped. */
    if (kt == &ops_avx2_kernels || kt == &ops_avx2vnni_kernels) {
        uint8_t a0[16], c0[16];
        int8_t b0 = -128;
        const float huge = 1e6f;
        memset(a0, 0, sizeof a0);
        ops_q8_gemm_args g;
        memset(&g, 0, sizeof g);
        g.m = 16; g.n = 1; g.k = 1; g.a = a0; g.a_stride = 1; g.a_zero = 255; g.b = &b0; g.b_stride = 1;
        g.out.mult = &huge; g.out.act = acts[0]; g.out.inv_scale = 1.0f; g.c = c0; g.c_stride = 1;
        CHECK(!ops_q8_out_bounded(&g.out, 1, 1, 256, 0, 0.0f));
        void *pack = 0, *scratch = 0;
        if (posix_memalign(&pack, 64, q->gemm_pack_buffer_size(1, 1) + 64)) pack = 0;
        CHECK_EQ_INT(q->gemm_pack(&g, pack), OPS_OK);
        g.b_packed = pack;
        const size_t sb = q->gemm_buffer_size(16, 1, 1);
        if (sb && posix_memalign(&scratch, 64, sb)) scratch = 0;
        CHECK_EQ_INT(q->gemm(&g, scratch), OPS_OK);
        CHECK_EQ_INT(c0[0], 255);
        g.out.bounded = 1;
        CHECK_EQ_INT(q->gemm(&g, scratch), OPS_OK);
        CHECK_EQ_INT(c0[0], 0);
        free(pack); free(scratch);
    }
#endif
    printf("  %s int8 gemm epilogue on ramps of sums, 7 activations, clamped and bounded: %s\n", kt->name,
           bad ? "DIFFERS" : "bit-identical");
}

typedef struct dw_case {
    ops_q8_dwconv_args d;
    uint8_t *in, *out;
    int8_t *w;
    float *mult, *bias;
    int32_t *sum;
} dw_case;

static void dw_make(dw_case *t)
{
    memset(t, 0, sizeof *t);
    ops_q8_dwconv_args *d = &t->d;
    const int k = rnd() % 4 == 0 ? 5 : rnd() % 5 == 0 ? 7 : 3;
    d->g.kh = d->g.kw = k;
    d->g.stride_h = d->g.stride_w = 1 + (int)(rnd() % 2);
    /* now and then strides the fixed 3x3/5x5 kernels leave to the any-k
     * one (ops_dw_fixed_kxk): 3, or mixed */
    if (rnd() % 12 == 0) d->g.stride_h = d->g.stride_w = 3;
    else if (rnd() % 12 == 0) d->g.stride_w = 3 - d->g.stride_h;
    d->g.dil_h = d->g.dil_w = rnd() % 6 == 0 ? 2 : 1;
    d->g.pad_top = (int)(rnd() % (unsigned)(k)); d->g.pad_left = (int)(rnd() % (unsigned)k);
    d->g.pad_bottom = (int)(rnd() % (unsigned)k); d->g.pad_right = (int)(rnd() % (unsigned)k);
    /* now and then more channels than one stack group of prepared weights
     * holds (AVX-512: 512 at 3x3, 224 at 5x5), with a tail */
    const int c = rnd() % 10 == 0 ? 200 + (int)(rnd() % 400) : 1 + (int)(rnd() % 70);
    const int ih = 4 + (int)(rnd() % 14), iw = 4 + (int)(rnd() % 14);
    d->in_dims = (ops_hwc){ ih, iw, c };
    const int oh = ops_conv_out_dim(ih, k, d->g.stride_h, d->g.dil_h, d->g.pad_top, d->g.pad_bottom);
    const int ow = ops_conv_out_dim(iw, k, d->g.stride_w, d->g.dil_w, d->g.pad_left, d->g.pad_right);
    d->out_dims = (ops_hwc){ oh < 1 ? 1 : oh, ow < 1 ? 1 : ow, c };
    if (oh < 1 || ow < 1) { d->g.pad_top = d->g.pad_bottom = d->g.pad_left = d->g.pad_right = k; d->g.dil_h = d->g.dil_w = 1; }
    d->out_dims.h = ops_conv_out_dim(ih, k, d->g.stride_h, d->g.dil_h, d->g.pad_top, d->g.pad_bottom);
    d->out_dims.w = ops_conv_out_dim(iw, k, d->g.stride_w, d->g.dil_w, d->g.pad_left, d->g.pad_right);
    t->in = malloc((size_t)ih * iw * c);
    t->w = malloc((size_t)k * k * c);
    t->out = malloc((size_t)d->out_dims.h * d->out_dims.w * c);
    t->mult = malloc(sizeof(float) * c); t->bias = malloc(sizeof(float) * c);
    t->sum = calloc((size_t)c, sizeof(int32_t));
    for (size_t i = 0; i < (size_t)ih * iw * c; i++) t->in[i] = (uint8_t)rnd();
    /* half the cases with 7-bit weights (--weight-bits 7), extremes
     * included: what the AVX2 depthwise's quad path takes */
    const int w7 = rnd() & 1;
    for (size_t i = 0; i < (size_t)k * k * c; i++)
        t->w[i] = w7 ? (int8_t)(rnd() % 4 == 0 ? (rnd() & 1 ? -64 : 64) : (int)(rnd() % 129) - 64)
                     : (int8_t)(rnd() % 4 == 0 ? -128 : (int)(rnd() % 255) - 127);
    for (int j = 0; j < c; j++) { t->mult[j] = frand(1e-5f, 2e-4f); t->bias[j] = frand(-1, 1); }
    d->in = t->in; d->in_zero = (int32_t)(rnd() % 256); d->w = t->w;
    d->out.mult = t->mult; d->out.bias = rnd() & 1 ? t->bias : 0; d->out.act = random_act();
    d->out.inv_scale = 1.0f / frand(0.005f, 0.1f); d->out.zero = (int32_t)(rnd() % 256);
    if (rnd() & 1) d->out.bounded = ops_q8_out_bounded(&d->out, (size_t)c, (double)(k * k), 256, 0, 0.0f);
    d->out_q = t->out;
    d->row_begin = 0; d->row_end = d->out_dims.h;
    d->chan_sum = rnd() & 1 ? t->sum : 0;
}

static void dw_free(dw_case *t) { free(t->in); free(t->w); free(t->out); free(t->mult); free(t->bias); free(t->sum); }

static void test_dw_semantics(void)
{
    int worst = 0, cases = 0;
    for (int it = 0; it < 40; it++) {
        dw_case t;
        dw_make(&t);
        ops_q8_dwconv_args *d = &t.d;
        CHECK_EQ_INT(q8_dwconv_hwc_scalar(d), OPS_OK);
        const int c = d->in_dims.c;
        for (int oy = 0; oy < d->out_dims.h; oy++)
            for (int ox = 0; ox < d->out_dims.w; ox++)
                for (int ch = 0; ch < c; ch++) {
                    long long acc = 0;
                    for (int ky = 0; ky < d->g.kh; ky++)
                        for (int kx = 0; kx < d->g.kw; kx++) {
                            const int iy = oy * d->g.stride_h - d->g.pad_top + ky * d->g.dil_h;
                            const int ix = ox * d->g.stride_w - d->g.pad_left + kx * d->g.dil_w;
                            if (iy < 0 || ix < 0 || iy >= d->in_dims.h || ix >= d->in_dims.w) continue;
                            acc += ((long long)d->in[((size_t)iy * d->in_dims.w + ix) * c + ch] - d->in_zero) *
                                   d->w[((size_t)ky * d->g.kw + kx) * c + ch];
                        }
                    double v = (double)acc * d->out.mult[ch] + (d->out.bias ? d->out.bias[ch] : 0);
                    const int q = quant_exact(act_exact(v, d->out.act), &d->out);
                    const int diff = abs(q - d->out_q[((size_t)oy * d->out_dims.w + ox) * c + ch]);
                    worst = diff > worst ? diff : worst;
                    cases++;
                }
        dw_free(&t);
    }
    printf("  scalar int8 depthwise vs double: %d outputs, max |diff| %d step\n", cases, worst);
    CHECK(worst <= 1);
}

static void test_dw_table(const ops_kernels *kt)
{
    int bad = 0, cases = 0;
    for (int it = 0; it < 400; it++) {
        dw_case t;
        dw_make(&t);
        ops_q8_dwconv_args *d = &t.d;
        const size_t no = (size_t)d->out_dims.h * d->out_dims.w * d->in_dims.c;
        uint8_t *want = malloc(no);
        int32_t *want_sum = calloc((size_t)d->in_dims.c, sizeof(int32_t));
        int32_t *sum = d->chan_sum;
        d->out_q = want;
        if (sum) d->chan_sum = want_sum;
        q8_dwconv_hwc_scalar(d);
        d->out_q = t.out;
        d->chan_sum = sum;
        memset(t.out, 0xCD, no);
        /* split into two row ranges, and read the input through a ring when it fits */
        const int mid = d->out_dims.h / 2;
        ops_q8_dwconv_args d1 = *d, d2 = *d;
        d1.row_end = mid; d2.row_begin = mid;
        CHECK_EQ_INT(kt->q8->dwconv(&d1), OPS_OK);
        CHECK_EQ_INT(kt->q8->dwconv(&d2), OPS_OK);
        int ok = !memcmp(t.out, want, no) && (!sum || !memcmp(sum, want_sum, sizeof(int32_t) * (size_t)d->in_dims.c));
        cases++;
        if (!ok) {
            bad++;
            CHECK_MSG(0, "%s int8 dw k%d s%d dil%d c%d %dx%d act %d differs", kt->name, d->g.kh, d->g.stride_h, d->g.dil_h,
                      d->in_dims.c, d->in_dims.h, d->in_dims.w, d->out.act.kind);
        }
        /* one output row from a ring holding only the rows it reads */
        if (d->out_dims.h > 1 && d->g.dil_h == 1) {
            const int oy = d->out_dims.h - 1, ring = d->g.kh;
            const size_t row = (size_t)d->in_dims.w * d->in_dims.c;
            uint8_t *rb = malloc(row * (size_t)ring);
            memset(rb, 0xEE, row * (size_t)ring);
            for (int ky = 0; ky < d->g.kh; ky++) {
                const int iy = oy * d->g.stride_h - d->g.pad_top + ky;
                if (iy >= 0 && iy < d->in_dims.h) memcpy(rb + (size_t)(iy % ring) * row, d->in + (size_t)iy * row, row);
            }
            ops_q8_dwconv_args r1 = *d;
            r1.in = rb; r1.in_ring = ring; r1.row_begin = oy; r1.row_end = oy + 1; r1.chan_sum = 0;
            memset(t.out, 0xCD, no);
            CHECK_EQ_INT(kt->q8->dwconv(&r1), OPS_OK);
            const size_t at = (size_t)oy * d->out_dims.w * d->in_dims.c;
            CHECK_MSG(!memcmp(t.out + at, want + at, no - at), "%s int8 dw ring row differs", kt->name);
            free(rb);
        }
        free(want); free(want_sum);
        dw_free(&t);
    }
    printf("  %s int8 depthwise: %d cases bit-identical to scalar, %d not\n", kt->name, cases - bad, bad);
}

static void test_glue_table(const ops_kernels *kt)
{
    const ops_q8_kernels *q = kt->q8;
    for (int it = 0; it < 100; it++) {
        const size_t pixels = 1 + rnd() % 50, c = 1 + rnd() % 90, n = pixels * c;
        uint8_t *in = malloc(n), *a = malloc(n), *b = malloc(n);
        float *mult = malloc(sizeof(float) * c), *x = malloc(sizeof(float) * n), *y = malloc(sizeof(float) * n);
        int32_t *s1 = malloc(sizeof(int32_t) * c), *s2 = malloc(sizeof(int32_t) * c);
        for (size_t i = 0; i < n; i++) { in[i] = (uint8_t)rnd(); x[i] = frand(-8, 8); }
        for (size_t j = 0; j < c; j++) mult[j] = frand(0.0f, 3.0f);
        const int32_t zi = (int32_t)(rnd() % 256), zo = (int32_t)(rnd() % 256);
        q8_scale_channels_scalar(in, pixels, c, zi, mult, zo, a);
        CHECK_EQ_INT(q->scale_channels(in, pixels, c, zi, mult, zo, b), OPS_OK);
        CHECK_MSG(!memcmp(a, b, n), "%s scale_channels %zux%zu", kt->name, pixels, c);
        memcpy(b, in, n);   /* in place, as the engine calls it */
        CHECK_EQ_INT(q->scale_channels(b, pixels, c, zi, mult, zo, b), OPS_OK);
        CHECK_MSG(!memcmp(a, b, n), "%s scale_channels in place", kt->name);
        const float inv = 1.0f / frand(0.01f, 0.1f);
        q8_quantize_scalar(x, n, inv, zo, a);
        CHECK_EQ_INT(q->quantize(x, n, inv, zo, b), OPS_OK);
        CHECK_MSG(!memcmp(a, b, n), "%s quantize n=%zu", kt->name, n);
        /* what only a hostile model makes: NaN and infinities, in every
         * lane position, give the scalar reference's codes (NaN: 255) */
        for (size_t i = 0; i < n; i++) x[i] = (i + (size_t)it) % 3 == 0 ? NAN : (i + (size_t)it) % 3 == 1 ? -INFINITY : INFINITY;
        q8_quantize_scalar(x, n, inv, zo, a);
        const size_t first_nan = (size_t)(3 - it % 3) % 3;
        if (first_nan < n) CHECK_EQ_INT(a[first_nan], 255);
        CHECK_EQ_INT(q->quantize(x, n, inv, zo, b), OPS_OK);
        CHECK_MSG(!memcmp(a, b, n), "%s quantize of NaN and infinities n=%zu", kt->name, n);
        q8_dequantize_scalar(in, n, 0.037f, zi, x);
        CHECK_EQ_INT(q->dequantize(in, n, 0.037f, zi, y), OPS_OK);
        CHECK_MSG(!memcmp(x, y, sizeof(float) * n), "%s dequantize n=%zu", kt->name, n);
        q8_sum_hw_scalar(in, pixels, c, s1);
        CHECK_EQ_INT(q->sum_hw(in, pixels, c, s2), OPS_OK);
        CHECK_MSG(!memcmp(s1, s2, sizeof(int32_t) * c), "%s sum_hw %zux%zu", kt->name, pixels, c);
        free(in); free(a); free(b); free(mult); free(x); free(y); free(s1); free(s2);
    }
}

/* The squeeze-excite gate with int8 weights: every shape the blocks of
 * rows and columns cut differently (rc below, at and past 8 and 16; c with
 * and without a tail), with and without biases. */
static void test_se_table(const ops_kernels *kt)
{
    int bad = 0, cases = 0;
    static const ops_act_kind acts[] = { OPS_ACT_SWISH, OPS_ACT_RELU, OPS_ACT_NONE };
    for (int it = 0; it < 120; it++) {
        const int c = 1 + (int)(rnd() % (it % 4 ? 90 : 700)), rc = 1 + (int)(rnd() % 40);
        int8_t *w1 = malloc((size_t)rc * c), *w2 = malloc((size_t)rc * c);
        float *mean = malloc(sizeof(float) * c), *s1 = malloc(sizeof(float) * rc), *b1 = malloc(sizeof(float) * rc);
        float *s2 = malloc(sizeof(float) * c), *b2 = malloc(sizeof(float) * c);
        float *g1 = malloc(sizeof(float) * c), *g2 = malloc(sizeof(float) * c), *h = malloc(sizeof(float) * rc);
        for (int i = 0; i < rc * c; i++) { w1[i] = (int8_t)(rnd() % 256 - 128); w2[i] = (int8_t)(rnd() % 256 - 128); }
        for (int i = 0; i < c; i++) { mean[i] = frand(-3, 3); s2[i] = frand(1e-4f, 1e-2f); b2[i] = frand(-1, 1); }
        for (int r = 0; r < rc; r++) { s1[r] = frand(1e-4f, 1e-2f); b1[r] = frand(-1, 1); }
        const int bias = (int)(rnd() & 1);
        ops_q8_se_args a = { mean, c, rc, w1, s1, bias ? b1 : 0, { acts[rnd() % 3], 0, 0 },
                             w2, s2, bias ? b2 : 0, { OPS_ACT_SIGMOID, 0, 0 }, g1, h };
        CHECK_EQ_INT(q8_se_gate_scalar(&a), OPS_OK);
        a.gate = g2;
        CHECK_EQ_INT(kt->q8->se_gate(&a), OPS_OK);
        cases++;
        if (memcmp(g1, g2, sizeof(float) * c)) {
            bad++;
            CHECK_MSG(0, "%s int8 squeeze-excite c %d rc %d differs from scalar", kt->name, c, rc);
        }
        free(w1); free(w2); free(mean); free(s1); free(b1); free(s2); free(b2); free(g1); free(g2); free(h);
    }
    printf("  %s int8 squeeze-excite: %d cases bit-identical to scalar, %d not\n", kt->name, cases - bad, bad);
}

int main(void)
{
    test_swish_accuracy();
    test_gemm_semantics();
    test_bound();
    test_gemm_a_mult();
    test_dw_semantics();
    test_dsp_kernels();
#if defined(__aarch64__)
    test_neon_tables();
#endif
#if defined(__x86_64__)
    test_x86_tables();
#endif
    const int tested = for_each_simd_table("test-q8-kernels", "int8", test_q8_table);
    printf("  int8 SIMD tables tested: %d\n", tested);
    return check_done("test-q8-kernels");
}

/* ----------------------------------------- tables beside the ISA loop */

static void test_q8_table(const ops_kernels *kt)
{
    if (!kt->q8) { CHECK_MSG(0, "%s has no int8 table", kt->name); return; }
    test_gemm_table(kt);
    test_gemm_epilogue(kt);
    test_dw_table(kt);
    test_glue_table(kt);
    test_se_table(kt);
}

/* 4: the DSP GEMM and depthwise in the reference table's place. */
static void test_dsp_kernels(void)
{
    ops_q8_kernels q = ops_scalar_q8;
    q.gemm = q8_gemm_2x2_dsp;
    q.gemm_buffer_size = q8_gemm_buffer_size_dsp;
    q.dwconv = q8_dwconv_hwc_dsp;
    const ops_kernels dsp = { OPS_ISA_SCALAR, "dsp (portable C)", 0, &q, &ops_scalar_q16 };
    test_q8_table(&dsp);
}

#if defined(__x86_64__)
/* 2, AVX-512: the zmm activations of the int8 epilogue give ops_q8_act8's
 * values (uint8 outputs) and ops_q8_act's (16x8 outputs, gates), one by
 * one, on a dense grid across both clamps of the exponential (-30 and 80
 * for -x) and on special values. */
static void test_avx512_act(void)
{
    static const ops_act acts[] = { { OPS_ACT_NONE, 0, 0 }, { OPS_ACT_RELU, 0, 0 }, { OPS_ACT_CLIP, 0, 6 },
                                    { OPS_ACT_SIGMOID, 0, 0 }, { OPS_ACT_SWISH, 0, 0 },
                                    { OPS_ACT_HARDSIGMOID, 0.2f, 0.5f }, { OPS_ACT_HARDSWISH, 0, 0 } };
    enum { N = 1 << 21, SPECIAL = 11 };
    float *x = malloc(sizeof(float) * (N + SPECIAL)), *y = malloc(sizeof(float) * (N + SPECIAL));
    for (int i = 0; i < N; i++) x[i] = (float)(i - N / 2) * (240.0f / N) + frand(-1e-4f, 1e-4f);   /* -120 .. 120 */
    const float special[SPECIAL] = { 0.0f, -0.0f, 1e-30f, -1e-30f, 80.0f, -30.0f, 1e30f, -1e30f, INFINITY, -INFINITY, 3e-39f };
    memcpy(x + N, special, sizeof special);
    int bad = 0;
    for (size_t ai = 0; ai < 2 * (sizeof acts / sizeof acts[0]); ai++) {
        const int u8 = ai % 2;
        const ops_act act = acts[ai / 2];
        q8_vact_avx512(x, y, N + SPECIAL, act, u8);
        for (int i = 0; i < N + SPECIAL; i++) {
            const float want = u8 ? ops_q8_act8(x[i], act) : ops_q8_act(x[i], act);
            /* values, not bits: max/min give +0 for the reference's -0 (a
             * clip of -0), which quantises and adds to a residual as +0 does */
            if (!(want == y[i] || (want != want && y[i] != y[i]))) {
                if (bad++ < 5) CHECK_MSG(0, "avx512 int8 act %d (u8 %d) at %a: %a, want %a", act.kind, u8, x[i], y[i], want);
            }
        }
    }
    printf("  avx512 int8 activations: %d values x 7 x 2 bit-identical to ops_q8_act8 and ops_q8_act, %d not\n",
           N + SPECIAL, bad);
    CHECK_EQ_INT(bad, 0);
    free(x); free(y);
}

/* 3, x86: the table each ISA gives this CPU, against cpuid read here
 * (AVX-VNNI: leaf 7 subleaf 1, EAX bit 4; AVX512_VNNI: leaf 7, ECX bit
 * 11), and every table by its name. */
static void test_x86_tables(void)
{
    unsigned a, b, c, d, max_sub = 0, vnni512 = 0, vnni256 = 0;
    if (__get_cpuid_count(7, 0, &a, &b, &c, &d)) { max_sub = a; vnni512 = (c >> 11) & 1u; }
    if (max_sub >= 1 && __get_cpuid_count(7, 1, &a, &b, &c, &d)) vnni256 = (a >> 4) & 1u;
    if (ops_isa_available(OPS_ISA_AVX2)) {
        const ops_kernels *best = ops_kernels_for(OPS_ISA_AVX2);
        CHECK(best == (vnni256 ? &ops_avx2vnni_kernels : &ops_avx2_kernels));
        CHECK_EQ_INT(ops_kernels_run(&ops_avx2vnni_kernels), (int)vnni256);
        printf("  avx2: this CPU runs the '%s' table\n", best ? best->name : "?");
    }
    if (ops_isa_available(OPS_ISA_AVX512)) {
        test_avx512_act();
        const ops_kernels *best = ops_kernels_for(OPS_ISA_AVX512);
        CHECK(best == (vnni512 ? &ops_avx512vnni_kernels : &ops_avx512_kernels));
        printf("  avx512: this CPU runs the '%s' table\n", best ? best->name : "?");
    }
    CHECK(ops_kernels_named("avx2") == &ops_avx2_kernels);
    CHECK(ops_kernels_named("avx2-vnni") == &ops_avx2vnni_kernels);
    CHECK(ops_kernels_named("avx512-vnni") == &ops_avx512vnni_kernels);
    CHECK(ops_kernels_named("avx2-") == 0 && ops_kernels_named("") == 0 && ops_kernels_named(0) == 0);
}
#endif

#if defined(__aarch64__)
/* 3, NEON: the table the CPU got and the choice (the table loop in main
 * tests both NEON tables where the CPU has the dot product). */
static void test_neon_tables(void)
{
    const ops_kernels *best = ops_kernels_for(OPS_ISA_NEON);
    CHECK(best == &ops_neon_kernels || best == &ops_neondot_kernels);
    printf("  neon: this CPU runs the '%s' table\n", best ? best->name : "?");
    const char *want = getenv("EFFAD_EXPECT_DOTPROD");
    if (want && *want)
        CHECK_MSG((best == &ops_neondot_kernels) == (want[0] == '1'), "EFFAD_EXPECT_DOTPROD=%s but the '%s' table was chosen",
                  want, best ? best->name : "?");
}
#endif
