/* The AVX-512 kernel tables (F, DQ, BW and VL: Skylake-SP, Ice Lake, Zen 4
 * and later), chosen by ops/dispatch.c only after cpuid and XGETBV say the
 * CPU and OS run it. Where no AVX-512 kernel of an operation exists yet,
 * the entry is the AVX2 one: every AVX-512 CPU runs AVX2 + FMA. */
#include "kernels-internal.h"

static const ops_f32_kernels avx512_f32 = {
    .conv = f32_conv_hwc_avx512,
    .dwconv = f32_dwconv_hwc_avx512,
    .gemm = f32_gemm_12x32_avx512,
    .gemm_buffer_size = f32_gemm_buffer_size_avx512,
    .gemm_panel = 32,
    .gemm_pack_buffer_size = f32_gemm_pack_buffer_size_avx512,
    .gemm_pack = f32_gemm_pack_avx512,
    .se_gate = f32_se_gate_avx512,
    .mean_hw = f32_mean_hw_avx512,
    .act = f32_act_avx512,
};

#define AVX512_Q8_COMMON                          \
    .scale_channels = q8_scale_channels_avx2,     \
    .quantize = q8_quantize_avx2,                 \
    .dequantize = q8_dequantize_avx2,             \
    .sum_hw = q8_sum_hw_avx2,                     \
    .se_gate = q8_se_gate_avx2

static const ops_q8_kernels avx512_q8 = {
    .gemm = q8_gemm_6x16_avx2,
    .gemm_buffer_size = q8_gemm_buffer_size_avx2,
    .gemm_panel = 16,
    .gemm_pack_buffer_size = q8_gemm_pack_buffer_size_avx2,
    .gemm_pack = q8_gemm_pack_avx2,
    .gemm_pack_offset = q8_gemm_pack_offset_avx2,
    .gemm_a_mult = 1,
    AVX512_Q8_COMMON,
    .dwconv = q8_dwconv_hwc_avx512,
};

static const ops_q8_kernels avx512vnni_q8 = {
    .gemm = q8_gemm_12x32_avx512vnni,
    .gemm_buffer_size = q8_gemm_buffer_size_avx512vnni,
    .gemm_panel = 32,         /* two zmm of k quads per row of B */
    .gemm_pack_buffer_size = q8_gemm_pack_buffer_size_avx512vnni,
    .gemm_pack = q8_gemm_pack_avx512vnni,
    .gemm_pack_offset = q8_gemm_pack_offset_avx512vnni,
    .gemm_a_mult = 1,         /* 6-21% under a scale_channels pass + the GEMM (B4, B0 projections) */
    AVX512_Q8_COMMON,
    .dwconv = q8_dwconv_hwc_avx512vnni,
};

/* both GEMMs read the same panels: 32 columns of int16 k pairs */
#define AVX512_Q16_GEMM_PACK                                  \
    .gemm_buffer_size = q16_gemm_buffer_size_avx512,          \
    .gemm_panel = 32,                                         \
    .gemm_pack_buffer_size = q16_gemm_pack_buffer_size_avx512, \
    .gemm_pack = q16_gemm_pack_avx512,                        \
    .gemm_pack_offset = q16_gemm_pack_offset_avx512

#define AVX512_Q16_GLUE                           \
    .scale_channels = q16_scale_channels_avx512,  \
    .quantize = q16_quantize_avx512,              \
    .dequantize = q16_dequantize_avx512,          \
    .sum_hw = q16_sum_hw_avx512

static const ops_q16_kernels avx512_q16 = {
    .gemm = q16_gemm_12x32_avx512,
    AVX512_Q16_GEMM_PACK,
    .dwconv = q16_dwconv_hwc_avx512,
    AVX512_Q16_GLUE,
};

static const ops_q16_kernels avx512vnni_q16 = {
    .gemm = q16_gemm_12x32_avx512vnni,
    AVX512_Q16_GEMM_PACK,
    .dwconv = q16_dwconv_hwc_avx512vnni,
    AVX512_Q16_GLUE,
};

const ops_kernels ops_avx512_kernels = { OPS_ISA_AVX512, "avx512", &avx512_f32, &avx512_q8, &avx512_q16 };
const ops_kernels ops_avx512vnni_kernels = { OPS_ISA_AVX512, "avx512-vnni", &avx512_f32, &avx512vnni_q8, &avx512vnni_q16 };
