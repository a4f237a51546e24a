/* Depthwise 5x5, stride 1 or 2 (any pads): MBConv's 5x5 blocks. */
#include "kernels-internal.h"
#include "avx2-dwconv.h"

DW_FIXED_K(f32_dwconv_5x5_avx2, 5)
