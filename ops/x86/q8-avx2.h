/*
 * q8-avx2.h -- the int8 epilogue (ops/q8.h) eight lanes at a time, step
 * for step the scalar reference's operations, so that every AVX2 int8
 * kernel gives its bits. Include only from files built with -mavx2 -mfma.
 *
 * What keeps the bits equal: each scalar step is one IEEE operation, and
 * here it is the same operation on a lane (cvtepi32_ps rounds like the
 * C conversion, mul/add/div are correctly rounded, _mm256_fmadd_ps is
 * fmaf); the build uses -std=c11, so the compiler contracts no mul + add
 * into an FMA that the scalar code does not have (-ffp-contract=off).
 */
#ifndef EFFAD_Q8_AVX2_H
#define EFFAD_Q8_AVX2_H

#include <immintrin.h>
#include "q8.h"

#define Q8_INLINE static inline __attribute__((always_inline))

/* sigmoid(-|x|): ops_q8_sigmoid_neg, lane by lane. */
Q8_INLINE __m256 q8_avx2_sigmoid_neg(__m256 x)
{
    const __m256 magic = _mm256_set1_ps(0x1.8000fep23f);
    __m256 t = _mm256_or_ps(x, _mm256_set1_ps(-0.0f));             /* -|x| */
    t = _mm256_max_ps(t, _mm256_set1_ps(-30.0f));
    const __m256 v = _mm256_fmadd_ps(t, _mm256_set1_ps(1.44269504088896341f), magic);
    const __m256 s = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_castps_si256(v), 23));
    const __m256 n = _mm256_sub_ps(v, magic);
    const __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0x1.62e430p-1f), t);
    __m256 p = _mm256_fmadd_ps(r, _mm256_set1_ps(0x1.470c38p-5f), _mm256_set1_ps(0x1.575012p-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(0x1.001cbep-1f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
    const __m256 e = _mm256_fmadd_ps(_mm256_mul_ps(r, s), p, s);
    return _mm256_div_ps(e, _mm256_add_ps(e, _mm256_set1_ps(1.0f)));
}

/* x < 0 ? f : 1 - f, by the same comparison as the scalar code. */
Q8_INLINE __m256 q8_avx2_sigmoid_pick(__m256 x, __m256 f)
{
    const __m256 neg = _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_LT_OQ);
    return _mm256_blendv_ps(_mm256_sub_ps(_mm256_set1_ps(1.0f), f), f, neg);
}

Q8_INLINE __m256 q8_avx2_act(__m256 x, ops_act act)
{
    switch (act.kind) {
    case OPS_ACT_NONE: return x;
    case OPS_ACT_RELU: return _mm256_max_ps(x, _mm256_setzero_ps());
    case OPS_ACT_CLIP: return _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(act.a)), _mm256_set1_ps(act.b));
    case OPS_ACT_SIGMOID: return q8_avx2_sigmoid_pick(x, q8_avx2_sigmoid_neg(x));
    case OPS_ACT_SWISH: return _mm256_mul_ps(x, q8_avx2_sigmoid_pick(x, q8_avx2_sigmoid_neg(x)));
    case OPS_ACT_HARDSIGMOID: {
        const __m256 y = _mm256_fmadd_ps(x, _mm256_set1_ps(act.a), _mm256_set1_ps(act.b));
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

/* ops_q8_quantize1 on eight lanes: int32 results in 0..255. */
Q8_INLINE __m256i q8_avx2_quantize(__m256 t, __m256 inv, __m256 lo, __m256 hi, __m256i zero)
{
    __m256 v = _mm256_mul_ps(t, inv);
    v = _mm256_min_ps(_mm256_max_ps(v, lo), hi);
    return _mm256_add_epi32(_mm256_cvtps_epi32(v), zero);   /* cvtps rounds half to even (MXCSR default) */
}

/* The epilogue's constants, once per call. */
typedef struct q8_avx2_out {
    __m256 inv, lo, hi;
    __m256i zero;
} q8_avx2_out;

Q8_INLINE q8_avx2_out q8_avx2_out_of(const ops_q8_out *o)
{
    q8_avx2_out q = { _mm256_set1_ps(o->inv_scale), _mm256_set1_ps((float)-o->zero),
                      _mm256_set1_ps((float)(255 - o->zero)), _mm256_set1_epi32(o->zero) };
    return q;
}

/* ops_q8_finish on eight lanes: acc -> int32 in 0..255. mult and bias are
 * the lanes' column factors (bias zero when the layer has none: adding +0
 * leaves every value but -0 unchanged, and -0 quantises like +0); res the
 * residual term or zero. */
Q8_INLINE __m256i q8_avx2_finish(__m256i acc, __m256 mult, __m256 bias, int has_bias, ops_act act, __m256 res,
                                 int has_res, const q8_avx2_out *q)
{
    __m256 t = _mm256_mul_ps(_mm256_cvtepi32_ps(acc), mult);
    if (has_bias) t = _mm256_add_ps(t, bias);
    t = q8_avx2_act(t, act);
    if (has_res) t = _mm256_add_ps(t, res);
    return q8_avx2_quantize(t, q->inv, q->lo, q->hi, q->zero);
}

/* Sixteen int32 lanes (0..255) of two vectors to 16 bytes, in order. */
Q8_INLINE __m128i q8_avx2_pack16(__m256i lo8, __m256i hi8)
{
    const __m256i w = _mm256_permute4x64_epi64(_mm256_packs_epi32(lo8, hi8), 0xD8);
    return _mm_packus_epi16(_mm256_castsi256_si128(w), _mm256_extracti128_si256(w, 1));
}

/* The residual term (float)(r - zero) * scale of 8 uint8 at p. */
Q8_INLINE __m256 q8_avx2_res8(const uint8_t *p, __m256i zero, __m256 scale)
{
    const __m256i r = _mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)(const void *)p));
    return _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_sub_epi32(r, zero)), scale);
}

#endif /* EFFAD_Q8_AVX2_H */
