/*
 * test-gauss-chol.c -- Cholesky factor, its error on matrices that are not
 * positive definite, the precision matrix, and Mahalanobis on known cases.
 */
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "test-pool.h"
#include "gauss-golden.h"
#include "gauss.h"

/* The lower triangle of the square A (d x d), packed (gauss.h): a new
 * buffer, as gauss_cholesky takes it. */
static double *pack_lower(const double *A, size_t d)
{
    double *P = malloc(gauss_tri(d) * sizeof *P);
    for (size_t i = 0; i < d; i++) memcpy(P + gauss_tri(i), A + i * d, (i + 1) * sizeof *P);
    return P;
}

static void check_known_factor(void)
{
    /* A = L L^T with L = [[2,0,0],[1,3,0],[-1,0.5,1]] */
    double L0[9] = { 2, 0, 0, 1, 3, 0, -1, 0.5, 1 };
    double A[9];
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) {
            double s = 0;
            for (int k = 0; k < 3; k++) s += L0[i * 3 + k] * L0[j * 3 + k];
            A[i * 3 + j] = s;
        }
    /* packed: the rows' lower parts one after the other, in and out */
    double *Lp = pack_lower(A, 3);
    effad_error e;
    CHECK(gauss_cholesky(Lp, 3, NULL, &e) == EFFAD_OK);
    const double want_packed[6] = { 2, 1, 3, -1, 0.5, 1 };
    CHECK(rel_err_norm(Lp, want_packed, 6) < 1e-15);
    double P[9], W[9], mean[3] = { 1, -2, 0.5 }, work[3];
    gauss_precision_from_chol(Lp, 3, P, W);
    /* P * (L L^T) = I */
    double worst = 0;
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) {
            double s = 0;
            for (int k = 0; k < 3; k++) {
                double a = 0;
                for (int m = 0; m < 3; m++) a += L0[k * 3 + m] * L0[j * 3 + m];
                s += P[i * 3 + k] * a;
            }
            double r = fabs(s - (i == j));
            if (r > worst) worst = r;
        }
    CHECK_MSG(worst < 1e-14, "P A - I: %g", worst);

    /* x - mean = L0 [1,1,1]^T  =>  distance sqrt(3) */
    float x[3] = { (float)(1 + 2), (float)(-2 + 4), (float)(0.5 + 0.5) };
    CHECK_NEAR(gauss_mahalanobis_chol(Lp, mean, x, 3, work), sqrt(3.0), 1e-15);
    CHECK_NEAR(gauss_mahalanobis_vi(P, mean, x, 3, work), sqrt(3.0), 1e-14);
    float at_mean[3] = { 1, -2, 0.5 };
    CHECK(gauss_mahalanobis_chol(Lp, mean, at_mean, 3, work) == 0);
    free(Lp);
}

static void check_not_pd(void)
{
    effad_error e;
    /* lower triangles, packed: (0,0) (1,0) (1,1) ... */
    double indefinite[3] = { 1, 2, 1 };
    CHECK(gauss_cholesky(indefinite, 2, NULL, &e) == EFFAD_ERR_NUMERIC);
    CHECK_ERR_HAS(e, "not positive definite");
    CHECK_ERR_HAS(e, "pivot 1 of 2");

    double singular[6] = { 1, 1, 1, 1, 1, 1 };   /* rank 1 */
    CHECK(gauss_cholesky(singular, 3, NULL, &e) == EFFAD_ERR_NUMERIC);
    CHECK_ERR_HAS(e, "pivot 1 of 3");

    double zero_diag[3] = { 0, 0, 1 };
    CHECK(gauss_cholesky(zero_diag, 2, NULL, &e) == EFFAD_ERR_NUMERIC);
    CHECK_ERR_HAS(e, "pivot 0 of 2");

    double nan_entry[3] = { 1, NAN, 1 };
    CHECK(gauss_cholesky(nan_entry, 2, NULL, &e) == EFFAD_ERR_NUMERIC);

    /* singular to working precision, not exactly: still refused */
    double nearly[3] = { 1, 1, 1 + 1e-17 };
    CHECK(gauss_cholesky(nearly, 2, NULL, &e) == EFFAD_ERR_NUMERIC);

    /* an unshrunk covariance of 2 samples in 3-d is rank 1 */
    gauss_stats s;
    gauss_stats_init(&s, 3, &e);
    float a[3] = { 1, 2, 3 }, b[3] = { 2, 0, 5 };
    gauss_stats_add(&s, a, &e);
    gauss_stats_add(&s, b, &e);
    double mean[3], cov[6];
    gauss_stats_moments(&s, mean, cov, &e);
    CHECK(gauss_cholesky(cov, 3, NULL, &e) == EFFAD_ERR_NUMERIC);
    CHECK_ERR_HAS(e, "pivot 1");
    /* Ledoit-Wolf does not rescue n == 2: the two centred samples are
     * c and -c, so sum |c_i|^4 / n equals ||S||_F^2, beta = 0 and sklearn's
     * shrinkage is exactly 0 too. */
    gauss_level lv = { 0 };
    CHECK(gauss_level_fit(&lv, &s, NULL, &e) == EFFAD_ERR_NUMERIC);
    gauss_stats_free(&s);
    /* three samples in 4-d: sklearn's shrinkage is 0.35031538088306646 and
     * the shrunk matrix is positive definite */
    gauss_stats_init(&s, 4, &e);
    float r[3][4] = { { 1, 2, 3, 0 }, { 2, 0, 5, 1 }, { 0, 1, 1, 1 } };
    for (int i = 0; i < 3; i++) gauss_stats_add(&s, r[i], &e);
    CHECK(gauss_level_fit(&lv, &s, NULL, &e) == EFFAD_OK);
    CHECK_NEAR(lv.shrinkage, 0.35031538088306646, 1e-14);
    gauss_level_free(&lv);
    gauss_stats_free(&s);
}

/* A larger random SPD matrix: the factor reproduces it. */
static void check_random_spd(void)
{
    size_t d = 97;
    double *G = malloc(d * d * sizeof *G), *A = malloc(d * d * sizeof *A);
    unsigned long long st = 88172645463325252ull;
    for (size_t i = 0; i < d * d; i++) {
        st ^= st << 13; st ^= st >> 7; st ^= st << 17;
        G[i] = (double)(st >> 11) / 9007199254740992.0 - 0.5;
    }
    for (size_t i = 0; i < d; i++)
        for (size_t j = 0; j < d; j++) {
            double s = i == j ? 0.5 : 0;
            for (size_t k = 0; k < d; k++) s += G[i * d + k] * G[j * d + k];
            A[i * d + j] = s;
        }
    double *L = pack_lower(A, d);
    effad_error e;
    CHECK(gauss_cholesky(L, d, NULL, &e) == EFFAD_OK);
    double worst = 0, scale = 0;
    for (size_t i = 0; i < d; i++)
        for (size_t j = 0; j <= i; j++) {
            double s = 0;
            for (size_t k = 0; k <= j; k++) s += L[gauss_tri(i) + k] * L[gauss_tri(j) + k];
            if (fabs(s - A[i * d + j]) > worst) worst = fabs(s - A[i * d + j]);
            if (fabs(A[i * d + j]) > scale) scale = fabs(A[i * d + j]);
        }
    CHECK_MSG(worst / scale < 1e-14, "L L^T - A: %g", worst / scale);
    free(G); free(A); free(L);
}

/* The threaded factor (rows of each block shared) is the serial one bit
 * for bit: a stand-in pool always, the real pool in a threads build. */
static void check_threads_same_bits(void)
{
    size_t d = 203;   /* five blocks of rows and a ragged last one */
    const size_t n = gauss_tri(d);   /* lower triangles, packed */
    double *A = malloc(n * sizeof *A), *L1 = malloc(n * sizeof *L1), *Lt = malloc(n * sizeof *Lt);
    unsigned long long st = 0x9E3779B97F4A7C15ull;
    for (size_t i = 0; i < d; i++)
        for (size_t j = 0; j <= i; j++) {
            st ^= st << 13; st ^= st >> 7; st ^= st << 17;
            A[gauss_tri(i) + j] = ((double)(st >> 11) / 9007199254740992.0 - 0.5) / (double)d;
        }
    for (size_t i = 0; i < d; i++) A[gauss_tri(i) + i] += 1.0;   /* diagonally dominant: SPD */
    effad_error e;
    memcpy(L1, A, n * sizeof *L1);
    CHECK(gauss_cholesky(L1, d, NULL, &e) == EFFAD_OK);
    effad_threads uneven = { test_uneven_parallel_for, 2 };
    memcpy(Lt, A, n * sizeof *Lt);
    CHECK(gauss_cholesky(Lt, d, &uneven, &e) == EFFAD_OK);
    CHECK_MSG(!memcmp(L1, Lt, n * sizeof *Lt), "%s", "uneven ranges: the factor's bits differ");
#ifdef EFFAD_HAVE_THREADS
    for (int nt = 2; nt <= 3; nt++) {
        effad_threads *t = effad_threads_create(nt, &e);
        CHECK_MSG(t != NULL, "pool of %d: %s", nt, e.msg);
        if (!t) continue;
        memcpy(Lt, A, n * sizeof *Lt);
        CHECK(gauss_cholesky(Lt, d, t, &e) == EFFAD_OK);
        CHECK_MSG(!memcmp(L1, Lt, n * sizeof *Lt), "%d threads: the factor's bits differ", nt);
        effad_threads_destroy(t);
    }
#endif
    free(A); free(L1); free(Lt);
}

/* The four-at-a-time paths (gauss_dot4: the factor's rows in fours, the
 * moment updates, the training images' distances in fours) give every
 * number the bits of the one-at-a-time gauss_dot they replaced: checked
 * against gauss_dot itself, a Cholesky written plainly with it, and
 * single distances, including a ragged tail and a non-finite feature. */
static void check_blocked_same_bits(void)
{
    unsigned long long st = 0x2545F4914F6CDD1Dull;
#define RND() (st ^= st << 13, st ^= st >> 7, st ^= st << 17, (double)(st >> 11) / 9007199254740992.0 - 0.5)
    double a[13], b[4][13];
    for (size_t n = 0; n <= 13; n++) {
        for (size_t i = 0; i < 13; i++) { a[i] = RND(); for (int r = 0; r < 4; r++) b[r][i] = RND() * 1e3; }
        double got[4];
        gauss_dot4(a, b[0], b[1], b[2], b[3], n, got);
        for (int r = 0; r < 4; r++) {
            const double want = gauss_dot(a, b[r], n);
            CHECK_MSG(!memcmp(&got[r], &want, sizeof want), "gauss_dot4 n=%zu row %d: %.17g vs %.17g", n, r, got[r], want);
        }
    }

    size_t d = 131;   /* blocks of 48 rows, fours inside them, ragged ends */
    double *A = malloc(d * d * sizeof *A), *R = malloc(d * d * sizeof *R);
    for (size_t i = 0; i < d; i++)
        for (size_t j = 0; j <= i; j++) A[i * d + j] = A[j * d + i] = RND() / (double)d;
    for (size_t i = 0; i < d; i++) A[i * d + i] += 1.0;
    effad_error e;
    double *L = pack_lower(A, d);
    CHECK(gauss_cholesky(L, d, NULL, &e) == EFFAD_OK);
    memset(R, 0, d * d * sizeof *R);
    for (size_t i = 0; i < d; i++) {
        double *ri = R + i * d;
        for (size_t j = 0; j < i; j++) ri[j] = (A[i * d + j] - gauss_dot(ri, R + j * d, j)) / R[j * d + j];
        ri[i] = sqrt(A[i * d + i] - gauss_dot(ri, ri, i));
    }
    int same = 1;
    for (size_t i = 0; i < d; i++) same &= !memcmp(L + gauss_tri(i), R + i * d, (i + 1) * sizeof *L);
    CHECK_MSG(same, "%s", "the blocked factor's bits differ from the plain one's");

    double mean[131], work[4 * 131], got[4];
    float x[4][131];
    for (size_t i = 0; i < d; i++) { mean[i] = RND(); for (int v = 0; v < 4; v++) x[v][i] = (float)(RND() * 4); }
    x[2][77] = INFINITY;
    const float *xs[4] = { x[0], x[1], x[2], x[3] };
    gauss_mahalanobis_chol4(L, mean, xs, d, work, got);
    for (int v = 0; v < 4; v++) {
        const double want = gauss_mahalanobis_chol(L, mean, x[v], d, work);
        CHECK_MSG(!memcmp(&got[v], &want, sizeof want), "distance %d: %.17g vs %.17g", v, got[v], want);
    }
    CHECK(isinf(got[2]) && got[2] > 0);
#undef RND
    free(A); free(L); free(R);
}

/* A distance is never NaN: an overflow (fuzz-gauss found a level whose
 * mean sits 7e306 away from a spread of 1e-3: inf - inf in the next row)
 * or a feature that is not a number gives +infinity, anomalous under any
 * threshold, where NaN would compare false and pass the part. */
static void check_never_nan(void)
{
    double L[3] = { 1e-3, 0, 1e-3 }, mean[2] = { -7e306, 0 }, work[2];   /* packed */
    float x[2] = { 0.5f, 0.25f };
    double r = gauss_mahalanobis_chol(L, mean, x, 2, work);
    CHECK_MSG(isinf(r) && r > 0, "overflowing distance is %g", r);
    double vi[4] = { 1e300, 1e300, 1e300, 1e300 };
    CHECK(isinf(gauss_mahalanobis_vi(vi, mean, x, 2, work)));
    mean[0] = 0;
    x[1] = NAN;
    r = gauss_mahalanobis_chol(L, mean, x, 2, work);
    CHECK_MSG(isinf(r) && r > 0, "distance of a NaN feature is %g", r);
    x[1] = 0.25f;
    CHECK_NEAR(gauss_mahalanobis_chol(L, mean, x, 2, work), sqrt(500.0 * 500.0 + 250.0 * 250.0), 1e-9);
}

int main(void)
{
    check_never_nan();
    check_known_factor();
    check_not_pd();
    check_random_spd();
    check_threads_same_bits();
    check_blocked_same_bits();
    return check_done("test-gauss-chol");
}
