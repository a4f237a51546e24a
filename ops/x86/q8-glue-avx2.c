/* The int8 glue, eight lanes a step (contracts in ops/q8.h; tails by the
 * reference's arithmetic, so every element gets the scalar bits). */
#include <immintrin.h>
#include "kernels-internal.h"
#include "q8-avx2.h"

#define load8u q8_avx2_load8u

ops_status q8_scale_channels_avx2(const uint8_t *in, size_t pixels, size_t c, int32_t in_zero, const float *mult,
                                  int32_t out_zero, uint8_t *out)
{
    if ((pixels && c) && (!in || !mult || !out)) return OPS_ERR_ARG;
    const q8_avx2_out q = q8_avx2_out_of(1.0f, out_zero);
    for (size_t p = 0; p < pixels; p++) q8_avx2_rescale_row(in + p * c, c, in_zero, mult, out_zero, &q, out + p * c);
    return OPS_OK;
}

ops_status q8_quantize_avx2(const float *x, size_t n, float inv_scale, int32_t zero, uint8_t *q)
{
    if (n && (!x || !q)) return OPS_ERR_ARG;
    const size_t n8 = n / 8 * 8;
    const q8_avx2_out qo = q8_avx2_out_of(inv_scale, zero);
    for (size_t i = 0; i < n8; i += 8) q8_avx2_store8(q + i, q8_avx2_round(_mm256_loadu_ps(x + i), &qo), &qo);
    for (size_t i = n8; i < n; i++) q[i] = ops_q8_quantize1(x[i], inv_scale, zero);
    return OPS_OK;
}

ops_status q8_dequantize_avx2(const uint8_t *q, size_t n, float scale, int32_t zero, float *x)
{
    if (n && (!x || !q)) return OPS_ERR_ARG;
    const size_t n8 = n / 8 * 8;
    const __m256 s = _mm256_set1_ps(scale);
    const __m256i z = _mm256_set1_epi32(zero);
    for (size_t i = 0; i < n8; i += 8)
        _mm256_storeu_ps(x + i, _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_sub_epi32(load8u(q + i), z)), s));
    for (size_t i = n8; i < n; i++) x[i] = (float)((int32_t)q[i] - zero) * scale;
    return OPS_OK;
}

ops_status q8_sum_hw_avx2(const uint8_t *in, size_t hw, size_t c, int32_t *out)
{
    if (!out || (hw && !in)) return OPS_ERR_ARG;
    const size_t c8 = c / 8 * 8;
    for (size_t ch = 0; ch < c8; ch += 8) {
        __m256i acc = _mm256_setzero_si256();
        for (size_t p = 0; p < hw; p++) acc = _mm256_add_epi32(acc, load8u(in + p * c + ch));
        _mm256_storeu_si256((__m256i *)(void *)(out + ch), acc);
    }
    for (size_t ch = c8; ch < c; ch++) {
        int32_t s = 0;
        for (size_t p = 0; p < hw; p++) s += in[p * c + ch];
        out[ch] = s;
    }
    return OPS_OK;
}
