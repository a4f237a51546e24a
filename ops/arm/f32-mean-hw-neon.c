/* Spatial mean per channel (GlobalAveragePool, pooled feature taps). */
#include "ops-neon.h"

/* Channels are walked in blocks of 16 with the block's sums held in four
 * registers across all pixels, so each input float is read once and the
 * output is written once; pixels are summed in order, as in the oracle. */
ops_status f32_mean_hw_neon(const float *in, size_t hw, size_t c, float *out)
{
    if (!out || (hw && !in) || hw == 0) return OPS_ERR_ARG;
    /* A true division, as the oracle does, rather than a multiply by 1/hw. */
    const float32x4_t d = vdupq_n_f32((float)hw);
    size_t ch = 0;
    for (; ch + 16 <= c; ch += 16) {
        float32x4_t s0 = vdupq_n_f32(0.0f), s1 = s0, s2 = s0, s3 = s0;
        const float *p = in + ch;
        for (size_t i = 0; i < hw; i++, p += c) {
            s0 = vaddq_f32(s0, vld1q_f32(p));
            s1 = vaddq_f32(s1, vld1q_f32(p + 4));
            s2 = vaddq_f32(s2, vld1q_f32(p + 8));
            s3 = vaddq_f32(s3, vld1q_f32(p + 12));
        }
        vst1q_f32(out + ch, vdivq_f32(s0, d));
        vst1q_f32(out + ch + 4, vdivq_f32(s1, d));
        vst1q_f32(out + ch + 8, vdivq_f32(s2, d));
        vst1q_f32(out + ch + 12, vdivq_f32(s3, d));
    }
    for (; ch + 4 <= c; ch += 4) {
        float32x4_t s = vdupq_n_f32(0.0f);
        const float *p = in + ch;
        for (size_t i = 0; i < hw; i++, p += c) s = vaddq_f32(s, vld1q_f32(p));
        vst1q_f32(out + ch, vdivq_f32(s, d));
    }
    if (ch < c) {
        size_t t = c - ch;
        float32x4_t s = vdupq_n_f32(0.0f);
        const float *p = in + ch;
        for (size_t i = 0; i < hw; i++, p += c) s = vaddq_f32(s, ops_neon_load_tail(p, t));
        ops_neon_store_tail(out + ch, vdivq_f32(s, d), t);
    }
    return OPS_OK;
}
