/* The 16x8 glue, plain C: the squeeze-excite rescale, the float/int16
 * boundaries and pooling sums (contracts in ops/q16.h). */
#include "q16.h"

ops_status q16_scale_channels_scalar(const int16_t *in, size_t pixels, size_t c, const float *mult, int16_t *out)
{
    if ((pixels && c) && (!in || !mult || !out)) return OPS_ERR_ARG;
    for (size_t p = 0; p < pixels; p++)
        for (size_t ch = 0; ch < c; ch++) out[p * c + ch] = ops_q16_quantize1((float)in[p * c + ch] * mult[ch], 1.0f);
    return OPS_OK;
}

ops_status q16_quantize_scalar(const float *x, size_t n, float inv_scale, int16_t *q)
{
    if (n && (!x || !q)) return OPS_ERR_ARG;
    for (size_t i = 0; i < n; i++) q[i] = ops_q16_quantize1(x[i], inv_scale);
    return OPS_OK;
}

ops_status q16_dequantize_scalar(const int16_t *q, size_t n, float scale, float *x)
{
    if (n && (!x || !q)) return OPS_ERR_ARG;
    for (size_t i = 0; i < n; i++) x[i] = (float)q[i] * scale;
    return OPS_OK;
}

ops_status q16_sum_hw_scalar(const int16_t *in, size_t hw, size_t c, int32_t *out)
{
    if (!out || (hw && !in) || hw > OPS_Q16_SUM_HW_MAX) return OPS_ERR_ARG;
    for (size_t ch = 0; ch < c; ch++) out[ch] = 0;
    for (size_t p = 0; p < hw; p++)
        for (size_t ch = 0; ch < c; ch++) out[ch] += in[p * c + ch];
    return OPS_OK;
}
