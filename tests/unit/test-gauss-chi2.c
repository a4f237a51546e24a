/*
 * test-gauss-chi2.c -- chi2.ppf, the incomplete gamma and p_from_sigma
 * against scipy (tests/data/gauss/chi2.bin), to 1e-9 relative.
 */
#include <stdlib.h>
#include "check.h"
#include "gauss-golden.h"
#include "gauss.h"

int main(void)
{
    golden g;
    if (golden_load(&g, "chi2.bin")) { CHECK(0); return check_done("test-gauss-chi2"); }
    size_t n;
    double *dof = golden_f64(&g, "dof", &n), *p = golden_f64(&g, "p", NULL);
    double *ppf = golden_f64(&g, "ppf", NULL);
    double worst = 0;
    for (size_t i = 0; i < n; i++) {
        double x = chi2_ppf(p[i], dof[i]);
        double r = fabs(x - ppf[i]) / ppf[i];
        CHECK_MSG(r <= 1e-9, "chi2.ppf(%.17g, %g) = %.17g, scipy %.17g (rel %g)",
                  p[i], dof[i], x, ppf[i], r);
        if (r > worst) worst = r;
        CHECK_NEAR(chi2_threshold(p[i], dof[i]), sqrt(ppf[i]), 1e-9 * sqrt(ppf[i]));
    }
    printf("chi2.ppf: %zu (d, p) pairs, max rel err vs scipy %.2e\n", n, worst);

    size_t ns;
    double *sig = golden_f64(&g, "sigma", &ns), *ps = golden_f64(&g, "p_sigma", NULL);
    for (size_t i = 0; i < ns; i++) CHECK_NEAR(p_from_sigma(sig[i]), ps[i], 1e-15);

    size_t ng;
    double *ga = golden_f64(&g, "gamma_a", &ng), *gx = golden_f64(&g, "gamma_x", NULL);
    double *gp = golden_f64(&g, "gamma_p", NULL), *gq = golden_f64(&g, "gamma_q", NULL);
    double wp = 0;
    for (size_t i = 0; i < ng; i++) {
        double P = gauss_gamma_p(ga[i], gx[i]), Q = gauss_gamma_q(ga[i], gx[i]);
        /* absolute on the complement-prone side, relative where tiny */
        double ep = fabs(P - gp[i]) / (gp[i] > 1e-300 ? fmin(gp[i], 1.0) : 1.0);
        double eq = fabs(Q - gq[i]) / (gq[i] > 1e-300 ? fmin(gq[i], 1.0) : 1.0);
        CHECK_MSG(ep <= 1e-10 && eq <= 1e-10, "P/Q(%g, %g): %.17g %.17g vs %.17g %.17g",
                  ga[i], gx[i], P, Q, gp[i], gq[i]);
        if (ep > wp) wp = ep;
        if (eq > wp) wp = eq;
    }
    printf("incomplete gamma: %zu points, max rel err %.2e\n", ng, wp);

    /* domain edges */
    CHECK(chi2_ppf(0, 5) == 0);
    CHECK(isinf(chi2_ppf(1, 5)));
    CHECK(isnan(chi2_ppf(-0.1, 5)) && isnan(chi2_ppf(0.5, 0)) && isnan(chi2_ppf(NAN, 3)));
    CHECK(gauss_gamma_p(2, 0) == 0 && gauss_gamma_q(2, 0) == 1);
    CHECK(isnan(gauss_gamma_p(-1, 1)));
    /* median of chi2(2) is 2 ln 2 exactly in closed form */
    CHECK_NEAR(chi2_ppf(0.5, 2), 2 * log(2.0), 1e-15);

    free(dof); free(p); free(ppf); free(sig); free(ps);
    free(ga); free(gx); free(gp); free(gq);
    golden_free(&g);
    return check_done("test-gauss-chi2");
}
