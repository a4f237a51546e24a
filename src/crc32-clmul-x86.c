/*
 * crc32-clmul-x86.c -- crc32-clmul.h on x86-64 with PCLMULQDQ.
 *
 * Why: a .gauss is checked whole every time it is read and summed whole
 * when it is written (16 MB for B0's nine levels, 77 MB with anomaly
 * maps). The tables' slicing by 8 runs at ~2.5 GB/s: ~7 ms of every
 * `effad score`'s start and of every fit's serial tail, on the one thread
 * that reads or writes the file. Carry-less multiplies fold 64 bytes in
 * a few cycles and leave the run to memory speed.
 *
 * The algebra (reflected CRC, as PNG defines it: the first byte's bit 0
 * is the highest power). 16 bytes loaded little-endian into V hold the
 * block A(x) of degree < 128 reflected: bit i of V is the coefficient of
 * x^(127-i). So V's low half is the reflection of A_hi and its high half
 * that of A_lo (A = A_hi x^64 + A_lo). Moving A forward over D bits onto
 * the block B there is adding A x^D mod P to B:
 *     A x^D = A_hi x^(D+64) + A_lo x^D
 *           = A_hi (x^(D+63) mod P) x + A_lo (x^(D-1) mod P) x   (mod P).
 * PCLMULQDQ of two reflected 64-bit values a, b gives the reflection of
 * a b x in 128 bits (bit m of the product is the coefficient of x^(126-m)
 * of a b: one place short of a 128-bit reflection, which is the factor
 * x). So with the constants reflected into 64 bits, V's low half times
 * r(x^(D+63) mod P) and its high half times r(x^(D-1) mod P), xor B, is
 * the folded block, each product of degree < 96. Nothing needs reducing
 * to 32 bits here: the last block goes through the tables (checksum.c),
 * which compute its remainder with the bytes after it.
 *
 * The loop keeps four blocks in flight (D = 512: the multiplier's latency
 * is several cycles, its throughput one a cycle), then folds them into
 * one (D = 128) and that over the remaining whole blocks.
 */
#include "crc32-clmul.h"

#if CRC32_HAVE_CLMUL
#include <immintrin.h>

int crc32_clmul_available(void)
{
    __builtin_cpu_init();
    return __builtin_cpu_supports("pclmul");
}

#define CLMUL_FN __attribute__((target("pclmul")))   /* SSE2: x86-64's baseline */

/* v moved D bits forward (keys k of that D) onto b. */
static inline CLMUL_FN __m128i fold(__m128i v, __m128i k, __m128i b)
{
    return _mm_xor_si128(_mm_xor_si128(_mm_clmulepi64_si128(v, k, 0x00), _mm_clmulepi64_si128(v, k, 0x11)), b);
}

static inline CLMUL_FN __m128i load(const uint8_t *p) { return _mm_loadu_si128((const __m128i *)(const void *)p); }

static inline CLMUL_FN __m128i keys_of(const uint64_t k[2])
{
    return _mm_set_epi64x((long long)k[1], (long long)k[0]);
}

CLMUL_FN size_t crc32_clmul_fold(const crc32_clmul_keys *keys, uint32_t reg, const uint8_t *p, size_t n,
                                 uint8_t out[16])
{
    const __m128i k512 = keys_of(keys->by512), k128 = keys_of(keys->by128);
    /* the register enters as the first four bytes' xor (checksum.c's
     * table loop does the same: c ^= the next four bytes) */
    __m128i x0 = _mm_xor_si128(load(p), _mm_cvtsi32_si128((int)reg));
    __m128i x1 = load(p + 16), x2 = load(p + 32), x3 = load(p + 48);
    size_t at = 64;
    for (; at + 64 <= n; at += 64) {
        x0 = fold(x0, k512, load(p + at));
        x1 = fold(x1, k512, load(p + at + 16));
        x2 = fold(x2, k512, load(p + at + 32));
        x3 = fold(x3, k512, load(p + at + 48));
    }
    __m128i x = fold(fold(fold(x0, k128, x1), k128, x2), k128, x3);
    for (; at + 16 <= n; at += 16) x = fold(x, k128, load(p + at));
    _mm_storeu_si128((__m128i *)(void *)out, x);
    return at;
}

#else   /* no PCLMULQDQ in this build: checksum.c keeps to its tables
         * and never names crc32_clmul_fold */

int crc32_clmul_available(void) { return 0; }

#endif
