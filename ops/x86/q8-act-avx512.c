/* The int8 epilogue's activation on zmm (q8_avx512_act, ops/x86/q8-avx512.h)
 * in array form, so that tests (built without AVX-512 flags) can hold it
 * against ops_q8_act value by value: through a GEMM, the rounding to uint8
 * hides all but a rare flip of the last bits. */
#include <immintrin.h>
#include "kernels-internal.h"
#include "q8-avx512.h"

void q8_vact_avx512(const float *x, float *y, size_t n, ops_act act)
{
    for (size_t i = 0; i < n; i += 16) {
        const __mmask16 m = (__mmask16)(n - i >= 16 ? 0xffffu : (1u << (n - i)) - 1u);
        _mm512_mask_storeu_ps(y + i, m, q8_avx512_act(_mm512_maskz_loadu_ps(m, x + i), act));
    }
}
