/*
 * gauss-model.c -- one Gaussian per feature level: fit from statistics
 * (mean, Ledoit-Wolf, Cholesky), score, named thresholds.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "align.h"
#include "big-buffer.h"
#include "gauss.h"
#include "gauss-maps.h"

effad_status gauss_level_fit(gauss_level *lv, gauss_stats *s, effad_threads *threads, effad_error *e)
{
    size_t d = s->dim;
    double *mean = malloc(d * sizeof *mean);
    double *cov = big_buffer(gauss_tri(d) * sizeof *cov);   /* lower, packed: becomes L */
    if (!mean || !cov) {
        free(mean); free(cov);
        return effad_fail(e, EFFAD_ERR_NOMEM, "no memory to fit a %zu-dim Gaussian", d);
    }
    double shrinkage = 0;
    effad_status st = gauss_ledoit_wolf(s, mean, cov, &shrinkage, e);
    if (!st) st = gauss_cholesky(cov, d, threads, e);
    /* finite statistics can still overflow here (a shift near DBL_MAX plus
     * the mean offset): a level we fit must be one the .gauss reader takes */
    for (size_t j = 0; !st && j < d; j++)
        if (!isfinite(mean[j])) st = effad_fail(e, EFFAD_ERR_NUMERIC, "mean[%zu] overflows (statistics too large)", j);
    for (size_t j = 0; !st && j < gauss_tri(d); j++)
        if (!isfinite(cov[j])) st = effad_fail(e, EFFAD_ERR_NUMERIC, "the Cholesky factor overflows (statistics too large)");
    if (st) { free(mean); free(cov); return st; }
    free(lv->mean); free(lv->chol);
    lv->dim = d;
    lv->n = s->n;
    lv->shrinkage = shrinkage;
    lv->mean = mean;
    lv->chol = cov;
    return EFFAD_OK;
}

void gauss_level_free(gauss_level *lv)
{
    if (!lv) return;
    free(lv->mean);
    free(lv->chol);
    if (lv->stats) { gauss_stats_free(lv->stats); free(lv->stats); }
    free(lv->features);
    memset(lv, 0, sizeof *lv);
}

double gauss_level_score(const gauss_level *lv, const float *x, double *work)
{
    return gauss_mahalanobis_chol(lv->chol, lv->mean, x, lv->dim, work);
}

void gauss_level_score4(const gauss_level *lv, const float *const x[4], double *work, double out[4])
{
    gauss_mahalanobis_chol4(lv->chol, lv->mean, x, lv->dim, work, out);
}

effad_status gauss_level_set_threshold(gauss_level *lv, const char *name, double value,
                                       effad_error *e)
{
    size_t len = strlen(name);
    if (len == 0 || len >= GAUSS_THRESHOLD_NAME)
        return effad_fail(e, EFFAD_ERR_ARG, "threshold name '%s' must have 1..%u characters",
                          name, GAUSS_THRESHOLD_NAME - 1);
    size_t i = 0;
    while (i < lv->n_thresholds && strcmp(lv->thresholds[i].name, name)) i++;
    if (i == lv->n_thresholds) {
        if (i == GAUSS_MAX_THRESHOLDS)
            return effad_fail(e, EFFAD_ERR_ARG, "a level holds at most %u thresholds",
                              GAUSS_MAX_THRESHOLDS);
        memset(lv->thresholds[i].name, 0, GAUSS_THRESHOLD_NAME);
        memcpy(lv->thresholds[i].name, name, len);
        lv->n_thresholds++;
    }
    lv->thresholds[i].value = value;
    return EFFAD_OK;
}

int gauss_level_threshold(const gauss_level *lv, const char *name, double *value)
{
    for (size_t i = 0; i < lv->n_thresholds; i++)
        if (!strcmp(lv->thresholds[i].name, name)) { *value = lv->thresholds[i].value; return 0; }
    return -1;
}

void gauss_model_free(gauss_model *m)
{
    if (!m) return;
    for (size_t i = 0; i < m->n_levels; i++) gauss_level_free(&m->levels[i]);
    free(m->levels);
    free(m->preset);
    free(m->preset_stored);
    free(m->taps);
    if (m->maps) { gauss_maps_free(m->maps); free(m->maps); }
    if (m->align) { align_template_free(m->align); free(m->align); }
    memset(m, 0, sizeof *m);
}
