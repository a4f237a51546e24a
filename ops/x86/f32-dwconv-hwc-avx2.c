/* The depthwise entry of the AVX2 table (dw_entry, f32-dwconv-body.h). */
#include "kernels-internal.h"
#include "avx2-dwconv.h"

ops_status f32_dwconv_hwc_avx2(const ops_dwconv_args *a)
{
    return dw_entry(a, f32_dwconv_3x3_avx2, f32_dwconv_5x5_avx2, f32_dwconv_kxk_avx2);
}
