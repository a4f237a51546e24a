/* Depthwise k x k convolution, any stride, dilation and asymmetric pads. */
#include "ops.h"

ops_status f32_dwconv_hwc_scalar(const ops_dwconv_args *a)
{
    if (!a || !a->in || !a->w || !a->out) return OPS_ERR_ARG;
    const ops_conv_geom g = a->g;
    const int ih = a->in_dims.h, iw = a->in_dims.w, c = a->in_dims.c;
    const int ow = a->out_dims.w;
    if (a->out_dims.c != c) return OPS_ERR_ARG;
    if (a->row_begin < 0 || a->row_end > a->out_dims.h || a->row_begin > a->row_end || a->in_ring < 0)
        return OPS_ERR_ARG;

    for (int oy = a->row_begin; oy < a->row_end; oy++) {
        for (int ox = 0; ox < ow; ox++) {
            float *o = a->out + ((size_t)oy * ow + ox) * c;
            for (int ch = 0; ch < c; ch++) o[ch] = a->bias ? a->bias[ch] : 0.0f;
            for (int ky = 0; ky < g.kh; ky++) {
                int iy = oy * g.stride_h - g.pad_top + ky * g.dil_h;
                if (iy < 0 || iy >= ih) continue;
                for (int kx = 0; kx < g.kw; kx++) {
                    int ix = ox * g.stride_w - g.pad_left + kx * g.dil_w;
                    if (ix < 0 || ix >= iw) continue;
                    const float *px = ops_dw_in_row(a, iy) + (size_t)ix * c;
                    const float *wk = a->w + ((size_t)ky * g.kw + kx) * c;
                    for (int ch = 0; ch < c; ch++) o[ch] += px[ch] * wk[ch];
                }
            }
            for (int ch = 0; ch < c; ch++) {
                o[ch] = ops_act_apply1(o[ch], a->act);
                if (a->chan_sum) a->chan_sum[ch] += o[ch];
            }
        }
    }
    return OPS_OK;
}
