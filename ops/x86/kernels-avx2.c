/* The AVX2 + FMA kernel tables (Haswell and later, Zen and later). Chosen
 * by ops/dispatch.c only after cpuid and XGETBV say the CPU and OS run it. */
#include "kernels-internal.h"

static const ops_f32_kernels avx2_f32 = {
    .conv = f32_conv_hwc_avx2,
    .dwconv = f32_dwconv_hwc_avx2,
    .gemm = f32_gemm_6x16_avx2,
    .gemm_buffer_size = f32_gemm_buffer_size_avx2,
    .gemm_panel = 16,         /* two ymm registers of B per k step */
    .gemm_pack_buffer_size = f32_gemm_pack_buffer_size_avx2,
    .gemm_pack = f32_gemm_pack_avx2,
    .se_gate = f32_se_gate_avx2,
    .mean_hw = f32_mean_hw_avx2,
    .act = f32_act_avx2,
};

/* Both int8 tables: the GEMMs share sizes, offsets and everything around them. */
#define AVX2_Q8_COMMON                                           \
    .gemm_buffer_size = q8_gemm_buffer_size_avx2,                \
    .gemm_panel = 16,         /* two ymm of B per k step */      \
    .gemm_pack_buffer_size = q8_gemm_pack_buffer_size_avx2,      \
    .gemm_pack_offset = q8_gemm_pack_offset_avx2,                \
    .gemm_a_mult = 1,         /* A is copied per block anyway */ \
    .scale_channels = q8_scale_channels_avx2,                    \
    .quantize = q8_quantize_avx2,                                \
    .dequantize = q8_dequantize_avx2,                            \
    .sum_hw = q8_sum_hw_avx2,                                    \
    .se_gate = q8_se_gate_avx2

static const ops_q8_kernels avx2_q8 = {
    .gemm = q8_gemm_6x16_avx2,
    .gemm_pack = q8_gemm_pack_avx2,
    .dwconv = q8_dwconv_hwc_avx2,
    AVX2_Q8_COMMON,
};

static const ops_q8_kernels avx2vnni_q8 = {
    .gemm = q8_gemm_6x16_avxvnni,
    .gemm_pack = q8_gemm_pack_avxvnni,
    .dwconv = q8_dwconv_hwc_avxvnni,
    AVX2_Q8_COMMON,
};

/* Both 16x8 tables: the GEMMs read the same packed B; all but the kernels. */
#define AVX2_Q16_COMMON                                          \
    .gemm_buffer_size = q16_gemm_buffer_size_avx2,               \
    .gemm_panel = 16,         /* two ymm of B per k pair */      \
    .gemm_pack_buffer_size = q16_gemm_pack_buffer_size_avx2,     \
    .gemm_pack = q16_gemm_pack_avx2,                             \
    .gemm_pack_offset = q16_gemm_pack_offset_avx2,               \
    .scale_channels = q16_scale_channels_avx2,                   \
    .quantize = q16_quantize_avx2,                               \
    .dequantize = q16_dequantize_avx2,                           \
    .sum_hw = q16_sum_hw_avx2

static const ops_q16_kernels avx2_q16 = {
    .gemm = q16_gemm_6x16_avx2,
    .dwconv = q16_dwconv_hwc_avx2,
    AVX2_Q16_COMMON,
};

static const ops_q16_kernels avx2vnni_q16 = {
    .gemm = q16_gemm_6x16_avxvnni,
    .dwconv = q16_dwconv_hwc_avxvnni,
    AVX2_Q16_COMMON,
};

const ops_kernels ops_avx2_kernels = { OPS_ISA_AVX2, "avx2", &avx2_f32, &avx2_q8, &avx2_q16 };
/* AVX2 + AVX-VNNI (Alder Lake and later Intel cores, Xeon 6 E-cores, Zen 5):
 * the int8 GEMM by VEX VPDPBUSD, the 16x8 GEMM and the quantised depthwise
 * by VEX VPDPWSSD, everything else the AVX2 table's. */
const ops_kernels ops_avx2vnni_kernels = { OPS_ISA_AVX2, "avx2-vnni", &avx2_f32, &avx2vnni_q8, &avx2vnni_q16 };
