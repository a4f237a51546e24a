/* q16-gemm-6x16-avxvnni.c -- the 16x8 1x1 GEMM for AVX2 CPUs with
 * AVX-VNNI, by VEX vpdpwssd (the body and its measurements:
 * q16-gemm-6x16.h). */
#define Q16G_VNNI 1
#define Q16G_FN(name) name##_avxvnni
#include "q16-gemm-6x16.h"
