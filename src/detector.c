/* Scores and thresholds; see detector.h. */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "detector.h"
#include "gauss-view.h"
#include "gauss-maps.h"
#include "map-features.h"
#include "batch.h"

detector_combine detector_combine_of(const char *preset)
{
    return preset && gauss_preset_combines_by_mean(preset, strlen(preset)) ? COMBINE_MEAN : COMBINE_SUM;
}

const char *detector_default_preset(void) { return "ailia"; }

effad_status level_sel_parse(const char *s, int n_taps, level_sel *sel, effad_error *e)
{
    memset(sel, 0, sizeof *sel);
    if (!s || !strcmp(s, "all")) {
        for (int t = 0; t < n_taps; t++) sel->tap[sel->n++] = t;
        return EFFAD_OK;
    }
    const char *p = s;
    while (*p) {
        char *end;
        long v = strtol(p, &end, 10);
        if (end == p || v < 0 || v >= n_taps)
            return effad_fail(e, EFFAD_ERR_ARG, "--levels '%s': levels are 0..%d or 'all'", s, n_taps - 1);
        for (int k = 0; k < sel->n; k++)
            if (sel->tap[k] == v) return effad_fail(e, EFFAD_ERR_ARG, "--levels '%s': level %ld twice", s, v);
        sel->tap[sel->n++] = (int)v;
        p = end;
        if (*p == ',') p++;
        else if (*p) return effad_fail(e, EFFAD_ERR_ARG, "--levels '%s': expected a comma-separated list", s);
    }
    if (!sel->n) return effad_fail(e, EFFAD_ERR_ARG, "--levels: no level chosen");
    return EFFAD_OK;
}

void level_sel_format(const level_sel *sel, const char *tap_rule, char *out, size_t n)
{
    size_t at = (size_t)snprintf(out, n, "%s:", tap_rule);
    for (int k = 0; k < sel->n && at < n; k++)
        at += (size_t)snprintf(out + at, n - at, "%s%d", k ? "," : "", sel->tap[k]);
}

double detector_score(const gauss_model *gm, const level_sel *sel, const pipeline *p,
                      const float *features, double *level_scores, double *work)
{
    double total = 0;
    for (size_t l = 0; l < gm->n_levels; l++) {
        const float *x = features + p->level_off[sel->tap[l]];
        level_scores[l] = gauss_level_score(&gm->levels[l], x, work);
        total += level_scores[l];
    }
    return detector_combine_of(gm->preset) == COMBINE_MEAN ? total / (double)gm->n_levels : total;
}

/* A level whose covariance is singular even after shrinkage: its features
 * barely vary over the training images (too few of them, or a feature
 * that is constant on these parts). e holds the numeric detail. */
static effad_status too_few_images(const level_sel *sel, int tap, size_t d, size_t n, effad_error *e)
{
    char others[256] = "", detail[sizeof e->msg];
    size_t at = 0;
    for (int k = 0; k < sel->n && at < sizeof others; k++)
        if (sel->tap[k] != tap) at += (size_t)snprintf(others + at, sizeof others - at, "%s%d", at ? "," : "", sel->tap[k]);
    snprintf(detail, sizeof detail, "%s", e->msg);
    if (!others[0])
        return effad_fail(e, EFFAD_ERR_NUMERIC, "level %d (%zu features) cannot be fitted from %zu images: its features "
                          "hardly vary across them (%s). Fit on more images (%zu or more for this level)", tap, d, n,
                          detail, d);
    return effad_fail(e, EFFAD_ERR_NUMERIC, "level %d (%zu features) cannot be fitted from %zu images: its features "
                      "hardly vary across them (%s). Fit on more images (%zu or more for this level), or leave the "
                      "level out with --levels %s", tap, d, n, detail, d, others);
}

effad_status detector_fit(gauss_model *gm, const level_sel *sel, const pipeline *p,
                          const float *rows, size_t n, int keep_features, effad_error *e)
{
    effad_status s;
    gm->n_levels = (size_t)sel->n;
    if (!(gm->levels = calloc((size_t)sel->n, sizeof *gm->levels))) return effad_fail(e, EFFAD_ERR_NOMEM, "out of memory");
    for (int l = 0; l < sel->n; l++) {
        gauss_level *lv = &gm->levels[l];
        int tap = sel->tap[l];
        size_t d = (size_t)p->level_dim[tap];
        gauss_stats *st = calloc(1, sizeof *st);
        if (!st) return effad_fail(e, EFFAD_ERR_NOMEM, "out of memory");
        if ((s = gauss_stats_init(st, d, e))) { free(st); return s; }
        lv->stats = st;
        st->threads = p->threads;
        for (size_t i = 0; i < n; i++)
            if ((s = gauss_stats_add(st, rows + i * p->total_dim + p->level_off[tap], e))) { st->threads = NULL; return s; }
        gauss_stats_flush(st);
        st->threads = NULL;   /* the pool may go before the statistics do */
        if ((s = gauss_level_fit(lv, st, p->threads, e))) {
            if (s == EFFAD_ERR_NUMERIC) return too_few_images(sel, tap, d, n, e);
            effad_error where;
            effad_fail(&where, s, "level %d (%zu features, %zu images)", tap, d, n);
            effad_error_prefix(e, where.msg);
            return s;
        }
        if (keep_features) {
            if (!(lv->features = malloc(sizeof(float) * d * n))) return effad_fail(e, EFFAD_ERR_NOMEM, "out of memory");
            for (size_t i = 0; i < n; i++)
                memcpy(lv->features + i * d, rows + i * p->total_dim + p->level_off[tap], sizeof(float) * d);
            lv->n_features = n;
        }
    }
    return EFFAD_OK;
}

effad_status detector_set_threshold(gauss_model *gm, const char *name, double value, int in_force, effad_error *e)
{
    size_t at = gm->n_thresholds;
    for (size_t t = 0; t < gm->n_thresholds; t++)
        if (!strcmp(gm->thresholds[t].name, name)) at = t;
    if (at == gm->n_thresholds) {
        if (gm->n_thresholds == GAUSS_MAX_THRESHOLDS) return effad_fail(e, EFFAD_ERR_ARG, "too many thresholds");
        gm->n_thresholds++;
    }
    gauss_threshold th;
    memset(&th, 0, sizeof th);
    snprintf(th.name, sizeof th.name, "%s", name);
    th.value = value;
    gm->thresholds[at] = th;
    if (in_force && at) {   /* move it to the front, keeping the others' order */
        memmove(&gm->thresholds[1], &gm->thresholds[0], at * sizeof th);
        gm->thresholds[0] = th;
    }
    return EFFAD_OK;
}

effad_status detector_get_threshold(const gauss_model *gm, const char *name, double *value,
                                    const char **actual_name, effad_error *e)
{
    if (!gm->n_thresholds) return effad_fail(e, EFFAD_ERR_ARG, "the model holds no threshold; give --threshold");
    size_t at = 0;
    if (name) {
        at = gm->n_thresholds;
        for (size_t t = 0; t < gm->n_thresholds; t++)
            if (!strcmp(gm->thresholds[t].name, name)) at = t;
        if (at == gm->n_thresholds) {
            char known[512] = "";
            for (size_t t = 0; t < gm->n_thresholds; t++) {
                size_t len = strlen(known);
                snprintf(known + len, sizeof known - len, "%s%s", t ? ", " : "", gm->thresholds[t].name);
            }
            return effad_fail(e, EFFAD_ERR_ARG, "no threshold '%s' in the model (it has: %s)", name, known);
        }
    }
    *value = gm->thresholds[at].value;
    if (actual_name) *actual_name = gm->thresholds[at].name;
    return EFFAD_OK;
}

/* The training images' scores, one per row, on the pool's workers (each
 * its own slice of work); summed in row order afterwards, so the same bits
 * for any pool. */
typedef struct train_scores {
    const gauss_model *gm;
    detector_combine rule;
    double *score, *work;
    size_t maxd;
} train_scores;

/* Rows in fours share each level's reads of L (gauss_level_score4), the
 * same distances to the bit; the rest one at a time. */
static void score_train_rows(void *ctx, int worker, int begin, int end)
{
    const train_scores *t = ctx;
    double *work = t->work + (size_t)worker * 4 * t->maxd;
    int i = begin;
    for (; i + 4 <= end; i += 4) {
        double total[4] = { 0, 0, 0, 0 };
        for (size_t l = 0; l < t->gm->n_levels; l++) {
            const gauss_level *lv = &t->gm->levels[l];
            const float *x[4];
            for (int v = 0; v < 4; v++) x[v] = lv->features + (size_t)(i + v) * lv->dim;
            double dist[4];
            gauss_level_score4(lv, x, work, dist);
            for (int v = 0; v < 4; v++) total[v] += dist[v];
        }
        for (int v = 0; v < 4; v++)
            t->score[i + v] = t->rule == COMBINE_MEAN ? total[v] / (double)t->gm->n_levels : total[v];
    }
    for (; i < end; i++) {
        double total = 0;
        for (size_t l = 0; l < t->gm->n_levels; l++) {
            const gauss_level *lv = &t->gm->levels[l];
            total += gauss_level_score(lv, lv->features + (size_t)i * lv->dim, work);
        }
        t->score[i] = t->rule == COMBINE_MEAN ? total / (double)t->gm->n_levels : total;
    }
}

effad_status detector_thresholds(gauss_model *gm, double sigma, double explicit_value, effad_threads *threads,
                                 effad_error *e)
{
    effad_status s;
    if (!gm->n_levels) return effad_fail(e, EFFAD_ERR_ARG, "no levels to set thresholds for");
    detector_combine rule = detector_combine_of(gm->preset);
    char chi_name[GAUSS_THRESHOLD_NAME];
    snprintf(chi_name, sizeof chi_name, "chi2-%gsigma", sigma);
    double p = p_from_sigma(sigma), chi_total = 0;
    for (size_t l = 0; l < gm->n_levels; l++) {
        double t = chi2_threshold(p, (double)gm->levels[l].dim);
        if ((s = gauss_level_set_threshold(&gm->levels[l], chi_name, t, e))) return s;
        chi_total += t;
    }
    double chi = rule == COMBINE_MEAN ? chi_total / (double)gm->n_levels : chi_total;
    /* row i of every level is training image i (gauss-file.c refuses files
     * that say otherwise) */
    int have_train = gm->n_levels > 0 && gm->levels[0].n_features > 0;
    for (size_t l = 0; l < gm->n_levels; l++)
        have_train &= gm->levels[l].features != 0 && gm->levels[l].n_features == gm->levels[0].n_features;
    double train = NAN;
    if (have_train) {
        size_t n = (size_t)gm->levels[0].n_features, maxd = 0;
        for (size_t l = 0; l < gm->n_levels; l++) if (gm->levels[l].dim > maxd) maxd = gm->levels[l].dim;
        if (n > INT_MAX) threads = NULL;   /* the pool counts in int */
        const int workers = threads ? threads->n_threads : 1;
        train_scores t = { gm, rule, malloc(sizeof(double) * n), malloc(sizeof(double) * 4 * maxd * (size_t)workers), maxd };
        if (!t.score || !t.work) { free(t.score); free(t.work); return effad_fail(e, EFFAD_ERR_NOMEM, "out of memory"); }
        if (threads) threads->parallel_for(threads, score_train_rows, &t, (int)n);
        else score_train_rows(&t, 0, 0, (int)n);
        double sum = 0;
        for (size_t i = 0; i < n; i++) sum += t.score[i];
        free(t.score);
        free(t.work);
        train = 2.0 * sum / (double)n;
        if (isnan(train)) return effad_fail(e, EFFAD_ERR_NUMERIC, "the training images' scores are not numbers");
        if ((s = detector_set_threshold(gm, "train-2xmean", train, 0, e))) return s;
    }
    if ((s = detector_set_threshold(gm, chi_name, chi, 0, e))) return s;
    if (!isnan(explicit_value)) return detector_set_threshold(gm, "explicit", explicit_value, 1, e);
    if (rule == COMBINE_SUM && have_train) return detector_set_threshold(gm, "train-2xmean", train, 1, e);
    return detector_set_threshold(gm, chi_name, chi, 1, e);
}

effad_status detector_check_compatible(const gauss_model *gm, const pipeline *p, const char *gauss_path,
                                       level_sel *sel, effad_error *e)
{
    /* preset and tap rule first: they say more than "another model" */
    if (strcmp(gm->preset ? gm->preset : "", p->prep.name))
        return effad_fail(e, EFFAD_ERR_MISMATCH, "%s was fitted with preprocessing '%s', not '%s'", gauss_path,
                          gm->preset ? gm->preset : "", p->prep.name);
    if (!roi_equal(&gm->roi, &p->roi)) {
        char a[ROI_TEXT_BYTES], b[ROI_TEXT_BYTES];
        roi_format(&gm->roi, a, sizeof a);
        roi_format(&p->roi, b, sizeof b);
        return effad_fail(e, EFFAD_ERR_MISMATCH, "%s was fitted on %s%s, not %s%s", gauss_path,
                          a[0] ? "the region of interest " : "whole images", a, b[0] ? "the region " : "whole images", b);
    }
    if (gm->rgb16 != PREP_RGB16_NONE && gm->rgb16 != (int)p->rgb16) {
        char a[4], b[4];
        return effad_fail(e, EFFAD_ERR_MISMATCH, "%s was fitted with 16-bit images read by the rule '%s', not '%s' "
                          "(--pil-16bit: pil, --opencv-16bit: opencv, --sample-bits N: N)", gauss_path,
                          prep_rgb16_name(gm->rgb16, a), prep_rgb16_name((int)p->rgb16, b));
    }
    const char *colon = gm->taps ? strchr(gm->taps, ':') : 0;
    if (!colon) return effad_fail(e, EFFAD_ERR_FORMAT, "%s: no level description", gauss_path);
    size_t rule_len = (size_t)(colon - gm->taps);
    if (rule_len != strlen(p->model.tap_rule) || strncmp(gm->taps, p->model.tap_rule, rule_len)) {
        char rule[64];   /* effad_fail has no %.*s */
        snprintf(rule, sizeof rule, "%.*s", (int)(rule_len < sizeof rule ? rule_len : sizeof rule - 1), gm->taps);
        return effad_fail(e, EFFAD_ERR_MISMATCH, "%s was fitted on '%s' taps, the model has '%s' taps", gauss_path,
                          rule, p->model.tap_rule);
    }
    if (gm->model_hash != p->model.hash)
        return effad_fail(e, EFFAD_ERR_MISMATCH, "%s was fitted with a different model (hash %016llx; this .efm is %016llx)",
                          gauss_path, (unsigned long long)gm->model_hash, (unsigned long long)p->model.hash);
    if (gm->input_h != (uint32_t)p->model.in_h || gm->input_w != (uint32_t)p->model.in_w)
        return effad_fail(e, EFFAD_ERR_MISMATCH, "%s was fitted at %ux%u, the model runs at %dx%d", gauss_path,
                          gm->input_h, gm->input_w, p->model.in_h, p->model.in_w);
    effad_status s = level_sel_parse(colon + 1, p->n_levels, sel, e);
    if (s) { effad_error_prefix(e, gauss_path); return s; }
    if ((size_t)sel->n != gm->n_levels)
        return effad_fail(e, EFFAD_ERR_FORMAT, "%s: %d levels described, %zu stored", gauss_path, sel->n, gm->n_levels);
    for (int l = 0; l < sel->n; l++)
        if ((size_t)p->level_dim[sel->tap[l]] != gm->levels[l].dim)
            return effad_fail(e, EFFAD_ERR_FORMAT, "%s: level %d has %zu features, the model's has %d", gauss_path,
                              sel->tap[l], gm->levels[l].dim, p->level_dim[sel->tap[l]]);
    return EFFAD_OK;
}

effad_status detector_open(detector *d, const char *gauss_path, const char *efm_path, pipeline_options po,
                           effad_error *e)
{
    return detector_open_flags(d, gauss_path, efm_path, po, 0, e);
}

/* The .gauss read on a thread of its own while the caller loads the model
 * (detector_open_flags). */
typedef struct gauss_read_job {
    const char *path;
    gauss_model *gm;
    unsigned flags;
    effad_status s;
    effad_error e;
} gauss_read_job;

static void *gauss_read_main(void *arg)
{
    gauss_read_job *j = arg;
    j->s = gauss_file_read_flags(j->path, j->gm, j->flags, &j->e);
    return 0;
}

/* The .gauss into d->gm and the model into d->p (pipeline_load): with
 * threads to spare, side by side -- the two are independent, and together
 * they were half of `effad score`'s time on one image (B0 with 9 levels:
 * 16 MB of .gauss checked and decoded, ~20 ms; 13 MB of weights checked
 * and packed, ~12 ms). The .gauss's error comes first, as when they ran
 * one after the other. */
static effad_status read_both(detector *d, const char *gauss_path, const char *efm_path, const pipeline_options *po,
                              unsigned read_flags, effad_error *e)
{
    gauss_read_job j = { gauss_path, &d->gm, read_flags, EFFAD_OK, { 0 } };
    int side = 0;
#ifdef EFFAD_HAVE_THREADS
    pthread_t th;
    side = po->threads > 1 && !batch_thread_start(&th, gauss_read_main, &j);
#endif
    if (!side) gauss_read_main(&j);
    effad_error pe = { 0 };
    /* one after the other, a bad .gauss stops before the model is read */
    const int load = side || !j.s;
    const effad_status ps = load ? pipeline_load(&d->p, efm_path, po->isa, &pe) : EFFAD_OK;
#ifdef EFFAD_HAVE_THREADS
    if (side) pthread_join(th, 0);
#endif
    if (j.s) {
        if (load && !ps) pipeline_close(&d->p);
        if (e) *e = j.e;
        return j.s;
    }
    if (ps) {
        gauss_model_free(&d->gm);
        if (e) *e = pe;
    }
    return ps;
}

effad_status detector_open_flags(detector *d, const char *gauss_path, const char *efm_path, pipeline_options po,
                                 unsigned read_flags, effad_error *e)
{
    memset(d, 0, sizeof *d);
    effad_status s = read_both(d, gauss_path, efm_path, &po, read_flags, e);
    if (s) return s;
    if (!po.preset) po.preset = d->gm.preset;
    if (!po.roi_given) po.roi = d->gm.roi;
    po.align = d->gm.align;   /* the region moves with the part (align.h) */
    /* a file that does not say (older, or the default) takes the command's rule */
    if (d->gm.rgb16 != PREP_RGB16_NONE && !po.rgb16_given) po.rgb16 = (image_rgb_rule)d->gm.rgb16;
    if (d->gm.maps) po.map_taps |= map_taps_mask(d->gm.maps);   /* the runner keeps what the maps read */
    if ((s = pipeline_start(&d->p, &po, e)) ||
        (s = detector_check_compatible(&d->gm, &d->p, gauss_path, &d->sel, e))) {
        detector_close(d);
        return s;
    }
    if (d->gm.maps && (s = map_layout_check(d->gm.maps, &d->p.runner, e))) {
        effad_error_prefix(e, gauss_path);
        detector_close(d);
        return s;
    }
    size_t maxd = 0;
    for (size_t l = 0; l < d->gm.n_levels; l++) if (d->gm.levels[l].dim > maxd) maxd = d->gm.levels[l].dim;
    d->feat = malloc(sizeof(float) * d->p.total_dim);
    d->levels = malloc(sizeof(double) * (d->gm.n_levels ? d->gm.n_levels : 1));
    d->work = malloc(sizeof(double) * (maxd ? maxd : 1));
    if (!d->feat || !d->levels || !d->work) {
        detector_close(d);
        return effad_fail(e, EFFAD_ERR_NOMEM, "out of memory");
    }
    return EFFAD_OK;
}

double detector_score_image(detector *d)
{
    return detector_score(&d->gm, &d->sel, &d->p, d->feat, d->levels, d->work);
}

void detector_close(detector *d)
{
    if (!d) return;
    free(d->feat); free(d->levels); free(d->work);
    pipeline_close(&d->p);
    gauss_model_free(&d->gm);
    memset(d, 0, sizeof *d);
}
