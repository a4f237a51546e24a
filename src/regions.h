/*
 * regions.h -- connected defect regions of an anomaly map, and the pixel
 * threshold that good images allow.
 *
 * Conventions (the SSIM-autoencoder tools' validate/finetune steps, which
 * effad follows): a pixel is defective when its map value is ABOVE the
 * threshold (map > t); defective pixels form regions by 8-connectivity
 * (scipy.ndimage.label with a 3x3 structure of ones); an image is
 * anomalous when some region has at least min_area pixels.
 */
#ifndef EFFAD_REGIONS_H
#define EFFAD_REGIONS_H

#include <stddef.h>
#include <stdint.h>
#include "effad.h"

typedef struct map_region {
    uint32_t area;            /* pixels */
    int x0, y0, x1, y1;       /* bounding box, inclusive */
    float peak;               /* largest map value inside */
} map_region;

typedef struct region_list {
    size_t n, cap;
    map_region *r;            /* in scipy.ndimage.label's order: by the
                                 raster position of each region's first pixel */
} region_list;

/* Regions of {map > threshold} in a w x h map (row-major). list is
 * cleared first and grows as needed (free with region_list_free). */
effad_status regions_find(const float *map, int w, int h, double threshold, region_list *list, effad_error *e);
/* The same, also labelling every pixel: labels[p] = 1 + the index of its
 * region in list, 0 when it is not defective (scipy.ndimage.label's
 * numbering). */
effad_status regions_label(const float *map, int w, int h, double threshold, uint32_t *labels, region_list *list,
                           effad_error *e);
void region_list_free(region_list *list);
/* How many regions have at least min_area pixels. */
size_t regions_count_at_least(const region_list *list, uint32_t min_area);

/* The smallest t at which no region of {map > t} has min_area (>= 1) or
 * more pixels: the value of the pixel whose admission, taking pixels
 * from the highest value down (ties together), first joined min_area
 * pixels. -INFINITY when the whole map has fewer than min_area pixels. */
effad_status regions_min_threshold(const float *map, int w, int h, uint32_t min_area, double *t, effad_error *e);

#endif
