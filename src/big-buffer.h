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
 *
 * The same holds for every large buffer that is written or read in full
 * once it exists: a .gauss file read whole, the d x d Cholesky factors and
 * moment sums of a 1280-feature level (13 MB each). Those were 12,000 of
 * the 12,100 page faults of `effad score` on one image, about 120 ms of
 * its 200 (perf record -e page-faults, Zen 5 VM).
 */
#ifndef EFFAD_BIG_BUFFER_H
#define EFFAD_BIG_BUFFER_H

#include <stddef.h>

void *big_buffer(size_t bytes);
/* count x size bytes, zeroed (calloc's contract, overflow included) */
void *big_zeroed(size_t count, size_t size);

#endif
