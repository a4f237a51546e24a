/* GEMM with the 1x1-convolution epilogue; the oracle for every SIMD GEMM. */
#include "ops.h"

size_t f32_gemm_buffer_size_scalar(size_t m, size_t n, size_t k)
{
    (void)m; (void)n; (void)k;
    return 0;
}

ops_status f32_gemm_scalar(const ops_gemm_args *g, void *scratch)
{
    (void)scratch;
    if (!g || (g->m && (!g->a || !g->b || !g->c))) return OPS_ERR_ARG;
    for (size_t i = 0; i < g->m; i++) {
        const float *ar = g->a + i * g->a_stride;
        float *cr = g->c + i * g->c_stride;
        for (size_t j = 0; j < g->n; j++) cr[j] = g->bias ? g->bias[j] : 0.0f;
        for (size_t k = 0; k < g->k; k++) {
            float v = g->a_scale ? ar[k] * g->a_scale[k] : ar[k];
            const float *br = g->b + k * g->b_stride;
            for (size_t j = 0; j < g->n; j++) cr[j] += v * br[j];
        }
        for (size_t j = 0; j < g->n; j++) {
            cr[j] = ops_act_apply1(cr[j], g->act);
            if (g->res) cr[j] += g->res[i * g->res_stride + j];
        }
    }
    return OPS_OK;
}
