/* jpeg-idct-neon.c -- pixel-kernels.h's islow IDCT in NEON: a row of the
 * block is two vectors of four 32-bit lanes, so the column pass runs the
 * 1-D transform on all eight columns at once; the workspace is
 * transposed for the row pass and the result transposed back. The
 * operations are the reference's, in 32 bits where pixel-kernels.h shows
 * they cannot overflow (else the block goes to the reference), so the
 * bits are the reference's. */
#include "pixel-kernels.h"

#if PIXEL_KERNELS_HAVE_NEON
#include <arm_neon.h>
#include <string.h>

#define CB JPEG_IDCT_CONST_BITS
#define P1 JPEG_IDCT_PASS1_BITS

/* The reference's idct_1d on four lanes (v[i] is input i of each); the
 * outputs rounded and shifted right by `shift` (the pass's DESCALE: SSHL
 * by a negative count is the arithmetic shift right). */
static inline void idct_1d(int32x4_t v[8], int shift)
{
    const int32x4_t round = vdupq_n_s32(1 << (shift - 1)), down = vdupq_n_s32(-shift);
    int32x4_t z1, z2, z3, z4, z5, tmp0, tmp1, tmp2, tmp3, tmp10, tmp11, tmp12, tmp13;
    z2 = v[2]; z3 = v[6];
    z1 = vmulq_n_s32(vaddq_s32(z2, z3), JPEG_IDCT_F0_541);
    tmp2 = vmlaq_n_s32(z1, z3, -JPEG_IDCT_F1_847);
    tmp3 = vmlaq_n_s32(z1, z2, JPEG_IDCT_F0_765);
    tmp0 = vshlq_n_s32(vaddq_s32(v[0], v[4]), CB);
    tmp1 = vshlq_n_s32(vsubq_s32(v[0], v[4]), CB);
    tmp10 = vaddq_s32(tmp0, tmp3); tmp13 = vsubq_s32(tmp0, tmp3);
    tmp11 = vaddq_s32(tmp1, tmp2); tmp12 = vsubq_s32(tmp1, tmp2);

    tmp0 = v[7]; tmp1 = v[5]; tmp2 = v[3]; tmp3 = v[1];
    z1 = vaddq_s32(tmp0, tmp3); z2 = vaddq_s32(tmp1, tmp2);
    z3 = vaddq_s32(tmp0, tmp2); z4 = vaddq_s32(tmp1, tmp3);
    z5 = vmulq_n_s32(vaddq_s32(z3, z4), JPEG_IDCT_F1_175);
    tmp0 = vmulq_n_s32(tmp0, JPEG_IDCT_F0_298); tmp1 = vmulq_n_s32(tmp1, JPEG_IDCT_F2_053);
    tmp2 = vmulq_n_s32(tmp2, JPEG_IDCT_F3_072); tmp3 = vmulq_n_s32(tmp3, JPEG_IDCT_F1_501);
    z1 = vmulq_n_s32(z1, -JPEG_IDCT_F0_899); z2 = vmulq_n_s32(z2, -JPEG_IDCT_F2_562);
    z3 = vmlaq_n_s32(z5, z3, -JPEG_IDCT_F1_961); z4 = vmlaq_n_s32(z5, z4, -JPEG_IDCT_F0_390);
    tmp0 = vaddq_s32(tmp0, vaddq_s32(z1, z3));
    tmp1 = vaddq_s32(tmp1, vaddq_s32(z2, z4));
    tmp2 = vaddq_s32(tmp2, vaddq_s32(z2, z3));
    tmp3 = vaddq_s32(tmp3, vaddq_s32(z1, z4));

    tmp10 = vaddq_s32(tmp10, round); tmp11 = vaddq_s32(tmp11, round);
    tmp12 = vaddq_s32(tmp12, round); tmp13 = vaddq_s32(tmp13, round);
    v[0] = vshlq_s32(vaddq_s32(tmp10, tmp3), down);
    v[7] = vshlq_s32(vsubq_s32(tmp10, tmp3), down);
    v[1] = vshlq_s32(vaddq_s32(tmp11, tmp2), down);
    v[6] = vshlq_s32(vsubq_s32(tmp11, tmp2), down);
    v[2] = vshlq_s32(vaddq_s32(tmp12, tmp1), down);
    v[5] = vshlq_s32(vsubq_s32(tmp12, tmp1), down);
    v[3] = vshlq_s32(vaddq_s32(tmp13, tmp0), down);
    v[4] = vshlq_s32(vsubq_s32(tmp13, tmp0), down);
}

/* The 4x4 transpose of a, b, c, d in place. */
static inline void transpose4(int32x4_t *a, int32x4_t *b, int32x4_t *c, int32x4_t *d)
{
    const int32x4_t ab0 = vtrn1q_s32(*a, *b), ab1 = vtrn2q_s32(*a, *b);
    const int32x4_t cd0 = vtrn1q_s32(*c, *d), cd1 = vtrn2q_s32(*c, *d);
    *a = vreinterpretq_s32_s64(vtrn1q_s64(vreinterpretq_s64_s32(ab0), vreinterpretq_s64_s32(cd0)));
    *b = vreinterpretq_s32_s64(vtrn1q_s64(vreinterpretq_s64_s32(ab1), vreinterpretq_s64_s32(cd1)));
    *c = vreinterpretq_s32_s64(vtrn2q_s64(vreinterpretq_s64_s32(ab0), vreinterpretq_s64_s32(cd0)));
    *d = vreinterpretq_s32_s64(vtrn2q_s64(vreinterpretq_s64_s32(ab1), vreinterpretq_s64_s32(cd1)));
}

/* lo[r] holds columns 0-3 of row r, hi[r] columns 4-7. The 8x8 transpose
 * is four 4x4 ones, the off-diagonal quarters trading places. */
static inline void transpose8(int32x4_t lo[8], int32x4_t hi[8])
{
    transpose4(&lo[0], &lo[1], &lo[2], &lo[3]);
    transpose4(&hi[4], &hi[5], &hi[6], &hi[7]);
    transpose4(&hi[0], &hi[1], &hi[2], &hi[3]);
    transpose4(&lo[4], &lo[5], &lo[6], &lo[7]);
    for (int i = 0; i < 4; i++) {
        const int32x4_t t = hi[i];
        hi[i] = lo[i + 4];
        lo[i + 4] = t;
    }
}

/* 1 when every lane is within +-JPEG_IDCT_I32_SAFE. The saturating
 * absolute value takes INT32_MIN to INT32_MAX, which fails, where the
 * plain one would leave it negative and pass. */
static inline int within_safe(const int32x4_t lo[8], const int32x4_t hi[8])
{
    int32x4_t m = vmaxq_s32(vqabsq_s32(lo[0]), vqabsq_s32(hi[0]));
    for (int i = 1; i < 8; i++) m = vmaxq_s32(m, vmaxq_s32(vqabsq_s32(lo[i]), vqabsq_s32(hi[i])));
    return vmaxvq_s32(m) <= JPEG_IDCT_I32_SAFE;
}

void jpeg_idct_islow_neon(const int32_t coef[64], uint8_t *dst, size_t stride)
{
    int32x4_t lo[8], hi[8];
    for (int r = 0; r < 8; r++) {
        lo[r] = vld1q_s32(coef + 8 * r);
        hi[r] = vld1q_s32(coef + 8 * r + 4);
    }
    /* A block with no AC term is flat: the reference's short ways give
     * DESCALE(dc << P1, P1 + 3) + 128 everywhere. */
    uint32x4_t ac = vreinterpretq_u32_s32(vorrq_s32(vsetq_lane_s32(0, lo[0], 0), hi[0]));
    for (int r = 1; r < 8; r++) ac = vorrq_u32(ac, vreinterpretq_u32_s32(vorrq_s32(lo[r], hi[r])));
    if (!vmaxvq_u32(ac)) {
        const int64_t dc = (int32_t)((uint32_t)coef[0] << P1);
        const int64_t s = ((dc + (1 << (P1 + 2))) >> (P1 + 3)) + 128;
        const uint8_t b = (uint8_t)(s < 0 ? 0 : s > 255 ? 255 : s);
        for (int r = 0; r < 8; r++) memset(dst + r * stride, b, 8);
        return;
    }
    if (!within_safe(lo, hi)) { jpeg_idct_islow_scalar(coef, dst, stride); return; }
    idct_1d(lo, CB - P1);
    idct_1d(hi, CB - P1);
    if (!within_safe(lo, hi)) { jpeg_idct_islow_scalar(coef, dst, stride); return; }
    transpose8(lo, hi);
    idct_1d(lo, CB + P1 + 3);
    idct_1d(hi, CB + P1 + 3);
    transpose8(lo, hi);
    /* + 128 cannot overflow (the row pass divides by 2^18), and the two
     * saturating narrows clamp to 0..255 as the reference does: to int16
     * keeps the sign and anything above 255, to uint8 clips both. */
    const int32x4_t level = vdupq_n_s32(128);
    for (int r = 0; r < 8; r++) {
        const int16x8_t w = vcombine_s16(vqmovn_s32(vaddq_s32(lo[r], level)), vqmovn_s32(vaddq_s32(hi[r], level)));
        vst1_u8(dst + r * stride, vqmovun_s16(w));
    }
}
#endif
