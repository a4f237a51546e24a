/*
 * level-error.h -- how far quantised level vectors are from the float32
 * ones, measured over a set of images; the figure both the calibration
 * (quant-select.h) and `effad quantcheck` go by.
 *
 * For one level with float vectors f_i and quantised q_i over images i:
 *   cosine        cos(q_i, f_i), its mean and its minimum over the images;
 *   rel           sqrt(sum ||q_i - f_i||^2 / sum ||f_i||^2);
 *   spread_ratio  sum ||q_i - f_i||^2 / sum ||f_i - mean f||^2: the
 *                 quantisation error against the between-image spread of
 *                 the float features -- what a Gaussian on these features
 *                 sees. Below 0.01, quantisation moves an image by a tenth
 *                 of the typical distance between two images.
 */
#ifndef EFFAD_LEVEL_ERROR_H
#define EFFAD_LEVEL_ERROR_H

#include <stddef.h>

typedef struct level_error {
    double cosine_mean, cosine_min, rel, spread_ratio;
} level_error;

/* Image i's vector is f[i * stride + k], k < dim (the same for q). With
 * one image (no spread), spread_ratio is relative to sum ||f_i||^2. */
void level_error_of(const float *f, const float *q, size_t n, size_t dim, size_t stride, level_error *out);

/* The features' mean and standard deviation over n images (the good ones
 * the detector will be fitted on), per dimension; sigma floored at 1 % of
 * their root-mean-square so that a constant feature cannot weigh
 * infinitely. Returns whether the level varies between the images at all:
 * 0 when the root-mean-square deviation is at most LEVEL_STILL of the
 * features' root-mean-square size (one image; copies of one image; a
 * network whose deep features no longer depend on the image -- DESIGN.md,
 * "Reference networks with random weights"). Float32 rounding alone moves
 * features by ~1e-7 of their size, so such a level has no distances for
 * level_error_relative to divide by: its figure would be noise over zero. */
#define LEVEL_STILL 1e-6
int level_moments(const float *f, size_t n, size_t dim, size_t stride, float *mean, float *sigma);
/* How far quantisation moves each image relative to how far the image is
 * from the good images' mean, both in units of each feature's standard
 * deviation (a Mahalanobis distance with the covariance's diagonal):
 *     mean over images i of  sum_d ((q_id - f_id) / sigma_d)^2
 *                          / sum_d ((f_id - mean_d) / sigma_d)^2.
 * The anomaly score's relative error, squared: what decides whether two
 * images swap places in the ranking, for good images (whose distance is
 * small, so precision counts) and defective ones (far, where only
 * clipping that eats the distance counts). */
double level_error_relative(const float *f, const float *q, size_t n, size_t dim, size_t stride, const float *mean,
                            const float *sigma);

#endif
