/*
 * pool-overhead.c -- what one parallel region costs in the thread pool.
 * Not part of `make test`. Build the two hand-off variants and run them:
 *
 *   for s in 50000 0; do cc -std=c11 -D_POSIX_C_SOURCE=200809L -O2 -pthread -Iengine -DPOOL_SPIN_NS=$s \
 *       -o build/pool-overhead-$s bench/pool-overhead.c build/libeffad.a && build/pool-overhead-$s; done
 *
 * The pool source is included so that its spin budget can be set here;
 * everything else comes from the library. Per region: an empty one (pure
 * hand-off: wake, two ranges, join), and one with W microseconds of work
 * per item on 2 items, against W done serially -- the forward pass's
 * regions are 10-500 us, so the overhead is read against those. Medians of
 * many repetitions (the machine is shared).
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "effad.h"
#include "../engine/threads-pthread.c"

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec * 1e-3;
}

static void busy(double us)
{
    double end = now_us() + us;
    while (now_us() < end) {}
}

static void work_fn(void *ctx, int w_id, int begin, int end)
{
    (void)w_id;
    for (int i = begin; i < end; i++) busy(*(const double *)ctx);
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Median time per region over reps regions of n items of us each. */
static double region_us(effad_threads *t, int n, double us, int reps)
{
    static double s[20000];
    for (int i = 0; i < reps; i++) {
        double a = now_us();
        if (t) t->parallel_for(t, work_fn, &us, n);
        else work_fn(&us, 0, 0, n);
        s[i] = now_us() - a;
    }
    qsort(s, (size_t)reps, sizeof s[0], cmp);
    return s[reps / 2];
}

int main(void)
{
    effad_error e = { 0 };
    effad_threads *t = effad_threads_create(2, &e);
    if (!t) { fprintf(stderr, "%s\n", e.msg); return 1; }
    printf("pool, 2 threads, spin budget %d ns\n", POOL_SPIN_NS);
    printf("  empty region (hand-off only): %.2f us\n", region_us(t, 2, 0, 20000));
    const double work[] = { 5, 20, 100, 250 };
    for (int i = 0; i < 4; i++) {
        double serial = region_us(0, 2, work[i], 2000), par = region_us(t, 2, work[i], 2000);
        printf("  2 x %3.0f us: serial %7.1f us, pooled %7.1f us, overhead vs ideal %5.1f us\n", work[i], serial, par,
               par - serial / 2);
    }
    /* the gap case: a serial stretch (squeeze-excite) between regions, so
     * the workers go idle for a while before the next region */
    double gapped[3];
    const double gaps[3] = { 10, 100, 1000 };
    for (int g = 0; g < 3; g++) {
        static double s[2000];
        double us = 50;
        for (int i = 0; i < 2000; i++) {
            busy(gaps[g]);
            double a = now_us();
            t->parallel_for(t, work_fn, &us, 2);
            s[i] = now_us() - a;
        }
        qsort(s, 2000, sizeof s[0], cmp);
        gapped[g] = s[1000] - us;
        printf("  2 x 50 us after %4.0f us idle: overhead %5.1f us\n", gaps[g], gapped[g]);
    }
    effad_threads_destroy(t);
    return 0;
}
