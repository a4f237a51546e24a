/*
 * q16-avx512.h -- the 16x8 epilogue (ops/q16.h) sixteen lanes at a time,
 * for the AVX-512 16x8 kernels (files built with the AVX-512 flags).
 * The float steps are q8-avx512.h's (one IEEE operation per scalar step,
 * the activation q8_avx512_act); only the quantiser differs: int16 range,
 * zero point 0, and both clamps in float.
 *
 * The clamps and NaN. ops_q16_quantize1 does v < lo ? lo : v, then
 * v <= hi ? v : hi. vmaxps returns its second operand when the compare
 * fails (either one NaN), vminps likewise, so max(lo, v) is the first step
 * (NaN stays NaN) and min(v, hi) the second (NaN becomes hi = 32767, the
 * reference's answer); equal values are equal either way. After the clamp
 * vcvtps2dq rounds half to even (MXCSR's default, as nearbyintf in the
 * reference's default rounding mode) a value already in int16 range, so
 * any narrowing that follows (vpmovdw, vpackssdw) keeps it unchanged.
 */
#ifndef EFFAD_Q16_AVX512_H
#define EFFAD_Q16_AVX512_H

#include <immintrin.h>
#include "q8-avx512.h"
#include "q16.h"

#define Q16_AVX512_INLINE static inline __attribute__((always_inline))

typedef struct q16_avx512_out {
    __m512 inv, lo, hi;
} q16_avx512_out;

Q16_AVX512_INLINE q16_avx512_out q16_avx512_out_of(float inv_scale)
{
    q16_avx512_out q = { _mm512_set1_ps(inv_scale), _mm512_set1_ps(-32768.0f), _mm512_set1_ps(32767.0f) };
    return q;
}

/* ops_q16_quantize1 without the multiply (v is t * inv_scale already):
 * 16 int32 in int16 range (see the top for the operand order). */
Q16_AVX512_INLINE __m512i q16_avx512_round(__m512 v, const q16_avx512_out *q)
{
    return _mm512_cvtps_epi32(_mm512_min_ps(_mm512_max_ps(q->lo, v), q->hi));
}

/* ops_q16_quantize1 on 16 lanes, as int32. */
Q16_AVX512_INLINE __m512i q16_avx512_quantize(__m512 t, const q16_avx512_out *q)
{
    return q16_avx512_round(_mm512_mul_ps(t, q->inv), q);
}

/* t + the int16 residual of the lanes of mask at p: fmaf((float)r, scale, t). */
Q16_AVX512_INLINE __m512 q16_avx512_add_res(__m512 t, const int16_t *p, __mmask16 mask, __m512 scale)
{
    const __m512i r = _mm512_cvtepi16_epi32(_mm256_maskz_loadu_epi16(mask, p));
    return _mm512_fmadd_ps(_mm512_cvtepi32_ps(r), scale, t);
}

#endif /* EFFAD_Q16_AVX512_H */
