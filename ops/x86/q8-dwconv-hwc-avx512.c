/* The int8 depthwise entry of the AVX-512 table (q8dwz_entry), and the
 * any-k kernel behind it (body in q8-dwconv-avx512.h). */
#include "kernels-internal.h"
#include "q8-dwconv-avx512.h"

/* Any kh x kw and stride, dilation 1: one output at a time. */
static ops_status q8_dwconv_kxk_avx512(const ops_q8_dwconv_args *a)
{
    q8dwz_body(a, 0, 0);
    return OPS_OK;
}

ops_status q8_dwconv_hwc_avx512(const ops_q8_dwconv_args *a)
{
    return q8dwz_entry(a, q8_dwconv_3x3_avx512, q8_dwconv_5x5_avx512, q8_dwconv_kxk_avx512);
}
