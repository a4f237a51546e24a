/*
 * chi2.c -- the chi-squared threshold rule of Rippel et al.: under the
 * fitted Gaussian, the squared Mahalanobis distance of a normal sample is
 * chi2(d), so a false-positive rate 1 - p gives the distance threshold
 * sqrt(chi2.ppf(p, d)); p is usually a "sigma" level, erf(n / sqrt 2).
 *
 * libm has no incomplete gamma, so: the regularised P(a, x) and Q(a, x) by
 * the power series (x < a + 1) and the Legendre continued fraction
 * (otherwise, modified Lentz), the classical pair (Numerical Recipes 6.2;
 * Cephes igam/igamc use the same split). Both need the prefactor
 * x^a e^-x / Gamma(a); for the a <= 1280 we care about, forming its log
 * from lgamma() costs about 1e-12 relative, and an error eps in P moves the
 * quantile by eps / (x pdf(x)) relative -- well under the 1e-9 we promise
 * against scipy (whose chi2.ppf is 2 * gammaincinv(d / 2, p)).
 *
 * Inversion: Wilson-Hilferty start, then Halley steps on whichever of
 * P - p or (1 - p) - Q is the small side (so p = 0.999999 is solved through
 * Q = 1e-6 without cancellation), inside a bracket that every evaluation
 * narrows; a step leaving the bracket is replaced by bisection.
 */
#include <float.h>
#include <math.h>
#include "gauss.h"

#define MAX_ITER 100000

/* log of x^a e^-x / Gamma(a). */
static double log_prefactor(double a, double x)
{
    return a * log(x) - x - lgamma(a);
}

/* P(a, x) by its series, for x < a + 1. */
static double p_series(double a, double x)
{
    double term = 1.0 / a, sum = term;
    for (int n = 1; n < MAX_ITER; n++) {
        term *= x / (a + n);
        sum += term;
        if (fabs(term) < fabs(sum) * DBL_EPSILON * 0.5) break;
    }
    return sum * exp(log_prefactor(a, x));
}

/* Q(a, x) by the continued fraction, for x >= a + 1 (modified Lentz). */
static double q_fraction(double a, double x)
{
    const double tiny = 1e-300;
    double b = x + 1.0 - a, c = 1.0 / tiny, dd = 1.0 / b, h = dd;
    for (int i = 1; i < MAX_ITER; i++) {
        double an = -i * (i - a);
        b += 2.0;
        dd = an * dd + b;
        if (fabs(dd) < tiny) dd = tiny;
        c = b + an / c;
        if (fabs(c) < tiny) c = tiny;
        dd = 1.0 / dd;
        double del = dd * c;
        h *= del;
        if (fabs(del - 1.0) < DBL_EPSILON * 0.5) break;
    }
    return exp(log_prefactor(a, x)) * h;
}

double gauss_gamma_p(double a, double x)
{
    if (!(a > 0) || isnan(x)) return NAN;
    if (x <= 0) return 0.0;
    if (isinf(x)) return 1.0;
    return x < a + 1.0 ? p_series(a, x) : 1.0 - q_fraction(a, x);
}

double gauss_gamma_q(double a, double x)
{
    if (!(a > 0) || isnan(x)) return NAN;
    if (x <= 0) return 1.0;
    if (isinf(x)) return 0.0;
    return x < a + 1.0 ? 1.0 - p_series(a, x) : q_fraction(a, x);
}

/* Standard normal quantile, Acklam's rational approximation (relative
 * error 1.2e-9): only a starting point, refined by the Halley steps. */
static double normal_quantile(double p)
{
    static const double a[] = { -3.969683028665376e+01, 2.209460984245205e+02,
        -2.759285104469687e+02, 1.383577518672690e+02, -3.066479806614716e+01,
        2.506628277459239e+00 };
    static const double b[] = { -5.447609879822406e+01, 1.615858368580409e+02,
        -1.556989798598866e+02, 6.680131188771972e+01, -1.328068155288572e+01 };
    static const double c[] = { -7.784894002430293e-03, -3.223964580411365e-01,
        -2.400758277161838e+00, -2.549732539343734e+00, 4.374664141464968e+00,
        2.938163982698783e+00 };
    static const double d[] = { 7.784695709041462e-03, 3.224671290700398e-01,
        2.445134137142996e+00, 3.754408661907416e+00 };
    const double lo = 0.02425;
    if (p < lo || p > 1 - lo) {
        double q = sqrt(-2 * log(p < lo ? p : 1 - p));
        double v = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
                   ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
        return p < lo ? v : -v;
    }
    double q = p - 0.5, r = q * q;
    return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
           (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}

/* x with P(a, x) = p, 0 < p < 1. */
static double gamma_p_inverse(double a, double p)
{
    int upper = p > 0.5;
    double q = 1.0 - p;     /* exact for p in [0.5, 1] */

    /* Wilson-Hilferty: (X / d)^(1/3) is nearly normal for X ~ chi2(d). */
    double z = normal_quantile(p), dof = 2 * a;
    double t = 1.0 - 2.0 / (9 * dof) + z * sqrt(2.0 / (9 * dof));
    double x = 0.5 * dof * t * t * t;
    if (!(x > 0) || a < 1) {
        /* Small a or a lower-tail p: P(a, x) ~ x^a / Gamma(a + 1). */
        double xs = exp((log(p) + lgamma(a + 1)) / a);
        if (!(x > 0) || xs < x) x = xs;
    }
    if (!(x > 0) || !isfinite(x)) x = a;

    double lo = 0, hi = INFINITY;
    for (int it = 0; it < 200; it++) {
        /* f rises with x in both forms: P - p, or (1 - p) - Q. */
        double f = upper ? q - gauss_gamma_q(a, x) : gauss_gamma_p(a, x) - p;
        if (f == 0) return x;
        if (f < 0) lo = x; else hi = x;
        double dens = exp((a - 1) * log(x) - x - lgamma(a));
        double xn;
        if (dens > 0 && isfinite(dens)) {
            double r = f / dens;                      /* Newton step */
            double curv = (a - 1) / x - 1;            /* f'' / f' */
            double den = 1 - 0.5 * r * curv;
            xn = x - (fabs(den) > 0.5 ? r / den : r); /* Halley when tame */
        } else {
            xn = NAN;
        }
        if (!(xn > lo && xn < hi))
            xn = isinf(hi) ? (x > 0 ? 2 * x : 1) : 0.5 * (lo + hi);
        if (fabs(xn - x) <= 2 * DBL_EPSILON * x) return xn;
        if (lo > 0 && hi - lo <= 2 * DBL_EPSILON * lo) return 0.5 * (lo + hi);
        x = xn;
    }
    return x;
}

double chi2_ppf(double p, double dof)
{
    if (!(dof > 0) || !(p > 0 && p < 1)) {
        if (dof > 0 && p == 0) return 0.0;
        if (dof > 0 && p == 1) return INFINITY;
        return NAN;
    }
    return 2.0 * gamma_p_inverse(0.5 * dof, p);
}

double chi2_threshold(double p, double dof)
{
    return sqrt(chi2_ppf(p, dof));
}

double p_from_sigma(double n_sigma)
{
    return erf(n_sigma / sqrt(2.0));
}
