/* q8-gemm-6x16-avx2.c -- the int8 1x1 GEMM for any AVX2 CPU: 7-bit
 * weight panels by vpmaddubsw, the others widened to int16 for vpmaddwd
 * (the body and its measurements: q8-gemm-6x16.h). */
#define Q8G_VNNI 0
#define Q8G_FN(name) name##_avx2
#include "q8-gemm-6x16.h"
