/* jpeg-upsample-neon.c -- pixel-kernels.h's fancy_h2 in NEON, eight input
 * samples a step: the sums in 16-bit lanes (at most 4 x 1020 + 8), each
 * output narrowed to its byte, and VST2 interleaving a sample's two
 * outputs. The edges and the tail are the reference's pieces. */
#include "pixel-kernels.h"

#if PIXEL_KERNELS_HAVE_NEON
#include <arm_neon.h>

static inline uint16x8_t sums8(const uint8_t *a, const uint8_t *b)
{
    const uint16x8_t s = vmovl_u8(vld1_u8(a));
    if (!b) return s;
    return vaddq_u16(vmulq_n_u16(s, 3), vmovl_u8(vld1_u8(b)));
}

void jpeg_fancy_h2_neon(const uint8_t *a, const uint8_t *b, int n, uint8_t *out, int W)
{
    const int last = n - 1;
    const uint16x8_t b0 = vdupq_n_u16(b ? 8 : 1), b1 = vdupq_n_u16(b ? 7 : 2);
    const int16x8_t shift = vdupq_n_s16((int16_t)(b ? -4 : -2));   /* a negative left shift shifts right */
    int i = 1;
    for (; i + 8 <= last; i += 8) {
        const uint16x8_t prev = sums8(a + i - 1, b ? b + i - 1 : NULL), cur = sums8(a + i, b ? b + i : NULL),
                         next = sums8(a + i + 1, b ? b + i + 1 : NULL);
        const uint16x8_t cur3 = vmulq_n_u16(cur, 3);
        uint8x8x2_t o;
        o.val[0] = vmovn_u16(vshlq_u16(vaddq_u16(vaddq_u16(cur3, prev), b0), shift));
        o.val[1] = vmovn_u16(vshlq_u16(vaddq_u16(vaddq_u16(cur3, next), b1), shift));
        vst2_u8(out + 2 * i, o);
    }
    jpeg_fancy_h2_span(a, b, i, last, out);
    jpeg_fancy_h2_edges(a, b, n, out, W);
}
#endif
