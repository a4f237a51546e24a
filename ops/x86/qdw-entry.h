/*
 * qdw-entry.h -- a quantised depthwise table's entry: the checks and the
 * choice of kernel from the shape (the only place that branches on it).
 * One code for the AVX2 and AVX-512 bodies, int8 and 16x8 alike: included
 * by qdw-rows-avx2.h and qdw-rows-avx512.h inside each instantiation, with
 * their QDW_* macros defined and QDW_BLOCK_BYTES(kh, kw), the bytes one
 * channel block's prepared weights take in that body. No include guard:
 * each instantiation defines its own QDW(entry).
 */

/* k3, k5 and kxk are the table's kernels. Dilated or degenerate windows,
 * and those past what the body holds, go to the reference. */
static inline ops_status QDW(entry)(const QDW_ARGS *a, ops_status (*k3)(const QDW_ARGS *),
                                    ops_status (*k5)(const QDW_ARGS *), ops_status (*kxk)(const QDW_ARGS *))
{
    if (!QDW_ARGS_OK(a)) return OPS_ERR_ARG;
    const ops_conv_geom g = a->g;
    if (a->in_dims.c < 1 || g.dil_h != 1 || g.dil_w != 1 || g.kh < 1 || g.kw < 1 || g.stride_h < 1 ||
        g.stride_w < 1 || g.pad_top < 0 || g.pad_left < 0 || g.kh > QDW_MAX_KH || !QDW_TAPS_OK(g) ||
        QDW_BLOCK_BYTES(g.kh, g.kw) > QDW_PREP_BYTES)
        return QDW_SCALAR(a);
    if (ops_dw_fixed_kxk(&g, 3)) return k3(a);
    if (ops_dw_fixed_kxk(&g, 5)) return k5(a);
    return kxk(a);
}
