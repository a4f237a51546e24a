/*
 * q-kernel-test.h -- what the int8 and 16x8 kernel tests share: a seeded
 * generator, random activations (the epilogue's kinds, ONNX's defaults)
 * and each activation evaluated in double with libm, the reference the
 * scalar kernels are held to.
 */
#ifndef EFFAD_Q_KERNEL_TEST_H
#define EFFAD_Q_KERNEL_TEST_H

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include "ops.h"
#include "dispatch.h"
#include "q8.h"

/* xorshift64; a test may reseed it (rng_state = ...) for its own stream */
static uint64_t rng_state = 0x2545F4914F6CDD1Dull;
static uint32_t rnd(void)
{
    rng_state ^= rng_state << 13; rng_state ^= rng_state >> 7; rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state >> 32);
}
static float frand(float lo, float hi) { return lo + (hi - lo) * (float)(rnd() & 0xFFFFFF) / (float)0x1000000; }

/* swish twice as often: EfficientNet's activation */
static ops_act random_act(void)
{
    static const ops_act_kind kinds[] = { OPS_ACT_NONE, OPS_ACT_SWISH, OPS_ACT_SWISH, OPS_ACT_RELU, OPS_ACT_CLIP,
                                          OPS_ACT_SIGMOID, OPS_ACT_HARDSWISH, OPS_ACT_HARDSIGMOID };
    ops_act a = { kinds[rnd() % (sizeof kinds / sizeof kinds[0])], 0.0f, 6.0f };
    if (a.kind == OPS_ACT_HARDSIGMOID) { a.a = 0.2f; a.b = 0.5f; }   /* ONNX's defaults */
    return a;
}

static double act_exact(double x, ops_act a)
{
    switch (a.kind) {
    case OPS_ACT_NONE: return x;
    case OPS_ACT_RELU: return x > 0 ? x : 0;
    case OPS_ACT_CLIP: return x < a.a ? a.a : x > a.b ? a.b : x;
    case OPS_ACT_SIGMOID: return 1.0 / (1.0 + exp(-x));
    case OPS_ACT_SWISH: return x / (1.0 + exp(-x));
    case OPS_ACT_HARDSIGMOID: { double y = x * a.a + a.b; return y < 0 ? 0 : y > 1 ? 1 : y; }
    case OPS_ACT_HARDSWISH: { double y = x / 6.0 + 0.5; y = y < 0 ? 0 : y > 1 ? 1 : y; return x * y; }
    }
    return x;
}

/* test(kt) on every SIMD table of this build that this CPU runs, variants
 * included (avx2 and avx2-vnni, avx512 and avx512-vnni, neon and
 * neon-dotprod); the others say SKIP and why. prog names the test, what
 * the element type ("int8", "16x8"). The number of tables tested. */
static int for_each_simd_table(const char *prog, const char *what, void (*test)(const ops_kernels *))
{
    int tested = 0;
    for (int i = 1; i < OPS_ISA_COUNT; i++)
        if (!ops_isa_available((ops_isa)i))
            printf("%s: SKIP %s %s kernels: not available on this CPU or build\n", prog, ops_isa_name((ops_isa)i), what);
    for (size_t i = 0; ops_kernels_at(i); i++) {
        const ops_kernels *kt = ops_kernels_at(i);
        if (kt->isa == OPS_ISA_SCALAR || !ops_isa_available(kt->isa)) continue;
        if (!ops_kernels_run(kt)) {
            printf("%s: SKIP %s %s kernels: this CPU lacks its extension\n", prog, kt->name, what);
            continue;
        }
        tested++;
        test(kt);
    }
    return tested;
}

#endif
