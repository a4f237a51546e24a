/*
 * roc.h -- image-level evaluation: ROC curve, AUROC, and the two
 * data-driven thresholds (best F1, Youden's J), matching scikit-learn 1.2.
 *
 * Labels: nonzero = anomalous (sklearn's positive class). Convention, as
 * in sklearn's _binary_clf_curve: at threshold t an image is flagged when
 * score >= t, and the candidate thresholds are the distinct scores.
 * Every function needs both classes present (sklearn raises for the AUC
 * and returns NaN rates for the curve; we return EFFAD_ERR_ARG) and finite
 * scores.
 */
#ifndef EFFAD_ROC_H
#define EFFAD_ROC_H

#include <stddef.h>
#include <stdint.h>
#include "effad.h"

typedef struct roc_curve {
    size_t n;
    double *fpr, *tpr, *thresholds;   /* n each, owned; thresholds decrease */
} roc_curve;

/* sklearn.metrics.roc_curve(labels, scores, drop_intermediate=...): the
 * first point is (0, 0) at threshold max(score) + 1 (sklearn 1.2; 1.3 and
 * later put +inf there). */
effad_status roc_curve_compute(const double *scores, const uint8_t *labels, size_t n,
                               int drop_intermediate, roc_curve *c, effad_error *e);
void roc_curve_free(roc_curve *c);

/* sklearn.metrics.roc_auc_score: trapezoids over the distinct thresholds,
 * so tied scores count half, like the Mann-Whitney U statistic. */
effad_status roc_auc(const double *scores, const uint8_t *labels, size_t n,
                     double *auc, effad_error *e);

/* Best F1 over the distinct thresholds of precision_recall_curve;
 * F1 = 2 TP / (2 TP + FP + FN), 0 when TP = 0, compared exactly in
 * integers. Ties go to the HIGHEST threshold (fewest alarms). */
effad_status roc_best_f1(const double *scores, const uint8_t *labels, size_t n,
                         double *threshold, double *f1, effad_error *e);

/* Youden's J = TPR - FPR, maximised over the distinct scores (not the
 * artificial max + 1 point); ties to the highest threshold, i.e. the first
 * np.argmax over roc_curve's output (dropping collinear points cannot
 * change the maximum or its first position). */
effad_status roc_youden(const double *scores, const uint8_t *labels, size_t n,
                        double *threshold, double *j, effad_error *e);

#endif
