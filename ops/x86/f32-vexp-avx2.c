/* Array forms of avx2_exp_ps / avx2_sigmoid_ps / avx2_swish_ps, so that tests and the
 * benchmark (built without -mavx2) can measure the vector math itself. */
#include <immintrin.h>
#include "kernels-internal.h"
#include "avx2-math.h"

/* y[i] = f(x[i]) from index i on, 8 at a time, the tail masked; f is a
 * constant in every caller, so it is inlined. */
static inline __attribute__((always_inline)) void
apply_from(const float *x, float *y, size_t i, size_t n, __m256 (*f)(__m256))
{
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, f(_mm256_loadu_ps(x + i)));
    if (i < n) {
        const __m256i m = avx2_tail_mask(n - i);
        _mm256_maskstore_ps(y + i, m, f(_mm256_maskload_ps(x + i, m)));
    }
}

void f32_vexp_avx2(const float *x, float *y, size_t n) { apply_from(x, y, 0, n, avx2_exp_ps); }

void f32_vsigmoid_avx2(const float *x, float *y, size_t n) { apply_from(x, y, 0, n, avx2_sigmoid_ps); }

/* Four vectors at a time in lockstep pairs (avx2_swish_pairs), as the
 * depthwise row pass runs them; the rest one by one. */
void f32_vswish_avx2(const float *x, float *y, size_t n)
{
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        __m256 v[4];
        for (int j = 0; j < 4; j++) v[j] = _mm256_loadu_ps(x + i + 8 * j);
        avx2_swish_pairs(v, 4);
        for (int j = 0; j < 4; j++) _mm256_storeu_ps(y + i + 8 * j, v[j]);
    }
    apply_from(x, y, i, n, avx2_swish_ps);
}
