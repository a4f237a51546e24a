/* The 16x8 depthwise entry of the AVX-512 VNNI table (q16dwz_entry), and
 * the any-k kernel behind it (body in q16-dwconv-avx512.h, multiply-adds
 * by vpdpwssd). */
#include "kernels-internal.h"
#include "q16-dwconv-avx512.h"

/* Any kh x kw and stride, dilation 1: one output at a time. */
static ops_status q16_dwconv_kxk_avx512vnni(const ops_q16_dwconv_args *a)
{
    q16dwz_body(a, 0, 0);
    return OPS_OK;
}

ops_status q16_dwconv_hwc_avx512vnni(const ops_q16_dwconv_args *a)
{
    return q16dwz_entry(a, q16_dwconv_3x3_avx512vnni, q16_dwconv_5x5_avx512vnni, q16_dwconv_kxk_avx512vnni);
}
