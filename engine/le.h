/* le.h -- little-endian field access, byte by byte, so that files written
 * on one host read the same on any other (including big-endian ones); and
 * the one big-endian word the bit readers of MSB-first streams (JPEG's
 * entropy-coded data, TIFF's LZW codes) load eight bytes at a time. */
#ifndef EFFAD_LE_H
#define EFFAD_LE_H

#include <stdint.h>
#include <string.h>

static inline uint32_t le_u32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t le_u64(const uint8_t *p)
{
    return (uint64_t)le_u32(p) | (uint64_t)le_u32(p + 4) << 32;
}

/* Written as one expression of shifts, which compilers turn into a load
 * and a byte swap; a loop that shifts a byte in at a time they kept as
 * eight loads (TIFF LZW: 350M instructions of a 12-MP frame's 2,283M). */
static inline uint64_t be_u64(const uint8_t *p)
{
    return (uint64_t)p[0] << 56 | (uint64_t)p[1] << 48 | (uint64_t)p[2] << 40 | (uint64_t)p[3] << 32 |
           (uint64_t)p[4] << 24 | (uint64_t)p[5] << 16 | (uint64_t)p[6] << 8 | p[7];
}

static inline float le_f32(const uint8_t *p)
{
    uint32_t u = le_u32(p);
    float f;
    memcpy(&f, &u, 4);
    return f;
}

static inline void le_put_u32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); p[2] = (uint8_t)(v >> 16); p[3] = (uint8_t)(v >> 24);
}

static inline void le_put_u64(uint8_t *p, uint64_t v)
{
    le_put_u32(p, (uint32_t)v);
    le_put_u32(p + 4, (uint32_t)(v >> 32));
}

static inline void le_put_f32(uint8_t *p, float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    le_put_u32(p, u);
}

static inline int host_is_little_endian(void)
{
    const uint16_t one = 1;
    uint8_t b;
    memcpy(&b, &one, 1);
    return b == 1;
}

#endif
