/* The orientation an EXIF block states; see exif.h. */
#include "exif.h"

static unsigned get16(const uint8_t *p, int big)
{
    return big ? (unsigned)p[0] << 8 | p[1] : (unsigned)p[1] << 8 | p[0];
}

static uint32_t get32(const uint8_t *p, int big)
{
    return big ? (uint32_t)get16(p, 1) << 16 | get16(p + 2, 1) : (uint32_t)get16(p + 2, 0) << 16 | get16(p, 0);
}

int exif_orientation(const uint8_t *p, size_t n)
{
    if (!p || n < 8) return 0;
    int big;
    if (p[0] == 'I' && p[1] == 'I' && p[2] == 42 && p[3] == 0) big = 0;
    else if (p[0] == 'M' && p[1] == 'M' && p[2] == 0 && p[3] == 42) big = 1;
    else return 0;
    uint32_t ifd = get32(p + 4, big);
    if (ifd > n || n - ifd < 2) return 0;
    unsigned count = get16(p + ifd, big);
    for (unsigned i = 0; i < count; i++) {
        size_t at = (size_t)ifd + 2 + (size_t)i * 12;
        if (at > n || n - at < 12) return 0;
        if (get16(p + at, big) != 0x0112) continue;
        unsigned v = get16(p + at + 8, big);
        return v >= 1 && v <= 8 ? (int)v : 0;
    }
    return 0;
}
