/*
 * q16-neon.h -- the 16x8 epilogue of ops/q16.h four lanes at a time, the
 * scalar reference's operations step for step (the reasons they give the
 * same bits are q8-neon.h's: every step one correctly rounded IEEE
 * operation per lane; the activation is q8_neon_act itself). aarch64 only.
 */
#ifndef EFFAD_Q16_NEON_H
#define EFFAD_Q16_NEON_H

#include "q8-neon.h"
#include "../q16.h"

#if defined(__aarch64__)

/* ops_q16_quantize1 on four lanes, as int32 in -32768..32767. The scalar
 * clamp (v < lo ? lo : v, then v <= hi ? v : hi) sends a NaN to 32767:
 * FMAX passes the NaN on and FMINNM then returns hi, as in q8-neon.h. */
Q8_NEON_INLINE int32x4_t q16_neon_quantize(float32x4_t t, float32x4_t inv)
{
    const float32x4_t v = vmulq_f32(t, inv);
    return vcvtnq_s32_f32(vminnmq_f32(vmaxq_f32(v, vdupq_n_f32(-32768.0f)), vdupq_n_f32(32767.0f)));
}

/* ops_q16_finish on four lanes; accf is the exact sum rounded once to
 * float, bias zeros when the layer has none (fmaf(acc, mult, 0.0f)), res
 * the residual as float (added only when has_res). */
Q8_NEON_INLINE int32x4_t q16_neon_finish(float32x4_t accf, float32x4_t mult, float32x4_t bias, ops_act act,
                                         float32x4_t res, float32x4_t res_scale, int has_res, float32x4_t inv)
{
    float32x4_t t = vfmaq_f32(bias, accf, mult);
    t = q8_neon_act(t, act, 0);
    if (has_res) t = vfmaq_f32(t, res, res_scale);
    return q16_neon_quantize(t, inv);
}

/* Eight int32 lanes already inside int16 to eight int16, in order. */
Q8_NEON_INLINE int16x8_t q16_neon_narrow8(int32x4_t a, int32x4_t b)
{
    return vcombine_s16(vmovn_s32(a), vmovn_s32(b));
}

/* Eight int16 as two float32x4 (exact). */
Q8_NEON_INLINE void q16_neon_to_f32(int16x8_t v, float32x4_t out[2])
{
    out[0] = vcvtq_f32_s32(vmovl_s16(vget_low_s16(v)));
    out[1] = vcvtq_f32_s32(vmovl_high_s16(v));
}

/* Four int64 sums (lo: the first two) as four floats, each rounded once
 * from the exact integer like C's (float) of an int64: to double is exact
 * below 2^53 (the sums are below 2^34), FCVTN then rounds to nearest even. */
Q8_NEON_INLINE float32x4_t q16_neon_s64_to_f32(int64x2_t lo, int64x2_t hi)
{
    return vcvt_high_f32_f64(vcvt_f32_f64(vcvtq_f64_s64(lo)), vcvtq_f64_s64(hi));
}

#endif /* __aarch64__ */
#endif /* EFFAD_Q16_NEON_H */
