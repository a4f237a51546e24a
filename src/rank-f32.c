/* Descending order of float32 values by LSD radix sort; see rank-f32.h. */
#include <string.h>
#include "rank-f32.h"

/* The float's bits made to compare as unsigned integers in DESCENDING
 * value order: flip the sign bit of positives and all bits of negatives
 * (ascending key), then complement (descending). */
static uint32_t desc_key(float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    u = u & 0x80000000u ? ~u : u | 0x80000000u;
    return ~u;
}

void rank_f32_desc(const float *v, size_t n, uint32_t *order, uint32_t *scratch)
{
    for (size_t i = 0; i < n; i++) order[i] = (uint32_t)i;
    if (n < 2) return;
    uint32_t *src = order, *dst = scratch;
    /* four stable passes of 8 bits each, least significant first */
    for (int shift = 0; shift < 32; shift += 8) {
        size_t count[257] = { 0 };
        for (size_t i = 0; i < n; i++) count[((desc_key(v[src[i]]) >> shift) & 0xff) + 1]++;
        if (count[((desc_key(v[src[0]]) >> shift) & 0xff) + 1] == n) continue;   /* one bucket */
        for (int b = 0; b < 256; b++) count[b + 1] += count[b];
        for (size_t i = 0; i < n; i++) dst[count[(desc_key(v[src[i]]) >> shift) & 0xff]++] = src[i];
        uint32_t *t = src; src = dst; dst = t;
    }
    if (src != order) memcpy(order, src, n * sizeof *order);
}
