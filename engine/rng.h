/*
 * rng.h -- effad's own small PRNG: splitmix64 (Steele, Lea, Flood 2014,
 * the seeding generator of xoshiro).
 *
 * Why our own: the demo model's weights and the synthetic data set must be
 * the same bytes on every machine and libc, so neither rand() nor any
 * libm-based sampler may decide a value. Everything here is 64-bit integer
 * arithmetic; the one float conversion (rng_unit) is exact (24 bits into a
 * float's 24-bit significand, times a power of two).
 *
 * Header-only and freestanding, so it lives in engine/ where both convert/
 * (the demo model) and src/ (the synthetic data) may include it.
 */
#ifndef EFFAD_RNG_H
#define EFFAD_RNG_H

#include <stdint.h>

typedef struct rng { uint64_t s; } rng;

/* A splitmix64 finaliser: also a good 64-bit hash for deriving the seed of
 * an independent stream from (seed, stream id). */
static inline uint64_t rng_mix(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

static inline rng rng_seeded(uint64_t seed) { rng r = { rng_mix(seed) }; return r; }

static inline uint64_t rng_next(rng *r)
{
    r->s += 0x9e3779b97f4a7c15u;
    return rng_mix(r->s);
}

/* Uniform integer in [lo, hi] (hi >= lo, span below 2^32). The modulo bias
 * is below 2^-32 for the small spans used here: irrelevant, and exact
 * rejection would make the stream length data-dependent for nothing. */
static inline int rng_int(rng *r, int lo, int hi)
{
    uint64_t span = (uint64_t)((int64_t)hi - (int64_t)lo) + 1u;
    return lo + (int)((rng_next(r) >> 32) % span);
}

/* Uniform float in [0, 1), exactly k * 2^-24. */
static inline float rng_unit(rng *r)
{
    return (float)(rng_next(r) >> 40) * (1.0f / 16777216.0f);
}

#endif
