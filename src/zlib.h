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

/* Compresses in[0..n) to a zlib stream in *out (malloc'd, *out_bytes long).
 * Fixed-Huffman blocks with a one-probe hash matcher: correctness and
 * a small, reviewable encoder over ratio. */
effad_status zlib_deflate(const uint8_t *in, size_t n, uint8_t **out, size_t *out_bytes,
                          effad_error *e);

/* RFC 1951 3.2.5 tables (src/deflate-tables.c). */
extern const uint16_t zlib_len_base[29];
extern const uint8_t zlib_len_extra[29];
extern const uint16_t zlib_dist_base[30];
extern const uint8_t zlib_dist_extra[30];

#endif
