/*
 * gauss-maps.h -- one Gaussian per location of a feature grid: PaDiM
 * (Defard et al., "PaDiM: a Patch Distribution Modeling Framework for
 * Anomaly Detection and Localization", 2020) on effad's levels.
 *
 * At every location of a grid_h x grid_w grid, the chosen level maps
 * (resampled to the grid, concatenated, optionally a seeded random subset
 * of their channels: map-features.h) give a dim-vector per image. Each
 * location keeps the streaming, mergeable sufficient statistics of the
 * image-level Gaussians (gauss_stats, gauss.h), and is fitted as
 *   MAPS_COV_EPS  PaDiM: the sample covariance (divided by n - 1, numpy's
 *                 np.cov) + eps * I, eps = 0.01 by default;
 *   MAPS_COV_LW   Ledoit-Wolf exactly as the image-level levels
 *                 (gauss_ledoit_wolf).
 * The model keeps, per location, the mean and the Cholesky factor of the
 * covariance in float32 (the factor lower-triangular, packed by rows:
 * dim (dim + 1) / 2 values); a location's anomaly score is the Mahalanobis
 * distance sqrt((x - mu)^T Sigma^-1 (x - mu)), accumulated in double.
 *
 * Work over locations is independent, so it is split over the engine's
 * thread pool (effad_threads) by location ranges: results are identical
 * for any thread count. Adding an image's vectors to statistics is a
 * function of (vectors -> statistics) alone (gauss_maps_stats_add), and
 * statistics merge exactly (gauss_maps_stats_merge), so images can be
 * spread over workers or machines and reduced afterwards.
 */
#ifndef EFFAD_GAUSS_MAPS_H
#define EFFAD_GAUSS_MAPS_H

#include <stddef.h>
#include <stdint.h>
#include "effad.h"
#include "gauss.h"

typedef enum maps_cov { MAPS_COV_EPS = 0, MAPS_COV_LW = 1 } maps_cov;

/* Bounds on what a file may ask for. */
#define MAPS_MAX_GRID 1024u            /* per side */
#define MAPS_MAX_DIM  4096u

/* Sufficient statistics of every location. Images are added in groups of
 * GAUSS_STATS_BATCH: their vectors wait in `pending` and then go into one
 * location after the other, so each location's statistics are in cache
 * for the whole group and its rank-k update. The arithmetic is exactly
 * that of adding them one image at a time. */
typedef struct gauss_maps_stats {
    size_t locations, dim;
    gauss_stats *loc;                  /* locations entries */
    float *pending;                    /* GAUSS_STATS_BATCH x locations x dim */
    size_t n_pending;
} gauss_maps_stats;

effad_status gauss_maps_stats_init(gauss_maps_stats *s, size_t locations, size_t dim, effad_error *e);
void gauss_maps_stats_free(gauss_maps_stats *s);
/* One image: vectors is locations x dim floats (location-major). A
 * non-finite value is EFFAD_ERR_NUMERIC and adds nothing. threads may be
 * NULL. */
effad_status gauss_maps_stats_add(gauss_maps_stats *s, const float *vectors, effad_threads *threads, effad_error *e);
/* Adds the pending images now (fit and merge do it themselves). */
void gauss_maps_stats_sync(gauss_maps_stats *s, effad_threads *threads);
/* into += from, location by location (from is synced and flushed,
 * otherwise unchanged). */
effad_status gauss_maps_stats_merge(gauss_maps_stats *into, gauss_maps_stats *from, effad_threads *threads, effad_error *e);
/* Bytes gauss_maps_stats_init allocates for this shape. */
uint64_t gauss_maps_stats_bytes(uint64_t locations, uint64_t dim);

/* The largest don't-care mask: the largest image (image.h). */
#define MAPS_MAX_IGNORE_PIXELS (1ull << 28)

typedef struct gauss_maps {
    /* the per-location vectors (map-features.c assembles them) */
    uint32_t grid_h, grid_w;
    uint32_t n_taps;
    uint32_t tap[EFFAD_MAX_TAPS];      /* model taps, concatenated in this order */
    uint32_t tap_c[EFFAD_MAX_TAPS];    /* their channels (checked against the model) */
    uint32_t total_c;                  /* sum of tap_c */
    uint32_t dim;                      /* channels kept */
    uint32_t *channel;                 /* dim ascending indices into the concatenation */
    uint64_t dims_seed;                /* seed that chose them (informational) */
    /* the Gaussians */
    maps_cov cov;
    double eps;                        /* MAPS_COV_EPS only */
    double sigma;                      /* blur, in network-input pixels */
    uint64_t n;                        /* images fitted */
    float *mean;                       /* locations x dim */
    float *chol;                       /* locations x dim (dim + 1) / 2 */
    gauss_maps_stats *stats;           /* optional, for merges and refits */
    /* the pixel threshold chosen on held-out good images (regions.h) */
    int calibrated;
    double threshold;                  /* defective: map > threshold */
    uint32_t min_area;                 /* anomalous: a region of >= min_area pixels */
    uint32_t n_holdout;                /* good images it was chosen on */
    /* optional don't-care pixels (fit --ignore): the map is 0 there, so
     * nothing there is ever a defect; the map is ignore_w x ignore_h (the
     * image, or its region of interest), else the image is refused */
    uint32_t ignore_w, ignore_h;
    uint8_t *ignore;                   /* NULL, or ignore_w x ignore_h 0/1 bytes */
    uint64_t ignore_count;             /* pixels set: 1 .. w h - 1 */
} gauss_maps;

static inline size_t gauss_maps_locations(const gauss_maps *m) { return (size_t)m->grid_h * m->grid_w; }

/* Fits mean and factor from m->stats. Every location must have n >= 2
 * samples for MAPS_COV_EPS (n - 1 divides). threads may be NULL. */
effad_status gauss_maps_fit(gauss_maps *m, effad_threads *threads, effad_error *e);
/* dist[l] = Mahalanobis distance of vectors[l] at location l; work:
 * gauss_maps_score_work doubles for that pool (NULL: one worker). */
size_t gauss_maps_score_work(const gauss_maps *m, const effad_threads *threads);
void gauss_maps_score(const gauss_maps *m, const float *vectors, float *dist, double *work, effad_threads *threads);
void gauss_maps_free(gauss_maps *m);
/* Sets the don't-care pixels from a w x h 0/1 mask (copied); a mask of no
 * pixel or of every pixel is EFFAD_ERR_ARG. */
effad_status gauss_maps_set_ignore(gauss_maps *m, const uint8_t *mask, int w, int h, effad_error *e);
/* Deep copy of the layout fields only (no Gaussians, no statistics; the
 * don't-care pixels are layout). */
effad_status gauss_maps_copy_layout(gauss_maps *dst, const gauss_maps *src, effad_error *e);
/* NULL if a and b describe the same vectors and method; else what differs. */
const char *gauss_maps_layout_differs(const gauss_maps *a, const gauss_maps *b);
/* Bytes of the mean and factor (float32). */
uint64_t gauss_maps_model_bytes(const gauss_maps *m);

/* Runs fn over [0, n) on the pool, or on this thread when t is NULL. */
void maps_parallel(effad_threads *t, effad_range_fn fn, void *ctx, int n);

#endif
