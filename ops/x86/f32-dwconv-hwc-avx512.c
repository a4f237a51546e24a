/* The depthwise entry of the AVX-512 table (dw_entry, f32-dwconv-body.h). */
#include "kernels-internal.h"
#include "avx512-dwconv.h"

ops_status f32_dwconv_hwc_avx512(const ops_dwconv_args *a)
{
    return dw_entry(a, f32_dwconv_3x3_avx512, f32_dwconv_5x5_avx512, f32_dwconv_kxk_avx512);
}
