/*
 * maps-run.h -- anomaly maps of whole images: the glue between the
 * pipeline (pipeline.h), the map Gaussians (gauss-maps.h) and the map
 * geometry (anomaly-map.h), and the pixel threshold chosen on good images.
 */
#ifndef EFFAD_MAPS_RUN_H
#define EFFAD_MAPS_RUN_H

#include "anomaly-map.h"
#include "gauss-maps.h"
#include "map-features.h"
#include "pipeline.h"
#include "regions.h"

/* One image's map, with every buffer reused from image to image. */
typedef struct map_scorer {
    const gauss_maps *gm;
    map_assembler as;
    effad_threads *threads;
    float *vectors;                /* locations x dim */
    float *dist;                   /* grid distances */
    float *net, *tmp;              /* network-input map and blur scratch */
    double *weights;               /* blur scratch (map_blur_scratch) */
    double *work;
    float *map; size_t map_cap;    /* the map over the original image */
    map_geometry geo;              /* of the image as the pipeline hands it over: */
    image_roi roi;                 /* its region of interest, where there is one (the
                                      last image's: aligned, each its own) */
    double max;                    /* of map */
} map_scorer;

/* p must have been opened with the maps' taps (map_taps_mask). */
effad_status map_scorer_open(map_scorer *ms, const gauss_maps *gm, pipeline *p, effad_error *e);
/* Whether a w x h image (its region of interest) can have a map: the
 * model's don't-care mask, if any, is its size; else EFFAD_ERR_MISMATCH
 * with both sizes. */
effad_status map_scorer_fits(const map_scorer *ms, int w, int h, effad_error *e);
/* After pipeline_rgb on a w x h image: ms->map (w x h) and ms->max. */
effad_status map_scorer_run(map_scorer *ms, pipeline *p, int w, int h, effad_error *e);
/* Before the next image is decoded: lets a map of more than 16 MB go
 * rather than keep it for reuse, so that it does not sit beside the next
 * image's decode (48 megapixels: a 192 MB map beside 144 MB of pixels). A
 * small map stays, saving an allocation per image. */
void map_scorer_trim(map_scorer *ms);
/* pipeline_load_rgb + pipeline_rgb (features into feat) + the map; the
 * image's size in *w, *h; *rgb kept when rgb is non-NULL (caller frees). */
effad_status map_scorer_image(map_scorer *ms, pipeline *p, const char *path, float *feat, uint8_t **rgb, int *w,
                              int *h, effad_error *e);
void map_scorer_close(map_scorer *ms);

/* The pixel threshold from good images (regions.h): the largest over the
 * images of the smallest threshold leaving no region of min_area pixels
 * in that image. Sets gm->threshold, min_area, n_holdout, calibrated. */
effad_status maps_calibrate(gauss_maps *gm, pipeline *p, const char *const *paths, size_t n, uint32_t min_area,
                            effad_error *e);
/* The same from each image's smallest threshold t[0..n) (regions_min_
 * threshold of its map; t is reordered), letting `allowed` images keep a
 * region (reject-rate.h): the (allowed+1)-th highest. */
effad_status maps_calibrate_from(gauss_maps *gm, double *t, size_t n, size_t allowed, uint32_t min_area,
                                 effad_error *e);

/* The verdict rule: regions of ms->map above the model's threshold; how
 * many reach min_area. */
effad_status maps_regions(const map_scorer *ms, region_list *rl, size_t *defects, effad_error *e);

#endif
