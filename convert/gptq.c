/* GPTQ rounding of one layer's weights (gptq.h). */
#include <math.h>
#include <string.h>
#include "gptq.h"
#include "quant.h"

/* Rows rounded together against one shared factor: their errors are
 * kept column by column, so the feedback sum for column i is an axpy over
 * the rows (vectorisable), and a chunk's errors (k x GPTQ_ROWS doubles)
 * stay in cache while the factor streams past once per chunk. Chunks are
 * independent: a worker takes one at a time. */
#define GPTQ_ROWS 32
/* The factorisation takes FACTOR_ROWS rows at a time: every row above
 * them is read and written once per block instead of once per row
 * (B4's largest matrix is 29 MB: per row, that was memory-bound at a
 * third of the arithmetic's speed). */
#define FACTOR_ROWS 16

static size_t chunk_rows(int rows) { return rows < GPTQ_ROWS ? (size_t)(rows > 0 ? rows : 1) : GPTQ_ROWS; }

static size_t worker_bytes(int rows, int k)
{
    return gptq_round_up(sizeof(double) * (chunk_rows(rows) * (size_t)k + chunk_rows(rows)));
}

size_t gptq_round_scratch_bytes(int rows, int k, int n_workers)
{
    return (size_t)n_workers * worker_bytes(rows, k) + GPTQ_ALIGN;
}

/* ---------------------------------------------------- factorisation */

/* GCC at -O2 vectorises only loops it can run without a scalar
 * remainder; written four entries a step, with the remainder apart, the
 * loops below are (2-double vectors on plain x86-64), about 3x faster. */

/* row a (entries 0 .. n-1) -= sum over the block's rows i of coef_i R_i */
static void update_row(double *restrict ra, const double *const *ri, const double *coef, int nb, int n)
{
    int i = 0;
    for (; i + 4 <= nb; i += 4) {
        const double c0 = coef[i], c1 = coef[i + 1], c2 = coef[i + 2], c3 = coef[i + 3];
        const double *restrict r0 = ri[i], *restrict r1 = ri[i + 1], *restrict r2 = ri[i + 2], *restrict r3 = ri[i + 3];
        int b = 0;
        for (; b + 4 <= n; b += 4)
            for (int u = 0; u < 4; u++) ra[b + u] -= c0 * r0[b + u] + c1 * r1[b + u] + c2 * r2[b + u] + c3 * r3[b + u];
        for (; b < n; b++) ra[b] -= c0 * r0[b] + c1 * r1[b] + c2 * r2[b] + c3 * r3[b];
    }
    for (; i < nb; i++) {
        const double c = coef[i], *restrict r = ri[i];
        int b = 0;
        for (; b + 4 <= n; b += 4)
            for (int u = 0; u < 4; u++) ra[b + u] -= c * r[b + u];
        for (; b < n; b++) ra[b] -= c * r[b];
    }
}

typedef struct factor_job {
    double *h;
    int i0, i1;                 /* the block just factorised */
    int n_parts;                /* rows [0, i0) in parts of about equal work */
} factor_job;

/* The rows above the block, part by part: row a costs ~a, so part p,
 * rows [i0 sqrt(p / n), i0 sqrt((p + 1) / n)), is a 1/n share. */
static void update_rows(void *ctx, int worker, int begin, int end)
{
    (void)worker;
    const factor_job *j = ctx;
    const double *ri[FACTOR_ROWS];
    double coef[FACTOR_ROWS];
    const int nb = j->i1 - j->i0;
    for (int i = 0; i < nb; i++) ri[i] = j->h + GPTQ_AT(j->i0 + i, 0);
    for (int p = begin; p < end; p++) {
        const int a0 = (int)(j->i0 * sqrt((double)p / j->n_parts)), a1 = (int)(j->i0 * sqrt((double)(p + 1) / j->n_parts));
        for (int a = a0; a < (p + 1 == j->n_parts ? j->i0 : a1); a++) {
            for (int i = 0; i < nb; i++) coef[i] = ri[i][a];
            update_row(j->h + GPTQ_AT(a, 0), ri, coef, nb, a + 1);
        }
    }
}

/* h = H + damping, dead inputs at 1 (the reference's order: the damping
 * uses the mean of the diagonal as given, dead entries counted as 0), then
 * factorised in place into R, H = R^T R, R lower triangular, worked from
 * the last row up (a Cholesky factorisation of H with the order of the
 * indices reversed); row i then holds R_ij / R_ii for j < i, the feedback
 * weights. 0 when H is not positive definite (non-finite inputs). */
static int factor(double *h, int k, effad_threads *threads)
{
    double mean = 0;
    for (int i = 0; i < k; i++) mean += h[GPTQ_AT(i, i)];
    mean /= k;
    for (int i = 0; i < k; i++) {
        double *d = &h[GPTQ_AT(i, i)];
        *d = *d == 0.0 ? 1.0 : *d + GPTQ_DAMP * mean + 1e-12;
    }
    for (int i1 = k; i1 > 0; i1 -= FACTOR_ROWS) {
        const int i0 = i1 - FACTOR_ROWS > 0 ? i1 - FACTOR_ROWS : 0;
        /* the block's own rows, one after the other */
        for (int i = i1 - 1; i >= i0; i--) {
            double *ri = h + GPTQ_AT(i, 0);
            if (!(ri[i] > 0.0) || !isfinite(ri[i])) return 0;
            const double rii = sqrt(ri[i]), inv = 1.0 / rii;
            for (int j = 0; j < i; j++) ri[j] *= inv;
            ri[i] = rii;
            for (int a = i0; a < i; a++) {
                const double c = ri[a];
                const double *rows[1] = { ri };
                update_row(h + GPTQ_AT(a, 0), rows, &c, 1, a + 1);
            }
        }
        /* then every row above it, all of the block at once */
        factor_job j = { h, i0, i1, 1 };
        if (threads && threads->n_threads > 1 && i0 >= 256) j.n_parts = 4 * threads->n_threads;
        if (i0 > 0) gptq_parallel(j.n_parts > 1 ? threads : 0, update_rows, &j, j.n_parts);
    }
    for (int i = 0; i < k; i++) {
        double *ri = h + GPTQ_AT(i, 0);
        const double inv = 1.0 / ri[i];
        for (int j = 0; j < i; j++) ri[j] *= inv;
    }
    return 1;
}

/* --------------------------------------------------------- rounding */

/* Rows [0, n) of w (stride k) against factor c: codes into q, scales s.
 * err: k x n, the rounding errors column by column; t: n. Inlined twice,
 * once with n the constant GPTQ_ROWS (whose loops then vectorise). */
static inline void round_rows(const float *w, int n, int k, const double *c, const float *s, double qmax, int8_t *q,
                              double *restrict err, double *restrict t)
{
    for (int i = 0; i < k; i++) {
        for (int r = 0; r < n; r++) t[r] = w[(size_t)r * k + i];
        const double *ci = c + GPTQ_AT(i, 0);
        int j = 0;
        for (; j + 4 <= i; j += 4) {
            const double f0 = ci[j], f1 = ci[j + 1], f2 = ci[j + 2], f3 = ci[j + 3];
            const double *e0 = err + (size_t)j * n, *e1 = e0 + n, *e2 = e1 + n, *e3 = e2 + n;
            for (int r = 0; r < n; r++) t[r] += f0 * e0[r] + f1 * e1[r] + f2 * e2[r] + f3 * e3[r];
        }
        for (; j < i; j++) {
            const double f = ci[j], *ej = err + (size_t)j * n;
            for (int r = 0; r < n; r++) t[r] += f * ej[r];
        }
        double *ei = err + (size_t)i * n;
        for (int r = 0; r < n; r++) {
            double v = nearbyint(t[r] / s[r]);   /* half to even, as the reference's torch.round */
            v = v > qmax ? qmax : v < -qmax ? -qmax : v;
            q[(size_t)r * k + i] = (int8_t)v;
            ei[r] = (double)w[(size_t)r * k + i] - v * s[r];
        }
    }
}

typedef struct round_job {
    const float *w;
    int rows, k;
    const double *c;
    const float *scale;
    double qmax;
    int8_t *q;
    uint8_t *work;
    size_t work_bytes;
} round_job;

static void round_chunks(void *ctx, int worker, int begin, int end)
{
    const round_job *j = ctx;
    const int chunk = (int)chunk_rows(j->rows);
    double *err = (double *)(void *)(j->work + (size_t)worker * j->work_bytes), *t = err + (size_t)chunk * j->k;
    for (int b = begin; b < end; b++) {
        const int r0 = b * chunk, n = j->rows - r0 < chunk ? j->rows - r0 : chunk;
        const float *w = j->w + (size_t)r0 * j->k;
        int8_t *q = j->q + (size_t)r0 * j->k;
        if (n == GPTQ_ROWS) round_rows(w, GPTQ_ROWS, j->k, j->c, j->scale + r0, j->qmax, q, err, t);
        else round_rows(w, n, j->k, j->c, j->scale + r0, j->qmax, q, err, t);
    }
}

int gptq_round(const float *w, int rows, int k, double *h, int per_row, int bits, int8_t *q, float *scale,
               effad_threads *threads, void *scratch)
{
    quant_weights(w, rows, k, bits, q, scale);   /* the scales that stay, and the fallback */
    const double qmax = (double)((1 << (bits - 1)) - 1);
    uint8_t *work = (uint8_t *)gptq_round_up((size_t)(uintptr_t)scratch);
    const size_t tri = GPTQ_TRI(k);
    int failed = 0;
    if (per_row) {   /* small (kh kw): one row after the other */
        double *err = (double *)(void *)work, *t = err + k;
        for (int r = 0; r < rows; r++) {
            double *hr = h + (size_t)r * tri;
            if (!factor(hr, k, 0)) { failed++; continue; }
            round_rows(w + (size_t)r * k, 1, k, hr, scale + r, qmax, q + (size_t)r * k, err, t);
        }
        return failed;
    }
    if (!factor(h, k, threads)) return 1;
    round_job j = { w, rows, k, h, scale, qmax, q, work, worker_bytes(rows, k) };
    gptq_parallel(threads, round_chunks, &j, (rows + GPTQ_ROWS - 1) / GPTQ_ROWS);
    return failed;
}
