/*
 * avx512-math.h -- exp, sigmoid, swish and the activation epilogue on zmm
 * registers, for the kernels built with the AVX-512 flags (names ending in
 * -avx512.c or -avx512vnni.c).
 *
 * Each function is the AVX2 one of avx2-math.h (the derivation, the
 * coefficients and the error figures are there) performed lane by lane
 * with the same IEEE operations in the same order: same constants, same
 * FMAs, the division as a division, blends by the same sign bits. So an
 * AVX-512 kernel's activation gives the AVX2 kernel's bits, and switching
 * ISA moves no golden error. Tails are opmasks (avx512_tail_mask) instead
 * of maskload/maskstore vectors.
 */
#ifndef EFFAD_AVX512_MATH_H
#define EFFAD_AVX512_MATH_H

#include <immintrin.h>
#include <stddef.h>
#include "ops.h"
#include "avx2-math.h"   /* the swish table and coefficients */

#define AVX512_INLINE static inline __attribute__((always_inline))

AVX512_INLINE __m512 avx512_exp_poly_p(__m512 r)
{
    __m512 p = _mm512_set1_ps(0x1.0fa81ap-7f);
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(0x1.573a50p-5f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(0x1.555a6ap-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(0x1.fffdc6p-2f));
    return _mm512_fmadd_ps(p, r, _mm512_set1_ps(0x1.fffff6p-1f));
}

/* Lanes whose sign bit is set (x < 0, -0, negative NaN): what blendv
 * selects by in the AVX2 forms. */
AVX512_INLINE __mmask16 avx512_sign_mask(__m512 x)
{
    return _mm512_movepi32_mask(_mm512_castps_si512(x));
}

/* e^t for t <= 0; 0 where e^t < FLT_MIN (avx2_exp_neg_ps). */
AVX512_INLINE __m512 avx512_exp_neg_ps(__m512 t)
{
    const __m512 magic = _mm512_set1_ps(0x1.8000fep23f);
    const __m512 v = _mm512_fmadd_ps(t, _mm512_set1_ps(1.44269504088896341f), magic);
    const __m512 s = _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_castps_si512(v), 23));
    const __m512 n = _mm512_sub_ps(v, magic);
    __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0x1.62e430p-1f), t);
    r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-1.904654299957768e-09f), r);
    const __m512 e = _mm512_fmadd_ps(_mm512_mul_ps(r, s), avx512_exp_poly_p(r), s);
    const __mmask16 tiny = _mm512_cmp_ps_mask(t, _mm512_set1_ps(-87.33654f), _CMP_LT_OQ);
    return _mm512_mask_mov_ps(e, tiny, _mm512_setzero_ps());
}

/* sigmoid(x) (avx2_sigmoid_ps). rcp14 is not AVX2's rcp (12 bits, other
 * bits), so the quotient is taken the AVX2 way: _mm512_rcp14_ps would
 * change the result; the 256-bit rcp is applied to each half instead. */
AVX512_INLINE __m512 avx512_sigmoid_ps(__m512 x)
{
    const __m512 one = _mm512_set1_ps(1.0f);
    const __m512 negabs = _mm512_castsi512_ps(_mm512_or_si512(_mm512_castps_si512(x),
                                                              _mm512_set1_epi32((int)0x80000000u)));
    const __m512 z = avx512_exp_neg_ps(negabs);
    const __m512 d = _mm512_add_ps(z, one);
    const __m256 r0 = _mm256_rcp_ps(_mm512_castps512_ps256(d));
    const __m256 r1 = _mm256_rcp_ps(_mm512_extractf32x8_ps(d, 1));
    __m512 rc = _mm512_insertf32x8(_mm512_castps256_ps512(r0), r1, 1);
    rc = _mm512_fmadd_ps(_mm512_fnmadd_ps(d, rc, one), rc, rc);
    const __m512 f = _mm512_mul_ps(z, rc);
    return _mm512_mask_blend_ps(avx512_sign_mask(x), _mm512_sub_ps(one, f), f);
}

#define AVX512_SWISH_STEP _Pragma("GCC unroll 4") for (int j = 0; j < n; j++)
/* n (1..4, a constant) independent swishes in lockstep (avx2_swish_n). The
 * table is T twice: vpermps on zmm indexes by the low four bits, n & 15,
 * where AVX2's takes n & 7 -- the same entry.
 * The division stays a division. Measured and not kept (2026-12-06, Zen 5,
 * four swishes in lockstep over 16 KiB in L1, one thread pinned, minima of
 * 200 runs): rcp14 plus one Newton step instead (2.0e-7 relative error
 * over [-20, 20], as the division) 1.66 ns a vector against 1.37; the
 * division replaced by a multiply (wrong, but the bound of any cheaper
 * quotient) 1.33 -- the swish waits on the FP pipes' 13 other operations,
 * not on the divider. */
AVX512_INLINE void avx512_swish_n(__m512 *x, const int n)
{
    const __m512 magic = _mm512_set1_ps(0x1.8p23f);
    static const float tab16[16] __attribute__((aligned(64))) = { EFFAD_SWISH_T8, EFFAD_SWISH_T8 };
    const __m512 tab = _mm512_load_ps(tab16);
    __m512 xn[4], ec[4], v[4], s[4], q[4], t[4];
    AVX512_SWISH_STEP xn[j] = _mm512_max_ps(x[j], _mm512_set1_ps(-88.0f));
    AVX512_SWISH_STEP ec[j] = _mm512_min_ps(xn[j], _mm512_set1_ps(87.0f));
    AVX512_SWISH_STEP v[j] = _mm512_fmadd_ps(ec[j], _mm512_set1_ps(-0x1.715476p+3f), magic);
    AVX512_SWISH_STEP s[j] = _mm512_fmadd_ps(_mm512_sub_ps(v[j], magic), _mm512_set1_ps(0x1.62e430p-4f), ec[j]);
    AVX512_SWISH_STEP {
        const __m512i vi = _mm512_castps_si512(v[j]);
        t[j] = _mm512_castsi512_ps(_mm512_add_epi32(_mm512_castps_si512(_mm512_permutexvar_ps(vi, tab)),
                                                    _mm512_slli_epi32(vi, 20)));
    }
    AVX512_SWISH_STEP q[j] = _mm512_fmadd_ps(_mm512_set1_ps(-EFFAD_SWISH_C3), s[j], _mm512_set1_ps(EFFAD_SWISH_C2));
    AVX512_SWISH_STEP q[j] = _mm512_fmsub_ps(q[j], s[j], _mm512_set1_ps(1.0f));
    AVX512_SWISH_STEP t[j] = _mm512_fmadd_ps(_mm512_mul_ps(t[j], s[j]), q[j], t[j]);
    AVX512_SWISH_STEP x[j] = _mm512_div_ps(xn[j], _mm512_add_ps(t[j], _mm512_set1_ps(1.0f)));
}
#undef AVX512_SWISH_STEP

AVX512_INLINE __m512 avx512_swish_ps(__m512 x)
{
    avx512_swish_n(&x, 1);
    return x;
}

/* The activation epilogue (avx2_act_ps). */
AVX512_INLINE __m512 avx512_act_ps(__m512 x, ops_act act)
{
    switch (act.kind) {
    case OPS_ACT_NONE: return x;
    case OPS_ACT_RELU: return _mm512_max_ps(x, _mm512_setzero_ps());
    case OPS_ACT_CLIP:
        return _mm512_min_ps(_mm512_max_ps(x, _mm512_set1_ps(act.a)), _mm512_set1_ps(act.b));
    case OPS_ACT_SIGMOID: return avx512_sigmoid_ps(x);
    case OPS_ACT_SWISH: return avx512_swish_ps(x);
    case OPS_ACT_HARDSIGMOID: {
        __m512 y = _mm512_fmadd_ps(x, _mm512_set1_ps(act.a), _mm512_set1_ps(act.b));
        return _mm512_min_ps(_mm512_max_ps(y, _mm512_setzero_ps()), _mm512_set1_ps(1.0f));
    }
    case OPS_ACT_HARDSWISH: {
        __m512 y = _mm512_fmadd_ps(x, _mm512_set1_ps(1.0f / 6.0f), _mm512_set1_ps(0.5f));
        y = _mm512_min_ps(_mm512_max_ps(y, _mm512_setzero_ps()), _mm512_set1_ps(1.0f));
        return _mm512_mul_ps(x, y);
    }
    }
    return x;
}

/* Opmask selecting the first n (0..16) of 16 lanes. */
AVX512_INLINE __mmask16 avx512_tail_mask(size_t n)
{
    return (__mmask16)(n >= 16 ? 0xffffu : (1u << n) - 1u);
}

#endif /* EFFAD_AVX512_MATH_H */
