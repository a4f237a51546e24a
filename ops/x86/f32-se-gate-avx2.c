/* Squeeze-excite gate: two small matrix-vector products on the pooled
 * vector. Both weight matrices are stored row-major along the reduction
 * (w1 [rc][c], w2 [c][rc]), so each output is a contiguous dot product.
 *
 * Measured and not kept (B4, `effad bench --layers`, one thread, Zen 5 VM,
 * 2026-12-06, alternated runs): the weights are read once a pass from the
 * model's 4 KiB file pages (12 MB, ~3,000 pages, each a page walk), and
 * B4's squeeze-excite layers took 2.0-2.5 ms a pass on this table (1.3 on
 * AVX-512). Four rows at once, as the AVX-512 kernel runs them, changed
 * nothing (2.1-2.5). The same weights copied once into huge-page memory
 * took 0.68-0.75 ms. Copied by effad_pack beside the 1x1 weights (file
 * pages released, so the same peak RSS), B4's squeeze-excite went to
 * 0.74-0.84 ms on this table and 1.35-1.53 -> 0.80-0.86 on AVX-512 as
 * --layers times it, yet the pass did not move (bench/ab-builds.sh, eight
 * rounds of 20 passes: AVX2 103.2 against 103.6 ms, AVX-512 58.3 against
 * 58.1; the layers around it wait on the same memory once the timers'
 * barriers are gone), B4's start to first inference took 4 ms more (113.5
 * -> 117.5, ten pairs) and B0, whose 1.2 MB of such weights were not
 * slow, lost ~1 % a pass (SE 0.11 -> 0.13 ms): not kept. */
#include <immintrin.h>
#include "kernels-internal.h"
#include "avx2-math.h"

static float se_dot(const float *w, const float *x, int n)
{
    /* Two accumulators hide the FMA latency on the long (c-length) rows. */
    __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
    int i = 0;
    for (; i + 16 <= n; i += 16) {
        s0 = _mm256_fmadd_ps(_mm256_loadu_ps(w + i), _mm256_loadu_ps(x + i), s0);
        s1 = _mm256_fmadd_ps(_mm256_loadu_ps(w + i + 8), _mm256_loadu_ps(x + i + 8), s1);
    }
    for (; i < n; i += 8) {
        const __m256i m = avx2_tail_mask((size_t)(n - i < 8 ? n - i : 8));
        s0 = _mm256_fmadd_ps(_mm256_maskload_ps(w + i, m), _mm256_maskload_ps(x + i, m), s0);
    }
    const __m256 s = _mm256_add_ps(s0, s1);
    __m128 h = _mm_add_ps(_mm256_castps256_ps128(s), _mm256_extractf128_ps(s, 1));
    h = _mm_add_ps(h, _mm_movehl_ps(h, h));
    h = _mm_add_ss(h, _mm_movehdup_ps(h));
    return _mm_cvtss_f32(h);
}

ops_status f32_se_gate_avx2(const ops_se_args *a)
{
    if (!a || !a->mean || !a->w1 || !a->w2 || !a->gate || !a->scratch) return OPS_ERR_ARG;
    for (int r = 0; r < a->rc; r++)
        a->scratch[r] = (a->b1 ? a->b1[r] : 0.0f) + se_dot(a->w1 + (size_t)r * a->c, a->mean, a->c);
    f32_act_avx2(a->scratch, a->rc > 0 ? (size_t)a->rc : 0, a->act);
    for (int c = 0; c < a->c; c++)
        a->gate[c] = (a->b2 ? a->b2[c] : 0.0f) + se_dot(a->w2 + (size_t)c * a->rc, a->scratch, a->rc);
    f32_act_avx2(a->gate, a->c > 0 ? (size_t)a->c : 0, a->gate_act);
    return OPS_OK;
}
