/*
 * q8.h -- the int8 kernels: uint8 activations, int8 weights, int32 sums,
 * and a float epilogue that is the same bits on every ISA.
 *
 * Numbers. An activation is uint8 with real = scale * (q - zero); a weight
 * is int8, symmetric, one scale per output channel. A layer accumulates
 * acc = sum (a - a_zero) * w exactly in int32 (a SIMD kernel may sum a * w
 * and subtract a_zero * colsum(w): the same integer), then finishes in
 * float, in exactly this order (ops_q8_finish):
 *     t = fmaf((float)acc, mult[j], bias[j])    mult = s_in * s_w[j]; bias 0 if none
 *     t = act(t)                                ops_q8_act8: portable float code
 *     t = fmaf((float)(r - r_zero), r_scale, t) (residual, when given)
 *     q = clamp(round_half_even(t * inv_scale), -zero, 255 - zero) + zero
 * Every step is one IEEE operation (fmaf is one, rounded once), so a SIMD
 * kernel that performs the same steps lane by lane gives the scalar
 * reference's bits; the tests require equality, not closeness. (The two
 * fmaf replaced a multiply and an add each, one rounding fewer; and the
 * swish below lost a compare, a subtraction and a blend: the epilogue is
 * most of an int8 kernel's work -- the expand and depthwise layers of
 * EfficientNet do 16 to 40 multiply-adds per output and one swish.)
 * Why a float epilogue instead of TFLite's fixed-point multiplier and
 * shift plus a 256-entry swish table: the swish is then computed on the
 * unquantised sum instead of on an int8 copy of it (one rounding instead
 * of two: EfficientNet has a swish after every expand and depthwise), the
 * residual add needs no second requantisation, and a Cortex-M4F/M7 has
 * single-precision float in hardware. This also makes the arithmetic the
 * one an ONNX QDQ graph (DequantizeLinear -> Conv -> Sigmoid/Mul ->
 * QuantizeLinear) describes, so ONNX Runtime is its reference.
 *
 * The swish (and sigmoid) here is a cheaper approximation than the float
 * path's, in two precisions: a layer with uint8 outputs takes ops_q8_act8
 * (the exponential's relative error 4.8e-4: through the swish at most
 * 1.1e-4 of |x|, where the layer's quantisation step is 1/255 of its
 * range), a 16x8 layer (int16 outputs) and the squeeze-excite gate (float,
 * scaling whole channels) ops_q8_act (< 5e-6).
 * Cheapness matters: it runs on every expanded and depthwise activation.
 */
#ifndef EFFAD_OPS_Q8_H
#define EFFAD_OPS_Q8_H

#include <math.h>
#include <stdint.h>
#include <string.h>
#include "ops.h"

/* ------------------------------------------------------------ epilogue */

/* What every int8 kernel does after the integer sum, per output column. */
typedef struct ops_q8_out {
    const float *mult;      /* [n] s_in * s_w[j] */
    const float *bias;      /* [n] or NULL */
    ops_act act;
    float inv_scale;        /* 1 / the output scale */
    int32_t zero;           /* the output zero point, 0..255 */
    /* 1 when the caller has shown (ops_q8_bounded) that |t * inv_scale|
     * stays below 2^30 for every output, whatever the input: then t * inv
     * converts to int32 exactly, and a SIMD kernel may leave the upper
     * clamp to its saturating packs (one vector operation fewer per eight
     * outputs; the bits are the same). 0: the kernels clamp in float, as
     * the reference does. The scalar reference ignores it, and so, for
     * now, do the AVX-512 and NEON kernels: the AVX2 ones (q8-avx2.h,
     * q16-avx2.h) take it, where the plain-AVX2 int8 rows of make bench
     * sit at their bar. */
    int bounded;
} ops_q8_out;

static inline uint32_t ops_q8_bits(float x) { uint32_t u; memcpy(&u, &x, 4); return u; }
static inline float ops_q8_float(uint32_t u) { float x; memcpy(&x, &u, 4); return x; }

/* e^y for y clamped into [-80, 30], the one exponential of the int8
 * activations, in five FMA-pipe operations:
 *   e^y = 2^(n/8) e^r,  n the nearest integer to y 8/ln2,
 *   r = y - n ln2/8 in [-ln2/16, ln2/16],  e^r ~= c0 (1 + r (a1 + a2 r)).
 *  - n: the magic addition leaves it in v's low mantissa bits.
 *  - c0 2^(n/8) = c0 2^(j/8) 2^(n>>3), j = n & 7: OPS_Q8_EXP_TABLE holds
 *    bits(float(c0 2^(j/8))) - (j << 20), so that adding v's bits shifted
 *    left by 20 -- (n >> 3) << 23 plus j << 20 -- puts 2^(n >> 3) into
 *    the exponent (x86/avx2-math.h's float swish does the same). The
 *    products stay normal floats (n >> 3 from -116 to 43).
 *  - c0, a1, a2: the minimax fit of relative error on |r| <= ln2/16
 *    (3.4e-6; 3.7e-6 with the float roundings, measured in
 *    tests/unit/test-q8-kernels.c; tests/int8/exp-table.py recomputes the
 *    constants). r uses one constant: n ln2/8 errs by at most 924 x 2.4e-10.
 * The clamp keeps 2^n a normal float on both sides: below -80 the result
 * only ever adds to 1, above 30 it only divides a value that is then far
 * below any quantisation step (swish(-30) is -3e-12).
 * History: e^r as degree 4 on |r| <= ln2/2 (seven FMA-pipe operations,
 * 1.1e-5) until 2026-12-04: the table form is both more accurate and,
 * on the plain AVX2 table, 2-3 % faster for B0 and B4 int8 (alternated
 * runs, Zen 5). Degree 1 everywhere (ops_q8_exp8's form) was measured
 * then and not kept: with 8-bit weights the demo sets of seeds 1-10 lost
 * 0.0005 of Spearman on average, and in the 16x8 layers it was up to
 * three int16 steps off ONNX Runtime (2026-12-03). It now serves the
 * uint8 layers only (ops_q8_exp8, below). */
#define OPS_Q8_EXP_TABLE 0x3f800001u, 0x3f7b95c3u, 0x3f7837f1u, 0x3f75fed8u, \
                         0x3f7504f5u, 0x3f75672bu, 0x3f7744feu, 0x3f7ac0c9u
#define OPS_Q8_EXP_A1 0x1.000f5ep+0f
#define OPS_Q8_EXP_A2 0x1.fff094p-2f
/* The reduction both exponentials share: y clamped, r, and c0 2^(n/8)
 * from the table t8 (returned). */
static inline float ops_q8_exp_reduce(float y, const uint32_t t8[8], float *r)
{
    y = y < -80.0f ? -80.0f : y;
    y = y > 30.0f ? 30.0f : y;
    const float magic = 0x1.8p23f;
    const float v = fmaf(y, 0x1.715476p+3f, magic);
    const float n = v - magic;
    *r = fmaf(-n, 0x1.62e430p-4f, y);
    const uint32_t vb = ops_q8_bits(v);
    return ops_q8_float(t8[vb & 7u] + (vb << 20));   /* c0 2^(n/8) */
}

static inline float ops_q8_exp(float y)
{
    static const uint32_t t8[8] = { OPS_Q8_EXP_TABLE };
    float r;
    const float t = ops_q8_exp_reduce(y, t8, &r);
    const float q = fmaf(OPS_Q8_EXP_A2, r, OPS_Q8_EXP_A1);
    return fmaf(t * r, q, t);
}

/* The exponential of layers with uint8 outputs: ops_q8_exp with e^r ~=
 * c0 (1 + r) -- t r + t, one FMA where ops_q8_exp has three (its own c0
 * in the table; relative error 4.83e-4 on |r| <= ln2/16, the minimax
 * c0; tests/int8/exp-table.py recomputes the table). Through the swish
 * that is at most 1.1e-4 of |x| (x sigmoid'(x) peaks at 0.224), a few
 * per cent of half a uint8 step of any layer's range. Not used where the
 * outputs are int16 (16x8: there it was up to three steps off ONNX
 * Runtime) nor for the squeeze-excite gate (a float that scales whole
 * channels): those keep ops_q8_exp.
 * Measured (2026-12-05, Zen 5, --fast models, plain AVX2 table, one
 * thread pinned, four alternated pairs): B0 6.43-6.59 -> 6.19-6.35 ms.
 * Fidelity, paired with ops_q8_exp in the uint8 layers (EFFAD_ISA=avx2,
 * --fast): demo sets of seeds 1-10 (6-bit weights) mean Spearman 0.99502
 * against 0.99506, none under 0.99 in either; tests/int8/fidelity.sh
 * demo 0.9926 against 0.9916, brushed metal 0.9936 against 0.9932, grid
 * 0.697 against 0.548 (AUROC -2.3 against -4.6 points).
 * Measured and not kept (2026-12-06, same setup): the output scale s
 * folded into this table per layer (entries s c0 2^(j/8), the
 * denominator s + s e^-x, the clamp of -x at -30 so that every product
 * stays normal), which makes the quantiser's multiply a multiply by one
 * that the kernels leave out: bit-exact on the x86 tables, and B0 6.361 ->
 * 6.337 ms over eight alternated pairs, 6.28 -> 6.30 over four `--layers`
 * runs -- nothing beyond the noise, for a table per layer in every
 * ISA's epilogue. Where the uint8 swish's time goes, by swapping parts for
 * cheaper wrong ones (same setup, five or six pairs): the whole swish
 * for a max with 0, 13 % of the B0 pass; its division for a multiply,
 * 0.9 %; the quantiser's multiply left out of the swish layers, 0-1 %.
 * No one operation is the limit: the epilogue's ~17 vector operations
 * per 8 outputs share the ports, about 1 % of the pass each. */
#define OPS_Q8_EXP8_TABLE 0x3f800fd5u, 0x3f7ba706u, 0x3f784ac5u, 0x3f76135fu, \
                          0x3f751b58u, 0x3f757f95u, 0x3f775f9eu, 0x3f7addd1u
static inline float ops_q8_exp8(float y)
{
    static const uint32_t t8[8] = { OPS_Q8_EXP8_TABLE };
    float r;
    const float t = ops_q8_exp_reduce(y, t8, &r);
    return fmaf(t, r, t);
}

/* sigmoid(x) = 1 / (1 + e^-x), swish(x) = x / (1 + e^-x): one division,
 * no branch on the sign (the clamps in ops_q8_exp keep e^-x finite). */
static inline float ops_q8_act(float x, ops_act act)
{
    switch (act.kind) {
    case OPS_ACT_NONE: return x;
    case OPS_ACT_RELU: return x > 0.0f ? x : 0.0f;
    case OPS_ACT_CLIP: return x < act.a ? act.a : x > act.b ? act.b : x;
    case OPS_ACT_SIGMOID: return 1.0f / (1.0f + ops_q8_exp(-x));
    case OPS_ACT_SWISH: return x / (1.0f + ops_q8_exp(-x));
    case OPS_ACT_HARDSIGMOID: {
        const float y = fmaf(x, act.a, act.b);
        return y < 0.0f ? 0.0f : y > 1.0f ? 1.0f : y;
    }
    case OPS_ACT_HARDSWISH: {
        float y = fmaf(x, 1.0f / 6.0f, 0.5f);
        y = y < 0.0f ? 0.0f : y > 1.0f ? 1.0f : y;
        return x * y;
    }
    }
    return x;
}

/* ops_q8_act for a layer with uint8 outputs: the exponential's kinds by
 * ops_q8_exp8. */
static inline float ops_q8_act8(float x, ops_act act)
{
    switch (act.kind) {
    case OPS_ACT_SIGMOID: return 1.0f / (1.0f + ops_q8_exp8(-x));
    case OPS_ACT_SWISH: return x / (1.0f + ops_q8_exp8(-x));
    default: return ops_q8_act(x, act);
    }
}

/* The largest |t| a layer can produce, for ops_q8_out.bounded: the
 * integer sum of `taps` products of an input within in_span of its zero
 * point (256 for uint8, 65536 for int16) and an int8 weight (|w| <= 128),
 * times the largest |mult|, plus the largest |bias|; the activation keeps
 * |t| (swish, relu, hardswish: |act(t)| <= |t|) or bounds it (sigmoid,
 * hardsigmoid: 1; clip: its limits); a residual adds res_span times
 * |res_scale| (res_span 0: none). */
static inline double ops_q8_t_max(double taps, double in_span, double max_mult, double max_bias, ops_act act,
                                  double res_span, float res_scale)
{
    double t = taps * in_span * 128.0 * max_mult + max_bias;
    t = t > 1.0 ? t : 1.0;
    if (act.kind == OPS_ACT_CLIP) {
        const double a = fabs((double)act.a), b = fabs((double)act.b), lim = a > b ? a : b;
        t = t > lim ? t : lim;
    }
    return t + res_span * fabs((double)res_scale);
}

/* ops_q8_out.bounded for a layer whose |t| is at most t_max: below 2^30,
 * a factor two to spare for the float roundings on the way (false for a
 * NaN or infinite t_max or scale). */
static inline int ops_q8_bounded(double t_max, float inv_scale)
{
    return t_max * fabs((double)inv_scale) < 0x1p30;
}

/* ops_q8_out.bounded for the n columns of o from its own factors (the
 * loader computes the same from a layer's scales): taps products of
 * inputs within in_span of their zero point, and a residual of res_span
 * steps of res_scale (res_span 0: none). */
static inline int ops_q8_out_bounded(const ops_q8_out *o, size_t n, double taps, double in_span, double res_span,
                                     float res_scale)
{
    double m = 0.0, b = 0.0;
    for (size_t j = 0; j < n; j++) {
        m = fmax(m, fabs((double)o->mult[j]));
        if (o->bias) b = fmax(b, fabs((double)o->bias[j]));
    }
    return ops_q8_bounded(ops_q8_t_max(taps, in_span, m, b, o->act, res_span, res_scale), o->inv_scale);
}

/* t * inv_scale rounded half to even and clamped into uint8 around zero.
 * The clamp comes before the rounding (in float) so that no value outside
 * the int32 range is ever converted. A NaN -- which only a hostile model
 * makes, e.g. a weight scale times an activation scale overflowing to
 * infinity times a zero sum (fuzz-efm) -- becomes the top code 255, as in
 * the AVX2 kernels (minps returns its second operand for a NaN) and NEON
 * (vminnmq): converting it to int would be undefined behaviour. */
static inline uint8_t ops_q8_quantize1(float t, float inv_scale, int32_t zero)
{
    float v = t * inv_scale;
    const float lo = (float)-zero, hi = (float)(255 - zero);
    v = v < lo ? lo : v;
    v = v <= hi ? v : hi;
    return (uint8_t)((int32_t)nearbyintf(v) + zero);
}

/* The whole epilogue for one output (see the top of this file); with a
 * residual, r is the uint8 residual value, else has_res is 0. */
static inline uint8_t ops_q8_finish(int32_t acc, const ops_q8_out *o, size_t j, int has_res, int32_t r,
                                    int32_t r_zero, float r_scale)
{
    float t = fmaf((float)acc, o->mult[j], o->bias ? o->bias[j] : 0.0f);
    t = ops_q8_act8(t, o->act);
    if (has_res) t = fmaf((float)(r - r_zero), r_scale, t);
    return ops_q8_quantize1(t, o->inv_scale, o->zero);
}

/* ---------------------------------------------------------- 1x1 (GEMM) *
 * c[i][j] = finish(sum_k (a[i][k] - a_zero) * b[k][j]) with, when res is
 * given, the residual (res[i][j] - res_zero) * res_scale added after the
 * activation. b is [k][n] int8 row-major.
 * With a_mult, A is first requantised column by column, exactly as
 * q8_scale_channels does it: a[i][k] is replaced by
 * quantize1((a[i][k] - a_in_zero) * a_mult[k], 1, a_zero) -- the
 * squeeze-excite rescale of an int8 block, done as the projection reads
 * its input instead of in a pass of its own. Only kernels whose table says
 * gemm_a_mult (ops/dispatch.h) take it on the fast path.                 */
typedef struct ops_q8_gemm_args {
    size_t m, n, k;
    const uint8_t *a;      size_t a_stride;   int32_t a_zero;
    const float *a_mult;   int32_t a_in_zero;             /* or NULL */
    const int8_t *b;       size_t b_stride;
    ops_q8_out out;
    const uint8_t *res;    size_t res_stride; int32_t res_zero; float res_scale;
    uint8_t *c;            size_t c_stride;
    /* B as the table's gemm_pack wrote it (ops/dispatch.h), or NULL */
    const void *b_packed;
} ops_q8_gemm_args;
size_t     q8_gemm_buffer_size_scalar(size_t m, size_t n, size_t k);
ops_status q8_gemm_scalar(const ops_q8_gemm_args *a, void *scratch);

/* --------------------------------------------------------- depthwise *
 * Same geometry and ring rules as the float depthwise (ops.h); padding
 * taps are skipped (they hold the real value 0 = in_zero). chan_sum, when
 * not NULL, receives (+=) the per-channel sum of the uint8 outputs of the
 * rows produced (exact: the engine turns it into a mean for squeeze-excite
 * and pooled taps with the output scale and zero point).                 */
typedef struct ops_q8_dwconv_args {
    const uint8_t *in;     ops_hwc in_dims;   int32_t in_zero;
    const int8_t *w;                          /* [kh][kw][c] */
    ops_conv_geom g;
    ops_q8_out out;
    uint8_t *out_q;        ops_hwc out_dims;
    int row_begin, row_end;
    int32_t *chan_sum;                        /* [c] or NULL */
    int in_ring;                              /* 0, or rows in the ring */
} ops_q8_dwconv_args;
ops_status q8_dwconv_hwc_scalar(const ops_q8_dwconv_args *a);

static inline const uint8_t *ops_q8_dw_in_row(const ops_q8_dwconv_args *a, int iy)
{
    const size_t slot = a->in_ring > 0 ? (size_t)(iy % a->in_ring) : (size_t)iy;
    return a->in + slot * (size_t)a->in_dims.w * (size_t)a->in_dims.c;
}

/* The argument checks of every int8 depthwise kernel (OPS_ERR_ARG if not). */
static inline int ops_q8_dw_args_ok(const ops_q8_dwconv_args *a)
{
    return a && a->in && a->w && a->out_q && a->out.mult && a->out_dims.c == a->in_dims.c && a->row_begin >= 0 &&
           a->row_end <= a->out_dims.h && a->row_begin <= a->row_end && a->in_ring >= 0;
}

/* ------------------------------------------------- squeeze-excite gate *
 * The float gate of ops.h (ops_se_args) with int8 weights, one scale per
 * output row: w1 [rc][c] with s1[rc], w2 [c][rc] with s2[c]; hidden =
 * act(s1 * (w1 . mean) + b1), gate = gate_act(s2 * (w2 . hidden) + b2),
 * each dot product summed in order (s = s + w * x), then s * scale + b,
 * the activations ops_q8_act's (vectorisable: libm's expf is not the
 * same bits in SIMD, and took 30 us of a 1152-channel gate).
 * Weight-only quantisation: the activations stay float (the gate feeds the
 * rescale of an int8 block's depthwise output). It halves nothing in time
 * (two mat-vecs per block) but a float SE is a third of an int8 B0 file. */
typedef struct ops_q8_se_args {
    const float *mean; int c, rc;
    const int8_t *w1; const float *s1, *b1; ops_act act;
    const int8_t *w2; const float *s2, *b2; ops_act gate_act;
    float *gate;
    float *scratch;        /* rc floats */
} ops_q8_se_args;
ops_status q8_se_gate_scalar(const ops_q8_se_args *a);

/* ------------------------------------------------------------- glue */

/* Per-channel rescale of a uint8 map (the squeeze-excite gate):
 * out = quantize1((float)(in - in_zero) * mult[ch], 1, out_zero) -- mult
 * already holds s_in * gate / s_out. pixels x c, channels innermost.     */
ops_status q8_scale_channels_scalar(const uint8_t *in, size_t pixels, size_t c, int32_t in_zero,
                                    const float *mult, int32_t out_zero, uint8_t *out);
/* float -> uint8 (quantize1 with inv_scale) and uint8 -> float
 * ((float)(q - zero) * scale): the boundaries between float and int8
 * blocks, and taps. */
ops_status q8_quantize_scalar(const float *x, size_t n, float inv_scale, int32_t zero, uint8_t *q);
ops_status q8_dequantize_scalar(const uint8_t *q, size_t n, float scale, int32_t zero, float *x);
/* out[ch] = sum over the hw pixels of in[p][ch] (exact; hw * 255 < 2^31). */
ops_status q8_sum_hw_scalar(const uint8_t *in, size_t hw, size_t c, int32_t *out);

#endif /* EFFAD_OPS_Q8_H */
