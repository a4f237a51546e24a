/* checksum.h -- CRC-32 (ISO 3309, as the PNG spec defines it: PNG chunks
 * and .gauss files) and Adler-32 for the zlib wrapper (RFC 1950). */
#ifndef EFFAD_CHECKSUM_H
#define EFFAD_CHECKSUM_H

#include <stddef.h>
#include <stdint.h>

/* Running CRC: start with crc = 0, feed pieces in order. */
uint32_t crc32_update(uint32_t crc, const uint8_t *p, size_t n);
/* The same from the tables alone, whatever the CPU (the reference the
 * carry-less path of long runs is tested against: crc32-clmul.h). */
uint32_t crc32_update_tables(uint32_t crc, const uint8_t *p, size_t n);
/* Running Adler-32: start with adler = 1. */
uint32_t adler32_update(uint32_t adler, const uint8_t *p, size_t n);

#endif
