/* The 16x8 glue on zmm (contracts in ops/q16.h): sixteen lanes a step,
 * tails under opmasks, every element the scalar reference's bits (each
 * scalar step is one IEEE operation here too; the int32 sums are exact). */
#include <immintrin.h>
#include "kernels-internal.h"
#include "q16-avx512.h"

static inline __mmask16 tail16(size_t left)
{
    return (__mmask16)(left >= 16 ? 0xffffu : (1u << left) - 1u);
}

/* quantize1(x * mult, 1): the multiply by 1 is the identity on every
 * float (NaN included, as far as the clamp can tell), so it is left out. */
ops_status q16_scale_channels_avx512(const int16_t *in, size_t pixels, size_t c, const float *mult, int16_t *out)
{
    if ((pixels && c) && (!in || !mult || !out)) return OPS_ERR_ARG;
    const q16_avx512_out q = q16_avx512_out_of(1.0f);
    /* vpackssdw takes 4 lanes of each source per 128 bits; this qword
     * order puts the 32 channels back in place */
    const __m512i order = _mm512_setr_epi64(0, 2, 4, 6, 1, 3, 5, 7);
    const size_t c32 = c / 32 * 32;
    for (size_t p = 0; p < pixels; p++) {
        const int16_t *x = in + p * c;
        int16_t *y = out + p * c;
        /* 32 channels a step, one store: this runs on every element of a
         * gated block's depthwise output (B4: ~20 M a pass) */
        size_t ch = 0;
        for (; ch < c32; ch += 32) {
            const __m512 v0 = _mm512_cvtepi32_ps(_mm512_cvtepi16_epi32(_mm256_loadu_si256((const __m256i *)(const void *)(x + ch))));
            const __m512 v1 = _mm512_cvtepi32_ps(_mm512_cvtepi16_epi32(_mm256_loadu_si256((const __m256i *)(const void *)(x + ch + 16))));
            const __m512i r0 = q16_avx512_round(_mm512_mul_ps(v0, _mm512_loadu_ps(mult + ch)), &q);
            const __m512i r1 = q16_avx512_round(_mm512_mul_ps(v1, _mm512_loadu_ps(mult + ch + 16)), &q);
            _mm512_storeu_si512((void *)(y + ch), _mm512_permutexvar_epi64(order, _mm512_packs_epi32(r0, r1)));
        }
        for (; ch < c; ch += 16) {
            const __mmask16 m = tail16(c - ch);
            const __m512 v = _mm512_cvtepi32_ps(_mm512_cvtepi16_epi32(_mm256_maskz_loadu_epi16(m, x + ch)));
            const __m512i r = q16_avx512_round(_mm512_mul_ps(v, _mm512_maskz_loadu_ps(m, mult + ch)), &q);
            _mm256_mask_storeu_epi16(y + ch, m, _mm512_cvtepi32_epi16(r));
        }
    }
    return OPS_OK;
}

ops_status q16_quantize_avx512(const float *x, size_t n, float inv_scale, int16_t *q)
{
    if (n && (!x || !q)) return OPS_ERR_ARG;
    const q16_avx512_out qo = q16_avx512_out_of(inv_scale);
    for (size_t i = 0; i < n; i += 16) {
        const __mmask16 m = tail16(n - i);
        const __m512i r = q16_avx512_quantize(_mm512_maskz_loadu_ps(m, x + i), &qo);
        _mm256_mask_storeu_epi16(q + i, m, _mm512_cvtepi32_epi16(r));
    }
    return OPS_OK;
}

ops_status q16_dequantize_avx512(const int16_t *q, size_t n, float scale, float *x)
{
    if (n && (!x || !q)) return OPS_ERR_ARG;
    const __m512 s = _mm512_set1_ps(scale);
    for (size_t i = 0; i < n; i += 16) {
        const __mmask16 m = tail16(n - i);
        const __m512 v = _mm512_cvtepi32_ps(_mm512_cvtepi16_epi32(_mm256_maskz_loadu_epi16(m, q + i)));
        _mm512_mask_storeu_ps(x + i, m, _mm512_mul_ps(v, s));
    }
    return OPS_OK;
}

/* 64 channels a pass over the pixels (four independent sums), then the
 * rest 16 at a time under a mask. */
ops_status q16_sum_hw_avx512(const int16_t *in, size_t hw, size_t c, int32_t *out)
{
    if (!out || (hw && !in) || hw > OPS_Q16_SUM_HW_MAX) return OPS_ERR_ARG;
    size_t ch = 0;
    for (; ch + 64 <= c; ch += 64) {
        __m512i s0 = _mm512_setzero_si512(), s1 = s0, s2 = s0, s3 = s0;
        for (size_t p = 0; p < hw; p++) {
            const int16_t *x = in + p * c + ch;
            s0 = _mm512_add_epi32(s0, _mm512_cvtepi16_epi32(_mm256_loadu_si256((const __m256i *)(const void *)x)));
            s1 = _mm512_add_epi32(s1, _mm512_cvtepi16_epi32(_mm256_loadu_si256((const __m256i *)(const void *)(x + 16))));
            s2 = _mm512_add_epi32(s2, _mm512_cvtepi16_epi32(_mm256_loadu_si256((const __m256i *)(const void *)(x + 32))));
            s3 = _mm512_add_epi32(s3, _mm512_cvtepi16_epi32(_mm256_loadu_si256((const __m256i *)(const void *)(x + 48))));
        }
        _mm512_storeu_si512(out + ch, s0);
        _mm512_storeu_si512(out + ch + 16, s1);
        _mm512_storeu_si512(out + ch + 32, s2);
        _mm512_storeu_si512(out + ch + 48, s3);
    }
    for (; ch < c; ch += 16) {
        const __mmask16 m = tail16(c - ch);
        __m512i s = _mm512_setzero_si512();
        for (size_t p = 0; p < hw; p++) s = _mm512_add_epi32(s, _mm512_cvtepi16_epi32(_mm256_maskz_loadu_epi16(m, in + p * c + ch)));
        _mm512_mask_storeu_epi32(out + ch, m, s);
    }
    return OPS_OK;
}
