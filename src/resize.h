/*
 * resize.h -- image resamplers that reproduce Python pipelines bit for bit.
 *
 * Images are 8-bit RGB, interleaved, row-major, tightly packed (stride =
 * 3*w bytes). Every resampler that needs working memory has a *_scratch_bytes
 * companion: the caller hands in a buffer at least that large, or passes
 * scratch = NULL and the function allocates (and frees) it itself.
 *
 *   resize_pil_rgb8        PIL / Pillow 9.4 Image.resize (LANCZOS, BICUBIC,
 *                          BILINEAR, HAMMING, BOX), bit-exact.
 *   resize_cv_linear_rgb8  OpenCV 4.6 cv2.resize(..., INTER_LINEAR) for
 *                          CV_8UC3 on x86-64 (SSE2 baseline), bit-exact.
 */
#ifndef EFFAD_RESIZE_H
#define EFFAD_RESIZE_H

#include <stddef.h>
#include <stdint.h>
#include "effad.h"

/* Pillow's resampling filters (Image.Resampling.*), with their supports. */
typedef enum resize_pil_filter {
    RESIZE_PIL_BOX,       /* support 0.5 */
    RESIZE_PIL_BILINEAR,  /* support 1   */
    RESIZE_PIL_HAMMING,   /* support 1   */
    RESIZE_PIL_BICUBIC,   /* support 2, a = -0.5 */
    RESIZE_PIL_LANCZOS    /* support 3   */
} resize_pil_filter;

/* box = {x0, y0, x1, y1} in input pixels, as Image.resize(box=...); NULL
 * means the whole image (Pillow's default). Returns 0 for invalid sizes. */
size_t resize_pil_scratch_bytes(int in_w, int in_h, int out_w, int out_h,
                                resize_pil_filter filter, const float box[4]);
effad_status resize_pil_rgb8(const uint8_t *in, int in_w, int in_h,
                             uint8_t *out, int out_w, int out_h,
                             resize_pil_filter filter, const float box[4],
                             void *scratch, size_t scratch_bytes, effad_error *e);

/* Only the window win = {x, y, w, h} of the out_w x out_h result (NULL:
 * all of it), into out as a w x h image: the same bytes as the whole
 * result cut to the window, for a fraction of the work when a crop
 * follows (preprocess.c: the presets that centre-crop). */
size_t resize_pil_window_scratch_bytes(int in_w, int in_h, int out_w, int out_h, resize_pil_filter filter,
                                       const float box[4], const int win[4]);
effad_status resize_pil_rgb8_window(const uint8_t *in, int in_w, int in_h, uint8_t *out, int out_w, int out_h,
                                    resize_pil_filter filter, const float box[4], const int win[4],
                                    void *scratch, size_t scratch_bytes, effad_error *e);

size_t resize_cv_linear_scratch_bytes(int in_w, int in_h, int out_w, int out_h);
effad_status resize_cv_linear_rgb8(const uint8_t *in, int in_w, int in_h,
                                   uint8_t *out, int out_w, int out_h,
                                   void *scratch, size_t scratch_bytes, effad_error *e);

#endif /* EFFAD_RESIZE_H */
