/*
 * q16-avx2.h -- the 16x8 epilogue (ops/q16.h) eight lanes at a time, on
 * top of the int8 one (q8-avx2.h): the float steps are the same ops_q8_*
 * operations, only the quantiser's range and the storage type differ.
 * Include only from files built with -mavx2 -mfma.
 *
 * The quantiser. ops_q16_quantize1 clamps to [-32768, 32767] in float and
 * rounds half to even. Here only the upper clamp is done in float, as
 * min(v, 32767) with v the FIRST operand: minps returns its second operand
 * when either is NaN, so a NaN becomes 32767 exactly as in the reference
 * (whose "v <= 32767 ? v : 32767" is false for NaN). The lower clamp is
 * left to vpackssdw: a v at or below -32768 rounds to an int32 <= -32768
 * (cvtps rounds monotonically; a v below -2^31, -inf included, converts to
 * INT32_MIN), and the pack saturates every such value to -32768, which is
 * what the reference's clamp-then-round gives. Between the bounds both
 * are the rounded value.
 */
#ifndef EFFAD_Q16_AVX2_H
#define EFFAD_Q16_AVX2_H

#include <immintrin.h>
#include "q16.h"
#include "q8-avx2.h"

/* q8_avx2_round with the int16 ceiling (the zero point is always 0). */
Q8_INLINE q8_avx2_out q16_avx2_out_of(float inv_scale)
{
    q8_avx2_out q = { _mm256_set1_ps(inv_scale), _mm256_set1_ps(32767.0f), _mm256_setzero_si256(), 1 };
    return q;
}

/* ... bounded when o says so (ops_q8_out.bounded): |v| < 2^30 converts
 * exactly, and vpackssdw saturates from above as it does from below. */
Q8_INLINE q8_avx2_out q16_avx2_out_for(const ops_q8_out *o)
{
    q8_avx2_out q = q16_avx2_out_of(o->inv_scale);
    q.clamp = !o->bounded;
    return q;
}

/* 8 int16 at p as float lanes (exact). */
Q8_INLINE __m256 q16_avx2_load8f(const int16_t *p)
{
    return _mm256_cvtepi32_ps(_mm256_cvtepi16_epi32(_mm_loadu_si128((const __m128i *)(const void *)p)));
}

/* t plus the residual of 8 int16 at p: fmaf((float)r, scale, t). */
Q8_INLINE __m256 q16_avx2_add_res8(__m256 t, const int16_t *p, __m256 scale)
{
    return _mm256_fmadd_ps(q16_avx2_load8f(p), scale, t);
}

/* Two vectors of rounded lanes (a: elements 0-7, b: 8-15) -> 16 int16 in
 * order (packssdw interleaves the 128-bit halves; the permute undoes it). */
Q8_INLINE __m256i q16_avx2_pack16(__m256i a, __m256i b)
{
    return _mm256_permute4x64_epi64(_mm256_packs_epi32(a, b), 0xD8);
}

/* 8 rounded lanes -> 8 int16 at p. */
Q8_INLINE void q16_avx2_store8(int16_t *p, __m256i r)
{
    _mm_storeu_si128((__m128i *)(void *)p,
                     _mm_packs_epi32(_mm256_castsi256_si128(r), _mm256_extracti128_si256(r, 1)));
}

#endif /* EFFAD_Q16_AVX2_H */
