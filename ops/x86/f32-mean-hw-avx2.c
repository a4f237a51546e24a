/* Spatial mean per channel. Each channel is summed over the pixels in the
 * oracle's order (0 + x0 + x1 + ...), so the result is bit-identical to
 * f32_mean_hw_scalar; 32 channels a pass keep four independent chains. */
#include <immintrin.h>
#include "kernels-internal.h"
#include "avx2-math.h"

ops_status f32_mean_hw_avx2(const float *in, size_t hw, size_t c, float *out)
{
    if (!out || (hw && !in) || hw == 0) return OPS_ERR_ARG;
    const __m256 vhw = _mm256_set1_ps((float)hw);
    size_t ch = 0;
    for (; ch + 32 <= c; ch += 32) {
        __m256 s0 = _mm256_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
        const float *p = in + ch;
        for (size_t i = 0; i < hw; i++, p += c) {
            s0 = _mm256_add_ps(s0, _mm256_loadu_ps(p));
            s1 = _mm256_add_ps(s1, _mm256_loadu_ps(p + 8));
            s2 = _mm256_add_ps(s2, _mm256_loadu_ps(p + 16));
            s3 = _mm256_add_ps(s3, _mm256_loadu_ps(p + 24));
        }
        _mm256_storeu_ps(out + ch, _mm256_div_ps(s0, vhw));
        _mm256_storeu_ps(out + ch + 8, _mm256_div_ps(s1, vhw));
        _mm256_storeu_ps(out + ch + 16, _mm256_div_ps(s2, vhw));
        _mm256_storeu_ps(out + ch + 24, _mm256_div_ps(s3, vhw));
    }
    for (; ch < c; ch += 8) {
        const __m256i m = avx2_tail_mask(c - ch < 8 ? c - ch : 8);
        __m256 s = _mm256_setzero_ps();
        const float *p = in + ch;
        for (size_t i = 0; i < hw; i++, p += c) s = _mm256_add_ps(s, _mm256_maskload_ps(p, m));
        _mm256_maskstore_ps(out + ch, m, _mm256_div_ps(s, vhw));
    }
    return OPS_OK;
}
