/* The int8 depthwise entry of the AVX2 + AVX-VNNI table (q8dw_entry), and
 * the any-k kernel behind it (body in q8-dwconv-avx2.h, multiply-adds by
 * VEX vpdpwssd). */
#include "kernels-internal.h"
#include "q8-dwconv-avx2.h"

/* Any kh x kw and stride, dilation 1: one output at a time. */
static ops_status q8_dwconv_kxk_avxvnni(const ops_q8_dwconv_args *a)
{
    q8dw_body(a, 0, 0);
    return OPS_OK;
}

ops_status q8_dwconv_hwc_avxvnni(const ops_q8_dwconv_args *a)
{
    return q8dw_entry(a, q8_dwconv_3x3_avxvnni, q8_dwconv_5x5_avxvnni, q8_dwconv_kxk_avxvnni);
}
