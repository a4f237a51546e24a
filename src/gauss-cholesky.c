/*
 * gauss-cholesky.c -- Cholesky factor of the shrunk covariance, and the
 * precision matrix from it.
 *
 * The model keeps L (Sigma = L L^T) rather than Sigma^-1: a Mahalanobis
 * distance is then one forward substitution (|L^-1 (x - mu)|), which is
 * as cheap as the quadratic form with the inverse and better conditioned
 * (it works with cond(Sigma)^(1/2) per triangular solve instead of
 * cond(Sigma) for an explicit inverse). The inverse is still available to
 * compare against the references, which use np.linalg.inv(cov) (ailia) or
 * LedoitWolf().precision_ (the paper's code).
 */
#include <float.h>
#include <math.h>
#include "gauss.h"

/* Row-oriented (Cholesky-Banachiewicz): L[i][j] is a dot product of two
 * contiguous row prefixes -- of the packed lower triangle's rows (gauss.h),
 * so the matrix is factored where it lies, in half the memory of a square
 * (until 2026-12-06 the square, then packed by a copy). Done one row at a
 * time, every row re-reads the whole factor so far (13 MB on average at
 * d = 2560) and the loop runs at memory speed; so rows go in blocks of
 * ROWS, and each row j of the factor is read once per block while the
 * block's rows stay in cache. Within the block, column j of every row is
 * finished before column j + 1, which is all the recurrence needs.
 *
 * The columns left of a block (j < i0) come from rows that are already
 * final, so there the block's rows are independent of each other: they are
 * shared among the threads (at d = 1280, the head level of a B0, this part
 * is 95 % of the factor's work, which was the serial tail of a threaded
 * fit). Every entry is computed by the same instructions in the same order
 * whoever computes it, so the factor is bit for bit the same for any
 * number of threads. The triangle inside the block stays on one thread.
 *
 * Tried and not kept: the dots in AVX2 (each of gauss_dot's four sums one
 * lane of a ymm register, multiply then add: the same bits). Eight rows of
 * 1280 against one, from L2: 0.78-0.90 us against 0.96-1.06 for the pairs
 * of doubles gauss_dot4 compiles to, eight rows at once 0.70-0.87; the
 * factor of a 1280-feature level would take ~0.8 of its time, under 1 %
 * of a B0 fit of 200 images, for a second code path and a CPU dispatch in
 * the Gaussian core. */
#define ROWS 48

typedef struct chol_block {
    double *a;        /* lower triangle, packed */
    size_t i0, rows;
} chol_block;

/* Rows [i0 + begin, i0 + end) of the block, every column left of it:
 * column by column, as the serial recurrence goes, so each row j of the
 * factor is read once per range while the range's rows stay in cache. */
static void chol_left_range(void *ctx, int worker, int begin, int end)
{
    (void)worker;
    const chol_block *b = ctx;
    const size_t lo = b->i0 + (size_t)begin, hi = b->i0 + (size_t)end;
    for (size_t j = 0; j < b->i0; j++) {
        const double *lj = b->a + gauss_tri(j);
        size_t i = lo;
        for (; i + 4 <= hi; i += 4) {   /* four rows against row j at once */
            double *l4[4] = { b->a + gauss_tri(i), b->a + gauss_tri(i + 1), b->a + gauss_tri(i + 2), b->a + gauss_tri(i + 3) };
            double dot[4];
            gauss_dot4(lj, l4[0], l4[1], l4[2], l4[3], j, dot);
            for (int r = 0; r < 4; r++) l4[r][j] = (l4[r][j] - dot[r]) / lj[j];
        }
        for (; i < hi; i++) {
            double *li = b->a + gauss_tri(i);
            li[j] = (li[j] - gauss_dot(li, lj, j)) / lj[j];
        }
    }
}

effad_status gauss_cholesky(double *a, size_t d, effad_threads *threads, effad_error *e)
{
    for (size_t i0 = 0; i0 < d; i0 += ROWS) {
        size_t i1 = i0 + ROWS < d ? i0 + ROWS : d;
        chol_block blk = { a, i0, i1 - i0 };
        if (i0 && threads && threads->n_threads > 1) threads->parallel_for(threads, chol_left_range, &blk, (int)blk.rows);
        else chol_left_range(&blk, 0, 0, (int)blk.rows);
        for (size_t j = i0; j < i1; j++) {
            const double *lj = a + gauss_tri(j);
            for (size_t i = j; i < i1; i++) {
                double *li = a + gauss_tri(i);
                double s = li[j] - gauss_dot(li, lj, j);
                if (i > j) { li[j] = s / lj[j]; continue; }
                /* A pivot that is not clearly positive against its own
                 * diagonal entry means the matrix is singular to working
                 * precision (an unshrunk covariance of fewer samples than
                 * features, a constant feature): the distances would be
                 * rounding noise. */
                double aii = li[i];
                if (!(s > 0) || !isfinite(s) || s <= (double)d * DBL_EPSILON * aii)
                    return effad_fail(e, EFFAD_ERR_NUMERIC,
                                      "covariance is not positive definite: pivot %zu of %zu "
                                      "is %g (diagonal entry %g)", i, d, s, aii);
                li[i] = sqrt(s);
            }
        }
    }
    return EFFAD_OK;
}

void gauss_precision_from_chol(const double *L, size_t d, double *P, double *work)
{
    /* work <- L^-1 (lower), column by column, then P = L^-T L^-1. */
    double *W = work;
    for (size_t i = 0; i < d * d; i++) W[i] = 0;
    for (size_t j = 0; j < d; j++) {
        W[j * d + j] = 1.0 / L[gauss_tri(j) + j];
        for (size_t i = j + 1; i < d; i++) {
            const double *li = L + gauss_tri(i);
            double s = 0;
            for (size_t k = j; k < i; k++) s -= li[k] * W[k * d + j];
            W[i * d + j] = s / li[i];
        }
    }
    for (size_t i = 0; i < d; i++)
        for (size_t k = i; k < d; k++) {
            double s = 0;
            for (size_t m = k; m < d; m++) s += W[m * d + i] * W[m * d + k];
            P[i * d + k] = s;
            P[k * d + i] = s;
        }
}
