/* Depthwise 5x5, stride 1 or 2 (any pads): MBConv's 5x5 blocks. */
#include "kernels-internal.h"
#include "avx2-dwconv.h"

ops_status f32_dwconv_5x5_avx2(const ops_dwconv_args *a)
{
    if (a->g.kh != 5 || a->g.kw != 5 || a->g.dil_h != 1 || a->g.dil_w != 1) return OPS_ERR_UNSUPPORTED;
    if (a->g.stride_h == 1 && a->g.stride_w == 1) dwconv_avx2_body(a, 5, 1);
    else if (a->g.stride_h == 2 && a->g.stride_w == 2) dwconv_avx2_body(a, 5, 2);
    else dwconv_avx2_body(a, 5, 0);
    return OPS_OK;
}
