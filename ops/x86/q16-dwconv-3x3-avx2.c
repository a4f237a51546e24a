/* 16x8 depthwise 3x3, stride 1 or 2 (any pads): MBConv's 3x3 blocks
 * (body in q16-dwconv-avx2.h). */
#include "kernels-internal.h"
#include "q16-dwconv-avx2.h"

ops_status q16_dwconv_3x3_avx2(const ops_q16_dwconv_args *a)
{
    return q16dw_kxk_fixed(a, 3);
}
