/* test-pool.h -- a serial stand-in for the thread pool (effad_threads):
 * ranges cut unevenly and run last first, so a test can check that a
 * threaded computation does not care who computes which part, even in a
 * build without threads. */
#ifndef EFFAD_TEST_POOL_H
#define EFFAD_TEST_POOL_H

#include "effad.h"

/* Worker 1 takes [3, n), then worker 0 takes [0, 3). */
static inline void test_uneven_parallel_for(effad_threads *t, effad_range_fn fn, void *ctx, int n)
{
    (void)t;
    int cut = n > 3 ? 3 : n;
    if (cut < n) fn(ctx, 1, cut, n);
    fn(ctx, 0, 0, cut);
}

#endif
