/* TIFF's LZW and PackBits decoders and the horizontal predictor; see
 * tiff-codecs.h. From the TIFF 6.0 specification, sections 9, 13, 14. */
#include <stdlib.h>
#include <string.h>
#include "tiff-codecs.h"

/* ------------------------------------------------------------------ LZW */

enum { LZW_CLEAR = 256, LZW_EOI = 257, LZW_FIRST = 258, LZW_MAX = 4096 };

typedef struct {
    uint16_t prefix[LZW_MAX];   /* the code this string extends */
    uint16_t len[LZW_MAX];      /* its length in bytes */
    uint8_t last[LZW_MAX];      /* its last byte */
    uint8_t first[LZW_MAX];     /* its first byte */
} lzw_table;

effad_status tiff_lzw_decode(const uint8_t *in, size_t n, uint8_t *out, size_t out_bytes, effad_error *e)
{
    /* Pre-6.0 writers packed codes LSB first; their streams open with a
     * Clear code that reads 0x00 0x01. TIFF 6.0 streams open 0x80 0x00. */
    if (n >= 2 && in[0] == 0 && (in[1] & 1))
        return effad_fail(e, EFFAD_ERR_UNSUPPORTED, "old-style (pre-TIFF 6.0, LSB-first) LZW");
    lzw_table *t = malloc(sizeof *t);
    if (!t) return effad_fail(e, EFFAD_ERR_NOMEM, "out of memory for the LZW table");
    for (unsigned c = 0; c < 256; c++) {
        t->prefix[c] = 0; t->len[c] = 1; t->last[c] = t->first[c] = (uint8_t)c;
    }
    size_t bitpos = 0, done = 0, nbits = (uint64_t)n * 8 > SIZE_MAX ? SIZE_MAX : n * 8;
    unsigned width = 9, next = LZW_FIRST;
    int prev = -1;
    effad_status st = EFFAD_OK;
    while (done < out_bytes) {
        if (nbits - bitpos < width) {
            st = effad_fail(e, EFFAD_ERR_FORMAT, "LZW data ended after %zu of %zu bytes", done, out_bytes);
            break;
        }
        /* the code's at most 12 bits, MSB first, from the three bytes
         * that hold them (a byte past the end, never needed, as 0) */
        const size_t at = bitpos >> 3;
        const uint32_t w24 = (uint32_t)in[at] << 16 | (at + 1 < n ? (uint32_t)in[at + 1] << 8 : 0) |
                             (at + 2 < n ? in[at + 2] : 0);
        const unsigned code = (w24 >> (24 - (bitpos & 7) - width)) & ((1u << width) - 1);
        bitpos += width;
        if (code == LZW_CLEAR) { width = 9; next = LZW_FIRST; prev = -1; continue; }
        if (code == LZW_EOI) {
            st = effad_fail(e, EFFAD_ERR_FORMAT, "LZW data ended (EndOfInformation) after %zu of %zu bytes", done,
                            out_bytes);
            break;
        }
        if (prev < 0) {   /* right after a Clear: a single byte */
            if (code >= 256) {
                st = effad_fail(e, EFFAD_ERR_FORMAT, "LZW code %u right after a Clear code", code);
                break;
            }
            out[done++] = (uint8_t)code;
            prev = (int)code;
            continue;
        }
        if (code > next) {
            st = effad_fail(e, EFFAD_ERR_FORMAT, "LZW code %u beyond the table's %u entries", code, next);
            break;
        }
        if (next == LZW_MAX) {
            st = effad_fail(e, EFFAD_ERR_FORMAT, "LZW table full (4096 entries) without a Clear code");
            break;
        }
        /* the new entry: the previous string plus the first byte of this
         * one -- which, for the entry being defined by this very code
         * (code == next), is the previous string's first byte */
        t->prefix[next] = (uint16_t)prev;
        t->len[next] = (uint16_t)(t->len[prev] + 1);
        t->last[next] = code == next ? t->first[prev] : t->first[code];
        t->first[next] = t->first[prev];
        next++;
        /* TIFF's "early change": the width grows one code before it must */
        if (next + 1 >= (1u << width) && width < 12) width++;
        /* the string, written back to front; a strip ends where it ends */
        size_t len = t->len[code], take = len < out_bytes - done ? len : out_bytes - done;
        for (unsigned c = code;; c = t->prefix[c]) {
            if (--len < take) out[done + len] = t->last[c];
            if (len == 0) break;
        }
        done += take;
        prev = (int)code;
    }
    free(t);
    return st;
}

/* ------------------------------------------------------------- PackBits */

effad_status tiff_packbits_decode(const uint8_t *in, size_t n, uint8_t *out, size_t out_bytes, effad_error *e)
{
    size_t i = 0, done = 0;
    while (done < out_bytes) {
        if (i >= n) return effad_fail(e, EFFAD_ERR_FORMAT, "PackBits data ended after %zu of %zu bytes", done, out_bytes);
        int h = (int8_t)in[i++];
        if (h == -128) continue;
        size_t run = h >= 0 ? (size_t)h + 1 : (size_t)(1 - h);
        if (run > out_bytes - done) run = out_bytes - done;
        if (h >= 0) {
            if (n - i < run)
                return effad_fail(e, EFFAD_ERR_FORMAT, "PackBits literal run of %d bytes past the end of the data", h + 1);
            memcpy(out + done, in + i, run);
            i += (size_t)h + 1;
        } else {
            if (i >= n) return effad_fail(e, EFFAD_ERR_FORMAT, "PackBits repeat with no byte to repeat");
            memset(out + done, in[i++], run);
        }
        done += run;
    }
    return EFFAD_OK;
}

/* ---------------------------------------------------------------- bounds */

uint64_t tiff_max_decoded_bytes(unsigned compression, uint64_t n)
{
    switch (compression) {
    case 1: return n;
    /* two bytes (a header and the byte) repeat into 128 */
    case 32773: return (n + 1) / 2 * 128;
    /* each code of at least 9 bits yields at most one table entry, at most
     * 4096 - 258 + 1 bytes long; round up generously */
    case 5: return (n * 8 / 9 + 1) * 4096;
    /* a 258-byte match costs at least 2 bits (1-bit length and distance
     * codes): 1032 to 1, plus a block header's worth */
    case 8: case 32946: return (n + 1) * 1032;
    default: return 0;
    }
}

/* ------------------------------------------------------------ predictor */

void tiff_undo_horizontal(void *rows, size_t n_rows, size_t cols, unsigned spc, unsigned bits)
{
    size_t row_samples = cols * spc;
    for (size_t r = 0; r < n_rows; r++) {
        if (bits == 16) {
            uint16_t *p = (uint16_t *)rows + r * row_samples;
            for (size_t i = spc; i < row_samples; i++) p[i] = (uint16_t)(p[i] + p[i - spc]);
        } else {
            uint8_t *p = (uint8_t *)rows + r * row_samples;
            for (size_t i = spc; i < row_samples; i++) p[i] = (uint8_t)(p[i] + p[i - spc]);
        }
    }
}
