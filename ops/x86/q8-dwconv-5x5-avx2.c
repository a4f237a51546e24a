/* int8 depthwise 5x5, stride 1 or 2 (any pads): MBConv's 5x5 blocks
 * (body in q8-dwconv-avx2.h). */
#include "kernels-internal.h"
#include "q8-dwconv-avx2.h"

ops_status q8_dwconv_5x5_avx2(const ops_q8_dwconv_args *a)
{
    if (a->g.kh != 5 || a->g.kw != 5 || a->g.dil_h != 1 || a->g.dil_w != 1 || !ops_dw_fixed_stride(&a->g))
        return OPS_ERR_UNSUPPORTED;   /* other strides: the any-k kernel (ops_dw_fixed_stride) */
    if (a->g.stride_h == 1) q8dw_body(a, 5, 1);
    else q8dw_body(a, 5, 2);
    return OPS_OK;
}
