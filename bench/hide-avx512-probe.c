/* hide-avx512-probe: what this process reads of the CPU, the way ONNX
 * Runtime reads it (CPUID and XGETBV instructions of its own, no library).
 * bench/ort-as-avx2.py --check runs it as built and again with its CPUID
 * and XGETBV replaced by traps under hide-avx512.so, and compares. Prints
 * one line of name=0|1. x86-64 only; a bench tool, not part of effad. */
#include <stdint.h>
#include <stdio.h>

static void cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
    __asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(leaf), "c"(sub));
}

int main(void)
{
    uint32_t l1[4], l7[4], l71[4], lo, hi;
    cpuid(1, 0, l1);
    cpuid(7, 0, l7);
    cpuid(7, 1, l71);
    const int osxsave = (l1[2] >> 27) & 1;
    lo = hi = 0;
    if (osxsave) __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    printf("avx=%u fma=%u avx2=%u avx512f=%u avx512bw=%u avx512vl=%u avx512vnni=%u avxvnni=%u "
           "xcr0_ymm=%u xcr0_zmm=%u\n",
           (l1[2] >> 28) & 1, (l1[2] >> 12) & 1, (l7[1] >> 5) & 1, (l7[1] >> 16) & 1, (l7[1] >> 30) & 1,
           (l7[1] >> 31) & 1, (l7[2] >> 11) & 1, (l71[0] >> 4) & 1, (lo & 6) == 6, (lo & 0xE0) == 0xE0);
    return 0;
}
