/*
 * reject-rate.h -- thresholds chosen on good images for a false-reject
 * rate (`effad calibrate --fpr F`).
 *
 * Thresholds fitted on the training images are judged on the images the
 * Gaussians were fitted to, whose distances run low; on a line what
 * matters is how many good parts a threshold throws out. Given n good
 * images the fit did not see and a rate F, at most k = floor(F n) of them
 * may be rejected; the threshold is the lowest at which no more are:
 *   image level   score >= t rejects: t = the (k+1)-th highest score,
 *                 raised to the next double, so that image passes;
 *   maps          a region of min_area pixels above t rejects (regions.h:
 *                 map > t): each image's smallest such t leaving it none,
 *                 and the (k+1)-th highest of those (F = 0: the highest,
 *                 what `fit --holdout` does).
 * Ties can only reject fewer. With F n < 1 no image may be rejected: the
 * threshold sits just above every one of them, and says nothing yet of
 * how often a good part would fall above it.
 */
#ifndef EFFAD_REJECT_RATE_H
#define EFFAD_REJECT_RATE_H

#include <stddef.h>

/* k: how many of n images rate f (0 <= f < 1) may reject. */
size_t reject_allowed(size_t n, double f);
/* The (k+1)-th highest of v[0..n), k < n (v is left reordered). */
double reject_kth_highest(double *v, size_t n, size_t k);
/* How many of v[0..n) are >= t. */
size_t reject_count_at_least(const double *v, size_t n, double t);
/* The image-level threshold over scores[0..n) (left as they are) letting
 * at most `allowed` (< n) be rejected: the (allowed+1)-th highest raised
 * to the next double; *rejected: how many it does reject. 0 and NaN
 * when out of memory. */
double reject_score_threshold(const double *scores, size_t n, size_t allowed, size_t *rejected);

#endif
