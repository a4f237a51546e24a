/* The optional thread pool behind effad_threads (built with THREADS=1, the
 * default on Linux; bare-metal builds skip *-pthread.c files).
 *
 * A forward pass is ~50-150 parallel regions of 10-500 us each (every 1x1
 * conv, depthwise conv and the stem), so what matters is the cost of one
 * region, not of creating threads:
 *   - workers are created once and live until effad_threads_destroy();
 *   - the caller's thread is worker 0 and computes its own share, so a
 *     region costs one wake-up fewer than it has threads;
 *   - each worker takes one static contiguous range of [0, n): the same
 *     ranges every pass (no work stealing), one kernel call per worker (the
 *     AVX2 GEMM packs B once per call, so fewer calls is less packing);
 *   - a range whose worker has not claimed it by the time the caller is
 *     done with its own is run by the caller (claim() below): on a shared
 *     machine a woken thread can wait a whole scheduler slice for a CPU,
 *     and a static split would make every region wait with it;
 *   - hand-off is a generation counter: waiting threads spin on it for
 *     POOL_SPIN_NS (a pass's serial gaps -- squeeze-excite, taps -- are a
 *     few microseconds, far below a futex round trip), then sleep on a
 *     condition variable so an idle pool costs no CPU. The sleeping side
 *     announces itself in an atomic counter and the waking side takes the
 *     mutex only when somebody sleeps; both use sequentially consistent
 *     atomics, so "I sleep" / "work is posted" cannot both miss each other.
 * Measured and not kept (2026-12-04, Zen 5, 2 vCPUs): cutting the ranges
 * in proportion to each worker's measured speed (its own range timed, a
 * running average over regions relative to the caller's, even below a 5 %
 * dead zone), for a shared VM whose vCPUs drift apart in speed (one ran
 * ~25 % slower for minutes that day; bench/pin.js). With the CPUs equal the
 * estimate still sat 8-13 % off (the ranges differ in cost per chunk:
 * borders, halos, partial panels), so the split skewed anyway: B4 at two
 * threads 0.99-1.00 of the time, B0 1.02-1.05 (four alternated runs each);
 * under a CPU hog on one vCPU, medians within noise. Not worth a pool that
 * guesses. Nor stealing (2026-12-06, Zen 5): each worker taking its share
 * from the front in halves, a worker done with its own taking halves from
 * the back of the others', and a fused block's ring carried on between a
 * worker's consecutive pieces (alternated against this pool, two threads,
 * 20 passes a run): B4 `--fast` on the AVX2 table 30.8-31.4 against
 * 30.6-31.2 ms; with a busy loop pinned to CPU 1, 60.9-65.2 against
 * 62.4-65.0 ms, and float32 B4 105-115 against 113-115 ms -- both worse
 * than one thread (59.5 and ~105). A worker that loses its CPU loses it
 * in the middle of a piece, and the region cannot end without that piece
 * whatever the others take; under such a neighbour, use fewer threads.
 * Results do not depend on the pool: the engine's ranges are cut so that
 * every output element is computed by the same instructions whoever runs
 * it (tests/unit/test-threads.c checks this bit for bit). */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "effad.h"

/* Spin budget before sleeping; -DPOOL_SPIN_NS=0 gives a pure condition-
 * variable pool. bench/pool-overhead.c, 2 threads on this 2-CPU machine:
 * when the second CPU is free a region's hand-off costs ~1 us spinning
 * against 11-15 us through the condition variable; when the machine is
 * loaded (load average 5-13 while measuring) a long budget is the worst
 * choice -- 200 us of spinning holds a CPU the awaited thread needs, ~450
 * us per region -- and no budget helps much. 50 us covers the serial gaps
 * inside a pass (squeeze-excite, taps: 1-20 us) and bounds the loss.
 * A pool with more threads than online CPUs never spins: a spinning thread
 * would hold the CPU the thread it waits for needs, for a whole scheduler
 * slice (measured: ~1 ms per region with 3 threads on 2 CPUs). */
#ifndef POOL_SPIN_NS
#define POOL_SPIN_NS 50000
#endif

struct pool;
/* claimed: the last region (generation) whose range w somebody took --
 * the worker itself, or the caller when the worker was late (below). */
typedef struct worker {
    _Alignas(64) atomic_uint claimed;
    struct pool *p;
    int w;
    pthread_t tid;
} worker;

typedef struct pool {
    effad_threads pub;            /* first: the engine sees only this */
    int n_threads;
    long long spin_ns;
    worker *workers;              /* [w - 1] for workers 1 .. n_threads-1 */
    pthread_mutex_t mu;
    pthread_cond_t wake_cv, done_cv;
    /* the posted region; written by the caller before the generation bump */
    effad_range_fn fn;
    void *ctx;
    int n;
    atomic_int stop;
    /* hot counters on their own cache lines: workers poll gen while the
     * caller computes, and every worker decrements pending once */
    _Alignas(64) atomic_uint gen;
    _Alignas(64) atomic_int pending;
    _Alignas(64) atomic_int n_sleeping;   /* workers waiting on wake_cv */
    atomic_int caller_sleeping;           /* the caller waits on done_cv */
} pool;

static void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __asm__ __volatile__("pause");
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

static long long now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Spins until *v != seen or the budget runs out; returns the last value.
 * The clock is read every 64 polls only: it costs more than a poll. */
static unsigned spin_while_equal(atomic_uint *v, unsigned seen, long long spin_ns)
{
    unsigned g = atomic_load(v);
    if (g != seen || spin_ns <= 0) return g;
    long long deadline = now_ns() + spin_ns;
    for (unsigned i = 1;; i++) {
        cpu_relax();
        if ((g = atomic_load(v)) != seen) return g;
        if (!(i & 63u) && now_ns() > deadline) return g;
    }
}

/* Range w of region g goes to whoever claims it first: its worker or,
 * once the caller has finished its own range, the caller. On a shared
 * machine a woken worker may not get a CPU for a scheduler slice (ms);
 * the caller then runs that range itself instead of waiting. The ranges
 * stay the same static ones, each run exactly once and with its own
 * scratch slice (worker index w), so the results are unchanged. Every
 * range is claimed in every region, so while region g is current a slot
 * holds g - 1 or g, and a worker that wakes for an old region fails. */
static int claim(pool *p, int w, unsigned g)
{
    unsigned prev = g - 1u;
    return atomic_compare_exchange_strong(&p->workers[w - 1].claimed, &prev, g);
}

/* Marks one claimed range done; wakes the caller if it sleeps on it. */
static void range_done(pool *p)
{
    if (atomic_fetch_sub(&p->pending, 1) == 1 && atomic_load(&p->caller_sleeping)) {
        pthread_mutex_lock(&p->mu);
        pthread_cond_signal(&p->done_cv);
        pthread_mutex_unlock(&p->mu);
    }
}

/* Worker w's share of [0, n): contiguous, in worker order, and only the
 * first min(n, threads) workers get any. */
static void range_of(int n, int threads, int w, int *begin, int *end)
{
    int t = n < threads ? n : threads;
    if (w >= t) { *begin = *end = 0; return; }
    *begin = (int)((long long)n * w / t);
    *end = (int)((long long)n * (w + 1) / t);
}

static void *worker_main(void *arg)
{
    pool *p = ((worker *)arg)->p;
    const int w = ((worker *)arg)->w;
    unsigned seen = 0;
    for (;;) {
        unsigned g = spin_while_equal(&p->gen, seen, p->spin_ns);
        if (g == seen) {
            pthread_mutex_lock(&p->mu);
            atomic_fetch_add(&p->n_sleeping, 1);
            while ((g = atomic_load(&p->gen)) == seen) pthread_cond_wait(&p->wake_cv, &p->mu);
            atomic_fetch_sub(&p->n_sleeping, 1);
            pthread_mutex_unlock(&p->mu);
        }
        seen = g;
        if (atomic_load(&p->stop)) return 0;
        if (!claim(p, w, g)) continue;          /* the caller ran it */
        int begin, end;                         /* fn, ctx, n are region g's: */
        range_of(p->n, p->n_threads, w, &begin, &end);   /* it cannot end before we do */
        if (begin < end) p->fn(p->ctx, w, begin, end);
        range_done(p);
    }
}

/* Posts a region (or the stop order) to every worker. */
static void post(pool *p)
{
    atomic_store(&p->pending, p->n_threads - 1);
    atomic_fetch_add(&p->gen, 1);       /* publishes fn, ctx, n, stop */
    if (atomic_load(&p->n_sleeping) > 0) {
        pthread_mutex_lock(&p->mu);
        pthread_cond_broadcast(&p->wake_cv);
        pthread_mutex_unlock(&p->mu);
    }
}

static void pool_parallel_for(effad_threads *t, effad_range_fn fn, void *ctx, int n)
{
    pool *p = (pool *)t;
    if (n <= 0) return;
    if (p->n_threads < 2 || n < 2) { fn(ctx, 0, 0, n); return; }
    p->fn = fn; p->ctx = ctx; p->n = n;
    post(p);
    const unsigned g = atomic_load(&p->gen);
    int begin, end;
    range_of(n, p->n_threads, 0, &begin, &end);
    if (begin < end) fn(ctx, 0, begin, end);
    for (int w = 1; w < p->n_threads; w++) {    /* late workers' ranges */
        if (!claim(p, w, g)) continue;
        range_of(n, p->n_threads, w, &begin, &end);
        if (begin < end) fn(ctx, w, begin, end);
        range_done(p);
    }
    /* wait for the others: spin (they are usually nearly done), then sleep */
    if (atomic_load(&p->pending) == 0) return;
    long long deadline = now_ns() + p->spin_ns;
    for (unsigned i = 1; p->spin_ns > 0; i++) {
        cpu_relax();
        if (atomic_load(&p->pending) == 0) return;
        if (!(i & 63u) && now_ns() > deadline) break;
    }
    pthread_mutex_lock(&p->mu);
    /* An exchange, not a store: "I sleep" must be visible before pending
     * is read (range_done reads the two the other way round). C11 orders
     * a seq_cst store before a later seq_cst load, and Arm's STLR/LDAR do;
     * qemu-aarch64 on an x86 host did not (a plain store and load, which
     * TSO may reorder): test-threads hung there in 1 of 6 runs, caller
     * and workers all asleep. A read-modify-write is a full fence
     * everywhere. */
    atomic_exchange(&p->caller_sleeping, 1);
    while (atomic_load(&p->pending) > 0) pthread_cond_wait(&p->done_cv, &p->mu);
    atomic_store(&p->caller_sleeping, 0);
    pthread_mutex_unlock(&p->mu);
}

effad_threads *effad_threads_create(int n_threads, effad_error *e)
{
    if (n_threads < 1 || n_threads > EFFAD_MAX_THREADS) {
        effad_fail(e, EFFAD_ERR_ARG, "thread count %d out of range 1..%d", n_threads, EFFAD_MAX_THREADS);
        return 0;
    }
    pool *p = calloc(1, sizeof *p);
    worker *ws = n_threads > 1 ? aligned_alloc(64, sizeof *ws * (size_t)(n_threads - 1)) : 0;
    if (ws) memset(ws, 0, sizeof *ws * (size_t)(n_threads - 1));
    if (!p || (n_threads > 1 && !ws)) {
        free(p); free(ws);
        effad_fail(e, EFFAD_ERR_NOMEM, "out of memory for a %d-thread pool", n_threads);
        return 0;
    }
    p->pub.parallel_for = pool_parallel_for;
    p->pub.n_threads = n_threads;
    p->n_threads = n_threads;
    p->workers = ws;
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    p->spin_ns = cpus > 0 && n_threads > cpus ? 0 : POOL_SPIN_NS;
    atomic_init(&p->gen, 0);
    atomic_init(&p->pending, 0);
    atomic_init(&p->n_sleeping, 0);
    atomic_init(&p->caller_sleeping, 0);
    atomic_init(&p->stop, 0);
    for (int i = 0; i < n_threads - 1; i++) atomic_init(&ws[i].claimed, 0);
    pthread_mutex_init(&p->mu, 0);
    pthread_cond_init(&p->wake_cv, 0);
    pthread_cond_init(&p->done_cv, 0);
    int started = 0;
    for (; started < n_threads - 1; started++) {
        ws[started].p = p;
        ws[started].w = started + 1;
        if (pthread_create(&ws[started].tid, 0, worker_main, &ws[started])) break;
    }
    if (started < n_threads - 1) {
        p->n_threads = started + 1;       /* stop only those that exist */
        effad_threads_destroy(&p->pub);
        effad_fail(e, EFFAD_ERR_NOMEM, "could not start thread %d of %d", started + 2, n_threads);
        return 0;
    }
    return &p->pub;
}

void effad_threads_destroy(effad_threads *t)
{
    if (!t) return;
    pool *p = (pool *)t;
    if (p->n_threads > 1) {
        atomic_store(&p->stop, 1);
        post(p);
        for (int i = 0; i < p->n_threads - 1; i++) pthread_join(p->workers[i].tid, 0);
    }
    pthread_cond_destroy(&p->wake_cv);
    pthread_cond_destroy(&p->done_cv);
    pthread_mutex_destroy(&p->mu);
    free(p->workers);
    free(p);
}
