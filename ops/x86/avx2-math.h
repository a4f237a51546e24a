/*
 * avx2-math.h -- vector exp, sigmoid, swish and the activation epilogue
 * shared by every AVX2 kernel. Include only from files built with
 * -mavx2 -mfma (names ending in -avx2.c).
 *
 * exp(x) = 2^n * e^r with n = round(x / ln 2) and |r| <= ln2 / 2.
 *  - r is formed with two FMAs against a two-part ln 2 (Cody-Waite), so the
 *    reduction error stays far below one ulp of r.
 *  - e^r is the degree-7 Taylor polynomial: on |r| <= 0.347 its truncation
 *    error is < 5e-9 relative, so what is left is Horner rounding
 *    (measured max in tests/unit/test-ops-kernels.c).
 *  - 2^n is applied as two power-of-two factors 2^n1 * 2^n2, each a normal
 *    float, so that results in the subnormal range (x < -87.3) and the
 *    overflow to +inf (x > 88.72) come out of one final rounding, as libm's
 *    do, instead of wrapping the exponent field.
 * NaN inputs are not propagated (the clamp turns them into a number);
 * no ONNX graph we run produces them.
 */
#ifndef EFFAD_AVX2_MATH_H
#define EFFAD_AVX2_MATH_H

#include <immintrin.h>
#include "ops.h"

static inline __m256 avx2_exp_ps(__m256 x)
{
    /* Below -104 the result rounds to 0, above 89 to +inf; clamping keeps
     * n inside the range where both scale factors are normal floats. */
    x = _mm256_max_ps(x, _mm256_set1_ps(-104.0f));
    x = _mm256_min_ps(x, _mm256_set1_ps(89.0f));
    const __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                                     _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    /* ln2_hi = float(ln 2); ln2_lo = ln 2 - ln2_hi. */
    __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693147182464599609375f), x);
    r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-1.904654299957768e-09f), r);

    __m256 p = _mm256_set1_ps(1.0f / 5040.0f);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 720.0f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 120.0f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 24.0f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 6.0f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(0.5f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));

    const __m256i ni = _mm256_cvtps_epi32(n);          /* exact: n is integral */
    const __m256i n2 = _mm256_srai_epi32(ni, 1);       /* floor(n / 2)        */
    const __m256i n1 = _mm256_sub_epi32(ni, n2);
    const __m256i bias = _mm256_set1_epi32(127);
    const __m256 s1 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n1, bias), 23));
    const __m256 s2 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n2, bias), 23));
    /* p * s1 is exact (a normal power-of-two scaling); only * s2 rounds. */
    return _mm256_mul_ps(_mm256_mul_ps(p, s1), s2);
}

/* 1 / (1 + e^-x), written as the scalar oracle and ONNX Runtime write it:
 * for x << 0, e^-x is +inf and the quotient a clean 0; for x >> 0, 1. */
static inline __m256 avx2_sigmoid_ps(__m256 x)
{
    const __m256 one = _mm256_set1_ps(1.0f);
    const __m256 e = avx2_exp_ps(_mm256_sub_ps(_mm256_setzero_ps(), x));
    return _mm256_div_ps(one, _mm256_add_ps(one, e));
}

/* x / (1 + e^-x): one division instead of x * sigmoid(x)'s two roundings. */
static inline __m256 avx2_swish_ps(__m256 x)
{
    const __m256 one = _mm256_set1_ps(1.0f);
    const __m256 e = avx2_exp_ps(_mm256_sub_ps(_mm256_setzero_ps(), x));
    return _mm256_div_ps(x, _mm256_add_ps(one, e));
}

/* The activation epilogue. The switch is on a value that is constant for a
 * whole kernel call, so it predicts perfectly; callers apply it to a tile's
 * worth of registers at a time. */
static inline __m256 avx2_act_ps(__m256 x, ops_act act)
{
    switch (act.kind) {
    case OPS_ACT_NONE: return x;
    /* max(x, 0) returns its second operand for -0 and NaN, giving +0 like
     * the oracle's x > 0 ? x : 0. */
    case OPS_ACT_RELU: return _mm256_max_ps(x, _mm256_setzero_ps());
    case OPS_ACT_CLIP:
        return _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(act.a)), _mm256_set1_ps(act.b));
    case OPS_ACT_SIGMOID: return avx2_sigmoid_ps(x);
    case OPS_ACT_SWISH: return avx2_swish_ps(x);
    case OPS_ACT_HARDSIGMOID: {
        __m256 y = _mm256_fmadd_ps(x, _mm256_set1_ps(act.a), _mm256_set1_ps(act.b));
        return _mm256_min_ps(_mm256_max_ps(y, _mm256_setzero_ps()), _mm256_set1_ps(1.0f));
    }
    case OPS_ACT_HARDSWISH: {
        __m256 y = _mm256_fmadd_ps(x, _mm256_set1_ps(1.0f / 6.0f), _mm256_set1_ps(0.5f));
        y = _mm256_min_ps(_mm256_max_ps(y, _mm256_setzero_ps()), _mm256_set1_ps(1.0f));
        return _mm256_mul_ps(x, y);
    }
    }
    return x;
}

/* In place over count vectors of 8 floats, stride floats apart: x = act(x),
 * and sum += x when sum is not NULL. The switch is outside the loops, so a
 * kernel that stores its raw sums first and runs this afterwards (over data
 * still in L1) keeps its hot loop free of the activation's register
 * pressure. masked: only the lanes in m are read and written. */
static inline void avx2_act_strided(float *x, size_t count, size_t stride, ops_act act,
                                    int masked, __m256i m, __m256 *sum)
{
#define ACT_LOOP(EXPR)                                                              \
    for (size_t i_ = 0; i_ < count; i_++) {                                         \
        float *p_ = x + i_ * stride;                                                \
        __m256 v = masked ? _mm256_maskload_ps(p_, m) : _mm256_loadu_ps(p_);        \
        v = EXPR;                                                                   \
        if (sum) *sum = _mm256_add_ps(*sum, v);                                     \
        if (masked) _mm256_maskstore_ps(p_, m, v); else _mm256_storeu_ps(p_, v);    \
    }
    switch (act.kind) {
    case OPS_ACT_NONE:
        if (!sum) return;
        for (size_t i_ = 0; i_ < count; i_++) {
            const float *p_ = x + i_ * stride;
            *sum = _mm256_add_ps(*sum, masked ? _mm256_maskload_ps(p_, m) : _mm256_loadu_ps(p_));
        }
        return;
    case OPS_ACT_SWISH:   ACT_LOOP(avx2_swish_ps(v)) return;
    case OPS_ACT_SIGMOID: ACT_LOOP(avx2_sigmoid_ps(v)) return;
    default:              ACT_LOOP(avx2_act_ps(v, act)) return;
    }
#undef ACT_LOOP
}

/* Lane mask selecting the first n (0..8) of 8 floats, for maskload/maskstore
 * on channel and column tails. */
static inline __m256i avx2_tail_mask(size_t n)
{
    const __m256i idx = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)n), idx);
}

#endif /* EFFAD_AVX2_MATH_H */
