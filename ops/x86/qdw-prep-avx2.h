/*
 * qdw-prep-avx2.h -- the prepared weights of the quantised AVX2 depthwise
 * bodies, int8 (q8-dwconv-avx2.h) and 16x8 (q16-dwconv-avx2.h) alike:
 * both multiply int8 weights by int16 activations in vpmaddwd pairs of
 * kernel rows, so the weights, and the epilogue factors after them, are
 * laid out once per call the same way for either activation type.
 *
 * Per 16-channel block: for each pair of kernel rows (2g, 2g+1) and each
 * kernel column, two vectors -- the rows' weights interleaved as int16
 * pairs, channels {0-3, 8-11} and {4-7, 12-15}, the order the unpacks of
 * the inputs produce -- then QDW_AVX2_FACTORS vectors: the epilogue's
 * mult and bias, each as the two unpack-order halves. An odd last row
 * pairs with zero weights.
 */
#ifndef EFFAD_QDW_PREP_AVX2_H
#define EFFAD_QDW_PREP_AVX2_H

#include <immintrin.h>
#include <stddef.h>
#include <stdint.h>

#define QDW_AVX2_FACTORS 4

static inline __attribute__((always_inline)) size_t qdw_avx2_block_vectors(int kh, int kw)
{
    return (size_t)((kh + 1) / 2) * (size_t)kw * 2 + QDW_AVX2_FACTORS;
}

/* 16 (or, half, 8: the upper lanes zero) int8 weights at p as int16. */
static inline __attribute__((always_inline)) __m256i qdw_avx2_w16(const int8_t *p, const int half)
{
    const __m128i v = half ? _mm_loadl_epi64((const __m128i *)(const void *)p) : _mm_loadu_si128((const __m128i *)(const void *)p);
    return _mm256_cvtepi8_epi16(v);
}

/* 16 (or 8) floats at p, zero past them. */
static inline __attribute__((always_inline)) void qdw_avx2_f16(const float *p, const int half, __m256 *lo, __m256 *hi)
{
    *lo = _mm256_loadu_ps(p);
    *hi = half ? _mm256_setzero_ps() : _mm256_loadu_ps(p + 8);
}

/* Blocks [b0, b1) of the [kh][kw][c] weights w and the factors mult and
 * bias (bias may be NULL) into prep; a half block holds channels
 * cb..cb+7 only (the rest of its lanes zero). */
static inline void qdw_avx2_prepare(const int8_t *w, const float *mult, const float *bias, size_t c, int kh, int kw,
                                    int b0, int b1, const int half, __m256i *prep)
{
    const size_t nv = qdw_avx2_block_vectors(kh, kw);
    for (int b = b0; b < b1; b++) {
        const size_t cb = (size_t)b * 16;
        __m256i *p = prep + (size_t)(b - b0) * nv;
        for (int ky = 0; ky < kh; ky += 2)
            for (int kx = 0; kx < kw; kx++, p += 2) {
                const __m256i wa = qdw_avx2_w16(w + ((size_t)ky * kw + kx) * c + cb, half);
                const __m256i wb = ky + 1 < kh ? qdw_avx2_w16(w + ((size_t)(ky + 1) * kw + kx) * c + cb, half)
                                               : _mm256_setzero_si256();
                p[0] = _mm256_unpacklo_epi16(wa, wb);
                p[1] = _mm256_unpackhi_epi16(wa, wb);
            }
        __m256 m0, m1, b0v = _mm256_setzero_ps(), b1v = b0v;
        qdw_avx2_f16(mult + cb, half, &m0, &m1);
        if (bias) qdw_avx2_f16(bias + cb, half, &b0v, &b1v);
        p[0] = _mm256_castps_si256(_mm256_permute2f128_ps(m0, m1, 0x20));    /* channels 0-3, 8-11 */
        p[1] = _mm256_castps_si256(_mm256_permute2f128_ps(m0, m1, 0x31));    /* 4-7, 12-15 */
        p[2] = _mm256_castps_si256(_mm256_permute2f128_ps(b0v, b1v, 0x20));
        p[3] = _mm256_castps_si256(_mm256_permute2f128_ps(b0v, b1v, 0x31));
    }
}

/* acc + v . w in int16 pairs, exact (the bodies' tops bound the sums):
 * one VEX vpdpwssd where the file is built for AVX-VNNI (the -avxvnni.c
 * files), vpmaddwd + vpaddd otherwise -- the same integer. */
static inline __attribute__((always_inline)) __m256i qdw_avx2_madd(__m256i acc, __m256i v, const __m256i *w)
{
#ifdef __AVXVNNI__
    return _mm256_dpwssd_avx_epi32(acc, v, _mm256_load_si256(w));
#else
    return _mm256_add_epi32(acc, _mm256_madd_epi16(v, _mm256_load_si256(w)));
#endif
}

#endif /* EFFAD_QDW_PREP_AVX2_H */
