/* jpeg-idct-avx2.c -- pixel-kernels.h's islow IDCT in AVX2: a row of the
 * block is one vector of eight 32-bit lanes, so the column pass runs the
 * 1-D transform on all eight columns at once; the workspace is
 * transposed for the row pass and the result transposed back. The
 * operations are the reference's, in 32 bits where pixel-kernels.h shows they
 * cannot overflow (else the block goes to the reference), so the bits
 * are the reference's. */
#include "pixel-kernels.h"

#if PIXEL_KERNELS_HAVE_AVX2
#include <immintrin.h>
#include <string.h>

#define AVX2_FN __attribute__((target("avx2")))
#define CB JPEG_IDCT_CONST_BITS
#define P1 JPEG_IDCT_PASS1_BITS

static AVX2_FN inline __m256i k32(int v) { return _mm256_set1_epi32(v); }
static AVX2_FN inline __m256i mul(__m256i a, int k) { return _mm256_mullo_epi32(a, k32(k)); }

/* The reference's idct_1d on eight lanes; the outputs rounded and shifted
 * right by `shift` (the pass's DESCALE). */
static AVX2_FN inline void idct_1d(__m256i v[8], int shift)
{
    const __m256i round = k32(1 << (shift - 1));
    __m256i z1, z2, z3, z4, z5, tmp0, tmp1, tmp2, tmp3, tmp10, tmp11, tmp12, tmp13;
    z2 = v[2]; z3 = v[6];
    z1 = mul(_mm256_add_epi32(z2, z3), JPEG_IDCT_F0_541);
    tmp2 = _mm256_add_epi32(z1, mul(z3, -JPEG_IDCT_F1_847));
    tmp3 = _mm256_add_epi32(z1, mul(z2, JPEG_IDCT_F0_765));
    tmp0 = _mm256_slli_epi32(_mm256_add_epi32(v[0], v[4]), CB);
    tmp1 = _mm256_slli_epi32(_mm256_sub_epi32(v[0], v[4]), CB);
    tmp10 = _mm256_add_epi32(tmp0, tmp3); tmp13 = _mm256_sub_epi32(tmp0, tmp3);
    tmp11 = _mm256_add_epi32(tmp1, tmp2); tmp12 = _mm256_sub_epi32(tmp1, tmp2);

    tmp0 = v[7]; tmp1 = v[5]; tmp2 = v[3]; tmp3 = v[1];
    z1 = _mm256_add_epi32(tmp0, tmp3); z2 = _mm256_add_epi32(tmp1, tmp2);
    z3 = _mm256_add_epi32(tmp0, tmp2); z4 = _mm256_add_epi32(tmp1, tmp3);
    z5 = mul(_mm256_add_epi32(z3, z4), JPEG_IDCT_F1_175);
    tmp0 = mul(tmp0, JPEG_IDCT_F0_298); tmp1 = mul(tmp1, JPEG_IDCT_F2_053);
    tmp2 = mul(tmp2, JPEG_IDCT_F3_072); tmp3 = mul(tmp3, JPEG_IDCT_F1_501);
    z1 = mul(z1, -JPEG_IDCT_F0_899); z2 = mul(z2, -JPEG_IDCT_F2_562);
    z3 = mul(z3, -JPEG_IDCT_F1_961); z4 = mul(z4, -JPEG_IDCT_F0_390);
    z3 = _mm256_add_epi32(z3, z5); z4 = _mm256_add_epi32(z4, z5);
    tmp0 = _mm256_add_epi32(tmp0, _mm256_add_epi32(z1, z3));
    tmp1 = _mm256_add_epi32(tmp1, _mm256_add_epi32(z2, z4));
    tmp2 = _mm256_add_epi32(tmp2, _mm256_add_epi32(z2, z3));
    tmp3 = _mm256_add_epi32(tmp3, _mm256_add_epi32(z1, z4));

    tmp10 = _mm256_add_epi32(tmp10, round); tmp11 = _mm256_add_epi32(tmp11, round);
    tmp12 = _mm256_add_epi32(tmp12, round); tmp13 = _mm256_add_epi32(tmp13, round);
    v[0] = _mm256_srai_epi32(_mm256_add_epi32(tmp10, tmp3), shift);
    v[7] = _mm256_srai_epi32(_mm256_sub_epi32(tmp10, tmp3), shift);
    v[1] = _mm256_srai_epi32(_mm256_add_epi32(tmp11, tmp2), shift);
    v[6] = _mm256_srai_epi32(_mm256_sub_epi32(tmp11, tmp2), shift);
    v[2] = _mm256_srai_epi32(_mm256_add_epi32(tmp12, tmp1), shift);
    v[5] = _mm256_srai_epi32(_mm256_sub_epi32(tmp12, tmp1), shift);
    v[3] = _mm256_srai_epi32(_mm256_add_epi32(tmp13, tmp0), shift);
    v[4] = _mm256_srai_epi32(_mm256_sub_epi32(tmp13, tmp0), shift);
}

static AVX2_FN inline void transpose8(__m256i v[8])
{
    __m256i t[8], u[8];
    for (int i = 0; i < 8; i += 2) {
        t[i] = _mm256_unpacklo_epi32(v[i], v[i + 1]);
        t[i + 1] = _mm256_unpackhi_epi32(v[i], v[i + 1]);
    }
    for (int i = 0; i < 8; i += 4) {
        u[i] = _mm256_unpacklo_epi64(t[i], t[i + 2]);
        u[i + 1] = _mm256_unpackhi_epi64(t[i], t[i + 2]);
        u[i + 2] = _mm256_unpacklo_epi64(t[i + 1], t[i + 3]);
        u[i + 3] = _mm256_unpackhi_epi64(t[i + 1], t[i + 3]);
    }
    for (int i = 0; i < 4; i++) {
        v[i] = _mm256_permute2x128_si256(u[i], u[i + 4], 0x20);
        v[i + 4] = _mm256_permute2x128_si256(u[i], u[i + 4], 0x31);
    }
}

/* 1 when every lane of every vector is within +-JPEG_IDCT_I32_SAFE. */
static AVX2_FN inline int within_safe(const __m256i v[8])
{
    __m256i m = _mm256_abs_epi32(v[0]);
    for (int i = 1; i < 8; i++) m = _mm256_max_epu32(m, _mm256_abs_epi32(v[i]));
    /* abs of INT32_MIN stays 0x80000000, the largest unsigned: caught */
    const __m256i safe = k32(JPEG_IDCT_I32_SAFE);
    return _mm256_movemask_epi8(_mm256_cmpeq_epi32(_mm256_max_epu32(m, safe), safe)) == -1;
}

AVX2_FN void jpeg_idct_islow_avx2(const int32_t coef[64], uint8_t *dst, size_t stride)
{
    __m256i v[8];
    for (int r = 0; r < 8; r++) v[r] = _mm256_loadu_si256((const __m256i *)(coef + 8 * r));
    /* A block with no AC term is flat: the reference's short ways give
     * DESCALE(dc << P1, P1 + 3) + 128 everywhere. */
    __m256i ac = _mm256_blend_epi32(v[0], _mm256_setzero_si256(), 1);
    for (int r = 1; r < 8; r++) ac = _mm256_or_si256(ac, v[r]);
    if (_mm256_testz_si256(ac, ac)) {
        const int64_t dc = (int32_t)((uint32_t)coef[0] << P1);
        const int64_t s = ((dc + (1 << (P1 + 2))) >> (P1 + 3)) + 128;
        const uint8_t b = (uint8_t)(s < 0 ? 0 : s > 255 ? 255 : s);
        for (int r = 0; r < 8; r++) memset(dst + r * stride, b, 8);
        return;
    }
    if (!within_safe(v)) { jpeg_idct_islow_scalar(coef, dst, stride); return; }
    idct_1d(v, CB - P1);
    if (!within_safe(v)) { jpeg_idct_islow_scalar(coef, dst, stride); return; }
    transpose8(v);
    idct_1d(v, CB + P1 + 3);
    transpose8(v);
    /* + 128, then the two saturating packs clamp to 0..255; the packs work
     * within 128-bit halves, and the permute puts each row's eight bytes
     * back together. */
    const __m256i level = k32(128), order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
    for (int r = 0; r < 8; r += 4) {
        __m256i a = _mm256_packs_epi32(_mm256_add_epi32(v[r], level), _mm256_add_epi32(v[r + 1], level));
        __m256i b = _mm256_packs_epi32(_mm256_add_epi32(v[r + 2], level), _mm256_add_epi32(v[r + 3], level));
        __m256i bytes = _mm256_permutevar8x32_epi32(_mm256_packus_epi16(a, b), order);
        uint64_t rows[4];
        _mm256_storeu_si256((__m256i *)rows, bytes);
        for (int i = 0; i < 4; i++) memcpy(dst + (size_t)(r + i) * stride, &rows[i], 8);
    }
}
#endif
