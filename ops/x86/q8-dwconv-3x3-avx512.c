/* int8 depthwise 3x3, stride 1 or 2 (any pads): MBConv's 3x3 blocks
 * (body in q8-dwconv-avx512.h). */
#include "kernels-internal.h"
#include "q8-dwconv-avx512.h"

ops_status q8_dwconv_3x3_avx512(const ops_q8_dwconv_args *a)
{
    if (a->g.kh != 3 || a->g.kw != 3 || a->g.dil_h != 1 || a->g.dil_w != 1) return OPS_ERR_UNSUPPORTED;
    if (a->g.stride_h == 1 && a->g.stride_w == 1) q8dwz_body(a, 3, 1);
    else if (a->g.stride_h == 2 && a->g.stride_w == 2) q8dwz_body(a, 3, 2);
    else q8dwz_body(a, 3, 0);
    return OPS_OK;
}
