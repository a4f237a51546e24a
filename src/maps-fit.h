/*
 * maps-fit.h -- `effad fit --maps`: the options, the layout decided from
 * the model, the memory check, the held-out good images, and the per-image
 * step (level maps -> per-location statistics) that cmd-fit.c calls.
 */
#ifndef EFFAD_MAPS_FIT_H
#define EFFAD_MAPS_FIT_H

#include "gauss.h"
#include "gauss-maps.h"
#include "map-features.h"
#include "pipeline.h"

typedef struct maps_fit_options {
    int enabled;                  /* --maps */
    const char *levels;           /* --map-levels i,j,...; NULL: map_default_levels */
    int grid_h, grid_w;           /* --map-grid HxW; 0: ceil(input / 8) */
    int dims;                     /* --map-dims D; 0: every channel */
    uint64_t seed;                /* --seed: the channel subset and the held-out images */
    maps_cov cov;                 /* --map-cov eps|lw */
    double eps;                   /* --map-eps (default 0.01) */
    double sigma;                 /* --map-sigma (default 4) */
    uint64_t max_mem;             /* --max-mem (default 1 GiB) */
    int keep_stats;               /* --no-map-stats clears it */
    double holdout;               /* --holdout F: fraction of good images held out */
    int min_area;                 /* --min-area A (pixels of the original image) */
    const char *ignore;           /* --ignore MASK: the don't-care pixels; NULL: none */
} maps_fit_options;

#define MAPS_DEFAULT_MIN_AREA 25

void maps_fit_options_default(maps_fit_options *o);

/* Which k of n images (in the sorted listing, dataset.h) are held out:
 * map_partial_shuffle's first k from the stream seed ^ "holdout" (so not
 * the channel subset's). held: n flags. */
#define MAPS_HOLDOUT_STREAM 0x686f6c646f7574ull
effad_status maps_pick_holdout(size_t n, size_t k, uint64_t seed, uint8_t *held, effad_error *e);

typedef struct maps_fitter {
    maps_fit_options o;
    gauss_maps *gm;               /* owned until maps_fitter_finish hands it over */
    map_assembler as;
    float *vectors;
    uint8_t *held;                /* per image: kept out of the fit */
    size_t n_images, n_held, n_fitted;
    uint64_t fit_bytes;           /* what the memory check counted */
} maps_fitter;

/* Decides the layout from the model at efm_path (its geometry only),
 * checks the memory against o->max_mem and adds the maps' taps to
 * po->map_taps. */
effad_status maps_fitter_plan(maps_fitter *f, const maps_fit_options *o, const char *efm_path, pipeline_options *po,
                              effad_error *e);
/* Picks the held-out images among n and allocates the statistics; p must
 * have been opened with po from maps_fitter_plan. */
effad_status maps_fitter_begin(maps_fitter *f, pipeline *p, size_t n_images, effad_error *e);
static inline int maps_fitter_held(const maps_fitter *f, size_t i) { return f->held && f->held[i]; }
/* After pipeline_rgb on an image that is not held out. */
effad_status maps_fitter_add(maps_fitter *f, pipeline *p, effad_error *e);
/* Fits, chooses the pixel threshold on the held-out images (paths[i] with
 * held[i]) and hands the maps to gm. */
effad_status maps_fitter_finish(maps_fitter *f, pipeline *p, const char *const *paths, gauss_model *gm, effad_error *e);
void maps_fitter_free(maps_fitter *f);

#endif
