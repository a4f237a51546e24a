/* The 16x8 depthwise k x k convolution, plain C: any stride, dilation and
 * asymmetric pads; the oracle of the SIMD variants (ops/q16.h). */
#include "q16.h"

ops_status q16_dwconv_hwc_scalar(const ops_q16_dwconv_args *a)
{
    if (!ops_q16_dw_args_ok(a)) return OPS_ERR_ARG;
    const ops_conv_geom g = a->g;
    const int ih = a->in_dims.h, iw = a->in_dims.w, c = a->in_dims.c;
    const int ow = a->out_dims.w;
    if (g.kh * g.kw > 225) return OPS_ERR_ARG;   /* the int32 sum's bound (q16.h) */

    for (int oy = a->row_begin; oy < a->row_end; oy++) {
        for (int ox = 0; ox < ow; ox++) {
            int16_t *o = a->out_q + ((size_t)oy * ow + ox) * c;
            for (int ch = 0; ch < c; ch++) {
                int32_t acc = 0;
                for (int ky = 0; ky < g.kh; ky++) {
                    const int iy = oy * g.stride_h - g.pad_top + ky * g.dil_h;
                    if (iy < 0 || iy >= ih) continue;
                    const int16_t *row = ops_q16_dw_in_row(a, iy);
                    for (int kx = 0; kx < g.kw; kx++) {
                        const int ix = ox * g.stride_w - g.pad_left + kx * g.dil_w;
                        if (ix < 0 || ix >= iw) continue;
                        acc += (int32_t)row[(size_t)ix * c + ch] * (int32_t)a->w[((size_t)ky * g.kw + kx) * c + ch];
                    }
                }
                o[ch] = ops_q16_finish((float)acc, &a->out, (size_t)ch, 0, 0, 0.0f);
                if (a->chan_sum) a->chan_sum[ch] += o[ch];
            }
        }
    }
    return OPS_OK;
}
