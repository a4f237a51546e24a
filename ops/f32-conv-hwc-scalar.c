/* General 2-D convolution, HWC (or planar CHW) activations, HWIO weights:
 * the stem, and grouped or dilated convolutions met by the conformance
 * runner. */
#include "ops.h"

ops_status f32_conv_hwc_scalar(const ops_conv_args *a)
{
    if (!a || !a->in || !a->w || !a->out || a->groups < 1) return OPS_ERR_ARG;
    const ops_conv_geom g = a->g;
    const int ih = a->in_dims.h, iw = a->in_dims.w, ic = a->in_dims.c;
    const int ow = a->out_dims.w, oc = a->out_dims.c;
    if (ic % a->groups || oc % a->groups || !ops_conv_plane_ok(a)) return OPS_ERR_ARG;
    if (a->row_begin < 0 || a->row_end > a->out_dims.h || a->row_begin > a->row_end) return OPS_ERR_ARG;
    const int icg = ic / a->groups, ocg = oc / a->groups;
    const ops_conv_steps st = ops_conv_in_steps(a);

    for (int oy = a->row_begin; oy < a->row_end; oy++) {
        for (int ox = 0; ox < ow; ox++) {
            float *o = a->out + ((size_t)oy * ow + ox) * oc;
            for (int co = 0; co < oc; co++) o[co] = a->bias ? a->bias[co] : 0.0f;
            for (int ky = 0; ky < g.kh; ky++) {
                int iy = oy * g.stride_h - g.pad_top + ky * g.dil_h;
                if (iy < 0 || iy >= ih) continue;
                for (int kx = 0; kx < g.kw; kx++) {
                    int ix = ox * g.stride_w - g.pad_left + kx * g.dil_w;
                    if (ix < 0 || ix >= iw) continue;
                    const float *px = a->in + (size_t)iy * st.row + (size_t)ix * st.col;
                    const float *wk = a->w + ((size_t)ky * g.kw + kx) * icg * oc;
                    for (int grp = 0; grp < a->groups; grp++) {
                        for (int ci = 0; ci < icg; ci++) {
                            float v = px[(size_t)(grp * icg + ci) * st.chan];
                            const float *wr = wk + (size_t)ci * oc + grp * ocg;
                            float *og = o + grp * ocg;
                            for (int co = 0; co < ocg; co++) og[co] += v * wr[co];
                        }
                    }
                }
            }
            for (int co = 0; co < oc; co++) o[co] = ops_act_apply1(o[co], a->act);
        }
    }
    return OPS_OK;
}
