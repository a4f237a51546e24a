/*
 * ops-neon.h -- aarch64 NEON kernels (internal to ops/).
 *
 * Each kernel has the signature of its scalar oracle in ops.h (float32)
 * or q8.h (int8) or q16.h (16x8) and the same epilogue semantics (bias,
 * activation, a_scale, residual, chan_sum, row_begin/row_end). The float32
 * results agree to float rounding, not bit for bit, because the NEON
 * kernels fuse multiply-adds and sum in another order; the int8 and 16x8
 * ones give the reference's bits (q8-neon.h, q16-neon.h). The engine reaches them only through the
 * tables of kernels-neon.c (ops/dispatch.c picks one).
 *
 * The vector exp and activation helpers are static inline here so that the
 * GEMM, depthwise and stem kernels apply the activation on registers in
 * their epilogue instead of making a second pass over memory.
 *
 * aarch64 only: vdivq_f32, vrndnq_f32, vaddvq_f32 and vfmaq_f32 on every
 * core are A64 features, so 32-bit ARM builds use the scalar kernels.
 */
#ifndef EFFAD_OPS_NEON_H
#define EFFAD_OPS_NEON_H

#include "../ops.h"
#include "../dispatch.h"
#include "../kernels-internal.h"

#if defined(__aarch64__)
#include <arm_neon.h>

ops_status f32_conv_hwc_neon(const ops_conv_args *a);
/* Picks the 3x3 / 5x5 kernel from the geometry, else the generic one. */
ops_status f32_dwconv_hwc_neon(const ops_dwconv_args *a);
ops_status f32_dwconv_3x3_neon(const ops_dwconv_args *a);
ops_status f32_dwconv_5x5_neon(const ops_dwconv_args *a);
ops_status f32_dwconv_kxk_neon(const ops_dwconv_args *a);
size_t     f32_gemm_buffer_size_neon(size_t m, size_t n, size_t k);
ops_status f32_gemm_4x16_neon(const ops_gemm_args *a, void *scratch);
ops_status f32_se_gate_neon(const ops_se_args *a);
ops_status f32_mean_hw_neon(const float *in, size_t hw, size_t c, float *out);
ops_status f32_act_neon(float *x, size_t n, ops_act act);

/* int8 (files ops/arm/q8-...-neon*.c): bit-identical to the scalar
 * references of ops/q8.h. Each GEMM needs B packed by its own packer (it
 * hands other calls to the reference); the -neondot ones run only where
 * the CPU has the dot-product extension (ops_neondot_kernels). */
ops_status q8_gemm_4x16_neon(const ops_q8_gemm_args *a, void *scratch);
size_t     q8_gemm_buffer_size_neon(size_t m, size_t n, size_t k);
size_t     q8_gemm_pack_buffer_size_neon(size_t n, size_t k);
ops_status q8_gemm_pack_neon(const ops_q8_gemm_args *a, void *dst);
size_t     q8_gemm_pack_offset_neon(size_t j0, size_t k);
ops_status q8_gemm_4x16_neondot(const ops_q8_gemm_args *a, void *scratch);
size_t     q8_gemm_buffer_size_neondot(size_t m, size_t n, size_t k);
size_t     q8_gemm_pack_buffer_size_neondot(size_t n, size_t k);
ops_status q8_gemm_pack_neondot(const ops_q8_gemm_args *a, void *dst);
size_t     q8_gemm_pack_offset_neondot(size_t j0, size_t k);
ops_status q8_dwconv_hwc_neon(const ops_q8_dwconv_args *a);
ops_status q8_scale_channels_neon(const uint8_t *in, size_t pixels, size_t c, int32_t in_zero, const float *mult,
                                  int32_t out_zero, uint8_t *out);
ops_status q8_quantize_neon(const float *x, size_t n, float inv_scale, int32_t zero, uint8_t *q);
ops_status q8_dequantize_neon(const uint8_t *q, size_t n, float scale, int32_t zero, float *x);
ops_status q8_sum_hw_neon(const uint8_t *in, size_t hw, size_t c, int32_t *out);

/* 16x8 (files ops/arm/q16-...-neon.c): bit-identical to the scalar
 * references of ops/q16.h, in both NEON tables (SDOT has no 16-bit form).
 * The GEMM needs B packed by q16_gemm_pack_neon (it hands other calls to
 * the reference). */
ops_status q16_gemm_4x16_neon(const ops_q16_gemm_args *a, void *scratch);
size_t     q16_gemm_buffer_size_neon(size_t m, size_t n, size_t k);
size_t     q16_gemm_pack_buffer_size_neon(size_t n, size_t k);
ops_status q16_gemm_pack_neon(const ops_q16_gemm_args *a, void *dst);
size_t     q16_gemm_pack_offset_neon(size_t j0, size_t k);
ops_status q16_dwconv_hwc_neon(const ops_q16_dwconv_args *a);
ops_status q16_scale_channels_neon(const int16_t *in, size_t pixels, size_t c, const float *mult, int16_t *out);
ops_status q16_quantize_neon(const float *x, size_t n, float inv_scale, int16_t *q);
ops_status q16_dequantize_neon(const int16_t *q, size_t n, float scale, float *x);
ops_status q16_sum_hw_neon(const int16_t *in, size_t hw, size_t c, int32_t *out);

/* ---- vector exp ------------------------------------------------------- *
 * exp(x) = 2^n * exp(r), n = round(x / ln2), |r| <= ln2/2. ln2 is split
 * (Cody-Waite) so that n*ln2_hi is exact for |n| <= 150 and r keeps full
 * precision. exp(r) is the Taylor series to r^7: the truncation error
 * r^8/8! < 6e-9 at |r| = ln2/2, below half an ulp, so the polynomial needs
 * no fitted coefficients. 2^n is applied in two halves so that n from -150
 * (denormal results) to 128 (overflow to inf, as expf does) needs no
 * special case; x is clamped first only so that n fits in an int.        */
static inline float32x4_t ops_neon_expq(float32x4_t x)
{
    const float32x4_t log2e = vdupq_n_f32(1.44269504088896341f);
    const float32x4_t ln2_hi = vdupq_n_f32(0.693359375f);
    const float32x4_t ln2_lo = vdupq_n_f32(-2.12194440e-4f);
    /* NaN survives vmaxq/vminq (FMAX/FMIN propagate it) and the polynomial. */
    x = vminq_f32(vmaxq_f32(x, vdupq_n_f32(-104.0f)), vdupq_n_f32(89.0f));
    float32x4_t n = vrndnq_f32(vmulq_f32(x, log2e));
    float32x4_t r = vfmsq_f32(x, n, ln2_hi);
    r = vfmsq_f32(r, n, ln2_lo);

    float32x4_t p = vdupq_n_f32(1.0f / 5040.0f);
    p = vfmaq_f32(vdupq_n_f32(1.0f / 720.0f), p, r);
    p = vfmaq_f32(vdupq_n_f32(1.0f / 120.0f), p, r);
    p = vfmaq_f32(vdupq_n_f32(1.0f / 24.0f), p, r);
    p = vfmaq_f32(vdupq_n_f32(1.0f / 6.0f), p, r);
    p = vfmaq_f32(vdupq_n_f32(0.5f), p, r);
    p = vfmaq_f32(vdupq_n_f32(1.0f), p, r);
    p = vfmaq_f32(vdupq_n_f32(1.0f), p, r);

    int32x4_t ni = vcvtq_s32_f32(n);
    int32x4_t n1 = vshrq_n_s32(ni, 1);
    int32x4_t n2 = vsubq_s32(ni, n1);
    /* 2^k as a float: the biased exponent k + 127 in bits 23..30. */
    float32x4_t s1 = vreinterpretq_f32_s32(vshlq_n_s32(vaddq_s32(n1, vdupq_n_s32(127)), 23));
    float32x4_t s2 = vreinterpretq_f32_s32(vshlq_n_s32(vaddq_s32(n2, vdupq_n_s32(127)), 23));
    return vmulq_f32(vmulq_f32(p, s1), s2);
}

/* 1/(1+exp(-x)) written as the scalar oracle writes it: for x < -89 the
 * exp is inf and the quotient a clean 0. A true division (not a reciprocal
 * estimate) keeps sigmoid within an ulp or two of the oracle.            */
static inline float32x4_t ops_neon_sigmoidq(float32x4_t x)
{
    float32x4_t one = vdupq_n_f32(1.0f);
    return vdivq_f32(one, vaddq_f32(one, ops_neon_expq(vnegq_f32(x))));
}

static inline float32x4_t ops_neon_clampq(float32x4_t v, float lo, float hi)
{
    return vminq_f32(vmaxq_f32(v, vdupq_n_f32(lo)), vdupq_n_f32(hi));
}

/* The vector twin of ops_act_apply1(). CLIP uses compare-and-select, not
 * FMIN/FMAX, so that a NaN input comes out exactly as in the oracle.     */
static inline float32x4_t ops_neon_actq(float32x4_t x, ops_act act)
{
    switch (act.kind) {
    case OPS_ACT_NONE: return x;
    case OPS_ACT_RELU: return vbslq_f32(vcgtq_f32(x, vdupq_n_f32(0.0f)), x, vdupq_n_f32(0.0f));
    case OPS_ACT_CLIP: {
        float32x4_t lo = vdupq_n_f32(act.a), hi = vdupq_n_f32(act.b);
        float32x4_t y = vbslq_f32(vcgtq_f32(x, hi), hi, x);
        return vbslq_f32(vcltq_f32(x, lo), lo, y);
    }
    case OPS_ACT_SIGMOID: return ops_neon_sigmoidq(x);
    case OPS_ACT_SWISH: {
        float32x4_t one = vdupq_n_f32(1.0f);
        return vdivq_f32(x, vaddq_f32(one, ops_neon_expq(vnegq_f32(x))));
    }
    case OPS_ACT_HARDSIGMOID: {
        float32x4_t y = vfmaq_f32(vdupq_n_f32(act.b), x, vdupq_n_f32(act.a));
        return ops_neon_clampq(y, 0.0f, 1.0f);
    }
    case OPS_ACT_HARDSWISH: {
        float32x4_t y = vfmaq_f32(vdupq_n_f32(0.5f), x, vdupq_n_f32(1.0f / 6.0f));
        return vmulq_f32(x, ops_neon_clampq(y, 0.0f, 1.0f));
    }
    }
    return x;
}

/* Loads / stores of the last 1..3 channels of a row without touching the
 * memory past them (the next row, or the end of the caller's buffer).    */
static inline float32x4_t ops_neon_load_tail(const float *p, size_t n)
{
    float32x4_t v = vdupq_n_f32(0.0f);
    v = vld1q_lane_f32(p, v, 0);
    if (n > 1) v = vld1q_lane_f32(p + 1, v, 1);
    if (n > 2) v = vld1q_lane_f32(p + 2, v, 2);
    return v;
}

static inline void ops_neon_store_tail(float *p, float32x4_t v, size_t n)
{
    vst1q_lane_f32(p, v, 0);
    if (n > 1) vst1q_lane_f32(p + 1, v, 1);
    if (n > 2) vst1q_lane_f32(p + 2, v, 2);
}

/* ---- depthwise helpers ------------------------------------------------ *
 * One output pixel of a depthwise convolution from an explicit list of the
 * taps that fall inside the image (input pointer, weight pointer per tap):
 * borders, odd geometries and the generic k x k kernel all go through it,
 * so padding is handled in exactly one place. Channels go 8, 4, then 1..3
 * with lane loads; the epilogue is the oracle's (bias, act, chan_sum).   */
void ops_neon_dw_pixel(const float *const *in_tap, const float *const *w_tap, int ntaps,
                       const float *bias, int c, ops_act act, float *out, float *chan_sum);
/* Fills the tap lists for output (oy, ox); returns the count. */
int ops_neon_dw_taps(const ops_dwconv_args *a, int oy, int ox,
                     const float **in_tap, const float **w_tap);
/* Argument checks shared by every depthwise kernel (the oracle's). */
int ops_neon_dw_args_ok(const ops_dwconv_args *a);

#if defined(__GNUC__)
#define OPS_NEON_INLINE inline __attribute__((always_inline))
#else
#define OPS_NEON_INLINE inline
#endif

/* Epilogue of 4 channels: activation, store, per-channel pooled sum. */
static OPS_NEON_INLINE void ops_neon_dw_out4(float32x4_t acc, ops_act act, float *o, float *sum)
{
    float32x4_t v = ops_neon_actq(acc, act);
    vst1q_f32(o, v);
    if (sum) vst1q_f32(sum, vaddq_f32(vld1q_f32(sum), v));
}

/* A whole K x K depthwise pass with K a compile-time constant, so that the
 * tap loops of interior pixels unroll and the tap offsets fold into
 * immediate-plus-register addressing. Pixels whose window leaves the image
 * go through ops_neon_dw_pixel. Instantiated by the 3x3 and 5x5 files.   */
static OPS_NEON_INLINE void ops_neon_dw_kxk(const ops_dwconv_args *a, const int K)
{
    const ops_conv_geom g = a->g;
    const int ih = a->in_dims.h, iw = a->in_dims.w, c = a->in_dims.c, ow = a->out_dims.w;
    const size_t cs = (size_t)g.dil_w * c;
    const float *in_tap[25], *w_tap[25];
    const float *row[5];   /* input row of each ky (K <= 5), when all are inside */
    for (int oy = a->row_begin; oy < a->row_end; oy++) {
        const int iy0 = oy * g.stride_h - g.pad_top;
        const int rows_in = iy0 >= 0 && iy0 + (K - 1) * g.dil_h < ih;
        if (rows_in)
            for (int ky = 0; ky < K; ky++) row[ky] = ops_dw_in_row(a, iy0 + ky * g.dil_h);
        for (int ox = 0; ox < ow; ox++) {
            const int ix0 = ox * g.stride_w - g.pad_left;
            float *o = a->out + ((size_t)oy * ow + ox) * c;
            if (!rows_in || ix0 < 0 || ix0 + (K - 1) * g.dil_w >= iw) {
                int nt = ops_neon_dw_taps(a, oy, ox, in_tap, w_tap);
                ops_neon_dw_pixel(in_tap, w_tap, nt, a->bias, c, a->act, o, a->chan_sum);
                continue;
            }
            const size_t px = (size_t)ix0 * c;
            int ch = 0;
            for (; ch + 8 <= c; ch += 8) {
                float32x4_t s0 = a->bias ? vld1q_f32(a->bias + ch) : vdupq_n_f32(0.0f);
                float32x4_t s1 = a->bias ? vld1q_f32(a->bias + ch + 4) : vdupq_n_f32(0.0f);
                for (int ky = 0; ky < K; ky++)
                    for (int kx = 0; kx < K; kx++) {
                        const float *pi = row[ky] + px + kx * cs + ch;
                        const float *wi = a->w + (size_t)(ky * K + kx) * c + ch;
                        s0 = vfmaq_f32(s0, vld1q_f32(pi), vld1q_f32(wi));
                        s1 = vfmaq_f32(s1, vld1q_f32(pi + 4), vld1q_f32(wi + 4));
                    }
                ops_neon_dw_out4(s0, a->act, o + ch, a->chan_sum ? a->chan_sum + ch : 0);
                ops_neon_dw_out4(s1, a->act, o + ch + 4, a->chan_sum ? a->chan_sum + ch + 4 : 0);
            }
            if (ch < c) {
                /* 1..7 channels left: the tap-list path does 4 + lanes. */
                int nt = 0;
                for (int ky = 0; ky < K; ky++)
                    for (int kx = 0; kx < K; kx++, nt++) {
                        in_tap[nt] = row[ky] + px + kx * cs + ch;
                        w_tap[nt] = a->w + (size_t)(ky * K + kx) * c + ch;
                    }
                ops_neon_dw_pixel(in_tap, w_tap, nt, a->bias ? a->bias + ch : 0, c - ch, a->act,
                                  o + ch, a->chan_sum ? a->chan_sum + ch : 0);
            }
        }
    }
}

#endif /* __aarch64__ */
#endif /* EFFAD_OPS_NEON_H */
