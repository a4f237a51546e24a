/*
 * align.h -- parts that sit a few pixels off from image to image, put
 * back in place before anything looks at them (`fit --align R`).
 *
 * A fixture holds a part within a millimetre or two; at the camera's
 * resolution that is pixels. The image-level Gaussians average over the
 * image and hardly notice, but the anomaly maps keep a Gaussian per
 * location, so a part a few pixels off puts its edges where the model has
 * only seen background: false defects along every edge, and a threshold
 * raised until real defects pass. Alignment takes that out: at fit time
 * the region of interest of a reference image (the first training image,
 * or --align-ref) is kept as a template; every image is searched for the
 * offset (dx, dy), |dx|, |dy| <= R, where its region best matches the
 * template, and the region is cut there instead. Translation only, whole
 * pixels: the crop stays a crop, so no resampling blurs the part and
 * scores of aligned images are bit for bit those of images cropped at the
 * found place beforehand. Without --roi the region is the image less R
 * pixels on every side.
 *
 * The match is the zero-mean normalised cross-correlation (ZNCC) of grey
 * values, (R + G + B + 1) / 3: insensitive to the lighting's gain and
 * offset. The search is coarse to fine: grey values summed over 2^L x 2^L
 * blocks, every offset tried at the coarsest level L (the coarsest with 8
 * or more offsets a way and a template of 16 x 16 blocks or more), then at
 * each finer level the three by three offsets around twice each of the
 * four best so far (a texture with some repeat can put the coarse best a
 * step off), and at full resolution around the best one only; the offset
 * of the best ZNCC wins, the first in row order on a tie. Sums are exact
 * integers and each ZNCC a few double operations in a fixed order (no
 * fused multiply-add can form), so every build finds the same offset. Offsets that would take the region
 * out of the image are not tried (near an edge the range is one-sided); an
 * image that cannot hold the region at all is refused by name.
 *
 * Cost: 9 x the region's pixels at full resolution, a little more on the
 * coarser levels, and one grey copy of the searched window: a 2000 x 1500
 * region searched +-32 took a score of a 4000 x 3000 JPEG from 0.20 to
 * 0.28 s.
 */
#ifndef EFFAD_ALIGN_H
#define EFFAD_ALIGN_H

#include <stdint.h>
#include "effad.h"
#include "roi.h"

#define ALIGN_MAX_RANGE 256
#define ALIGN_MAX_LEVELS 7     /* 2^6 blocks: the coarsest a search of +-256 needs */

/* The reference region's grey values, and their block sums per level. */
typedef struct align_template {
    int w, h;                     /* the region of interest's size */
    int range;                    /* R: offsets -R .. R in x and y */
    uint8_t *grey;                /* w x h */
    int n_levels;
    uint32_t *level[ALIGN_MAX_LEVELS];   /* level L: (w >> L) x (h >> L) block sums; [0] unused */
} align_template;

typedef struct align_result {
    int dx, dy;                   /* where the region was found, from where the model has it */
    double match;                 /* its ZNCC at full resolution, -1 .. 1 */
} align_result;

/* The template from a reference frame (rgb, fw x fh) and the region r in
 * it; range 1 .. ALIGN_MAX_RANGE. A region of one grey value cannot be
 * matched: refused. */
effad_status align_template_make(align_template *t, const uint8_t *rgb, int fw, int fh, const image_roi *r, int range,
                                 effad_error *e);
/* The same from stored grey values (the .gauss): takes a copy. */
effad_status align_template_from_grey(align_template *t, const uint8_t *grey, int w, int h, int range,
                                      effad_error *e);
void align_template_free(align_template *t);

/* Where the region r (of the template's size) best matches in the frame
 * (rgb, fw x fh). EFFAD_ERR_MISMATCH when the frame cannot hold it. */
effad_status align_find(const align_template *t, const uint8_t *rgb, int fw, int fh, const image_roi *r,
                        align_result *out, effad_error *e);

/* The region of interest without --roi: the w x h image less range
 * pixels on every side (its w is 0 when nothing would be left). */
image_roi align_default_roi(int w, int h, int range);

#endif
