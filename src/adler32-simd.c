/* Adler-32 sixteen bytes a step; see adler32-simd.h. */
#include "adler32-simd.h"

#if ADLER32_HAVE_SIMD && defined(__x86_64__)
#include <immintrin.h>

void adler32_simd_run(uint32_t *a, uint32_t *b, const uint8_t *p, size_t n)
{
    const __m128i zero = _mm_setzero_si128();
    /* each byte's weight in its block: 16 for the first, 1 for the last */
    const __m128i w_lo = _mm_setr_epi16(16, 15, 14, 13, 12, 11, 10, 9);
    const __m128i w_hi = _mm_setr_epi16(8, 7, 6, 5, 4, 3, 2, 1);
    __m128i s1 = zero;    /* the bytes so far (PSADBW: two 64-bit lanes, the high halves stay 0) */
    __m128i pre = zero;   /* the sum of s1 at every block's start: 16 x that goes to b */
    __m128i s2 = zero;    /* the weighted bytes */
    const size_t blocks = n / 16;
    for (size_t j = 0; j < blocks; j++, p += 16) {
        const __m128i v = _mm_loadu_si128((const __m128i *)p);
        pre = _mm_add_epi32(pre, s1);
        s1 = _mm_add_epi32(s1, _mm_sad_epu8(v, zero));
        const __m128i lo = _mm_unpacklo_epi8(v, zero), hi = _mm_unpackhi_epi8(v, zero);
        s2 = _mm_add_epi32(s2, _mm_add_epi32(_mm_madd_epi16(lo, w_lo), _mm_madd_epi16(hi, w_hi)));
    }
    uint32_t l1[4], lp[4], l2[4];
    _mm_storeu_si128((__m128i *)l1, s1);
    _mm_storeu_si128((__m128i *)lp, pre);
    _mm_storeu_si128((__m128i *)l2, s2);
    const uint32_t sum1 = l1[0] + l1[1] + l1[2] + l1[3], sump = lp[0] + lp[1] + lp[2] + lp[3];
    const uint32_t sum2 = l2[0] + l2[1] + l2[2] + l2[3];
    *b += (uint32_t)n * *a + 16u * sump + sum2;
    *a += sum1;
}

#elif ADLER32_HAVE_SIMD && defined(__aarch64__)
#include <arm_neon.h>

void adler32_simd_run(uint32_t *a, uint32_t *b, const uint8_t *p, size_t n)
{
    static const uint8_t weights[16] = { 16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1 };
    const uint8x16_t w = vld1q_u8(weights);
    uint32x4_t s1 = vdupq_n_u32(0), pre = vdupq_n_u32(0), s2 = vdupq_n_u32(0);
    const size_t blocks = n / 16;
    for (size_t j = 0; j < blocks; j++, p += 16) {
        const uint8x16_t v = vld1q_u8(p);
        pre = vaddq_u32(pre, s1);
        s1 = vpadalq_u16(s1, vpaddlq_u8(v));
        /* 255 x 16 + 255 x 8 fits a 16-bit lane */
        const uint16x8_t wv = vmlal_u8(vmull_u8(vget_low_u8(v), vget_low_u8(w)), vget_high_u8(v), vget_high_u8(w));
        s2 = vpadalq_u16(s2, wv);
    }
    *b += (uint32_t)n * *a + 16u * vaddvq_u32(pre) + vaddvq_u32(s2);
    *a += vaddvq_u32(s1);
}
#endif
