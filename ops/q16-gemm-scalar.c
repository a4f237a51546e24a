/* The 16x8 1x1 convolution, plain C: the oracle of every SIMD variant
 * (ops/q16.h for the arithmetic they must reproduce). */
#include "q16.h"

size_t q16_gemm_buffer_size_scalar(size_t m, size_t n, size_t k)
{
    (void)m; (void)n; (void)k;
    return 0;
}

ops_status q16_gemm_scalar(const ops_q16_gemm_args *g, void *scratch)
{
    (void)scratch;
    if (!g->m || !g->n) return OPS_OK;
    if (!g->a || !g->b || !g->c || !g->out.mult || g->k == 0) return OPS_ERR_ARG;
    for (size_t i = 0; i < g->m; i++) {
        const int16_t *a = g->a + i * g->a_stride;
        for (size_t j = 0; j < g->n; j++) {
            int64_t acc = 0;
            for (size_t kk = 0; kk < g->k; kk++) acc += (int32_t)a[kk] * (int32_t)g->b[kk * g->b_stride + j];
            const int32_t r = g->res ? g->res[i * g->res_stride + j] : 0;
            g->c[i * g->c_stride + j] = ops_q16_finish((float)acc, &g->out, j, g->res != 0, r, g->res_scale);
        }
    }
    return OPS_OK;
}
