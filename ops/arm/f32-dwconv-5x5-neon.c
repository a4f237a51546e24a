/* Depthwise 5x5 (EfficientNet's MBConv k5 blocks), any stride, dilation
 * and pads: interior pixels unrolled over the 5x5 taps, borders through the
 * tap-list path. The template is ops_neon_dw_kxk in ops-neon.h. */
#include "ops-neon.h"

ops_status f32_dwconv_5x5_neon(const ops_dwconv_args *a)
{
    if (!ops_neon_dw_args_ok(a) || a->g.kh != 5 || a->g.kw != 5) return OPS_ERR_ARG;
    ops_neon_dw_kxk(a, 5);
    return OPS_OK;
}
