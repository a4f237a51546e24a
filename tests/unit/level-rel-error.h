/*
 * level-rel-error.h -- how far a computed level vector (or map) is from its
 * reference: max |got - want| / max |want|, relative to the vector's
 * scale so that entries near zero are not held to a relative standard no
 * float implementation meets; a NaN anywhere is infinitely far.
 *
 * Shared by the golden tests (tests/unit/test-golden.c, against ONNX
 * Runtime) and the firmware (tests/cross/firmware/main.c, against the
 * host's `effad features`), so "1e-4" means the same thing in both.
 * Freestanding: math.h only.
 */
#ifndef EFFAD_LEVEL_ERROR_H
#define EFFAD_LEVEL_ERROR_H

#include <math.h>
#include <stddef.h>

static inline double level_error(const float *got, const float *want, size_t n)
{
    double md = 0, mw = 0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)got[i] - want[i]);
        if (d > md || d != d) md = d != d ? INFINITY : d;
        if (fabs(want[i]) > mw) mw = fabs(want[i]);
    }
    return mw > 0 ? md / mw : md;
}

#endif
