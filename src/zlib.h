/* zlib.h -- our own DEFLATE (RFC 1951) inside the zlib wrapper (RFC 1950):
 * the inflater PNG decoding needs and the small deflater the PNG writer
 * needs. Not the zlib library: no shared code, only the formats. */
#ifndef EFFAD_ZLIB_H
#define EFFAD_ZLIB_H

#include <stddef.h>
#include <stdint.h>
#include "effad.h"

/* Inflates the zlib stream in[0..n) into exactly out_bytes bytes: the
 * caller knows the size (PNG: from IHDR), so producing more is an error
 * (and that is the decompression-bomb guard) and so is producing less.
 * Checks the zlib header and the Adler-32. Bytes after the stream are
 * ignored. Messages name what was wrong ("distance 40000 too far back"). */
effad_status zlib_inflate(const uint8_t *in, size_t n, uint8_t *out, size_t out_bytes,
                          effad_error *e);
/* The same stream in pieces, read where they lie: in[0..n) first, then
 * each piece next(ctx, &p, &len) hands (empty ones are skipped) until it
 * returns 0. A PNG's IDAT chunks inflate from the file this way, without
 * a joined copy of them. */
typedef int (*zlib_next_fn)(void *ctx, const uint8_t **p, size_t *len);
effad_status zlib_inflate_pieces(const uint8_t *in, size_t n, zlib_next_fn next, void *ctx, uint8_t *out,
                                 size_t out_bytes, effad_error *e);

/* Compresses in[0..n) to a zlib stream in *out (malloc'd, *out_bytes long).
 * Fixed-Huffman blocks with a one-probe hash matcher: correctness and
 * a small, reviewable encoder over ratio. */
effad_status zlib_deflate(const uint8_t *in, size_t n, uint8_t **out, size_t *out_bytes,
                          effad_error *e);

/* The same compressor over an input given in pieces (a PNG written row by
 * row): the same bytes zlib_deflate makes of the pieces joined, handed to
 * put as they are made, in pieces of about 64 KiB. Memory: 200 KiB of
 * window, hash and output, whatever the input's size. A failing write or
 * end frees the stream; so does end; free is for a caller that gives up. */
typedef struct zlib_bits { uint8_t *p; size_t len; uint64_t buf; int cnt; } zlib_bits;
typedef effad_status (*zlib_put_fn)(void *ctx, const uint8_t *p, size_t n, effad_error *e);
typedef struct zlib_stream {
    zlib_put_fn put;
    void *ctx;
    uint8_t *buf;                 /* input from the window behind `at` on */
    uint64_t buf_start;           /* stream offset of buf[0] */
    size_t buf_n;                 /* bytes in buf */
    uint64_t at;                  /* stream offset of the next byte to encode */
    int64_t *head;                /* hash of 3 bytes -> latest offset, -1 none */
    zlib_bits o;                  /* output: bytes made, bits pending */
    uint32_t adler;
} zlib_stream;
effad_status zlib_stream_begin(zlib_stream *z, zlib_put_fn put, void *ctx, effad_error *e);
effad_status zlib_stream_write(zlib_stream *z, const void *data, size_t n, effad_error *e);
effad_status zlib_stream_end(zlib_stream *z, effad_error *e);
void zlib_stream_free(zlib_stream *z);

/* RFC 1951 3.2.5 tables (src/deflate-tables.c). */
extern const uint16_t zlib_len_base[29];
extern const uint8_t zlib_len_extra[29];
extern const uint16_t zlib_dist_base[30];
extern const uint8_t zlib_dist_extra[30];

#endif
