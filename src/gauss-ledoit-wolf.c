/*
 * gauss-ledoit-wolf.c -- Ledoit-Wolf shrinkage exactly as scikit-learn 1.2
 * computes it (sklearn/covariance/_shrunk_covariance.py,
 * ledoit_wolf_shrinkage with assume_centered=False), from the streamed
 * statistics instead of the data matrix.
 *
 * sklearn, on centred X (n x d), S = X^T X / n:
 *   mu     = trace(S) / d
 *   delta_ = sum_jk S_jk^2                      (sum of (X^T X)^2 / n^2)
 *   beta_  = sum_jk (X2^T X2)_jk = sum_i |x_i|^4
 *   beta   = (beta_ / n - delta_) / (d n)
 *   delta  = (delta_ - 2 mu trace(S) + d mu^2) / d
 *   beta   = min(beta, delta); shrinkage = beta == 0 ? 0 : beta / delta
 * and for d == 1 the shrinkage is 0. The blocking (block_size) only
 * changes the summation order. delta is ||S - mu I||_F^2 / d; we sum it
 * in that form, which is never negative (sklearn's form can round below 0
 * when S is nearly mu I; the two agree to rounding otherwise). S is
 * symmetric and kept as its lower triangle (gauss.h): each sum is its
 * diagonal plus twice its strict lower triangle, added row by row (the
 * full square's row-major order before 2026-12-06: the shrinkages of a
 * B0 fit moved by at most 3.5e-14 relative, its scores by 7.5e-15).
 *
 * n == 1: centred data are all zero, so S = 0, beta = 0 and sklearn
 * returns shrinkage 0 and a zero covariance; so do we (and the Cholesky
 * then refuses it). n == 2 also gives beta = 0 exactly (the centred
 * samples are c and -c), hence shrinkage 0 and a singular matrix. Constant
 * features contribute zero rows/columns to S; with shrinkage > 0 the
 * shrunk matrix is still positive definite.
 */
#include <stdlib.h>
#include "gauss.h"

double gauss_lw_shrinkage(const double *S, size_t d, uint64_t n, double sum_c4)
{
    if (d <= 1 || n == 0) return 0.0;
    double trace = 0;
    for (size_t j = 0; j < d; j++) trace += S[gauss_tri(j) + j];
    double mu = trace / (double)d;
    /* ||S||_F^2 and ||S - mu I||_F^2: the diagonal's share apart, the
     * strict lower triangle's (the same in both) counted twice */
    double diag = 0, diag_dev = 0, off = 0;
    for (size_t j = 0; j < d; j++) {
        const double *row = S + gauss_tri(j);
        off += gauss_dot(row, row, j);
        diag += row[j] * row[j];
        diag_dev += (row[j] - mu) * (row[j] - mu);
    }
    double frob = diag + 2 * off, dev = diag_dev + 2 * off;
    double nd = (double)n;
    double beta = (sum_c4 / nd - frob) / ((double)d * nd);
    double delta = dev / (double)d;
    if (beta > delta) beta = delta;
    if (beta <= 0 || delta <= 0) return 0.0;  /* beta >= 0 in exact arithmetic */
    return beta / delta;
}

void gauss_lw_apply(double *S, size_t d, double shrinkage)
{
    double trace = 0;
    for (size_t j = 0; j < d; j++) trace += S[gauss_tri(j) + j];
    double mu = trace / (double)d;
    for (size_t j = 0; j < gauss_tri(d); j++) S[j] *= 1.0 - shrinkage;
    for (size_t j = 0; j < d; j++) S[gauss_tri(j) + j] += shrinkage * mu;
}

effad_status gauss_ledoit_wolf(gauss_stats *s, double *mean, double *cov,
                               double *shrinkage, effad_error *e)
{
    effad_status st = gauss_stats_moments(s, mean, cov, e);
    if (st) return st;
    double c4;
    if ((st = gauss_stats_centered_fourth(s, &c4, e))) return st;
    double sh = gauss_lw_shrinkage(cov, s->dim, s->n, c4);
    gauss_lw_apply(cov, s->dim, sh);
    if (shrinkage) *shrinkage = sh;
    return EFFAD_OK;
}
