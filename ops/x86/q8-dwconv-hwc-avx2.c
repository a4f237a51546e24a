/* The int8 depthwise entry of the AVX2 table: checks the arguments once
 * and picks the kernel from the shape -- the only place that branches on
 * it -- and the any-k kernel behind it (body in q8-dwconv-avx2.h). */
#include "kernels-internal.h"
#include "q8-dwconv-avx2.h"

/* Any kh x kw and stride, dilation 1: one output at a time. */
static ops_status q8_dwconv_kxk_avx2(const ops_q8_dwconv_args *a)
{
    q8dw_body(a, 0, 0);
    return OPS_OK;
}

ops_status q8_dwconv_hwc_avx2(const ops_q8_dwconv_args *a)
{
    if (!ops_q8_dw_args_ok(a)) return OPS_ERR_ARG;
    const ops_conv_geom g = a->g;
    if (a->in_dims.c < 1 || g.dil_h != 1 || g.dil_w != 1 || g.kh < 1 || g.kw < 1 || g.stride_h < 1 ||
        g.stride_w < 1 || g.pad_top < 0 || g.pad_left < 0 || g.kh > Q8DW_MAX_KH ||
        qdw_avx2_block_vectors(g.kh, g.kw) * sizeof(__m256i) > Q8DW_PREP_BYTES)
        return q8_dwconv_hwc_scalar(a);   /* dilated or degenerate: the reference */
    if (ops_dw_fixed_kxk(&g, 3)) return q8_dwconv_3x3_avx2(a);
    if (ops_dw_fixed_kxk(&g, 5)) return q8_dwconv_5x5_avx2(a);
    return q8_dwconv_kxk_avx2(a);
}
