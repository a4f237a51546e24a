/* CRC-32 (reflected polynomial 0xEDB88320, init and final xor ~0) and
 * Adler-32, straight from the definitions in the PNG spec and RFC 1950. */
#include <stdatomic.h>
#include "checksum.h"

static uint32_t crc_table[256];
static atomic_int crc_table_state;   /* 0 not built, 1 being built, 2 ready */

/* Built on first use rather than spelled out: 256 constants nobody can
 * review, versus eight lines that say what they are. Decoders run on
 * several threads at once (effad fit/score --threads), so one thread
 * builds it and any other arriving meanwhile waits the microsecond that
 * takes; once ready, a check costs one acquire load. */
static const uint32_t *crc_table_get(void)
{
    if (atomic_load_explicit(&crc_table_state, memory_order_acquire) == 2) return crc_table;
    int idle = 0;
    if (atomic_compare_exchange_strong(&crc_table_state, &idle, 1)) {
        for (uint32_t n = 0; n < 256; n++) {
            uint32_t c = n;
            for (int k = 0; k < 8; k++) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            crc_table[n] = c;
        }
        atomic_store_explicit(&crc_table_state, 2, memory_order_release);
    }
    while (atomic_load_explicit(&crc_table_state, memory_order_acquire) != 2) { }
    return crc_table;
}

uint32_t crc32_update(uint32_t crc, const uint8_t *p, size_t n)
{
    const uint32_t *t = crc_table_get();
    uint32_t c = crc ^ 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) c = t[(c ^ p[i]) & 0xFF] ^ (c >> 8);
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
