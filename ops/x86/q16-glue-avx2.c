/* The 16x8 glue, 8 or 16 lanes a step (contracts in ops/q16.h; tails by
 * the reference's arithmetic, so every element gets the scalar bits). */
#include <immintrin.h>
#include "kernels-internal.h"
#include "q16-avx2.h"

/* round(min(t * inv, 32767)) on 8 lanes: the quantiser of q16-avx2.h. */
#define round8(t, q) q8_avx2_round((t), (q))

ops_status q16_scale_channels_avx2(const int16_t *in, size_t pixels, size_t c, const float *mult, int16_t *out)
{
    if ((pixels && c) && (!in || !mult || !out)) return OPS_ERR_ARG;
    /* quantize1(t, 1): t * 1 is t, so the quantiser's factor is 1 */
    const q8_avx2_out q = q16_avx2_out_of(1.0f);
    const size_t c16 = c / 16 * 16, c8 = c / 8 * 8;
    for (size_t p = 0; p < pixels; p++) {
        const int16_t *x = in + p * c;
        int16_t *y = out + p * c;
        size_t ch = 0;
        for (; ch < c16; ch += 16) {
            const __m256i r0 = round8(_mm256_mul_ps(q16_avx2_load8f(x + ch), _mm256_loadu_ps(mult + ch)), &q);
            const __m256i r1 = round8(_mm256_mul_ps(q16_avx2_load8f(x + ch + 8), _mm256_loadu_ps(mult + ch + 8)), &q);
            _mm256_storeu_si256((__m256i *)(void *)(y + ch), q16_avx2_pack16(r0, r1));
        }
        for (; ch < c8; ch += 8)
            q16_avx2_store8(y + ch, round8(_mm256_mul_ps(q16_avx2_load8f(x + ch), _mm256_loadu_ps(mult + ch)), &q));
        for (; ch < c; ch++) y[ch] = ops_q16_quantize1((float)x[ch] * mult[ch], 1.0f);
    }
    return OPS_OK;
}

ops_status q16_quantize_avx2(const float *x, size_t n, float inv_scale, int16_t *q)
{
    if (n && (!x || !q)) return OPS_ERR_ARG;
    const q8_avx2_out qo = q16_avx2_out_of(inv_scale);
    const size_t n16 = n / 16 * 16, n8 = n / 8 * 8;
    size_t i = 0;
    for (; i < n16; i += 16)
        _mm256_storeu_si256((__m256i *)(void *)(q + i), q16_avx2_pack16(round8(_mm256_loadu_ps(x + i), &qo),
                                                                         round8(_mm256_loadu_ps(x + i + 8), &qo)));
    for (; i < n8; i += 8) q16_avx2_store8(q + i, round8(_mm256_loadu_ps(x + i), &qo));
    for (; i < n; i++) q[i] = ops_q16_quantize1(x[i], inv_scale);
    return OPS_OK;
}

ops_status q16_dequantize_avx2(const int16_t *q, size_t n, float scale, float *x)
{
    if (n && (!x || !q)) return OPS_ERR_ARG;
    const size_t n8 = n / 8 * 8;
    const __m256 s = _mm256_set1_ps(scale);
    for (size_t i = 0; i < n8; i += 8) _mm256_storeu_ps(x + i, _mm256_mul_ps(q16_avx2_load8f(q + i), s));
    for (size_t i = n8; i < n; i++) x[i] = (float)q[i] * scale;
    return OPS_OK;
}

/* 64 channels (eight int32 vectors) per pass over the pixels, so that each
 * row's 128 bytes are read as whole cache lines and the sums stay in
 * registers. int32 addition is exact here (hw * 32768 < 2^31 by the
 * limit), so any order gives the reference's sums. */
ops_status q16_sum_hw_avx2(const int16_t *in, size_t hw, size_t c, int32_t *out)
{
    if (!out || (hw && !in) || hw > OPS_Q16_SUM_HW_MAX) return OPS_ERR_ARG;
    size_t ch = 0;
    for (; ch + 64 <= c; ch += 64) {
        __m256i s[8];
#pragma GCC unroll 8
        for (int j = 0; j < 8; j++) s[j] = _mm256_setzero_si256();
        for (size_t p = 0; p < hw; p++) {
            const int16_t *x = in + p * c + ch;
#pragma GCC unroll 8
            for (int j = 0; j < 8; j++)
                s[j] = _mm256_add_epi32(s[j], _mm256_cvtepi16_epi32(_mm_loadu_si128((const __m128i *)(const void *)(x + 8 * j))));
        }
#pragma GCC unroll 8
        for (int j = 0; j < 8; j++) _mm256_storeu_si256((__m256i *)(void *)(out + ch + 8 * j), s[j]);
    }
    for (; ch + 8 <= c; ch += 8) {
        __m256i s = _mm256_setzero_si256();
        for (size_t p = 0; p < hw; p++)
            s = _mm256_add_epi32(s, _mm256_cvtepi16_epi32(_mm_loadu_si128((const __m128i *)(const void *)(in + p * c + ch))));
        _mm256_storeu_si256((__m256i *)(void *)(out + ch), s);
    }
    for (; ch < c; ch++) {
        int32_t s = 0;
        for (size_t p = 0; p < hw; p++) s += in[p * c + ch];
        out[ch] = s;
    }
    return OPS_OK;
}
