/* Thresholds for a false-reject rate (reject-rate.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "reject-rate.h"

size_t reject_allowed(size_t n, double f)
{
    /* f n is often an integer in decimal (0.01 x 300) that binary holds a
     * hair below: such a product counts as the integer */
    const double k = floor((double)n * f + 1e-9);
    return k <= 0 ? 0 : k >= (double)n ? n - 1 : (size_t)k;
}

static int descending(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x < y) - (x > y);
}

double reject_kth_highest(double *v, size_t n, size_t k)
{
    qsort(v, n, sizeof *v, descending);
    return v[k < n ? k : n - 1];
}

size_t reject_count_at_least(const double *v, size_t n, double t)
{
    size_t c = 0;
    for (size_t i = 0; i < n; i++) c += v[i] >= t;
    return c;
}

double reject_score_threshold(const double *scores, size_t n, size_t allowed, size_t *rejected)
{
    *rejected = 0;
    double *sorted = malloc((n ? n : 1) * sizeof *sorted);
    if (!sorted) return NAN;
    memcpy(sorted, scores, n * sizeof *sorted);
    const double t = nextafter(reject_kth_highest(sorted, n, allowed), INFINITY);   /* score >= t rejects */
    free(sorted);
    *rejected = reject_count_at_least(scores, n, t);
    return t;
}
