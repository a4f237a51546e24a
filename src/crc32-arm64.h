/* crc32-arm64.h -- a CRC-32 (checksum.h) by the Armv8 CRC32 instructions,
 * on little-endian aarch64 CPUs that have them (optional in Armv8.0-A,
 * every Cortex-A53 and A72 made with it; mandatory from Armv8.1-A).
 * CRC32X folds eight bytes into the register in one instruction, the
 * PNG polynomial (0x04C11DB7, reflected), with no inversions: the same
 * register checksum.c's tables keep. */
#ifndef EFFAD_CRC32_ARM64_H
#define EFFAD_CRC32_ARM64_H

#include <stddef.h>
#include <stdint.h>

/* 1 where crc32-arm64.c has the real thing (checksum.c names the
 * functions below only then: a firmware build compiles it alone). */
#if defined(__aarch64__) && defined(__GNUC__) && defined(__ORDER_LITTLE_ENDIAN__) && \
    __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define CRC32_HAVE_ARM64 1
#else
#define CRC32_HAVE_ARM64 0
#endif

/* Runs shorter than this stay on the tables (a few loads of them). */
#define CRC32_ARM64_MIN 64

/* 1 when this build and CPU can run crc32_arm64_register. */
int crc32_arm64_available(void);
/* The CRC register after p[0, n), from register c (not inverted);
 * defined only where CRC32_HAVE_ARM64. */
uint32_t crc32_arm64_register(uint32_t c, const uint8_t *p, size_t n);

#endif
