/* In-place activation over an array (the gate, and any activation the
 * engine cannot fold into a producer's epilogue). */
#include <immintrin.h>
#include "kernels-internal.h"
#include "avx2-math.h"

ops_status f32_act_avx2(float *x, size_t n, ops_act act)
{
    if (n && !x) return OPS_ERR_ARG;
    if (act.kind == OPS_ACT_NONE) return OPS_OK;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(x + i, avx2_act_ps(_mm256_loadu_ps(x + i), act));
    if (i < n) {
        const __m256i m = avx2_tail_mask(n - i);
        _mm256_maskstore_ps(x + i, m, avx2_act_ps(_mm256_maskload_ps(x + i, m), act));
    }
    return OPS_OK;
}
