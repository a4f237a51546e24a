/* pil-resample-neon.c -- pixel-kernels.h's rows of Pillow's resampling
 * passes in NEON. Both multiply-add in 32-bit lanes, which keep the low 32
 * bits of each product and sum, so every sum is Pillow's int for any int32
 * taps, with no split of the taps as the AVX2 forms need for their 16-bit
 * multiplies. The lanes are unsigned, as the reference's sums are: GCC's
 * vaddq_s32 is a plain C +, whose signed overflow is undefined. The clip:
 * a negative sum is 0, else sum >> 22 capped at 255; the arithmetic shift
 * of the sum read as signed keeps the sign and two saturating narrows
 * clamp.
 *
 * pil_h: one output pixel at a time, eight taps a step: VLD3 loads eight
 * source pixels with R, G and B apart, so the taps are read as they are
 * (no pack step) and each multiplies four lanes of one channel; a last
 * partial step takes its taps zero-padded. A pixel whose 24-byte loads
 * would run past avail is the reference's.
 *
 * pil_v: sixteen bytes of the row a step (then eight), a multiply-add per
 * tap and four bytes; the tail of the row is the reference's. */
#include "pixel-kernels.h"

#if PIXEL_KERNELS_HAVE_NEON
#include <arm_neon.h>
#include <string.h>

/* Four bytes' worth of widenings, for a multiply-add per 32-bit lane. */
static inline uint32x4_t lo32(uint16x8_t v) { return vmovl_u16(vget_low_u16(v)); }
static inline uint32x4_t hi32(uint16x8_t v) { return vmovl_high_u16(v); }

/* Four sums, read as Pillow's int, to int16s that keep the clip's answer. */
static inline int16x4_t narrow4(uint32x4_t s)
{
    return vqmovn_s32(vshrq_n_s32(vreinterpretq_s32_u32(s), PIL_PRECISION_BITS));
}

void pil_h_rgb8_neon(const uint8_t *src, size_t avail, const int32_t *bounds, const int32_t *k, int ksize,
                     const void *packed, int n, uint8_t *dst)
{
    (void)packed;
    const uint32x4_t round = vdupq_n_u32(1u << (PIL_PRECISION_BITS - 1));
    for (int i = 0; i < n; i++) {
        const int first = bounds[2 * i], taps = bounds[2 * i + 1];
        const int32_t *kt = k + (size_t)i * ksize;
        const size_t at = (size_t)first * 3;
        if (at + (size_t)(taps + 7) / 8 * 24 > avail) {
            pil_h_rgb8_scalar(src, avail, bounds + 2 * i, kt, ksize, NULL, 1, dst + 3 * i);
            continue;
        }
        const uint8_t *p = src + at;
        /* two accumulators a channel (taps 0-3 and 4-7 of each step) keep
         * the multiply-adds independent */
        uint32x4_t r0 = vdupq_n_u32(0), r1 = r0, g0 = r0, g1 = r0, b0 = r0, b1 = r0;
        int t = 0;
        for (;; t += 8, p += 24) {
            uint32x4_t ka, kb;
            if (t + 8 <= taps) {
                ka = vreinterpretq_u32_s32(vld1q_s32(kt + t));
                kb = vreinterpretq_u32_s32(vld1q_s32(kt + t + 4));
            } else if (t < taps) {
                /* the pixels past the taps are loaded but count for 0 */
                int32_t pad[8] = { 0 };
                memcpy(pad, kt + t, (size_t)(taps - t) * sizeof *pad);
                ka = vreinterpretq_u32_s32(vld1q_s32(pad));
                kb = vreinterpretq_u32_s32(vld1q_s32(pad + 4));
            } else {
                break;
            }
            const uint8x8x3_t px = vld3_u8(p);
            const uint16x8_t r = vmovl_u8(px.val[0]), g = vmovl_u8(px.val[1]), b = vmovl_u8(px.val[2]);
            r0 = vmlaq_u32(r0, lo32(r), ka); r1 = vmlaq_u32(r1, hi32(r), kb);
            g0 = vmlaq_u32(g0, lo32(g), ka); g1 = vmlaq_u32(g1, hi32(g), kb);
            b0 = vmlaq_u32(b0, lo32(b), ka); b1 = vmlaq_u32(b1, hi32(b), kb);
        }
        /* pairwise adds: [R G B B] */
        const uint32x4_t rg = vpaddq_u32(vaddq_u32(r0, r1), vaddq_u32(g0, g1));
        const uint32x4_t bb = vaddq_u32(b0, b1);
        const int16x4_t w = narrow4(vaddq_u32(vpaddq_u32(rg, vpaddq_u32(bb, bb)), round));
        const uint32_t bytes = vget_lane_u32(vreinterpret_u32_u8(vqmovun_s16(vcombine_s16(w, w))), 0);
        dst[3 * i] = (uint8_t)bytes; dst[3 * i + 1] = (uint8_t)(bytes >> 8); dst[3 * i + 2] = (uint8_t)(bytes >> 16);
    }
}

void pil_v_rgb8_neon(const uint8_t *src, size_t stride, const int32_t *k, int taps, size_t n, uint8_t *dst)
{
    const uint32x4_t round = vdupq_n_u32(1u << (PIL_PRECISION_BITS - 1));
    size_t j = 0;
    for (; j + 16 <= n; j += 16) {
        uint32x4_t a = round, b = round, c = round, d = round;
        const uint8_t *p = src + j;
        for (int t = 0; t < taps; t++, p += stride) {
            const uint32x4_t kt = vdupq_n_u32((uint32_t)k[t]);
            const uint8x16_t bytes = vld1q_u8(p);
            const uint16x8_t l = vmovl_u8(vget_low_u8(bytes)), h = vmovl_high_u8(bytes);
            a = vmlaq_u32(a, lo32(l), kt); b = vmlaq_u32(b, hi32(l), kt);
            c = vmlaq_u32(c, lo32(h), kt); d = vmlaq_u32(d, hi32(h), kt);
        }
        const int16x8_t ab = vcombine_s16(narrow4(a), narrow4(b)), cd = vcombine_s16(narrow4(c), narrow4(d));
        vst1q_u8(dst + j, vcombine_u8(vqmovun_s16(ab), vqmovun_s16(cd)));
    }
    if (j + 8 <= n) {
        uint32x4_t a = round, b = round;
        const uint8_t *p = src + j;
        for (int t = 0; t < taps; t++, p += stride) {
            const uint32x4_t kt = vdupq_n_u32((uint32_t)k[t]);
            const uint16x8_t l = vmovl_u8(vld1_u8(p));
            a = vmlaq_u32(a, lo32(l), kt); b = vmlaq_u32(b, hi32(l), kt);
        }
        vst1_u8(dst + j, vqmovun_s16(vcombine_s16(narrow4(a), narrow4(b))));
        j += 8;
    }
    pil_v_rgb8_scalar(src + j, stride, k, taps, n - j, dst + j);
}
#endif
