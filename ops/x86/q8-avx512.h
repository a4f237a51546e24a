/*
 * q8-avx512.h -- the int8 epilogue (ops/q8.h) sixteen lanes at a time:
 * q8-avx2.h's operations on zmm, so that an AVX-512 int8 kernel gives the
 * scalar reference's bits (the argument for each step is in q8-avx2.h:
 * one IEEE operation per scalar step, max/min for the clamps, no
 * contraction under -std=c11). Include only from files built with the
 * AVX-512 flags (-avx512.c, -avx512vnni.c).
 *
 * What differs from q8-avx2.h is only the way back to bytes: AVX-512 has
 * vpmovdb (int32 -> int8, truncating), so a vector of 16 rounded lanes
 * becomes 16 bytes without the two saturating packs. The clamp those packs
 * made from below is a max with 0 after adding the zero point (round(v) +
 * zero <= 0 whenever the reference gives 0, as argued in q8-avx2.h, and an
 * out-of-range v converts to INT32_MIN, which + zero stays negative); from
 * above the float min already keeps round(v) + zero <= 255, so truncation
 * drops nothing.
 */
#ifndef EFFAD_Q8_AVX512_H
#define EFFAD_Q8_AVX512_H

#include <immintrin.h>
#include "q8.h"

#define Q8_AVX512_INLINE static inline __attribute__((always_inline))

/* ops_q8_exp, lane by lane. */
Q8_AVX512_INLINE __m512 q8_avx512_exp(__m512 y)
{
    const __m512 magic = _mm512_set1_ps(0x1.8000fep23f);
    y = _mm512_min_ps(_mm512_max_ps(y, _mm512_set1_ps(-80.0f)), _mm512_set1_ps(30.0f));
    const __m512 v = _mm512_fmadd_ps(y, _mm512_set1_ps(1.44269504088896341f), magic);
    const __m512 s = _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_castps_si512(v), 23));
    const __m512 n = _mm512_sub_ps(v, magic);
    const __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0x1.62e430p-1f), y);
    __m512 p = _mm512_fmadd_ps(r, _mm512_set1_ps(0x1.470c38p-5f), _mm512_set1_ps(0x1.575012p-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(0x1.001cbep-1f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
    return _mm512_fmadd_ps(_mm512_mul_ps(r, s), p, s);
}

/* 1 + e^-x (the negation flips the sign bit, as -x does). */
Q8_AVX512_INLINE __m512 q8_avx512_one_plus_exp_neg(__m512 x)
{
    const __m512 neg = _mm512_castsi512_ps(_mm512_xor_si512(_mm512_castps_si512(x), _mm512_set1_epi32((int)0x80000000u)));
    return _mm512_add_ps(_mm512_set1_ps(1.0f), q8_avx512_exp(neg));
}

Q8_AVX512_INLINE __m512 q8_avx512_swish(__m512 x)
{
    return _mm512_div_ps(x, q8_avx512_one_plus_exp_neg(x));
}

Q8_AVX512_INLINE __m512 q8_avx512_act(__m512 x, ops_act act)
{
    switch (act.kind) {
    case OPS_ACT_NONE: return x;
    case OPS_ACT_RELU: return _mm512_max_ps(x, _mm512_setzero_ps());
    case OPS_ACT_CLIP: return _mm512_min_ps(_mm512_max_ps(x, _mm512_set1_ps(act.a)), _mm512_set1_ps(act.b));
    case OPS_ACT_SIGMOID: return _mm512_div_ps(_mm512_set1_ps(1.0f), q8_avx512_one_plus_exp_neg(x));
    case OPS_ACT_SWISH: return q8_avx512_swish(x);
    case OPS_ACT_HARDSIGMOID: {
        const __m512 y = _mm512_fmadd_ps(x, _mm512_set1_ps(act.a), _mm512_set1_ps(act.b));
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

/* ------------------------------------------------------------ quantise */

typedef struct q8_avx512_out {
    __m512 inv, hi;
    __m512i zero;
} q8_avx512_out;

Q8_AVX512_INLINE q8_avx512_out q8_avx512_out_of(float inv_scale, int32_t zero)
{
    q8_avx512_out q = { _mm512_set1_ps(inv_scale), _mm512_set1_ps((float)(255 - zero)), _mm512_set1_epi32(zero) };
    return q;
}

/* ops_q8_quantize1 on 16 lanes: 16 uint8 (see the top for the clamps). */
Q8_AVX512_INLINE __m128i q8_avx512_quantize(__m512 t, const q8_avx512_out *q)
{
    const __m512i r = _mm512_cvtps_epi32(_mm512_min_ps(_mm512_mul_ps(t, q->inv), q->hi));
    return _mm512_cvtepi32_epi8(_mm512_max_epi32(_mm512_add_epi32(r, q->zero), _mm512_setzero_si512()));
}

/* t plus the residual of the lanes of mask at p: fmaf((float)(r - zero), scale, t). */
Q8_AVX512_INLINE __m512 q8_avx512_add_res(__m512 t, const uint8_t *p, __mmask16 mask, __m512i zero, __m512 scale)
{
    const __m512i r = _mm512_cvtepu8_epi32(_mm_maskz_loadu_epi8(mask, p));
    return _mm512_fmadd_ps(_mm512_cvtepi32_ps(_mm512_sub_epi32(r, zero)), scale, t);
}

#endif /* EFFAD_Q8_AVX512_H */
