/* jpeg-ycc-neon.c -- pixel-kernels.h's YCbCr -> RGB in NEON, sixteen
 * pixels a step (then eight), in 16-bit lanes. Each constant that does
 * not fit an int16 is split as K = m * 2^16 + K' with K' within +-2^15
 * (CR_R = 2^16 + 26345, CR_G = 2^16 - 18734, CB_B = 2^17 - 14942): since
 * m c 2^16 is a multiple of 2^16, (K c + X) >> 16 = m c + (K' c + X) >> 16
 * exactly, and the right-hand shift is a widening multiply(-add) and a
 * rounding narrow (the 2^15 of the reference's rounding). The sums then
 * stay within +-2^10, the saturating narrow to uint8 is the reference's
 * clamp, and VST3 interleaves R, G and B. The tail of fewer than eight
 * pixels is the reference's. */
#include "pixel-kernels.h"

#if PIXEL_KERNELS_HAVE_NEON
#include <arm_neon.h>

#define CR_R_LO (JPEG_YCC_CR_R - 65536)        /* 26345 */
#define CR_G_LO (65536 - JPEG_YCC_CR_G)        /* 18734: -CR_G = -2^16 + this */
#define CB_B_LO (JPEG_YCC_CB_B - 2 * 65536)    /* -14942 */

/* Eight pixels: y widened to int16, cb and cr less 128. */
static inline uint8x8x3_t rgb8(uint8x8_t y8, uint8x8_t cb8, uint8x8_t cr8)
{
    const uint8x8_t c128 = vdup_n_u8(128);
    const int16x8_t y = vreinterpretq_s16_u16(vmovl_u8(y8));
    /* u8 - 128 wraps mod 2^16 to the signed value */
    const int16x8_t cb = vreinterpretq_s16_u16(vsubl_u8(cb8, c128)), cr = vreinterpretq_s16_u16(vsubl_u8(cr8, c128));
    const int16x4_t cbl = vget_low_s16(cb), crl = vget_low_s16(cr);
    const int16x8_t dr = vrshrn_high_n_s32(vrshrn_n_s32(vmull_n_s16(crl, CR_R_LO), 16),
                                           vmull_high_n_s16(cr, CR_R_LO), 16);
    const int16x8_t dg = vrshrn_high_n_s32(vrshrn_n_s32(vmlal_n_s16(vmull_n_s16(cbl, -JPEG_YCC_CB_G), crl, CR_G_LO), 16),
                                           vmlal_high_n_s16(vmull_high_n_s16(cb, -JPEG_YCC_CB_G), cr, CR_G_LO), 16);
    const int16x8_t db = vrshrn_high_n_s32(vrshrn_n_s32(vmull_n_s16(cbl, CB_B_LO), 16),
                                           vmull_high_n_s16(cb, CB_B_LO), 16);
    uint8x8x3_t o;
    o.val[0] = vqmovun_s16(vaddq_s16(vaddq_s16(y, cr), dr));
    o.val[1] = vqmovun_s16(vaddq_s16(vsubq_s16(y, cr), dg));
    o.val[2] = vqmovun_s16(vaddq_s16(vaddq_s16(y, vshlq_n_s16(cb, 1)), db));
    return o;
}

void jpeg_ycc_rgb_neon(const uint8_t *Y, const uint8_t *Cb, const uint8_t *Cr, size_t n, uint8_t *o)
{
    size_t i = 0;
    for (; i + 16 <= n; i += 16, o += 48) {
        const uint8x16_t y = vld1q_u8(Y + i), cb = vld1q_u8(Cb + i), cr = vld1q_u8(Cr + i);
        const uint8x8x3_t a = rgb8(vget_low_u8(y), vget_low_u8(cb), vget_low_u8(cr));
        const uint8x8x3_t b = rgb8(vget_high_u8(y), vget_high_u8(cb), vget_high_u8(cr));
        uint8x16x3_t rgb;
        for (int c = 0; c < 3; c++) rgb.val[c] = vcombine_u8(a.val[c], b.val[c]);
        vst3q_u8(o, rgb);
    }
    if (i + 8 <= n) {
        vst3_u8(o, rgb8(vld1_u8(Y + i), vld1_u8(Cb + i), vld1_u8(Cr + i)));
        i += 8;
        o += 24;
    }
    jpeg_ycc_rgb_scalar(Y + i, Cb + i, Cr + i, n - i, o);
}
#endif
