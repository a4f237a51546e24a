/* A fast 64-bit hash for integrity checks and model identity.
 *
 * Not cryptographic: it guards against truncation, bit flips and mixing up
 * files, at memory speed, so that checking a 20 MB model costs less than
 * one inference (a bytewise CRC-32 would cost several). Four independent
 * multiply-rotate lanes over little-endian 64-bit words, then a final
 * avalanche; defined on the bytes, so every host computes the same value. */
#include "effad.h"
#include "le.h"

#define P1 0x9E3779B185EBCA87ull
#define P2 0xC2B2AE3D27D4EB4Full
#define P3 0x165667B19E3779F9ull

static uint64_t rotl(uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }

static uint64_t lane(uint64_t acc, uint64_t w)
{
    acc += w * P2;
    return rotl(acc, 31) * P1;
}

uint64_t effad_hash64(const void *data, size_t n, uint64_t seed)
{
    const uint8_t *p = data;
    uint64_t a = seed + P1 + P2, b = seed + P2, c = seed, d = seed - P1;
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        a = lane(a, le_u64(p + i));
        b = lane(b, le_u64(p + i + 8));
        c = lane(c, le_u64(p + i + 16));
        d = lane(d, le_u64(p + i + 24));
    }
    uint64_t h = rotl(a, 1) + rotl(b, 7) + rotl(c, 12) + rotl(d, 18) + (uint64_t)n;
    for (; i + 8 <= n; i += 8) h = rotl(h ^ lane(0, le_u64(p + i)), 27) * P1 + P3;
    for (; i < n; i++) h = rotl(h ^ (p[i] * P3), 11) * P1;
    h ^= h >> 33; h *= P2; h ^= h >> 29; h *= P3; h ^= h >> 32;
    return h;
}
