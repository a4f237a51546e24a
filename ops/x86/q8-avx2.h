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
 *
 * Where the lanes take a shorter road to the same bits (each argued where
 * it is done): the clamps are max/min instead of comparisons, and the
 * quantiser clamps only from above in float and lets the saturating packs
 * clamp from below -- and in a bounded layer (ops_q8_out.bounded) from
 * above as well.
 */
#ifndef EFFAD_Q8_AVX2_H
#define EFFAD_Q8_AVX2_H

#include <immintrin.h>
#include "q8.h"

#define Q8_INLINE static inline __attribute__((always_inline))

/* 1 + e^-x: ops_q8_exp8(-x) (u8, a constant: a layer with uint8 outputs)
 * or ops_q8_exp(-x), with the negation folded into the operations that
 * read -x (q8-avx512.h's form), giving the same values: clamping -x
 * into [-80, 30] is clamping x into [-30, 80] -- min first, so that a NaN
 * becomes 80 (minps returns its second operand), i.e. -x becomes -80, as
 * max(-x, -80) made it --; fma(-x, c, m) is fnmadd(x, c, m) and
 * fma(-n, c, -x) is fnmsub(n, c, x) (negation is exact and
 * round-to-nearest symmetric). One xor fewer per vector of the swish.
 * vpermps reads the table entry from the low three bits of v's lanes,
 * n mod 8. */
Q8_INLINE __m256 q8_avx2_one_plus_exp_neg(__m256 x, const int u8)
{
    const __m256 magic = _mm256_set1_ps(0x1.8p23f);
    const __m256 tab = u8 ? _mm256_castsi256_ps(_mm256_setr_epi32(OPS_Q8_EXP8_TABLE))
                          : _mm256_castsi256_ps(_mm256_setr_epi32(OPS_Q8_EXP_TABLE));
    x = _mm256_max_ps(_mm256_min_ps(x, _mm256_set1_ps(80.0f)), _mm256_set1_ps(-30.0f));
    const __m256 v = _mm256_fnmadd_ps(x, _mm256_set1_ps(0x1.715476p+3f), magic);
    const __m256 n = _mm256_sub_ps(v, magic);
    const __m256 r = _mm256_fnmsub_ps(n, _mm256_set1_ps(0x1.62e430p-4f), x);
    const __m256i vi = _mm256_castps_si256(v);
    const __m256 t = _mm256_castsi256_ps(
        _mm256_add_epi32(_mm256_castps_si256(_mm256_permutevar8x32_ps(tab, vi)), _mm256_slli_epi32(vi, 20)));
    if (u8) return _mm256_add_ps(_mm256_set1_ps(1.0f), _mm256_fmadd_ps(t, r, t));
    const __m256 q = _mm256_fmadd_ps(_mm256_set1_ps(OPS_Q8_EXP_A2), r, _mm256_set1_ps(OPS_Q8_EXP_A1));
    return _mm256_add_ps(_mm256_set1_ps(1.0f), _mm256_fmadd_ps(_mm256_mul_ps(t, r), q, t));
}

Q8_INLINE __m256 q8_avx2_swish(__m256 x, const int u8)
{
    return _mm256_div_ps(x, q8_avx2_one_plus_exp_neg(x, u8));
}

Q8_INLINE __m256 q8_avx2_act(__m256 x, ops_act act, const int u8)
{
    switch (act.kind) {
    case OPS_ACT_NONE: return x;
    case OPS_ACT_RELU: return _mm256_max_ps(x, _mm256_setzero_ps());
    case OPS_ACT_CLIP: return _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(act.a)), _mm256_set1_ps(act.b));
    case OPS_ACT_SIGMOID: return _mm256_div_ps(_mm256_set1_ps(1.0f), q8_avx2_one_plus_exp_neg(x, u8));
    case OPS_ACT_SWISH: return q8_avx2_swish(x, u8);
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

/* The first pass of a quantised depthwise tile's epilogue, int8 and 16x8
 * alike: the int32 sums of its N outputs, halves lo[j] and hi[j] in unpack
 * order, to activated floats with the factors f (mult lo, hi, bias lo,
 * hi). The roundings come after, as a second pass: a swish is a ~40-cycle
 * chain, and finished output by output each pack waited on its swishes
 * and the core overlapped few of them (B0 int8 on these kernels 7.03 ->
 * 6.8 ms with the GEMM's, q8-gemm-6x16.h). */
Q8_INLINE void q8_avx2_dw_acts(const __m256i *lo, const __m256i *hi, const int N, const __m256i *f, const int swish,
                               ops_act act, const int u8, __m256 *xl, __m256 *xh)
{
    const __m256 ml = _mm256_castsi256_ps(f[0]), mh = _mm256_castsi256_ps(f[1]);
    const __m256 bl = _mm256_castsi256_ps(f[2]), bh = _mm256_castsi256_ps(f[3]);
#pragma GCC unroll 8
    for (int j = 0; j < N; j++) {
        const __m256 x = _mm256_fmadd_ps(_mm256_cvtepi32_ps(lo[j]), ml, bl);
        const __m256 y = _mm256_fmadd_ps(_mm256_cvtepi32_ps(hi[j]), mh, bh);
        xl[j] = swish ? q8_avx2_swish(x, u8) : q8_avx2_act(x, act, u8);
        xh[j] = swish ? q8_avx2_swish(y, u8) : q8_avx2_act(y, act, u8);
    }
}

/* ------------------------------------------------------------ quantise *
 * ops_q8_quantize1 is clamp(round(t * inv), -zero, 255 - zero) + zero.
 * Here: v = min(t * inv, 255 - zero), rounded to int32 (cvtps rounds half
 * to even under the default MXCSR, like nearbyintf), packed to int16 with
 * signed saturation, zero added in int16, packed to uint8 with unsigned
 * saturation. Equal for every finite t: above, the float min is the
 * reference's upper clamp; below -zero the reference gives 0, and here
 * round(v) <= -zero (rounding is monotone; a v too large for int32
 * converts to INT32_MIN), so round(v) + zero <= 0 -- at worst -32768 +
 * 255 after the first pack, no wrap -- and the second pack saturates it to
 * 0. In between both are round(v) + zero. Two vectors of rounded lanes
 * pack to one int16 vector, two of those to 32 bytes.
 * A bounded layer (ops_q8_out.bounded: |v| < 2^30 for every output) skips
 * the float min as well: v converts exactly, the first pack saturates it
 * to at most 32767, the zero is added with signed saturation (at most
 * 32767 again, at least 255 when v was above 255 - zero) and the second
 * pack makes that 255, which is what the reference's clamp gives. (The
 * saturating add costs what the plain one did; below, as before, nothing
 * can wrap.) The choice is a branch on a flag that is the same for a
 * whole layer, decided by the caller's bound. */
typedef struct q8_avx2_out {
    __m256 inv, hi;
    __m256i zero16;
    int clamp;              /* 0: the layer is bounded, no float min */
} q8_avx2_out;

Q8_INLINE q8_avx2_out q8_avx2_out_of(float inv_scale, int32_t zero)
{
    q8_avx2_out q = { _mm256_set1_ps(inv_scale), _mm256_set1_ps((float)(255 - zero)),
                      _mm256_set1_epi16((short)zero), 1 };
    return q;
}

/* The quantiser of an epilogue, bounded when o says so. */
Q8_INLINE q8_avx2_out q8_avx2_out_for(const ops_q8_out *o)
{
    q8_avx2_out q = q8_avx2_out_of(o->inv_scale, o->zero);
    q.clamp = !o->bounded;
    return q;
}

/* round(min(t * inv, 255 - zero)): int32, zero not yet added. */
Q8_INLINE __m256i q8_avx2_round(__m256 t, const q8_avx2_out *q)
{
    const __m256 v = _mm256_mul_ps(t, q->inv);
    return _mm256_cvtps_epi32(q->clamp ? _mm256_min_ps(v, q->hi) : v);
}

/* Lanes 0-7 of a and b -> int16 + zero, in the order a0-3 b0-3 | a4-7 b4-7
 * (packs works within 128-bit halves; q8_avx2_bytes puts them back). */
Q8_INLINE __m256i q8_avx2_half(__m256i a, __m256i b, const q8_avx2_out *q)
{
    return _mm256_adds_epi16(_mm256_packs_epi32(a, b), q->zero16);
}

/* Two results of q8_avx2_half (x = lanes a, b; y = lanes c, d) -> 32
 * uint8: bytes 0-15 are a0-7 b0-7, bytes 16-31 c0-7 d0-7. */
Q8_INLINE __m256i q8_avx2_bytes(__m256i x, __m256i y)
{
    const __m256i order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
    return _mm256_permutevar8x32_epi32(_mm256_packus_epi16(x, y), order);
}

/* 8 lanes of rounded values -> 8 uint8 at p. */
Q8_INLINE void q8_avx2_store8(uint8_t *p, __m256i r, const q8_avx2_out *q)
{
    const __m256i h = q8_avx2_half(r, r, q);   /* r0-3 r0-3 | r4-7 r4-7 */
    const __m128i b = _mm_packus_epi16(_mm256_castsi256_si128(h), _mm256_extracti128_si256(h, 1));
    _mm_storel_epi64((__m128i *)(void *)p, _mm_shuffle_epi32(b, _MM_SHUFFLE(3, 1, 2, 0)));   /* dwords 0, 2 */
}

/* t plus the residual of 8 uint8 at p: fmaf((float)(r - zero), scale, t). */
Q8_INLINE __m256 q8_avx2_add_res8(__m256 t, const uint8_t *p, __m256i zero, __m256 scale)
{
    const __m256i r = _mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)(const void *)p));
    return _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_sub_epi32(r, zero)), scale, t);
}

/* 8 uint8 at p as int32 lanes. */
Q8_INLINE __m256i q8_avx2_load8u(const uint8_t *p)
{
    return _mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)(const void *)p));
}

/* One row of c uint8 requantised per channel, q8_scale_channels' arithmetic:
 * y = quantize1((float)(x - in_zero) * mult, 1, out_zero), 32 channels a
 * step (x * 1 is x exactly, so q's inv_scale is 1). y may be x. */
Q8_INLINE void q8_avx2_rescale_row(const uint8_t *x, size_t c, int32_t in_zero, const float *mult, int32_t out_zero,
                                   const q8_avx2_out *q, uint8_t *y)
{
    const __m256i zi = _mm256_set1_epi32(in_zero);
    size_t ch = 0;
    for (; ch + 32 <= c; ch += 32) {
        __m256i r[4];
#pragma GCC unroll 4
        for (int j = 0; j < 4; j++) {
            const __m256 t = _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_sub_epi32(q8_avx2_load8u(x + ch + 8 * j), zi)),
                                           _mm256_loadu_ps(mult + ch + 8 * j));
            r[j] = q8_avx2_round(t, q);
        }
        _mm256_storeu_si256((__m256i *)(void *)(y + ch), q8_avx2_bytes(q8_avx2_half(r[0], r[1], q), q8_avx2_half(r[2], r[3], q)));
    }
    for (; ch + 8 <= c; ch += 8) {
        const __m256 t = _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_sub_epi32(q8_avx2_load8u(x + ch), zi)), _mm256_loadu_ps(mult + ch));
        q8_avx2_store8(y + ch, q8_avx2_round(t, q), q);
    }
    for (; ch < c; ch++) y[ch] = ops_q8_quantize1((float)((int32_t)x[ch] - in_zero) * mult[ch], 1.0f, out_zero);
}

#endif /* EFFAD_Q8_AVX2_H */
