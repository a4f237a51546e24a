/* In-place activation over a flat array: the stand-alone activations and
 * the ones the fused epilogues cannot take (e.g. after a Concat). */
#include "ops-neon.h"

ops_status f32_act_neon(float *x, size_t n, ops_act act)
{
    if (n && !x) return OPS_ERR_ARG;
    if (act.kind == OPS_ACT_NONE) return OPS_OK;
    size_t i = 0;
    /* Two vectors a step: the exp polynomial is a chain of dependent FMAs,
     * and two independent chains keep the pipeline busy. */
    for (; i + 8 <= n; i += 8) {
        float32x4_t v0 = vld1q_f32(x + i), v1 = vld1q_f32(x + i + 4);
        vst1q_f32(x + i, ops_neon_actq(v0, act));
        vst1q_f32(x + i + 4, ops_neon_actq(v1, act));
    }
    for (; i + 4 <= n; i += 4) vst1q_f32(x + i, ops_neon_actq(vld1q_f32(x + i), act));
    if (i < n) ops_neon_store_tail(x + i, ops_neon_actq(ops_neon_load_tail(x + i, n - i), act), n - i);
    return OPS_OK;
}
