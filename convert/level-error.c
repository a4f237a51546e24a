/* Quantised against float level vectors (level-error.h). */
#include <math.h>
#include <stdlib.h>
#include "level-error.h"

void level_error_of(const float *f, const float *q, size_t n, size_t dim, size_t stride, level_error *out)
{
    double err = 0, norm = 0, spread = 0, cos_sum = 0, cos_min = 1;
    for (size_t i = 0; i < n; i++) {
        const float *fi = f + i * stride, *qi = q + i * stride;
        double ff = 0, qq = 0, fq = 0;
        for (size_t k = 0; k < dim; k++) {
            const double d = (double)qi[k] - fi[k];
            err += d * d;
            ff += (double)fi[k] * fi[k];
            qq += (double)qi[k] * qi[k];
            fq += (double)fi[k] * qi[k];
        }
        norm += ff;
        /* two zero vectors agree; one zero vector does not */
        const double c = ff > 0 && qq > 0 ? fq / sqrt(ff * qq) : ff == qq ? 1.0 : 0.0;
        cos_sum += c;
        cos_min = c < cos_min ? c : cos_min;
    }
    for (size_t k = 0; k < dim && n > 1; k++) {
        double mean = 0;
        for (size_t i = 0; i < n; i++) mean += f[i * stride + k];
        mean /= (double)n;
        for (size_t i = 0; i < n; i++) {
            const double d = f[i * stride + k] - mean;
            spread += d * d;
        }
    }
    if (n <= 1) spread = norm;
    out->cosine_mean = n ? cos_sum / (double)n : 1.0;
    out->cosine_min = n ? cos_min : 1.0;
    out->rel = norm > 0 ? sqrt(err / norm) : err > 0 ? INFINITY : 0.0;
    out->spread_ratio = spread > 0 ? err / spread : err > 0 ? INFINITY : 0.0;
}

int level_moments(const float *f, size_t n, size_t dim, size_t stride, float *mean, float *sigma)
{
    double ms = 0, size = 0;
    for (size_t k = 0; k < dim; k++) {
        double m = 0, var = 0;
        for (size_t i = 0; i < n; i++) m += f[i * stride + k];
        m /= n ? (double)n : 1.0;
        for (size_t i = 0; i < n; i++) {
            const double d = f[i * stride + k] - m;
            var += d * d;
        }
        var /= n > 1 ? (double)(n - 1) : 1.0;
        mean[k] = (float)m;
        sigma[k] = (float)sqrt(var);
        ms += var;
        size += m * m + var;
    }
    const float floor_ = (float)(0.01 * sqrt(ms / (dim ? (double)dim : 1.0)));
    for (size_t k = 0; k < dim; k++)
        if (!(sigma[k] >= floor_ && sigma[k] > 0)) sigma[k] = floor_ > 0 ? floor_ : 1.0f;
    return ms > LEVEL_STILL * LEVEL_STILL * size;
}

double level_error_relative(const float *f, const float *q, size_t n, size_t dim, size_t stride, const float *mean,
                            const float *sigma)
{
    double sum = 0;
    for (size_t i = 0; i < n; i++) {
        double err = 0, dist = 0;
        for (size_t k = 0; k < dim; k++) {
            const double d = ((double)q[i * stride + k] - f[i * stride + k]) / sigma[k];
            const double r = ((double)f[i * stride + k] - mean[k]) / sigma[k];
            err += d * d;
            dist += r * r;
        }
        sum += dist > 0 ? err / dist : err > 0 ? 1e30 : 0.0;
    }
    return n ? sum / (double)n : 0.0;
}
