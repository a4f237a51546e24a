/*
 * gauss-maps.c -- per-location Gaussians (PaDiM); see gauss-maps.h.
 * The statistics, Ledoit-Wolf and Cholesky are the image-level ones
 * (gauss-moments.c, gauss-ledoit-wolf.c, gauss-cholesky.c), run once per
 * location.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "gauss-maps.h"

void maps_parallel(effad_threads *t, effad_range_fn fn, void *ctx, int n)
{
    if (n <= 0) return;
    if (t && t->n_threads > 1) t->parallel_for(t, fn, ctx, n);
    else fn(ctx, 0, 0, n);
}

static int n_workers(const effad_threads *t) { return t && t->n_threads > 1 ? t->n_threads : 1; }

/* A failure inside a parallel loop: each worker keeps its first (lowest
 * location) one, and the lowest over workers is reported, so the message
 * does not depend on how the ranges were cut. */
typedef struct worker_fail { size_t at; effad_status st; effad_error err; } worker_fail;

static worker_fail *fails_new(int workers)
{
    worker_fail *f = calloc((size_t)workers, sizeof *f);
    for (int w = 0; f && w < workers; w++) f[w].at = SIZE_MAX;
    return f;
}

static effad_status fails_report(worker_fail *f, int workers, effad_error *e)
{
    int best = -1;
    for (int w = 0; w < workers; w++)
        if (f[w].st && (best < 0 || f[w].at < f[best].at)) best = w;
    effad_status st = best < 0 ? EFFAD_OK : f[best].st;
    if (best >= 0 && e) *e = f[best].err;
    free(f);
    return st;
}

/* ------------------------------------------------------ statistics */

uint64_t gauss_maps_stats_bytes(uint64_t locations, uint64_t dim)
{
    /* gauss_stats_init: shift, sum, sum_y2y, the cross products' packed
     * triangle and the d x GAUSS_STATS_BATCH pending block, all double */
    return locations * (sizeof(gauss_stats) + 8 * (dim * (3 + GAUSS_STATS_BATCH) + gauss_tri(dim)) +
                        4 * dim * GAUSS_STATS_BATCH);
}

effad_status gauss_maps_stats_init(gauss_maps_stats *s, size_t locations, size_t dim, effad_error *e)
{
    memset(s, 0, sizeof *s);
    if (!locations || !dim || dim > MAPS_MAX_DIM)
        return effad_fail(e, EFFAD_ERR_ARG, "map statistics: %zu locations of %zu dimensions", locations, dim);
    if (!(s->loc = calloc(locations, sizeof *s->loc)) ||
        !(s->pending = malloc(GAUSS_STATS_BATCH * locations * dim * sizeof *s->pending))) {
        free(s->loc);
        s->loc = 0;
        return effad_fail(e, EFFAD_ERR_NOMEM, "no memory for the statistics of %zu locations", locations);
    }
    s->locations = locations;
    s->dim = dim;
    for (size_t l = 0; l < locations; l++) {
        effad_status st = gauss_stats_init(&s->loc[l], dim, e);
        if (st) {
            gauss_maps_stats_free(s);
            return effad_fail(e, st, "no memory for the statistics of %zu locations x %zu dimensions (%llu bytes)",
                              locations, dim, (unsigned long long)gauss_maps_stats_bytes(locations, dim));
        }
    }
    return EFFAD_OK;
}

void gauss_maps_stats_free(gauss_maps_stats *s)
{
    if (!s) return;
    for (size_t l = 0; s->loc && l < s->locations; l++) gauss_stats_free(&s->loc[l]);
    free(s->loc);
    free(s->pending);
    memset(s, 0, sizeof *s);
}

typedef struct add_ctx { gauss_maps_stats *s; const float *v; gauss_maps_stats *from; worker_fail *fail; } add_ctx;

static void add_range(void *vctx, int worker, int begin, int end)
{
    add_ctx *c = vctx;
    const gauss_maps_stats *s = c->s;
    size_t image = s->locations * s->dim;
    for (int l = begin; l < end; l++)
        for (size_t p = 0; p < s->n_pending; p++) {
            effad_error err;
            /* finiteness was checked when the image came, so this cannot fail */
            gauss_stats_add(&s->loc[l], s->pending + p * image + (size_t)l * s->dim, &err);
        }
    (void)worker;
}

void gauss_maps_stats_sync(gauss_maps_stats *s, effad_threads *threads)
{
    if (!s->n_pending) return;
    add_ctx c = { s, 0, 0, 0 };
    maps_parallel(threads, add_range, &c, (int)s->locations);
    s->n_pending = 0;
}

effad_status gauss_maps_stats_add(gauss_maps_stats *s, const float *vectors, effad_threads *threads, effad_error *e)
{
    size_t n = s->locations * s->dim;
    for (size_t i = 0; i < n; i++)
        if (!isfinite(vectors[i]))
            return effad_fail(e, EFFAD_ERR_NUMERIC, "feature %zu at map location %zu is not finite",
                              i % s->dim, i / s->dim);
    memcpy(s->pending + s->n_pending * n, vectors, n * sizeof *vectors);
    if (++s->n_pending == GAUSS_STATS_BATCH) gauss_maps_stats_sync(s, threads);
    return EFFAD_OK;
}

static void merge_range(void *vctx, int worker, int begin, int end)
{
    add_ctx *c = vctx;
    for (int l = begin; l < end; l++) {
        worker_fail *f = &c->fail[worker];
        if (f->st) return;
        effad_status st = gauss_stats_merge(&c->s->loc[l], &c->from->loc[l], &f->err);
        if (st) { f->st = st; f->at = (size_t)l; }
    }
}

effad_status gauss_maps_stats_merge(gauss_maps_stats *into, gauss_maps_stats *from, effad_threads *threads, effad_error *e)
{
    if (into->locations != from->locations || into->dim != from->dim)
        return effad_fail(e, EFFAD_ERR_MISMATCH, "cannot merge map statistics of %zu x %zu into %zu x %zu",
                          from->locations, from->dim, into->locations, into->dim);
    int workers = n_workers(threads);
    add_ctx c = { into, 0, from, fails_new(workers) };
    if (!c.fail) return effad_fail(e, EFFAD_ERR_NOMEM, "out of memory");
    gauss_maps_stats_sync(into, threads);
    gauss_maps_stats_sync(from, threads);
    maps_parallel(threads, merge_range, &c, (int)into->locations);
    return fails_report(c.fail, workers, e);
}

/* ------------------------------------------------------------ fit */

typedef struct fit_ctx {
    gauss_maps *m;
    double *scratch;          /* per worker: mean (d) + covariance (gauss_tri(d), packed) */
    worker_fail *fail;
} fit_ctx;

static effad_status fit_location(gauss_maps *m, gauss_stats *s, size_t l, double *mean, double *cov, effad_error *e)
{
    size_t d = m->dim;
    effad_status st;
    if (m->cov == MAPS_COV_LW) {
        double shrinkage;
        if ((st = gauss_ledoit_wolf(s, mean, cov, &shrinkage, e))) return st;
    } else {
        if (s->n < 2)
            return effad_fail(e, EFFAD_ERR_ARG, "a sample covariance needs at least 2 images, there are %llu",
                              (unsigned long long)s->n);
        if ((st = gauss_stats_moments(s, mean, cov, e))) return st;
        /* gauss_stats_moments divides by n (sklearn); PaDiM's np.cov by n - 1 */
        double unbias = (double)s->n / (double)(s->n - 1);
        for (size_t i = 0; i < gauss_tri(d); i++) cov[i] *= unbias;
        for (size_t i = 0; i < d; i++) cov[gauss_tri(i) + i] += m->eps;
    }
    if ((st = gauss_cholesky(cov, d, NULL, e))) return st;
    float *mu = m->mean + l * d, *L = m->chol + l * gauss_tri(d);
    for (size_t j = 0; j < d; j++) mu[j] = (float)mean[j];
    for (size_t j = 0; j < gauss_tri(d); j++) L[j] = (float)cov[j];
    return EFFAD_OK;
}

static void fit_range(void *vctx, int worker, int begin, int end)
{
    fit_ctx *c = vctx;
    size_t d = c->m->dim;
    double *mean = c->scratch + (size_t)worker * (d + gauss_tri(d)), *cov = mean + d;
    worker_fail *f = &c->fail[worker];
    for (int l = begin; l < end && !f->st; l++) {
        effad_status st = fit_location(c->m, &c->m->stats->loc[l], (size_t)l, mean, cov, &f->err);
        if (st) {
            effad_error where;
            effad_fail(&where, st, "map location %d (row %d, column %d)", l, l / (int)c->m->grid_w, l % (int)c->m->grid_w);
            effad_error_prefix(&f->err, where.msg);
            f->st = st;
            f->at = (size_t)l;
        }
    }
}

effad_status gauss_maps_fit(gauss_maps *m, effad_threads *threads, effad_error *e)
{
    size_t L = gauss_maps_locations(m), d = m->dim;
    if (!m->stats || m->stats->locations != L || m->stats->dim != d)
        return effad_fail(e, EFFAD_ERR_ARG, "the map model holds no statistics of its shape to fit from");
    gauss_maps_stats_sync(m->stats, threads);
    int workers = n_workers(threads);
    float *mean = malloc(L * d * sizeof *mean), *chol = malloc(L * gauss_tri(d) * sizeof *chol);
    fit_ctx c = { m, malloc((size_t)workers * (d + gauss_tri(d)) * sizeof(double)), fails_new(workers) };
    if (!mean || !chol || !c.scratch || !c.fail) {
        free(mean); free(chol); free(c.scratch); free(c.fail);
        return effad_fail(e, EFFAD_ERR_NOMEM, "no memory to fit %zu Gaussians of %zu dimensions", L, d);
    }
    float *old_mean = m->mean, *old_chol = m->chol;
    m->mean = mean;
    m->chol = chol;
    maps_parallel(threads, fit_range, &c, (int)L);
    free(c.scratch);
    effad_status st = fails_report(c.fail, workers, e);
    if (st) {
        m->mean = old_mean; m->chol = old_chol;
        free(mean); free(chol);
        return st;
    }
    free(old_mean); free(old_chol);
    m->n = m->stats->loc[0].n;
    return EFFAD_OK;
}

/* ---------------------------------------------------------- score */

typedef struct score_ctx { const gauss_maps *m; const float *v; float *dist; double *work; } score_ctx;

/* A row of the float factor against the solved doubles, with four
 * independent sums (gauss_dot's reason: no reassociation without
 * -ffast-math, so one sum would wait on the add latency). */
static double dot_fd(const float *a, const double *b, size_t n)
{
    double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        s0 += (double)a[i] * b[i];
        s1 += (double)a[i + 1] * b[i + 1];
        s2 += (double)a[i + 2] * b[i + 2];
        s3 += (double)a[i + 3] * b[i + 3];
    }
    for (; i < n; i++) s0 += (double)a[i] * b[i];
    return (s0 + s1) + (s2 + s3);
}

static void score_range(void *vctx, int worker, int begin, int end)
{
    const score_ctx *c = vctx;
    size_t d = c->m->dim, tri = gauss_tri(d);
    double *y = c->work + (size_t)worker * d;
    for (int l = begin; l < end; l++) {
        const float *x = c->v + (size_t)l * d, *mu = c->m->mean + (size_t)l * d, *L = c->m->chol + (size_t)l * tri;
        double q = 0;
        /* forward substitution L y = x - mu, row by row of the packed factor */
        for (size_t j = 0; j < d; j++, L += j) {
            y[j] = ((double)x[j] - (double)mu[j] - dot_fd(L, y, j)) / (double)L[j];
            q += y[j] * y[j];
        }
        c->dist[l] = (float)sqrt(q);
    }
}

size_t gauss_maps_score_work(const gauss_maps *m, const effad_threads *threads)
{
    return (size_t)n_workers(threads) * m->dim;
}

void gauss_maps_score(const gauss_maps *m, const float *vectors, float *dist, double *work, effad_threads *threads)
{
    score_ctx c = { m, vectors, dist, work };
    maps_parallel(threads, score_range, &c, (int)gauss_maps_locations(m));
}

/* --------------------------------------------------------- housekeeping */

void gauss_maps_free(gauss_maps *m)
{
    if (!m) return;
    free(m->channel);
    free(m->mean);
    free(m->chol);
    if (m->stats) { gauss_maps_stats_free(m->stats); free(m->stats); }
    free(m->ignore);
    memset(m, 0, sizeof *m);
}

effad_status gauss_maps_set_ignore(gauss_maps *m, const uint8_t *mask, int w, int h, effad_error *e)
{
    const size_t np = (size_t)w * (size_t)h;
    uint64_t n = 0;
    for (size_t i = 0; i < np; i++) n += mask[i] != 0;
    if (!n || n == np)
        return effad_fail(e, EFFAD_ERR_ARG, "the don't-care mask (%dx%d) marks %s pixel", w, h, n ? "every" : "no");
    uint8_t *c = malloc(np);
    if (!c) return effad_fail(e, EFFAD_ERR_NOMEM, "out of memory for a %dx%d mask", w, h);
    for (size_t i = 0; i < np; i++) c[i] = mask[i] != 0;
    free(m->ignore);
    m->ignore = c;
    m->ignore_w = (uint32_t)w;
    m->ignore_h = (uint32_t)h;
    m->ignore_count = n;
    return EFFAD_OK;
}

effad_status gauss_maps_copy_layout(gauss_maps *dst, const gauss_maps *src, effad_error *e)
{
    memset(dst, 0, sizeof *dst);
    dst->grid_h = src->grid_h; dst->grid_w = src->grid_w;
    dst->n_taps = src->n_taps;
    memcpy(dst->tap, src->tap, sizeof dst->tap);
    memcpy(dst->tap_c, src->tap_c, sizeof dst->tap_c);
    dst->total_c = src->total_c;
    dst->dim = src->dim;
    dst->dims_seed = src->dims_seed;
    dst->cov = src->cov; dst->eps = src->eps; dst->sigma = src->sigma;
    if (!(dst->channel = malloc((size_t)src->dim * sizeof *dst->channel)))
        return effad_fail(e, EFFAD_ERR_NOMEM, "out of memory");
    memcpy(dst->channel, src->channel, (size_t)src->dim * sizeof *dst->channel);
    return src->ignore ? gauss_maps_set_ignore(dst, src->ignore, (int)src->ignore_w, (int)src->ignore_h, e) : EFFAD_OK;
}

const char *gauss_maps_layout_differs(const gauss_maps *a, const gauss_maps *b)
{
    if (a->grid_h != b->grid_h || a->grid_w != b->grid_w) return "the map grid";
    if (a->n_taps != b->n_taps || memcmp(a->tap, b->tap, a->n_taps * sizeof *a->tap) ||
        memcmp(a->tap_c, b->tap_c, a->n_taps * sizeof *a->tap_c))
        return "the map levels";
    if (a->dim != b->dim || memcmp(a->channel, b->channel, a->dim * sizeof *a->channel)) return "the map channels";
    if (a->cov != b->cov || (a->cov == MAPS_COV_EPS && a->eps != b->eps)) return "the map covariance";
    if (a->sigma != b->sigma) return "the map blur";
    if (!a->ignore != !b->ignore ||
        (a->ignore && (a->ignore_w != b->ignore_w || a->ignore_h != b->ignore_h ||
                       memcmp(a->ignore, b->ignore, (size_t)a->ignore_w * a->ignore_h))))
        return "the don't-care pixels";
    return 0;
}

uint64_t gauss_maps_model_bytes(const gauss_maps *m)
{
    return (uint64_t)gauss_maps_locations(m) * 4 * ((uint64_t)m->dim + gauss_tri(m->dim));
}
