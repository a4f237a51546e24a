/*
 * gauss-view.h -- a fitted `.gauss` scored in place: the part of the
 * Gaussian core that firmware needs, zero-copy and malloc-free.
 *
 * gauss_view_open validates the bytes with the checks gauss_file_decode
 * relies on (gauss-format.c: magic, version, sizes, CRC, every level,
 * every value) and then keeps only pointers into them: the means and the
 * packed Cholesky factors are read where they lie (little-endian doubles,
 * byte by byte, so any host and any alignment will do). Scoring is the Mahalanobis distance through the
 * stored factor, the levels combined by the rule of the preset the model
 * was fitted with (detector.h), against the image-level threshold in force.
 *
 * Freestanding: string.h, math.h and effad.h's error values only (plus
 * gauss-format.c), so the same files link into `effad` and into the
 * firmware under tests/cross/firmware/.
 */
#ifndef EFFAD_GAUSS_VIEW_H
#define EFFAD_GAUSS_VIEW_H

#include <stddef.h>
#include <stdint.h>
#include "effad.h"
#include "prep-spec.h"

/* A level is one of the model's taps, so a view holds at most as many
 * levels as a model has taps; larger files are refused as unsupported. */
#define GAUSS_VIEW_MAX_LEVELS EFFAD_MAX_TAPS

typedef struct gauss_view_level {
    uint32_t dim;
    int tap;                      /* the model level it scores (from the tap list) */
    uint64_t n;                   /* samples the fit saw */
    double shrinkage;
    const uint8_t *mean;          /* dim little-endian f64 */
    const uint8_t *chol;          /* L, lower triangle packed by rows, LE f64 */
} gauss_view_level;

typedef struct gauss_view {
    const uint8_t *bytes; size_t n_bytes;
    uint64_t model_hash;          /* of the .efm the features came from */
    uint32_t input_h, input_w, input_c;
    const char *preset; size_t preset_len;    /* the name, in the file: not NUL-terminated */
    image_roi roi;                /* the region of interest the caller crops each
                                     image to before preprocessing (roi.h); w == 0: none */
    int rgb16;                    /* how 16-bit samples became 8-bit (prep-spec.h) */
    const char *tap_rule; size_t tap_rule_len;
    int combine_mean;             /* 1: score = mean of the level distances, 0: sum */
    int has_threshold;            /* the file names an image-level threshold */
    const char *threshold_name;   /* the one in force (NUL-terminated in the file) */
    double threshold;             /* score >= threshold: anomalous */
    uint32_t max_dim;             /* largest level: the doubles of scoring work */
    size_t n_levels;
    gauss_view_level levels[GAUSS_VIEW_MAX_LEVELS];
} gauss_view;

/* Validates bytes as a .gauss and fills v with views into them; bytes must
 * stay alive and unchanged while v is used. On failure the message says
 * what is wrong (and where) and v is left empty. */
effad_status gauss_view_open(gauss_view *v, const void *bytes, size_t n_bytes, effad_error *e);

/* Checks that v was fitted on this model: its hash, input size, tap rule
 * and every level's dimension against the tap it names. */
effad_status gauss_view_check_model(const gauss_view *v, const effad_model *m, effad_error *e);

/* Mahalanobis distance of x (lv->dim floats) under the level; work: dim
 * doubles. The same operations in the same order as
 * gauss_mahalanobis_chol, so the two agree to the last bit. */
double gauss_view_distance(const gauss_view_level *lv, const float *x, double *work);

/* The image score: tap_vectors[t] is model tap t's pooled vector (only the
 * taps the levels name are read); level_distances (n_levels, may be NULL)
 * receives each level's distance; work: max_dim doubles. */
double gauss_view_score(const gauss_view *v, const float *const *tap_vectors, double *level_distances,
                        double *work);

/* Whether a preset combines its levels by the mean (paper) rather than the
 * sum (ailia): the rule detector_combine_of applies, for strings that are
 * not NUL-terminated. */
int gauss_preset_combines_by_mean(const char *preset, size_t len);

#endif
