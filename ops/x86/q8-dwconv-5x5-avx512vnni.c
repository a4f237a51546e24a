/* int8 depthwise 5x5, stride 1 or 2 (any pads), the multiply-adds by
 * vpdpwssd (body in q8-dwconv-avx512.h). */
#include "kernels-internal.h"
#include "q8-dwconv-avx512.h"

ops_status q8_dwconv_5x5_avx512vnni(const ops_q8_dwconv_args *a)
{
    return q8dwz_kxk_fixed(a, 5);
}
