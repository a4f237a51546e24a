/* lz-copy.h -- a back-reference copied within an output buffer: DEFLATE's
 * matches (inflate.c) and TIFF LZW's strings (tiff-codecs.c, where each
 * code's string is a copy of output written before). */
#ifndef EFFAD_LZ_COPY_H
#define EFFAD_LZ_COPY_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* d[0, len) = the bytes dist before each, in order: when dist < len the
 * copy reads what it has just written (a run repeats), so byte order
 * matters. room: the bytes writable from d on, at least len. */
static inline void lz_copy(uint8_t *d, size_t dist, size_t len, size_t room)
{
    const uint8_t *s = d - dist;
    if (dist >= 8 && len + 8 <= room) {
        /* eight at a time: each piece's source lies wholly before it; the
         * last may write up to 7 bytes past the copy, inside the buffer,
         * where the bytes that follow are written over them */
        for (size_t i = 0; i < len; i += 8) memcpy(d + i, s + i, 8);
    } else if (dist == 1) {
        memset(d, *s, len);
    } else {
        for (size_t i = 0; i < len; i++) d[i] = s[i];
    }
}

#endif
