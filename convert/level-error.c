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
