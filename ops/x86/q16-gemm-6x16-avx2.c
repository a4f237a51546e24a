/* q16-gemm-6x16-avx2.c -- the 16x8 1x1 GEMM for any AVX2 CPU, by
 * vpmaddwd (the body and its measurements: q16-gemm-6x16.h). */
#define Q16G_VNNI 0
#define Q16G_FN(name) name##_avx2
#include "q16-gemm-6x16.h"
