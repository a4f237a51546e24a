/*
 * f32-conv-hwc.h -- what the AVX2 and AVX-512 dense convolutions check and
 * derive before their tiles.
 */
#ifndef EFFAD_F32_CONV_HWC_H
#define EFFAD_F32_CONV_HWC_H

#include "ops.h"

/* OPS_ERR_ARG for arguments that cannot be right; OPS_ERR_UNSUPPORTED for
 * what the SIMD tiles do not take (grouped, degenerate or negative
 * geometry: the caller hands it to f32_conv_hwc_scalar); else OPS_OK and
 * the output columns [*ox_lo, *ox_hi) whose taps all fall inside the row. */
static inline ops_status conv_hwc_cols(const ops_conv_args *a, int *ox_lo, int *ox_hi)
{
    if (!a || !a->in || !a->w || !a->out || a->groups < 1) return OPS_ERR_ARG;
    const ops_conv_geom g = a->g;
    const int iw = a->in_dims.w, ow = a->out_dims.w, oc = a->out_dims.c;
    if (a->in_dims.c % a->groups || oc % a->groups || !ops_conv_plane_ok(a)) return OPS_ERR_ARG;
    if (a->row_begin < 0 || a->row_end > a->out_dims.h || a->row_begin > a->row_end) return OPS_ERR_ARG;
    if (a->groups != 1 || oc < 1 || g.kh < 1 || g.kw < 1 || g.stride_h < 1 || g.stride_w < 1 ||
        g.dil_h < 1 || g.dil_w < 1 || g.pad_top < 0 || g.pad_left < 0)
        return OPS_ERR_UNSUPPORTED;
    const int span = (g.kw - 1) * g.dil_w;
    *ox_lo = (g.pad_left + g.stride_w - 1) / g.stride_w;
    *ox_hi = iw - 1 - span + g.pad_left >= 0 ? (iw - 1 - span + g.pad_left) / g.stride_w + 1 : 0;
    if (*ox_hi > ow) *ox_hi = ow;
    return OPS_OK;
}

#endif /* EFFAD_F32_CONV_HWC_H */
