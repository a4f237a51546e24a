/* CRC-32 (reflected polynomial 0xEDB88320, init and final xor ~0) and
 * Adler-32, straight from the definitions in the PNG spec and RFC 1950. */
#include <stdatomic.h>
#include "checksum.h"

/* Eight tables, "slicing by 8": crc_table[k][b] is the CRC of byte b
 * followed by k zero bytes, so one step folds eight bytes. PNG chunks and
 * .gauss files (tens of megabytes with anomaly maps) both go through here;
 * the byte-at-a-time loop was a visible part of loading a model. 8 KB of
 * tables, once per process (and in a firmware's RAM). */
static uint32_t crc_table[8][256];
static atomic_int crc_table_state;   /* 0 not built, 1 being built, 2 ready */

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
            for (int k = 0; k < 8; k++) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            crc_table[0][n] = c;
        }
        for (int k = 1; k < 8; k++)
            for (int n = 0; n < 256; n++) crc_table[k][n] = (crc_table[k - 1][n] >> 8) ^ crc_table[0][crc_table[k - 1][n] & 0xFF];
        atomic_store_explicit(&crc_table_state, 2, memory_order_release);
    }
    while (atomic_load_explicit(&crc_table_state, memory_order_acquire) != 2) { }
    return (const uint32_t (*)[256])crc_table;
}

uint32_t crc32_update(uint32_t crc, const uint8_t *p, size_t n)
{
    const uint32_t (*t)[256] = crc_tables();
    uint32_t c = crc ^ 0xFFFFFFFFu;
    for (; n >= 8; n -= 8, p += 8) {
        c ^= (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
        c = t[7][c & 0xFF] ^ t[6][(c >> 8) & 0xFF] ^ t[5][(c >> 16) & 0xFF] ^ t[4][c >> 24] ^
            t[3][p[4]] ^ t[2][p[5]] ^ t[1][p[6]] ^ t[0][p[7]];
    }
    while (n--) c = t[0][(c ^ *p++) & 0xFF] ^ (c >> 8);
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
