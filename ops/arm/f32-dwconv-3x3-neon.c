/* Depthwise 3x3 (EfficientNet's MBConv k3 blocks), any stride, dilation
 * and pads: interior pixels unrolled over the 3x3 taps, borders through the
 * tap-list path. The template is ops_neon_dw_kxk in ops-neon.h. */
#include "ops-neon.h"

ops_status f32_dwconv_3x3_neon(const ops_dwconv_args *a)
{
    if (!ops_neon_dw_args_ok(a) || a->g.kh != 3 || a->g.kw != 3) return OPS_ERR_ARG;
    ops_neon_dw_kxk(a, 3);
    return OPS_OK;
}
