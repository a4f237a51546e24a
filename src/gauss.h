/*
 * gauss.h -- the Gaussian core: streaming sufficient statistics, the
 * Ledoit-Wolf shrunk covariance, its Cholesky factor, Mahalanobis distances,
 * the chi-squared threshold rule and the `.gauss` model file.
 *
 * Rippel et al. 2020: per feature level, fit N(mu, Sigma) to the pooled
 * features of good images only, Sigma shrunk by Ledoit-Wolf exactly as
 * scikit-learn's LedoitWolf(assume_centered=False) computes it; the anomaly
 * score is the Mahalanobis distance, and under the model its square is
 * chi2(d) distributed, which gives thresholds without any defective images.
 *
 * Internal to the application (src/). Everything that can fail returns an
 * effad_status and leaves a message in the caller's effad_error. All math is
 * double; feature vectors arrive as float.
 */
#ifndef EFFAD_GAUSS_H
#define EFFAD_GAUSS_H

#include <stddef.h>
#include <stdint.h>
#include "effad.h"
#include "prep-spec.h"

/* Largest feature dimension accepted anywhere (the biggest EfficientNet
 * head is 2560 wide); bounds the matrices (d(d+1)/2 doubles each) a file
 * can ask for. */
#define GAUSS_MAX_DIM 16384u

/* Dot product with four independent sums: without -ffast-math the
 * compiler may not reassociate, and one running sum leaves the loop bound
 * by the FP add latency (4x slower on the d^3/6 Cholesky). */
static inline double gauss_dot(const double *a, const double *b, size_t n)
{
    double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        s0 += a[i] * b[i];
        s1 += a[i + 1] * b[i + 1];
        s2 += a[i + 2] * b[i + 2];
        s3 += a[i + 3] * b[i + 3];
    }
    for (; i < n; i++) s0 += a[i] * b[i];
    return (s0 + s1) + (s2 + s3);
}

/* out[r] = gauss_dot(a, br, n) for r = 0..3, each to the bit (the same
 * four sums in the same order), computed together: 16 independent sums,
 * where one gauss_dot's four still wait on the add latency, and a loaded
 * once for four. GCC and clang get the sums as pairs of doubles (their
 * vector extension: lanes are gauss_dot's s0,s1 and s2,s3), which is how
 * they already vectorise gauss_dot; their own vectoriser paired the sums
 * of different rows instead and gathered the operands (slower than four
 * gauss_dot calls). Other compilers get the scalar loop. */
#if defined(__GNUC__)
typedef double gauss_v2 __attribute__((vector_size(16)));
static inline gauss_v2 gauss_v2_load(const double *p)
{
    gauss_v2 v;
    __builtin_memcpy(&v, p, sizeof v);
    return v;
}
#endif

static inline void gauss_dot4(const double *a, const double *b0, const double *b1, const double *b2,
                              const double *b3, size_t n, double out[4])
{
    size_t i = 0;
#if defined(__GNUC__)
    const gauss_v2 zero = { 0, 0 };
    gauss_v2 p0 = zero, q0 = zero, p1 = zero, q1 = zero, p2 = zero, q2 = zero, p3 = zero, q3 = zero;
    for (; i + 4 <= n; i += 4) {
        const gauss_v2 x = gauss_v2_load(a + i), y = gauss_v2_load(a + i + 2);
        p0 += x * gauss_v2_load(b0 + i); q0 += y * gauss_v2_load(b0 + i + 2);
        p1 += x * gauss_v2_load(b1 + i); q1 += y * gauss_v2_load(b1 + i + 2);
        p2 += x * gauss_v2_load(b2 + i); q2 += y * gauss_v2_load(b2 + i + 2);
        p3 += x * gauss_v2_load(b3 + i); q3 += y * gauss_v2_load(b3 + i + 2);
    }
    double s00 = p0[0], s01 = p0[1], s02 = q0[0], s03 = q0[1], s10 = p1[0], s11 = p1[1], s12 = q1[0], s13 = q1[1];
    double s20 = p2[0], s21 = p2[1], s22 = q2[0], s23 = q2[1], s30 = p3[0], s31 = p3[1], s32 = q3[0], s33 = q3[1];
#else
    double s00 = 0, s01 = 0, s02 = 0, s03 = 0, s10 = 0, s11 = 0, s12 = 0, s13 = 0;
    double s20 = 0, s21 = 0, s22 = 0, s23 = 0, s30 = 0, s31 = 0, s32 = 0, s33 = 0;
    for (; i + 4 <= n; i += 4) {
        const double x0 = a[i], x1 = a[i + 1], x2 = a[i + 2], x3 = a[i + 3];
        s00 += x0 * b0[i]; s01 += x1 * b0[i + 1]; s02 += x2 * b0[i + 2]; s03 += x3 * b0[i + 3];
        s10 += x0 * b1[i]; s11 += x1 * b1[i + 1]; s12 += x2 * b1[i + 2]; s13 += x3 * b1[i + 3];
        s20 += x0 * b2[i]; s21 += x1 * b2[i + 1]; s22 += x2 * b2[i + 2]; s23 += x3 * b2[i + 3];
        s30 += x0 * b3[i]; s31 += x1 * b3[i + 1]; s32 += x2 * b3[i + 2]; s33 += x3 * b3[i + 3];
    }
#endif
    for (; i < n; i++) {
        s00 += a[i] * b0[i]; s10 += a[i] * b1[i]; s20 += a[i] * b2[i]; s30 += a[i] * b3[i];
    }
    out[0] = (s00 + s01) + (s02 + s03);
    out[1] = (s10 + s11) + (s12 + s13);
    out[2] = (s20 + s21) + (s22 + s23);
    out[3] = (s30 + s31) + (s32 + s33);
}

/* -------------------------------------------- packed symmetric storage */

/* Every d x d matrix of the core is symmetric or triangular, and is kept
 * as one triangle packed by rows, gauss_tri(d) doubles:
 *  - lower, row i (columns 0..i) from gauss_tri(i): covariances, the
 *    Cholesky factor and the .gauss file's factor;
 *  - upper, row j (columns j..d-1) from gauss_upper(d, j), so that element
 *    (j, k) is at gauss_upper(d, j) + k: the cross products, as the
 *    .gauss file stores them.
 * Half the memory of the square, and no fresh pages for a half nobody
 * reads: at a 1280-feature level each square was 13 MB, and the end of a
 * fit was mostly the kernel clearing their pages. Keeping the moment sums
 * and the covariance packed as well as the factor (2026-12-06; B0, 200
 * PNGs, four alternated runs each): `fit` peak RSS 58.2-58.5 -> 44.5-44.8
 * MB and 1.51-1.61 -> 1.45-1.57 s at one thread, 60.7-61.4 -> 47.1-48.8 MB
 * and 0.88-1.00 -> 0.84-0.95 s at two; with --maps (every location's sums
 * packed) 200-209 -> 151 MB and 1.69-1.73 -> 1.39-1.46 s. */
static inline size_t gauss_tri(size_t d) { return d * (d + 1) / 2; }
static inline size_t gauss_upper(size_t d, size_t j) { return j * d - j * (j + 1) / 2; }

/* ------------------------------------------------ sufficient statistics */

/* Samples buffered before one rank-k update of the cross-product matrix:
 * a rank-1 update per image streams the whole triangle through the cache
 * (26 MB at d = 2560); a rank-32 update does 32x the work per pass. */
#define GAUSS_STATS_BATCH 32u

/*
 * Exact, mergeable sufficient statistics for the mean, the ML covariance
 * AND the Ledoit-Wolf shrinkage, about a shift vector:
 *
 *   y_i   = x_i - shift          (shift = the first sample ever added)
 *   sum   = sum_i y_i            (d)
 *   cross = sum_i y_i y_i^T      (d x d, its upper triangle packed)
 *   sum_y2y = sum_i |y_i|^2 y_i  (d)
 *   sum_y4  = sum_i |y_i|^4      (scalar)
 *
 * Why a shift: sum x x^T - n mu mu^T cancels catastrophically when |mu| is
 * large against the spread (pooled activations sit far from 0). Moments
 * about a sample of the same distribution only cancel by O(1). Merging two
 * accumulators moves the second onto the first's shift with the exact
 * binomial re-expansion (gauss_stats_merge), so merge(a, b) == fit(a u b)
 * up to rounding.
 *
 * Why the two extra terms: sklearn's shrinkage needs sum_i |x_i - mu|^4
 * (its "beta_" is the sum of all entries of X2^T X2, which collapses to that
 * scalar), and |y - m|^4 with m = mu - shift expands into exactly these
 * moments. So no second pass and no cached features, O(d) extra memory.
 */
typedef struct gauss_stats {
    size_t dim;
    uint64_t n;
    double *shift;      /* d */
    double *sum;        /* d */
    double *sum_y2y;    /* d */
    double sum_y4;
    double *cross;      /* upper triangle packed (gauss_upper), gauss_tri(d)
                           doubles, complete after a flush */
    double *batch;      /* d*GAUSS_STATS_BATCH, y values not yet in cross */
    size_t batch_n;
    effad_threads *threads;   /* set by the owner while it adds: flushes share
                                 their rows (the same bits); NULL: serial */
} gauss_stats;

effad_status gauss_stats_init(gauss_stats *s, size_t dim, effad_error *e);
void gauss_stats_free(gauss_stats *s);
/* x: dim floats; a non-finite value is EFFAD_ERR_NUMERIC. */
effad_status gauss_stats_add(gauss_stats *s, const float *x, effad_error *e);
/* Folds pending samples into cross (and mirrors nothing: upper only). */
void gauss_stats_flush(gauss_stats *s);
/* into += from; from is flushed but otherwise unchanged. Statistics that
 * overflow when added are EFFAD_ERR_NUMERIC (into is then unusable). */
effad_status gauss_stats_merge(gauss_stats *into, gauss_stats *from, effad_error *e);

/* mean (d) and the maximum-likelihood covariance (divided by n, like
 * sklearn's empirical_covariance; lower triangle packed, gauss_tri(d)
 * doubles). Needs n >= 1. */
effad_status gauss_stats_moments(gauss_stats *s, double *mean, double *cov, effad_error *e);
/* *c4 = sum_i |x_i - mean|^4 from the statistics (flushes). */
effad_status gauss_stats_centered_fourth(gauss_stats *s, double *c4, effad_error *e);

/* ------------------------------------------------------- Ledoit-Wolf */

/* sklearn's ledoit_wolf_shrinkage from the ML covariance S (lower, packed),
 * n and sum_i |x_i - mu|^4. */
double gauss_lw_shrinkage(const double *S, size_t d, uint64_t n, double sum_c4);
/* In place: S <- (1 - shrinkage) S + shrinkage * trace(S)/d * I (S lower,
 * packed). */
void gauss_lw_apply(double *S, size_t d, double shrinkage);
/* mean, shrunk covariance (lower, packed) and the shrinkage of the
 * statistics. */
effad_status gauss_ledoit_wolf(gauss_stats *s, double *mean, double *cov,
                               double *shrinkage, effad_error *e);

/* ---------------------------------------- Cholesky and Mahalanobis */

/* In place: A (lower, packed) -> L with A = L L^T (lower, packed). Not
 * positive definite is EFFAD_ERR_NUMERIC naming the pivot. threads (or
 * NULL) share the rows of each block; the factor is the same bits for any
 * number. */
effad_status gauss_cholesky(double *a, size_t d, effad_threads *threads, effad_error *e);

/* The functions below take L packed (gauss_tri).
 * sqrt((x - mean)^T (L L^T)^-1 (x - mean)) by forward substitution;
 * work: d doubles. A distance that overflows, or a feature that is not
 * finite, gives +infinity (anomalous under any threshold), never NaN. */
double gauss_mahalanobis_chol(const double *L, const double *mean, const float *x,
                              size_t d, double *work);
/* The same for four vectors at once, each distance to the bit; work: 4 d
 * doubles. Each row of L is read once for four (gauss_dot4). */
void gauss_mahalanobis_chol4(const double *L, const double *mean, const float *const x[4], size_t d,
                             double *work, double out[4]);
/* (L L^T)^-1 into P (d*d full); work: d*d doubles. */
void gauss_precision_from_chol(const double *L, size_t d, double *P, double *work);
/* scipy.spatial.distance.mahalanobis(x, mean, VI); work: d doubles. */
double gauss_mahalanobis_vi(const double *VI, const double *mean, const float *x,
                            size_t d, double *work);

/* ----------------------------------------------------- chi2 thresholds */

/* Regularised incomplete gamma P(a, x) and Q(a, x) = 1 - P(a, x). */
double gauss_gamma_p(double a, double x);
double gauss_gamma_q(double a, double x);
/* scipy.stats.chi2.ppf(p, dof) for 0 < p < 1, dof > 0; NaN otherwise. */
double chi2_ppf(double p, double dof);
/* The paper's threshold on the Mahalanobis distance: sqrt(chi2.ppf(p, d)). */
double chi2_threshold(double p, double dof);
/* Probability mass within n sigma of a 1-d Gaussian: erf(n / sqrt 2). */
double p_from_sigma(double n_sigma);

/* --------------------------------------------------------- the model */

#define GAUSS_THRESHOLD_NAME 32u   /* bytes, NUL included */
#define GAUSS_MAX_THRESHOLDS 16u

typedef struct gauss_threshold {
    char name[GAUSS_THRESHOLD_NAME];
    double value;
} gauss_threshold;

typedef struct gauss_level {
    size_t dim;
    uint64_t n;                 /* samples the fit saw */
    double shrinkage;
    double *mean;               /* d */
    double *chol;               /* the Cholesky factor, packed (gauss_tri) */
    size_t n_thresholds;
    gauss_threshold thresholds[GAUSS_MAX_THRESHOLDS];
    gauss_stats *stats;         /* optional (NULL): kept for refits/merges */
    /* optional training features (n_features x dim, row-major; NULL if
     * none): what the reference's feature cache holds, so a merge can
     * re-score the training images under the merged model (the "2 x mean
     * training score" threshold needs them) without re-running the network */
    float *features;
    uint64_t n_features;
} gauss_level;

/* Fits a level from statistics: mean, Ledoit-Wolf, Cholesky (on threads,
 * or NULL). The level does not take the statistics (lv->stats stays as it
 * was). */
effad_status gauss_level_fit(gauss_level *lv, gauss_stats *s, effad_threads *threads, effad_error *e);
void gauss_level_free(gauss_level *lv);
/* Mahalanobis distance of x under the level; work: dim doubles. */
double gauss_level_score(const gauss_level *lv, const float *x, double *work);
/* Of four vectors (gauss_mahalanobis_chol4); work: 4 dim doubles. */
void gauss_level_score4(const gauss_level *lv, const float *const x[4], double *work, double out[4]);
/* Adds or replaces the threshold called name. */
effad_status gauss_level_set_threshold(gauss_level *lv, const char *name, double value,
                                       effad_error *e);
/* 0 and the value if the level has it, else -1. */
int gauss_level_threshold(const gauss_level *lv, const char *name, double *value);

typedef struct gauss_model {
    uint64_t model_hash;        /* of the .efm the features came from */
    uint32_t input_h, input_w, input_c;
    char *preset;               /* preprocessing preset name (owned) */
    image_roi roi;              /* the region of interest (roi.h) and */
    int rgb16;                  /* the 16-bit rule (image.h), PREP_RGB16_NONE when
                                   a file does not say: both stored after the
                                   preset's name (prep-spec.h) */
    char *preset_stored;        /* read from an old file whose preset has been
                                   renamed since: the name it stored (owned);
                                   else NULL. Never written. */
    char *taps;                 /* tap description, opaque here (owned) */
    size_t n_levels;
    gauss_level *levels;        /* owned */
    /* image-level thresholds on the combined score; thresholds[0] is the one
     * in force (score >= it: anomalous) */
    size_t n_thresholds;
    gauss_threshold thresholds[GAUSS_MAX_THRESHOLDS];
    /* optional per-location Gaussians for anomaly maps (gauss-maps.h;
     * NULL: none); owned */
    struct gauss_maps *maps;
    /* optional alignment (fit --align, align.h): the reference's region,
     * searched for in every image; NULL: none (then roi is fixed); owned */
    struct align_template *align;
} gauss_model;

void gauss_model_free(gauss_model *m);

/* ------------------------------------------------------ the .gauss file */

/* Bytes of the encoded model (0 if it cannot be encoded). */
size_t gauss_file_size(const gauss_model *m);
/* Encodes into buf (gauss_file_size bytes). */
effad_status gauss_file_encode(const gauss_model *m, uint8_t *buf, size_t len, effad_error *e);
/* Decodes and validates; on success m owns fresh allocations. On failure
 * m is left empty and the message names what was wrong. */
effad_status gauss_file_decode(const uint8_t *buf, size_t len, gauss_model *m, effad_error *e);
/* Atomic write (temp file + fsync + rename) and read of a path. The write
 * streams the encoding through a buffer of GAUSS_FILE_WRITE_CHUNK bytes
 * (gauss_file_write_chunked: any chunk of 8 bytes or more, the same file). */
/* 64 to 256 KiB wrote a B0 fit's 16 MB .gauss in 36-37 ms, 1 MiB in
 * 39-48 (its own fresh pages; fsync included, one CPU, 2026-12-06) */
#define GAUSS_FILE_WRITE_CHUNK ((size_t)256 << 10)
effad_status gauss_file_write(const char *path, const gauss_model *m, effad_error *e);
effad_status gauss_file_write_chunked(const char *path, const gauss_model *m, size_t chunk, effad_error *e);
effad_status gauss_file_read(const char *path, gauss_model *m, effad_error *e);
/* The same, leaving out what flags say is not needed:
 * GAUSS_READ_NO_MAP_STATS  the per-location statistics (most of a maps
 *                          model's bytes; scoring never reads them). The
 *                          bytes are still checksummed and checked as a
 *                          full read checks them (a file is refused or
 *                          taken alike); such a model must not be
 *                          written back. */
#define GAUSS_READ_NO_MAP_STATS 1u
/* GAUSS_READ_NO_LEVEL_STATS the per-level statistics and training-feature
 *                          cache (what merge, refit and the fit-time
 *                          thresholds read; half of a 1280-feature level's
 *                          bytes). Same conditions. */
#define GAUSS_READ_NO_LEVEL_STATS 2u
/* what scoring reads: the Gaussians, the thresholds, the maps' Gaussians */
#define GAUSS_READ_SCORING (GAUSS_READ_NO_MAP_STATS | GAUSS_READ_NO_LEVEL_STATS)
effad_status gauss_file_decode_flags(const uint8_t *buf, size_t len, gauss_model *m, unsigned flags, effad_error *e);
effad_status gauss_file_read_flags(const char *path, gauss_model *m, unsigned flags, effad_error *e);

#endif
