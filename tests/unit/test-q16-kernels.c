/*
 * test-q16-kernels.c -- the 16x8 kernels (int16 activations, int8 weights).
 *
 * 1. The scalar references do what ops/q16.h says: each output is within
 *    one quantisation step of the same formula evaluated in double with
 *    libm's exp, sums taken in 64-bit integers here -- including sums past
 *    int32 (k up to 3000 with the extreme codes -32768 and -128/127) and
 *    the int16 clamps on both sides.
 * 2. Every SIMD table's 16x8 kernels give the scalar references' bits, on
 *    random shapes with channel and column tails, long k, strides,
 *    dilation, asymmetric pads and the ring input. A table this machine
 *    cannot run is reported as SKIP; a table that still uses the
 *    references is reported as such (nothing to compare).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "q16.h"
#include "dispatch.h"
#include "kernels-internal.h"
#include "q-kernel-test.h"


static int quant_exact(double t, float inv_scale)
{
    double v = nearbyint(t * inv_scale);
    return v < -32768 ? -32768 : v > 32767 ? 32767 : (int)v;
}

/* An int16 code: mostly moderate, some at full scale, some at the ends. */
static int16_t rnd_act(void)
{
    switch (rnd() % 8) {
    case 0: return -32768;
    case 1: return 32767;
    case 2: case 3: return (int16_t)(int32_t)(rnd() & 0xFFFF);
    default: return (int16_t)((int32_t)(rnd() % 4001) - 2000);
    }
}

static int8_t rnd_weight(int extreme)
{
    if (extreme && rnd() % 3 == 0) return rnd() & 1 ? 127 : -128;
    return (int8_t)((int32_t)(rnd() % 255) - 127);
}

/* ------------------------------------------------------------- GEMM */

typedef struct gemm_case {
    ops_q16_gemm_args g;
    int16_t *a, *res, *c;
    int8_t *b;
    float *mult, *bias;
} gemm_case;

static void gemm_make(gemm_case *t, size_t m, size_t n, size_t k)
{
    memset(t, 0, sizeof *t);
    t->a = malloc(sizeof(int16_t) * m * k); t->b = malloc(k * n);
    t->res = malloc(sizeof(int16_t) * m * n); t->c = malloc(sizeof(int16_t) * m * n);
    t->mult = malloc(sizeof(float) * n); t->bias = malloc(sizeof(float) * n);
    /* a third of the cases all one sign at the extremes: sums far past int32 */
    const int worst = rnd() % 3 == 0;
    for (size_t i = 0; i < m * k; i++) t->a[i] = worst ? -32768 : rnd_act();
    const int extreme = (int)(rnd() & 1);
    for (size_t i = 0; i < k * n; i++) t->b[i] = worst ? (int8_t)(i % 7 ? -128 : 127) : rnd_weight(extreme);
    for (size_t i = 0; i < m * n; i++) t->res[i] = rnd_act();
    const float s_in = frand(1e-5f, 1e-3f);
    for (size_t j = 0; j < n; j++) {
        t->mult[j] = s_in * frand(0.0005f, 0.01f) / (worst ? (float)k : 1.0f);
        t->bias[j] = frand(-1.0f, 1.0f);
    }
    ops_q16_gemm_args *g = &t->g;
    g->m = m; g->n = n; g->k = k;
    g->a = t->a; g->a_stride = k;
    g->b = t->b; g->b_stride = n;
    g->out.mult = t->mult; g->out.bias = rnd() & 1 ? t->bias : 0;
    g->out.act = random_act();
    g->out.inv_scale = 1.0f / frand(1e-4f, 2e-3f);
    if (rnd() & 1) { g->res = t->res; g->res_stride = n; g->res_scale = frand(1e-4f, 1e-3f); }
    g->c = t->c; g->c_stride = n;
}

static void gemm_free(gemm_case *t)
{
    free(t->a); free(t->b); free(t->res); free(t->c); free(t->mult); free(t->bias);
}

/* 1: the scalar GEMM against the formula in double, sums in int64. */
static void test_gemm_semantics(void)
{
    int worst = 0, cases = 0, past_int32 = 0, clamped = 0;
    for (int it = 0; it < 60; it++) {
        const size_t k = it % 5 == 0 ? 2000 + rnd() % 1000 : 1 + rnd() % 90;
        gemm_case t;
        gemm_make(&t, 1 + rnd() % 7, 1 + rnd() % 30, k);
        ops_q16_gemm_args *g = &t.g;
        CHECK_EQ_INT(q16_gemm_scalar(g, 0), OPS_OK);
        for (size_t i = 0; i < g->m; i++)
            for (size_t j = 0; j < g->n; j++) {
                long long acc = 0;
                for (size_t kk = 0; kk < g->k; kk++) acc += (long long)g->a[i * g->k + kk] * g->b[kk * g->n + j];
                past_int32 += acc > INT32_MAX || acc < INT32_MIN;
                double v = (double)acc * g->out.mult[j] + (g->out.bias ? g->out.bias[j] : 0);
                v = act_exact(v, g->out.act);
                if (g->res) v += (double)g->res[i * g->n + j] * g->res_scale;
                const int want = quant_exact(v, g->out.inv_scale), got = g->c[i * g->n + j];
                clamped += want == 32767 || want == -32768;
                const int d = abs(want - got);
                worst = d > worst ? d : worst;
                cases++;
            }
        gemm_free(&t);
    }
    printf("  scalar 16x8 gemm vs double: %d outputs (%d sums past int32, %d clamped), max |diff| %d step\n", cases,
           past_int32, clamped, worst);
    CHECK(worst <= 1);
    CHECK(past_int32 > 0);
    CHECK(clamped > 0);
}

/* 2: a table's GEMM (packed as the table packs) against the scalar one. */
static void test_gemm_table(const ops_kernels *kt)
{
    const ops_q16_kernels *q = kt->q16;
    /* every product at +-2^22 (the int16 x int8 extremes), k around where an
     * int32 lane overflows (511 such products fit, 512 do not) and the
     * block lengths a SIMD sum might use */
    static const size_t extreme_k[] = { 8, 255, 256, 257, 504, 505, 511, 512, 513, 1016, 1023, 1024, 1025, 2688 };
    const int n_extreme = (int)(sizeof extreme_k / sizeof extreme_k[0]);
    int bad = 0, cases = 0;
    for (int it = 0; it < 300 + n_extreme; it++) {
        size_t m = 1 + rnd() % (it < 100 ? 13 : 70), n = 1 + rnd() % (it % 3 ? 40 : 200), k = 1 + rnd() % (it % 4 ? 50 : 400);
        if (it % 10 == 0) k = 500 + rnd() % 2500;   /* past the int32 blocks of a SIMD sum */
        if (it >= 290) { m = 100 + rnd() % 300; n = 100 + rnd() % 150; k = 200 + rnd() % 900; }
        if (it >= 300) { m = 1 + rnd() % 9; n = 1 + rnd() % 40; k = extreme_k[it - 300]; }
        gemm_case t;
        gemm_make(&t, m, n, k);
        if (it >= 300) {
            /* rows of -32768 (one in three 32767), columns of -128 (one in
             * three 127): sums of one sign up to k * 2^22 */
            for (size_t i = 0; i < m; i++)
                for (size_t kk = 0; kk < k; kk++) t.a[i * k + kk] = i % 3 == 2 ? 32767 : -32768;
            for (size_t kk = 0; kk < k; kk++)
                for (size_t j = 0; j < n; j++) t.b[kk * n + j] = j % 3 == 1 ? 127 : -128;
            for (size_t j = 0; j < n; j++) t.mult[j] = frand(0.5f, 3.0f) / ((float)k * 4194304.0f) / t.g.out.inv_scale * 20000.0f;
        }
        /* half of them bounded as the loader would find them */
        if (rnd() & 1) t.g.out.bounded = ops_q8_out_bounded(&t.g.out, n, (double)k, 65536, t.g.res ? 65536 : 0, t.g.res_scale);
        int16_t *want = malloc(sizeof(int16_t) * m * n);
        t.g.c = want;
        q16_gemm_scalar(&t.g, 0);
        t.g.c = t.c;
        memset(t.c, 0xAB, sizeof(int16_t) * m * n);
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
        if (memcmp(t.c, want, sizeof(int16_t) * m * n)) {
            bad++;
            CHECK_MSG(0, "%s 16x8 gemm %zux%zux%zu act %d bias %d res %d differs from scalar", kt->name, m, n, k,
                      t.g.out.act.kind, !!t.g.out.bias, !!t.g.res);
        }
        /* a column chunk starting at a panel boundary, through the pack offset */
        if (q->gemm_pack && n > q->gemm_panel) {
            const size_t c0 = q->gemm_panel;
            ops_q16_gemm_args h = t.g;
            h.n = n - c0; h.b += c0; h.c += c0; h.out.mult += c0;
            if (h.out.bias) h.out.bias += c0;
            if (h.res) h.res += c0;
            h.b_packed = (const uint8_t *)pack + q->gemm_pack_offset(c0, k);
            memset(t.c, 0xAB, sizeof(int16_t) * m * n);
            CHECK_EQ_INT(q->gemm(&h, scratch), OPS_OK);
            for (size_t i = 0; i < m; i++)
                CHECK_MSG(!memcmp(t.c + i * n + c0, want + i * n + c0, sizeof(int16_t) * (n - c0)),
                          "%s 16x8 column chunk row %zu", kt->name, i);
        }
        free(pack); free(scratch); free(want);
        gemm_free(&t);
    }
    printf("  %s 16x8 gemm: %d cases bit-identical to scalar, %d not\n", kt->name, cases - bad, bad);
}

/* -------------------------------------------------------- depthwise */

typedef struct dw_case {
    ops_q16_dwconv_args d;
    int16_t *in, *out;
    int8_t *w;
    float *mult, *bias;
    int32_t *sum;
} dw_case;

static void dw_fill(dw_case *t);

/* force_k: that window instead of a random 3, 5 or 7 (0: random) */
static void dw_make(dw_case *t, int force_k)
{
    memset(t, 0, sizeof *t);
    ops_q16_dwconv_args *d = &t->d;
    int k = rnd() % 4 == 0 ? 5 : rnd() % 5 == 0 ? 7 : 3;
    if (force_k) k = force_k;
    d->g.kh = d->g.kw = k;
    d->g.stride_h = d->g.stride_w = 1 + (int)(rnd() % 2);
    if (rnd() % 12 == 0) d->g.stride_h = d->g.stride_w = 3;
    else if (rnd() % 12 == 0) d->g.stride_w = 3 - d->g.stride_h;
    d->g.dil_h = d->g.dil_w = rnd() % 6 == 0 ? 2 : 1;
    d->g.pad_top = (int)(rnd() % (unsigned)k); d->g.pad_left = (int)(rnd() % (unsigned)k);
    d->g.pad_bottom = (int)(rnd() % (unsigned)k); d->g.pad_right = (int)(rnd() % (unsigned)k);
    const int c = rnd() % 10 == 0 ? 200 + (int)(rnd() % 400) : 1 + (int)(rnd() % 70);
    const int ih = 4 + (int)(rnd() % 14), iw = 4 + (int)(rnd() % 14);
    d->in_dims = (ops_hwc){ ih, iw, c };
    dw_fill(t);
}

/* The output dims, buffers and values of a case whose geometry and input
 * dims are set. */
static void dw_fill(dw_case *t)
{
    ops_q16_dwconv_args *d = &t->d;
    const int k = d->g.kh, ih = d->in_dims.h, iw = d->in_dims.w, c = d->in_dims.c;
    const int oh = ops_conv_out_dim(ih, k, d->g.stride_h, d->g.dil_h, d->g.pad_top, d->g.pad_bottom);
    const int ow = ops_conv_out_dim(iw, k, d->g.stride_w, d->g.dil_w, d->g.pad_left, d->g.pad_right);
    d->out_dims = (ops_hwc){ oh < 1 ? 1 : oh, ow < 1 ? 1 : ow, c };
    const size_t in_n = (size_t)ih * iw * c, out_n = (size_t)d->out_dims.h * d->out_dims.w * c;
    t->in = malloc(sizeof(int16_t) * in_n); t->out = malloc(sizeof(int16_t) * out_n);
    t->w = malloc((size_t)k * k * c);
    t->mult = malloc(sizeof(float) * c); t->bias = malloc(sizeof(float) * c); t->sum = calloc((size_t)c, sizeof(int32_t));
    const int extreme = (int)(rnd() & 1);
    for (size_t i = 0; i < in_n; i++) t->in[i] = rnd_act();
    for (size_t i = 0; i < (size_t)k * k * c; i++) t->w[i] = rnd_weight(extreme);
    const float s_in = frand(1e-5f, 1e-3f);
    for (int j = 0; j < c; j++) { t->mult[j] = s_in * frand(0.0005f, 0.01f); t->bias[j] = frand(-1, 1); }
    d->in = t->in; d->w = t->w;
    d->out.mult = t->mult; d->out.bias = rnd() & 1 ? t->bias : 0; d->out.act = random_act();
    d->out.inv_scale = 1.0f / frand(1e-4f, 2e-3f);
    if (rnd() & 1) d->out.bounded = ops_q8_out_bounded(&d->out, (size_t)c, (double)(k * k), 65536, 0, 0.0f);
    d->out_q = t->out;
    d->row_begin = 0; d->row_end = d->out_dims.h;
    if (rnd() & 1) d->chan_sum = t->sum;
}

static void dw_free(dw_case *t) { free(t->in); free(t->out); free(t->w); free(t->mult); free(t->bias); free(t->sum); }

/* 1: the scalar depthwise against the formula in double. */
static void test_dw_semantics(void)
{
    int worst = 0, cases = 0, sums_bad = 0;
    for (int it = 0; it < 40; it++) {
        dw_case t;
        dw_make(&t, 0);
        ops_q16_dwconv_args *d = &t.d;
        d->chan_sum = t.sum;
        CHECK_EQ_INT(q16_dwconv_hwc_scalar(d), OPS_OK);
        const int c = d->in_dims.c, k = d->g.kh;
        long long *sum = calloc((size_t)c, sizeof(long long));
        for (int oy = 0; oy < d->out_dims.h; oy++)
            for (int ox = 0; ox < d->out_dims.w; ox++)
                for (int ch = 0; ch < c; ch++) {
                    long long acc = 0;
                    for (int ky = 0; ky < k; ky++)
                        for (int kx = 0; kx < k; kx++) {
                            const int iy = oy * d->g.stride_h - d->g.pad_top + ky * d->g.dil_h;
                            const int ix = ox * d->g.stride_w - d->g.pad_left + kx * d->g.dil_w;
                            if (iy < 0 || ix < 0 || iy >= d->in_dims.h || ix >= d->in_dims.w) continue;
                            acc += (long long)t.in[((size_t)iy * d->in_dims.w + ix) * c + ch] * t.w[((size_t)ky * k + kx) * c + ch];
                        }
                    double v = (double)acc * d->out.mult[ch] + (d->out.bias ? d->out.bias[ch] : 0);
                    const int got = t.out[((size_t)oy * d->out_dims.w + ox) * c + ch];
                    const int dd = abs(quant_exact(act_exact(v, d->out.act), d->out.inv_scale) - got);
                    worst = dd > worst ? dd : worst;
                    sum[ch] += got;
                    cases++;
                }
        for (int ch = 0; ch < c; ch++) sums_bad += sum[ch] != t.sum[ch];
        free(sum);
        dw_free(&t);
    }
    printf("  scalar 16x8 depthwise vs double: %d outputs, max |diff| %d step, channel sums %s\n", cases, worst,
           sums_bad ? "WRONG" : "exact");
    CHECK(worst <= 1);
    CHECK_EQ_INT(sums_bad, 0);
}

/* One case through kt's depthwise and the scalar one (the case's band
 * and ring drawn here); 1 if they differ. Frees the case. */
static int dw_check(const ops_kernels *kt, dw_case *t)
{
    ops_q16_dwconv_args *d = &t->d;
    const int c = d->in_dims.c;
    const size_t out_n = (size_t)d->out_dims.h * d->out_dims.w * c;
    int16_t *want = malloc(sizeof(int16_t) * out_n);
    int32_t *want_sum = calloc((size_t)c, sizeof(int32_t));
    ops_q16_dwconv_args r = *d;
    r.out_q = want;
    if (r.chan_sum) r.chan_sum = want_sum;
    CHECK_EQ_INT(q16_dwconv_hwc_scalar(&r), OPS_OK);
    memset(t->out, 0xAB, sizeof(int16_t) * out_n);
    /* a band of rows now and then, as the engine splits them */
    if (rnd() % 3 == 0 && d->out_dims.h > 2) {
        d->row_begin = 1;
        d->row_end = d->out_dims.h - 1;
        if (d->chan_sum) { memset(want_sum, 0, sizeof(int32_t) * c); r.row_begin = 1; r.row_end = d->out_dims.h - 1; q16_dwconv_hwc_scalar(&r); }
    }
    /* the ring: the input held in in_ring rows, row iy at slot iy % in_ring */
    int16_t *ring = 0;
    if (rnd() % 4 == 0 && d->g.stride_h == 1) {
        const int rows = (d->g.kh - 1) * d->g.dil_h + 1;
        const size_t row_n = (size_t)d->in_dims.w * c;
        ring = malloc(sizeof(int16_t) * row_n * rows);
        /* one output row at a time with the rows it reads placed in the ring */
        int ok = 1;
        for (int oy = d->row_begin; oy < d->row_end && ok; oy++) {
            for (int ky = 0; ky < d->g.kh; ky++) {
                const int iy = oy - d->g.pad_top + ky * d->g.dil_h;
                if (iy >= 0 && iy < d->in_dims.h) memcpy(ring + (size_t)(iy % rows) * row_n, t->in + (size_t)iy * row_n, sizeof(int16_t) * row_n);
            }
            ops_q16_dwconv_args one = *d;
            one.in = ring; one.in_ring = rows; one.row_begin = oy; one.row_end = oy + 1;
            ok = kt->q16->dwconv(&one) == OPS_OK;
        }
        CHECK(ok);
    } else {
        CHECK_EQ_INT(kt->q16->dwconv(d), OPS_OK);
    }
    const size_t row_n = (size_t)d->out_dims.w * c;
    int differs = memcmp(t->out + (size_t)d->row_begin * row_n, want + (size_t)d->row_begin * row_n,
                         sizeof(int16_t) * row_n * (size_t)(d->row_end - d->row_begin)) != 0;
    if (d->chan_sum) differs |= memcmp(t->sum, want_sum, sizeof(int32_t) * c) != 0;
    if (differs)
        CHECK_MSG(0, "%s 16x8 depthwise k%d s%dx%d d%d c%d %dx%d ring %d act %d differs from scalar", kt->name, d->g.kh,
                  d->g.stride_h, d->g.stride_w, d->g.dil_h, c, d->in_dims.h, d->in_dims.w, ring != 0, d->out.act.kind);
    free(ring); free(want); free(want_sum);
    dw_free(t);
    return differs;
}

/* 2: a table's depthwise against the scalar one: whole maps, bands of
 * rows, and the ring input the fused expand+depthwise uses. */
static void test_dw_table(const ops_kernels *kt)
{
    /* and windows up to the reference's 15 x 15 (225 taps) */
    static const int big_k[] = { 8, 9, 11, 13, 15, 15 };
    const int n_big = (int)(sizeof big_k / sizeof big_k[0]);
    int bad = 0, cases = 0;
    for (int it = 0; it < 250 + n_big; it++) {
        dw_case t;
        dw_make(&t, it >= 250 ? big_k[it - 250] : 0);
        bad += dw_check(kt, &t);
        cases++;
    }
    printf("  %s 16x8 depthwise: %d cases bit-identical to scalar, %d not\n", kt->name, cases - bad, bad);
}

/* 3: the shapes of EfficientNet's depthwise layers (3x3 and 5x5, stride 1
 * "same", stride 2 with symmetric and TF-style asymmetric pads), wide
 * enough for the SIMD bodies' widest tiles at stride 2 and with enough
 * channels for several weight groups and a channel tail. */
static void test_dw_shapes(const ops_kernels *kt)
{
    static const int sides[] = { 15, 28, 33 }, chans[] = { 32, 144, 240, 100, 488 };
    int bad = 0, cases = 0;
    for (int k = 3; k <= 5; k += 2)
        for (int s = 1; s <= 2; s++)
            for (int i = 0; i < 3; i++)
                for (int j = 0; j < 5; j++) {
                    dw_case t;
                    memset(&t, 0, sizeof t);
                    ops_q16_dwconv_args *d = &t.d;
                    const int hw = sides[i], o = (hw + s - 1) / s, total = (o - 1) * s + k - hw;
                    d->g = (ops_conv_geom){ k, k, s, s, 1, 1, k / 2, k / 2, k / 2, k / 2 };
                    if (s == 2 && (i + j) % 2) {   /* TF "same": the extra pad at the end */
                        d->g.pad_top = d->g.pad_left = total / 2;
                        d->g.pad_bottom = d->g.pad_right = total - total / 2;
                    }
                    d->in_dims = (ops_hwc){ hw, hw, chans[j] };
                    dw_fill(&t);
                    if (j % 2) d->chan_sum = t.sum;
                    bad += dw_check(kt, &t);
                    cases++;
                }
    printf("  %s 16x8 depthwise, EfficientNet shapes: %d cases bit-identical to scalar, %d not\n", kt->name, cases - bad, bad);
}

/* 3: EfficientNet's depthwise shapes as the engine calls them (3x3 and 5x5, strides 1 and 2, many
 * channels, maps past L2) against the scalar one, as the engine calls
 * them: bands of 2 output rows with channel sums, or one row a call from
 * a ring of k input rows (the fused expand + depthwise, stride 2 too).
 * The random cases above are small maps; these reach the fast paths'
 * interior tiles, "same"-padding edges and prefetching. */
static void test_dw_engine_shapes(const ops_kernels *kt)
{
    static const struct { int h, w, c, k, s, pt, pl, pb, pr, ring; } sh[] = {
        { 56, 56, 144, 3, 1, 1, 1, 1, 1, 0 },  { 56, 56, 144, 5, 2, 2, 2, 2, 2, 0 },
        { 28, 28, 240, 5, 2, 1, 1, 2, 2, 0 },  { 28, 28, 240, 3, 2, 0, 0, 1, 1, 0 },
        { 14, 14, 480, 3, 1, 1, 1, 1, 1, 0 },  { 14, 14, 672, 5, 1, 2, 2, 2, 2, 0 },
        { 7, 7, 1152, 5, 1, 2, 2, 2, 2, 0 },   { 40, 37, 24, 3, 1, 1, 1, 1, 1, 0 },
        { 30, 30, 96, 3, 2, 1, 1, 1, 1, 3 },   { 19, 19, 192, 5, 2, 2, 2, 2, 2, 5 },
        { 24, 24, 40, 3, 1, 1, 1, 1, 1, 3 },   { 13, 21, 136, 5, 1, 2, 2, 2, 2, 5 },
        { 60, 64, 144, 3, 1, 1, 1, 1, 1, 0 },  { 64, 60, 144, 5, 2, 1, 1, 2, 2, 0 },   /* past 1 MB: prefetching */
    };
    int bad = 0, cases = 0;
    for (size_t i = 0; i < sizeof sh / sizeof sh[0]; i++) {
        const int h = sh[i].h, w = sh[i].w, c = sh[i].c, k = sh[i].k, ring = sh[i].ring;
        ops_q16_dwconv_args d;
        memset(&d, 0, sizeof d);
        d.g = (ops_conv_geom){ k, k, sh[i].s, sh[i].s, 1, 1, sh[i].pt, sh[i].pl, sh[i].pb, sh[i].pr };
        const int oh = ops_conv_out_dim(h, k, sh[i].s, 1, sh[i].pt, sh[i].pb);
        const int ow = ops_conv_out_dim(w, k, sh[i].s, 1, sh[i].pl, sh[i].pr);
        d.in_dims = (ops_hwc){ h, w, c };
        d.out_dims = (ops_hwc){ oh, ow, c };
        const size_t in_n = (size_t)h * w * c, out_n = (size_t)oh * ow * c, row_n = (size_t)w * c;
        int16_t *in = malloc(sizeof(int16_t) * in_n), *out = malloc(sizeof(int16_t) * out_n);
        int16_t *want = malloc(sizeof(int16_t) * out_n), *rbuf = malloc(sizeof(int16_t) * row_n * (size_t)k);
        int8_t *wt = malloc((size_t)k * k * c);
        float *mult = malloc(sizeof(float) * c), *bias = malloc(sizeof(float) * c);
        int32_t *sum = calloc((size_t)c, sizeof(int32_t)), *want_sum = calloc((size_t)c, sizeof(int32_t));
        for (size_t j = 0; j < in_n; j++) in[j] = rnd_act();
        for (size_t j = 0; j < (size_t)k * k * c; j++) wt[j] = rnd_weight((int)(i & 1));
        const float s_in = frand(1e-5f, 1e-4f);
        for (int j = 0; j < c; j++) { mult[j] = s_in * frand(0.0005f, 0.01f); bias[j] = frand(-1, 1); }
        d.in = in; d.w = wt;
        d.out.mult = mult; d.out.bias = i % 3 ? bias : 0;
        d.out.act = (ops_act){ i % 4 == 3 ? OPS_ACT_NONE : OPS_ACT_SWISH, 0, 0 };
        d.out.inv_scale = 1.0f / frand(2e-4f, 1e-3f);
        d.out.bounded = i % 2 ? ops_q8_out_bounded(&d.out, (size_t)c, (double)(k * k), 65536, 0, 0.0f) : 0;
        d.out_q = want; d.row_begin = 0; d.row_end = oh; d.chan_sum = want_sum;
        CHECK_EQ_INT(q16_dwconv_hwc_scalar(&d), OPS_OK);
        memset(out, 0xAB, sizeof(int16_t) * out_n);
        d.out_q = out; d.chan_sum = sum;
        int ok = 1;
        for (int y0 = 0; y0 < oh && ok; y0 += ring ? 1 : 2) {
            ops_q16_dwconv_args b = d;
            b.row_begin = y0; b.row_end = ring || y0 + 2 > oh ? y0 + 1 : y0 + 2;
            if (ring) {
                /* the rows output row y0 reads, each at slot iy % ring */
                for (int ky = 0; ky < k; ky++) {
                    const int iy = y0 * sh[i].s - sh[i].pt + ky;
                    if (iy >= 0 && iy < h) memcpy(rbuf + (size_t)(iy % ring) * row_n, in + (size_t)iy * row_n, sizeof(int16_t) * row_n);
                }
                b.in = rbuf; b.in_ring = ring;
            }
            ok = kt->q16->dwconv(&b) == OPS_OK;
        }
        CHECK(ok);
        cases++;
        if (memcmp(out, want, sizeof(int16_t) * out_n) || memcmp(sum, want_sum, sizeof(int32_t) * c)) {
            bad++;
            CHECK_MSG(0, "%s 16x8 depthwise %dx%dx%d k%d s%d ring %d differs from scalar", kt->name, h, w, c, k, sh[i].s, ring);
        }
        free(in); free(out); free(want); free(rbuf); free(wt); free(mult); free(bias); free(sum); free(want_sum);
    }
    printf("  %s 16x8 depthwise, EfficientNet shapes as the engine calls them: %d cases bit-identical to scalar, %d not\n", kt->name, cases - bad, bad);
}

/* ------------------------------------------------------------- glue */

/* 1: the glue's semantics, including the clamps and NaN. */
static void test_glue_semantics(void)
{
    const float x[] = { 0.0f, 1.0f, -1.0f, 0.5f, 1.5f, -2.5f, 40000.0f, -40000.0f, 32767.4f, -32768.6f, NAN };
    const int16_t want[] = { 0, 1, -1, 0, 2, -2, 32767, -32768, 32767, -32768, 32767 };
    int16_t q[11];
    CHECK_EQ_INT(q16_quantize_scalar(x, 11, 1.0f, q), OPS_OK);
    CHECK(!memcmp(q, want, sizeof want));
    float back[11];
    CHECK_EQ_INT(q16_dequantize_scalar(want, 11, 0.5f, back), OPS_OK);
    CHECK(back[6] == 16383.5f && back[7] == -16384.0f && back[5] == -1.0f);
    const int16_t in[4] = { 1000, -32768, 32767, 7 };
    const float mult[2] = { 2.5f, 0.5f };
    int16_t out[4];
    CHECK_EQ_INT(q16_scale_channels_scalar(in, 2, 2, mult, out), OPS_OK);
    CHECK(out[0] == 2500 && out[1] == -16384 && out[2] == 32767 && out[3] == 4);
    int32_t s[2];
    CHECK_EQ_INT(q16_sum_hw_scalar(in, 2, 2, s), OPS_OK);
    CHECK(s[0] == 1000 + 32767 && s[1] == -32768 + 7);
    CHECK_EQ_INT(q16_sum_hw_scalar(in, OPS_Q16_SUM_HW_MAX + 1, 1, s), OPS_ERR_ARG);
}

/* 2: a table's glue against the scalar glue. */
static void test_glue_table(const ops_kernels *kt)
{
    const ops_q16_kernels *q = kt->q16;
    int bad = 0;
    for (int it = 0; it < 60; it++) {
        const size_t px = 1 + rnd() % 300, c = 1 + rnd() % 90, n = px * c;
        int16_t *in = malloc(sizeof(int16_t) * n), *a = malloc(sizeof(int16_t) * n), *b = malloc(sizeof(int16_t) * n);
        float *x = malloc(sizeof(float) * n), *fa = malloc(sizeof(float) * n), *fb = malloc(sizeof(float) * n);
        float *mult = malloc(sizeof(float) * c);
        int32_t *sa = malloc(sizeof(int32_t) * c), *sb = malloc(sizeof(int32_t) * c);
        for (size_t i = 0; i < n; i++) { in[i] = rnd_act(); x[i] = frand(-5, 5) * (rnd() % 5 ? 1.0f : 1e4f); }
        for (size_t j = 0; j < c; j++) mult[j] = frand(0.0f, 2.5f);
        if (it % 4 == 0) {   /* the clamps' operand order: NaN, infinities, a zero times infinity */
            x[0] = NAN; x[n / 2] = INFINITY; x[n - 1] = -INFINITY;
            in[0] = 0; mult[0] = INFINITY;
        }
        const float inv = 1.0f / frand(1e-4f, 1e-3f), sc = frand(1e-4f, 1e-3f);
        q16_scale_channels_scalar(in, px, c, mult, a); q->scale_channels(in, px, c, mult, b);
        bad += memcmp(a, b, sizeof(int16_t) * n) != 0;
        q16_quantize_scalar(x, n, inv, a); q->quantize(x, n, inv, b);
        bad += memcmp(a, b, sizeof(int16_t) * n) != 0;
        q16_dequantize_scalar(in, n, sc, fa); q->dequantize(in, n, sc, fb);
        bad += memcmp(fa, fb, sizeof(float) * n) != 0;
        q16_sum_hw_scalar(in, px, c, sa); q->sum_hw(in, px, c, sb);
        bad += memcmp(sa, sb, sizeof(int32_t) * c) != 0;
        free(in); free(a); free(b); free(x); free(fa); free(fb); free(mult); free(sa); free(sb);
    }
    /* the clamps, NaN, infinities, ties and signed zeros, in vector lanes and tails */
    const float sx[19] = { NAN, INFINITY, -INFINITY, 40000.0f, -40000.0f, 32767.5f, -32768.5f, 32766.5f, 0.5f,
                           1.5f, 2.5f, -0.5f, -0.0f, 1e-45f, -2.5f, 32767.49f, -32768.49f, -NAN, 3.5f };
    int16_t qa[2 * 19], qb[2 * 19];
    const float invs[3] = { 1.0f, 0.5f, 1e30f };
    for (int i = 0; i < 3; i++) {
        q16_quantize_scalar(sx, 19, invs[i], qa); q->quantize(sx, 19, invs[i], qb);
        bad += memcmp(qa, qb, sizeof(int16_t) * 19) != 0;
    }
    const int16_t sin_[2 * 19] = { -32768, 32767, 0, 1, -1, 32767, -32768, 13107, -13107, 3, 5, 7, -7, 0, 1000,
                                   -32768, 32767, 0, 1, 32767, -32768, 0, 2, -2, 9, 11, 13, -13, 1, 3, 5,
                                   -32768, 32767, 0, 1, -1, 3, 17 };
    float smult[19];
    for (int i = 0; i < 19; i++) smult[i] = sx[(i + 3) % 19] / 20000.0f;
    smult[0] = NAN; smult[1] = INFINITY; smult[2] = -INFINITY;
    q16_scale_channels_scalar(sin_, 2, 19, smult, qa); q->scale_channels(sin_, 2, 19, smult, qb);
    bad += memcmp(qa, qb, sizeof qa) != 0;
    printf("  %s 16x8 glue: %s\n", kt->name, bad ? "DIFFERS" : "bit-identical to scalar");
    CHECK_EQ_INT(bad, 0);
}

static void test_q16_table(const ops_kernels *kt)
{
    if (!kt->q16) { CHECK_MSG(0, "%s has no 16x8 table", kt->name); return; }
    if (kt->q16 == &ops_scalar_q16) {
        printf("  %s 16x8: runs the scalar references (no SIMD kernels of its own)\n", kt->name);
        return;
    }
    test_gemm_table(kt);
    test_dw_table(kt);
    test_dw_shapes(kt);
    test_dw_engine_shapes(kt);
    test_glue_table(kt);
}

int main(void)
{
    rng_state = 0x9E3779B97F4A7C15ull;   /* a stream of its own */
    test_gemm_semantics();
    test_dw_semantics();
    test_glue_semantics();
    for_each_simd_table("test-q16-kernels", "16x8", test_q16_table);
    return check_done("test-q16-kernels");
}
