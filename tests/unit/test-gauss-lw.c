/*
 * test-gauss-lw.c -- streaming moments, Ledoit-Wolf, Cholesky scores and
 * precision against scikit-learn / scipy goldens (tests/gen-gauss-goldens.py),
 * and merge(a, b) == fit(a u b).
 */
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "test-pool.h"
#include "gauss-golden.h"
#include "gauss.h"

#define TOL 1e-6

typedef struct {
    golden g;
    size_t n, d, m;
    float *X, *held;
} lw_case;

static int case_load(lw_case *c, const char *name)
{
    char file[128];
    snprintf(file, sizeof file, "lw-%s.bin", name);
    if (golden_load(&c->g, file)) { CHECK_MSG(0, "missing golden %s", file); return -1; }
    c->n = (size_t)golden_scalar(&c->g, "n");
    c->d = (size_t)golden_scalar(&c->g, "d");
    size_t nh = 0;
    c->X = golden_f32(&c->g, "X", NULL);
    c->held = golden_f32(&c->g, "held", &nh);
    c->m = c->d ? nh / c->d : 0;
    return 0;
}

static void case_free(lw_case *c)
{
    free(c->X); free(c->held); golden_free(&c->g);
}

/* The symmetric d x d matrix whose lower triangle P holds packed (gauss.h),
 * as the square sklearn's references are: a new buffer. */
static double *sym_square(const double *P, size_t d)
{
    double *full = malloc(d * d * sizeof *full);
    for (size_t i = 0; i < d; i++)
        for (size_t j = 0; j <= i; j++) full[i * d + j] = full[j * d + i] = P[gauss_tri(i) + j];
    return full;
}

static void add_rows(gauss_stats *s, const float *X, size_t from, size_t to, size_t d)
{
    effad_error e;
    size_t bad = 0;
    for (size_t i = from; i < to; i++) bad += gauss_stats_add(s, X + i * d, &e) != EFFAD_OK;
    CHECK_EQ_INT(bad, 0);
}

/* Compares everything sklearn/scipy recorded for one case; prints the
 * worst relative errors (they go in the report). */
static void check_case(const char *name)
{
    lw_case c;
    if (case_load(&c, name)) return;
    size_t n = c.n, d = c.d;
    effad_error e;
    gauss_stats s;
    CHECK(gauss_stats_init(&s, d, &e) == EFFAD_OK);
    add_rows(&s, c.X, 0, n, d);

    double *mean = malloc(d * sizeof *mean), *cov = malloc(gauss_tri(d) * sizeof *cov);
    double *ref_loc = golden_f64(&c.g, "location", NULL);
    double *ref_emp = golden_f64(&c.g, "emp_cov", NULL);
    double *ref_cov = golden_f64(&c.g, "covariance", NULL);
    double *ref_prec = golden_f64(&c.g, "precision", NULL);
    double ref_sh = golden_scalar(&c.g, "shrinkage");

    CHECK(gauss_stats_moments(&s, mean, cov, &e) == EFFAD_OK);
    double e_loc = rel_err_each(mean, ref_loc, d);
    double *full = sym_square(cov, d);
    double e_emp = rel_err_norm(full, ref_emp, d * d);
    free(full);
    CHECK_MSG(e_loc <= TOL, "%s: mean rel err %g", name, e_loc);
    CHECK_MSG(e_emp <= TOL, "%s: empirical covariance rel err %g", name, e_emp);

    double sh = -1;
    CHECK(gauss_ledoit_wolf(&s, mean, cov, &sh, &e) == EFFAD_OK);
    double e_sh = ref_sh != 0 ? fabs(sh - ref_sh) / ref_sh : fabs(sh);
    full = sym_square(cov, d);
    double e_cov = rel_err_norm(full, ref_cov, d * d);
    free(full);
    CHECK_MSG(e_sh <= TOL, "%s: shrinkage %.17g vs sklearn %.17g", name, sh, ref_sh);
    CHECK_MSG(e_cov <= TOL, "%s: LW covariance rel err %g", name, e_cov);

    double e_prec = 0, e_inv = 0, e_pr = 0, e_vi = 0;
    if (n > 1) {
        gauss_level lv = { 0 };
        CHECK(gauss_level_fit(&lv, &s, NULL, &e) == EFFAD_OK);
        double *work = malloc(d * d * sizeof *work), *P = malloc(d * d * sizeof *P);
        gauss_precision_from_chol(lv.chol, d, P, work);
        e_prec = rel_err_norm(P, ref_prec, d * d);
        CHECK_MSG(e_prec <= TOL, "%s: precision rel err %g", name, e_prec);

        double *s_inv = golden_f64(&c.g, "score_inv", NULL);
        double *s_prec = golden_f64(&c.g, "score_prec", NULL);
        double *ours = malloc(c.m * sizeof *ours), *ours_vi = malloc(c.m * sizeof *ours_vi);
        double *ref_vi = malloc(c.m * sizeof *ref_vi);
        for (size_t i = 0; i < c.m; i++) {
            ours[i] = gauss_level_score(&lv, c.held + i * d, work);
            ours_vi[i] = gauss_mahalanobis_vi(P, lv.mean, c.held + i * d, d, work);
            /* scipy's formula with sklearn's own precision_ and location_:
             * checks the VI path independently of our fit */
            ref_vi[i] = gauss_mahalanobis_vi(ref_prec, ref_loc, c.held + i * d, d, work);
        }
        e_inv = rel_err_each(ours, s_inv, c.m);
        e_pr = rel_err_each(ours, s_prec, c.m);
        e_vi = rel_err_each(ours_vi, s_prec, c.m);
        double e_vi_ref = rel_err_each(ref_vi, s_prec, c.m);
        double e_styles = rel_err_each(s_inv, s_prec, c.m);
        CHECK_MSG(e_inv <= TOL, "%s: score vs scipy(inv(cov)) rel err %g", name, e_inv);
        CHECK_MSG(e_pr <= TOL, "%s: score vs scipy(precision_) rel err %g", name, e_pr);
        CHECK_MSG(e_vi <= TOL, "%s: VI-path score rel err %g", name, e_vi);
        CHECK_MSG(e_vi_ref <= 1e-12, "%s: our scipy-formula on sklearn's precision %g", name, e_vi_ref);
        CHECK_MSG(e_styles <= 1e-9, "%s: inv(cov) vs precision_ styles differ by %g", name, e_styles);

        /* training scores: the "2 x mean training score" rule needs them */
        double *s_train = golden_f64(&c.g, "train_score_prec", NULL);
        double wt = 0;
        for (size_t i = 0; i < n; i++) {
            double v = gauss_level_score(&lv, c.X + i * d, work);
            double r = fabs(v - s_train[i]) / s_train[i];
            if (r > wt) wt = r;
        }
        CHECK_MSG(wt <= TOL, "%s: training scores rel err %g", name, wt);
        free(s_train);
        free(s_inv); free(s_prec); free(ours); free(ours_vi); free(ref_vi); free(work); free(P);
        gauss_level_free(&lv);
    }
    printf("%-16s n=%-4zu d=%-3zu shrinkage %-9.6f max rel err: mean %.1e emp_cov %.1e "
           "shrink %.1e cov %.1e prec %.1e score(inv) %.1e score(prec_) %.1e score(VI) %.1e\n",
           name, n, d, sh, e_loc, e_emp, e_sh, e_cov, e_prec, e_inv, e_pr, e_vi);
    free(mean); free(cov); free(ref_loc); free(ref_emp); free(ref_cov); free(ref_prec);
    gauss_stats_free(&s);
    case_free(&c);
}

/* n == 1: sklearn gives shrinkage 0 and a zero covariance, which is not
 * positive definite: the fit must say so, naming the pivot. */
static void check_single_sample(void)
{
    lw_case c;
    if (case_load(&c, "n1")) return;
    effad_error e;
    gauss_stats s;
    gauss_stats_init(&s, c.d, &e);
    add_rows(&s, c.X, 0, 1, c.d);
    gauss_level lv = { 0 };
    CHECK(gauss_level_fit(&lv, &s, NULL, &e) == EFFAD_ERR_NUMERIC);
    CHECK_ERR_HAS(e, "not positive definite");
    CHECK_ERR_HAS(e, "pivot 0");
    gauss_level_free(&lv);
    gauss_stats_free(&s);
    case_free(&c);
}

static void fit_chunks(const lw_case *c, const size_t *cuts, size_t ncuts, int reverse,
                       double *mean, double *cov, double *sh)
{
    effad_error e;
    gauss_stats total;
    gauss_stats_init(&total, c->d, &e);
    for (size_t k = 0; k + 1 < ncuts; k++) {
        size_t kk = reverse ? ncuts - 2 - k : k;
        gauss_stats part;
        gauss_stats_init(&part, c->d, &e);
        add_rows(&part, c->X, cuts[kk], cuts[kk + 1], c->d);
        CHECK(gauss_stats_merge(&total, &part, &e) == EFFAD_OK);
        gauss_stats_free(&part);
    }
    CHECK_EQ_INT(total.n, c->n);
    CHECK(gauss_ledoit_wolf(&total, mean, cov, sh, &e) == EFFAD_OK);
    gauss_stats_free(&total);
}

static void check_merge(void)
{
    lw_case c;
    if (case_load(&c, "merge")) return;
    size_t d = c.d;
    double *m1 = malloc(d * sizeof *m1), *c1 = malloc(gauss_tri(d) * sizeof *c1);
    double *m2 = malloc(d * sizeof *m2), *c2 = malloc(gauss_tri(d) * sizeof *c2);
    double *ref_cov = golden_f64(&c.g, "covariance", NULL);
    double ref_sh = golden_scalar(&c.g, "shrinkage");
    double sh1, sh2;

    size_t whole[] = { 0, c.n };
    fit_chunks(&c, whole, 2, 0, m1, c1, &sh1);
    /* uneven parts, one of a single sample, one smaller than the batch,
     * merged in both orders (different shifts each time) */
    size_t cuts[] = { 0, 1, 20, 97, 140, c.n };
    for (int rev = 0; rev < 2; rev++) {
        fit_chunks(&c, cuts, 6, rev, m2, c2, &sh2);
        double em = rel_err_each(m2, m1, d), ec = rel_err_norm(c2, c1, gauss_tri(d));
        double es = fabs(sh2 - sh1) / sh1;
        CHECK_MSG(em <= 1e-12 && ec <= 1e-12 && es <= 1e-11,
                  "merge(rev=%d) vs one fit: mean %g cov %g shrinkage %g", rev, em, ec, es);
        double *full = sym_square(c2, d);
        CHECK_MSG(rel_err_norm(full, ref_cov, d * d) <= TOL, "merged cov vs sklearn");
        free(full);
        CHECK_MSG(fabs(sh2 - ref_sh) / ref_sh <= TOL, "merged shrinkage vs sklearn");
        printf("merge (5 parts%s): vs single fit mean %.1e cov %.1e shrinkage %.1e\n",
               rev ? ", reversed" : "", em, ec, es);
    }

    effad_error e;
    gauss_stats a, b;
    gauss_stats_init(&a, d, &e);
    gauss_stats_init(&b, d + 1, &e);
    CHECK(gauss_stats_merge(&a, &b, &e) == EFFAD_ERR_MISMATCH);
    CHECK(gauss_stats_merge(&a, &a, &e) == EFFAD_ERR_ARG);
    CHECK(gauss_stats_moments(&a, m1, c1, &e) == EFFAD_ERR_ARG);    /* no samples */
    float bad[64] = { 0 };
    bad[3] = NAN;
    CHECK(gauss_stats_add(&a, bad, &e) == EFFAD_ERR_NUMERIC);
    CHECK_ERR_HAS(e, "feature 3");
    gauss_stats_free(&a);
    gauss_stats_free(&b);
    CHECK(gauss_stats_init(&a, 0, &e) == EFFAD_ERR_ARG);
    CHECK(gauss_stats_init(&a, GAUSS_MAX_DIM + 1, &e) == EFFAD_ERR_ARG);

    free(m1); free(c1); free(m2); free(c2); free(ref_cov);
    case_free(&c);
}

/* The cancellation the shift exists for: mean 1e3, spread 1e-1, checked
 * against numpy above; here also a synthetic 1e6 offset (float32 spacing
 * 0.0625) with exactly representable data, where the answer is known. */
static void check_offset_exact(void)
{
    effad_error e;
    gauss_stats s;
    size_t d = 3;
    gauss_stats_init(&s, d, &e);
    /* x = 1e6 + {-0.5, 0, +0.5} per coordinate pattern: variance known */
    static const float v[4][3] = {
        { 1e6f - 0.5f, 1e6f, 1e6f + 0.25f }, { 1e6f + 0.5f, 1e6f, 1e6f - 0.25f },
        { 1e6f - 0.5f, 1e6f, 1e6f - 0.25f }, { 1e6f + 0.5f, 1e6f, 1e6f + 0.25f } };
    for (int i = 0; i < 4; i++) gauss_stats_add(&s, v[i], &e);
    double mean[3], cov[6];   /* lower, packed: (0,0) (1,0) (1,1) (2,0) (2,1) (2,2) */
    gauss_stats_moments(&s, mean, cov, &e);
    CHECK(mean[0] == 1e6 && mean[1] == 1e6 && mean[2] == 1e6);
    CHECK(cov[0] == 0.25 && cov[2] == 0 && cov[5] == 0.0625);
    CHECK(cov[1] == 0 && cov[3] == 0 && cov[4] == 0);
    gauss_stats_free(&s);
}

/* Statistics added with threads (flushes share their rows) are the serial
 * statistics bit for bit: two full batches and a partial one. */
static void check_threads_same_bits(void)
{
    const size_t d = 300, n = 2 * GAUSS_STATS_BATCH + 7;
    float *x = malloc(sizeof(float) * d * n);
    unsigned long long st = 0x2545F4914F6CDD1Dull;
    for (size_t i = 0; i < d * n; i++) {
        st ^= st << 13; st ^= st >> 7; st ^= st << 17;
        x[i] = (float)((double)(st >> 11) / 9007199254740992.0 - 0.5);
    }
    effad_threads uneven = { test_uneven_parallel_for, 2 };
    effad_threads *pools[3] = { &uneven, 0, 0 };
    effad_error e;
#ifdef EFFAD_HAVE_THREADS
    pools[1] = effad_threads_create(2, &e);
    pools[2] = effad_threads_create(3, &e);
#endif
    gauss_stats serial;
    CHECK(gauss_stats_init(&serial, d, &e) == EFFAD_OK);
    for (size_t i = 0; i < n; i++) gauss_stats_add(&serial, x + i * d, &e);
    gauss_stats_flush(&serial);
    for (int p = 0; p < 3; p++) {
        if (!pools[p]) continue;
        gauss_stats t;
        CHECK(gauss_stats_init(&t, d, &e) == EFFAD_OK);
        t.threads = pools[p];
        for (size_t i = 0; i < n; i++) gauss_stats_add(&t, x + i * d, &e);
        gauss_stats_flush(&t);
        CHECK_MSG(!memcmp(t.cross, serial.cross, gauss_tri(d) * sizeof *t.cross), "pool %d: the cross products' bits differ", p);
        gauss_stats_free(&t);
    }
    gauss_stats_free(&serial);
#ifdef EFFAD_HAVE_THREADS
    effad_threads_destroy(pools[1]);
    effad_threads_destroy(pools[2]);
#endif
    free(x);
}

int main(void)
{
    static const char *cases[] = { "n-gt-d", "n-lt-d", "n-eq-d", "near-singular",
                                   "constant-feature", "large-offset", "d1", "merge" };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) check_case(cases[i]);
    check_single_sample();
    check_merge();
    check_offset_exact();
    check_threads_same_bits();
    return check_done("test-gauss-lw");
}
