/*
 * test-gptq.c -- error-compensating rounding of int8 weights
 * (convert/gptq.h, gptq-calib.h):
 *   - with H = I (no input correlated with another) GPTQ is rounding to
 *     nearest, code for code and scale for scale;
 *   - on correlated inputs its output error ||(W - Q) X^T||^2 is below
 *     nearest rounding's at 8, 6 and 4 bits, every code within +-qmax,
 *     the scales quant_weights';
 *   - an input that never varies (H_ii = 0): its weight rounded to
 *     nearest, and what it holds changes no other code;
 *   - the codes of an independent reference (tests/int8/gen-gptq-golden.py:
 *     sim-bits.py's algorithm in numpy, another factorisation), exactly;
 *   - the Gram matrices: 1x1 (through every kernel table's GEMM, with and
 *     without the squeeze-excite scale, over several pixel blocks, one
 *     thread or two: the same bits) and depthwise (strides, dilations,
 *     asymmetric pads, a channel count that is no multiple of the group)
 *     against plain double sums;
 *   - on the committed tiny model: every expand, depthwise, projection and
 *     head gets codes; a budget that makes every layer a group of its own
 *     gives the same codes as one pass; the written file holds them; the
 *     levels of a 4-bit weight-only model are closer to float32 with them
 *     than with nearest rounding; writes that ask for GPTQ without codes,
 *     or at other bits, are refused; quant_select keeps the codes; a 16x8
 *     block among them takes 8-bit weights rounded to nearest.
 */
#include <math.h>
#include <stdlib.h>
#include "check.h"
#include "gauss-golden.h"
#include "select-fixture.h"
#include "gptq.h"
#include "gptq-calib.h"
#include "quant.h"
#include "dispatch.h"
#include "efm-format.h"

static uint32_t rng = 12345;
static double uniform(void)   /* [-1, 1) */
{
    rng = rng * 1664525u + 1013904223u;
    return (double)((int)(rng >> 8) - (1 << 23)) / (double)(1 << 23);
}

/* n x k inputs, neighbouring columns correlated (as a feature map's
 * channels are), each column at its own scale; columns in dead[] zero. */
static float *correlated(int n, int k, const int *dead, int n_dead)
{
    float *x = malloc(sizeof(float) * (size_t)n * k);
    double *col_scale = malloc(sizeof(double) * (size_t)k);
    for (int j = 0; j < k; j++) col_scale[j] = 0.2 + 1.5 * (uniform() + 1.0);
    for (int i = 0; i < n; i++) {
        double prev = uniform();
        for (int j = 0; j < k; j++) {
            const double z = 0.8 * prev + 0.6 * uniform();
            prev = z;
            x[(size_t)i * k + j] = (float)(z * col_scale[j]);
        }
        for (int d = 0; d < n_dead; d++) x[(size_t)i * k + dead[d]] = 0.0f;
    }
    free(col_scale);
    return x;
}

static void gram_direct(double *h, const float *x, int n, int k)
{
    memset(h, 0, sizeof(double) * GPTQ_TRI(k));
    for (int p = 0; p < n; p++)
        for (int i = 0; i < k; i++)
            for (int j = 0; j <= i; j++) h[GPTQ_AT(i, j)] += (double)x[(size_t)p * k + i] * x[(size_t)p * k + j];
}

static float *random_weights(int rows, int k)
{
    float *w = malloc(sizeof(float) * (size_t)rows * k);
    for (int r = 0; r < rows; r++) {
        const double s = 0.05 + 0.4 * (uniform() + 1.0);
        for (int i = 0; i < k; i++) w[(size_t)r * k + i] = (float)(s * uniform());
    }
    return w;
}

/* ||(W - Q) X^T||^2 with Q the codes times their scales. */
static double output_error(const float *w, const int8_t *q, const float *s, int rows, int k, const float *x, int n)
{
    double sum = 0;
    for (int r = 0; r < rows; r++)
        for (int p = 0; p < n; p++) {
            double d = 0;
            for (int i = 0; i < k; i++)
                d += ((double)w[(size_t)r * k + i] - (double)q[(size_t)r * k + i] * s[r]) * x[(size_t)p * k + i];
            sum += d * d;
        }
    return sum;
}

/* gptq_round with its scratch; h is overwritten. */
static int round_gptq(const float *w, int rows, int k, double *h, int per_row, int bits, int8_t *q, float *s)
{
    void *scratch = malloc(gptq_round_scratch_bytes(rows, k, 1));
    const int failed = gptq_round(w, rows, k, h, per_row, bits, q, s, 0, scratch);
    free(scratch);
    return failed;
}

/* ----------------------------------------------------------- rounding */

static void test_identity(void)
{
    enum { ROWS = 7, K = 33 };
    float *w = random_weights(ROWS, K);
    int8_t q[ROWS * K], qn[ROWS * K];
    float s[ROWS], sn[ROWS];
    for (int bits = 4; bits <= 8; bits += 2) {
        quant_weights(w, ROWS, K, bits, qn, sn);
        for (int per_row = 0; per_row <= 1; per_row++) {
            const int nh = per_row ? ROWS : 1;
            double *h = calloc(GPTQ_TRI(K) * nh, sizeof(double));
            for (int m = 0; m < nh; m++)
                for (int i = 0; i < K; i++) h[m * GPTQ_TRI(K) + GPTQ_AT(i, i)] = 2.5;
            CHECK_EQ_INT(round_gptq(w, ROWS, K, h, per_row, bits, q, s), 0);
            CHECK_MSG(!memcmp(q, qn, sizeof q), "H = I, %d bits, per_row %d: codes differ from nearest", bits, per_row);
            CHECK(!memcmp(s, sn, sizeof s));
            free(h);
        }
    }
    free(w);
}

static void test_correlated(void)
{
    enum { ROWS = 16, K = 48, N = 400 };
    float *x = correlated(N, K, 0, 0), *w = random_weights(ROWS, K);
    double *h = malloc(sizeof(double) * GPTQ_TRI(K));
    int8_t q[ROWS * K], qn[ROWS * K];
    float s[ROWS], sn[ROWS];
    for (int bits = 4; bits <= 8; bits += 2) {
        const int qmax = (1 << (bits - 1)) - 1;
        gram_direct(h, x, N, K);
        CHECK_EQ_INT(round_gptq(w, ROWS, K, h, 0, bits, q, s), 0);
        quant_weights(w, ROWS, K, bits, qn, sn);
        CHECK(!memcmp(s, sn, sizeof s));
        int inside = 1, changed = 0;
        for (int i = 0; i < ROWS * K; i++) {
            inside &= q[i] >= -qmax && q[i] <= qmax;
            changed += q[i] != qn[i];
        }
        CHECK_MSG(inside, "%d bits: a code outside +-%d", bits, qmax);
        const double eg = output_error(w, q, s, ROWS, K, x, N), en = output_error(w, qn, sn, ROWS, K, x, N);
        printf("  correlated inputs, %d bits: output error GPTQ %.4g, nearest %.4g (x%.2f); %d of %d codes moved\n", bits,
               eg, en, eg / en, changed, ROWS * K);
        CHECK_MSG(eg < 0.8 * en, "%d bits: GPTQ %g against nearest %g", bits, eg, en);
    }
    free(x); free(w); free(h);
}

static void test_dead(void)
{
    enum { ROWS = 10, K = 20, N = 300 };
    const int dead[3] = { 0, 7, 19 };   /* the first, one inside, the last */
    float *x = correlated(N, K, dead, 3), *w = random_weights(ROWS, K);
    for (int r = 0; r < ROWS; r++) w[(size_t)r * K + 3] = 1.0f;   /* every row's largest: fixes the scales */
    double *h = malloc(sizeof(double) * GPTQ_TRI(K));
    int8_t q[ROWS * K], q2[ROWS * K], qn[ROWS * K];
    float s[ROWS], s2[ROWS], sn[ROWS];
    gram_direct(h, x, N, K);
    CHECK(h[GPTQ_AT(7, 7)] == 0.0 && h[GPTQ_AT(19, 19)] == 0.0);
    CHECK_EQ_INT(round_gptq(w, ROWS, K, h, 0, 6, q, s), 0);
    quant_weights(w, ROWS, K, 6, qn, sn);
    int dead_nearest = 1, moved = 0;
    for (int r = 0; r < ROWS; r++) {
        for (int d = 0; d < 3; d++) dead_nearest &= q[r * K + dead[d]] == qn[r * K + dead[d]];
        for (int i = 0; i < K; i++) moved += q[r * K + i] != qn[r * K + i];
    }
    CHECK_MSG(dead_nearest, "a dead input's weight not rounded to nearest");
    CHECK_MSG(moved > 0, "no live weight moved: the dead inputs hid the correlations");
    /* other values in the dead columns (below each row's largest): the
     * live codes stay */
    for (int r = 0; r < ROWS; r++)
        for (int d = 0; d < 3; d++) w[(size_t)r * K + dead[d]] = (float)(0.9 * uniform());
    gram_direct(h, x, N, K);
    CHECK_EQ_INT(round_gptq(w, ROWS, K, h, 0, 6, q2, s2), 0);
    CHECK(!memcmp(s, s2, sizeof s));
    int same = 1;
    for (int r = 0; r < ROWS; r++)
        for (int i = 0; i < K; i++)
            if (i != dead[0] && i != dead[1] && i != dead[2]) same &= q[r * K + i] == q2[r * K + i];
    CHECK_MSG(same, "the dead inputs' weights moved a live code");
    /* nothing but dead inputs: nearest */
    memset(h, 0, sizeof(double) * GPTQ_TRI(K));
    CHECK_EQ_INT(round_gptq(w, ROWS, K, h, 0, 6, q, s), 0);
    quant_weights(w, ROWS, K, 6, qn, sn);
    CHECK(!memcmp(q, qn, sizeof q));
    /* a non-finite Gram matrix: left to nearest, and said so */
    gram_direct(h, x, N, K);
    h[GPTQ_AT(5, 5)] = NAN;
    CHECK_EQ_INT(round_gptq(w, ROWS, K, h, 0, 6, q, s), 1);
    CHECK(!memcmp(q, qn, sizeof q));
    free(x); free(w); free(h);
}

/* The reference's codes; a C code may differ only where the reference's
 * value lies within 1e-6 of a tie (two roundings of the same real number
 * that both sides compute to ~1e-12 may then fall either way), and the
 * rest of that row is then another, equally valid path. */
static void test_golden(void)
{
    golden g;
    memset(&g, 0, sizeof g);
    snprintf(g.path, sizeof g.path, "tests/data/gptq/golden.bin");
    g.buf = slurp(g.path, &g.len);
    CHECK_MSG(g.buf != 0, "cannot read %s (run from the repo root)", g.path);
    if (!g.buf) return;
    const char *cases[3] = { "shared6", "shared8", "perrow5" };
    for (int c = 0; c < 3; c++) {
        char name[64];
        size_t n = 0, nh = 0, nw = 0, nc = 0, nv = 0;
        snprintf(name, sizeof name, "%s.dims", cases[c]);
        double *dims = golden_f64(&g, name, &n);
        snprintf(name, sizeof name, "%s.w", cases[c]);
        float *w = golden_f32(&g, name, &nw);
        snprintf(name, sizeof name, "%s.h", cases[c]);
        double *h = golden_f64(&g, name, &nh);
        snprintf(name, sizeof name, "%s.codes", cases[c]);
        double *codes = golden_f64(&g, name, &nc);
        snprintf(name, sizeof name, "%s.value", cases[c]);
        double *value = golden_f64(&g, name, &nv);
        CHECK(dims && w && h && codes && value && n == 4);
        if (dims && w && h && codes && value && n == 4) {
            const int rows = (int)dims[0], k = (int)dims[1], per_row = (int)dims[2], bits = (int)dims[3];
            CHECK(nw == (size_t)rows * k && nc == nw && nv == nw && nh == GPTQ_TRI(k) * (per_row ? rows : 1));
            int8_t *q = malloc(nw);
            float *s = malloc(sizeof(float) * rows);
            CHECK_EQ_INT(round_gptq(w, rows, k, h, per_row, bits, q, s), 0);
            int exact = 0, ties = 0, bad = 0;
            for (int r = 0; r < rows; r++)
                for (int i = 0; i < k; i++) {
                    const size_t at = (size_t)r * k + i;
                    if (q[at] == (int8_t)codes[at]) { exact++; continue; }
                    const double v = value[at];
                    if (fabs(fabs(v - floor(v)) - 0.5) < 1e-6 && fabs((double)q[at] - codes[at]) == 1.0) { ties++; break; }
                    bad++;
                    if (bad < 4) fprintf(stderr, "  %s row %d input %d: code %d, reference %g (value %.9g)\n", cases[c], r,
                                         i, q[at], codes[at], v);
                    break;
                }
            printf("  golden %s: %d x %d, %d bits: %d codes as the reference, %d rows parted at a tie\n", cases[c], rows,
                   k, bits, exact, ties);
            CHECK_MSG(bad == 0, "%s: %d rows differ from the reference away from a tie", cases[c], bad);
            free(q); free(s);
        }
        free(dims); free(w); free(h); free(codes); free(value);
    }
    free(g.buf);
}

/* ----------------------------------------------------- Gram matrices */

static void test_gram_1x1(void)
{
    effad_error e = { 0 };
    effad_threads *pool = effad_threads_create(2, &e);
    const struct { int k; int n; int scaled; } cases[] = { { 600, 2000, 0 }, { 5, 77, 1 }, { 130, 301, 1 } };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        const int k = cases[c].k, n = cases[c].n;
        float *x = correlated(n, k, 0, 0), *gate = malloc(sizeof(float) * k), *xs = malloc(sizeof(float) * (size_t)n * k);
        for (int j = 0; j < k; j++) gate[j] = cases[c].scaled ? (float)(0.5 + 0.5 * uniform()) : 1.0f;
        for (size_t i = 0; i < (size_t)n * k; i++) xs[i] = x[i] * gate[i % (size_t)k];
        double *ref = malloc(sizeof(double) * GPTQ_TRI(k)), *h1 = malloc(sizeof(double) * GPTQ_TRI(k)),
               *h2 = malloc(sizeof(double) * GPTQ_TRI(k));
        gram_direct(ref, xs, n, k);
        double scale = 0;
        for (int i = 0; i < k; i++) scale = fmax(scale, ref[GPTQ_AT(i, i)]);
        for (size_t t = 0; effad_kernels_at(t); t++) {
            const effad_kernel_set *ks = effad_kernels_at(t);
            if (!effad_kernels(effad_kernels_name(ks))) continue;   /* not on this CPU */
            const ops_f32_kernels *f = ks->f32;
            void *scratch = malloc(gptq_gram_1x1_scratch_bytes(k, (size_t)n, 2, f));
            memset(h1, 0, sizeof(double) * GPTQ_TRI(k));
            memset(h2, 0, sizeof(double) * GPTQ_TRI(k));
            /* twice over the same pixels: the sums add up */
            for (int rep = 0; rep < 2; rep++) {
                CHECK(gptq_gram_1x1(h1, k, x, (size_t)n, cases[c].scaled ? gate : 0, f, 0, scratch) == OPS_OK);
                if (pool) CHECK(gptq_gram_1x1(h2, k, x, (size_t)n, cases[c].scaled ? gate : 0, f, pool, scratch) == OPS_OK);
            }
            double worst = 0;
            for (size_t i = 0; i < GPTQ_TRI(k); i++) worst = fmax(worst, fabs(h1[i] - 2 * ref[i]));
            CHECK_MSG(worst <= 1e-5 * 2 * scale, "k %d, n %d, %s: off by %g of %g", k, n, effad_kernels_name(ks), worst,
                      2 * scale);
            if (pool) CHECK_MSG(!memcmp(h1, h2, sizeof(double) * GPTQ_TRI(k)), "k %d, %s: two threads differ", k,
                                effad_kernels_name(ks));
            free(scratch);
        }
        free(x); free(gate); free(xs); free(ref); free(h1); free(h2);
    }
    if (pool) effad_threads_destroy(pool);
}

static void test_gram_dw(void)
{
    const struct { int h, w, c, kh, kw, sh, sw, dh, dw, pt, pl, pb, pr; } cases[] = {
        { 9, 11, 37, 3, 3, 2, 2, 1, 1, 0, 0, 1, 1 },   /* TF "same" at stride 2 */
        { 8, 8, 70, 5, 5, 1, 1, 1, 1, 2, 2, 2, 2 },
        { 10, 7, 5, 3, 3, 1, 1, 2, 2, 2, 2, 2, 2 },    /* dilated */
        { 6, 9, 33, 3, 5, 1, 2, 1, 1, 1, 0, 0, 3 },    /* asymmetric kernel and pads */
        { 12, 10, 64, 5, 5, 1, 1, 1, 1, 0, 0, 0, 0 },  /* no padding: every window inside */
        { 7, 7, 32, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1 },
        { 5, 6, 40, 5, 3, 1, 1, 2, 1, 3, 0, 5, 2 },    /* dilated, asymmetric, pads beyond the kernel */
        { 3, 4, 9, 5, 5, 1, 1, 1, 1, 2, 2, 2, 2 },     /* a map smaller than the kernel */
        { 9, 9, 35, 7, 7, 1, 1, 1, 1, 3, 3, 3, 3 },
    };
    effad_error e = { 0 };
    effad_threads *pool = effad_threads_create(2, &e);
    for (size_t t = 0; t < sizeof cases / sizeof cases[0]; t++) {
        const ops_hwc in = { cases[t].h, cases[t].w, cases[t].c };
        const ops_conv_geom g = { cases[t].kh, cases[t].kw, cases[t].sh, cases[t].sw, cases[t].dh, cases[t].dw,
                                  cases[t].pt, cases[t].pl, cases[t].pb, cases[t].pr };
        const int oh = ops_conv_out_dim(in.h, g.kh, g.stride_h, g.dil_h, g.pad_top, g.pad_bottom);
        const int ow = ops_conv_out_dim(in.w, g.kw, g.stride_w, g.dil_w, g.pad_left, g.pad_right);
        const int kk = g.kh * g.kw;
        float *x = malloc(sizeof(float) * (size_t)in.h * in.w * in.c);
        for (size_t i = 0; i < (size_t)in.h * in.w * in.c; i++) x[i] = (float)uniform();
        double *h = calloc(GPTQ_TRI(kk) * in.c, sizeof(double)), *ref = calloc(GPTQ_TRI(kk) * in.c, sizeof(double));
        for (int c = 0; c < in.c; c++)
            for (int oy = 0; oy < oh; oy++)
                for (int ox = 0; ox < ow; ox++) {
                    double p[EFM_MAX_KERNEL * EFM_MAX_KERNEL];
                    for (int ky = 0; ky < g.kh; ky++)
                        for (int kx = 0; kx < g.kw; kx++) {
                            const int iy = oy * g.stride_h - g.pad_top + ky * g.dil_h;
                            const int ix = ox * g.stride_w - g.pad_left + kx * g.dil_w;
                            p[ky * g.kw + kx] = iy >= 0 && iy < in.h && ix >= 0 && ix < in.w
                                                    ? x[((size_t)iy * in.w + ix) * in.c + c] : 0.0;
                        }
                    for (int a = 0; a < kk; a++)
                        for (int b = 0; b <= a; b++) ref[c * GPTQ_TRI(kk) + GPTQ_AT(a, b)] += p[a] * p[b];
                }
        void *scratch = malloc(gptq_gram_dw_scratch_bytes(g.kh, g.kw, in.w, 2));
        double *h2 = calloc(GPTQ_TRI(kk) * in.c, sizeof(double));
        gptq_gram_dw(h, x, in, &g, oh, ow, 0, scratch);
        if (pool) gptq_gram_dw(h2, x, in, &g, oh, ow, pool, scratch);
        double worst = 0;
        for (size_t i = 0; i < GPTQ_TRI(kk) * in.c; i++) worst = fmax(worst, fabs(h[i] - ref[i]));
        CHECK_MSG(worst < 1e-4, "depthwise case %zu: off by %g", t, worst);
        if (pool) CHECK_MSG(!memcmp(h, h2, sizeof(double) * GPTQ_TRI(kk) * in.c), "depthwise case %zu: two threads differ", t);
        free(x); free(h); free(h2); free(ref); free(scratch);
    }
    if (pool) effad_threads_destroy(pool);
}

/* ------------------------------------------------ on the tiny model */

typedef struct float_run { uint8_t *efm; effad_model m; void *arena; effad_runner r; } float_run;

static int open_run(const uint8_t *efm_in, size_t n, uint32_t flags, float_run *fr)
{
    effad_error e = { 0 };
    size_t bytes = 0;
    memset(fr, 0, sizeof *fr);
    fr->efm = malloc(n);
    memcpy(fr->efm, efm_in, n);
    const effad_plan_opts po = { .n_workers = 1, .flags = flags };
    effad_status s = effad_model_load_writable(&fr->m, fr->efm, n, &e);
    if (!s) s = effad_arena_bytes(&fr->m, effad_kernels(0), &po, &bytes, &e);
    if (!s && posix_memalign(&fr->arena, 64, bytes)) s = EFFAD_ERR_NOMEM;
    if (!s) s = effad_runner_init(&fr->r, &fr->m, effad_kernels(0), &po, fr->arena, bytes, &e);
    CHECK_MSG(s == EFFAD_OK, "%s", e.msg);
    return s == EFFAD_OK;
}

static void close_run(float_run *fr) { free(fr->efm); free(fr->arena); }

/* The fixture's network written with q (NULL: float32) and opened with
 * plan flags; *efm is the caller's to free either way. */
static int write_and_open(select_fixture *f, const convert_quant *q, int plan, float_run *fr, uint8_t **efm)
{
    size_t n = 0;
    effad_error e = { 0 };
    *efm = 0;
    CHECK_MSG(convert_write(f->cs, q, efm, &n, &e) == EFFAD_OK, "%s", e.msg);
    return *efm && open_run(*efm, n, plan, fr);
}

/* Codes for the fixture's network from its calibration images. */
static quant_codes *codes_for(select_fixture *f, int bits, size_t budget, gptq_calib_report *rep)
{
    uint8_t *efm;
    effad_error e = { 0 };
    float_run fr;
    quant_codes *codes = 0;
    if (write_and_open(f, 0, EFFAD_PLAN_UNFUSED, &fr, &efm)) {
        CHECK_MSG(gptq_calibrate(&fr.r, convert_network(f->cs), f->in.calib, f->in.n_calib, f->in.floats, bits, budget, 0,
                                 0, &codes, rep, &e) == EFFAD_OK, "%s", e.msg);
        CHECK(fr.r.observe == 0);   /* given back */
        close_run(&fr);
    }
    free(efm);
    return codes;
}

/* The mean squared distance of q's levels from ref (float_levels) over
 * the calibration images. */
static double level_distance(select_fixture *f, const convert_quant *q, const float *ref, size_t row)
{
    uint8_t *efm;
    effad_error e = { 0 };
    float_run fr;
    double sum = 0;
    float *lv = malloc(sizeof(float) * row);
    if (write_and_open(f, q, 0, &fr, &efm)) {
        for (int i = 0; i < f->in.n_calib; i++) {
            float *pooled[EFFAD_MAX_TAPS];
            size_t off = 0;
            for (int t = 0; t < fr.m.n_taps; t++) { pooled[t] = lv + off; off += (size_t)fr.m.taps[t].channels; }
            CHECK(effad_run(&fr.r, f->in.calib + (size_t)i * f->in.floats, pooled, &e) == EFFAD_OK);
            for (size_t j = 0; j < row; j++) {
                const double d = (double)lv[j] - ref[(size_t)i * row + j];
                sum += d * d;
            }
        }
        close_run(&fr);
    }
    free(lv); free(efm);
    return sum / f->in.n_calib;
}

/* The float levels of every calibration image, rows of `row` floats. */
static float *float_levels(select_fixture *f, size_t *row)
{
    uint8_t *efm;
    effad_error e = { 0 };
    float_run fr;
    float *ref = 0;
    if (write_and_open(f, 0, 0, &fr, &efm)) {
        *row = 0;
        for (int t = 0; t < fr.m.n_taps; t++) *row += (size_t)fr.m.taps[t].channels;
        ref = malloc(sizeof(float) * *row * f->in.n_calib);
        for (int i = 0; i < f->in.n_calib; i++) {
            float *pooled[EFFAD_MAX_TAPS];
            size_t off = 0;
            for (int t = 0; t < fr.m.n_taps; t++) { pooled[t] = ref + *row * i + off; off += (size_t)fr.m.taps[t].channels; }
            CHECK(effad_run(&fr.r, f->in.calib + (size_t)i * f->in.floats, pooled, &e) == EFFAD_OK);
        }
        close_run(&fr);
    }
    free(efm);
    return ref;
}

static void weights_only_quant(convert_quant *q, int n_blocks, int bits, int round)
{
    memset(q, 0, sizeof *q);
    q->weight_bits = bits;
    q->weight_round = round;
    q->act_bits = 8;
    q->n_blocks = n_blocks;
    for (int i = 0; i < n_blocks; i++) q->block_int8[i] = QUANT_UNIT_WEIGHTS;
    q->head_int8 = QUANT_UNIT_WEIGHTS;
}

/* Largest |code| of conv c's int8 weights. */
static int widest_code(const effad_conv *c)
{
    const int8_t *w = c->w.data;
    const size_t count = (size_t)c->kh * c->kw * (size_t)(c->cin / c->groups) * c->cout;
    int m = 0;
    for (size_t i = 0; i < count; i++) m = abs(w[i]) > m ? abs(w[i]) : m;
    return m;
}

/* quant_select with fixed ranges (min/max x 1.5, no measured stages) and
 * GPTQ's codes of `bits` bits. */
static void gptq_options(quant_select_options *o, int bits)
{
    memset(o, 0, sizeof *o);
    o->weight_bits = bits;
    o->act_bits = 8;
    o->method = CALIB_MINMAX;
    o->headroom = 1.5f;
    o->weight_round = QUANT_ROUND_GPTQ;
}

/* A 16x8 block in a model of 6-bit GPTQ weights takes 8-bit weights
 * rounded to nearest (quant_unit_weight_bits): its projection holds
 * exactly quant_weights' 8-bit codes and scales (re-laid HWIO), wider
 * than 6 bits; the uint8 blocks around it stay within 6 bits. */
static void test_act16_width(select_fixture *f, const mnet *net)
{
    enum { B16 = 1 };
    quant_select_options o;
    gptq_options(&o, 6);
    o.act16[B16] = 1;
    static convert_quant q;
    static quant_select_report rep;
    effad_error e = { 0 };
    CHECK_MSG(quant_select(f->cs, &f->in, &o, &q, &rep, &e) == EFFAD_OK, "%s", e.msg);
    CHECK_EQ_INT(q.block_int8[B16], QUANT_UNIT_INT16);
    CHECK_EQ_INT(quant_unit_weight_bits(&q, QUANT_UNIT_INT16), 8);
    CHECK_EQ_INT(quant_unit_weight_bits(&q, QUANT_UNIT_INT8), 6);
    uint8_t *efm = 0;
    size_t n = 0;
    CHECK_MSG(convert_write(f->cs, &q, &efm, &n, &e) == EFFAD_OK, "%s", e.msg);
    float_run fr;
    if (!efm || !open_run(efm, n, 0, &fr)) { free(efm); return; }
    const layer *src = net->blocks[B16].project;
    const effad_conv *p = &fr.m.blocks[B16].project;
    int8_t *near = malloc((size_t)src->cout * src->cin);
    float *scale = malloc(sizeof(float) * (size_t)src->cout);
    quant_weights(src->w, src->cout, src->cin, 8, near, scale);
    int same = p->w.dtype == EFFAD_S8 && p->in_q.dtype == EFFAD_S16;
    const int8_t *w = p->w.data;
    for (int oc = 0; same && oc < p->cout; oc++) {
        same &= p->w.scale[oc] == scale[oc];
        for (int ci = 0; ci < p->cin; ci++) same &= w[(size_t)ci * p->cout + oc] == near[(size_t)oc * src->cin + ci];
    }
    CHECK_MSG(same, "the 16x8 block's projection does not hold 8-bit weights rounded to nearest");
    const int w16 = widest_code(p), w8a = widest_code(&fr.m.blocks[B16 - 1].project),
              w8b = widest_code(&fr.m.blocks[B16 + 1].project);
    CHECK_MSG(w16 > 31 && w8a <= 31 && w8b <= 31, "widest codes: 16x8 block %d, uint8 blocks %d, %d", w16, w8a, w8b);
    printf("  16x8 block %d in a 6-bit model: widest weight code %d (uint8 blocks: %d, %d)\n", B16, w16, w8a, w8b);
    free(near); free(scale);
    close_run(&fr);
    free(efm);
}

static void test_network(void)
{
    select_fixture f;
    if (!select_fixture_open(&f)) return;
    const mnet *net = convert_network(f.cs);
    const int nb = net->n_blocks;
    gptq_calib_report r1, r2;
    quant_codes *one = codes_for(&f, 4, GPTQ_BUDGET_BYTES, &r1), *each = codes_for(&f, 4, 1, &r2);
    CHECK(one && each);
    if (!one || !each) { quant_codes_free(one); quant_codes_free(each); select_fixture_close(&f); return; }
    int layers = 0, same = 1;
    for (int i = 0; i <= 3 * nb; i++) {
        const layer *c = i == 3 * nb ? net->head
                       : (i % 3 == QUANT_SLOT_EXPAND ? net->blocks[i / 3].expand
                          : i % 3 == QUANT_SLOT_DW ? net->blocks[i / 3].dw : net->blocks[i / 3].project);
        CHECK_MSG(!c == !one->q[i], "slot %d: layer %s, codes %s", i, c ? "present" : "absent", one->q[i] ? "present" : "absent");
        if (!c || !one->q[i] || !each->q[i]) continue;
        layers++;
        const size_t count = (size_t)c->cout * (c->cin / c->groups) * c->kh * c->kw;
        same &= !memcmp(one->q[i], each->q[i], count) && !memcmp(one->scale[i], each->scale[i], sizeof(float) * c->cout);
    }
    CHECK_EQ_INT(r1.layers, layers);
    CHECK_EQ_INT(r1.groups, 1);
    CHECK_EQ_INT(r2.groups, layers);
    CHECK_EQ_INT(r1.not_factorised, 0);
    CHECK_MSG(same, "codes from one pass and from a pass per layer differ");
    printf("  tiny model: %d layers rounded, in 1 pass and in %d\n", layers, r2.groups);
    quant_codes_free(each);

    /* writes: GPTQ asked for without codes, or at other bits, is refused */
    convert_quant q;
    weights_only_quant(&q, nb, 4, QUANT_ROUND_GPTQ);
    uint8_t *efm = 0;
    size_t n = 0;
    effad_error e = { 0 };
    CHECK_EQ_INT(convert_write(f.cs, &q, &efm, &n, &e), EFFAD_ERR_ARG);
    CHECK_STR_CONTAINS(e.msg, "no calibration");
    convert_set_codes(f.cs, one);
    q.weight_bits = 6;
    CHECK_EQ_INT(convert_write(f.cs, &q, &efm, &n, &e), EFFAD_ERR_ARG);
    CHECK_STR_CONTAINS(e.msg, "rounded to 4 bits");
    q.weight_bits = 4;

    /* the written file holds the codes (block 0's projection, HWIO) */
    CHECK_MSG(convert_write(f.cs, &q, &efm, &n, &e) == EFFAD_OK, "%s", e.msg);
    float_run fr;
    if (efm && open_run(efm, n, 0, &fr)) {
        const effad_conv *p = &fr.m.blocks[0].project;
        const int8_t *w = p->w.data;
        int held = p->w.dtype == EFFAD_S8;
        for (int o = 0; held && o < p->cout; o++) {
            held &= p->w.scale[o] == one->scale[3 * 0 + QUANT_SLOT_PROJECT][o];
            for (int ci = 0; ci < p->cin; ci++)
                held &= w[(size_t)ci * p->cout + o] == one->q[QUANT_SLOT_PROJECT][(size_t)o * p->cin + ci];
        }
        CHECK_MSG(held, "the written projection's int8 weights are not the codes");
        close_run(&fr);
    }
    free(efm);

    /* 4-bit weights alone: closer to float32 by GPTQ than to nearest */
    size_t row = 0;
    float *ref = float_levels(&f, &row);
    if (ref) {
        const double dg = level_distance(&f, &q, ref, row);
        weights_only_quant(&q, nb, 4, QUANT_ROUND_NEAREST);
        const double dn = level_distance(&f, &q, ref, row);
        printf("  tiny model, 4-bit weights alone: levels' squared distance from float32 GPTQ %.4g, nearest %.4g\n", dg, dn);
        CHECK_MSG(dg < dn, "GPTQ %g, nearest %g", dg, dn);
    }
    free(ref);

    /* quant_select with GPTQ leaves codes of its bits in the session, and
     * one to nearest drops them */
    quant_select_options o;
    gptq_options(&o, 7);
    static convert_quant qs;
    static quant_select_report rep;
    CHECK_MSG(quant_select(f.cs, &f.in, &o, &qs, &rep, &e) == EFFAD_OK, "%s", e.msg);
    CHECK_EQ_INT(qs.weight_round, QUANT_ROUND_GPTQ);
    CHECK_EQ_INT(rep.gptq_layers, layers);
    CHECK_EQ_INT(rep.gptq_groups, 1);
    CHECK_EQ_INT(rep.gptq_passes, 0);   /* gathered in the calibration's own passes */
    CHECK_MSG(convert_write(f.cs, &qs, &efm, &n, &e) == EFFAD_OK, "%s", e.msg);
    free(efm);
    o.weight_round = QUANT_ROUND_NEAREST;
    CHECK_MSG(quant_select(f.cs, &f.in, &o, &qs, &rep, &e) == EFFAD_OK, "%s", e.msg);
    CHECK_EQ_INT(rep.gptq_layers, 0);
    qs.weight_round = QUANT_ROUND_GPTQ;
    CHECK_EQ_INT(convert_write(f.cs, &qs, &efm, &n, &e), EFFAD_ERR_ARG);
    test_act16_width(&f, net);
    select_fixture_close(&f);
}

int main(void)
{
    test_identity();
    test_correlated();
    test_dead();
    test_golden();
    test_gram_1x1();
    test_gram_dw();
    test_network();
    return check_done("gptq");
}
