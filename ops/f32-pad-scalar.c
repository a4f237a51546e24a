/* Constant padding (and cropping, for negative pads) of an N-d tensor:
 * ONNX Pad in "constant" mode when it cannot be folded into a convolution. */
#include "ops.h"

ops_status f32_pad_scalar(const ops_pad_args *g)
{
    if (!g || g->rank < 0 || g->rank > OPS_MAX_RANK) return OPS_ERR_ARG;
    size_t od[OPS_MAX_RANK], count = 1;
    for (int d = 0; d < g->rank; d++) {
        long n = (long)g->in_dims[d] + g->pad_lo[d] + g->pad_hi[d];
        if (n < 0) return OPS_ERR_ARG;
        od[d] = (size_t)n;
        count *= od[d];
    }
    if (!count) return OPS_OK;
    if (!g->in || !g->out) return OPS_ERR_ARG;
    size_t idx[OPS_MAX_RANK] = { 0 };
    for (size_t q = 0; q < count; q++) {
        size_t off = 0;
        int inside = 1;
        for (int d = 0; d < g->rank; d++) {
            long i = (long)idx[d] - g->pad_lo[d];
            if (i < 0 || i >= (long)g->in_dims[d]) { inside = 0; break; }
            off = off * g->in_dims[d] + (size_t)i;
        }
        g->out[q] = inside ? g->in[off] : g->value;
        for (int d = g->rank - 1; d >= 0; d--) {
            if (++idx[d] < od[d]) break;
            idx[d] = 0;
        }
    }
    return OPS_OK;
}
