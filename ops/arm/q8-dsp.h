/*
 * q8-dsp.h -- the Arm DSP extension's packed 16-bit operations that the
 * int8 kernels for Cortex-M4/M7/M33 (and 32-bit Armv7-A) are built from,
 * as ACLE intrinsics where the compiler targets the extension
 * (__ARM_FEATURE_DSP), and as portable C with the same results elsewhere,
 * so that the kernels compile, run and are tested on any host.
 *
 * A "pair" is a uint32_t holding two 16-bit halves, low and high.
 *   q8_dsp_sxtb16(x)       bytes 0 and 2 of x, sign-extended to a pair
 *   q8_dsp_uxtab16(p, x)   pair p + bytes 0 and 2 of x zero-extended
 *                          (each half modulo 2^16)
 *   q8_dsp_ror8(x)         x rotated right by 8 bits (bytes 1 and 3 move
 *                          to 0 and 2; the compiler folds it into the
 *                          extend's rotate operand)
 *   q8_dsp_smlad(x, y, a)  a + lo(x) lo(y) + hi(x) hi(y)  (signed halves)
 *   q8_dsp_smlabb(x, y, a) a + lo(x) lo(y)
 *   q8_dsp_smlatt(x, y, a) a + hi(x) hi(y)
 * The accumulations wrap modulo 2^32 (the instructions set the Q flag on
 * overflow and carry on); the kernels' sums never get there.
 */
#ifndef EFFAD_Q8_DSP_H
#define EFFAD_Q8_DSP_H

#include <stdint.h>

#if defined(__ARM_FEATURE_DSP) && defined(__ARM_FEATURE_SIMD32)
#define Q8_DSP_NATIVE 1
#include <arm_acle.h>
#endif

static inline uint32_t q8_dsp_ror8(uint32_t x) { return (x >> 8) | (x << 24); }

/* Four bytes at p, in memory order from the low byte up (the kernels
 * read unaligned words; Cortex-M3 and later load them in one LDR).
 * __builtin_memcpy, not memcpy: a -ffreestanding build (firmware) treats
 * memcpy as an ordinary function and would call it for every word. */
static inline uint32_t q8_dsp_load4(const void *p)
{
    const uint8_t *b = p;
#if defined(Q8_DSP_NATIVE) && defined(__ARMEL__)
    uint32_t v;
    __builtin_memcpy(&v, b, 4);
    return v;
#else
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
#endif
}

/* Two bytes at p, likewise (one LDRH). */
static inline uint32_t q8_dsp_load2(const void *p)
{
    const uint8_t *b = p;
#if defined(Q8_DSP_NATIVE) && defined(__ARMEL__)
    uint16_t v;
    __builtin_memcpy(&v, b, 2);
    return v;
#else
    return (uint32_t)b[0] | (uint32_t)b[1] << 8;
#endif
}

#if defined(Q8_DSP_NATIVE)

static inline uint32_t q8_dsp_sxtb16(uint32_t x) { return (uint32_t)__sxtb16((int8x4_t)x); }
static inline uint32_t q8_dsp_uxtab16(uint32_t p, uint32_t x) { return __uxtab16(p, x); }
static inline int32_t q8_dsp_smlad(uint32_t x, uint32_t y, int32_t a) { return __smlad((int16x2_t)x, (int16x2_t)y, a); }
static inline int32_t q8_dsp_smlabb(uint32_t x, uint32_t y, int32_t a) { return __smlabb((int32_t)x, (int32_t)y, a); }
static inline int32_t q8_dsp_smlatt(uint32_t x, uint32_t y, int32_t a) { return __smlatt((int32_t)x, (int32_t)y, a); }

#else

static inline int32_t q8_dsp_lo(uint32_t x) { return (int32_t)(int16_t)(uint16_t)(x & 0xFFFFu); }
static inline int32_t q8_dsp_hi(uint32_t x) { return (int32_t)(int16_t)(uint16_t)(x >> 16); }
static inline uint32_t q8_dsp_pair(int32_t lo, int32_t hi) { return ((uint32_t)lo & 0xFFFFu) | ((uint32_t)hi << 16); }

static inline uint32_t q8_dsp_sxtb16(uint32_t x)
{
    return q8_dsp_pair((int8_t)(uint8_t)(x & 0xFFu), (int8_t)(uint8_t)((x >> 16) & 0xFFu));
}

static inline uint32_t q8_dsp_uxtab16(uint32_t p, uint32_t x)
{
    return q8_dsp_pair((int32_t)((p + (x & 0xFFu)) & 0xFFFFu), (int32_t)(((p >> 16) + ((x >> 16) & 0xFFu)) & 0xFFFFu));
}

/* Sums in uint32_t: the wrap of the instruction, without C's signed overflow. */
static inline int32_t q8_dsp_smlad(uint32_t x, uint32_t y, int32_t a)
{
    return (int32_t)((uint32_t)a + (uint32_t)(q8_dsp_lo(x) * q8_dsp_lo(y)) + (uint32_t)(q8_dsp_hi(x) * q8_dsp_hi(y)));
}
static inline int32_t q8_dsp_smlabb(uint32_t x, uint32_t y, int32_t a)
{
    return (int32_t)((uint32_t)a + (uint32_t)(q8_dsp_lo(x) * q8_dsp_lo(y)));
}
static inline int32_t q8_dsp_smlatt(uint32_t x, uint32_t y, int32_t a)
{
    return (int32_t)((uint32_t)a + (uint32_t)(q8_dsp_hi(x) * q8_dsp_hi(y)));
}

#endif /* Q8_DSP_NATIVE */

/* (-zero, -zero) as a pair: q8_dsp_uxtab16 with it turns bytes 0 and 2 of
 * a uint8 word into x - zero, exact in int16 (|x - zero| <= 255). */
static inline uint32_t q8_dsp_neg_zero_pair(int32_t zero)
{
    const uint32_t h = (uint32_t)(-zero) & 0xFFFFu;
    return h | h << 16;
}

#endif /* EFFAD_Q8_DSP_H */
