/* Depthwise 3x3, stride 1 or 2 (any pads): MBConv's 3x3 blocks. */
#include "kernels-internal.h"
#include "avx512-dwconv.h"

DW_FIXED_K(f32_dwconv_3x3_avx512, 3)
