/*
 * figure-maps.h -- pictures of anomaly maps for people: the per-image
 * panels `score --save` writes (ailia's PaDiM sample layout: input, ground
 * truth, predicted mask, segmentation outlined on the input, plus a
 * heat-map overlay with its colour bar), and the region-count plot of
 * `eval` (how many defect-sized regions good and defective test images
 * hold at each pixel threshold, as the SSIM-autoencoder tools' finetune
 * step plots it).
 */
#ifndef EFFAD_FIGURE_MAPS_H
#define EFFAD_FIGURE_MAPS_H

#include <stddef.h>
#include <stdint.h>
#include "effad.h"

typedef struct map_panels_in {
    const uint8_t *rgb;           /* the original image, w x h RGB */
    const float *map;             /* its anomaly map, w x h */
    const uint8_t *truth;         /* ground-truth mask (nonzero = defect) or NULL */
    int w, h;
    double threshold;             /* pixel threshold (map > t is defective); NaN: none */
    double lo, hi;                /* the heat map's colour range */
    int win_x0, win_y0, win_x1, win_y1;  /* the part of the image the network saw
                                     (a crop), inclusive; all of it: 0, 0, w-1, h-1 */
} map_panels_in;

/* One RGB figure (*out malloc'd): five panels of the image scaled to 256
 * pixels high, titled, side by side; the last with a colour bar. When the
 * network saw only a window of the image (a crop), the segmentation and
 * heat-map panels outline it with a dashed line: outside it the map is 0. */
effad_status figure_map_panels(const map_panels_in *in, uint8_t **out, int *out_w, int *out_h, effad_error *e);

/* The region-count plot as SVG, written atomically. */
effad_status figure_region_counts_svg(const char *path, const char *title, const double *thresholds, const uint64_t *good,
                                      const uint64_t *defective, size_t k, double in_force, uint32_t min_area,
                                      effad_error *e);

#endif
