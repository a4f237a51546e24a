/*
 * roc.c -- ROC / AUROC / F1 / Youden as scikit-learn 1.2 computes them
 * (sklearn/metrics/_ranking.py). Counts are kept as integers until the
 * final division, so the tie handling is exact.
 */
#include <math.h>
#include <stdlib.h>
#include "roc.h"

typedef struct { double score; size_t index; } ranked;

/* Descending score; the index only makes qsort deterministic (the order
 * inside a tie cannot change the counts at distinct thresholds). */
static int by_score_desc(const void *pa, const void *pb)
{
    const ranked *a = pa, *b = pb;
    if (a->score != b->score) return a->score < b->score ? 1 : -1;
    return a->index < b->index ? -1 : a->index > b->index;
}

/* _binary_clf_curve: for each distinct score t (descending), the numbers
 * of positives (tps) and negatives (fps) with score >= t. */
typedef struct { size_t m; uint64_t *tps, *fps; double *thr; uint64_t pos, neg; } clf_curve;

static void clf_free(clf_curve *c) { free(c->tps); free(c->fps); free(c->thr); }

static effad_status clf_compute(const double *scores, const uint8_t *labels, size_t n,
                                clf_curve *c, effad_error *e)
{
    c->tps = c->fps = NULL; c->thr = NULL; c->m = 0; c->pos = c->neg = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(scores[i]))
            return effad_fail(e, EFFAD_ERR_ARG, "score %zu is not finite", i);
        if (labels[i]) c->pos++; else c->neg++;
    }
    if (!c->pos || !c->neg)
        return effad_fail(e, EFFAD_ERR_ARG, "only one class present (%llu anomalous, %llu good): "
                          "ROC is not defined", (unsigned long long)c->pos,
                          (unsigned long long)c->neg);
    ranked *r = malloc(n * sizeof *r);
    c->tps = malloc(n * sizeof *c->tps);
    c->fps = malloc(n * sizeof *c->fps);
    c->thr = malloc(n * sizeof *c->thr);
    if (!r || !c->tps || !c->fps || !c->thr) {
        free(r); clf_free(c);
        return effad_fail(e, EFFAD_ERR_NOMEM, "no memory for a %zu-sample ROC", n);
    }
    for (size_t i = 0; i < n; i++) { r[i].score = scores[i]; r[i].index = i; }
    qsort(r, n, sizeof *r, by_score_desc);
    uint64_t tp = 0, fp = 0;
    for (size_t i = 0; i < n; i++) {
        if (labels[r[i].index]) tp++; else fp++;
        if (i + 1 == n || r[i + 1].score != r[i].score) {
            c->tps[c->m] = tp; c->fps[c->m] = fp; c->thr[c->m] = r[i].score; c->m++;
        }
    }
    free(r);
    return EFFAD_OK;
}

void roc_curve_free(roc_curve *c)
{
    if (!c) return;
    free(c->fpr); free(c->tpr); free(c->thresholds);
    c->fpr = c->tpr = c->thresholds = NULL; c->n = 0;
}

effad_status roc_curve_compute(const double *scores, const uint8_t *labels, size_t n,
                               int drop_intermediate, roc_curve *c, effad_error *e)
{
    c->n = 0; c->fpr = c->tpr = c->thresholds = NULL;
    clf_curve k;
    effad_status st = clf_compute(scores, labels, n, &k, e);
    if (st) return st;
    c->fpr = malloc((k.m + 1) * sizeof *c->fpr);
    c->tpr = malloc((k.m + 1) * sizeof *c->tpr);
    c->thresholds = malloc((k.m + 1) * sizeof *c->thresholds);
    if (!c->fpr || !c->tpr || !c->thresholds) {
        clf_free(&k); roc_curve_free(c);
        return effad_fail(e, EFFAD_ERR_NOMEM, "no memory for a %zu-point ROC", k.m);
    }
    size_t out = 0;
    c->fpr[out] = 0; c->tpr[out] = 0; c->thresholds[out] = k.thr[0] + 1; out++;
    for (size_t i = 0; i < k.m; i++) {
        /* sklearn keeps a point when the second difference of fps or tps
         * is nonzero there (a corner), and always the two ends. */
        if (drop_intermediate && k.m > 2 && i > 0 && i + 1 < k.m) {
            int64_t dfp = (int64_t)k.fps[i + 1] - 2 * (int64_t)k.fps[i] + (int64_t)k.fps[i - 1];
            int64_t dtp = (int64_t)k.tps[i + 1] - 2 * (int64_t)k.tps[i] + (int64_t)k.tps[i - 1];
            if (!dfp && !dtp) continue;
        }
        c->fpr[out] = (double)k.fps[i] / (double)k.neg;
        c->tpr[out] = (double)k.tps[i] / (double)k.pos;
        c->thresholds[out] = k.thr[i];
        out++;
    }
    c->n = out;
    clf_free(&k);
    return EFFAD_OK;
}

effad_status roc_auc(const double *scores, const uint8_t *labels, size_t n,
                     double *auc, effad_error *e)
{
    roc_curve c;
    effad_status st = roc_curve_compute(scores, labels, n, 1, &c, e);
    if (st) return st;
    double a = 0;   /* np.trapz(tpr, fpr) */
    for (size_t i = 0; i + 1 < c.n; i++)
        a += (c.fpr[i + 1] - c.fpr[i]) * (c.tpr[i + 1] + c.tpr[i]) / 2.0;
    roc_curve_free(&c);
    *auc = a;
    return EFFAD_OK;
}

effad_status roc_best_f1(const double *scores, const uint8_t *labels, size_t n,
                         double *threshold, double *f1, effad_error *e)
{
    clf_curve k;
    effad_status st = clf_compute(scores, labels, n, &k, e);
    if (st) return st;
    /* F1 = 2 tp / (tp + fp + pos); compare num/den exactly. Thresholds
     * descend, so keeping only strict improvements keeps the highest. */
    uint64_t bn = 0, bd = 1;
    size_t best = 0;
    for (size_t i = 0; i < k.m; i++) {
        uint64_t num = 2 * k.tps[i], den = k.tps[i] + k.fps[i] + k.pos;
        if (num * bd > bn * den) { bn = num; bd = den; best = i; }
    }
    *threshold = k.thr[best];
    *f1 = (double)bn / (double)bd;
    clf_free(&k);
    return EFFAD_OK;
}

effad_status roc_youden(const double *scores, const uint8_t *labels, size_t n,
                        double *threshold, double *j, effad_error *e)
{
    clf_curve k;
    effad_status st = clf_compute(scores, labels, n, &k, e);
    if (st) return st;
    /* J = tp/pos - fp/neg, compared as tp*neg - fp*pos (exact in int64
     * for any sample count we can hold). */
    size_t best = 0;
    int64_t bj = INT64_MIN;
    for (size_t i = 0; i < k.m; i++) {
        int64_t v = (int64_t)(k.tps[i] * k.neg) - (int64_t)(k.fps[i] * k.pos);
        if (v > bj) { bj = v; best = i; }
    }
    *threshold = k.thr[best];
    *j = (double)k.tps[best] / (double)k.pos - (double)k.fps[best] / (double)k.neg;
    clf_free(&k);
    return EFFAD_OK;
}
