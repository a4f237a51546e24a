/*
 * pixel-eval.h -- pixel-level evaluation of anomaly maps against
 * ground-truth masks, as the MVTec AD benchmark and anomalib report it.
 *
 *   pixel AUROC  scikit-learn's roc_auc_score over every pixel of the
 *                selected images (score >= t flagged; ties count half)
 *   PRO          per-region overlap (MVTec AD, Bergmann et al. IJCV 2021):
 *                ground-truth regions are the 8-connected components of
 *                each mask; at each distinct score t, FPR = flagged good
 *                pixels / good pixels over all images (good images
 *                included), PRO = mean over regions of the flagged
 *                fraction of the region; the curve from (0, 0) to (1, 1)
 *                is integrated (trapezoids) up to FPR = 0.3, the value at
 *                0.3 interpolated, and divided by 0.3
 *                (tests/reference/pro_ref.py is the same definition in
 *                numpy)
 *   best F1      over the distinct scores, F1 = 2 TP / (2 TP + FP + FN)
 *                with score >= t flagged, ties to the highest t (roc.h)
 * Per defect type the selection is the good images plus that type's.
 * Don't-care pixels (fit --ignore) are left out of every metric: they are
 * neither good nor defect pixels, and the ground truth is the mask with
 * them removed (its regions the 8-connected components of what is left),
 * as the reference (tests/reference/maps_ref.py --ignore) defines it.
 *
 * Memory: 13 bytes per pixel while collecting, 8 more while ranking.
 */
#ifndef EFFAD_PIXEL_EVAL_H
#define EFFAD_PIXEL_EVAL_H

#include <stddef.h>
#include <stdint.h>
#include "effad.h"
#include "roi.h"

#define PIXEL_IGNORED UINT32_MAX    /* a don't-care pixel's region label */

typedef struct pixel_image { size_t at; int w, h, type; } pixel_image;

typedef struct pixel_eval {
    size_t n, cap;                 /* pixels */
    float *score;
    uint32_t *region;              /* 0: a good pixel; PIXEL_IGNORED; else 1 + ground-truth region */
    size_t n_images, cap_images;
    pixel_image *image;
    size_t n_regions, cap_regions;
    uint32_t *region_size;
    int *region_type;
    uint32_t *order;               /* descending scores, made on first use */
} pixel_eval;

/* One image's map and mask (w x h, nonzero = defect; NULL: no defect),
 * and its don't-care pixels (w x h, nonzero = left out; NULL: none).
 * type: 0 for good images, 1.. for defect types. */
effad_status pixel_eval_add(pixel_eval *pe, const float *map, const uint8_t *mask, const uint8_t *ignore, int w,
                            int h, int type, effad_error *e);
void pixel_eval_free(pixel_eval *pe);

typedef struct pixel_metrics {
    double auroc, pro;             /* pro: NaN when the selection has no region */
    double f1, f1_threshold;
    uint64_t pixels, defect_pixels, regions;
    uint64_t ignored;              /* don't-care pixels of the selection, not in pixels */
} pixel_metrics;

/* Metrics over the good images and those of `type` (-1: every image).
 * Needs good and defective pixels in the selection. */
effad_status pixel_eval_compute(pixel_eval *pe, int type, double fpr_limit, pixel_metrics *out, effad_error *e);

/* For each of the k thresholds, how many regions of at least min_area
 * pixels (regions.h: map > t, 8-connected) the good images (type 0) and
 * the defective ones hold in total. */
effad_status pixel_eval_region_counts(const pixel_eval *pe, const double *thresholds, size_t k, uint32_t min_area,
                                      uint64_t *good, uint64_t *defective, effad_error *e);

/* The MVTec AD mask of ROOT/test/<type>/<name>.<ext>:
 * ROOT/ground_truth/<type>/<name>_mask.png. 0 if path has no such shape. */
int mvtec_mask_path(const char *image_path, char *out, size_t n);
/* Loads a mask and checks it is w x h -- or, with a region of interest
 * (roi->w > 0; roi may be NULL), that it holds the roi->w x roi->h region,
 * which it is cropped to; *mask (malloc'd) is 1 where the mask is above
 * 127 in any channel. */
effad_status mask_load(const char *path, const image_roi *roi, int w, int h, uint8_t **mask, effad_error *e);
/* The same at the mask's own size (cut to roi when it has one: then a
 * mask that does not hold the region is refused): *w x *h. */
effad_status mask_read(const char *path, const image_roi *roi, int *w, int *h, uint8_t **mask, effad_error *e);

#endif
