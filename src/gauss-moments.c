/*
 * gauss-moments.c -- streaming, mergeable sufficient statistics of feature
 * vectors: everything the mean, the ML covariance and the Ledoit-Wolf
 * shrinkage need, in one pass, without keeping the features.
 *
 * The accumulators are moments of y = x - shift, where shift is the first
 * sample added (see gauss.h for why). Two facts make this exact:
 *   - moving the origin is a polynomial identity, so statistics about one
 *     shift can be re-expanded about another (merge, and centring at the
 *     end with m = sum/n);
 *   - sklearn's fourth-moment term sum_{j,k} sum_i c_ij^2 c_ik^2 equals
 *     sum_i |c_i|^4, a scalar, whose re-expansion needs only sum |y|^2 y
 *     and sum |y|^4 beyond the second moments.
 * Since the shift is a sample of the same distribution, |m| is of the
 * order of the spread and the re-expansions cancel by O(1), not by
 * |mean|^2 / variance as the raw sum x x^T - n mu mu^T would.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "big-buffer.h"
#include "gauss.h"

#define B GAUSS_STATS_BATCH

effad_status gauss_stats_init(gauss_stats *s, size_t dim, effad_error *e)
{
    memset(s, 0, sizeof *s);
    if (dim == 0 || dim > GAUSS_MAX_DIM)
        return effad_fail(e, EFFAD_ERR_ARG, "feature dimension %zu outside 1..%u",
                          dim, GAUSS_MAX_DIM);
    s->dim = dim;
    s->shift = calloc(dim, sizeof *s->shift);
    s->sum = calloc(dim, sizeof *s->sum);
    s->sum_y2y = calloc(dim, sizeof *s->sum_y2y);
    s->cross = big_zeroed(gauss_tri(dim), sizeof *s->cross);
    s->batch = calloc(dim * B, sizeof *s->batch);
    if (!s->shift || !s->sum || !s->sum_y2y || !s->cross || !s->batch) {
        gauss_stats_free(s);
        return effad_fail(e, EFFAD_ERR_NOMEM, "no memory for %zu-dim statistics", dim);
    }
    return EFFAD_OK;
}

void gauss_stats_free(gauss_stats *s)
{
    if (!s) return;
    free(s->shift); free(s->sum); free(s->sum_y2y); free(s->cross); free(s->batch);
    memset(s, 0, sizeof *s);
}

/* Row j of cross: its element k (k >= j) at [k]. */
static double *cross_row(const gauss_stats *s, size_t j) { return s->cross + gauss_upper(s->dim, j); }

/* Rank-k update of the upper triangle; batch is d rows of B values, so the
 * inner loop runs over contiguous memory for both operands. */
static void flush_row(gauss_stats *s, size_t j, size_t nb)
{
    const size_t d = s->dim;
    const double *yj = s->batch + j * B;
    double *row = cross_row(s, j);
    size_t k = j;
    for (; k + 4 <= d; k += 4) {
        const double *yk = s->batch + k * B;
        double dot[4];
        gauss_dot4(yj, yk, yk + B, yk + 2 * B, yk + 3 * B, nb, dot);
        for (int r = 0; r < 4; r++) row[k + (size_t)r] += dot[r];
    }
    for (; k < d; k++) row[k] += gauss_dot(yj, s->batch + k * B, nb);
}

/* Work unit u is rows u and d-1-u: d+1 dot products together whatever u,
 * so equal runs of units are equal work (row j alone has d - j). */
static void flush_units(void *ctx, int worker, int begin, int end)
{
    (void)worker;
    gauss_stats *s = ctx;
    for (size_t u = (size_t)begin; u < (size_t)end; u++) {
        flush_row(s, u, s->batch_n);
        if (s->dim - 1 - u != u) flush_row(s, s->dim - 1 - u, s->batch_n);
    }
}

/* A B0's head level (d = 1280) costs 26 M multiply-adds per flush: the
 * serial tail of a threaded fit, so the threads share the rows. Every
 * entry gets the same sum whoever computes it. Small levels stay serial:
 * a parallel region costs more than they do. */
#define FLUSH_THREADS_MIN_DIM 256

void gauss_stats_flush(gauss_stats *s)
{
    if (!s->batch_n) return;
    const int units = (int)((s->dim + 1) / 2);
    if (s->threads && s->threads->n_threads > 1 && s->dim >= FLUSH_THREADS_MIN_DIM)
        s->threads->parallel_for(s->threads, flush_units, s, units);
    else
        flush_units(s, 0, 0, units);
    s->batch_n = 0;
}

effad_status gauss_stats_add(gauss_stats *s, const float *x, effad_error *e)
{
    size_t d = s->dim;
    for (size_t j = 0; j < d; j++)
        if (!isfinite(x[j]))
            return effad_fail(e, EFFAD_ERR_NUMERIC, "feature %zu of sample %llu is not finite",
                              j, (unsigned long long)s->n);
    if (s->n == 0)
        for (size_t j = 0; j < d; j++) s->shift[j] = x[j];
    double q = 0;
    size_t col = s->batch_n;
    for (size_t j = 0; j < d; j++) {
        double y = (double)x[j] - s->shift[j];
        s->batch[j * B + col] = y;
        s->sum[j] += y;
        q += y * y;
    }
    for (size_t j = 0; j < d; j++) s->sum_y2y[j] += q * s->batch[j * B + col];
    s->sum_y4 += q * q;
    s->n++;
    if (++s->batch_n == B) gauss_stats_flush(s);
    return EFFAD_OK;
}

static double cross_at(const gauss_stats *s, size_t j, size_t k)
{
    return j <= k ? cross_row(s, j)[k] : cross_row(s, k)[j];
}

/* Adds the statistics of src, re-expanded about src->shift + m, to dst.
 * With z = y - m, n = src->n, s = sum y, C = sum y y^T, Q = tr C,
 * v = sum |y|^2 y, w = sum |y|^4:
 *   sum z          = s - n m
 *   sum z z^T      = C - m s^T - s m^T + n m m^T
 *   sum |z|^2 z    = v - 2 C m + |m|^2 s - Q m + 2 (m.s) m - n |m|^2 m
 *   sum |z|^4      = w - 4 m.v + 4 m^T C m + 2 |m|^2 Q - 4 |m|^2 (m.s) + n |m|^4
 * work: d doubles. src must be flushed. */
static void add_shifted(gauss_stats *dst, const gauss_stats *src, const double *m,
                        double *work)
{
    size_t d = src->dim;
    double n = (double)src->n;
    double mm = 0, ms = 0, mv = 0, Q = 0, mCm = 0;
    for (size_t j = 0; j < d; j++) {
        mm += m[j] * m[j];
        ms += m[j] * src->sum[j];
        mv += m[j] * src->sum_y2y[j];
        Q += cross_row(src, j)[j];
    }
    double *Cm = work;
    for (size_t j = 0; j < d; j++) {
        double acc = 0;
        for (size_t k = 0; k < d; k++) acc += cross_at(src, j, k) * m[k];
        Cm[j] = acc;
        mCm += m[j] * acc;
    }
    dst->sum_y4 += src->sum_y4 - 4 * mv + 4 * mCm + 2 * mm * Q - 4 * mm * ms + n * mm * mm;
    for (size_t j = 0; j < d; j++)
        dst->sum_y2y[j] += src->sum_y2y[j] - 2 * Cm[j] + mm * src->sum[j] - Q * m[j]
                           + 2 * ms * m[j] - n * mm * m[j];
    for (size_t j = 0; j < d; j++) {
        double *row = cross_row(dst, j);
        const double *srow = cross_row(src, j);
        for (size_t k = j; k < d; k++)
            row[k] += srow[k] - m[j] * src->sum[k] - src->sum[j] * m[k] + n * m[j] * m[k];
    }
    for (size_t j = 0; j < d; j++) dst->sum[j] += src->sum[j] - n * m[j];
    dst->n += src->n;
}

effad_status gauss_stats_merge(gauss_stats *into, gauss_stats *from, effad_error *e)
{
    if (into->dim != from->dim)
        return effad_fail(e, EFFAD_ERR_MISMATCH, "cannot merge %zu-dim statistics into %zu-dim ones",
                          from->dim, into->dim);
    if (into == from)
        return effad_fail(e, EFFAD_ERR_ARG, "cannot merge statistics into themselves");
    gauss_stats_flush(into);
    gauss_stats_flush(from);
    if (from->n == 0) return EFFAD_OK;
    size_t d = into->dim;
    if (into->n == 0) memcpy(into->shift, from->shift, d * sizeof *into->shift);
    double *m = malloc(2 * d * sizeof *m);
    if (!m) return effad_fail(e, EFFAD_ERR_NOMEM, "no memory to merge statistics");
    /* from's y about into's shift: z = x - into.shift = y - (into.shift - from.shift). */
    for (size_t j = 0; j < d; j++) m[j] = into->shift[j] - from->shift[j];
    add_shifted(into, from, m, m + d);
    free(m);
    /* a sum of fourth powers: rounding in the re-expansion must not make
     * it negative (the .gauss reader refuses that) */
    if (into->sum_y4 < 0) into->sum_y4 = 0;
    /* finite statistics can add up to infinity (or inf - inf) */
    int finite = isfinite(into->sum_y4);
    for (size_t j = 0; j < d; j++) finite &= isfinite(into->shift[j]) & isfinite(into->sum[j]) & isfinite(into->sum_y2y[j]);
    for (size_t j = 0; j < gauss_tri(d) && finite; j++) finite &= isfinite(into->cross[j]);
    if (!finite)
        return effad_fail(e, EFFAD_ERR_NUMERIC, "the merged statistics overflow (values too large to add up)");
    return EFFAD_OK;
}

effad_status gauss_stats_moments(gauss_stats *s, double *mean, double *cov, effad_error *e)
{
    size_t d = s->dim;
    if (s->n == 0)
        return effad_fail(e, EFFAD_ERR_ARG, "no samples: mean and covariance are undefined");
    gauss_stats_flush(s);
    double n = (double)s->n;
    /* Centre with m = sum/n directly, not with mean - shift: the mean is
     * large and the subtraction would throw away the low bits. */
    for (size_t j = 0; j < d; j++) mean[j] = s->shift[j] + s->sum[j] / n;
    /* entry (j, k), k >= j, of cross goes to row k of the lower triangle:
     * in tiles, so that both the rows read and the rows written stay in
     * cache (walking a column of a 6.5 MB triangle, d = 1280, misses on
     * every element) */
    enum { T = 32 };
    for (size_t j0 = 0; j0 < d; j0 += T)
        for (size_t k0 = j0; k0 < d; k0 += T)
            for (size_t j = j0; j < j0 + T && j < d; j++) {
                const double mj = s->sum[j] / n, *row = cross_row(s, j);
                for (size_t k = k0 > j ? k0 : j; k < k0 + T && k < d; k++)
                    cov[gauss_tri(k) + j] = (row[k] - mj * s->sum[k]) / n;
            }
    return EFFAD_OK;
}

effad_status gauss_stats_centered_fourth(gauss_stats *s, double *c4, effad_error *e)
{
    size_t d = s->dim;
    *c4 = 0;
    if (s->n == 0) return EFFAD_OK;
    gauss_stats_flush(s);
    double n = (double)s->n;
    double mm = 0, ms = 0, mv = 0, Q = 0, mCm = 0;
    /* acc[j] = sum over k = 0..d-1, in that order, of C[j][k] m[k], with
     * only the upper triangle stored. Row j of it adds the terms k >= j to
     * acc[j], which by then holds its terms k < j, and gives every later
     * acc[k] its term j (rows come in order, so the terms do too). Read by
     * rows, where a walk down column j missed the cache on every term; the
     * sums are the same, to the bit. */
    double *m = malloc(2 * d * sizeof *m);
    if (!m) return effad_fail(e, EFFAD_ERR_NOMEM, "no memory for a %zu-dim fourth moment", d);
    double *acc = m + d;
    for (size_t k = 0; k < d; k++) { m[k] = s->sum[k] / n; acc[k] = 0; }
    for (size_t j = 0; j < d; j++) {
        const double *row = cross_row(s, j);
        double a = acc[j];
        for (size_t k = j; k < d; k++) a += row[k] * m[k];
        for (size_t k = j + 1; k < d; k++) acc[k] += row[k] * m[j];
        const double mj = m[j];
        mm += mj * mj;
        ms += mj * s->sum[j];
        mv += mj * s->sum_y2y[j];
        Q += row[j];
        mCm += mj * a;
    }
    free(m);
    const double v = s->sum_y4 - 4 * mv + 4 * mCm + 2 * mm * Q - 4 * mm * ms + n * mm * mm;
    *c4 = v > 0 ? v : 0;     /* a sum of fourth powers; rounding must not flip it */
    return EFFAD_OK;
}
