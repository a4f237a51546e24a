/* The 16x8 glue, eight lanes a step (contracts in ops/q16.h; tails by the
 * reference's arithmetic, so every element gets the scalar bits). */
#if defined(__aarch64__)
#include "q16-neon.h"

ops_status q16_scale_channels_neon(const int16_t *in, size_t pixels, size_t c, const float *mult, int16_t *out)
{
    if ((pixels && c) && (!in || !mult || !out)) return OPS_ERR_ARG;
    const size_t c8 = c / 8 * 8;
    /* the reference quantises with inv_scale 1: t * 1 is t, so no multiply */
    const float32x4_t lo = vdupq_n_f32(-32768.0f), hi = vdupq_n_f32(32767.0f);
    for (size_t p = 0; p < pixels; p++) {
        const int16_t *x = in + p * c;
        int16_t *y = out + p * c;
        for (size_t ch = 0; ch < c8; ch += 8) {
            float32x4_t v[2];
            q16_neon_to_f32(vld1q_s16(x + ch), v);
            v[0] = vminnmq_f32(vmaxq_f32(vmulq_f32(v[0], vld1q_f32(mult + ch)), lo), hi);
            v[1] = vminnmq_f32(vmaxq_f32(vmulq_f32(v[1], vld1q_f32(mult + ch + 4)), lo), hi);
            vst1q_s16(y + ch, q16_neon_narrow8(vcvtnq_s32_f32(v[0]), vcvtnq_s32_f32(v[1])));
        }
        for (size_t ch = c8; ch < c; ch++) y[ch] = ops_q16_quantize1((float)x[ch] * mult[ch], 1.0f);
    }
    return OPS_OK;
}

ops_status q16_quantize_neon(const float *x, size_t n, float inv_scale, int16_t *q)
{
    if (n && (!x || !q)) return OPS_ERR_ARG;
    const size_t n8 = n / 8 * 8;
    const float32x4_t inv = vdupq_n_f32(inv_scale);
    for (size_t i = 0; i < n8; i += 8)
        vst1q_s16(q + i, q16_neon_narrow8(q16_neon_quantize(vld1q_f32(x + i), inv),
                                          q16_neon_quantize(vld1q_f32(x + i + 4), inv)));
    for (size_t i = n8; i < n; i++) q[i] = ops_q16_quantize1(x[i], inv_scale);
    return OPS_OK;
}

ops_status q16_dequantize_neon(const int16_t *q, size_t n, float scale, float *x)
{
    if (n && (!x || !q)) return OPS_ERR_ARG;
    const size_t n8 = n / 8 * 8;
    const float32x4_t s = vdupq_n_f32(scale);
    for (size_t i = 0; i < n8; i += 8) {
        float32x4_t v[2];
        q16_neon_to_f32(vld1q_s16(q + i), v);
        vst1q_f32(x + i, vmulq_f32(v[0], s));
        vst1q_f32(x + i + 4, vmulq_f32(v[1], s));
    }
    for (size_t i = n8; i < n; i++) x[i] = (float)q[i] * scale;
    return OPS_OK;
}

/* 16 channels a step, each pixel's values added into four int32x4 (exact:
 * hw <= OPS_Q16_SUM_HW_MAX keeps hw * 32768 below 2^31). */
ops_status q16_sum_hw_neon(const int16_t *in, size_t hw, size_t c, int32_t *out)
{
    if (!out || (hw && !in) || hw > OPS_Q16_SUM_HW_MAX) return OPS_ERR_ARG;
    const size_t c16 = c / 16 * 16, c8 = c / 8 * 8;
    size_t ch = 0;
    for (; ch < c16; ch += 16) {
        int32x4_t s0 = vdupq_n_s32(0), s1 = s0, s2 = s0, s3 = s0;
        for (size_t p = 0; p < hw; p++) {
            const int16x8_t lo = vld1q_s16(in + p * c + ch), hi = vld1q_s16(in + p * c + ch + 8);
            s0 = vaddw_s16(s0, vget_low_s16(lo));
            s1 = vaddw_high_s16(s1, lo);
            s2 = vaddw_s16(s2, vget_low_s16(hi));
            s3 = vaddw_high_s16(s3, hi);
        }
        vst1q_s32(out + ch, s0);
        vst1q_s32(out + ch + 4, s1);
        vst1q_s32(out + ch + 8, s2);
        vst1q_s32(out + ch + 12, s3);
    }
    for (; ch < c8; ch += 8) {
        int32x4_t s0 = vdupq_n_s32(0), s1 = s0;
        for (size_t p = 0; p < hw; p++) {
            const int16x8_t v = vld1q_s16(in + p * c + ch);
            s0 = vaddw_s16(s0, vget_low_s16(v));
            s1 = vaddw_high_s16(s1, v);
        }
        vst1q_s32(out + ch, s0);
        vst1q_s32(out + ch + 4, s1);
    }
    for (; ch < c; ch++) {
        int32_t s = 0;
        for (size_t p = 0; p < hw; p++) s += in[p * c + ch];
        out[ch] = s;
    }
    return OPS_OK;
}

#endif /* __aarch64__ */
