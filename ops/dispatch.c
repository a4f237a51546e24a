/* ISA tables and the one-time choice between them. This file is built
 * without any -m flags, so it must not execute AVX itself: detection uses
 * cpuid and XGETBV only. */
#include "dispatch.h"
#include "kernels-internal.h"

#if defined(__x86_64__)
#include <cpuid.h>
#endif
/* aarch64 Linux with a C library: the kernel reports the dot-product
 * extension in the auxiliary vector. Freestanding builds (firmware,
 * make baremetal) have no getauxval; they decide at compile time. */
#if defined(__aarch64__) && defined(__linux__) && __STDC_HOSTED__
#include <sys/auxv.h>
#define OPS_HAVE_AUXV 1
#endif

static const ops_f32_kernels scalar_f32 = {
    .conv = f32_conv_hwc_scalar,
    .dwconv = f32_dwconv_hwc_scalar,
    .gemm = f32_gemm_scalar,
    .gemm_buffer_size = f32_gemm_buffer_size_scalar,
    .gemm_panel = 0,          /* the scalar GEMM reads B in place: nothing to pack */
    .se_gate = f32_se_gate_scalar,
    .mean_hw = f32_mean_hw_scalar,
    .act = f32_act_scalar,
};

/* The int8 references. A build for a core with the Arm DSP extension
 * (Cortex-M4/M7/M33, Armv7-A; no NEON kernels run there) gets the DSP
 * GEMM and depthwise instead: the same bits, two or four 16-bit
 * multiply-accumulates per instruction, B still read in place. */
#if defined(__ARM_FEATURE_DSP) && defined(__ARM_FEATURE_SIMD32)
#define SCALAR_NAME "scalar-dsp"
#define SCALAR_Q8(op) op##_dsp
#define SCALAR_Q8_GEMM q8_gemm_2x2_dsp
#else
#define SCALAR_NAME "scalar"
#define SCALAR_Q8(op) op##_scalar
#define SCALAR_Q8_GEMM q8_gemm_scalar
#endif

const ops_q8_kernels ops_scalar_q8 = {
    .gemm = SCALAR_Q8_GEMM,
    .gemm_buffer_size = SCALAR_Q8(q8_gemm_buffer_size),
    .gemm_panel = 0,          /* reads B in place */
    .gemm_a_mult = 0,         /* both read A in place: the engine rescales it first */
    .dwconv = SCALAR_Q8(q8_dwconv_hwc),
    .scale_channels = q8_scale_channels_scalar,
    .quantize = q8_quantize_scalar,
    .dequantize = q8_dequantize_scalar,
    .sum_hw = q8_sum_hw_scalar,
    .se_gate = q8_se_gate_scalar,
};

/* The 16x8 references (every ISA's table until it has its own). */
const ops_q16_kernels ops_scalar_q16 = {
    .gemm = q16_gemm_scalar,
    .gemm_buffer_size = q16_gemm_buffer_size_scalar,
    .gemm_panel = 0,          /* reads B in place */
    .dwconv = q16_dwconv_hwc_scalar,
    .scale_channels = q16_scale_channels_scalar,
    .quantize = q16_quantize_scalar,
    .dequantize = q16_dequantize_scalar,
    .sum_hw = q16_sum_hw_scalar,
};

static const ops_kernels scalar_kernels = { OPS_ISA_SCALAR, SCALAR_NAME, &scalar_f32, &ops_scalar_q8, &ops_scalar_q16 };

static const char *const isa_names[OPS_ISA_COUNT] = { "scalar", "avx2", "avx512", "neon" };

const char *ops_isa_name(ops_isa isa)
{
    return (unsigned)isa < OPS_ISA_COUNT ? isa_names[isa] : "unknown";
}

/* a and b spell the same name (no string.h here: the bare-metal build) */
static int same_name(const char *a, const char *b)
{
    while (*a && *a == *b) { a++; b++; }
    return !*a && !*b;
}

int ops_isa_parse(const char *name)
{
    for (int i = 0; i < OPS_ISA_COUNT; i++)
        if (same_name(isa_names[i], name)) return i;
    return -1;
}

#if defined(__x86_64__)
/* AVX2 + FMA usable: the CPU has AVX, FMA and AVX2 (cpuid), and the OS saves
 * the YMM state across context switches (OSXSAVE set and XCR0 bits 1-2,
 * SSE and AVX state, enabled) -- without the latter the first ymm
 * instruction faults even on a CPU that has it. */
static int x86_avx2_usable(void)
{
    unsigned eax, ebx, ecx, edx;
    if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return 0;
    const unsigned need1 = (1u << 12) | (1u << 27) | (1u << 28);   /* FMA, OSXSAVE, AVX */
    if ((ecx & need1) != need1) return 0;
    unsigned xcr0_lo, xcr0_hi;
    __asm__ volatile("xgetbv" : "=a"(xcr0_lo), "=d"(xcr0_hi) : "c"(0));
    (void)xcr0_hi;
    if ((xcr0_lo & 6u) != 6u) return 0;
    if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) return 0;
    return (ebx >> 5) & 1u;                                         /* AVX2 */
}

/* AVX-512 usable: AVX2 + FMA as above, the F, DQ, BW and VL subsets
 * (Skylake-SP, Ice Lake, Zen 4 and later all have the four), and the OS
 * saving the opmask and the upper zmm state (XCR0 bits 5-7). */
static int x86_avx512_usable(void)
{
    if (!x86_avx2_usable()) return 0;
    unsigned eax, ebx, ecx, edx, xcr0_lo, xcr0_hi;
    __asm__ volatile("xgetbv" : "=a"(xcr0_lo), "=d"(xcr0_hi) : "c"(0));
    (void)xcr0_hi;
    if ((xcr0_lo & 0xe6u) != 0xe6u) return 0;
    if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) return 0;
    const unsigned need = (1u << 16) | (1u << 17) | (1u << 30) | (1u << 31);   /* F, DQ, BW, VL */
    return (ebx & need) == need;
}

/* AVX-512 VNNI (VPDPBUSD: u8 x s8 products summed by fours into int32):
 * Cascade Lake, Ice Lake, Zen 4 and later. */
static int x86_has_avx512vnni(void)
{
    unsigned eax, ebx, ecx, edx;
    if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) return 0;
    return (ecx >> 11) & 1u;
}

/* AVX-VNNI (VEX-encoded VPDPBUSD on ymm): cpuid leaf 7 subleaf 1, EAX bit
 * 4. Intel's AVX2-only cores from Alder Lake on (Gracemont Atoms such as
 * the N100, Xeon 6 E-cores) and Zen 5. Needs no state beyond AVX's. */
static int x86_has_avxvnni(void)
{
    unsigned eax, ebx, ecx, edx;
    if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx) || eax < 1) return 0;   /* max subleaf */
    if (!__get_cpuid_count(7, 1, &eax, &ebx, &ecx, &edx)) return 0;
    return (eax >> 4) & 1u;
}
#endif

#if defined(__aarch64__)
/* The Armv8.2 dot product (SDOT/UDOT): optional in Armv8.2-A, so asked of
 * the CPU -- through Linux's HWCAP_ASIMDDP, which the kernel sets from the
 * ID registers (reading them from user space traps on older kernels).
 * Without Linux or a C library: whether this file was compiled for a CPU
 * that has it (-mcpu=cortex-a55, -march=armv8.2-a+dotprod, ...). */
static int arm_has_dotprod(void)
{
#if defined(OPS_HAVE_AUXV) && defined(HWCAP_ASIMDDP)
    return (getauxval(AT_HWCAP) & HWCAP_ASIMDDP) != 0;
#elif defined(__ARM_FEATURE_DOTPROD)
    return 1;
#else
    return 0;
#endif
}
#endif

int ops_isa_available(ops_isa isa)
{
    switch (isa) {
    case OPS_ISA_SCALAR: return 1;
#if defined(__x86_64__)
    case OPS_ISA_AVX2: return x86_avx2_usable();
    case OPS_ISA_AVX512: return x86_avx512_usable();
#endif
#if defined(__aarch64__)
    /* Advanced SIMD is mandatory in ARMv8-A; the table is ops/arm/'s. */
    case OPS_ISA_NEON: return 1;
#endif
    default: return 0;
    }
}

ops_isa ops_isa_best(void)
{
    if (ops_isa_available(OPS_ISA_AVX512)) return OPS_ISA_AVX512;
    if (ops_isa_available(OPS_ISA_AVX2)) return OPS_ISA_AVX2;
    if (ops_isa_available(OPS_ISA_NEON)) return OPS_ISA_NEON;
    return OPS_ISA_SCALAR;
}

/* Every table of this build; within an ISA the plain one first, then the
 * variants that need more of the CPU. */
static const ops_kernels *const all_tables[] = {
    &scalar_kernels,
#if defined(__x86_64__)
    &ops_avx2_kernels, &ops_avx2vnni_kernels, &ops_avx512_kernels, &ops_avx512vnni_kernels,
#endif
#if defined(__aarch64__)
    &ops_neon_kernels, &ops_neondot_kernels,
#endif
};

const ops_kernels *ops_kernels_at(size_t i)
{
    return i < sizeof all_tables / sizeof all_tables[0] ? all_tables[i] : 0;
}

int ops_kernels_run(const ops_kernels *k)
{
    if (!k || !ops_isa_available(k->isa)) return 0;
#if defined(__x86_64__)
    if (k == &ops_avx2vnni_kernels) return x86_has_avxvnni();
    if (k == &ops_avx512vnni_kernels) return x86_has_avx512vnni();
#endif
#if defined(__aarch64__)
    if (k == &ops_neondot_kernels) return arm_has_dotprod();
#endif
    return 1;
}

const ops_kernels *ops_kernels_named(const char *name)
{
    for (size_t i = 0; name && ops_kernels_at(i); i++)
        if (same_name(ops_kernels_at(i)->name, name)) return ops_kernels_at(i);
    return 0;
}

/* The last table of isa that this CPU runs: its best variant. */
const ops_kernels *ops_kernels_for(ops_isa isa)
{
    const ops_kernels *best = 0;
    for (size_t i = 0; ops_kernels_at(i); i++)
        if (ops_kernels_at(i)->isa == isa && ops_kernels_run(ops_kernels_at(i))) best = ops_kernels_at(i);
    return best;
}
