/* TIFF's LZW and PackBits decoders and the horizontal predictor; see
 * tiff-codecs.h. From the TIFF 6.0 specification, sections 9, 13, 14. */
#include <stdlib.h>
#include <string.h>
#include "le.h"
#include "lz-copy.h"
#include "tiff-codecs.h"

/* ------------------------------------------------------------------ LZW */

enum { LZW_CLEAR = 256, LZW_EOI = 257, LZW_FIRST = 258, LZW_MAX = 4096 };

/* Every string in the table has been written out before, whole: an entry
 * is the previous code's string plus the byte written right after it. So
 * an entry is where that string starts in the output and how long it is,
 * and a code is emitted by copying from earlier output, as LZ77 does
 * (instead of walking a chain of prefixes one byte at a time). Codes below
 * 256 are their byte. */
typedef struct {
    size_t off[LZW_MAX];        /* where in out the string starts */
    uint16_t len[LZW_MAX];      /* its length in bytes */
} lzw_table;

effad_status tiff_lzw_decode(const uint8_t *in, size_t n, uint8_t *out, size_t out_bytes, effad_error *e)
{
    /* Pre-6.0 writers packed codes LSB first; their streams open with a
     * Clear code that reads 0x00 0x01. TIFF 6.0 streams open 0x80 0x00. */
    if (n >= 2 && in[0] == 0 && (in[1] & 1))
        return effad_fail(e, EFFAD_ERR_UNSUPPORTED, "old-style (pre-TIFF 6.0, LSB-first) LZW");
    lzw_table *t = malloc(sizeof *t);
    if (!t) return effad_fail(e, EFFAD_ERR_NOMEM, "out of memory for the LZW table");
    for (unsigned c = 0; c < 256; c++) t->len[c] = 1;
    size_t bitpos = 0, done = 0, nbits = (uint64_t)n * 8 > SIZE_MAX ? SIZE_MAX : n * 8;
    uint64_t buf = 0;   /* cnt bits of the stream from its top, in[pos] next */
    int cnt = 0;
    size_t pos = 0;
    unsigned width = 9, grow = 511, next = LZW_FIRST;   /* grow: the next at which width grows */
    int prev = -1;
    size_t prev_at = 0, prev_len = 0;   /* where the previous code's string was written, and its length */
    effad_status st = EFFAD_OK;
    while (done < out_bytes) {
        if (nbits - bitpos < width) {
            st = effad_fail(e, EFFAD_ERR_FORMAT, "LZW data ended after %zu of %zu bytes", done, out_bytes);
            break;
        }
        /* the code's at most 12 bits, MSB first, from a buffer topped up
         * eight bytes at a time: the bytes counted go in below the cnt bits
         * held, and the bits of the next ones below them are the bits the
         * next load puts there, so they may stay (as in inflate.c, MSB
         * first); past the end, zero bytes, never needed */
        if (cnt < 12) {
            if (n - pos >= 8) {
                buf |= be_u64(in + pos) >> cnt;
                pos += (size_t)(63 - cnt) >> 3;
                cnt |= 56;
            } else
                for (; cnt <= 56; cnt += 8) buf |= (uint64_t)(pos < n ? in[pos++] : 0) << (56 - cnt);
        }
        const unsigned code = (unsigned)(buf >> (64 - width));
        buf <<= width;
        cnt -= (int)width;
        bitpos += width;
        if (code == LZW_CLEAR) { width = 9; grow = 511; next = LZW_FIRST; prev = -1; continue; }
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
            prev_at = done;
            prev_len = 1;
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
         * one, which is written right after it -- so it is the output from
         * the previous string on, one byte longer (and for the entry this
         * very code defines, code == next, the copy below makes that byte
         * the previous string's first, as it must be) */
        t->off[next] = prev_at;
        t->len[next] = (uint16_t)(prev_len + 1);
        next++;
        /* TIFF's "early change": the width grows one code before it must */
        if (next >= grow && width < 12) grow = (1u << ++width) - 1;
        /* the string; a strip ends where it ends */
        const size_t len = t->len[code], room = out_bytes - done, take = len < room ? len : room;
        if (code < 256) out[done] = (uint8_t)code;
        else lz_copy(out + done, done - t->off[code], take, room);
        prev_at = done;
        prev_len = len;
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
