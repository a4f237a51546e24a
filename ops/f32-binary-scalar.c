/* Elementwise binary ops with numpy broadcasting, by strides: the general
 * Add/Sub/Mul/Div an exporter may leave outside the fusable patterns. */
#include "ops.h"

static float apply(ops_binary_op op, float x, float y)
{
    switch (op) {
    case OPS_BIN_ADD: return x + y;
    case OPS_BIN_SUB: return x - y;
    case OPS_BIN_MUL: return x * y;
    case OPS_BIN_DIV: return x / y;
    }
    return x;
}

ops_status f32_binary_scalar(const ops_binary_args *g)
{
    if (!g || g->rank < 0 || g->rank > OPS_MAX_RANK || (unsigned)g->op > OPS_BIN_DIV) return OPS_ERR_ARG;
    size_t count = 1;
    for (int d = 0; d < g->rank; d++) count *= g->dims[d];
    if (!count) return OPS_OK;
    if (!g->a || !g->b || !g->out) return OPS_ERR_ARG;
    /* an odometer over the output index; the innermost axis runs as a loop */
    size_t idx[OPS_MAX_RANK] = { 0 }, ia = 0, ib = 0;
    size_t inner = g->rank ? g->dims[g->rank - 1] : 1;
    size_t sa = g->rank ? g->a_stride[g->rank - 1] : 0, sb = g->rank ? g->b_stride[g->rank - 1] : 0;
    float *o = g->out;
    for (size_t done = 0; done < count; done += inner) {
        for (size_t j = 0; j < inner; j++) *o++ = apply(g->op, g->a[ia + j * sa], g->b[ib + j * sb]);
        for (int d = g->rank - 2; d >= 0; d--) {
            ia += g->a_stride[d]; ib += g->b_stride[d];
            if (++idx[d] < g->dims[d]) break;
            ia -= g->a_stride[d] * g->dims[d]; ib -= g->b_stride[d] * g->dims[d];
            idx[d] = 0;
        }
    }
    return OPS_OK;
}
