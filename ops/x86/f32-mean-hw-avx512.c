/* Spatial mean per channel (the pooled feature taps). Each channel is
 * summed over the pixels in the oracle's order (0 + x0 + x1 + ...) and
 * divided once, as in f32_mean_hw_avx2, so all three give the same bits;
 * 64 channels a pass keep four independent chains. */
#include <immintrin.h>
#include "kernels-internal.h"
#include "avx512-math.h"

ops_status f32_mean_hw_avx512(const float *in, size_t hw, size_t c, float *out)
{
    if (!out || (hw && !in) || hw == 0) return OPS_ERR_ARG;
    const __m512 vhw = _mm512_set1_ps((float)hw);
    size_t ch = 0;
    for (; ch + 64 <= c; ch += 64) {
        __m512 s0 = _mm512_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
        const float *p = in + ch;
        for (size_t i = 0; i < hw; i++, p += c) {
            s0 = _mm512_add_ps(s0, _mm512_loadu_ps(p));
            s1 = _mm512_add_ps(s1, _mm512_loadu_ps(p + 16));
            s2 = _mm512_add_ps(s2, _mm512_loadu_ps(p + 32));
            s3 = _mm512_add_ps(s3, _mm512_loadu_ps(p + 48));
        }
        _mm512_storeu_ps(out + ch, _mm512_div_ps(s0, vhw));
        _mm512_storeu_ps(out + ch + 16, _mm512_div_ps(s1, vhw));
        _mm512_storeu_ps(out + ch + 32, _mm512_div_ps(s2, vhw));
        _mm512_storeu_ps(out + ch + 48, _mm512_div_ps(s3, vhw));
    }
    for (; ch < c; ch += 16) {
        const __mmask16 m = avx512_tail_mask(c - ch);
        __m512 s = _mm512_setzero_ps();
        const float *p = in + ch;
        for (size_t i = 0; i < hw; i++, p += c) s = _mm512_add_ps(s, _mm512_maskz_loadu_ps(m, p));
        _mm512_mask_storeu_ps(out + ch, m, _mm512_div_ps(s, vhw));
    }
    return OPS_OK;
}
