/*
 * augment.h -- the MahalanobisAD (ailia-models mahalanobisad.py --aug)
 * training-time augmentation, and the OpenCV rotation it is built on.
 *
 * Per augmented copy: resize as the preset does (PIL LANCZOS, shorter side
 * to resize_short), rotate by an integer angle drawn uniformly from
 * [-max_angle, max_angle] about (w/2, h/2) of the resized image (bilinear,
 * replicated border: cv2.warpAffine with getRotationMatrix2D), take an
 * out_h x out_w crop at a uniformly drawn origin, normalise.
 *
 * The draws come from our own PRNG (splitmix64), not numpy's Mersenne
 * Twister, so a given seed does not reproduce a Python run sample for
 * sample: the match with Python is in distribution only. Given the same
 * draws (augment_draw), augment_apply reproduces Python's tensor exactly.
 */
#ifndef EFFAD_AUGMENT_H
#define EFFAD_AUGMENT_H

#include <stddef.h>
#include <stdint.h>
#include "effad.h"
#include "preprocess.h"

/* ------------------------------------------------------------ rotation */

/* cv2.getRotationMatrix2D(center, angle, scale): the forward 2x3 matrix,
 * angle in degrees, counter-clockwise for positive angles. The centre is
 * taken through float as OpenCV's Point2f does. */
void rotation_matrix_2d(double cx, double cy, double angle_deg, double scale, double m[6]);

/* cv2.warpAffine(src, M, (dst_w, dst_h), flags=INTER_LINEAR,
 * borderMode=BORDER_REPLICATE) for 8-bit RGB, with M the forward matrix.
 * Bit-exact with OpenCV 4.6: the inverse map is sampled in 1/32 pixel
 * steps (INTER_BITS = 5) from 10-bit fixed-point coordinates, with 15-bit
 * bilinear weights. */
effad_status warp_affine_linear_replicate_rgb8(const uint8_t *src, int w, int h, const double m[6],
                                               uint8_t *dst, int dst_w, int dst_h, effad_error *e);

/* Rotation about (w/2, h/2) into a same-size image. */
effad_status rotate_bilinear_replicate(const uint8_t *rgb, int w, int h, double angle_deg,
                                       uint8_t *out, effad_error *e);

/* ------------------------------------------------------------ the PRNG */

typedef struct augment_rng { uint64_t state; } augment_rng;

void augment_rng_seed(augment_rng *r, uint64_t seed);
/* The stream of one image of a batch: seeded from (seed, image index)
 * alone, so that it does not depend on which images were drawn for before
 * it or on which worker runs it (effad fit --aug with --threads). */
void augment_rng_seed_image(augment_rng *r, uint64_t seed, uint64_t image);
uint64_t augment_rng_next(augment_rng *r);                 /* splitmix64 */
/* Uniform in [lo, hi] (inclusive), without modulo bias. */
int augment_rng_int(augment_rng *r, int lo, int hi);

/* ------------------------------------------------------------ the recipe */

typedef struct augment_draw {
    int angle_deg;   /* np.random.randint(-max_angle, max_angle + 1) */
    int top, left;   /* np.random.randint(0, rh - out_h), (0, rw - out_w) */
} augment_draw;

/* Draws for an rw x rh resized image. numpy's randint(0, 0) raises when the
 * resized side equals the crop; we return offset 0 there instead. */
effad_status augment_sample(augment_rng *r, const preprocess_cfg *cfg, int rw, int rh,
                            int max_angle, augment_draw *d, effad_error *e);

size_t augment_scratch_bytes(const preprocess_cfg *cfg, int w, int h);
/* cfg must resize by the shorter side (the "ailia" presets). */
effad_status augment_apply(const preprocess_cfg *cfg, const uint8_t *rgb, int w, int h,
                           const augment_draw *d, float *out_chw,
                           void *scratch, size_t scratch_bytes, effad_error *e);

#endif /* EFFAD_AUGMENT_H */
