/* Spearman's rank correlation (spearman.h). */
#include <math.h>
#include <stdlib.h>
#include "spearman.h"

typedef struct ranked { double v; size_t i; } ranked;

static int by_value(const void *x, const void *y)
{
    const ranked *a = x, *b = y;
    if (a->v != b->v) return a->v < b->v ? -1 : 1;
    return a->i < b->i ? -1 : a->i > b->i;
}

/* rank[i] of v[i] among v, 1-based, ties averaged. */
static int ranks(const double *v, size_t n, double *rank)
{
    ranked *r = malloc(sizeof *r * n);
    if (!r) return 0;
    for (size_t i = 0; i < n; i++) { r[i].v = v[i]; r[i].i = i; }
    qsort(r, n, sizeof *r, by_value);
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j + 1 < n && r[j + 1].v == r[i].v) j++;
        const double avg = 0.5 * (double)(i + j) + 1.0;
        for (size_t k = i; k <= j; k++) rank[r[k].i] = avg;
        i = j + 1;
    }
    free(r);
    return 1;
}

double spearman(const double *a, const double *b, size_t n)
{
    if (n < 2) return NAN;
    double *ra = malloc(sizeof(double) * n), *rb = malloc(sizeof(double) * n), rho = NAN;
    if (ra && rb && ranks(a, n, ra) && ranks(b, n, rb)) {
        const double mean = 0.5 * (double)(n + 1);
        double sab = 0, saa = 0, sbb = 0;
        for (size_t i = 0; i < n; i++) {
            sab += (ra[i] - mean) * (rb[i] - mean);
            saa += (ra[i] - mean) * (ra[i] - mean);
            sbb += (rb[i] - mean) * (rb[i] - mean);
        }
        if (saa > 0 && sbb > 0) rho = sab / sqrt(saa * sbb);
    }
    free(ra); free(rb);
    return rho;
}
