/* Depthwise convolution, any kernel size, stride, dilation and asymmetric
 * pads; the border path of the 3x3 / 5x5 kernels; and the wrapper that
 * picks between them (the only place that branches on the shape). */
#include "ops-neon.h"

int ops_neon_dw_args_ok(const ops_dwconv_args *a)
{
    if (!a || !a->in || !a->w || !a->out) return 0;
    if (a->out_dims.c != a->in_dims.c) return 0;
    if (a->row_begin < 0 || a->row_end > a->out_dims.h || a->row_begin > a->row_end) return 0;
    return a->in_ring >= 0;
}

int ops_neon_dw_taps(const ops_dwconv_args *a, int oy, int ox,
                     const float **in_tap, const float **w_tap)
{
    const ops_conv_geom g = a->g;
    const int ih = a->in_dims.h, iw = a->in_dims.w, c = a->in_dims.c;
    int n = 0;
    for (int ky = 0; ky < g.kh; ky++) {
        int iy = oy * g.stride_h - g.pad_top + ky * g.dil_h;
        if (iy < 0 || iy >= ih) continue;
        for (int kx = 0; kx < g.kw; kx++) {
            int ix = ox * g.stride_w - g.pad_left + kx * g.dil_w;
            if (ix < 0 || ix >= iw) continue;
            in_tap[n] = ops_dw_in_row(a, iy) + (size_t)ix * c;
            w_tap[n] = a->w + ((size_t)ky * g.kw + kx) * c;
            n++;
        }
    }
    return n;
}

void ops_neon_dw_pixel(const float *const *in_tap, const float *const *w_tap, int ntaps,
                       const float *bias, int c, ops_act act, float *out, float *chan_sum)
{
    int ch = 0;
    for (; ch + 8 <= c; ch += 8) {
        float32x4_t s0 = bias ? vld1q_f32(bias + ch) : vdupq_n_f32(0.0f);
        float32x4_t s1 = bias ? vld1q_f32(bias + ch + 4) : vdupq_n_f32(0.0f);
        for (int t = 0; t < ntaps; t++) {
            s0 = vfmaq_f32(s0, vld1q_f32(in_tap[t] + ch), vld1q_f32(w_tap[t] + ch));
            s1 = vfmaq_f32(s1, vld1q_f32(in_tap[t] + ch + 4), vld1q_f32(w_tap[t] + ch + 4));
        }
        ops_neon_dw_out4(s0, act, out + ch, chan_sum ? chan_sum + ch : 0);
        ops_neon_dw_out4(s1, act, out + ch + 4, chan_sum ? chan_sum + ch + 4 : 0);
    }
    for (; ch + 4 <= c; ch += 4) {
        float32x4_t s = bias ? vld1q_f32(bias + ch) : vdupq_n_f32(0.0f);
        for (int t = 0; t < ntaps; t++)
            s = vfmaq_f32(s, vld1q_f32(in_tap[t] + ch), vld1q_f32(w_tap[t] + ch));
        ops_neon_dw_out4(s, act, out + ch, chan_sum ? chan_sum + ch : 0);
    }
    if (ch < c) {
        size_t n = (size_t)(c - ch);
        float32x4_t s = bias ? ops_neon_load_tail(bias + ch, n) : vdupq_n_f32(0.0f);
        for (int t = 0; t < ntaps; t++)
            s = vfmaq_f32(s, ops_neon_load_tail(in_tap[t] + ch, n), ops_neon_load_tail(w_tap[t] + ch, n));
        float32x4_t v = ops_neon_actq(s, act);
        ops_neon_store_tail(out + ch, v, n);
        if (chan_sum)
            ops_neon_store_tail(chan_sum + ch, vaddq_f32(ops_neon_load_tail(chan_sum + ch, n), v), n);
    }
}

/* Tap lists live on the stack, so the generic kernel takes windows of up
 * to 15 x 15 (225 taps); larger ones are valid ONNX but not EfficientNet,
 * and go to the oracle. */
#define MAX_TAPS 225

ops_status f32_dwconv_kxk_neon(const ops_dwconv_args *a)
{
    if (!ops_neon_dw_args_ok(a)) return OPS_ERR_ARG;
    if (a->g.kh < 1 || a->g.kw < 1 || a->g.kh > 15 || a->g.kw > 15)
        return f32_dwconv_hwc_scalar(a);
    const float *in_tap[MAX_TAPS], *w_tap[MAX_TAPS];
    const int ow = a->out_dims.w, c = a->in_dims.c;
    for (int oy = a->row_begin; oy < a->row_end; oy++)
        for (int ox = 0; ox < ow; ox++) {
            int nt = ops_neon_dw_taps(a, oy, ox, in_tap, w_tap);
            ops_neon_dw_pixel(in_tap, w_tap, nt, a->bias, c, a->act,
                              a->out + ((size_t)oy * ow + ox) * c, a->chan_sum);
        }
    return OPS_OK;
}

ops_status f32_dwconv_hwc_neon(const ops_dwconv_args *a)
{
    if (!ops_neon_dw_args_ok(a)) return OPS_ERR_ARG;
    if (a->g.kh == 3 && a->g.kw == 3) return f32_dwconv_3x3_neon(a);
    if (a->g.kh == 5 && a->g.kw == 5) return f32_dwconv_5x5_neon(a);
    return f32_dwconv_kxk_neon(a);
}
