/* Activations: the scalar oracle every SIMD activation is measured against. */
#include <math.h>
#include "ops.h"

float ops_act_apply1(float x, ops_act act)
{
    switch (act.kind) {
    case OPS_ACT_NONE:    return x;
    case OPS_ACT_RELU:    return x > 0.0f ? x : 0.0f;
    case OPS_ACT_CLIP:    return x < act.a ? act.a : (x > act.b ? act.b : x);
    /* 1/(1+exp(-x)) as ONNX Runtime writes it; for very negative x, exp
     * overflows to inf and the quotient is a clean 0. */
    case OPS_ACT_SIGMOID: return 1.0f / (1.0f + expf(-x));
    case OPS_ACT_SWISH:   return x / (1.0f + expf(-x));
    /* The affine step as one fused multiply-add, as every SIMD table
     * computes it: near the kink (x = -3 for HardSwish) two roundings
     * leave a relative difference of a few 1e-6 in a value close to 0. */
    case OPS_ACT_HARDSIGMOID: {
        float y = fmaf(act.a, x, act.b);
        return y < 0.0f ? 0.0f : (y > 1.0f ? 1.0f : y);
    }
    case OPS_ACT_HARDSWISH: {
        float y = fmaf(x, 1.0f / 6.0f, 0.5f);
        return x * (y < 0.0f ? 0.0f : (y > 1.0f ? 1.0f : y));
    }
    }
    return x;
}

ops_status f32_act_scalar(float *x, size_t n, ops_act act)
{
    if (n && !x) return OPS_ERR_ARG;
    if (act.kind == OPS_ACT_NONE) return OPS_OK;
    for (size_t i = 0; i < n; i++) x[i] = ops_act_apply1(x[i], act);
    return OPS_OK;
}

int ops_conv_out_dim(int in, int k, int stride, int dil, int pad_lo, int pad_hi)
{
    if (in < 1 || k < 1 || stride < 1 || dil < 1 || pad_lo < 0 || pad_hi < 0) return 0;
    long span = (long)dil * (k - 1) + 1;
    long avail = (long)in + pad_lo + pad_hi - span;
    if (avail < 0) return 0;
    return (int)(avail / stride + 1);
}

int ops_tf_same_pad(int in, int k, int stride, int dil, int *pad_lo, int *pad_hi)
{
    int out = stride > 0 ? (in + stride - 1) / stride : 0;
    long total = (long)(out - 1) * stride + (long)(k - 1) * dil + 1 - in;
    if (total < 0 || out < 1) total = 0;
    *pad_lo = (int)(total / 2);
    *pad_hi = (int)(total - total / 2);
    return out;
}
