/* The NEON kernel tables; ops/dispatch.c hands them out on aarch64. */
#include "ops-neon.h"

static const ops_f32_kernels neon_f32 = {
    .conv = f32_conv_hwc_neon,
    .dwconv = f32_dwconv_hwc_neon,
    .gemm = f32_gemm_4x16_neon,
    .gemm_buffer_size = f32_gemm_buffer_size_neon,
    .gemm_panel = 0,          /* the NEON GEMM reads B in place: nothing to pack */
    .se_gate = f32_se_gate_neon,
    .mean_hw = f32_mean_hw_neon,
    .act = f32_act_neon,
};

const ops_kernels ops_neon_kernels = { OPS_ISA_NEON, "neon", &neon_f32, &ops_scalar_q8 };
