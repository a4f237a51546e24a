/*
 * kernels-internal.h -- the per-ISA kernel tables and the SIMD entry points
 * behind them. Internal to ops/ and its tests; the engine sees only the
 * tables, through ops_kernels_for() in dispatch.h.
 *
 * Adding an ISA: add its kernel files, one table here, and one case in
 * ops/dispatch.c. The AVX2 table is defined in ops/x86/kernels-avx2.c (built
 * on x86-64 only); the NEON table belongs in ops/arm/ (built on aarch64).
 */
#ifndef EFFAD_OPS_KERNELS_INTERNAL_H
#define EFFAD_OPS_KERNELS_INTERNAL_H

#include <stddef.h>
#include "ops.h"
#include "dispatch.h"

/* Whether g is a shape the fixed K x K depthwise kernels (K = 3 or 5) of
 * every SIMD table are built for: K x K, dilation 1, stride 1 or 2 (the
 * only ones MBConv uses). Each table's entry routes by it, and each fixed
 * kernel refuses anything else; any other stride of a 3x3 or 5x5 goes to
 * the table's any-k kernel, the same arithmetic read from the geometry. A
 * third, stride-generic instance in each fixed file was a third of its
 * compile time (q8-dwconv-5x5-avx512.c 33 -> 24 s), paid by every build
 * of CI, for shapes no EfficientNet has. */
static inline int ops_dw_fixed_kxk(const ops_conv_geom *g, int k)
{
    return g->kh == k && g->kw == k && g->dil_h == 1 && g->dil_w == 1 &&
           ((g->stride_h == 1 && g->stride_w == 1) || (g->stride_h == 2 && g->stride_w == 2));
}

extern const ops_q16_kernels ops_scalar_q16; /* ops/dispatch.c: the 16x8 references */
extern const ops_q8_kernels ops_scalar_q8;   /* ops/dispatch.c: the int8 references (DSP ones on Arm DSP cores) */
extern const ops_kernels ops_avx2_kernels;   /* x86-64: ops/x86/kernels-avx2.c */
extern const ops_kernels ops_avx2vnni_kernels;    /* the same, int8 GEMM by VEX VPDPBUSD (AVX-VNNI) */
extern const ops_kernels ops_avx512_kernels;      /* x86-64: ops/x86/kernels-avx512.c (F, DQ, BW, VL) */
extern const ops_kernels ops_avx512vnni_kernels;  /* the same, int8 GEMM by VPDPBUSD (AVX512_VNNI) */
extern const ops_kernels ops_neon_kernels;   /* aarch64: ops/arm/kernels-neon.c (any Armv8-A) */
extern const ops_kernels ops_neondot_kernels;   /* aarch64: the same, int8 GEMM by SDOT (Armv8.2 dotprod) */

/* ---- Arm DSP extension (files ops/arm/q8-...-dsp.c) -------------------------------- *
 * int8 kernels built from the 16-bit SIMD multiply-accumulates of the DSP
 * extension (Cortex-M4/M7/M33, 32-bit Armv7-A), bit-identical to the
 * references; the scalar table uses them when the build targets the
 * extension. Elsewhere they compile as portable C (ops/arm/q8-dsp.h) so
 * that the tests hold them against the references on any host. B is read
 * in place (no packing: on a microcontroller the weights stay in flash). */
size_t     q8_gemm_buffer_size_dsp(size_t m, size_t n, size_t k);
ops_status q8_gemm_2x2_dsp(const ops_q8_gemm_args *a, void *scratch);
ops_status q8_dwconv_hwc_dsp(const ops_q8_dwconv_args *a);

#if defined(__x86_64__)
/* ---- AVX2 + FMA (files ops/x86/f32-...-avx2.c) ------------------------------------- *
 * Callable only when ops_isa_available(OPS_ISA_AVX2). Same contracts as the
 * scalar references in ops.h; shapes a fast path does not cover are handed
 * to the scalar reference. */
ops_status f32_conv_hwc_avx2(const ops_conv_args *a);
ops_status f32_dwconv_hwc_avx2(const ops_dwconv_args *a);      /* wrapper */
ops_status f32_dwconv_3x3_avx2(const ops_dwconv_args *a);      /* kh=kw=3, s1/s2 (ops_dw_fixed_kxk) */
ops_status f32_dwconv_5x5_avx2(const ops_dwconv_args *a);      /* kh=kw=5, s1/s2 (ops_dw_fixed_kxk) */
ops_status f32_dwconv_kxk_avx2(const ops_dwconv_args *a);      /* any k, dil 1 */
/* The GEMM packs B (scaled by a_scale when given) into 16-column panels in
 * the scratch; with scratch == NULL it reads B in place instead. */
size_t     f32_gemm_buffer_size_avx2(size_t m, size_t n, size_t k);
ops_status f32_gemm_6x16_avx2(const ops_gemm_args *a, void *scratch);
/* B packed once for many calls (a->b_packed); dst 32-byte aligned. */
size_t     f32_gemm_pack_buffer_size_avx2(size_t n, size_t k);
ops_status f32_gemm_pack_avx2(const ops_gemm_args *a, float *dst);
/* AVX-512 (ops/x86/f32-gemm-12x32-avx512.c): the same contract with
 * 32-column panels, and the AVX2 GEMM's bits. */
size_t     f32_gemm_buffer_size_avx512(size_t m, size_t n, size_t k);
ops_status f32_gemm_12x32_avx512(const ops_gemm_args *a, void *scratch);
size_t     f32_gemm_pack_buffer_size_avx512(size_t n, size_t k);
ops_status f32_gemm_pack_avx512(const ops_gemm_args *a, float *dst);
ops_status f32_se_gate_avx2(const ops_se_args *a);
ops_status f32_mean_hw_avx2(const float *in, size_t hw, size_t c, float *out);
ops_status f32_act_avx2(float *x, size_t n, ops_act act);
/* Array forms of the vector math in ops/x86/avx2-math.h, for the accuracy
 * tests and the benchmark (y may alias x). */
void f32_vexp_avx2(const float *x, float *y, size_t n);
void f32_vsigmoid_avx2(const float *x, float *y, size_t n);
void f32_vswish_avx2(const float *x, float *y, size_t n);

/* ---- AVX-512 F/DQ/BW/VL (files ops/x86/f32-...-avx512.c) -------------------------- *
 * Callable only when ops_isa_available(OPS_ISA_AVX512). Each gives the
 * bits of the AVX2 kernel of the same name (same operations per output). */
ops_status f32_conv_hwc_avx512(const ops_conv_args *a);
ops_status f32_dwconv_hwc_avx512(const ops_dwconv_args *a);    /* wrapper */
ops_status f32_dwconv_3x3_avx512(const ops_dwconv_args *a);    /* kh=kw=3, s1/s2 (ops_dw_fixed_kxk) */
ops_status f32_dwconv_5x5_avx512(const ops_dwconv_args *a);    /* kh=kw=5, s1/s2 (ops_dw_fixed_kxk) */
ops_status f32_dwconv_kxk_avx512(const ops_dwconv_args *a);    /* any k, dil 1 */
ops_status f32_se_gate_avx512(const ops_se_args *a);
ops_status f32_mean_hw_avx512(const float *in, size_t hw, size_t c, float *out);
ops_status f32_act_avx512(float *x, size_t n, ops_act act);

/* int8 (files ops/x86/q8-...-avx2.c): bit-identical to the scalar
 * references of ops/q8.h. The GEMM needs B packed by q8_gemm_pack_avx2
 * (it hands other calls to the reference). */
ops_status q8_gemm_6x16_avx2(const ops_q8_gemm_args *a, void *scratch);
size_t     q8_gemm_buffer_size_avx2(size_t m, size_t n, size_t k);
size_t     q8_gemm_pack_buffer_size_avx2(size_t n, size_t k);
ops_status q8_gemm_pack_avx2(const ops_q8_gemm_args *a, void *dst);
size_t     q8_gemm_pack_offset_avx2(size_t j0, size_t k);
/* The same GEMM by VEX VPDPBUSD (q8-gemm-6x16-avxvnni.c, AVX-VNNI): B
 * packed by q8_gemm_pack_avxvnni into the same sizes and offsets (the
 * _avx2 companions serve it), every panel in k quads. */
ops_status q8_gemm_6x16_avxvnni(const ops_q8_gemm_args *a, void *scratch);
ops_status q8_gemm_pack_avxvnni(const ops_q8_gemm_args *a, void *dst);
/* The AVX2 depthwise bodies built with AVX-VNNI (files
 * ops/x86/q8-dwconv-...-avxvnni.c, q16-dwconv-...-avxvnni.c): each
 * vpmaddwd + vpaddd one VEX vpdpwssd, the same integers. */
ops_status q8_dwconv_hwc_avxvnni(const ops_q8_dwconv_args *a);    /* wrapper */
ops_status q8_dwconv_3x3_avxvnni(const ops_q8_dwconv_args *a);    /* kh=kw=3, s1/s2 (ops_dw_fixed_kxk) */
ops_status q8_dwconv_5x5_avxvnni(const ops_q8_dwconv_args *a);    /* kh=kw=5, s1/s2 (ops_dw_fixed_kxk) */
ops_status q16_gemm_6x16_avxvnni(const ops_q16_gemm_args *a, void *scratch);   /* B packed by q16_gemm_pack_avx2 */
ops_status q16_dwconv_hwc_avxvnni(const ops_q16_dwconv_args *a);  /* wrapper */
ops_status q16_dwconv_3x3_avxvnni(const ops_q16_dwconv_args *a);  /* kh=kw=3, s1/s2 (ops_dw_fixed_kxk) */
ops_status q16_dwconv_5x5_avxvnni(const ops_q16_dwconv_args *a);  /* kh=kw=5, s1/s2 (ops_dw_fixed_kxk) */
ops_status q8_dwconv_hwc_avx2(const ops_q8_dwconv_args *a);   /* wrapper */
ops_status q8_dwconv_3x3_avx2(const ops_q8_dwconv_args *a);   /* kh=kw=3, s1/s2 (ops_dw_fixed_kxk) */
ops_status q8_dwconv_5x5_avx2(const ops_q8_dwconv_args *a);   /* kh=kw=5, s1/s2 (ops_dw_fixed_kxk) */
/* AVX-512 F/BW/DQ/VL (files ops/x86/q8-dwconv-...-avx512.c): the same
 * contract and bits, 32 channels a step, channel tails under opmasks. */
ops_status q8_dwconv_hwc_avx512(const ops_q8_dwconv_args *a);   /* wrapper */
ops_status q8_dwconv_3x3_avx512(const ops_q8_dwconv_args *a);   /* kh=kw=3, s1/s2 (ops_dw_fixed_kxk) */
ops_status q8_dwconv_5x5_avx512(const ops_q8_dwconv_args *a);   /* kh=kw=5, s1/s2 (ops_dw_fixed_kxk) */
/* The same with AVX512_VNNI (files ops/x86/q8-dwconv-...-avx512vnni.c):
 * the multiply-adds by vpdpwssd. */
ops_status q8_dwconv_hwc_avx512vnni(const ops_q8_dwconv_args *a);   /* wrapper */
ops_status q8_dwconv_3x3_avx512vnni(const ops_q8_dwconv_args *a);   /* kh=kw=3, s1/s2 (ops_dw_fixed_kxk) */
ops_status q8_dwconv_5x5_avx512vnni(const ops_q8_dwconv_args *a);   /* kh=kw=5, s1/s2 (ops_dw_fixed_kxk) */
ops_status q8_scale_channels_avx2(const uint8_t *in, size_t pixels, size_t c, int32_t in_zero, const float *mult,
                                  int32_t out_zero, uint8_t *out);
ops_status q8_quantize_avx2(const float *x, size_t n, float inv_scale, int32_t zero, uint8_t *q);
ops_status q8_dequantize_avx2(const uint8_t *q, size_t n, float scale, int32_t zero, float *x);
ops_status q8_sum_hw_avx2(const uint8_t *in, size_t hw, size_t c, int32_t *out);
ops_status q8_se_gate_avx2(const ops_q8_se_args *a);

/* 16x8 (files ops/x86/q16-...-avx2.c): bit-identical to the scalar
 * references of ops/q16.h. The GEMM needs B packed by q16_gemm_pack_avx2
 * (int16 k pairs in 16-column panels; without it, the reference). */
ops_status q16_gemm_6x16_avx2(const ops_q16_gemm_args *a, void *scratch);
size_t     q16_gemm_buffer_size_avx2(size_t m, size_t n, size_t k);
size_t     q16_gemm_pack_buffer_size_avx2(size_t n, size_t k);
ops_status q16_gemm_pack_avx2(const ops_q16_gemm_args *a, void *dst);
size_t     q16_gemm_pack_offset_avx2(size_t j0, size_t k);
ops_status q16_dwconv_hwc_avx2(const ops_q16_dwconv_args *a);   /* wrapper */
ops_status q16_dwconv_3x3_avx2(const ops_q16_dwconv_args *a);   /* kh=kw=3, s1/s2 (ops_dw_fixed_kxk) */
ops_status q16_dwconv_5x5_avx2(const ops_q16_dwconv_args *a);   /* kh=kw=5, s1/s2 (ops_dw_fixed_kxk) */
ops_status q16_scale_channels_avx2(const int16_t *in, size_t pixels, size_t c, const float *mult, int16_t *out);
ops_status q16_quantize_avx2(const float *x, size_t n, float inv_scale, int16_t *q);
ops_status q16_dequantize_avx2(const int16_t *q, size_t n, float scale, float *x);
ops_status q16_sum_hw_avx2(const int16_t *in, size_t hw, size_t c, int32_t *out);

/* ---- AVX-512 VNNI (files ops/x86/q8-...-avx512vnni.c) ------------------------------ *
 * int8, bit-identical to the scalar references of ops/q8.h. The GEMM needs
 * B packed by q8_gemm_pack_avx512vnni (its own layout: 32-column panels of
 * k quads; it hands other calls to the reference). */
ops_status q8_gemm_12x32_avx512vnni(const ops_q8_gemm_args *a, void *scratch);
size_t     q8_gemm_buffer_size_avx512vnni(size_t m, size_t n, size_t k);
size_t     q8_gemm_pack_buffer_size_avx512vnni(size_t n, size_t k);
ops_status q8_gemm_pack_avx512vnni(const ops_q8_gemm_args *a, void *dst);   /* dst 64-byte aligned */
size_t     q8_gemm_pack_offset_avx512vnni(size_t j0, size_t k);
/* The int8 epilogue's activation on zmm in array form, for the tests
 * (ops/x86/q8-act-avx512.c: AVX-512 F, no VNNI). */
void       q8_vact_avx512(const float *x, float *y, size_t n, ops_act act, int u8);

/* ---- AVX-512 16x8 (files ops/x86/q16-...-avx512.c, -avx512vnni.c) ------------------ *
 * int16 activations, int8 weights, bit-identical to the scalar references
 * of ops/q16.h. Glue (F/BW/DQ/VL): */
ops_status q16_scale_channels_avx512(const int16_t *in, size_t pixels, size_t c, const float *mult, int16_t *out);
ops_status q16_quantize_avx512(const float *x, size_t n, float inv_scale, int16_t *q);
ops_status q16_dequantize_avx512(const int16_t *q, size_t n, float scale, float *x);
ops_status q16_sum_hw_avx512(const int16_t *in, size_t hw, size_t c, int32_t *out);
/* The GEMM (ops/x86/q16-gemm-12x32-avx512.c, vpmaddwd) needs B packed by
 * q16_gemm_pack_avx512 (32-column panels of int16 k pairs; it hands other
 * calls to the reference); the VNNI one (-avx512vnni.c, vpdpwssd) reads
 * the same panels. */
ops_status q16_gemm_12x32_avx512(const ops_q16_gemm_args *a, void *scratch);
ops_status q16_gemm_12x32_avx512vnni(const ops_q16_gemm_args *a, void *scratch);
size_t     q16_gemm_buffer_size_avx512(size_t m, size_t n, size_t k);
size_t     q16_gemm_pack_buffer_size_avx512(size_t n, size_t k);
ops_status q16_gemm_pack_avx512(const ops_q16_gemm_args *a, void *dst);   /* dst 64-byte aligned */
size_t     q16_gemm_pack_offset_avx512(size_t j0, size_t k);
/* Depthwise, 32 channels a step (ops/x86/q16-dwconv-...-avx512.c; the
 * -avx512vnni.c files the same with vpdpwssd). */
ops_status q16_dwconv_hwc_avx512(const ops_q16_dwconv_args *a);       /* wrapper */
ops_status q16_dwconv_3x3_avx512(const ops_q16_dwconv_args *a);       /* kh=kw=3, s1/s2 (ops_dw_fixed_kxk) */
ops_status q16_dwconv_5x5_avx512(const ops_q16_dwconv_args *a);       /* kh=kw=5, s1/s2 (ops_dw_fixed_kxk) */
ops_status q16_dwconv_hwc_avx512vnni(const ops_q16_dwconv_args *a);   /* wrapper */
ops_status q16_dwconv_3x3_avx512vnni(const ops_q16_dwconv_args *a);   /* kh=kw=3, s1/s2 (ops_dw_fixed_kxk) */
ops_status q16_dwconv_5x5_avx512vnni(const ops_q16_dwconv_args *a);   /* kh=kw=5, s1/s2 (ops_dw_fixed_kxk) */
#endif

#endif /* EFFAD_OPS_KERNELS_INTERNAL_H */
