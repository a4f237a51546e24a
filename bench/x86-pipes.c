/*
 * x86-pipes.c -- whether this CPU runs the integer multiplies of the int8
 * kernels (vpmaddubsw, vpmaddwd) on the pipes of its float FMAs or beside
 * them. Not part of `make test`. Build and run on one pinned CPU:
 *
 *   cc -O2 -mavx2 -mfma -o build/x86-pipes bench/x86-pipes.c && taskset -c 1 build/x86-pipes
 *
 * Three loops, each iteration issuing independent instructions only (eight
 * FMA chains, enough to cover the FMA latency at two a cycle; multiplies
 * and adds of loop-invariant registers, so none waits on another): FMAs
 * alone, integer multiplies alone, and both interleaved; then the same with
 * eight integer adds on top. If the multiplies share the FMA pipes, "both"
 * takes about the sum of the two alone; if they have pipes of their own,
 * about the larger. Best of 5 (the machine is shared).
 *
 * Why it matters: the int8 AVX2 rows of `make bench` run on an AVX-512
 * machine made to look AVX2-only (bench/hide-avx512.c): the same
 * instructions, not the same pipes. Measured on the shared Zen 5 of
 * 2026-12-04 (ns per iteration, two runs): FMAs alone 1.11-1.12,
 * multiplies alone 1.11, both 1.29, both plus adds 1.30 -- the multiplies
 * go beside the FMAs (two of each a cycle, over five vector instructions a
 * cycle in all), so there the int8 kernels' float epilogue overlaps their
 * multiplies. On Intel's cores, by uops.info's tables, FMA runs on ports 0
 * and 1 and both multiplies on the same two (Ice Lake) or on port 0 alone
 * (Haswell), where the same code cannot overlap them: the stand-in's int8
 * ratios are the better side of what such a CPU gives.
 */
#include <immintrin.h>
#include <stdio.h>
#include <time.h>

#define ITERS 20000000L
#define KEEP(v) __asm__ volatile("" : "+x"(v))
#define SINK(v) __asm__ volatile("" ::"x"(v))

static double now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

/* One loop: fma, mul, add say which groups of eight each iteration issues. */
static double loop_ns(const int fma, const int mul, const int add)
{
    __m256 b = _mm256_set1_ps(1.0000001f), c = _mm256_set1_ps(1e-7f);
    __m256 f0 = b, f1 = b, f2 = b, f3 = b, f4 = b, f5 = b, f6 = b, f7 = b;
    __m256i w = _mm256_set1_epi8(2), x = _mm256_set1_epi8(3), y = _mm256_set1_epi8(5), z = _mm256_set1_epi8(7);
    const double t = now_ns();
    for (long k = 0; k < ITERS; k++) {
        KEEP(x); KEEP(w); KEEP(y); KEEP(z);
        if (fma) {
            f0 = _mm256_fmadd_ps(f0, b, c); f1 = _mm256_fmadd_ps(f1, b, c);
            f2 = _mm256_fmadd_ps(f2, b, c); f3 = _mm256_fmadd_ps(f3, b, c);
            f4 = _mm256_fmadd_ps(f4, b, c); f5 = _mm256_fmadd_ps(f5, b, c);
            f6 = _mm256_fmadd_ps(f6, b, c); f7 = _mm256_fmadd_ps(f7, b, c);
        }
        if (mul) {
            SINK(_mm256_maddubs_epi16(x, w)); SINK(_mm256_maddubs_epi16(w, x));
            SINK(_mm256_maddubs_epi16(y, w)); SINK(_mm256_maddubs_epi16(z, w));
            SINK(_mm256_madd_epi16(x, w)); SINK(_mm256_madd_epi16(y, x));
            SINK(_mm256_madd_epi16(z, x)); SINK(_mm256_madd_epi16(y, z));
        }
        if (add) {
            SINK(_mm256_add_epi32(x, w)); SINK(_mm256_add_epi32(y, w));
            SINK(_mm256_add_epi32(z, w)); SINK(_mm256_add_epi32(x, y));
            SINK(_mm256_add_epi32(x, z)); SINK(_mm256_add_epi32(y, z));
            SINK(_mm256_sub_epi32(x, w)); SINK(_mm256_sub_epi32(y, w));
        }
    }
    const double ns = (now_ns() - t) / ITERS;
    KEEP(f0); KEEP(f1); KEEP(f2); KEEP(f3); KEEP(f4); KEEP(f5); KEEP(f6); KEEP(f7);
    return ns;
}

static double best(const int fma, const int mul, const int add)
{
    double m = 1e30;
    for (int r = 0; r < 5; r++) {
        const double t = loop_ns(fma, mul, add);
        if (t < m) m = t;
    }
    return m;
}

int main(void)
{
    const double f = best(1, 0, 0), m = best(0, 1, 0), fm = best(1, 1, 0), fma_ = best(1, 1, 1);
    printf("ns per iteration: 8 FMA %.3f, 8 int multiplies %.3f, both %.3f, both + 8 int adds %.3f\n", f, m, fm, fma_);
    const double larger = f > m ? f : m;
    printf("both / the larger alone %.2f, both / the sum %.2f: the integer multiplies %s\n", fm / larger,
           fm / (f + m), fm < 0.75 * (f + m) ? "run beside the FMAs" : "share the FMA pipes");
    return 0;
}
