/*
 * q8-dwconv-hwc-neon.c -- the int8 depthwise conv, 16 channels a step:
 * per valid tap, x - in_zero (|.| <= 255) and w (|.| <= 128) widened to
 * int16 and multiplied into int32 sums by SMLAL -- exact, so the same
 * integers as the scalar reference, then its epilogue (q8-neon.h).
 * Padding taps are skipped, as in the reference. Any k, stride, dilation;
 * then 8 channels, then the last 1..7 by the reference's arithmetic.
 */
#if defined(__aarch64__)
#include "q8-neon.h"
#include "q8-dw-taps.h"

/* acc[0..1] (8 channels) += (8 uint8 at x - zero) * (8 int8 at w). */
static inline void mac8(int32x4_t acc[2], const uint8_t *x, const int8_t *w, int16x8_t zero)
{
    const int16x8_t xv = vsubq_s16(vreinterpretq_s16_u16(vmovl_u8(vld1_u8(x))), zero);
    const int16x8_t wv = vmovl_s8(vld1_s8(w));
    acc[0] = vmlal_s16(acc[0], vget_low_s16(xv), vget_low_s16(wv));
    acc[1] = vmlal_high_s16(acc[1], xv, wv);
}

/* n (8 or 16) channels at ch of output pixel p. */
static inline __attribute__((always_inline)) void channels(const int n, const q8_dw_pixel *p, int ch,
                                                           const ops_q8_dwconv_args *a, const q8_neon_out *q)
{
    int32x4_t acc[4] = { vdupq_n_s32(0), vdupq_n_s32(0), vdupq_n_s32(0), vdupq_n_s32(0) };
    const int16x8_t zero = vdupq_n_s16((int16_t)a->in_zero);
    for (int t = 0; t < p->nt; t++) {
        mac8(acc, p->px[t] + ch, p->wk[t] + ch, zero);
        if (n == 16) mac8(acc + 2, p->px[t] + ch + 8, p->wk[t] + ch + 8, zero);
    }
    int32x4_t r[4];
    const float32x4_t none = vdupq_n_f32(0.0f);
    for (int i = 0; i < n / 4; i++) {
        const float32x4_t bias = a->out.bias ? vld1q_f32(a->out.bias + ch + 4 * i) : none;
        r[i] = q8_neon_finish(acc[i], vld1q_f32(a->out.mult + ch + 4 * i), bias, a->out.act, none, none, 0, q);
        if (a->chan_sum) vst1q_s32(a->chan_sum + ch + 4 * i, vaddq_s32(vld1q_s32(a->chan_sum + ch + 4 * i), r[i]));
    }
    if (n == 16) vst1q_u8(p->out + ch, q8_neon_narrow16(r[0], r[1], r[2], r[3]));
    else vst1_u8(p->out + ch, q8_neon_narrow8(r[0], r[1]));
}

ops_status q8_dwconv_hwc_neon(const ops_q8_dwconv_args *a)
{
    if (!ops_q8_dw_args_ok(a)) return OPS_ERR_ARG;
    if (a->g.kh * a->g.kw > Q8_DW_MAX_TAPS) return q8_dwconv_hwc_scalar(a);
    const q8_neon_out q = q8_neon_out_of(a->out.inv_scale, a->out.zero);
    q8_dw_pixel p;
    for (q8_dw_first(a, &p); q8_dw_next(a, &p);) {
        int ch = 0;
        for (; ch + 16 <= a->in_dims.c; ch += 16) channels(16, &p, ch, a, &q);
        for (; ch + 8 <= a->in_dims.c; ch += 8) channels(8, &p, ch, a, &q);
        q8_dw_tail(a, &p, ch);
    }
    return OPS_OK;
}

#endif /* __aarch64__ */
