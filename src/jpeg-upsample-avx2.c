/* jpeg-upsample-avx2.c -- pixel-kernels.h's fancy_h2 in AVX2, sixteen
 * input samples a step: the sums in 16-bit lanes (at most 4 x 1020 + 8),
 * and since each output fits a byte, even | odd << 8 is the two outputs
 * of a sample already interleaved. The edges and the tail are the
 * reference's pieces. */
#include "pixel-kernels.h"

#if PIXEL_KERNELS_HAVE_AVX2
#include <immintrin.h>

#define AVX2_FN __attribute__((target("avx2")))

static AVX2_FN inline __m256i load16(const uint8_t *p) { return _mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i *)p)); }

static AVX2_FN inline __m256i sums16(const uint8_t *a, const uint8_t *b)
{
    const __m256i s = load16(a);
    if (!b) return s;
    return _mm256_add_epi16(_mm256_add_epi16(s, _mm256_add_epi16(s, s)), load16(b));
}

AVX2_FN void jpeg_fancy_h2_avx2(const uint8_t *a, const uint8_t *b, int n, uint8_t *out, int W)
{
    const int sh = b ? 4 : 2, last = n - 1;
    const __m256i b0 = _mm256_set1_epi16(b ? 8 : 1), b1 = _mm256_set1_epi16(b ? 7 : 2);
    const __m128i shift = _mm_cvtsi32_si128(sh);
    int i = 1;
    for (; i + 16 <= last; i += 16) {
        const __m256i prev = sums16(a + i - 1, b ? b + i - 1 : NULL), cur = sums16(a + i, b ? b + i : NULL),
                      next = sums16(a + i + 1, b ? b + i + 1 : NULL);
        const __m256i cur3 = _mm256_add_epi16(cur, _mm256_add_epi16(cur, cur));
        const __m256i even = _mm256_srl_epi16(_mm256_add_epi16(_mm256_add_epi16(cur3, prev), b0), shift);
        const __m256i odd = _mm256_srl_epi16(_mm256_add_epi16(_mm256_add_epi16(cur3, next), b1), shift);
        _mm256_storeu_si256((__m256i *)(out + 2 * i), _mm256_or_si256(even, _mm256_slli_epi16(odd, 8)));
    }
    jpeg_fancy_h2_span(a, b, i, last, out);
    jpeg_fancy_h2_edges(a, b, n, out, W);
}
#endif
