/*
 * semihost.c -- SYS_WRITE0 and SYS_EXIT by the M-profile convention: the
 * operation in r0, its argument in r1, then BKPT 0xAB (the Arm
 * "Semihosting for AArch32 and AArch64" specification, section 2).
 */
#include <stdint.h>
#include "semihost.h"

#define SYS_WRITE0 0x04
#define SYS_EXIT   0x18
/* SYS_EXIT's reason codes (the specification's ADP_Stopped_*). On AArch32
 * the reason is passed in r1 itself, not through a parameter block. */
#define ADP_STOPPED_APPLICATION_EXIT     0x20026
#define ADP_STOPPED_RUN_TIME_ERROR       0x20023

static int semihost_call(int op, const void *arg)
{
    register int r0 __asm__("r0") = op;
    register const void *r1 __asm__("r1") = arg;
    __asm__ volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}

void semihost_write(const char *s)
{
    semihost_call(SYS_WRITE0, s);
}

_Noreturn void semihost_exit(int status)
{
    semihost_call(SYS_EXIT, (const void *)(uintptr_t)(status ? ADP_STOPPED_RUN_TIME_ERROR : ADP_STOPPED_APPLICATION_EXIT));
    for (;;) __asm__ volatile("wfi");   /* a host without semihosting: stop here */
}
