/* The NEON kernel table; ops/dispatch.c hands it out on aarch64. */
#include "ops-neon.h"

const ops_kernels ops_neon_kernels = {
    OPS_ISA_NEON, "neon",
    f32_conv_hwc_neon,
    f32_dwconv_hwc_neon,
    f32_gemm_scratch_bytes_neon,
    f32_gemm_4x16_neon,
    f32_se_gate_neon,
    f32_mean_hw_neon,
    f32_act_neon,
    0, 0,   /* the NEON GEMM reads B in place: nothing to pack */
};
