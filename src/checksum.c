/* CRC-32 (reflected polynomial 0xEDB88320, init and final xor ~0) and
 * Adler-32, straight from the definitions in the PNG spec and RFC 1950. */
#include <stdatomic.h>
#include "adler32-simd.h"
#include "checksum.h"
#include "crc32-arm64.h"
#include "crc32-clmul.h"

/* Eight tables, "slicing by 8": crc_table[k][b] is the CRC of byte b
 * followed by k zero bytes, so one step folds eight bytes. PNG chunks and
 * .gauss files (tens of megabytes with anomaly maps) both go through here;
 * the byte-at-a-time loop was a visible part of loading a model. 8 KB of
 * tables, once per process (and in a firmware's RAM). Long runs go to the
 * CPU's help where it has some: on x86-64 their 16-byte blocks are folded
 * by carry-less multiplication first (crc32-clmul-x86.c) and finished
 * here; on aarch64 the CRC32 instructions do all of it (crc32-arm64.c). */
static uint32_t crc_table[8][256];
#if CRC32_HAVE_CLMUL
static crc32_clmul_keys clmul_keys;
static int clmul_ok;
#endif
#if CRC32_HAVE_ARM64
static int arm64_ok;
#endif
static atomic_int crc_table_state;   /* 0 not built, 1 being built, 2 ready */

#define CRC_POLY 0xEDB88320u   /* x^32 + x^26 + ... + 1, reflected */

#if CRC32_HAVE_CLMUL
/* x^k mod P, reflected into 64 bits (crc32-clmul-x86.c says why): the
 * remainder kept in the reflected form the tables use (bit 31 - i holds
 * x^i), multiplied by x k times -- a shift right, and the polynomial
 * subtracted when x^32 comes out of bit 0. */
static uint64_t xpow_mod_reflected(unsigned k)
{
    uint32_t r = 0x80000000u;   /* x^0 */
    while (k--) r = (r & 1u) ? (r >> 1) ^ CRC_POLY : r >> 1;
    /* bit 31 - i of r is the coefficient of x^i; in the 64-bit form bit
     * 63 - i is: r moved up 32 places */
    return (uint64_t)r << 32;
}

static void clmul_keys_of(crc32_clmul_keys *k)
{
    /* D = 512 and 128: x^(D+63) for the low half, x^(D-1) for the high */
    k->by512[0] = xpow_mod_reflected(512 + 63); k->by512[1] = xpow_mod_reflected(512 - 1);
    k->by128[0] = xpow_mod_reflected(128 + 63); k->by128[1] = xpow_mod_reflected(128 - 1);
}
#endif

/* Built on first use rather than spelled out: 2048 constants nobody can
 * review, versus a few lines that say what they are. Decoders run on
 * several threads at once (effad fit/score --threads), so one thread
 * builds them and any other arriving meanwhile waits the microseconds that
 * takes; once ready, a check costs one acquire load. */
static const uint32_t (*crc_tables(void))[256]
{
    if (atomic_load_explicit(&crc_table_state, memory_order_acquire) == 2) return (const uint32_t (*)[256])crc_table;
    int idle = 0;
    if (atomic_compare_exchange_strong(&crc_table_state, &idle, 1)) {
        for (uint32_t n = 0; n < 256; n++) {
            uint32_t c = n;
            for (int k = 0; k < 8; k++) c = (c & 1) ? CRC_POLY ^ (c >> 1) : c >> 1;
            crc_table[0][n] = c;
        }
        for (int k = 1; k < 8; k++)
            for (int n = 0; n < 256; n++) crc_table[k][n] = (crc_table[k - 1][n] >> 8) ^ crc_table[0][crc_table[k - 1][n] & 0xFF];
#if CRC32_HAVE_CLMUL
        clmul_keys_of(&clmul_keys);
        clmul_ok = crc32_clmul_available();
#endif
#if CRC32_HAVE_ARM64
        arm64_ok = crc32_arm64_available();
#endif
        atomic_store_explicit(&crc_table_state, 2, memory_order_release);
    }
    while (atomic_load_explicit(&crc_table_state, memory_order_acquire) != 2) { }
    return (const uint32_t (*)[256])crc_table;
}

/* The CRC register after the bytes p[0, n), from register c: no
 * inversions (crc32_update adds them). */
static uint32_t crc_register(const uint32_t (*t)[256], uint32_t c, const uint8_t *p, size_t n)
{
    for (; n >= 8; n -= 8, p += 8) {
        c ^= (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
        c = t[7][c & 0xFF] ^ t[6][(c >> 8) & 0xFF] ^ t[5][(c >> 16) & 0xFF] ^ t[4][c >> 24] ^
            t[3][p[4]] ^ t[2][p[5]] ^ t[1][p[6]] ^ t[0][p[7]];
    }
    while (n--) c = t[0][(c ^ *p++) & 0xFF] ^ (c >> 8);
    return c;
}

uint32_t crc32_update_tables(uint32_t crc, const uint8_t *p, size_t n)
{
    return crc_register(crc_tables(), crc ^ 0xFFFFFFFFu, p, n) ^ 0xFFFFFFFFu;
}

uint32_t crc32_update(uint32_t crc, const uint8_t *p, size_t n)
{
    const uint32_t (*t)[256] = crc_tables();
    uint32_t c = crc ^ 0xFFFFFFFFu;
#if CRC32_HAVE_CLMUL
    if (clmul_ok && n >= CRC32_CLMUL_MIN) {
        /* the folded block's register from 0, then the bytes after it */
        uint8_t folded[16];
        const size_t done = crc32_clmul_fold(&clmul_keys, c, p, n, folded);
        c = crc_register(t, 0, folded, sizeof folded);
        p += done; n -= done;
    }
#endif
#if CRC32_HAVE_ARM64
    if (arm64_ok && n >= CRC32_ARM64_MIN) return crc32_arm64_register(c, p, n) ^ 0xFFFFFFFFu;
#endif
    return crc_register(t, c, p, n) ^ 0xFFFFFFFFu;
}

uint32_t adler32_update(uint32_t adler, const uint8_t *p, size_t n)
{
    uint32_t a = adler & 0xFFFF, b = adler >> 16;
    /* 5552 is the largest run for which b cannot overflow 32 bits before
     * the modulo (RFC 1950 leaves the deferral to the implementer). */
    while (n) {
        size_t k = n < 5552 ? n : 5552;
        n -= k;
#if ADLER32_HAVE_SIMD
        const size_t v = k & ~(size_t)15;   /* the same totals, sixteen bytes a step (adler32-simd.h) */
        adler32_simd_run(&a, &b, p, v);
        p += v;
        k -= v;
#endif
        /* eight bytes a step: b gains 8 a (the a before them) plus each
         * byte weighted by how many of the eight sums it enters -- the
         * same totals as byte by byte, with the eight products and sums
         * independent of each other instead of one chain through a */
        for (; k >= 8; k -= 8, p += 8) {
            b += 8 * a + 8u * p[0] + 7u * p[1] + 6u * p[2] + 5u * p[3] + 4u * p[4] + 3u * p[5] + 2u * p[6] + p[7];
            a += (uint32_t)p[0] + p[1] + p[2] + p[3] + p[4] + p[5] + p[6] + p[7];
        }
        while (k--) { a += *p++; b += a; }
        a %= 65521; b %= 65521;
    }
    return (b << 16) | a;
}
