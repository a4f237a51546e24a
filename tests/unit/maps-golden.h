/*
 * maps-golden.h -- the anomaly-map tests' access to tests/data/maps/
 * (written by tests/gen-maps-goldens.py in gauss-golden.h's format).
 */
#ifndef EFFAD_MAPS_GOLDEN_H
#define EFFAD_MAPS_GOLDEN_H

#include "gauss-golden.h"

static inline int maps_golden_load(golden *g, const char *name)
{
    char rel[200];
    snprintf(rel, sizeof rel, "../maps/%s", name);   /* golden_load reads under tests/data/gauss/ */
    return golden_load(g, rel);
}

/* Array "<base><i>" as floats / doubles (malloc'ed). */
static inline float *golden_f32_i(const golden *g, const char *base, int i, size_t *n)
{
    char name[64];
    snprintf(name, sizeof name, "%s%d", base, i);
    return golden_f32(g, name, n);
}

static inline double *golden_f64_i(const golden *g, const char *base, int i, size_t *n)
{
    char name[64];
    snprintf(name, sizeof name, "%s%d", base, i);
    return golden_f64(g, name, n);
}

/* max |a - b| / max(max |b|, floor) over n floats */
static inline double rel_err_f32(const float *a, const float *b, size_t n, double floor_)
{
    double num = 0, den = floor_;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)a[i] - (double)b[i]);
        if (d > num || d != d) num = d;
        if (fabs((double)b[i]) > den) den = fabs((double)b[i]);
    }
    return num / den;
}

#endif
