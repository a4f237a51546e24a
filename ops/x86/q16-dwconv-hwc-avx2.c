/* The 16x8 depthwise entry of the AVX2 table: checks the arguments once
 * and picks the kernel from the shape -- the only place that branches on
 * it -- and the any-k kernel behind it (body in q16-dwconv-avx2.h). */
#include "kernels-internal.h"
#include "q16-dwconv-avx2.h"

/* Any kh x kw and stride, dilation 1: one output at a time. */
static ops_status q16_dwconv_kxk_avx2(const ops_q16_dwconv_args *a)
{
    q16dw_body(a, 0, 0);
    return OPS_OK;
}

ops_status q16_dwconv_hwc_avx2(const ops_q16_dwconv_args *a)
{
    if (!ops_q16_dw_args_ok(a)) return OPS_ERR_ARG;
    const ops_conv_geom g = a->g;
    /* dilated, degenerate or past the int32 bound of q16.h (kh * kw > 225:
     * the reference refuses it): the reference */
    if (a->in_dims.c < 1 || g.dil_h != 1 || g.dil_w != 1 || g.kh < 1 || g.kw < 1 || g.stride_h < 1 ||
        g.stride_w < 1 || g.pad_top < 0 || g.pad_left < 0 || g.kh > Q16DW_MAX_KH || g.kh * g.kw > 225 ||
        qdw_avx2_block_vectors(g.kh, g.kw) * sizeof(__m256i) > Q16DW_PREP_BYTES)
        return q16_dwconv_hwc_scalar(a);
    if (ops_dw_fixed_kxk(&g, 3)) return q16_dwconv_3x3_avx2(a);
    if (ops_dw_fixed_kxk(&g, 5)) return q16_dwconv_5x5_avx2(a);
    return q16_dwconv_kxk_avx2(a);
}
