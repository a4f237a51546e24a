/*
 * dispatch.h -- kernel tables, one per (element type, instruction set).
 *
 * The ISA is chosen once (at model load) and the engine calls through the
 * tables; adding an ISA adds kernel files and its tables, never touches the
 * callers (XNNPACK's config pattern). A table owns the memory layout its
 * kernels want -- the packed-B panel width of its GEMM, the bytes of every
 * buffer a kernel needs (the *_buffer_size companions, CMSIS-NN's pattern)
 * -- so AVX-512's wider panels or int8's 4-byte k groups are properties of
 * their tables, not contracts shared by every ISA. The caller (the
 * engine's memory plan) asks each companion and owns all memory.
 *
 * EFFAD_ISA (a table's name, or an ISA's for its best table) in the
 * environment is read by the application, not here: ops/ has no getenv.
 */
#ifndef EFFAD_OPS_DISPATCH_H
#define EFFAD_OPS_DISPATCH_H

#include "ops.h"
#include "q8.h"
#include "q16.h"

typedef enum ops_isa {
    OPS_ISA_SCALAR = 0,
    OPS_ISA_AVX2,
    OPS_ISA_AVX512,
    OPS_ISA_NEON,
    OPS_ISA_COUNT
} ops_isa;

/* float32 kernels of one ISA (contracts in ops.h). */
typedef struct ops_f32_kernels {
    ops_status (*conv)(const ops_conv_args *a);
    ops_status (*dwconv)(const ops_dwconv_args *a);
    ops_status (*gemm)(const ops_gemm_args *a, void *scratch);
    /* Scratch one gemm call over an m x n x k problem needs (0: none). */
    size_t     (*gemm_buffer_size)(size_t m, size_t n, size_t k);
    /* Packing B once per layer for many gemm calls (NULL: the gemm reads or
     * packs B itself). Packed B is [ceil(n / gemm_panel)][k][gemm_panel]
     * floats, zero-padded, row kk scaled by a_scale[kk]; the panel holding
     * column j0 (a multiple of gemm_panel) starts at float j0 * k, which is
     * how the engine hands a column range of a layer to one worker. */
    size_t     gemm_panel;
    size_t     (*gemm_pack_buffer_size)(size_t n, size_t k);
    ops_status (*gemm_pack)(const ops_gemm_args *a, float *dst);
    ops_status (*se_gate)(const ops_se_args *a);
    ops_status (*mean_hw)(const float *in, size_t hw, size_t c, float *out);
    ops_status (*act)(float *x, size_t n, ops_act act);
} ops_f32_kernels;

/* int8 kernels of one ISA (contracts and arithmetic in q8.h). */
typedef struct ops_q8_kernels {
    ops_status (*gemm)(const ops_q8_gemm_args *a, void *scratch);
    size_t     (*gemm_buffer_size)(size_t m, size_t n, size_t k);
    /* Packing B once per layer (NULL: the gemm reads B in place). The
     * layout is the table's own (k groups, per-column sums); the panel
     * holding column j0 (a multiple of gemm_panel) starts gemm_pack_offset
     * bytes into it. */
    size_t     gemm_panel;
    size_t     (*gemm_pack_buffer_size)(size_t n, size_t k);
    ops_status (*gemm_pack)(const ops_q8_gemm_args *a, void *dst);
    size_t     (*gemm_pack_offset)(size_t j0, size_t k);
    /* 1: gemm requantises A by a_mult as it reads it, at about the cost of
     * the separate scale_channels pass it saves; 0: the engine rescales A
     * first (every gemm still gives a_mult's result, the reference by
     * requantising each product's input). */
    int        gemm_a_mult;
    ops_status (*dwconv)(const ops_q8_dwconv_args *a);
    ops_status (*scale_channels)(const uint8_t *in, size_t pixels, size_t c, int32_t in_zero, const float *mult,
                                 int32_t out_zero, uint8_t *out);
    ops_status (*quantize)(const float *x, size_t n, float inv_scale, int32_t zero, uint8_t *q);
    ops_status (*dequantize)(const uint8_t *q, size_t n, float scale, int32_t zero, float *x);
    ops_status (*sum_hw)(const uint8_t *in, size_t hw, size_t c, int32_t *out);
    ops_status (*se_gate)(const ops_q8_se_args *a);   /* float SE with int8 weights */
} ops_q8_kernels;

/* 16x8 kernels of one ISA: int16 activations, int8 weights (q16.h). The
 * same shape as the int8 table; the squeeze-excite gate is the int8
 * table's (float activations, int8 weights), and the gate's rescale is
 * scale_channels, which the engine runs on blocks of A's rows just before
 * the GEMM reads them (engine/run-q16.c; no a_mult form in the kernels). */
typedef struct ops_q16_kernels {
    ops_status (*gemm)(const ops_q16_gemm_args *a, void *scratch);
    size_t     (*gemm_buffer_size)(size_t m, size_t n, size_t k);
    size_t     gemm_panel;
    size_t     (*gemm_pack_buffer_size)(size_t n, size_t k);
    ops_status (*gemm_pack)(const ops_q16_gemm_args *a, void *dst);
    size_t     (*gemm_pack_offset)(size_t j0, size_t k);
    ops_status (*dwconv)(const ops_q16_dwconv_args *a);
    ops_status (*scale_channels)(const int16_t *in, size_t pixels, size_t c, const float *mult, int16_t *out);
    ops_status (*quantize)(const float *x, size_t n, float inv_scale, int16_t *q);
    ops_status (*dequantize)(const int16_t *q, size_t n, float scale, float *x);
    ops_status (*sum_hw)(const int16_t *in, size_t hw, size_t c, int32_t *out);
} ops_q16_kernels;

/* Every table of one ISA, keyed by element type. A NULL entry means this
 * ISA has no kernels of that type (the engine then refuses a model that
 * needs them, naming the ISA). */
typedef struct ops_kernels {
    ops_isa isa;
    const char *name;
    const ops_f32_kernels *f32;
    const ops_q8_kernels *q8;
    const ops_q16_kernels *q16;
} ops_kernels;

/* The best ISA this CPU runs (cpuid on x86, compile-time on aarch64:
 * NEON is part of Armv8-A). */
ops_isa ops_isa_best(void);
/* Whether this build has kernels for isa and this CPU can run them. */
int ops_isa_available(ops_isa isa);
const char *ops_isa_name(ops_isa isa);
/* Parses "scalar", "avx2", ...; returns -1 for an unknown name. */
int ops_isa_parse(const char *name);
/* The tables for isa, or NULL when ops_isa_available(isa) is false. An
 * ISA may have variants that this picks between by what the CPU has:
 * NEON's int8 GEMM uses the Armv8.2 dot product where the CPU has it
 * (table "neon-dotprod", HWCAP_ASIMDDP on Linux), SMLAL elsewhere
 * ("neon"); both give the same bits. Likewise AVX-512's int8 GEMM uses
 * VNNI's VPDPBUSD where the CPU has it ("avx512-vnni"), and AVX2's the
 * VEX form of it where the CPU has AVX-VNNI ("avx2-vnni"). */
const ops_kernels *ops_kernels_for(ops_isa isa);
/* Every table of this build, i = 0, 1, ... until NULL (whether or not this
 * CPU runs it); the one whose name is name (NULL: none); whether this CPU
 * runs k. By name a variant can be forced either way -- "avx2" is the
 * plain AVX2 table even on a CPU with AVX-VNNI (oneDNN's ONEDNN_MAX_CPU_ISA
 * draws the same line between AVX2 and AVX2_VNNI) -- which is how one
 * machine measures both. */
const ops_kernels *ops_kernels_at(size_t i);
const ops_kernels *ops_kernels_named(const char *name);
int ops_kernels_run(const ops_kernels *k);

#endif /* EFFAD_OPS_DISPATCH_H */
