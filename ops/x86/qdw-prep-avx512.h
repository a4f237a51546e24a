/*
 * qdw-prep-avx512.h -- the prepared weights of the quantised AVX-512
 * depthwise bodies, and the multiply-add that reads them, int8 (q8-dwconv-avx512.h) and 16x8 (q16-dwconv-
 * avx512.h) alike, with or without VNNI: both multiply int8 weights by
 * int16 activations in pairs of kernel rows (vpmaddwd / vpdpwssd), so the
 * weights and the epilogue factors are laid out once per call the same way
 * for either activation type.
 *
 * Per 32-channel block: for each pair of kernel rows and each kernel
 * column, two vectors -- the rows' weights interleaved as int16 pairs,
 * channels {0-3, 8-11, 16-19, 24-27} and {4-7, 12-15, 20-23, 28-31}, the
 * order vpunpck{l,h}wd of the inputs produce -- then QDW_AVX512_FACTORS
 * vectors: the epilogue's mult and bias in the same two halves. A tail
 * block (c % 32 channels) loads zeros past c.
 */
#ifndef EFFAD_QDW_PREP_AVX512_H
#define EFFAD_QDW_PREP_AVX512_H

#include <immintrin.h>
#include <stddef.h>
#include <stdint.h>

#define QDW_AVX512_FACTORS 4

static inline __attribute__((always_inline)) size_t qdw_avx512_block_vectors(int kh, int kw)
{
    return (size_t)((kh + 1) / 2) * (size_t)kw * 2 + QDW_AVX512_FACTORS;
}

/* 32 bytes at p, those outside mask zero (tail: a masked load). */
static inline __attribute__((always_inline)) __m256i qdw_avx512_load32(const void *p, const int tail, __mmask32 mask)
{
    return tail ? _mm256_maskz_loadu_epi8(mask, p) : _mm256_loadu_si256((const __m256i *)p);
}

/* Blocks [b0, b1) of the [kh][kw][c] weights w and the factors mult and
 * bias (bias may be NULL) into prep; tail: the block holds the channels
 * of mask only. */
static inline void qdw_avx512_prepare(const int8_t *w, const float *mult, const float *bias, size_t c, int kh, int kw,
                                      int b0, int b1, const int tail, __mmask32 mask, __m512i *prep)
{
    const size_t nv = qdw_avx512_block_vectors(kh, kw);
    const __mmask16 m0 = tail ? (__mmask16)mask : 0xffff, m1 = tail ? (__mmask16)(mask >> 16) : 0xffff;
    /* channels 0-3, 8-11, 16-19, 24-27 and 4-7, 12-15, 20-23, 28-31 of the
     * pair (first 16, next 16) */
    const __m512i lo = _mm512_setr_epi32(0, 1, 2, 3, 8, 9, 10, 11, 16, 17, 18, 19, 24, 25, 26, 27);
    const __m512i hi = _mm512_add_epi32(lo, _mm512_set1_epi32(4));
    for (int b = b0; b < b1; b++) {
        const size_t cb = (size_t)b * 32;
        __m512i *p = prep + (size_t)(b - b0) * nv;
        for (int ky = 0; ky < kh; ky += 2)
            for (int kx = 0; kx < kw; kx++, p += 2) {
                const __m512i wa = _mm512_cvtepi8_epi16(qdw_avx512_load32(w + ((size_t)ky * kw + kx) * c + cb, tail, mask));
                const __m512i wb = ky + 1 < kh
                                       ? _mm512_cvtepi8_epi16(qdw_avx512_load32(w + ((size_t)(ky + 1) * kw + kx) * c + cb, tail, mask))
                                       : _mm512_setzero_si512();
                p[0] = _mm512_unpacklo_epi16(wa, wb);
                p[1] = _mm512_unpackhi_epi16(wa, wb);
            }
        const __m512 ma = _mm512_maskz_loadu_ps(m0, mult + cb), mb = _mm512_maskz_loadu_ps(m1, mult + cb + 16);
        __m512 ba = _mm512_setzero_ps(), bb = ba;
        if (bias) {
            ba = _mm512_maskz_loadu_ps(m0, bias + cb);
            bb = _mm512_maskz_loadu_ps(m1, bias + cb + 16);
        }
        p[0] = _mm512_castps_si512(_mm512_permutex2var_ps(ma, lo, mb));
        p[1] = _mm512_castps_si512(_mm512_permutex2var_ps(ma, hi, mb));
        p[2] = _mm512_castps_si512(_mm512_permutex2var_ps(ba, lo, bb));
        p[3] = _mm512_castps_si512(_mm512_permutex2var_ps(ba, hi, bb));
    }
}

/* acc + the int16 pairs of v times those of w: exact in int32 (the
 * bodies' tops bound the sums); one vpdpwssd where the file is built for
 * AVX512_VNNI, vpmaddwd + vpaddd otherwise -- the same integer. */
static inline __attribute__((always_inline)) __m512i qdw_avx512_madd(__m512i acc, __m512i v, const __m512i *w)
{
#ifdef __AVX512VNNI__
    return _mm512_dpwssd_epi32(acc, v, _mm512_load_si512(w));
#else
    return _mm512_add_epi32(acc, _mm512_madd_epi16(v, _mm512_load_si512(w)));
#endif
}

#endif /* EFFAD_QDW_PREP_AVX512_H */
