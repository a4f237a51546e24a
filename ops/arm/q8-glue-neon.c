/* The int8 glue, eight lanes a step (contracts in ops/q8.h; tails by the
 * reference's arithmetic, so every element gets the scalar bits). */
#if defined(__aarch64__)
#include "q8-neon.h"

/* 8 uint8 at p minus zero, as two int32x4. */
static inline void load8(const uint8_t *p, int32x4_t zero, int32x4_t out[2])
{
    const uint16x8_t v = vmovl_u8(vld1_u8(p));
    out[0] = vsubq_s32(q8_neon_u16lo_s32(v), zero);
    out[1] = vsubq_s32(q8_neon_u16hi_s32(v), zero);
}

ops_status q8_scale_channels_neon(const uint8_t *in, size_t pixels, size_t c, int32_t in_zero, const float *mult,
                                  int32_t out_zero, uint8_t *out)
{
    if ((pixels && c) && (!in || !mult || !out)) return OPS_ERR_ARG;
    const size_t c8 = c / 8 * 8;
    const int32x4_t zi = vdupq_n_s32(in_zero);
    /* the reference quantises with inv_scale 1 (mult holds the whole factor) */
    const q8_neon_out q = q8_neon_out_of(1.0f, out_zero);
    for (size_t p = 0; p < pixels; p++) {
        const uint8_t *x = in + p * c;
        uint8_t *y = out + p * c;
        for (size_t ch = 0; ch < c8; ch += 8) vst1_u8(y + ch, q8_neon_rescale8(x + ch, mult + ch, zi, &q));
        for (size_t ch = c8; ch < c; ch++)
            y[ch] = ops_q8_quantize1((float)((int32_t)x[ch] - in_zero) * mult[ch], 1.0f, out_zero);
    }
    return OPS_OK;
}

ops_status q8_quantize_neon(const float *x, size_t n, float inv_scale, int32_t zero, uint8_t *q)
{
    if (n && (!x || !q)) return OPS_ERR_ARG;
    const size_t n8 = n / 8 * 8;
    const q8_neon_out o = q8_neon_out_of(inv_scale, zero);
    for (size_t i = 0; i < n8; i += 8)
        vst1_u8(q + i, q8_neon_narrow8(q8_neon_quantize(vld1q_f32(x + i), &o), q8_neon_quantize(vld1q_f32(x + i + 4), &o)));
    for (size_t i = n8; i < n; i++) q[i] = ops_q8_quantize1(x[i], inv_scale, zero);
    return OPS_OK;
}

ops_status q8_dequantize_neon(const uint8_t *q, size_t n, float scale, int32_t zero, float *x)
{
    if (n && (!x || !q)) return OPS_ERR_ARG;
    const size_t n8 = n / 8 * 8;
    const float32x4_t s = vdupq_n_f32(scale);
    const int32x4_t z = vdupq_n_s32(zero);
    for (size_t i = 0; i < n8; i += 8) {
        int32x4_t v[2];
        load8(q + i, z, v);
        vst1q_f32(x + i, vmulq_f32(vcvtq_f32_s32(v[0]), s));
        vst1q_f32(x + i + 4, vmulq_f32(vcvtq_f32_s32(v[1]), s));
    }
    for (size_t i = n8; i < n; i++) x[i] = (float)((int32_t)q[i] - zero) * scale;
    return OPS_OK;
}

/* 16 channels a step, each pixel's bytes widened and added into four
 * int32x4 (exact: hw * 255 < 2^31). */
ops_status q8_sum_hw_neon(const uint8_t *in, size_t hw, size_t c, int32_t *out)
{
    if (!out || (hw && !in)) return OPS_ERR_ARG;
    const size_t c16 = c / 16 * 16;
    for (size_t ch = 0; ch < c16; ch += 16) {
        uint32x4_t s0 = vdupq_n_u32(0), s1 = s0, s2 = s0, s3 = s0;
        for (size_t p = 0; p < hw; p++) {
            const uint8x16_t v = vld1q_u8(in + p * c + ch);
            const uint16x8_t lo = vmovl_u8(vget_low_u8(v)), hi = vmovl_high_u8(v);
            s0 = vaddw_u16(s0, vget_low_u16(lo));
            s1 = vaddw_high_u16(s1, lo);
            s2 = vaddw_u16(s2, vget_low_u16(hi));
            s3 = vaddw_high_u16(s3, hi);
        }
        vst1q_s32(out + ch, vreinterpretq_s32_u32(s0));
        vst1q_s32(out + ch + 4, vreinterpretq_s32_u32(s1));
        vst1q_s32(out + ch + 8, vreinterpretq_s32_u32(s2));
        vst1q_s32(out + ch + 12, vreinterpretq_s32_u32(s3));
    }
    for (size_t ch = c16; ch < c; ch++) {
        int32_t s = 0;
        for (size_t p = 0; p < hw; p++) s += in[p * c + ch];
        out[ch] = s;
    }
    return OPS_OK;
}

#endif /* __aarch64__ */
