/*
 * General convolution, HWC (or the caller's planar CHW image) / HWIO,
 * vectorised over output channels: the EfficientNet stem (3x3 stride 2,
 * 3 -> 32..64 channels) and any other dense conv. Each input value is
 * broadcast against a row of HWIO weights, which are contiguous in the
 * output channel, so no re-layout is needed.
 * Output channels go 16 at a time (four accumulators reused over every tap
 * and input channel), then 4, then 1..3 with lane loads.
 *
 * Grouped convolutions (groups > 1) only come from the conformance runner,
 * never from an EfficientNet; they take the oracle.
 */
#include "ops-neon.h"

/* Tap list of one output pixel: input pixel and HWIO weight slice. */
static int conv_taps(const ops_conv_args *a, int oy, int ox,
                     const float **in_tap, const float **w_tap)
{
    const ops_conv_geom g = a->g;
    const int ih = a->in_dims.h, iw = a->in_dims.w, ic = a->in_dims.c, oc = a->out_dims.c;
    const ops_conv_steps st = ops_conv_in_steps(a);
    int n = 0;
    for (int ky = 0; ky < g.kh; ky++) {
        int iy = oy * g.stride_h - g.pad_top + ky * g.dil_h;
        if (iy < 0 || iy >= ih) continue;
        for (int kx = 0; kx < g.kw; kx++) {
            int ix = ox * g.stride_w - g.pad_left + kx * g.dil_w;
            if (ix < 0 || ix >= iw) continue;
            in_tap[n] = a->in + (size_t)iy * st.row + (size_t)ix * st.col;
            w_tap[n] = a->w + ((size_t)ky * g.kw + kx) * ic * oc;
            n++;
        }
    }
    return n;
}

#define MAX_TAPS 121  /* 11 x 11: larger windows take the oracle */

ops_status f32_conv_hwc_neon(const ops_conv_args *a)
{
    if (!a || !a->in || !a->w || !a->out || a->groups < 1) return OPS_ERR_ARG;
    const int ic = a->in_dims.c, oc = a->out_dims.c, ow = a->out_dims.w;
    if (ic % a->groups || oc % a->groups || !ops_conv_plane_ok(a)) return OPS_ERR_ARG;
    if (a->row_begin < 0 || a->row_end > a->out_dims.h || a->row_begin > a->row_end) return OPS_ERR_ARG;
    if (a->groups != 1 || a->g.kh < 1 || a->g.kw < 1 || a->g.kh > 11 || a->g.kw > 11)
        return f32_conv_hwc_scalar(a);

    const float *in_tap[MAX_TAPS], *w_tap[MAX_TAPS];
    const size_t chan = ops_conv_in_steps(a).chan;
    for (int oy = a->row_begin; oy < a->row_end; oy++) {
        for (int ox = 0; ox < ow; ox++) {
            float *o = a->out + ((size_t)oy * ow + ox) * oc;
            const int nt = conv_taps(a, oy, ox, in_tap, w_tap);
            int co = 0;
            for (; co + 16 <= oc; co += 16) {
                float32x4_t s0, s1, s2, s3;
                if (a->bias) {
                    s0 = vld1q_f32(a->bias + co);     s1 = vld1q_f32(a->bias + co + 4);
                    s2 = vld1q_f32(a->bias + co + 8); s3 = vld1q_f32(a->bias + co + 12);
                } else {
                    s0 = s1 = s2 = s3 = vdupq_n_f32(0.0f);
                }
                for (int t = 0; t < nt; t++) {
                    const float *px = in_tap[t], *wr = w_tap[t] + co;
                    for (int ci = 0; ci < ic; ci++, wr += oc) {
                        const float v = px[(size_t)ci * chan];
                        s0 = vfmaq_n_f32(s0, vld1q_f32(wr), v);
                        s1 = vfmaq_n_f32(s1, vld1q_f32(wr + 4), v);
                        s2 = vfmaq_n_f32(s2, vld1q_f32(wr + 8), v);
                        s3 = vfmaq_n_f32(s3, vld1q_f32(wr + 12), v);
                    }
                }
                vst1q_f32(o + co, ops_neon_actq(s0, a->act));
                vst1q_f32(o + co + 4, ops_neon_actq(s1, a->act));
                vst1q_f32(o + co + 8, ops_neon_actq(s2, a->act));
                vst1q_f32(o + co + 12, ops_neon_actq(s3, a->act));
            }
            for (; co < oc; co += 4) {
                const size_t n = oc - co < 4 ? (size_t)(oc - co) : 4;
                float32x4_t s = !a->bias ? vdupq_n_f32(0.0f)
                              : n == 4 ? vld1q_f32(a->bias + co) : ops_neon_load_tail(a->bias + co, n);
                for (int t = 0; t < nt; t++) {
                    const float *px = in_tap[t], *wr = w_tap[t] + co;
                    for (int ci = 0; ci < ic; ci++, wr += oc) {
                        float32x4_t w = n == 4 ? vld1q_f32(wr) : ops_neon_load_tail(wr, n);
                        s = vfmaq_n_f32(s, w, px[(size_t)ci * chan]);
                    }
                }
                s = ops_neon_actq(s, a->act);
                if (n == 4) vst1q_f32(o + co, s);
                else ops_neon_store_tail(o + co, s, n);
            }
        }
    }
    return OPS_OK;
}
