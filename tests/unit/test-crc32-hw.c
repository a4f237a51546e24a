/* test-crc32-hw.c -- the CRC-32 of long runs with the CPU's help (the
 * carry-less folding of src/crc32-clmul-x86.c, the Armv8 CRC32
 * instructions of src/crc32-arm64.c) gives the CRC of the definition on
 * every length and alignment around its thresholds, from any running CRC,
 * fed whole or in pieces; SKIP where the build or the CPU has neither.
 *
 * The reference is the bit-at-a-time CRC of the PNG specification's
 * definition (crc_bitwise below, checked against the catalogue's check
 * value), not the tables the fast path finishes with. */
#include <stdio.h>
#include <stdlib.h>
#include "check.h"
#include "checksum.h"
#include "crc32-arm64.h"
#include "crc32-clmul.h"

static uint32_t crc_bitwise(uint32_t crc, const uint8_t *p, size_t n)
{
    uint32_t c = crc ^ 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    }
    return c ^ 0xFFFFFFFFu;
}

static uint32_t next(uint32_t *seed)
{
    *seed = *seed * 1103515245u + 12345u;
    return *seed >> 8;
}

int main(void)
{
    CHECK_EQ_INT(crc_bitwise(0, (const uint8_t *)"123456789", 9), 0xCBF43926u);
    const int clmul = CRC32_HAVE_CLMUL && crc32_clmul_available(), arm64 = CRC32_HAVE_ARM64 && crc32_arm64_available();
    if (!clmul && !arm64)
        return check_skip("test-crc32-hw", "neither PCLMULQDQ nor the Armv8 CRC32 instructions in this build or on this "
                                           "CPU (the tables run every length)");
    printf("test-crc32-hw: %s\n", clmul ? "x86-64 PCLMULQDQ folding" : "Armv8 CRC32 instructions");
    const size_t lo = clmul ? CRC32_CLMUL_MIN : CRC32_ARM64_MIN;

    const size_t size = (1u << 20) + 64;
    uint8_t *buf = malloc(size);
    if (!buf) return 1;
    uint32_t seed = 20261206u;
    for (size_t i = 0; i < size; i++) buf[i] = (uint8_t)next(&seed);

    /* every length from below the threshold to past four 64-byte steps and
     * a 16-byte tail of each size, from all 16 alignments, from 0 and from
     * a running CRC */
    int bad = 0;
    for (size_t len = lo - 17; len <= lo + 300; len++)
        for (size_t off = 0; off < 16; off++) {
            const uint8_t *p = buf + off;
            const uint32_t start = off & 1 ? next(&seed) : 0;
            const uint32_t want = crc_bitwise(start, p, len);
            bad += crc32_update(start, p, len) != want;
            bad += crc32_update_tables(start, p, len) != want;
        }
    CHECK_EQ_INT(bad, 0);

    /* long runs, and the same run in pieces cut anywhere (some pieces
     * short of the threshold, some long) */
    for (int t = 0; t < 8; t++) {
        const size_t off = next(&seed) % 64, len = size - 64 - next(&seed) % 4096;
        const uint32_t want = crc_bitwise(0, buf + off, len);
        CHECK_EQ_INT(crc32_update(0, buf + off, len), want);
        uint32_t c = 0;
        for (size_t at = 0; at < len;) {
            size_t piece = next(&seed) % (t & 1 ? 700 : 70000);
            if (piece > len - at) piece = len - at;
            c = crc32_update(c, buf + off + at, piece);
            at += piece;
        }
        CHECK_EQ_INT(c, want);
    }

    /* all zeros and all ones: the folds of blocks that cancel */
    for (int v = 0; v < 2; v++) {
        for (size_t i = 0; i < 4096; i++) buf[i] = v ? 0xFF : 0;
        for (size_t len = lo; len <= 4096; len += 257)
            CHECK_EQ_INT(crc32_update(0, buf, len), crc_bitwise(0, buf, len));
    }
    free(buf);
    return check_done("test-crc32-hw");
}
