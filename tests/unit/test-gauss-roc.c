/*
 * test-gauss-roc.c -- ROC curve, AUROC, best F1 and Youden against
 * scikit-learn 1.2 (tests/data/gauss/roc-*.bin).
 */
#include <stdlib.h>
#include "check.h"
#include "gauss-golden.h"
#include "roc.h"

static void check_curve(const golden *g, const double *s, const uint8_t *y, size_t n,
                        int drop, const char *tag, const char *name)
{
    char kf[16], kt[16], kh[16];
    snprintf(kf, sizeof kf, "fpr%s", tag);
    snprintf(kt, sizeof kt, "tpr%s", tag);
    snprintf(kh, sizeof kh, "thr%s", tag);
    size_t m;
    double *fpr = golden_f64(g, kf, &m), *tpr = golden_f64(g, kt, NULL), *thr = golden_f64(g, kh, NULL);
    roc_curve c;
    effad_error e;
    CHECK(roc_curve_compute(s, y, n, drop, &c, &e) == EFFAD_OK);
    CHECK_MSG(c.n == m, "%s%s: %zu points, sklearn %zu", name, tag, c.n, m);
    if (c.n == m) {
        int same = 1;
        for (size_t i = 0; i < m; i++)
            same &= c.fpr[i] == fpr[i] && c.tpr[i] == tpr[i] && c.thresholds[i] == thr[i];
        CHECK_MSG(same, "%s%s: curve differs from sklearn", name, tag);
    }
    roc_curve_free(&c);
    free(fpr); free(tpr); free(thr);
}

static void check_case(const char *name)
{
    char file[64];
    snprintf(file, sizeof file, "roc-%s.bin", name);
    golden g;
    if (golden_load(&g, file)) { CHECK(0); return; }
    size_t n;
    double *s = golden_f64(&g, "scores", &n), *yl = golden_f64(&g, "labels", NULL);
    uint8_t *y = malloc(n);
    for (size_t i = 0; i < n; i++) y[i] = yl[i] != 0;
    effad_error e;
    double auc = -1, t, v;
    CHECK(roc_auc(s, y, n, &auc, &e) == EFFAD_OK);
    double ref = golden_scalar(&g, "auc");
    CHECK_MSG(fabs(auc - ref) <= 1e-12, "%s: auc %.17g sklearn %.17g", name, auc, ref);
    check_curve(&g, s, y, n, 1, "", name);
    check_curve(&g, s, y, n, 0, "_all", name);
    CHECK(roc_best_f1(s, y, n, &t, &v, &e) == EFFAD_OK);
    CHECK_MSG(t == golden_scalar(&g, "f1_thr"), "%s: F1 threshold %.17g vs %.17g", name, t,
              golden_scalar(&g, "f1_thr"));
    CHECK_NEAR(v, golden_scalar(&g, "f1"), 1e-12);
    CHECK(roc_youden(s, y, n, &t, &v, &e) == EFFAD_OK);
    CHECK_MSG(t == golden_scalar(&g, "youden_thr"), "%s: Youden threshold %.17g vs %.17g", name,
              t, golden_scalar(&g, "youden_thr"));
    CHECK_NEAR(v, golden_scalar(&g, "youden"), 1e-12);
    printf("roc %-10s n=%-4zu auc %.6f (|err| %.1e)\n", name, n, auc, fabs(auc - ref));
    free(s); free(yl); free(y);
    golden_free(&g);
}

int main(void)
{
    static const char *cases[] = { "ties", "continuous", "perfect", "inverted", "all-tied", "small" };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) check_case(cases[i]);

    effad_error e;
    double s[3] = { 0.1, 0.2, 0.3 }, auc, t, v;
    uint8_t one_class[3] = { 1, 1, 1 }, y[3] = { 0, 1, 1 };
    CHECK(roc_auc(s, one_class, 3, &auc, &e) == EFFAD_ERR_ARG);
    CHECK_ERR_HAS(e, "only one class");
    CHECK(roc_best_f1(s, one_class, 3, &t, &v, &e) == EFFAD_ERR_ARG);
    s[1] = NAN;
    CHECK(roc_auc(s, y, 3, &auc, &e) == EFFAD_ERR_ARG);
    CHECK_ERR_HAS(e, "score 1");
    return check_done("test-gauss-roc");
}
