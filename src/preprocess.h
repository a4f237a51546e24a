/*
 * preprocess.h -- from a decoded 8-bit RGB image to the network's input
 * tensor, the way the Python pipelines we replace do it.
 *
 * Output: float32, planar CHW (3 x out_h x out_w), each value
 * ((float)p / 255 - mean[c]) / std[c] computed in float32 in that order,
 * which is what torchvision's ToTensor + Normalize (and ailia's numpy code)
 * compute; the result matches them to the last bit on an IEEE float32
 * machine without excess precision (x86-64 SSE, AArch64).
 *
 * Presets (preprocess_by_name):
 *   "ailia"       MahalanobisAD (torchvision transforms): Resize(256) with PIL
 *                 LANCZOS -- shorter side to resize_short, longer side
 *                 int(resize_short * long / short) as torchvision 0.14 --,
 *                 CenterCrop(out) with torchvision's origin
 *                 int(round((H - out_h) / 2.0)) (round half to even), ToTensor,
 *                 Normalize(ImageNet).
 *   "ailia-floor" the same, but with the crop origin (H - out_h) // 2 that
 *                 ailia-models' mahalanobisad.py uses; it differs from
 *                 "ailia" by one pixel when (H - out_h) % 4 == 3.
 *   "paper"       gaussian-ad-mvtec: cv2.resize straight to out_w x out_h with
 *                 INTER_LINEAR, no crop, ImageNet mean/std. The input must be
 *                 RGB: a cv2 pipeline has to have converted BGR -> RGB first
 *                 (cv2.imread returns BGR).
 * resize_short defaults to 256 for outputs up to 256 pixels, else to
 * out * 8 / 7 (the same 224:256 ratio). Every field may be changed after
 * preprocess_by_name.
 *
 * A crop larger than the resized image is an error (EFFAD_ERR_ARG);
 * torchvision would zero-pad instead, which no preset relies on.
 *
 * Memory: functions taking (scratch, scratch_bytes) use the caller's buffer
 * when scratch is non-NULL (its size from the matching *_scratch_bytes) and
 * otherwise malloc and free their own.
 */
#ifndef EFFAD_PREPROCESS_H
#define EFFAD_PREPROCESS_H

#include <stddef.h>
#include <stdint.h>
#include "effad.h"

typedef enum prep_resize {
    PREP_RESIZE_SHORT_SIDE,   /* shorter side to resize_short, keep aspect */
    PREP_RESIZE_EXACT         /* straight to out_w x out_h */
} prep_resize;

typedef enum prep_sampler {
    PREP_PIL_LANCZOS, PREP_PIL_BICUBIC, PREP_PIL_BILINEAR,  /* Pillow 9.4, bit-exact */
    PREP_CV_LINEAR                                          /* OpenCV 4.6, bit-exact */
} prep_sampler;

typedef enum prep_crop {
    PREP_CROP_NONE,           /* only valid when the resized size is the output size */
    PREP_CROP_CENTER_ROUND,   /* torchvision CenterCrop: int(round(d / 2.0)) */
    PREP_CROP_CENTER_FLOOR    /* d // 2 */
} prep_crop;

typedef struct preprocess_cfg {
    const char *name;
    prep_resize resize;
    prep_sampler sampler;
    int resize_short;         /* PREP_RESIZE_SHORT_SIDE only */
    int out_h, out_w;         /* the network's input size */
    prep_crop crop;
    float mean[3], std[3];
} preprocess_cfg;

/* Fills cfg with a named preset ("ailia", "ailia-floor", "paper") for a
 * network taking out_h x out_w. */
effad_status preprocess_by_name(const char *name, int out_h, int out_w,
                                preprocess_cfg *cfg, effad_error *e);

/* The size the image is resized to before cropping. */
effad_status preprocess_resized_size(const preprocess_cfg *cfg, int w, int h,
                                     int *rw, int *rh, effad_error *e);
/* Top-left of the centre crop inside an rw x rh resized image. */
effad_status preprocess_crop_origin(const preprocess_cfg *cfg, int rw, int rh,
                                    int *top, int *left, effad_error *e);

/* Scratch for preprocess_run on a w x h input; 0 if cfg or sizes are invalid. */
size_t preprocess_scratch_bytes(const preprocess_cfg *cfg, int w, int h);
/* rgb: w x h interleaved RGB; out_chw: 3 * out_h * out_w floats. */
effad_status preprocess_run(const preprocess_cfg *cfg, const uint8_t *rgb, int w, int h,
                            float *out_chw, void *scratch, size_t scratch_bytes,
                            effad_error *e);

/* The steps preprocess_run is made of, for callers that insert their own
 * (augmentation does). */
size_t preprocess_resize_scratch_bytes(const preprocess_cfg *cfg, int w, int h, int rw, int rh);
effad_status preprocess_resize(const preprocess_cfg *cfg, const uint8_t *rgb, int w, int h,
                               uint8_t *resized, int rw, int rh,
                               void *scratch, size_t scratch_bytes, effad_error *e);
/* Crops out_h x out_w at (top, left) of an img_w-wide image and normalises
 * into CHW; the caller has checked the window lies inside the image. */
void preprocess_normalize_crop(const preprocess_cfg *cfg, const uint8_t *img, int img_w,
                               int top, int left, float *out_chw);

#endif /* EFFAD_PREPROCESS_H */
