/* utf8.h -- where a byte string is well-formed UTF-8. JSON and SVG (XML)
 * text must be UTF-8, and a file name need not be: the writers of both
 * (src/cmd-common.c, src/figure.c) put U+FFFD for each byte outside a
 * well-formed sequence, so that their output always parses. */
#ifndef EFFAD_UTF8_H
#define EFFAD_UTF8_H

#include <stddef.h>

/* The length of the well-formed UTF-8 sequence at s (1-4), or 0 when s[0]
 * does not start one (RFC 3629: no overlong forms, no surrogates, nothing
 * past U+10FFFF). s is NUL-terminated, and NUL is no continuation byte, so
 * nothing past it is read. */
static inline size_t utf8_seq(const char *str)
{
    const unsigned char *s = (const unsigned char *)str;
    const unsigned c = s[0];
    if (c < 0x80) return 1;
    unsigned lo = 0x80, hi = 0xBF;
    size_t n;
    if (c >= 0xC2 && c <= 0xDF) n = 2;
    else if (c >= 0xE0 && c <= 0xEF) { n = 3; if (c == 0xE0) lo = 0xA0; if (c == 0xED) hi = 0x9F; }
    else if (c >= 0xF0 && c <= 0xF4) { n = 4; if (c == 0xF0) lo = 0x90; if (c == 0xF4) hi = 0x8F; }
    else return 0;
    if (s[1] < lo || s[1] > hi) return 0;
    for (size_t i = 2; i < n; i++)
        if (s[i] < 0x80 || s[i] > 0xBF) return 0;
    return n;
}

#endif
