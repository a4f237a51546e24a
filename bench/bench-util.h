/*
 * bench-util.h -- what the C benchmarks under bench/ share: a monotonic
 * clock and float buffers of reproducible values. Header-only, so that
 * each benchmark still builds with the one cc line its header gives.
 */
#ifndef EFFAD_BENCH_UTIL_H
#define EFFAD_BENCH_UTIL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

/* Seconds on the monotonic clock. */
static inline double bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* n floats, 64-byte aligned, uniform in [-0.5, 0.5) from a generator
 * seeded by n; exits on out of memory (a benchmark has nothing to save). */
static inline float *bench_floats(size_t n)
{
    float *p = aligned_alloc(64, ((n ? n : 1) * sizeof *p + 63) / 64 * 64);
    if (!p) { fprintf(stderr, "out of memory\n"); exit(1); }
    uint32_t s = (uint32_t)n * 2654435761u + 12345u;
    for (size_t i = 0; i < n; i++) { s = s * 1664525u + 1013904223u; p[i] = (float)(s >> 8) / 16777216.0f - 0.5f; }
    return p;
}

#endif
