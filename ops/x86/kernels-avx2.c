/* The AVX2 + FMA kernel table (Haswell and later, Zen and later). Chosen by
 * ops/dispatch.c only after cpuid and XGETBV say the CPU and OS run it. */
#include "kernels-internal.h"

const ops_kernels ops_avx2_kernels = {
    OPS_ISA_AVX2, "avx2",
    f32_conv_hwc_avx2,
    f32_dwconv_hwc_avx2,
    f32_gemm_scratch_bytes_avx2,
    f32_gemm_6x16_avx2,
    f32_se_gate_avx2,
    f32_mean_hw_avx2,
    f32_act_avx2,
    f32_gemm_pack_bytes_avx2,
    f32_gemm_pack_avx2,
};
