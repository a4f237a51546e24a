/* Squeeze-excite gate: reduce (rc x c) and expand (c x rc) mat-vecs. */
#include "ops-neon.h"

/* Dot product with four independent accumulators: the SE vectors are up to
 * a few thousand long (B7 head blocks) and one FMA chain would stall. */
static float dot(const float *w, const float *x, int n)
{
    float32x4_t s0 = vdupq_n_f32(0.0f), s1 = s0, s2 = s0, s3 = s0;
    int i = 0;
    for (; i + 16 <= n; i += 16) {
        s0 = vfmaq_f32(s0, vld1q_f32(w + i), vld1q_f32(x + i));
        s1 = vfmaq_f32(s1, vld1q_f32(w + i + 4), vld1q_f32(x + i + 4));
        s2 = vfmaq_f32(s2, vld1q_f32(w + i + 8), vld1q_f32(x + i + 8));
        s3 = vfmaq_f32(s3, vld1q_f32(w + i + 12), vld1q_f32(x + i + 12));
    }
    for (; i + 4 <= n; i += 4) s0 = vfmaq_f32(s0, vld1q_f32(w + i), vld1q_f32(x + i));
    if (i < n) {
        size_t t = (size_t)(n - i);
        s1 = vfmaq_f32(s1, ops_neon_load_tail(w + i, t), ops_neon_load_tail(x + i, t));
    }
    return vaddvq_f32(vaddq_f32(vaddq_f32(s0, s1), vaddq_f32(s2, s3)));
}

ops_status f32_se_gate_neon(const ops_se_args *a)
{
    if (!a || !a->mean || !a->w1 || !a->w2 || !a->gate || !a->scratch) return OPS_ERR_ARG;
    if (a->c < 0 || a->rc < 0) return OPS_ERR_ARG;
    for (int r = 0; r < a->rc; r++)
        a->scratch[r] = (a->b1 ? a->b1[r] : 0.0f) + dot(a->w1 + (size_t)r * a->c, a->mean, a->c);
    f32_act_neon(a->scratch, (size_t)a->rc, a->act);
    for (int c = 0; c < a->c; c++)
        a->gate[c] = (a->b2 ? a->b2[c] : 0.0f) + dot(a->w2 + (size_t)c * a->rc, a->scratch, a->rc);
    f32_act_neon(a->gate, (size_t)a->c, a->gate_act);
    return OPS_OK;
}
