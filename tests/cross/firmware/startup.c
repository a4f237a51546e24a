/*
 * startup.c -- reset to main on an Armv7-M core (Cortex-M7 on MPS2 AN500,
 * Cortex-M4F on AN386): the vector table, the FPU switched on, .data copied
 * from flash, .bss zeroed, the stack painted for the high-water mark, and
 * main's status handed to semihosting's exit. Every fault prints which one
 * and exits non-zero, so a crash under QEMU fails the test instead of
 * hanging until the timeout.
 */
#include <stdint.h>
#include "board.h"
#include "semihost.h"

int main(void);

/* linker script symbols (mps2.ld) */
extern uint32_t __data_load[], __data_start[], __data_end[], __bss_start[], __bss_end[];
extern uint32_t __ram_static_start[], __ram_static_end[], __stack_limit[], __stack_top[];

#define STACK_PAINT 0x5afe57acu
#define SCB_CPACR (*(volatile uint32_t *)0xE000ED88u)

/* ------------------------------------------------------------- faults */

static _Noreturn void fault(const char *what)
{
    semihost_write("effad firmware: ");
    semihost_write(what);
    semihost_write(" fault\n");
    semihost_exit(1);
}

static void nmi_handler(void) { fault("NMI"); }
static void hard_fault_handler(void) { fault("hard"); }
static void mem_manage_handler(void) { fault("memory management"); }
static void bus_fault_handler(void) { fault("bus"); }
static void usage_fault_handler(void) { fault("usage"); }
static void unexpected_handler(void) { fault("unexpected interrupt"); }

/* -------------------------------------------------------------- reset */

void reset_handler(void);

void reset_handler(void)
{
    /* CP10 and CP11 (the FPU) full access, before any floating-point
     * instruction can run; the barriers make the new access rights
     * visible to the very next instruction. */
    SCB_CPACR |= 0xFu << 20;
    __asm__ volatile("dsb\n\tisb" ::: "memory");

    for (uint32_t *s = __data_load, *d = __data_start; d < __data_end;) *d++ = *s++;
    for (uint32_t *d = __bss_start; d < __bss_end;) *d++ = 0;

    /* Paint the stack below this frame; main's deepest call is then the
     * lowest word the pattern no longer holds. */
    uint32_t *sp;
    __asm__ volatile("mov %0, sp" : "=r"(sp));
    for (uint32_t *p = __stack_limit; p < sp - 16;) *p++ = STACK_PAINT;

    semihost_exit(main());
}

/* ------------------------------------------------------- vector table */

typedef void (*vector)(void);

/* The initial stack pointer, then reset and the system exceptions; MPS2's
 * peripheral interrupts stay disabled, so no entries follow them. */
__attribute__((section(".vectors"), used))
static const struct { uint32_t *initial_sp; vector handler[15]; } vectors = {
    __stack_top,
    {
        reset_handler,
        nmi_handler,
        hard_fault_handler,
        mem_manage_handler,
        bus_fault_handler,
        usage_fault_handler,
        0, 0, 0, 0,               /* reserved */
        unexpected_handler,       /* SVCall */
        unexpected_handler,       /* debug monitor */
        0,                        /* reserved */
        unexpected_handler,       /* PendSV */
        unexpected_handler,       /* SysTick */
    },
};

/* ------------------------------------------------------ memory figures */

size_t board_static_ram_bytes(void)
{
    return (size_t)((uintptr_t)__ram_static_end - (uintptr_t)__ram_static_start);
}

size_t board_stack_bytes(void)
{
    return (size_t)((uintptr_t)__stack_top - (uintptr_t)__stack_limit);
}

size_t board_stack_high_water_bytes(void)
{
    const uint32_t *p = __stack_limit;
    while (p < __stack_top && *p == STACK_PAINT) p++;
    return (size_t)((uintptr_t)__stack_top - (uintptr_t)p);
}
