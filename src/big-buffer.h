/*
 * big-buffer.h -- memory for the packed weights: 64-byte
 * aligned, and from 4 MiB up on 2 MiB boundaries with transparent huge
 * pages asked for (Linux MADV_HUGEPAGE; elsewhere plain memory).
 *
 * Why: a first touch of a 4 KiB page costs ~18 us in the VMs this runs on
 * (perf stat: 2,800 extra faults added 50 ms to loading B0 with its 12 MB
 * of packed weights); 2 MiB pages take 512 times fewer faults, which is
 * most of their cost. Free with free().
 *
 * The engine's arena too (pipeline.c, effad bench and features), now that the plan lays
 * it out for what each pass touches (x0 and x1 sized apart, no pack
 * buffer for weights packed beforehand: engine/plan.c): B4's arena went
 * 26.4 -> 20.0 MiB, and on huge pages its first pass stopped paying ~1,700
 * 4 KiB faults per 7 MB -- start to first inference B4 198-257 -> 124-157
 * ms, B0 39-43 -> 28-34 ms, peak RSS 92.8-92.9 -> 93.0-93.2 MiB (effad
 * bench, alternating binaries, Zen 5 VM). Before the plan was tight, 24 %
 * of B4's arena was never touched, and huge pages made RSS 4.6 MiB larger.
 *
 * The same holds for every large buffer that is written or read in full
 * once it exists: a .gauss file read whole, the Cholesky factors and
 * moment sums of a 1280-feature level (13 MB each when the factor was kept
 * square). Those were 12,000 of the 12,100 page faults of `effad score` on
 * one image, about 120 ms of its 200 (perf record -e page-faults, Zen 5
 * VM). The factor, the covariance it is factored from and the moment sums
 * are now kept packed (gauss.h): 6.5 MB each.
 */
#ifndef EFFAD_BIG_BUFFER_H
#define EFFAD_BIG_BUFFER_H

#include <stddef.h>

void *big_buffer(size_t bytes);
/* count x size bytes, zeroed (calloc's contract, overflow included) */
void *big_zeroed(size_t count, size_t size);

#endif
