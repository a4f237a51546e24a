/* pil-resample-avx2.c -- pixel-kernels.h's rows of Pillow's resampling
 * passes in AVX2.
 *
 * pil_h: one output pixel at a time, four taps a step. VPMADDWD multiplies
 * 16-bit pairs, and a tap is 22 bits, so each tap is split k = kh * 2^11
 * + kl (kl in 0..2047, kh = k >> 11 within +-2048) and the pixel's sums
 * are 2^11 * sum(p kh) + sum(p kl): the same integers as Pillow's, each
 * partial sum far from 2^31. pil_h_pack lays the split taps out once per
 * resize as the multiplies want them: per output pixel and group of four
 * taps, a vector of kh and one of kl, [k0 k1 k0 k1 k0 k1 0 0 | k2 k3 ...]
 * against the bytes [R0 R1 G0 G1 B0 B1 - - | R2 R3 G2 G3 B2 B3 - -] that
 * one shuffle makes of sixteen bytes loaded at the group's first pixel.
 * A pixel whose loads would run past avail is the reference's.
 *
 * pil_v: eight bytes of the row a step, 32-bit lanes, a multiply-add per
 * tap; the tail of the row is the reference's. */
#include "pixel-kernels.h"

#if PIXEL_KERNELS_HAVE_AVX2
#include <immintrin.h>
#include <string.h>

#define AVX2_FN __attribute__((target("avx2")))
#define SPLIT 11

static int groups(int taps) { return (taps + 3) / 4; }

size_t pil_h_pack_bytes_avx2(int ksize, int n) { return (size_t)n * (size_t)groups(ksize) * 64; }

void pil_h_pack_avx2(const int32_t *k, int ksize, int n, void *packed)
{
    int16_t *o = packed;
    for (int i = 0; i < n; i++, k += ksize)
        for (int g = 0; g < groups(ksize); g++, o += 32)
            for (int half = 0; half < 2; half++)   /* kh, then kl */
                for (int lane = 0; lane < 2; lane++)
                    for (int j = 0; j < 8; j++) {
                        const int t = 4 * g + 2 * lane + (j & 1);
                        const int32_t kt = j < 6 && t < ksize ? k[t] : 0;
                        o[16 * half + 8 * lane + j] = (int16_t)(half ? kt & ((1 << SPLIT) - 1) : kt >> SPLIT);
                    }
}

AVX2_FN void pil_h_rgb8_avx2(const uint8_t *src, size_t avail, const int32_t *bounds, const int32_t *k, int ksize,
                             const void *packed, int n, uint8_t *dst)
{
    const __m256i pick = _mm256_setr_epi8(0, -1, 3, -1, 1, -1, 4, -1, 2, -1, 5, -1, -1, -1, -1, -1,
                                          6, -1, 9, -1, 7, -1, 10, -1, 8, -1, 11, -1, -1, -1, -1, -1);
    const __m128i round = _mm_setr_epi32(1 << (PIL_PRECISION_BITS - 1), 1 << (PIL_PRECISION_BITS - 1),
                                         1 << (PIL_PRECISION_BITS - 1), 0);
    const size_t per_pixel = (size_t)groups(ksize) * 32;   /* int16s */
    for (int i = 0; i < n; i++) {
        const int first = bounds[2 * i], taps = bounds[2 * i + 1], ng = groups(taps);
        const size_t at = (size_t)first * 3;
        if (at + (size_t)ng * 12 + 4 > avail) {   /* the last group's 16-byte load */
            pil_h_rgb8_scalar(src, avail, bounds + 2 * i, k + (size_t)i * ksize, ksize, NULL, 1, dst + 3 * i);
            continue;
        }
        const uint8_t *p = src + at;
        const int16_t *kv = (const int16_t *)packed + (size_t)i * per_pixel;
        __m256i hi = _mm256_setzero_si256(), lo = _mm256_setzero_si256();
        for (int g = 0; g < ng; g++, p += 12, kv += 32) {
            const __m256i px = _mm256_shuffle_epi8(_mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)p)), pick);
            hi = _mm256_add_epi32(hi, _mm256_madd_epi16(px, _mm256_loadu_si256((const __m256i *)kv)));
            lo = _mm256_add_epi32(lo, _mm256_madd_epi16(px, _mm256_loadu_si256((const __m256i *)(kv + 16))));
        }
        const __m256i sum = _mm256_add_epi32(_mm256_slli_epi32(hi, SPLIT), lo);
        const __m128i rgb = _mm_add_epi32(_mm_add_epi32(_mm256_castsi256_si128(sum), _mm256_extracti128_si256(sum, 1)),
                                          round);
        /* Pillow's clip: a negative sum is 0, else sum >> 22 capped at
         * 255 -- the arithmetic shift keeps the sign, the packs clamp */
        const __m128i w = _mm_packs_epi32(_mm_srai_epi32(rgb, PIL_PRECISION_BITS), _mm_setzero_si128());
        const uint32_t bytes = (uint32_t)_mm_cvtsi128_si32(_mm_packus_epi16(w, w));
        dst[3 * i] = (uint8_t)bytes; dst[3 * i + 1] = (uint8_t)(bytes >> 8); dst[3 * i + 2] = (uint8_t)(bytes >> 16);
    }
}

AVX2_FN void pil_v_rgb8_avx2(const uint8_t *src, size_t stride, const int32_t *k, int taps, size_t n, uint8_t *dst)
{
    const __m256i round = _mm256_set1_epi32(1 << (PIL_PRECISION_BITS - 1));
    size_t j = 0;
    for (; j + 16 <= n; j += 16) {
        __m256i a = round, b = round;
        const uint8_t *p = src + j;
        for (int t = 0; t < taps; t++, p += stride) {
            const __m256i kt = _mm256_set1_epi32(k[t]);
            const __m128i bytes = _mm_loadu_si128((const __m128i *)p);
            a = _mm256_add_epi32(a, _mm256_mullo_epi32(_mm256_cvtepu8_epi32(bytes), kt));
            b = _mm256_add_epi32(b, _mm256_mullo_epi32(_mm256_cvtepu8_epi32(_mm_srli_si128(bytes, 8)), kt));
        }
        const __m256i w = _mm256_packs_epi32(_mm256_srai_epi32(a, PIL_PRECISION_BITS),
                                             _mm256_srai_epi32(b, PIL_PRECISION_BITS));
        /* packs work within 128-bit halves: a0-3 b0-3 | a4-7 b4-7 */
        const __m256i ordered = _mm256_permute4x64_epi64(w, 0xD8);
        const __m128i bytes = _mm_packus_epi16(_mm256_castsi256_si128(ordered), _mm256_extracti128_si256(ordered, 1));
        _mm_storeu_si128((__m128i *)(dst + j), bytes);
    }
    pil_v_rgb8_scalar(src + j, stride, k, taps, n - j, dst + j);
}
#endif
