/* Depthwise, any kernel size and stride, dilation 1: shapes outside the
 * 3x3/5x5 fast paths that conformance models still use (1x1, 7x7, 3x5). */
#include "kernels-internal.h"
#include "avx2-dwconv.h"

ops_status f32_dwconv_kxk_avx2(const ops_dwconv_args *a)
{
    if (a->g.dil_h != 1 || a->g.dil_w != 1 || a->g.kh < 1 || a->g.kw < 1 ||
        a->g.stride_h < 1 || a->g.stride_w < 1 || a->g.kh > DW_MAX_KH)
        return OPS_ERR_UNSUPPORTED;
    dwconv_avx2_body(a, 0, 0);
    return OPS_OK;
}
