/* Squeeze-excite gate: two tiny fully-connected layers on the pooled vector. */
#include "ops.h"

ops_status f32_se_gate_scalar(const ops_se_args *a)
{
    if (!a || !a->mean || !a->w1 || !a->w2 || !a->gate || !a->scratch) return OPS_ERR_ARG;
    for (int r = 0; r < a->rc; r++) {
        float s = a->b1 ? a->b1[r] : 0.0f;
        const float *w = a->w1 + (size_t)r * a->c;
        for (int c = 0; c < a->c; c++) s += w[c] * a->mean[c];
        a->scratch[r] = ops_act_apply1(s, a->act);
    }
    for (int c = 0; c < a->c; c++) {
        float s = a->b2 ? a->b2[c] : 0.0f;
        const float *w = a->w2 + (size_t)c * a->rc;
        for (int r = 0; r < a->rc; r++) s += w[r] * a->scratch[r];
        a->gate[c] = ops_act_apply1(s, a->gate_act);
    }
    return OPS_OK;
}
