/* jpeg-ycc.c -- pixel-kernels.h's reference YCbCr -> RGB, libjpeg's
 * jdcolor.c: each term is what its table holds, x * 2^16 rounded, the
 * 0.5 of rounding folded into the Cr (R), Cb (B) and G terms, the sum
 * shifted right by 16 (rounding down) and clamped. */
#include "pixel-kernels.h"

/* v >> 16 rounding down, as libjpeg's RIGHT_SHIFT, without the sign's
 * branch: v + 2^30 is never negative here (|v| < 2^25), and 2^30 is a
 * multiple of 2^16, so the shift of the sum is the shift of v plus 2^14 */
static int asr16(int32_t v) { return (int)(((uint32_t)v + (1u << 30)) >> 16) - (1 << 14); }
static uint8_t clamp8(int v) { return (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v); }

void jpeg_ycc_rgb_scalar(const uint8_t *Y, const uint8_t *Cb, const uint8_t *Cr, size_t n, uint8_t *o)
{
    for (size_t i = 0; i < n; i++, o += 3) {
        const int y = Y[i], cb = Cb[i] - 128, cr = Cr[i] - 128;
        o[0] = clamp8(y + asr16(JPEG_YCC_CR_R * cr + 32768));
        o[1] = clamp8(y + asr16(-JPEG_YCC_CB_G * cb + 32768 - JPEG_YCC_CR_G * cr));
        o[2] = clamp8(y + asr16(JPEG_YCC_CB_B * cb + 32768));
    }
}
