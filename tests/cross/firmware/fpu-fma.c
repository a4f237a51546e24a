/*
 * fpu-fma.c -- fmaf from the FPU's fused multiply-add (VFMA.F32, present
 * on every Cortex-M4F/M7 FPU), linked in place of newlib's.
 *
 * Why: ops/ is compiled -ffreestanding, so its fmaf calls are calls, and
 * newlib's fmaf computes (float)((double)x * y + z) -- two roundings,
 * which differ from one in rare halfway cases. The int8 epilogue
 * (ops/q8.h) is specified with a correctly rounded fmaf, as every other
 * ISA's kernels have it; with this file the firmware's int8 levels are
 * the host's bits. A firmware author on such a core would do the same.
 * __builtin_fmaf is expanded to the instruction (the build checks that
 * this function calls nothing).
 */
#include <math.h>

#if !defined(__ARM_FEATURE_FMA)
#error "fpu-fma.c: this FPU has no fused multiply-add"
#endif

float fmaf(float x, float y, float z)
{
    return __builtin_fmaf(x, y, z);
}
