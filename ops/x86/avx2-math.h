/*
 * avx2-math.h -- vector exp, sigmoid, swish and the activation epilogue
 * shared by every AVX2 kernel. Include only from files built with
 * -mavx2 -mfma (names ending in -avx2.c).
 *
 * exp(x) = 2^n * e^r with n = round(x / ln 2) and |r| <= ln2 / 2.
 *  - n is rounded by adding 1.5 * 2^23 (the FMA's own rounding does it), so
 *    the integer is already in the low mantissa bits: no round, no convert.
 *  - r is formed with two FMAs against a two-part ln 2 (Cody-Waite), so the
 *    reduction error stays far below one ulp of r.
 *  - e^r = 1 + r * p(r), p of degree 4 with minimax coefficients fitted for
 *    relative error on |r| <= ln2/2 (9.2e-8 in exact arithmetic, 1.6e-7
 *    with float Horner; measured end-to-end in tests/unit/test-ops-kernels.c).
 *    Degree 5 instead of the Taylor degree 7 saves two FMAs on the path that
 *    runs ~8 million times per B0 pass (every swish).
 * The activations only ever need e^t for t = -|x| <= 0 (avx2_exp_neg_ps):
 * there 2^n is one shift of the biased integer, and results below FLT_MIN
 * are flushed to 0 by a compare (sigmoid is then 0 or 1 exactly, the
 * saturation the scalar oracle gives). avx2_exp_ps is the full-range form
 * (the array entry f32_vexp_avx2): it applies 2^n as two normal factors so
 * subnormal results and the overflow to +inf round once, as libm's do.
 * NaN inputs are not propagated; no ONNX graph we run produces them.
 */
#ifndef EFFAD_AVX2_MATH_H
#define EFFAD_AVX2_MATH_H

#include <immintrin.h>
#include "ops.h"

#define AVX2_INLINE static inline __attribute__((always_inline))

/* 1 + r * p(r) ~= e^r on |r| <= ln2 / 2: the minimax fit (see above). */
AVX2_INLINE __m256 avx2_exp_poly_p(__m256 r)
{
    __m256 p = _mm256_set1_ps(0x1.0fa81ap-7f);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(0x1.573a50p-5f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(0x1.555a6ap-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(0x1.fffdc6p-2f));
    return _mm256_fmadd_ps(p, r, _mm256_set1_ps(0x1.fffff6p-1f));
}

/* x - n ln2 with ln2 = ln2_hi + ln2_lo, ln2_hi = float(ln 2). */
AVX2_INLINE __m256 avx2_exp_reduce(__m256 x, __m256 n)
{
    __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0x1.62e430p-1f), x);
    return _mm256_fnmadd_ps(n, _mm256_set1_ps(-1.904654299957768e-09f), r);
}

static inline __m256 avx2_exp_ps(__m256 x)
{
    /* Below -104 the result rounds to 0, above 89 to +inf; clamping keeps
     * n inside the range where both scale factors are normal floats. */
    x = _mm256_max_ps(x, _mm256_set1_ps(-104.0f));
    x = _mm256_min_ps(x, _mm256_set1_ps(89.0f));
    const __m256 magic = _mm256_set1_ps(0x1.8p23f);
    const __m256 v = _mm256_fmadd_ps(x, _mm256_set1_ps(1.44269504088896341f), magic);
    const __m256 n = _mm256_sub_ps(v, magic);
    const __m256 r = avx2_exp_reduce(x, n);
    const __m256 p = _mm256_fmadd_ps(r, avx2_exp_poly_p(r), _mm256_set1_ps(1.0f));

    const __m256i ni = _mm256_sub_epi32(_mm256_castps_si256(v), _mm256_castps_si256(magic));
    const __m256i n2 = _mm256_srai_epi32(ni, 1);       /* floor(n / 2) */
    const __m256i n1 = _mm256_sub_epi32(ni, n2);
    const __m256i bias = _mm256_set1_epi32(127);
    const __m256 s1 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n1, bias), 23));
    const __m256 s2 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n2, bias), 23));
    /* p * s1 is exact (a normal power-of-two scaling); only * s2 rounds. */
    return _mm256_mul_ps(_mm256_mul_ps(p, s1), s2);
}

/* e^t for t <= 0; 0 where e^t < FLT_MIN. */
AVX2_INLINE __m256 avx2_exp_neg_ps(__m256 t)
{
    /* 1.5 * 2^23 + 127: v's low mantissa bits hold n + 127, the biased
     * exponent of 2^n, so one shift builds the scale. Valid for n >= -126;
     * below the cut-off the lanes are zeroed instead. */
    const __m256 magic = _mm256_set1_ps(0x1.8000fep23f);
    const __m256 v = _mm256_fmadd_ps(t, _mm256_set1_ps(1.44269504088896341f), magic);
    const __m256 s = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_castps_si256(v), 23));
    const __m256 n = _mm256_sub_ps(v, magic);
    const __m256 r = avx2_exp_reduce(t, n);
    const __m256 e = _mm256_fmadd_ps(_mm256_mul_ps(r, s), avx2_exp_poly_p(r), s);
    const __m256 tiny = _mm256_cmp_ps(t, _mm256_set1_ps(-87.33654f), _CMP_LT_OQ);
    return _mm256_andnot_ps(tiny, e);
}

/* sigmoid(x) = 1 / (1 + e^-x), from z = e^-|x| in (0, 1] so that nothing
 * overflows: f = z / (1 + z) is sigmoid(-|x|), and sigmoid(|x|) = 1 - f.
 * The division is rcp plus one Newton step on a denominator in [1, 2].
 * 1 - f rounds to exactly 1 once f < 2^-25, and z == 0 gives exactly 0 --
 * the saturation the scalar oracle and ONNX Runtime produce. */
AVX2_INLINE __m256 avx2_sigmoid_ps(__m256 x)
{
    const __m256 one = _mm256_set1_ps(1.0f);
    const __m256 z = avx2_exp_neg_ps(_mm256_or_ps(x, _mm256_set1_ps(-0.0f)));
    const __m256 d = _mm256_add_ps(z, one);
    __m256 rc = _mm256_rcp_ps(d);
    rc = _mm256_fmadd_ps(_mm256_fnmadd_ps(d, rc, one), rc, rc);
    const __m256 f = _mm256_mul_ps(z, rc);
    /* blendv picks by the sign bit: f for negative x, 1 - f otherwise. */
    return _mm256_blendv_ps(_mm256_sub_ps(one, f), f, x);
}

/* x * sigmoid(x) (SiLU), the activation of every EfficientNet epilogue:
 * ~45 million per B4 pass, a tenth of the pass and, inside the GEMM and
 * depthwise epilogues, FMA-pipe work beside the FMAs of the convolution.
 * So it is its own exp, built for few FMA-pipe operations:
 *
 *   swish(x) = x / (1 + e^-x),  e^-x = 2^(n/8) * e^r,  n = round(-x * 8/ln2)
 *
 *  - 2^(n/8) = 2^(n>>3) * T[n & 7], T[j] = float(2^(j/8)): vpermps looks
 *    the entry up from the low three bits of the rounded integer (the
 *    1.5 * 2^23 magic leaves n there, as in avx2_exp_neg_ps), and 2^(n>>3)
 *    is (n >> 3) << 23 added to its exponent bits. The table holds
 *    bits(T[j]) - (j << 20) instead, so that adding n << 20 itself (one
 *    shift of v's bits; j << 20 plus (n >> 3) << 23) gives the sum: two
 *    integer ops, off the FMA pipes.
 *  - |r| <= ln2/16, so e^r is 1 + r + c2 r^2 + c3 r^3 with minimax c2, c3
 *    (relative error 2.6e-8 in exact arithmetic; degree 3 where the
 *    table-free form needs 5). r is formed from s = x + n * float(ln2/8),
 *    r = -s; the odd coefficients take the sign instead of a negation.
 *    The one-constant reduction errs by n times 2.4e-10 (2.4e-7 at the
 *    clamp), as the previous one-constant form did.
 *  - one division, x / (1 + e^-x), on the divider beside the FMA pipes.
 * x is floored at -88 and the exponent's argument held in [-87, 88], so
 * every intermediate is a normal float (a subnormal costs a microcode
 * assist) and nothing overflows: x <= -88 gives -88 / (1 + e^88) =
 * -5.3e-37, no x below (-1e30, -inf) scales that back up, and x > 16.6
 * gives exactly x (1 + e^-x rounds to 1).
 * Per zmm vector, four in lockstep, in L1 on Zen 5: 1.72 ns against 2.49
 * for the form before (z = e^-|x| by the degree-5 exp, z / (1 + z), a
 * blend by sign: 10 FMA-pipe ops where this has 6). Relative error against
 * double SiLU for x >= -80: 3.6e-7 (before 3.9e-7), measured in
 * tests/unit/test-ops-kernels.c; 1.9e-7 for |x| <= 16.
 * What all of them cost: B4@380 on the AVX2 table took 95.0-96.6 ms with
 * every swish replaced by one multiply against 103.5-103.7 (one thread,
 * two alternated pairs, Zen 5, 2026-12-04) -- 7-8 % of the pass, the
 * ceiling of any cheaper form. */
#define AVX2_SWISH_STEP _Pragma("GCC unroll 4") for (int j = 0; j < n; j++)
/* bits(float(2^(j/8))) - (j << 20), j = 0..7, read as floats: 2^(j/8) is
 * 0x1.000000p+0, 0x1.172b84p+0, 0x1.306fe0p+0, 0x1.4bfdaep+0, 0x1.6a09e6p+0,
 * 0x1.8ace54p+0, 0x1.ae89fap+0, 0x1.d5818ep+0. */
#define EFFAD_SWISH_T8 0x1.000000p+0f, 0x1.f72b84p-1f, 0x1.f06fe0p-1f, 0x1.ebfdaep-1f, \
                       0x1.ea09e6p-1f, 0x1.eace54p-1f, 0x1.ee89fap-1f, 0x1.f5818ep-1f
#define EFFAD_SWISH_C2 0x1.000874p-1f   /* minimax on |r| <= ln2/16 */
#define EFFAD_SWISH_C3 0x1.555656p-3f
/* n (1..4, a constant) independent swishes in lockstep: step by step
 * across the vectors, so that the core sees n dependency chains side by
 * side instead of one ~40-cycle chain after another. */
AVX2_INLINE void avx2_swish_n(__m256 *x, const int n)
{
    const __m256 magic = _mm256_set1_ps(0x1.8p23f);
    const __m256 tab = _mm256_setr_ps(EFFAD_SWISH_T8);
    __m256 xn[4], ec[4], v[4], s[4], q[4], t[4];
    AVX2_SWISH_STEP xn[j] = _mm256_max_ps(x[j], _mm256_set1_ps(-88.0f));
    AVX2_SWISH_STEP ec[j] = _mm256_min_ps(xn[j], _mm256_set1_ps(87.0f));
    AVX2_SWISH_STEP v[j] = _mm256_fmadd_ps(ec[j], _mm256_set1_ps(-0x1.715476p+3f), magic);   /* n */
    AVX2_SWISH_STEP s[j] = _mm256_fmadd_ps(_mm256_sub_ps(v[j], magic), _mm256_set1_ps(0x1.62e430p-4f), ec[j]);
    AVX2_SWISH_STEP {
        const __m256i vi = _mm256_castps_si256(v[j]);
        t[j] = _mm256_castsi256_ps(_mm256_add_epi32(_mm256_castps_si256(_mm256_permutevar8x32_ps(tab, vi)),
                                                    _mm256_slli_epi32(vi, 20)));
    }
    AVX2_SWISH_STEP q[j] = _mm256_fmadd_ps(_mm256_set1_ps(-EFFAD_SWISH_C3), s[j], _mm256_set1_ps(EFFAD_SWISH_C2));
    AVX2_SWISH_STEP q[j] = _mm256_fmsub_ps(q[j], s[j], _mm256_set1_ps(1.0f));
    AVX2_SWISH_STEP t[j] = _mm256_fmadd_ps(_mm256_mul_ps(t[j], s[j]), q[j], t[j]);            /* e^-x */
    AVX2_SWISH_STEP x[j] = _mm256_div_ps(xn[j], _mm256_add_ps(t[j], _mm256_set1_ps(1.0f)));
}
#undef AVX2_SWISH_STEP

AVX2_INLINE __m256 avx2_swish_ps(__m256 x)
{
    avx2_swish_n(&x, 1);
    return x;
}

/* n swishes (a constant) as locksteps of two. A lockstep of four keeps six
 * temporaries per vector alive, 24 in all, past AVX2's 16 ymm registers,
 * and spills; two fit. Zen 3, L1-resident, eight vectors a step: 9.0
 * cycles per vector as fours, 7.4 as pairs; the depthwise kernel with
 * swish and channel sums alone on B4's nine shapes (hot maps, best of 40,
 * alternating builds): 0.80-0.93x the time; a B4 pass ~1.5 % faster
 * (B0 within noise). Same operations per lane, so the same bits.
 * AVX-512, with 32 registers, keeps fours. */
AVX2_INLINE void avx2_swish_pairs(__m256 *x, const int n)
{
    for (int j = 0; j < n; j += 2) avx2_swish_n(x + j, n - j < 2 ? n - j : 2);
}

/* The activation epilogue. The switch is on a value that is constant for a
 * whole kernel call, so it predicts perfectly; callers apply it to a tile's
 * worth of registers at a time. */
AVX2_INLINE __m256 avx2_act_ps(__m256 x, ops_act act)
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

/* Lane mask selecting the first n (0..8) of 8 floats, for maskload/maskstore
 * on channel and column tails. */
static inline __m256i avx2_tail_mask(size_t n)
{
    const __m256i idx = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)n), idx);
}

#endif /* EFFAD_AVX2_MATH_H */
