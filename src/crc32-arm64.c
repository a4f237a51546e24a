/*
 * crc32-arm64.c -- crc32-arm64.h.
 *
 * Why: a .gauss is checked whole every time it is read and summed whole
 * when it is written (16 MB for B0's nine levels); the tables' slicing by
 * 8 does perhaps half a gigabyte a second on a Cortex-A53, tens of
 * milliseconds of every `effad score`'s start on the boards effad is for.
 * The CRC32 instructions leave it to memory speed.
 */
#include <string.h>
#include "crc32-arm64.h"

#if CRC32_HAVE_ARM64
#include <arm_acle.h>
#if defined(__linux__) && __STDC_HOSTED__
#include <sys/auxv.h>
#endif

/* Asked of the kernel where there is one (HWCAP_CRC32: it reads the ID
 * registers, which user space may not); otherwise whether the build
 * targets a CPU with them (-march=armv8.1-a, -mcpu=cortex-a53+crc, ...). */
int crc32_arm64_available(void)
{
#if defined(__linux__) && __STDC_HOSTED__ && defined(HWCAP_CRC32)
    return (getauxval(AT_HWCAP) & HWCAP_CRC32) != 0;
#elif defined(__ARM_FEATURE_CRC32)
    return 1;
#else
    return 0;
#endif
}

__attribute__((target("+crc"))) uint32_t crc32_arm64_register(uint32_t c, const uint8_t *p, size_t n)
{
    for (; n >= 8; n -= 8, p += 8) {
        uint64_t v;
        memcpy(&v, p, 8);   /* little-endian: the first byte is the low one, as the instruction wants */
        c = __crc32d(c, v);
    }
    for (; n; n--) c = __crc32b(c, *p++);
    return c;
}

#else   /* not little-endian aarch64: checksum.c keeps to its tables
         * and never names crc32_arm64_register */

int crc32_arm64_available(void) { return 0; }

#endif
