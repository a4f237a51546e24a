/* 16x8 depthwise 5x5, stride 1 or 2 (any pads), the multiply-adds by
 * VEX vpdpwssd (body in q16-dwconv-avx2.h). */
#include "kernels-internal.h"
#include "q16-dwconv-avx2.h"

ops_status q16_dwconv_5x5_avxvnni(const ops_q16_dwconv_args *a)
{
    return q16dw_kxk_fixed(a, 5);
}
