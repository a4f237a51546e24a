/*
 * gauss-file-test.h -- what the .gauss file tests share: an independent
 * CRC-32 and little-endian pokes, to build well-sealed but invalid files.
 */
#ifndef EFFAD_GAUSS_FILE_TEST_H
#define EFFAD_GAUSS_FILE_TEST_H

#include <stddef.h>
#include <stdint.h>
#include "gauss.h"

/* An independent, bitwise CRC-32 (the file's is table-driven). */
static inline uint32_t crc32_bitwise(const uint8_t *p, size_t n)
{
    uint32_t c = 0xFFFFFFFFu;
    while (n--) {
        c ^= *p++;
        for (int k = 0; k < 8; k++) c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1)));
    }
    return ~c;
}

static inline void put32(uint8_t *p, uint32_t v) { for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> 8 * i); }
static inline void put64(uint8_t *p, uint64_t v) { for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> 8 * i); }

/* Recomputes the CRC the way the format defines it (field zeroed). */
static inline void reseal(uint8_t *buf, size_t len)
{
    put32(buf + 24, 0);
    put32(buf + 24, crc32_bitwise(buf, len));
}

/* How many of the file's proper prefixes decode as anything but a format
 * error, and how many single-bit flips decode at all: both should be 0. */
static inline size_t accepted_prefixes(const uint8_t *buf, size_t len)
{
    size_t bad = 0;
    effad_error e;
    for (size_t n = 0; n < len; n++) {
        gauss_model t;
        if (gauss_file_decode(buf, n, &t, &e) != EFFAD_ERR_FORMAT) bad++;
    }
    return bad;
}

static inline size_t accepted_bit_flips(uint8_t *buf, size_t len)
{
    size_t bad = 0;
    effad_error e;
    for (size_t i = 0; i < len; i++)
        for (int bit = 0; bit < 8; bit++) {
            gauss_model t;
            buf[i] ^= (uint8_t)(1u << bit);
            if (gauss_file_decode(buf, len, &t, &e) == EFFAD_OK) { bad++; gauss_model_free(&t); }
            buf[i] ^= (uint8_t)(1u << bit);
        }
    return bad;
}

#endif
