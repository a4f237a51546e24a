/* png-paeth-neon.c -- pixel-kernels.h's png_paeth for 3- and 4-byte
 * pixels in NEON: a pixel's channels side by side in 16-bit lanes, one
 * pass of the spec's predictor for them all (each pixel's left neighbour
 * is the one just made, so pixels go one at a time). Ties keep the
 * predictor's order -- a, then b, then c -- by choosing c, then b where
 * pb is smallest, then a where pa is. Other pixel sizes are the
 * reference's. */
#include "pixel-kernels.h"

#if PIXEL_KERNELS_HAVE_NEON
#include <arm_neon.h>

/* A pixel's bytes through a register (memcpy of 3 bytes goes through
 * the stack, and the wide reload of narrow stores is slow) */
static inline __attribute__((always_inline)) int16x4_t load_px(const uint8_t *p, size_t bpp)
{
    const uint32_t v = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (bpp == 4 ? (uint32_t)p[3] << 24 : 0);
    return vreinterpret_s16_u16(vget_low_u16(vmovl_u8(vreinterpret_u8_u32(vdup_n_u32(v)))));
}

static inline __attribute__((always_inline)) void store_px(uint8_t *p, int16x4_t v, size_t bpp)
{
    const uint32_t x = vget_lane_u32(vreinterpret_u32_u8(vmovn_u16(vcombine_u16(vreinterpret_u16_s16(v),
                                                                                vreinterpret_u16_s16(v)))), 0);
    p[0] = (uint8_t)x; p[1] = (uint8_t)(x >> 8); p[2] = (uint8_t)(x >> 16);
    if (bpp == 4) p[3] = (uint8_t)(x >> 24);
}

/* bpp a constant where it is called, so the pixel's loads and stores are
 * single moves, not calls of memcpy */
static inline __attribute__((always_inline)) void run(uint8_t *row, const uint8_t *prev, size_t n, size_t bpp)
{
    int16x4_t a = load_px(row, bpp), c = load_px(prev, bpp);
    for (size_t i = bpp; i + bpp <= n; i += bpp) {
        const int16x4_t b = load_px(prev + i, bpp);
        const int16x4_t pa0 = vsub_s16(b, c), pb0 = vsub_s16(a, c);
        const int16x4_t pa = vabs_s16(pa0), pb = vabs_s16(pb0), pc = vabs_s16(vadd_s16(pa0, pb0));
        const int16x4_t least = vmin_s16(pc, vmin_s16(pa, pb));
        int16x4_t p = vbsl_s16(vceq_s16(pb, least), b, c);
        p = vbsl_s16(vceq_s16(pa, least), a, p);
        a = vand_s16(vadd_s16(load_px(row + i, bpp), p), vdup_n_s16(0xFF));
        store_px(row + i, a, bpp);
        c = b;
    }
}

void png_paeth_neon(uint8_t *row, const uint8_t *prev, size_t n, size_t bpp)
{
    if (bpp == 3) run(row, prev, n, 3);
    else if (bpp == 4) run(row, prev, n, 4);
    else png_paeth_scalar(row, prev, n, bpp);
}
#endif
