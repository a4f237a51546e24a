/* The 16x8 1x1 convolution with AVX512_VNNI: one vpdpwssd per int16 pair
 * of k (body and layout in q16-gemm-avx512.h; B packed by
 * q16_gemm_pack_avx512, the same panels as the F/BW kernel's). */
#include "q16-gemm-avx512.h"

ops_status q16_gemm_12x32_avx512vnni(const ops_q16_gemm_args *g, void *scratch)
{
    if (!g || (g->m && g->n && (!g->a || !g->c || !g->out.mult || !g->k))) return OPS_ERR_ARG;
    if (!g->m || !g->n) return OPS_OK;
    if (!g->b_packed) return q16_gemm_scalar(g, scratch);
    q16g_run(g);
    return OPS_OK;
}
