/*
 * test-quant-select.c -- the measured int8 calibration and what it is
 * built from:
 *   - calib-hist: on a known distribution (uniform on [0, 1) plus a few
 *     outliers at 50) min/max keeps the outliers, the percentile range
 *     drops them to within a bin of 1, and the MSE range lies between;
 *     the gated point multiplies by the channel scale;
 *   - level-error and Spearman against values worked by hand and by
 *     scipy.stats.spearmanr (scipy 1.10.1, quoted below);
 *   - quant_select on a committed tiny model: deterministic (two runs,
 *     the same ranges, choices and errors), its choices among the
 *     candidates, --keep-float honoured, the float budget kept, the
 *     measured result no worse than plain min/max x 1.5, and every choice
 *     switched off when the caller fixes method, headroom and budget.
 */
#include <math.h>
#include <stdlib.h>
#include "check.h"
#include "calib-hist.h"
#include "level-error.h"
#include "quant-select.h"
#include "quant.h"
#include "select-fixture.h"
#include "spearman.h"

static uint32_t seed = 99;
static float uniform(void)
{
    seed = seed * 1664525u + 1013904223u;
    return (float)(seed >> 8) / 16777216.0f;
}

/* sum of (dequantise(quantise(x)) - x)^2 over the samples, range r */
static double sq_error(const float *x, int n, quant_range r)
{
    const effad_qtype q = quant_qtype(r, 8);
    double sum = 0;
    for (int i = 0; i < n; i++) {
        double v = nearbyint(x[i] / q.scale) + q.zero_point;
        v = v < 0 ? 0 : v > 255 ? 255 : v;
        const double d = (v - q.zero_point) * q.scale - x[i];
        sum += d * d;
    }
    return sum;
}

static void test_hist(void)
{
    static effad_model m;
    m.n_blocks = 1;
    static calib c;
    calib_init(&c, &m);
    enum { N = 20000 };
    float *x = malloc(sizeof(float) * N);
    for (int i = 0; i < N; i++) x[i] = uniform();
    x[16] = x[998] = 50.0f;                         /* two outliers in 20000, both in channel 0 */
    const float gate[2] = { 2.0f, 0.5f };
    calib_observe(&c, EFFAD_AT_STEM, 0, x, 100, 100, 2, 0);
    calib_observe(&c, EFFAD_AT_GATED, 0, x, 100, 100, 2, gate);
    CHECK_NEAR(c.seen.stem_out.hi, 50.0, 0);
    CHECK_NEAR(c.seen.gated[0].hi, 100.0, 0);       /* 50 x channel 0's scale 2 */
    calib_hist h;
    effad_error e = { 0 };
    CHECK_EQ_INT(calib_hist_init(&h, &c, &e), EFFAD_OK);
    calib_hist_observe(&h, EFFAD_AT_STEM, 0, x, 100, 100, 2, 0);
    calib_hist_observe(&h, EFFAD_AT_GATED, 0, x, 100, 100, 2, gate);
    const quant_range mm = calib_hist_range(&h, 0, CALIB_MINMAX), pc = calib_hist_range(&h, 0, CALIB_PERCENTILE),
                      ms = calib_hist_range(&h, 0, CALIB_MSE);
    CHECK_NEAR(mm.hi, 50.0, 0);
    CHECK_MSG(pc.hi >= 0.99f && pc.hi <= 1.0f + 50.0f / CALIB_BINS, "percentile hi %g", (double)pc.hi);
    CHECK_MSG(pc.lo >= 0.0f && pc.lo <= 50.0f / CALIB_BINS, "percentile lo %g", (double)pc.lo);
    /* the MSE range's squared error over the samples themselves (quantised
     * and dequantised here, independently of the histogram) is the least
     * of the three: keeping two outliers at 50 costs less than clipping
     * them to 1 (2 x 49^2 against 20000 x (50/255)^2 / 12) */
    CHECK_MSG(sq_error(x, N, ms) <= 1.001 * sq_error(x, N, mm) && sq_error(x, N, ms) <= 1.001 * sq_error(x, N, pc),
              "mse %g, minmax %g, percentile %g", sq_error(x, N, ms), sq_error(x, N, mm), sq_error(x, N, pc));
    /* an exponential tail (max near ln 20000 = 9.9): clipping it pays */
    float *y = malloc(sizeof(float) * N);
    for (int i = 0; i < N; i++) y[i] = -logf(1.0f - uniform());
    static calib c2;
    calib_init(&c2, &m);
    calib_observe(&c2, EFFAD_AT_STEM, 0, y, N, 1, 1, 0);
    calib_hist h2;
    CHECK_EQ_INT(calib_hist_init(&h2, &c2, &e), EFFAD_OK);
    calib_hist_observe(&h2, EFFAD_AT_STEM, 0, y, N, 1, 1, 0);
    const quant_range ym = calib_hist_range(&h2, 0, CALIB_MINMAX), ys = calib_hist_range(&h2, 0, CALIB_MSE);
    CHECK_MSG(ys.hi < ym.hi && sq_error(y, N, ys) < sq_error(y, N, ym), "exponential: mse hi %g err %g, minmax hi %g err %g",
              (double)ys.hi, sq_error(y, N, ys), (double)ym.hi, sq_error(y, N, ym));
    calib_hist_free(&h2);
    free(y);
    const quant_range gp = calib_hist_range(&h, 3, CALIB_PERCENTILE);   /* point 3: block 0 gated */
    CHECK_MSG(gp.hi > 1.9f && gp.hi <= 2.0f + 100.0f / CALIB_BINS, "gated percentile hi %g", (double)gp.hi);
    /* a point never observed has an empty range */
    const quant_range none = calib_hist_range(&h, 1, CALIB_MSE);
    CHECK(none.lo == 0.0f && none.hi == 0.0f);
    calib_hist_free(&h);
    free(x);
    CHECK_EQ_INT(calib_method_parse("mse"), CALIB_MSE);
    CHECK_EQ_INT(calib_method_parse("entropy"), -1);
}

static void test_level_error(void)
{
    /* two images, two features */
    const float f[4] = { 1, 0, 0, 1 }, same[4] = { 1, 0, 0, 1 }, twice[4] = { 2, 0, 0, 2 };
    level_error le;
    level_error_of(f, same, 2, 2, 2, &le);
    CHECK_NEAR(le.cosine_mean, 1, 1e-12);
    CHECK_NEAR(le.rel, 0, 0);
    CHECK_NEAR(le.spread_ratio, 0, 0);
    level_error_of(f, twice, 2, 2, 2, &le);
    CHECK_NEAR(le.cosine_min, 1, 1e-12);
    CHECK_NEAR(le.rel, 1, 1e-12);                  /* ||q - f|| = ||f|| */
    /* spread: mean (0.5, 0.5), sum ||f - mean||^2 = 1; error 2 */
    CHECK_NEAR(le.spread_ratio, 2, 1e-12);
    float mean[2], sigma[2];
    const float g[6] = { 1, 10, 3, 10, 5, 10 };    /* feature 1 constant: floored */
    CHECK_EQ_INT(level_moments(g, 3, 2, 2, mean, sigma), 1);   /* it varies */
    CHECK_NEAR(mean[0], 3, 1e-6);
    CHECK_NEAR(sigma[0], 2, 1e-6);
    CHECK_NEAR(sigma[1], 0.01 * sqrt(2.0), 1e-6);  /* 1 % of sqrt((4 + 0) / 2) */
    const float q6[6] = { 1, 10, 3, 10, 7, 10 };   /* image 2 moved by one sigma */
    /* image 2: err 1, distance (2/2)^2 = 1 -> 1; others 0; mean over 3 */
    CHECK_NEAR(level_error_relative(g, q6, 3, 2, 2, mean, sigma), 1.0 / 3.0, 1e-9);
    /* still levels: copies of one image; one image; images that differ by
     * float32 rounding only (1 ulp of 1000 is 6e-8 of it); and just above
     * the line (1e-5 of the size) */
    const float copies[6] = { 4, -2, 4, -2, 4, -2 }, ulp[6] = { 1000, 7, 1000.0001f, 7, 1000, 7.0000005f },
                moved[6] = { 1000, 7, 1000.02f, 7, 1000, 7 };
    CHECK_EQ_INT(level_moments(copies, 3, 2, 2, mean, sigma), 0);
    CHECK_NEAR(sigma[0], 1, 0);                    /* no spread at all: unit sigma, no division by 0 */
    CHECK_EQ_INT(level_moments(g, 1, 2, 2, mean, sigma), 0);
    CHECK_EQ_INT(level_moments(ulp, 3, 2, 2, mean, sigma), 0);
    CHECK_EQ_INT(level_moments(moved, 3, 2, 2, mean, sigma), 1);
    const float zero[4] = { 0, 0, 0, 0 };
    CHECK_EQ_INT(level_moments(zero, 2, 2, 2, mean, sigma), 0);
}

static void test_spearman(void)
{
    /* scipy.stats.spearmanr(...).correlation, scipy 1.10.1 */
    const double a1[5] = { 1, 2, 3, 4, 5 }, b1[5] = { 5, 6, 7, 8, 7 };
    CHECK_NEAR(spearman(a1, b1, 5), 0.8207826816681233, 1e-12);
    const double a2[6] = { 1, 1, 2, 3, 3, 3 }, b2[6] = { 4, 4, 4, 5, 2, 9 };
    CHECK_NEAR(spearman(a2, b2, 6), 0.29512162610277887, 1e-12);
    const double a3[5] = { 0.5, -1, 2.25, 7, 3 };
    CHECK_NEAR(spearman(a3, a1, 5), 0.7999999999999999, 1e-12);
    CHECK(isnan(spearman(a1, a1, 1)));
    const double flat[3] = { 2, 2, 2 };
    CHECK(isnan(spearman(flat, a1, 3)));
}

/* ------------------------------------------------------- quant_select */

static void test_select(void)
{
    select_fixture f;
    if (!select_fixture_open(&f)) return;
    convert_session *cs = f.cs;
    const quant_inputs in = f.in;
    effad_error e = { 0 };
    quant_select_options o;
    memset(&o, 0, sizeof o);
    o.weight_bits = 8;
    o.method = -1;
    o.float_budget = 0.05f;
    o.keep_float[2] = 1;
    static convert_quant q1, q2;
    static quant_select_report r1, r2;
    CHECK_MSG(quant_select(cs, &in, &o, &q1, &r1, &e) == EFFAD_OK, "%s", e.msg);
    CHECK_MSG(quant_select(cs, &in, &o, &q2, &r2, &e) == EFFAD_OK, "%s", e.msg);
    CHECK_MSG(!memcmp(&q1, &q2, sizeof q1), "two runs chose differently");
    CHECK(r1.error_final == r2.error_final && r1.headroom_chosen == r2.headroom_chosen);
    int seen = 0, hit = 0;
    for (int k = 0; k < r1.n_headrooms; k++) hit |= r1.headroom[k] == r1.headroom_chosen;
    CHECK_MSG(hit && r1.n_headrooms >= 3, "headroom %g not among the %d measured", (double)r1.headroom_chosen, r1.n_headrooms);
    for (int k = 0; k < CALIB_N_METHODS; k++) seen += r1.method_count[k];
    int observed = 0;
    for (int p = 0; p < r1.n_points; p++) observed += r1.observed[p];
    CHECK_EQ_INT(seen, observed);
    CHECK_EQ_INT(q1.block_int8[2], QUANT_UNIT_FLOAT);
    CHECK_EQ_INT(r1.unit_float[2], QUANT_BY_REQUEST);
    long long spent = 0;
    for (int u = 0; u < r1.n_units; u++)
        if (r1.unit_float[u] == QUANT_BY_MEASURE) {
            spent += r1.unit_bytes[u];
            CHECK_MSG(r1.unit_error[u] > r1.median_unit_error, "block %d kept float below the median error", u);
        }
    CHECK_MSG((double)spent <= 0.05 * (double)r1.float_bytes, "float blocks add %lld of %lld bytes", spent, r1.float_bytes);
    CHECK_MSG(r1.error_final <= r1.error_baseline, "measured %.4g worse than min/max x1.5's %.4g", r1.error_final,
              r1.error_baseline);
    printf("  tiny-tv-fold: headroom x%g, error %.4g (min/max x1.5: %.4g), %d/%d/%d minmax/percentile/mse, %lld passes\n",
           (double)r1.headroom_chosen, r1.error_final, r1.error_baseline, r1.method_count[0], r1.method_count[1],
           r1.method_count[2], r1.passes);

    /* a size cap halfway into what stage 3 spent: it now adds at most the
     * room the cap leaves above the file it started from */
    CHECK_MSG(spent > 0 && r1.base_bytes > 0, "stage 3 kept nothing float (%lld bytes)", spent);
    const double room = 0.5 * (double)spent;
    o.max_size = (float)(((double)r1.base_bytes + room) / (double)r1.float_bytes);
    static quant_select_report r3;
    CHECK_MSG(quant_select(cs, &in, &o, &q2, &r3, &e) == EFFAD_OK, "%s", e.msg);
    CHECK_EQ_INT(r3.base_bytes, r1.base_bytes);
    long long spent3 = 0;
    for (int u = 0; u < r3.n_units; u++)
        if (r3.unit_float[u] == QUANT_BY_MEASURE) spent3 += r3.unit_bytes[u];
    CHECK_MSG((double)r3.float_budget_bytes <= room + 64 && (double)spent3 <= (double)r3.float_budget_bytes,
              "capped stage 3 spent %lld of %lld bytes (room %.0f)", spent3, r3.float_budget_bytes, room);
    CHECK_MSG(spent3 < spent, "the cap changed nothing (%lld bytes)", spent3);
    o.max_size = 0;

    /* everything fixed: no choice measured, the ranges are min/max x 2 */
    memset(&o, 0, sizeof o);
    o.weight_bits = 8;
    o.method = CALIB_MINMAX;
    o.headroom = 2.0f;
    CHECK_MSG(quant_select(cs, &in, &o, &q2, &r2, &e) == EFFAD_OK, "%s", e.msg);
    CHECK(r2.n_headrooms == 0 && r2.headroom_chosen == 2.0f && !r2.units_measured && isnan(r2.error_baseline));
    CHECK_EQ_INT(r2.method_count[CALIB_MINMAX], observed);
    for (int i = 0; i < q2.n_blocks; i++) CHECK_EQ_INT(q2.block_int8[i], QUANT_UNIT_INT8);
    if (r1.method[4] == CALIB_MINMAX)   /* point 4: block 0's output */
        CHECK_NEAR(q2.out[0].hi / 2.0, q1.out[0].hi / r1.headroom_chosen, 1e-6 * q1.out[0].hi);
    /* nothing to calibrate on */
    quant_inputs empty = in;
    empty.n_calib = 0;
    CHECK_EQ_INT(quant_select(cs, &empty, &o, &q2, &r2, &e), EFFAD_ERR_ARG);
    select_fixture_close(&f);
}

int main(void)
{
    test_hist();
    test_level_error();
    test_spearman();
    test_select();
    return check_done("quant-select");
}
