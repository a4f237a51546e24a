/* plan.h -- internal constants shared by the plan and the forward pass. */
#ifndef EFFAD_PLAN_H
#define EFFAD_PLAN_H

#include <stddef.h>
#include <string.h>

/* Depthwise rows are pooled in fixed bands of this many output rows, and
 * the band sums added in band order: the pooled vector is then the same
 * bits whatever the number of threads. */
#define PLAN_BAND_ROWS 4
/* GEMM rows are handed to workers in chunks of this many pixels; a layer
 * with fewer row chunks than column chunks (the 7x7 and 14x14 maps of the
 * last stages: 1-4 row chunks, up to 80 column chunks) is split by output
 * channels instead, in chunks of PLAN_GEMM_COLS -- a multiple of every
 * kernel's column tile, so no tile is cut. The choice depends on the shape
 * only, and every output element is computed by the same instructions
 * either way (tests/unit/test-threads.c). */
#define PLAN_GEMM_ROWS 64
#define PLAN_GEMM_COLS 16

size_t plan_bands(int rows);

#endif
