/* In-place activation over an array (the gate, and any activation the
 * engine cannot fold into a producer's epilogue): f32_act_avx2 on zmm,
 * the same bits (avx512-math.h). */
#include <immintrin.h>
#include "kernels-internal.h"
#include "avx512-math.h"

ops_status f32_act_avx512(float *x, size_t n, ops_act act)
{
    if (n && !x) return OPS_ERR_ARG;
    if (act.kind == OPS_ACT_NONE) return OPS_OK;
    size_t i = 0;
    for (; i + 16 <= n; i += 16) _mm512_storeu_ps(x + i, avx512_act_ps(_mm512_loadu_ps(x + i), act));
    if (i < n) {
        const __mmask16 m = avx512_tail_mask(n - i);
        _mm512_mask_storeu_ps(x + i, m, avx512_act_ps(_mm512_maskz_loadu_ps(m, x + i), act));
    }
    return OPS_OK;
}
