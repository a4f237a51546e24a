/* png-paeth-avx2.c -- pixel-kernels.h's png_paeth for 3- and 4-byte
 * pixels (8-bit RGB, RGBA) in 128-bit vectors under the AVX2 table: a
 * pixel's channels side by side in 16-bit lanes, so one pass of the
 * spec's predictor serves them all (the chain from one pixel to the next
 * cannot be broken: each pixel's left neighbour is the one just made).
 * The predictor's order on ties -- a, then b, then c -- is kept by
 * choosing c, then b where pb is smallest, then a where pa is (libpng's
 * way). Other pixel sizes are the reference's. */
#include "pixel-kernels.h"

#if PIXEL_KERNELS_HAVE_AVX2
#include <immintrin.h>

#define AVX2_FN __attribute__((target("avx2")))

/* A pixel's bytes through a register: built from byte loads, a 3-byte
 * pixel went through the stack, and the 4-byte load of three 1- and
 * 2-byte stores missed store forwarding -- 4-5x slower than the scalar
 * reference. */
static AVX2_FN inline __attribute__((always_inline)) __m128i load_px(const uint8_t *p, size_t bpp)
{
    const uint32_t v = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (bpp == 4 ? (uint32_t)p[3] << 24 : 0);
    return _mm_unpacklo_epi8(_mm_cvtsi32_si128((int)v), _mm_setzero_si128());
}

static AVX2_FN inline __attribute__((always_inline)) void store_px(uint8_t *p, __m128i v, size_t bpp)
{
    const uint32_t x = (uint32_t)_mm_cvtsi128_si32(_mm_packus_epi16(v, v));
    p[0] = (uint8_t)x; p[1] = (uint8_t)(x >> 8); p[2] = (uint8_t)(x >> 16);
    if (bpp == 4) p[3] = (uint8_t)(x >> 24);
}

/* bpp a constant where it is called, so the pixel's loads and stores are
 * single moves, not calls of memcpy */
static AVX2_FN inline __attribute__((always_inline)) void run(uint8_t *row, const uint8_t *prev, size_t n, size_t bpp)
{
    const __m128i low8 = _mm_set1_epi16(0xFF);
    __m128i a = load_px(row, bpp), c = load_px(prev, bpp);
    for (size_t i = bpp; i + bpp <= n; i += bpp) {
        const __m128i b = load_px(prev + i, bpp);
        const __m128i pa0 = _mm_sub_epi16(b, c), pb0 = _mm_sub_epi16(a, c);   /* p - a, p - b */
        const __m128i pa = _mm_abs_epi16(pa0), pb = _mm_abs_epi16(pb0), pc = _mm_abs_epi16(_mm_add_epi16(pa0, pb0));
        const __m128i least = _mm_min_epi16(pc, _mm_min_epi16(pa, pb));
        __m128i p = _mm_blendv_epi8(c, b, _mm_cmpeq_epi16(pb, least));
        p = _mm_blendv_epi8(p, a, _mm_cmpeq_epi16(pa, least));
        a = _mm_and_si128(_mm_add_epi16(load_px(row + i, bpp), p), low8);
        store_px(row + i, a, bpp);
        c = b;
    }
}

AVX2_FN void png_paeth_avx2(uint8_t *row, const uint8_t *prev, size_t n, size_t bpp)
{
    if (bpp == 3) run(row, prev, n, 3);
    else if (bpp == 4) run(row, prev, n, 4);
    else png_paeth_scalar(row, prev, n, bpp);
}
#endif
