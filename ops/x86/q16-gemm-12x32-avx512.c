/* The 16x8 1x1 convolution on AVX-512 F/BW/DQ/VL: vpmaddwd + vpaddd on
 * int16 pairs of k (body and layout in q16-gemm-avx512.h), and the B
 * packer of both AVX-512 tables (the VNNI kernel reads the same panels). */
#include "q16-gemm-avx512.h"

size_t q16_gemm_buffer_size_avx512(size_t m, size_t n, size_t k)
{
    (void)m; (void)n; (void)k;
    return 0;
}

size_t q16_gemm_pack_buffer_size_avx512(size_t n, size_t k)
{
    return (n + Q16G_NR - 1) / Q16G_NR * q16g_panel_bytes(k);
}

size_t q16_gemm_pack_offset_avx512(size_t j0, size_t k)
{
    return j0 / Q16G_NR * q16g_panel_bytes(k);
}

/* 16 int8 of B row kk (columns under mask) sign-extended to int32 lanes;
 * a row past k is zero. */
static inline __m512i b_row16(const ops_q16_gemm_args *g, size_t kk, size_t j, __mmask16 mask)
{
    if (kk >= g->k || !mask) return _mm512_setzero_si512();
    return _mm512_cvtepi8_epi32(_mm_maskz_loadu_epi8(mask, g->b + kk * g->b_stride + j));
}

ops_status q16_gemm_pack_avx512(const ops_q16_gemm_args *g, void *dst)
{
    if (!g || !g->b || !dst || ((uintptr_t)dst & 63)) return OPS_ERR_ARG;
    const size_t n = g->n, k = g->k;
    const __m512i low = _mm512_set1_epi32(0xffff);
    for (size_t j0 = 0; j0 < n; j0 += Q16G_NR) {
        __m512i *p = (__m512i *)(void *)((uint8_t *)dst + j0 / Q16G_NR * q16g_panel_bytes(k));
        for (size_t h = 0; h < 2; h++) {
            const size_t j = j0 + 16 * h, left = j < n ? n - j : 0;
            const __mmask16 mask = (__mmask16)(left >= 16 ? 0xffffu : (1u << left) - 1u);
            for (size_t kk = 0; kk < k; kk += 2) {
                const __m512i lo = _mm512_and_si512(b_row16(g, kk, j, mask), low);
                const __m512i hi = _mm512_slli_epi32(b_row16(g, kk + 1, j, mask), 16);
                _mm512_store_si512(p + kk + h, _mm512_or_si512(lo, hi));   /* row kk / 2, vector h */
            }
        }
    }
    return OPS_OK;
}

ops_status q16_gemm_12x32_avx512(const ops_q16_gemm_args *g, void *scratch)
{
    if (!g || (g->m && g->n && (!g->a || !g->c || !g->out.mult || !g->k))) return OPS_ERR_ARG;
    if (!g->m || !g->n) return OPS_OK;
    /* without a packed B (tests, callers that do not pack) the reference */
    if (!g->b_packed) return q16_gemm_scalar(g, scratch);
    q16g_run(g);
    return OPS_OK;
}
