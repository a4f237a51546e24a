/* The int8 glue, plain C: the squeeze-excite rescale, the float/int8
 * boundaries and pooling sums (contracts in ops/q8.h). */
#include "q8.h"

ops_status q8_scale_channels_scalar(const uint8_t *in, size_t pixels, size_t c, int32_t in_zero,
                                    const float *mult, int32_t out_zero, uint8_t *out)
{
    if ((pixels && c) && (!in || !mult || !out)) return OPS_ERR_ARG;
    for (size_t p = 0; p < pixels; p++)
        for (size_t ch = 0; ch < c; ch++)
            out[p * c + ch] = ops_q8_quantize1((float)((int32_t)in[p * c + ch] - in_zero) * mult[ch], 1.0f, out_zero);
    return OPS_OK;
}

ops_status q8_quantize_scalar(const float *x, size_t n, float inv_scale, int32_t zero, uint8_t *q)
{
    if (n && (!x || !q)) return OPS_ERR_ARG;
    for (size_t i = 0; i < n; i++) q[i] = ops_q8_quantize1(x[i], inv_scale, zero);
    return OPS_OK;
}

ops_status q8_dequantize_scalar(const uint8_t *q, size_t n, float scale, int32_t zero, float *x)
{
    if (n && (!x || !q)) return OPS_ERR_ARG;
    for (size_t i = 0; i < n; i++) x[i] = (float)((int32_t)q[i] - zero) * scale;
    return OPS_OK;
}

ops_status q8_sum_hw_scalar(const uint8_t *in, size_t hw, size_t c, int32_t *out)
{
    if (!out || (hw && !in)) return OPS_ERR_ARG;
    for (size_t ch = 0; ch < c; ch++) out[ch] = 0;
    for (size_t p = 0; p < hw; p++)
        for (size_t ch = 0; ch < c; ch++) out[ch] += in[p * c + ch];
    return OPS_OK;
}
