/* Array forms of avx2_exp_ps / avx2_sigmoid_ps / avx2_swish_ps, so that tests and the
 * benchmark (built without -mavx2) can measure the vector math itself. */
#include <immintrin.h>
#include "kernels-internal.h"
#include "avx2-math.h"

void f32_vexp_avx2(const float *x, float *y, size_t n)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, avx2_exp_ps(_mm256_loadu_ps(x + i)));
    if (i < n) {
        const __m256i m = avx2_tail_mask(n - i);
        _mm256_maskstore_ps(y + i, m, avx2_exp_ps(_mm256_maskload_ps(x + i, m)));
    }
}

void f32_vsigmoid_avx2(const float *x, float *y, size_t n)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, avx2_sigmoid_ps(_mm256_loadu_ps(x + i)));
    if (i < n) {
        const __m256i m = avx2_tail_mask(n - i);
        _mm256_maskstore_ps(y + i, m, avx2_sigmoid_ps(_mm256_maskload_ps(x + i, m)));
    }
}

void f32_vswish_avx2(const float *x, float *y, size_t n)
{
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        __m256 v[4];
        for (int j = 0; j < 4; j++) v[j] = _mm256_loadu_ps(x + i + 8 * j);
        avx2_swish_n(v, 4);
        for (int j = 0; j < 4; j++) _mm256_storeu_ps(y + i + 8 * j, v[j]);
    }
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, avx2_swish_ps(_mm256_loadu_ps(x + i)));
    if (i < n) {
        const __m256i m = avx2_tail_mask(n - i);
        _mm256_maskstore_ps(y + i, m, avx2_swish_ps(_mm256_maskload_ps(x + i, m)));
    }
}
