/* jpeg-ycc-avx2.c -- pixel-kernels.h's YCbCr -> RGB in AVX2, eight pixels
 * a step: the reference's sums in 32-bit lanes (none exceeds 2^25), the
 * arithmetic shift for its rounding down, two saturating packs for its
 * clamp, and byte shuffles to interleave R, G and B. The tail of fewer
 * than eight pixels is the reference's. */
#include "pixel-kernels.h"

#if PIXEL_KERNELS_HAVE_AVX2
#include <immintrin.h>
#include <string.h>

#define AVX2_FN __attribute__((target("avx2")))

static AVX2_FN inline __m256i load8(const uint8_t *p)
{
    int64_t v;
    memcpy(&v, p, 8);
    return _mm256_cvtepu8_epi32(_mm_cvtsi64_si128(v));
}

/* Eight int32 lanes to eight bytes, clamped to 0..255. */
static AVX2_FN inline __m128i bytes8(__m256i v)
{
    const __m128i w = _mm_packs_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    return _mm_packus_epi16(w, w);
}

AVX2_FN void jpeg_ycc_rgb_avx2(const uint8_t *Y, const uint8_t *Cb, const uint8_t *Cr, size_t n, uint8_t *o)
{
    const __m256i c128 = _mm256_set1_epi32(128), half = _mm256_set1_epi32(32768);
    const __m256i cr_r = _mm256_set1_epi32(JPEG_YCC_CR_R), cb_g = _mm256_set1_epi32(-JPEG_YCC_CB_G);
    const __m256i cr_g = _mm256_set1_epi32(-JPEG_YCC_CR_G), cb_b = _mm256_set1_epi32(JPEG_YCC_CB_B);
    /* r0 g0 b0 r1 g1 b1 ... from [r0..r7 g0..g7] and [b0..b7]; -1 (0x80
     * set) leaves a zero for the other shuffle to fill */
    const __m128i rg_lo = _mm_setr_epi8(0, 8, -1, 1, 9, -1, 2, 10, -1, 3, 11, -1, 4, 12, -1, 5);
    const __m128i b_lo = _mm_setr_epi8(-1, -1, 0, -1, -1, 1, -1, -1, 2, -1, -1, 3, -1, -1, 4, -1);
    const __m128i rg_hi = _mm_setr_epi8(13, -1, 6, 14, -1, 7, 15, -1, -1, -1, -1, -1, -1, -1, -1, -1);
    const __m128i b_hi = _mm_setr_epi8(-1, 5, -1, -1, 6, -1, -1, 7, -1, -1, -1, -1, -1, -1, -1, -1);
    size_t i = 0;
    for (; i + 8 <= n; i += 8, o += 24) {
        const __m256i y = load8(Y + i);
        const __m256i cb = _mm256_sub_epi32(load8(Cb + i), c128), cr = _mm256_sub_epi32(load8(Cr + i), c128);
        const __m256i r = _mm256_add_epi32(y, _mm256_srai_epi32(_mm256_add_epi32(_mm256_mullo_epi32(cr, cr_r), half), 16));
        const __m256i g = _mm256_add_epi32(
            y, _mm256_srai_epi32(_mm256_add_epi32(_mm256_add_epi32(_mm256_mullo_epi32(cb, cb_g), half),
                                                  _mm256_mullo_epi32(cr, cr_g)), 16));
        const __m256i b = _mm256_add_epi32(y, _mm256_srai_epi32(_mm256_add_epi32(_mm256_mullo_epi32(cb, cb_b), half), 16));
        const __m128i rg = _mm_unpacklo_epi64(bytes8(r), bytes8(g)), bb = bytes8(b);
        const __m128i lo = _mm_or_si128(_mm_shuffle_epi8(rg, rg_lo), _mm_shuffle_epi8(bb, b_lo));
        const __m128i hi = _mm_or_si128(_mm_shuffle_epi8(rg, rg_hi), _mm_shuffle_epi8(bb, b_hi));
        _mm_storeu_si128((__m128i *)o, lo);
        _mm_storel_epi64((__m128i *)(o + 16), hi);
    }
    jpeg_ycc_rgb_scalar(Y + i, Cb + i, Cr + i, n - i, o);
}
#endif
