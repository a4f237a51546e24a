/* The int8 epilogue's activation on zmm (q8_avx512_act, ops/x86/q8-avx512.h)
 * in array form, so that tests (built without AVX-512 flags) can hold it
 * against ops_q8_act8 (u8: uint8 outputs) and ops_q8_act value by value:
 * through a GEMM, the rounding to uint8 hides all but a rare flip of the
 * last bits. */
#include <immintrin.h>
#include "kernels-internal.h"
#include "q8-avx512.h"

void q8_vact_avx512(const float *x, float *y, size_t n, ops_act act, int u8)
{
    for (size_t i = 0; i < n; i += 16) {
        const __mmask16 m = (__mmask16)(n - i >= 16 ? 0xffffu : (1u << (n - i)) - 1u);
        const __m512 v = _mm512_maskz_loadu_ps(m, x + i);
        _mm512_mask_storeu_ps(y + i, m, u8 ? q8_avx512_act(v, act, 1) : q8_avx512_act(v, act, 0));
    }
}
