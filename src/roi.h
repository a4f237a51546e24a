/*
 * roi.h -- a region of interest: the rectangle of each image the detector
 * looks at.
 *
 * A camera on a line sees its fixture, the belt and the neighbouring part
 * as well as the part; the Python pipelines we reproduce take the whole
 * file, so users crop their images with another tool first. `fit --roi
 * X,Y,W,H` does that crop inside effad, right after decoding (and after
 * the orientation the preset applies), before anything else: the preset's
 * resize and crop, augmentation, anomaly maps and figures all see the W x H
 * region as the image. So a model fitted with an ROI gives, bit for bit, the
 * scores of one fitted without it on images cropped beforehand (PIL's
 * Image.crop((X, Y, X + W, Y + H))), and the reference pipelines' numbers
 * still hold.
 *
 * The `.gauss` keeps the ROI (in its preset string: "ailia;roi=X,Y,W,H",
 * prep-spec.h), so score, eval, calibrate, --watch and quantcheck apply it
 * without being told; an image smaller than the region is an error that
 * names the image and both sizes. A build that predates the ROI refuses
 * such a file as an unknown preset rather than scoring whole images
 * against a model of crops.
 */
#ifndef EFFAD_ROI_H
#define EFFAD_ROI_H

#include <stddef.h>
#include <stdint.h>
#include "effad.h"

/* Pixels of the image as displayed (after the preset's orientation): the
 * top-left corner (x, y) and the size w x h. w == 0: the whole image. */
typedef struct image_roi { int x, y, w, h; } image_roi;

/* The largest coordinate or size accepted: no decoder makes a wider or
 * taller image (image.h, IMAGE_MAX_PIXELS). */
#define ROI_MAX (1 << 28)

/* "X,Y,W,H": four decimal integers (no signs, spaces or leading zeros: one
 * text per region), W and H at least 1, X + W and Y + H at most ROI_MAX.
 * roi_parse_n reads the n bytes at s (no NUL needed) and says only whether
 * they are one. */
effad_status roi_parse(const char *text, image_roi *r, effad_error *e);
int roi_parse_n(const char *s, size_t n, image_roi *r);
/* "X,Y,W,H" into buf of n >= ROI_TEXT_BYTES bytes, or "" for none. */
#define ROI_TEXT_BYTES 48
void roi_format(const image_roi *r, char *buf, size_t n);
int roi_equal(const image_roi *a, const image_roi *b);

/* Whether a w x h image holds the whole region: else EFFAD_ERR_MISMATCH,
 * naming both sizes (the caller adds the file). r->w == 0: it does. */
effad_status roi_check(const image_roi *r, int w, int h, effad_error *e);
/* The region's rows of the interleaved image src (src_w pixels wide, known
 * to hold the region: roi_check), r->w x r->h, into dst, which may be src. */
void roi_copy(const image_roi *r, const uint8_t *src, int channels, int src_w, uint8_t *dst);
/* Crops the interleaved w x h image of `channels` bytes a pixel to r, in
 * place (rows move toward the start of the buffer); *w, *h become r's.
 * An image that does not hold the whole region is EFFAD_ERR_MISMATCH,
 * naming both sizes (the caller adds the file). r->w == 0: nothing done. */
effad_status roi_crop(const image_roi *r, uint8_t *pixels, int channels, int *w, int *h, effad_error *e);

#endif
