/* q8-gemm-6x16-avxvnni.c -- the int8 1x1 GEMM for AVX2 CPUs with AVX-VNNI
 * (cpuid 7.1 EAX bit 4): every panel k quads, VEX VPDPBUSD, any int8
 * weights (the body and its measurements: q8-gemm-6x16.h). */
#define Q8G_VNNI 1
#define Q8G_FN(name) name##_avxvnni
#include "q8-gemm-6x16.h"
