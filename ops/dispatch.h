/*
 * dispatch.h -- one table of kernel entry points per instruction set.
 *
 * The ISA is chosen once (at model load) and the engine calls through the
 * table; adding an ISA adds kernel files and one table, never touches the
 * callers (XNNPACK's config pattern). EFFAD_ISA=scalar|avx2|avx512|neon in
 * the environment is read by the application, not here: ops/ has no getenv.
 */
#ifndef EFFAD_OPS_DISPATCH_H
#define EFFAD_OPS_DISPATCH_H

#include "ops.h"

typedef enum ops_isa {
    OPS_ISA_SCALAR = 0,
    OPS_ISA_AVX2,
    OPS_ISA_AVX512,
    OPS_ISA_NEON,
    OPS_ISA_COUNT
} ops_isa;

typedef struct ops_kernels {
    ops_isa isa;
    const char *name;
    ops_status (*conv)(const ops_conv_args *a);
    ops_status (*dwconv)(const ops_dwconv_args *a);
    size_t     (*gemm_scratch_bytes)(size_t m, size_t n, size_t k);
    ops_status (*gemm)(const ops_gemm_args *a, void *scratch);
    ops_status (*se_gate)(const ops_se_args *a);
    ops_status (*mean_hw)(const float *in, size_t hw, size_t c, float *out);
    ops_status (*act)(float *x, size_t n, ops_act act);
    /* Optional (NULL: the gemm packs, if it packs, by itself): bytes of a
     * packed B, and packing it (ops.h, OPS_GEMM_PANEL; dst 32-byte aligned). */
    size_t     (*gemm_pack_bytes)(size_t n, size_t k);
    ops_status (*gemm_pack)(const ops_gemm_args *a, float *dst);
} ops_kernels;

/* The best ISA this CPU runs (cpuid on x86, compile-time on aarch64). */
ops_isa ops_isa_best(void);
/* Whether this build has kernels for isa and this CPU can run them. */
int ops_isa_available(ops_isa isa);
const char *ops_isa_name(ops_isa isa);
/* Parses "scalar", "avx2", ...; returns -1 for an unknown name. */
int ops_isa_parse(const char *name);
/* The table for isa, or NULL when ops_isa_available(isa) is false. */
const ops_kernels *ops_kernels_for(ops_isa isa);

#endif /* EFFAD_OPS_DISPATCH_H */
