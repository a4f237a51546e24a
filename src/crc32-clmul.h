/* crc32-clmul.h -- the bulk of a CRC-32 (checksum.h) by carry-less
 * multiplication, on x86-64 CPUs with PCLMULQDQ (every one since 2010);
 * checksum.c calls it for long runs and finishes with its tables.
 *
 * What it computes: the message's 16-byte blocks folded into one 16-byte
 * block congruent to them modulo the CRC polynomial, so that the table
 * CRC of that block (register 0, no inversions) followed by the bytes not
 * folded is the CRC of the whole run. The fold constants x^k mod P are
 * computed from the polynomial by checksum.c, as its tables are. */
#ifndef EFFAD_CRC32_CLMUL_H
#define EFFAD_CRC32_CLMUL_H

#include <stddef.h>
#include <stdint.h>

/* Runs shorter than this go to the tables (four lanes of 16 bytes, and
 * the set-up pays for itself only past a few blocks). */
#define CRC32_CLMUL_MIN 256

/* 1 where crc32-clmul-x86.c has the real thing (a firmware build compiles
 * checksum.c alone, so it must not name the functions below otherwise). */
#if defined(__x86_64__) && defined(__GNUC__)
#define CRC32_HAVE_CLMUL 1
#else
#define CRC32_HAVE_CLMUL 0
#endif

/* The fold constants, as the 64-bit halves PCLMULQDQ multiplies by (see
 * crc32-clmul-x86.c): by 512 bits (four lanes a step) and by 128. */
typedef struct crc32_clmul_keys {
    uint64_t by512[2], by128[2];
} crc32_clmul_keys;

/* 1 when this build and CPU can run crc32_clmul_fold. */
int crc32_clmul_available(void);

/* Folds (defined only where CRC32_HAVE_CLMUL) the first 16 * k bytes of p[0, n) (n >= CRC32_CLMUL_MIN, as many
 * whole blocks as there are) into out, the running register reg (the CRC
 * register before p, not inverted) included; returns 16 * k. */
size_t crc32_clmul_fold(const crc32_clmul_keys *keys, uint32_t reg, const uint8_t *p, size_t n, uint8_t out[16]);

#endif
