/* adler32-simd.h -- the bulk of an Adler-32 (checksum.h) sixteen bytes a
 * step in vector registers: SSE2 on x86-64 and NEON on aarch64, both part
 * of the base instruction set there, so no CPU check is needed. PNG
 * decoding sums every inflated byte (a 12-megapixel frame's 36 MB): the
 * scalar loop, eight bytes a step, was an eighth of its instructions.
 *
 * What it computes, for a run of n bytes (n a multiple of 16): with a0,
 * b0 the sums before it, a = a0 + sum p[i] and b = b0 + n a0 +
 * sum (n - i) p[i], all modulo 2^32 -- the totals the byte-by-byte
 * definition reaches before its modulo 65521, so checksum.c keeps the
 * runs short enough (5552 bytes) that those totals fit 32 bits and
 * reduces after each. Within a run, block j of 16 adds 16 times the bytes
 * before it to b (kept as a running sum of block sums) and its own bytes
 * weighted 16 .. 1. */
#ifndef EFFAD_ADLER32_SIMD_H
#define EFFAD_ADLER32_SIMD_H

#include <stddef.h>
#include <stdint.h>

/* 1 where adler32-simd.c has the real thing (checksum.c names the
 * function below only then: a firmware build compiles checksum.c alone). */
#if (defined(__x86_64__) && defined(__SSE2__)) || (defined(__aarch64__) && defined(__ARM_NEON))
#define ADLER32_HAVE_SIMD 1
#else
#define ADLER32_HAVE_SIMD 0
#endif

/* *a, *b after p[0, n): n a multiple of 16, at most 5552 (see above). */
void adler32_simd_run(uint32_t *a, uint32_t *b, const uint8_t *p, size_t n);

#endif
