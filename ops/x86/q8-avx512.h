/*
 * q8-avx512.h -- the int8 epilogue (ops/q8.h) sixteen lanes at a time:
 * q8-avx2.h's operations on zmm, so that an AVX-512 int8 kernel gives the
 * scalar reference's bits (the argument for each step is in q8-avx2.h:
 * one IEEE operation per scalar step, max/min for the clamps, no
 * contraction under -std=c11). Include only from files built with the
 * AVX-512 flags (-avx512.c, -avx512vnni.c).
 *
 * Back to bytes, two ways. Two vectors (a row of 32 outputs) take
 * q8-avx2.h's saturating packs, whose argument holds lane for lane, and
 * one permute to undo the packs' 128-bit lanes. A lone vector takes
 * vpmovdb (int32 -> int8, truncating): the clamp the packs made from below
 * is then a max with 0 after adding the zero point (round(v) + zero <= 0
 * whenever the reference gives 0, as argued in q8-avx2.h, and an
 * out-of-range v converts to INT32_MIN, which + zero stays negative); from
 * above the float min already keeps round(v) + zero <= 255, so truncation
 * drops nothing.
 */
#ifndef EFFAD_Q8_AVX512_H
#define EFFAD_Q8_AVX512_H

#include <immintrin.h>
#include "avx512-math.h"
#include "q8.h"

#define Q8_AVX512_INLINE static inline __attribute__((always_inline))

/* 1 + e^-x: ops_q8_exp8(-x) (u8, a constant: a layer with uint8 outputs)
 * or ops_q8_exp(-x), with the negation folded into the operations that
 * read -x, giving the same values. Clamping -x into [-80, 30] is
 * clamping x into [-30, 80] (min first: a NaN becomes 80, i.e. -x becomes
 * -80, as q8-avx2.h's max makes it); fma(-x, c, m) is fnmadd(x, c, m);
 * fma(-n, c, -x) is fnmsub(n, c, x) (negation is exact and
 * round-to-nearest symmetric). One xor fewer per vector of the swish.
 * vpermps on zmm reads four index bits, so the table is there twice:
 * entry n mod 16 is entry n mod 8. */
Q8_AVX512_INLINE __m512 q8_avx512_one_plus_exp_neg(__m512 x, const int u8)
{
    const __m512 magic = _mm512_set1_ps(0x1.8p23f);
    const __m256i t8 = u8 ? _mm256_setr_epi32(OPS_Q8_EXP8_TABLE) : _mm256_setr_epi32(OPS_Q8_EXP_TABLE);
    const __m512 tab = _mm512_castsi512_ps(_mm512_inserti64x4(_mm512_castsi256_si512(t8), t8, 1));
    x = _mm512_max_ps(_mm512_min_ps(x, _mm512_set1_ps(80.0f)), _mm512_set1_ps(-30.0f));
    const __m512 v = _mm512_fnmadd_ps(x, _mm512_set1_ps(0x1.715476p+3f), magic);
    const __m512 n = _mm512_sub_ps(v, magic);
    const __m512 r = _mm512_fnmsub_ps(n, _mm512_set1_ps(0x1.62e430p-4f), x);
    const __m512i vi = _mm512_castps_si512(v);
    const __m512 t = _mm512_castsi512_ps(
        _mm512_add_epi32(_mm512_castps_si512(_mm512_permutexvar_ps(vi, tab)), _mm512_slli_epi32(vi, 20)));
    if (u8) return _mm512_add_ps(_mm512_set1_ps(1.0f), _mm512_fmadd_ps(t, r, t));
    const __m512 q = _mm512_fmadd_ps(_mm512_set1_ps(OPS_Q8_EXP_A2), r, _mm512_set1_ps(OPS_Q8_EXP_A1));
    return _mm512_add_ps(_mm512_set1_ps(1.0f), _mm512_fmadd_ps(_mm512_mul_ps(t, r), q, t));
}

Q8_AVX512_INLINE __m512 q8_avx512_swish(__m512 x, const int u8)
{
    return _mm512_div_ps(x, q8_avx512_one_plus_exp_neg(x, u8));
}

/* The kinds without an exponential: avx512-math.h's avx512_act_ps does
 * ops_q8_act's operations for them (fmaf in the hard ones, max/min for
 * the clamps; tests/unit/test-q8-kernels.c holds them value by value). */
Q8_AVX512_INLINE __m512 q8_avx512_act(__m512 x, ops_act act, const int u8)
{
    switch (act.kind) {
    case OPS_ACT_SIGMOID: return _mm512_div_ps(_mm512_set1_ps(1.0f), q8_avx512_one_plus_exp_neg(x, u8));
    case OPS_ACT_SWISH: return q8_avx512_swish(x, u8);
    default: return avx512_act_ps(x, act);
    }
}

/* q8_avx2_dw_acts on zmm: the first pass of a quantised depthwise tile's
 * epilogue (int8 and 16x8), the roundings after it. */
Q8_AVX512_INLINE void q8_avx512_dw_acts(const __m512i *lo, const __m512i *hi, const int N, const __m512i *f,
                                        const int swish, ops_act act, const int u8, __m512 *xl, __m512 *xh)
{
    const __m512 ml = _mm512_castsi512_ps(f[0]), mh = _mm512_castsi512_ps(f[1]);
    const __m512 bl = _mm512_castsi512_ps(f[2]), bh = _mm512_castsi512_ps(f[3]);
#pragma GCC unroll 8
    for (int j = 0; j < N; j++) {
        const __m512 x = _mm512_fmadd_ps(_mm512_cvtepi32_ps(lo[j]), ml, bl);
        const __m512 y = _mm512_fmadd_ps(_mm512_cvtepi32_ps(hi[j]), mh, bh);
        xl[j] = swish ? q8_avx512_swish(x, u8) : q8_avx512_act(x, act, u8);
        xh[j] = swish ? q8_avx512_swish(y, u8) : q8_avx512_act(y, act, u8);
    }
}

/* ------------------------------------------------------------ quantise */

typedef struct q8_avx512_out {
    __m512 inv, hi;
    __m512i zero, zero16;
} q8_avx512_out;

Q8_AVX512_INLINE q8_avx512_out q8_avx512_out_of(float inv_scale, int32_t zero)
{
    q8_avx512_out q = { _mm512_set1_ps(inv_scale), _mm512_set1_ps((float)(255 - zero)), _mm512_set1_epi32(zero),
                        _mm512_set1_epi16((short)zero) };
    return q;
}

/* ops_q8_quantize1 on 16 lanes: 16 uint8 (see the top for the clamps). */
Q8_AVX512_INLINE __m128i q8_avx512_quantize(__m512 t, const q8_avx512_out *q)
{
    const __m512i r = _mm512_cvtps_epi32(_mm512_min_ps(_mm512_mul_ps(t, q->inv), q->hi));
    return _mm512_cvtepi32_epi8(_mm512_max_epi32(_mm512_add_epi32(r, q->zero), _mm512_setzero_si512()));
}

/* ops_q8_quantize1 on the 32 lanes of t0 (columns 0-15) and t1 (16-31):
 * 32 uint8 in column order. The saturating packs of q8-avx2.h instead of
 * two vpmovdb: int32 -> int16 (signed saturation), + zero, -> uint8
 * (unsigned saturation, the clamp from below), then the dwords put back
 * in order (the packs work within 128-bit lanes). */
Q8_AVX512_INLINE __m256i q8_avx512_quantize2(__m512 t0, __m512 t1, const q8_avx512_out *q)
{
    const __m512i r0 = _mm512_cvtps_epi32(_mm512_min_ps(_mm512_mul_ps(t0, q->inv), q->hi));
    const __m512i r1 = _mm512_cvtps_epi32(_mm512_min_ps(_mm512_mul_ps(t1, q->inv), q->hi));
    const __m512i h = _mm512_add_epi16(_mm512_packs_epi32(r0, r1), q->zero16);
    const __m512i b = _mm512_packus_epi16(h, h);   /* lane l: r0[4l..4l+3], r1[4l..4l+3], twice */
    const __m512i order = _mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 0, 0, 0, 0, 0, 0, 0, 0);
    return _mm512_castsi512_si256(_mm512_permutexvar_epi32(order, b));
}

/* t plus the residual of the lanes of mask at p: fmaf((float)(r - zero), scale, t). */
Q8_AVX512_INLINE __m512 q8_avx512_add_res(__m512 t, const uint8_t *p, __mmask16 mask, __m512i zero, __m512 scale)
{
    const __m512i r = _mm512_cvtepu8_epi32(_mm_maskz_loadu_epi8(mask, p));
    return _mm512_fmadd_ps(_mm512_cvtepi32_ps(_mm512_sub_epi32(r, zero)), scale, t);
}

/* One row of c uint8 requantised per channel, q8_scale_channels' arithmetic
 * (the gemm_a_mult rescale of A): y = quantize1((float)(x - in_zero) *
 * mult, 1, out_zero), 64 channels a step, the rest 16 at a time under a
 * mask. q's inv_scale must be 1: t * 1 is t, so the multiply is left out. */
Q8_AVX512_INLINE void q8_avx512_rescale_row(const uint8_t *x, size_t c, int32_t in_zero, const float *mult,
                                            const q8_avx512_out *q, uint8_t *y)
{
    const __m512i zi = _mm512_set1_epi32(in_zero);
    size_t ch = 0;
    for (; ch + 64 <= c; ch += 64) {
        __m512i r[4];
#pragma GCC unroll 4
        for (int j = 0; j < 4; j++) {
            const __m512i v = _mm512_sub_epi32(_mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)(const void *)(x + ch + 16 * j))), zi);
            const __m512 t = _mm512_mul_ps(_mm512_cvtepi32_ps(v), _mm512_loadu_ps(mult + ch + 16 * j));
            r[j] = _mm512_cvtps_epi32(_mm512_min_ps(t, q->hi));
        }
        const __m512i h0 = _mm512_add_epi16(_mm512_packs_epi32(r[0], r[1]), q->zero16);
        const __m512i h1 = _mm512_add_epi16(_mm512_packs_epi32(r[2], r[3]), q->zero16);
        /* lane l: r0[4l..], r1[4l..], r2[4l..], r3[4l..] (4 bytes each) */
        const __m512i order = _mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
        _mm512_storeu_si512(y + ch, _mm512_permutexvar_epi32(order, _mm512_packus_epi16(h0, h1)));
    }
    for (; ch < c; ch += 16) {
        const __mmask16 m = (__mmask16)(c - ch >= 16 ? 0xffffu : (1u << (c - ch)) - 1u);
        const __m512i v = _mm512_sub_epi32(_mm512_cvtepu8_epi32(_mm_maskz_loadu_epi8(m, x + ch)), zi);
        const __m512 t = _mm512_mul_ps(_mm512_cvtepi32_ps(v), _mm512_maskz_loadu_ps(m, mult + ch));
        const __m512i r = _mm512_cvtps_epi32(_mm512_min_ps(t, q->hi));
        _mm_mask_storeu_epi8(y + ch, m, _mm512_cvtepi32_epi8(_mm512_max_epi32(_mm512_add_epi32(r, q->zero), _mm512_setzero_si512())));
    }
}

#endif /* EFFAD_Q8_AVX512_H */
