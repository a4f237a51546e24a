/*
 * anomaly-map.h -- from per-location distances to a map over the original
 * image, the way PaDiM (Defard et al. 2020) draws it:
 *
 *   distance grid (grid_h x grid_w)
 *     -> bilinear upsample to the network input, PyTorch's
 *        F.interpolate(mode='bilinear', align_corners=False) as PaDiM does
 *        (sample centres at (i + 0.5) * in / out - 0.5, clamped at 0)
 *     -> Gaussian blur, scipy.ndimage.gaussian_filter(sigma, truncate=4.0,
 *        mode='reflect'): kernel radius int(4 sigma + 0.5), weights
 *        exp(-x^2 / 2 sigma^2) normalised to sum 1, rows (axis 0) first,
 *        borders mirrored about the edge (d c b a | a b c d)
 *     -> mapped back onto the original w x h image through the
 *        preprocessing geometry: the image was resized to rw x rh and a
 *        in_w x in_h window cropped at (left, top) (paper: the resize is
 *        to the input size and the window is all of it). Each original
 *        pixel centre (x + 0.5, y + 0.5) lands at
 *          u = (x + 0.5) rw / w - 0.5 - left   (v likewise)
 *        in network-input pixels and is sampled bilinearly there with the
 *        same convention as the upsampling (for paper this IS
 *        F.interpolate from in x in to h x w). Pixels whose centre falls
 *        outside the crop window were never seen by the network: they
 *        get 0, below every distance, so they are never defective.
 *
 * All maps are float32, row-major, one channel.
 */
#ifndef EFFAD_ANOMALY_MAP_H
#define EFFAD_ANOMALY_MAP_H

#include <stddef.h>
#include "effad.h"
#include "preprocess.h"

/* Where the network input sits in the original image. */
typedef struct map_geometry {
    int img_w, img_h;         /* the original image */
    int rw, rh;               /* the size it is resized to */
    int left, top;            /* the crop window's origin in the resized image */
    int in_w, in_h;           /* the window (the network input) */
} map_geometry;

effad_status map_geometry_of(const preprocess_cfg *cfg, int img_w, int img_h, map_geometry *g, effad_error *e);

/* F.interpolate(src[None, None], (dh, dw), mode='bilinear', align_corners=False). */
void map_resize_bilinear(const float *src, int sw, int sh, float *dst, int dw, int dh);

/* Kernel radius scipy uses: int(truncate * sigma + 0.5), truncate 4. */
int map_blur_radius(double sigma);
/* In place, scipy.ndimage.gaussian_filter(map, sigma, mode='reflect');
 * tmp: w * h floats; scratch: map_blur_scratch bytes (8-byte aligned).
 * sigma <= 0 leaves the map as it is. */
size_t map_blur_scratch(int w, int h, double sigma);
void map_blur(float *map, int w, int h, double sigma, float *tmp, void *scratch);

/* The pixels of the original image whose centres fall inside the crop
 * window (inclusive bounds): those the map covers. */
void map_window(const map_geometry *g, int *x0, int *y0, int *x1, int *y1);

/* The network-input map (g->in_w x g->in_h) onto the original image
 * (g->img_w x g->img_h) as described above. */
void map_to_image(const float *net, const map_geometry *g, float *out);

#endif
