/* int8 depthwise 5x5, stride 1 or 2 (any pads): MBConv's 5x5 blocks
 * (body in q8-dwconv-avx512.h). */
#include "kernels-internal.h"
#include "q8-dwconv-avx512.h"

ops_status q8_dwconv_5x5_avx512(const ops_q8_dwconv_args *a)
{
    if (a->g.kh != 5 || a->g.kw != 5 || a->g.dil_h != 1 || a->g.dil_w != 1) return OPS_ERR_UNSUPPORTED;
    if (a->g.stride_h == 1 && a->g.stride_w == 1) q8dwz_body(a, 5, 1);
    else if (a->g.stride_h == 2 && a->g.stride_w == 2) q8dwz_body(a, 5, 2);
    else q8dwz_body(a, 5, 0);
    return OPS_OK;
}
