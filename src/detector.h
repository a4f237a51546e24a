/*
 * detector.h -- the anomaly score and its thresholds, per reference pipeline.
 *
 * The two Python pipelines effad reproduces combine levels differently:
 *   ailia (MahalanobisAD): score = SUM over levels of the Mahalanobis
 *     distance; default threshold = 2 x the mean training score;
 *   paper (gaussian-ad-mvtec): score = MEAN over levels; default threshold
 *     = the mean over levels of sqrt(chi2.ppf(p, d_level)), p from n sigma.
 * A .gauss records its preset, so the rule travels with the model.
 *
 * Image-level thresholds are named (gauss_model.thresholds, [0] in force):
 *   "train-2xmean"   2 x mean training score (needs the training features)
 *   "chi2-<n>sigma"  the chi-squared rule at n sigma
 *   "explicit"       given by the user
 *   "best-f1", "youden"   chosen by `effad eval` on labelled test images
 */
#ifndef EFFAD_DETECTOR_H
#define EFFAD_DETECTOR_H

#include "gauss.h"
#include "pipeline.h"

typedef enum detector_combine { COMBINE_SUM = 0, COMBINE_MEAN = 1 } detector_combine;

detector_combine detector_combine_of(const char *preset);
const char *detector_default_preset(void);

/* Which model taps the .gauss levels are, as stored in gauss_model.taps:
 * "<tap rule>:<i>,<j>,...", e.g. "stage-end:0,1,2,3,4,5,6,7,8". */
typedef struct level_sel { int n; int tap[EFFAD_MAX_TAPS]; } level_sel;
/* Parses "all" or "0,2,5" against a model with n_taps levels. */
effad_status level_sel_parse(const char *s, int n_taps, level_sel *sel, effad_error *e);
void level_sel_format(const level_sel *sel, const char *tap_rule, char *out, size_t n);

/* Per-level distances (level_scores, gm->n_levels) and the combined score
 * of one image's concatenated model features. work: max level dim doubles. */
double detector_score(const gauss_model *gm, const level_sel *sel, const pipeline *p,
                      const float *features, double *level_scores, double *work);

/* Fits gm's levels from n feature rows (pipeline layout, total_dim each),
 * keeping sufficient statistics and, if keep_features, the features. */
effad_status detector_fit(gauss_model *gm, const level_sel *sel, const pipeline *p,
                          const float *rows, size_t n, int keep_features, effad_error *e);

/* Recomputes the rule-based thresholds from what gm holds (training
 * features for train-2xmean; dimensions for chi2) and puts the preset's
 * default (or "explicit" when explicit is not NaN) first. threads (may be
 * NULL) scores the training images in parallel, the same bits. */
effad_status detector_thresholds(gauss_model *gm, double sigma, double explicit_value, effad_threads *threads,
                                 effad_error *e);

/* Sets or replaces the image-level threshold called name; in_force puts it first. */
effad_status detector_set_threshold(gauss_model *gm, const char *name, double value, int in_force, effad_error *e);
/* The threshold called name (or the one in force when name is NULL). */
effad_status detector_get_threshold(const gauss_model *gm, const char *name, double *value,
                                    const char **actual_name, effad_error *e);

/* A fitted model ready to score images: the .gauss, the pipeline it was
 * fitted with (its preset unless po.preset names one, which must agree),
 * the levels, and one image's buffers. */
typedef struct detector {
    gauss_model gm;
    pipeline p;
    level_sel sel;
    float *feat;          /* p.total_dim: one image's level vectors   */
    double *levels;       /* gm.n_levels: its per-level distances     */
    double *work;         /* the largest level's dimension            */
} detector;
effad_status detector_open(detector *d, const char *gauss_path, const char *efm_path, pipeline_options po,
                           effad_error *e);
/* The same, reading the .gauss with gauss_file_read_flags (a command that
 * only scores need not load a maps model's statistics). */
effad_status detector_open_flags(detector *d, const char *gauss_path, const char *efm_path, pipeline_options po,
                                 unsigned read_flags, effad_error *e);
/* The combined score of the image whose features are in d->feat. */
double detector_score_image(detector *d);
void detector_close(detector *d);

/* Adds next's sufficient statistics (and training features, when both keep
 * them) into acc (src/detector-merge.c). Both must come from the same
 * model, preset and levels and hold statistics; next is flushed but keeps
 * its values. The names label messages. acc's fitted levels are stale
 * until detector_refit. */
effad_status detector_merge(gauss_model *acc, const char *acc_name, gauss_model *next, const char *next_name,
                            effad_error *e);
/* Refits every level from its statistics (mean, Ledoit-Wolf, Cholesky) and
 * recomputes the thresholds as detector_thresholds does. */
effad_status detector_refit(gauss_model *gm, double sigma, double explicit_value, effad_error *e);

/* Checks that gm was fitted with this model, preset and levels; the
 * message names what differs. */
effad_status detector_check_compatible(const gauss_model *gm, const pipeline *p, const char *gauss_path,
                                       level_sel *sel, effad_error *e);

#endif
