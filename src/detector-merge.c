/* Merging fitted models and refitting them from their statistics: what
 * `effad merge` does, on models in memory (see detector.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "align.h"
#include "detector.h"

static int same_str(const char *a, const char *b) { return !strcmp(a ? a : "", b ? b : ""); }

static effad_status need_stats(const gauss_model *gm, const char *name, effad_error *e)
{
    for (size_t l = 0; l < gm->n_levels; l++)
        if (!gm->levels[l].stats)
            return effad_fail(e, EFFAD_ERR_ARG, "%s has no sufficient statistics to merge (level %zu)", name, l);
    return EFFAD_OK;
}

effad_status detector_merge(gauss_model *acc, const char *acc_name, gauss_model *next, const char *next_name,
                            effad_error *e)
{
    effad_status s;
    if ((s = need_stats(acc, acc_name, e)) || (s = need_stats(next, next_name, e))) return s;
    if (next->model_hash != acc->model_hash || !same_str(next->preset, acc->preset) || !same_str(next->taps, acc->taps) ||
        next->n_levels != acc->n_levels)
        return effad_fail(e, EFFAD_ERR_MISMATCH, "%s and %s were fitted with different models, preprocessing or levels "
                          "(%016llx %s %s vs %016llx %s %s)", acc_name, next_name, (unsigned long long)acc->model_hash,
                          acc->preset, acc->taps, (unsigned long long)next->model_hash, next->preset, next->taps);
    if (!roi_equal(&acc->roi, &next->roi)) {
        char a[ROI_TEXT_BYTES], b[ROI_TEXT_BYTES];
        roi_format(&acc->roi, a, sizeof a);
        roi_format(&next->roi, b, sizeof b);
        return effad_fail(e, EFFAD_ERR_MISMATCH, "%s and %s were fitted on different regions of interest (%s vs %s)",
                          acc_name, next_name, a[0] ? a : "the whole image", b[0] ? b : "the whole image");
    }
    /* aligned images are cut where the template is found: one template */
    const align_template *ta = acc->align, *tb = next->align;
    if (!ta != !tb || (ta && (ta->range != tb->range || ta->w != tb->w || ta->h != tb->h ||
                              memcmp(ta->grey, tb->grey, (size_t)ta->w * (size_t)ta->h))))
        return effad_fail(e, EFFAD_ERR_MISMATCH, "%s and %s align their images differently (fit --align: %s vs %s; "
                          "fit both with the same --align and --align-ref)", acc_name, next_name,
                          ta ? "a template" : "none", tb ? "a template" : "none");
    /* a file that does not say how it read 16-bit images (older, or the
     * default) merges with one that does; two that say must agree */
    if (acc->rgb16 != PREP_RGB16_NONE && next->rgb16 != PREP_RGB16_NONE && acc->rgb16 != next->rgb16) {
        char a[4], b[4];
        return effad_fail(e, EFFAD_ERR_MISMATCH, "%s and %s read 16-bit images by different rules (%s vs %s)",
                          acc_name, next_name, prep_rgb16_name(acc->rgb16, a), prep_rgb16_name(next->rgb16, b));
    }
    if (acc->rgb16 == PREP_RGB16_NONE) acc->rgb16 = next->rgb16;
    for (size_t l = 0; l < acc->n_levels; l++)
        if (acc->levels[l].dim != next->levels[l].dim)
            return effad_fail(e, EFFAD_ERR_MISMATCH, "%s and %s differ at level %zu: %zu and %zu features", acc_name,
                              next_name, l, acc->levels[l].dim, next->levels[l].dim);
    for (size_t l = 0; l < acc->n_levels; l++) {
        gauss_level *a = &acc->levels[l];
        gauss_level *b = &next->levels[l];
        if ((s = gauss_stats_merge(a->stats, b->stats, e))) { effad_error_prefix(e, next_name); return s; }
        if (a->features && b->features) {   /* keep the training features together */
            float *f = realloc(a->features, sizeof(float) * a->dim * (size_t)(a->n_features + b->n_features));
            if (!f) return effad_fail(e, EFFAD_ERR_NOMEM, "out of memory merging training features");
            memcpy(f + a->dim * a->n_features, b->features, sizeof(float) * a->dim * b->n_features);
            a->features = f;
            a->n_features += b->n_features;
        } else {
            free(a->features);
            a->features = 0;
            a->n_features = 0;
        }
    }
    return EFFAD_OK;
}

effad_status detector_refit(gauss_model *gm, double sigma, double explicit_value, effad_error *e)
{
    effad_status s;
    for (size_t l = 0; l < gm->n_levels; l++) {
        if (!gm->levels[l].stats) return effad_fail(e, EFFAD_ERR_ARG, "level %zu has no sufficient statistics to refit from", l);
        if ((s = gauss_level_fit(&gm->levels[l], gm->levels[l].stats, NULL, e))) {
            effad_error where;
            effad_fail(&where, s, "level %zu (%zu features, %llu images)", l, gm->levels[l].stats->dim,
                       (unsigned long long)gm->levels[l].stats->n);
            effad_error_prefix(e, where.msg);
            return s;
        }
    }
    gm->n_thresholds = 0;
    return detector_thresholds(gm, sigma, explicit_value, NULL, e);
}
