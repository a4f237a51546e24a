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

#endif
