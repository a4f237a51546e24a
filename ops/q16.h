/*
 * q16.h -- the 16x8 kernels: int16 activations, int8 weights (TensorFlow
 * Lite's "16x8" mode), for the int8 blocks whose activations need more
 * than 256 levels.
 *
 * Why they exist. An anomaly detector's int8 activations must span what
 * defective images produce, not just the good calibration images: on the
 * generated metal set the defects drive blocks 13-15 and the head of a B0
 * to 100-150x the good images' range. With 8-bit activations a range that
 * wide leaves the good images a handful of levels, and a range fitted to
 * the good images clips the defects; both lose the anomaly ranking
 * (Spearman 0.97 against float). 16-bit activations at a range 256x the
 * good images' keep 128 levels on each side of 0 for them and still hold
 * every defect measured: tests/int8/sim-bits.py simulated 0.9993 with int8
 * weights. The weights stay int8, so the file is as small as int8's.
 *
 * Numbers. An activation is int16, symmetric: real = scale * q, zero point
 * always 0 (as TFLite requires for 16x8; the loader refuses another), so
 * padding and the sums need no zero-point terms. Weights are int8,
 * symmetric, per output channel, as for q8. The epilogue is q8.h's, with
 * the int16 range:
 *     t = fmaf((float)acc, mult[j], bias[j])     (float)acc: one rounding
 *     t = act(t)                                 ops_q8_act (degree 2, not
 *                                                the uint8 layers' ops_q8_act8)
 *     t = fmaf((float)r, r_scale, t)             (residual, when given)
 *     q = clamp(round_half_even(t * inv_scale), -32768, 32767)
 * The clamp is ONNX QuantizeLinear's for int16, so ONNX Runtime running
 * the emitted QDQ graph (com.microsoft Q/DQ with int16) is the reference.
 *
 * Sums. |a * w| <= 32768 * 127 < 2^22, so an int32 sum holds 511 terms
 * at worst: the GEMM sums in int64 (k reaches 2688 in B4; a SIMD kernel
 * may sum blocks of up to 512 k in int32 lanes and add them into int64 --
 * the same integer), and converts it to float once. A depthwise window
 * (at most 15 x 15 = 225 taps) fits int32. Pooling sums are per band of
 * rows (engine/plan.h: 2 rows, at most 2 x 8192 pixels, x 32768 < 2^31),
 * so they stay int32 too.
 */
#ifndef EFFAD_OPS_Q16_H
#define EFFAD_OPS_Q16_H

#include "q8.h"

/* t * inv_scale rounded half to even and clamped into int16; a NaN (only
 * a hostile model makes one) becomes 32767, like q8's top code. */
static inline int16_t ops_q16_quantize1(float t, float inv_scale)
{
    float v = t * inv_scale;
    v = v < -32768.0f ? -32768.0f : v;
    v = v <= 32767.0f ? v : 32767.0f;
    return (int16_t)(int32_t)nearbyintf(v);
}

/* The whole epilogue for one output; accf is the integer sum already
 * converted to float (one rounding), r the int16 residual (has_res 0:
 * none). o->zero is unused (0). */
static inline int16_t ops_q16_finish(float accf, const ops_q8_out *o, size_t j, int has_res, int32_t r,
                                     float r_scale)
{
    float t = fmaf(accf, o->mult[j], o->bias ? o->bias[j] : 0.0f);
    t = ops_q8_act(t, o->act);
    if (has_res) t = fmaf((float)r, r_scale, t);
    return ops_q16_quantize1(t, o->inv_scale);
}

/* ---------------------------------------------------------- 1x1 (GEMM) *
 * c[i][j] = finish(sum_k a[i][k] * b[k][j]) with, when res is given, the
 * residual res[i][j] * res_scale added after the activation. b is [k][n]
 * int8 row-major. No a_mult form: the engine rescales A by the squeeze-
 * excite gate first (q16_scale_channels, a block of rows at a time into
 * scratch the GEMM then reads: engine/run-q16.c).                       */
typedef struct ops_q16_gemm_args {
    size_t m, n, k;
    const int16_t *a;      size_t a_stride;
    const int8_t *b;       size_t b_stride;
    ops_q8_out out;
    const int16_t *res;    size_t res_stride; float res_scale;
    int16_t *c;            size_t c_stride;
    /* B as the table's gemm_pack wrote it (ops/dispatch.h), or NULL */
    const void *b_packed;
} ops_q16_gemm_args;
size_t     q16_gemm_buffer_size_scalar(size_t m, size_t n, size_t k);
ops_status q16_gemm_scalar(const ops_q16_gemm_args *a, void *scratch);

/* --------------------------------------------------------- depthwise *
 * q8's depthwise with int16 maps; padding taps hold 0 and are skipped.
 * chan_sum, when not NULL, receives (+=) the per-channel sum of the int16
 * outputs of the rows produced (exact in int32, see the top).            */
typedef struct ops_q16_dwconv_args {
    const int16_t *in;     ops_hwc in_dims;
    const int8_t *w;                          /* [kh][kw][c] */
    ops_conv_geom g;
    ops_q8_out out;
    int16_t *out_q;        ops_hwc out_dims;
    int row_begin, row_end;
    int32_t *chan_sum;                        /* [c] or NULL */
    int in_ring;                              /* 0, or rows in the ring */
} ops_q16_dwconv_args;
ops_status q16_dwconv_hwc_scalar(const ops_q16_dwconv_args *a);

static inline const int16_t *ops_q16_dw_in_row(const ops_q16_dwconv_args *a, int iy)
{
    const size_t slot = a->in_ring > 0 ? (size_t)(iy % a->in_ring) : (size_t)iy;
    return a->in + slot * (size_t)a->in_dims.w * (size_t)a->in_dims.c;
}

/* The argument checks of every 16x8 depthwise kernel (OPS_ERR_ARG if not). */
static inline int ops_q16_dw_args_ok(const ops_q16_dwconv_args *a)
{
    return a && a->in && a->w && a->out_q && a->out.mult && a->out_dims.c == a->in_dims.c && a->row_begin >= 0 &&
           a->row_end <= a->out_dims.h && a->row_begin <= a->row_end && a->in_ring >= 0;
}

/* ------------------------------------------------------------- glue */

/* Per-channel rescale (the squeeze-excite gate): out = quantize1((float)
 * in * mult[ch], 1) -- mult holds s_in * gate / s_out. pixels x c. */
ops_status q16_scale_channels_scalar(const int16_t *in, size_t pixels, size_t c, const float *mult, int16_t *out);
/* float -> int16 (quantize1 with inv_scale) and int16 -> float
 * ((float)q * scale). */
ops_status q16_quantize_scalar(const float *x, size_t n, float inv_scale, int16_t *q);
ops_status q16_dequantize_scalar(const int16_t *q, size_t n, float scale, float *x);
/* out[ch] = sum over the hw pixels of in[p][ch]; exact while hw * 32768
 * < 2^31 (the engine's bands), OPS_ERR_ARG beyond. */
ops_status q16_sum_hw_scalar(const int16_t *in, size_t hw, size_t c, int32_t *out);
#define OPS_Q16_SUM_HW_MAX ((size_t)65535)

#endif /* EFFAD_OPS_Q16_H */
