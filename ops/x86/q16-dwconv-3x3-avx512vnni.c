/* 16x8 depthwise 3x3, stride 1 or 2 (any pads), the multiply-adds by
 * vpdpwssd (body in q16-dwconv-avx512.h). */
#include "kernels-internal.h"
#include "q16-dwconv-avx512.h"

ops_status q16_dwconv_3x3_avx512vnni(const ops_q16_dwconv_args *a)
{
    return q16dwz_kxk_fixed(a, 3);
}
