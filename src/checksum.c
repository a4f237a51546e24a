/* CRC-32 (reflected polynomial 0xEDB88320, init and final xor ~0) and
 * Adler-32, straight from the definitions in the PNG spec and RFC 1950. */
#include "checksum.h"

static uint32_t crc_table[256];
static int crc_table_ready;

/* Built on first use rather than spelled out: 256 constants nobody can
 * review, versus eight lines that say what they are. Racing threads compute
 * identical values, so the lazy init is benign. */
static void crc_table_build(void)
{
    for (uint32_t n = 0; n < 256; n++) {
        uint32_t c = n;
        for (int k = 0; k < 8; k++) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        crc_table[n] = c;
    }
    crc_table_ready = 1;
}

uint32_t crc32_update(uint32_t crc, const uint8_t *p, size_t n)
{
    if (!crc_table_ready) crc_table_build();
    uint32_t c = crc ^ 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) c = crc_table[(c ^ p[i]) & 0xFF] ^ (c >> 8);
    return c ^ 0xFFFFFFFFu;
}

uint32_t adler32_update(uint32_t adler, const uint8_t *p, size_t n)
{
    uint32_t a = adler & 0xFFFF, b = adler >> 16;
    /* 5552 is the largest run for which b cannot overflow 32 bits before
     * the modulo (RFC 1950 leaves the deferral to the implementer). */
    while (n) {
        size_t k = n < 5552 ? n : 5552;
        n -= k;
        while (k--) { a += *p++; b += a; }
        a %= 65521; b %= 65521;
    }
    return (b << 16) | a;
}
