/* The 16x8 depthwise entry of the AVX2 table (q16dw_entry), and the any-k
 * kernel behind it (body in q16-dwconv-avx2.h). */
#include "kernels-internal.h"
#include "q16-dwconv-avx2.h"

/* Any kh x kw and stride, dilation 1: one output at a time. */
static ops_status q16_dwconv_kxk_avx2(const ops_q16_dwconv_args *a)
{
    q16dw_body(a, 0, 0);
    return OPS_OK;
}

ops_status q16_dwconv_hwc_avx2(const ops_q16_dwconv_args *a)
{
    return q16dw_entry(a, q16_dwconv_3x3_avx2, q16_dwconv_5x5_avx2, q16_dwconv_kxk_avx2);
}
