/*
 * big-buffer.h -- memory for the packed weights: 64-byte
 * aligned, and from 4 MiB up on 2 MiB boundaries with transparent huge
 * pages asked for (Linux MADV_HUGEPAGE; elsewhere plain memory).
 *
 * Why: a first touch of a 4 KiB page costs ~18 us in the VMs this runs on
 * (perf stat: 2,800 extra faults added 50 ms to loading B0 with its 12 MB
 * of packed weights); 2 MiB pages take 512 times fewer faults, which is
 * most of their cost. (Not for the arena: it is not all touched on every
 * model, and huge pages would make all of it resident.) Free with free().
 */
#ifndef EFFAD_BIG_BUFFER_H
#define EFFAD_BIG_BUFFER_H

#include <stddef.h>

void *big_buffer(size_t bytes);

#endif
