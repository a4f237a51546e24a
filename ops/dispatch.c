/* ISA tables and the one-time choice between them. */
#include "dispatch.h"
#if defined(__aarch64__)
#include "arm/ops-neon.h"
#endif

static const ops_kernels scalar_kernels = {
    OPS_ISA_SCALAR, "scalar",
    f32_conv_hwc_scalar,
    f32_dwconv_hwc_scalar,
    f32_gemm_scratch_bytes_scalar,
    f32_gemm_scalar,
    f32_se_gate_scalar,
    f32_mean_hw_scalar,
    f32_act_scalar,
};

static const char *const isa_names[OPS_ISA_COUNT] = { "scalar", "avx2", "avx512", "neon" };

const char *ops_isa_name(ops_isa isa)
{
    return (unsigned)isa < OPS_ISA_COUNT ? isa_names[isa] : "unknown";
}

int ops_isa_parse(const char *name)
{
    for (int i = 0; i < OPS_ISA_COUNT; i++) {
        const char *a = isa_names[i], *b = name;
        while (*a && *a == *b) { a++; b++; }
        if (!*a && !*b) return i;
    }
    return -1;
}

int ops_isa_available(ops_isa isa)
{
#if defined(__aarch64__)
    /* Advanced SIMD is mandatory in ARMv8-A: no run-time probe needed. */
    if (isa == OPS_ISA_NEON) return 1;
#endif
    return isa == OPS_ISA_SCALAR;
}

ops_isa ops_isa_best(void)
{
#if defined(__aarch64__)
    return OPS_ISA_NEON;
#endif
    return OPS_ISA_SCALAR;
}

const ops_kernels *ops_kernels_for(ops_isa isa)
{
    if (!ops_isa_available(isa)) return 0;
    switch (isa) {
    case OPS_ISA_SCALAR: return &scalar_kernels;
#if defined(__aarch64__)
    case OPS_ISA_NEON: return &ops_neon_kernels;
#endif
    default: return 0;
    }
}
