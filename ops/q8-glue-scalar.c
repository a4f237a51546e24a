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

ops_status q8_se_gate_scalar(const ops_q8_se_args *a)
{
    if (!a || !a->mean || !a->w1 || !a->s1 || !a->w2 || !a->s2 || !a->gate || !a->scratch) return OPS_ERR_ARG;
    for (int r = 0; r < a->rc; r++) {
        const int8_t *w = a->w1 + (size_t)r * a->c;
        float s = 0.0f;
        for (int c = 0; c < a->c; c++) s += (float)w[c] * a->mean[c];
        s = s * a->s1[r] + (a->b1 ? a->b1[r] : 0.0f);
        a->scratch[r] = ops_q8_act(s, a->act);
    }
    for (int c = 0; c < a->c; c++) {
        const int8_t *w = a->w2 + (size_t)c * a->rc;
        float s = 0.0f;
        for (int r = 0; r < a->rc; r++) s += (float)w[r] * a->scratch[r];
        s = s * a->s2[c] + (a->b2 ? a->b2[c] : 0.0f);
        a->gate[c] = ops_q8_act(s, a->gate_act);
    }
    return OPS_OK;
}
