/* The NEON kernel tables; ops/dispatch.c hands out one of them on aarch64.
 * Both share the float32 and 16x8 kernels and the int8 depthwise and glue;
 * they differ in the int8 GEMM: SMLAL on int16 on every Armv8-A core, SDOT
 * where the CPU has the Armv8.2 dot-product extension (which has no
 * 16-bit form, so the 16x8 GEMM is SMLAL in both). */
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

static const ops_q8_kernels neon_q8 = {
    .gemm = q8_gemm_4x16_neon,
    .gemm_buffer_size = q8_gemm_buffer_size_neon,
    .gemm_panel = 16,         /* four int32x4 sums per row of a tile */
    .gemm_pack_buffer_size = q8_gemm_pack_buffer_size_neon,
    .gemm_pack = q8_gemm_pack_neon,
    .gemm_pack_offset = q8_gemm_pack_offset_neon,
    .gemm_a_mult = 1,         /* A is copied per tile row anyway (int16 a - a_zero) */
    .dwconv = q8_dwconv_hwc_neon,
    .scale_channels = q8_scale_channels_neon,
    .quantize = q8_quantize_neon,
    .dequantize = q8_dequantize_neon,
    .sum_hw = q8_sum_hw_neon,
    .se_gate = q8_se_gate_scalar,   /* two small mat-vecs per block: not worth a kernel */
};

static const ops_q8_kernels neondot_q8 = {
    .gemm = q8_gemm_4x16_neondot,
    .gemm_buffer_size = q8_gemm_buffer_size_neondot,
    .gemm_panel = 16,         /* four SDOT operands of 4 columns x 4 k per k quad */
    .gemm_pack_buffer_size = q8_gemm_pack_buffer_size_neondot,
    .gemm_pack = q8_gemm_pack_neondot,
    .gemm_pack_offset = q8_gemm_pack_offset_neondot,
    .gemm_a_mult = 1,         /* A is copied per tile row anyway (a - 128) */
    .dwconv = q8_dwconv_hwc_neon,
    .scale_channels = q8_scale_channels_neon,
    .quantize = q8_quantize_neon,
    .dequantize = q8_dequantize_neon,
    .sum_hw = q8_sum_hw_neon,
    .se_gate = q8_se_gate_scalar,
};

static const ops_q16_kernels neon_q16 = {
    .gemm = q16_gemm_4x16_neon,
    .gemm_buffer_size = q16_gemm_buffer_size_neon,
    .gemm_panel = 16,         /* four int32x4 sums per row of a tile */
    .gemm_pack_buffer_size = q16_gemm_pack_buffer_size_neon,
    .gemm_pack = q16_gemm_pack_neon,
    .gemm_pack_offset = q16_gemm_pack_offset_neon,
    .dwconv = q16_dwconv_hwc_neon,
    .scale_channels = q16_scale_channels_neon,
    .quantize = q16_quantize_neon,
    .dequantize = q16_dequantize_neon,
    .sum_hw = q16_sum_hw_neon,
};

const ops_kernels ops_neon_kernels = { OPS_ISA_NEON, "neon", &neon_f32, &neon_q8, &neon_q16 };
const ops_kernels ops_neondot_kernels = { OPS_ISA_NEON, "neon-dotprod", &neon_f32, &neondot_q8, &neon_q16 };
