/*
 * tiff-codecs.h -- the strip and tile codecs of TIFF besides Deflate
 * (which is src/inflate.c's zlib_inflate): LZW (TIFF 6.0 section 13),
 * PackBits (section 9) and the horizontal-differencing predictor
 * (section 14). Written from the TIFF 6.0 specification.
 *
 * Each decoder fills exactly out_bytes bytes, the size the strip or tile
 * must decode to, and stops there (data after that is ignored, as libtiff
 * does); running out of input first is an error that says how far it got.
 */
#ifndef EFFAD_TIFF_CODECS_H
#define EFFAD_TIFF_CODECS_H

#include <stddef.h>
#include <stdint.h>
#include "effad.h"

/* LZW: MSB-first codes of 9 to 12 bits, Clear 256, EndOfInformation 257,
 * the code width growing one code early (at 511, 1023, 2047 entries).
 * Refused: the pre-6.0 LSB-first variant, a code beyond the table, a table
 * grown past 4096 entries without a Clear. */
effad_status tiff_lzw_decode(const uint8_t *in, size_t n, uint8_t *out, size_t out_bytes, effad_error *e);

/* PackBits: a header byte h; 0..127 copies h + 1 bytes, -127..-1 repeats
 * the next byte 1 - h times, -128 is skipped. */
effad_status tiff_packbits_decode(const uint8_t *in, size_t n, uint8_t *out, size_t out_bytes, effad_error *e);

/* The most bytes n bytes of a codec's data can decode to (compression
 * 1, 5, 8/32946, 32773); a strip that must decode to more is refused
 * before anything is allocated for it. 0 for an unknown codec. */
uint64_t tiff_max_decoded_bytes(unsigned compression, uint64_t n);

/* Undoes Predictor 2 in place on rows of `cols` pixels of `spc` samples,
 * 8-bit (bits 8) or native 16-bit (bits 16) samples: each sample adds the
 * same channel of the pixel on its left, modulo 2^bits. */
void tiff_undo_horizontal(void *rows, size_t n_rows, size_t cols, unsigned spc, unsigned bits);

#endif
