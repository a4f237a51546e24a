/* Spatial mean per channel: GlobalAveragePool and the pooled feature taps. */
#include "ops.h"

ops_status f32_mean_hw_scalar(const float *in, size_t hw, size_t c, float *out)
{
    if (!out || (hw && !in) || hw == 0) return OPS_ERR_ARG;
    for (size_t ch = 0; ch < c; ch++) out[ch] = 0.0f;
    for (size_t p = 0; p < hw; p++)
        for (size_t ch = 0; ch < c; ch++) out[ch] += in[p * c + ch];
    for (size_t ch = 0; ch < c; ch++) out[ch] /= (float)hw;
    return OPS_OK;
}
