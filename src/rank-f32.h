/*
 * rank-f32.h -- the order of many float32 values, largest first, in
 * linear time: what the pixel threshold search (regions.c) and the pixel
 * ROC / PRO sweep (pixel-eval.c) need over millions of map pixels, where
 * qsort on 16-byte records would cost both time and memory.
 */
#ifndef EFFAD_RANK_F32_H
#define EFFAD_RANK_F32_H

#include <stddef.h>
#include <stdint.h>

/* order[0..n) <- the indices of v sorted by descending value; equal values
 * keep ascending index order (stable). NaN sorts above +inf. scratch:
 * n uint32 values. n must be below 2^32. */
void rank_f32_desc(const float *v, size_t n, uint32_t *order, uint32_t *scratch);

#endif
