/* Depthwise, any kernel size and stride, dilation 1: shapes outside the
 * 3x3/5x5 fast paths that conformance models still use (1x1, 7x7, 3x5). */
#include "kernels-internal.h"
#include "avx512-dwconv.h"

ops_status f32_dwconv_kxk_avx512(const ops_dwconv_args *a) { return dw_any_k(a); }
