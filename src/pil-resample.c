/* pil-resample.c -- the reference rows of Pillow's two resampling passes
 * (pixel-kernels.h's pil_h and pil_v; resize-pil.c has the rest). The
 * sums are Pillow's 32-bit int sums, written in unsigned arithmetic so
 * that no order of adding them is undefined. */
#include "pixel-kernels.h"

/* Pillow clips through a table indexed by ss >> 22; the table is 0 below
 * zero and 255 above 255. Negative sums always land below zero. */
static uint8_t pil_clip8(uint32_t sum)
{
    const int32_t ss = (int32_t)sum;
    if (ss < 0) return 0;
    return (ss >> PIL_PRECISION_BITS) > 255 ? 255 : (uint8_t)(ss >> PIL_PRECISION_BITS);
}

void pil_h_rgb8_scalar(const uint8_t *src, size_t avail, const int32_t *bounds, const int32_t *k, int ksize,
                       const void *packed, int n, uint8_t *dst)
{
    (void)avail; (void)packed;
    for (int i = 0; i < n; i++, k += ksize) {
        const int first = bounds[2 * i], taps = bounds[2 * i + 1];
        uint32_t s0 = 1u << (PIL_PRECISION_BITS - 1), s1 = s0, s2 = s0;
        const uint8_t *p = src + (size_t)first * 3;
        for (int t = 0; t < taps; t++, p += 3) {
            s0 += p[0] * (uint32_t)k[t]; s1 += p[1] * (uint32_t)k[t]; s2 += p[2] * (uint32_t)k[t];
        }
        dst[3 * i] = pil_clip8(s0); dst[3 * i + 1] = pil_clip8(s1); dst[3 * i + 2] = pil_clip8(s2);
    }
}

void pil_v_rgb8_scalar(const uint8_t *src, size_t stride, const int32_t *k, int taps, size_t n, uint8_t *dst)
{
    for (size_t j = 0; j < n; j++) {
        uint32_t s = 1u << (PIL_PRECISION_BITS - 1);
        const uint8_t *p = src + j;
        for (int t = 0; t < taps; t++, p += stride) s += *p * (uint32_t)k[t];
        dst[j] = pil_clip8(s);
    }
}
