/* Squeeze-excite gate: f32_se_gate_avx2 on zmm, the same bits.
 *
 * Each dot product keeps AVX2's two 8-lane partial sums as the two halves
 * of one zmm (elements i % 16 < 8 in the low half, the rest in the high
 * half), so every lane adds the same products in the same order; the tail
 * goes into the low half only, 8 at a time as in AVX2, by FMAs masked to
 * the low half; then low + high and AVX2's 128-bit tree. A zmm is then a
 * single FMA chain where AVX2 has two, so four rows run at once (four
 * chains sharing the loads of x): one row at a time measured 1.13-1.17x
 * the AVX2 time over B0's and B4's SE blocks (bench-kernels isa).
 * The weights come from the model's 4 KiB file pages, where hardware
 * prefetchers stop, yet a software prefetch 2 or 4 KiB ahead along each
 * row bought nothing: B4's squeeze-excite layers took 0.81-0.96 ms a pass
 * either way (`effad bench --layers`, AVX-512, alternated builds,
 * 2026-12-06). Fetched whole, a share per band of the block's depthwise
 * conv before it (a throwaway), they cut this gate's time 1.0 -> 0.34-0.56
 * ms a pass and the depthwise layers' rose by as much: B4 56.1 against
 * 56.3 ms (ab-builds.sh, five rounds). Run hot (called twice), the gate
 * takes 0.4 ms: the rest is the weights' trip from memory, which no
 * ordering on one core hides.
 */
#include <immintrin.h>
#include "kernels-internal.h"
#include "avx512-math.h"

static inline __attribute__((always_inline)) float se_hsum(__m512 s)
{
    const __m256 s8 = _mm256_add_ps(_mm512_castps512_ps256(s), _mm512_extractf32x8_ps(s, 1));
    __m128 h = _mm_add_ps(_mm256_castps256_ps128(s8), _mm256_extractf128_ps(s8, 1));
    h = _mm_add_ps(h, _mm_movehl_ps(h, h));
    h = _mm_add_ss(h, _mm_movehdup_ps(h));
    return _mm_cvtss_f32(h);
}

/* out[j] = bias[j] (or 0) + the dot of row j of w (rows `stride` floats
 * apart) with x, for nr (1..4, a constant) rows. */
static inline __attribute__((always_inline)) void
se_dots(const int nr, const float *w, size_t stride, const float *x, int n, const float *bias, float *out)
{
    __m512 s[4];
#pragma GCC unroll 4
    for (int j = 0; j < nr; j++) s[j] = _mm512_setzero_ps();
    int i = 0;
    for (; i + 16 <= n; i += 16) {
        const __m512 xv = _mm512_loadu_ps(x + i);
#pragma GCC unroll 4
        for (int j = 0; j < nr; j++) s[j] = _mm512_fmadd_ps(_mm512_loadu_ps(w + j * stride + i), xv, s[j]);
    }
    for (; i < n; i += 8) {
        /* all 8 low lanes, missing elements as zeros: AVX2 adds 0 * 0
         * there too (which turns a -0 partial sum into +0) */
        const __mmask16 m = avx512_tail_mask((size_t)(n - i < 8 ? n - i : 8));
        const __m512 xv = _mm512_maskz_loadu_ps(m, x + i);
#pragma GCC unroll 4
        for (int j = 0; j < nr; j++)
            s[j] = _mm512_mask3_fmadd_ps(_mm512_maskz_loadu_ps(m, w + j * stride + i), xv, s[j], 0x00ff);
    }
#pragma GCC unroll 4
    for (int j = 0; j < nr; j++) out[j] = (bias ? bias[j] : 0.0f) + se_hsum(s[j]);
}

/* out[r] = bias[r] + w[r] . x for rows 0..rows-1, four at a time. */
static void se_matvec(const float *w, int rows, int n, const float *x, const float *bias, float *out)
{
    int r = 0;
    for (; r + 4 <= rows; r += 4) se_dots(4, w + (size_t)r * n, (size_t)n, x, n, bias ? bias + r : 0, out + r);
    for (; r < rows; r++) se_dots(1, w + (size_t)r * n, (size_t)n, x, n, bias ? bias + r : 0, out + r);
}

ops_status f32_se_gate_avx512(const ops_se_args *a)
{
    if (!a || !a->mean || !a->w1 || !a->w2 || !a->gate || !a->scratch) return OPS_ERR_ARG;
    se_matvec(a->w1, a->rc, a->c, a->mean, a->b1, a->scratch);
    f32_act_avx512(a->scratch, a->rc > 0 ? (size_t)a->rc : 0, a->act);
    se_matvec(a->w2, a->c, a->rc, a->scratch, a->b2, a->gate);
    f32_act_avx512(a->gate, a->c > 0 ? (size_t)a->c : 0, a->gate_act);
    return OPS_OK;
}
