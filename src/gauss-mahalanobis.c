/*
 * gauss-mahalanobis.c -- the anomaly score: Mahalanobis distance of a
 * feature vector (float, as the network produces it) under a level's
 * Gaussian, in double.
 */
#include <float.h>
#include <math.h>
#include "gauss.h"

/* sqrt(r), or +infinity when the sum overflowed or met a value that is not
 * a number (a non-finite feature, a level whose mean sits 1e306 away from a
 * spread of 1e-3): never NaN, which compares false with every threshold
 * and would pass the part as good. */
static double distance(double r)
{
    return r <= DBL_MAX ? sqrt(r) : INFINITY;
}

double gauss_mahalanobis_chol(const double *L, const double *mean, const float *x,
                              size_t d, double *work)
{
    /* z = L^-1 (x - mean); distance^2 = |z|^2. The row's dot product in
     * gauss_dot's four independent sums: subtracted term by term it was one
     * dependency chain, latency-bound (about a millisecond per B0 image at
     * d = 1280). gauss_view_distance keeps the same order, to the bit. */
    double *z = work, r = 0;
    for (size_t i = 0; i < d; i++) {
        const double *li = L + gauss_tri(i);
        double s = ((double)x[i] - mean[i]) - gauss_dot(li, z, i);
        z[i] = s / li[i];
        r += z[i] * z[i];
    }
    return distance(r);
}

void gauss_mahalanobis_chol4(const double *L, const double *mean, const float *const x[4], size_t d,
                             double *work, double out[4])
{
    double *z[4] = { work, work + d, work + 2 * d, work + 3 * d }, r[4] = { 0, 0, 0, 0 };
    for (size_t i = 0; i < d; i++) {
        const double *li = L + gauss_tri(i);
        double dot[4];
        gauss_dot4(li, z[0], z[1], z[2], z[3], i, dot);
        for (int v = 0; v < 4; v++) {
            z[v][i] = (((double)x[v][i] - mean[i]) - dot[v]) / li[i];
            r[v] += z[v][i] * z[v][i];
        }
    }
    for (int v = 0; v < 4; v++) out[v] = distance(r[v]);
}

/* As scipy.spatial.distance.mahalanobis: sqrt(delta . VI . delta). */
double gauss_mahalanobis_vi(const double *VI, const double *mean, const float *x,
                            size_t d, double *work)
{
    double *delta = work, r = 0;
    for (size_t j = 0; j < d; j++) delta[j] = (double)x[j] - mean[j];
    for (size_t k = 0; k < d; k++) {
        double s = 0;
        for (size_t j = 0; j < d; j++) s += delta[j] * VI[j * d + k];
        r += s * delta[k];
    }
    return distance(r);
}
