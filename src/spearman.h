/* spearman.h -- Spearman's rank correlation, as scipy.stats.spearmanr:
 * Pearson's correlation of the ranks, tied values sharing the average of
 * their ranks. */
#ifndef EFFAD_SPEARMAN_H
#define EFFAD_SPEARMAN_H

#include <stddef.h>

/* NaN when n < 2 or either series is constant, or out of memory. */
double spearman(const double *a, const double *b, size_t n);

#endif
