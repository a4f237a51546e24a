/*
 * board.h -- what startup.c and the linker script (mps2.ld) tell the rest
 * of the firmware about memory: the static RAM the image occupies and how
 * deep the stack has been.
 */
#ifndef FW_BOARD_H
#define FW_BOARD_H

#include <stddef.h>

/* Bytes of .data + .bss + .noinit (every static buffer, the arena too). */
size_t board_static_ram_bytes(void);
/* The stack reserved by the linker script, and the most of it used so far:
 * startup paints it with a pattern before main, and this finds the lowest
 * word that no longer holds the pattern. */
size_t board_stack_bytes(void);
size_t board_stack_high_water_bytes(void);

#endif
