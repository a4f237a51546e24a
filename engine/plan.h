/* plan.h -- internal constants shared by the plan and the forward pass. */
#ifndef EFFAD_PLAN_H
#define EFFAD_PLAN_H

#include <stddef.h>
#include <string.h>

/* Depthwise rows are pooled in fixed bands of this many output rows, and
 * the band sums added in band order: the pooled vector is then the same
 * bits whatever the number of threads. */
#define PLAN_BAND_ROWS 4
/* GEMM rows are handed to workers in chunks of this many pixels. */
#define PLAN_GEMM_ROWS 64

size_t plan_bands(int rows);

#endif
