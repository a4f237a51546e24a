/* Netpbm decoding: P1/P4 bitmaps, P2/P5 greymaps, P3/P6 pixmaps, maxval
 * 1..65535, '#' comments in the header. Sample scaling follows PIL 9.4's
 * PpmImagePlugin so that convert('RGB') matches (see image.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "image.h"

typedef struct { const uint8_t *b; size_t n, pos; } cursor;

static int is_space(int c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }

static void skip_space(cursor *c)
{
    while (c->pos < c->n) {
        if (c->b[c->pos] == '#') { while (c->pos < c->n && c->b[c->pos] != '\n' && c->b[c->pos] != '\r') c->pos++; }
        else if (is_space(c->b[c->pos])) c->pos++;
        else break;
    }
}

/* Reads a decimal number; -1 at the end of data, -2 for garbage or > 9 digits. */
static long read_uint(cursor *c)
{
    skip_space(c);
    if (c->pos >= c->n) return -1;
    long v = 0;
    int digits = 0;
    while (c->pos < c->n && c->b[c->pos] >= '0' && c->b[c->pos] <= '9') {
        if (++digits > 9) return -2;
        v = v * 10 + (c->b[c->pos++] - '0');
    }
    if (!digits) return -2;
    return v;
}

/* PIL: round(value / maxval * out_max), Python's round-half-even, which is
 * rint() in the default rounding mode. */
static unsigned rescale(unsigned v, unsigned maxval, unsigned out_max)
{
    if (v >= maxval) return out_max;
    return (unsigned)rint((double)v / maxval * out_max);
}

static effad_status decode(const uint8_t *b, size_t n, effad_image *img, effad_error *e)
{
    int kind = b[1] - '0';            /* 1..6 */
    int ascii = kind <= 3, bitmap = kind == 1 || kind == 4;
    int chans = (kind == 3 || kind == 6) ? 3 : 1;
    cursor c = { b, n, 2 };
    long w = read_uint(&c), h = w >= 0 ? read_uint(&c) : -1;
    long maxval = bitmap ? 1 : h >= 0 ? read_uint(&c) : -1;
    if (w == -1 || h == -1 || maxval == -1) return effad_fail(e, EFFAD_ERR_FORMAT, "header truncated");
    if (w < 0 || h < 0 || maxval < 0) return effad_fail(e, EFFAD_ERR_FORMAT, "bad number in header");
    if (w == 0 || h == 0) return effad_fail(e, EFFAD_ERR_FORMAT, "bad dimensions %ldx%ld", w, h);
    if (maxval < 1 || maxval > 65535) return effad_fail(e, EFFAD_ERR_FORMAT, "maxval %ld not in 1..65535", maxval);
    effad_status sz = image_size_check((uint64_t)w, (uint64_t)h, e);
    if (sz) return sz;
    if (!ascii) {
        if (c.pos >= n || !is_space(b[c.pos])) return effad_fail(e, EFFAD_ERR_FORMAT, "header not ended by whitespace");
        c.pos++;   /* exactly one whitespace byte before binary data */
    }
    /* PIL keeps 16 bits only for grey (mode "I"); RGB with maxval > 255 is
     * reduced to 8 bits while decoding, and so are we. */
    int wide_out = chans == 1 && maxval > 255;
    unsigned out_max = wide_out ? 65535 : 255;
    /* The data must be there before the image is allocated: binary samples
     * have a fixed size, P1 digits need a byte each, other ASCII samples a
     * digit and a separator. A 20-byte header cannot ask for 512 MB. */
    size_t count = (size_t)w * (size_t)h * (size_t)chans, left = n - c.pos;
    uint64_t need = kind == 4 ? (uint64_t)(((size_t)w + 7) / 8) * (uint64_t)h
                  : kind == 1 ? count
                  : ascii ? 2 * (uint64_t)count - 1 : (uint64_t)count * (maxval > 255 ? 2 : 1);
    if (need > left)
        return effad_fail(e, EFFAD_ERR_FORMAT, "pixel data truncated: need %s%llu bytes, have %zu",
                          ascii ? "at least " : "", (unsigned long long)need, left);
    effad_status st = image_alloc(img, (int)w, (int)h, chans, wide_out ? 16 : 8, "PNM", e);
    if (st) return st;
    uint8_t *p8 = img->px;
    uint16_t *p16 = img->px;

    if (kind == 4) {
        size_t rb = ((size_t)w + 7) / 8;
        for (long y = 0; y < h; y++)
            for (long x = 0; x < w; x++) {
                int bit = (b[c.pos + (size_t)y * rb + (size_t)x / 8] >> (7 - x % 8)) & 1;
                p8[(size_t)y * (size_t)w + (size_t)x] = bit ? 0 : 255;   /* 1 is black */
            }
        return EFFAD_OK;
    }
    if (kind == 1) {
        /* P1 digits need no separators ("0101" is four pixels). */
        for (size_t i = 0; i < count; i++) {
            skip_space(&c);
            if (c.pos >= n) return effad_fail(e, EFFAD_ERR_FORMAT, "pixel data truncated at pixel %zu of %zu", i, count);
            int ch = b[c.pos++];
            if (ch != '0' && ch != '1') return effad_fail(e, EFFAD_ERR_FORMAT, "bad bitmap digit at pixel %zu", i);
            p8[i] = ch == '1' ? 0 : 255;
        }
        return EFFAD_OK;
    }
    if (ascii) {
        for (size_t i = 0; i < count; i++) {
            long v = read_uint(&c);
            if (v == -1) return effad_fail(e, EFFAD_ERR_FORMAT, "pixel data truncated at sample %zu of %zu", i, count);
            if (v < 0) return effad_fail(e, EFFAD_ERR_FORMAT, "bad number at sample %zu", i);
            if (v > maxval) return effad_fail(e, EFFAD_ERR_FORMAT, "sample %zu is %ld, above maxval %ld", i, v, maxval);
            unsigned s = rescale((unsigned)v, (unsigned)maxval, out_max);
            if (wide_out) p16[i] = (uint16_t)s; else p8[i] = (uint8_t)s;
        }
        return EFFAD_OK;
    }
    size_t sb = maxval > 255 ? 2 : 1;
    const uint8_t *s = b + c.pos;
    for (size_t i = 0; i < count; i++) {
        unsigned v = sb == 2 ? (unsigned)(s[2 * i] << 8 | s[2 * i + 1]) : s[i];
        /* maxval 255 (and 65535 for grey) are copied raw by PIL, values
         * above maxval are clamped by its decoder. */
        unsigned o = (unsigned)maxval == out_max ? v : rescale(v, (unsigned)maxval, out_max);
        if (wide_out) p16[i] = (uint16_t)o; else p8[i] = (uint8_t)o;
    }
    return EFFAD_OK;
}

effad_status image_decode_pnm(const uint8_t *b, size_t n, effad_image *img, effad_error *e)
{
    memset(img, 0, sizeof *img);
    if (n < 2 || b[0] != 'P' || b[1] < '1' || b[1] > '6') return effad_fail(e, EFFAD_ERR_FORMAT, "PNM: bad magic");
    effad_status st = decode(b, n, img, e);
    if (st) {
        image_free(img);
        effad_error_prefix(e, "PNM");
    }
    return st;
}
