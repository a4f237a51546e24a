/* Images on several workers, delivered in input order (batch.h). */
#include <stdlib.h>
#include <string.h>
#include "batch.h"
#include "atomic-file.h"

#ifdef EFFAD_HAVE_THREADS
#include <pthread.h>
#include <signal.h>

/* A slot is one set of per-image state (the caller's worker state k);
 * there are more slots than threads. A finished image whose turn has not
 * come is parked in its slot, and its thread takes a free slot for the
 * next image instead of waiting: with one slot to spare, two threads on
 * equal images no longer wait on each other's jitter (fit of 200 B0
 * images on 2 threads: 240 of 2900 ms were spent waiting). */
typedef struct slot_state {
    int parked;                   /* work done, not yet delivered */
    size_t item;
    effad_status ws;              /* work's result and message */
    effad_error we;
} slot_state;

typedef struct batch {
    pthread_mutex_t lock;
    pthread_cond_t freed;         /* signalled when a slot is free again */
    size_t n, claimed, delivered;
    int stop;                     /* a deliver asked to stop */
    int delivering;               /* a thread is in its deliver loop */
    effad_status status;
    effad_error err;              /* the stopping deliver's message */
    batch_work_fn work;
    batch_deliver_fn deliver;
    void *ctx;
    int n_slots, n_free;
    int free_slot[EFFAD_MAX_THREADS + 1];   /* a stack of the free slots */
    slot_state slot[EFFAD_MAX_THREADS + 1];
} batch;

/* The slot holding item `delivered`, parked, or -1. Under the lock. */
static int next_parked(const batch *b)
{
    for (int k = 0; k < b->n_slots; k++)
        if (b->slot[k].parked && b->slot[k].item == b->delivered) return k;
    return -1;
}

/* Delivers parked items in order for as long as the next one is parked;
 * one thread at a time (`delivering`), the others park and go on. Called
 * and returns with the lock held. */
static void deliver_parked(batch *b)
{
    if (b->delivering) return;
    b->delivering = 1;
    int k;
    while (!b->stop && (k = next_parked(b)) >= 0) {
        slot_state *sl = &b->slot[k];
        pthread_mutex_unlock(&b->lock);
        effad_error de;
        memset(&de, 0, sizeof de);
        const effad_status ds = b->deliver(b->ctx, k, sl->item, sl->ws, &sl->we, &de);
        pthread_mutex_lock(&b->lock);
        if (ds) { b->stop = 1; b->status = ds; b->err = de; }
        sl->parked = 0;
        b->delivered++;
        b->free_slot[b->n_free++] = k;
        pthread_cond_broadcast(&b->freed);
    }
    b->delivering = 0;
}

static void *thread_main(void *arg)
{
    batch *b = arg;
    pthread_mutex_lock(&b->lock);
    for (;;) {
        while (!b->stop && b->claimed < b->n && !b->n_free) pthread_cond_wait(&b->freed, &b->lock);
        if (b->stop || b->claimed == b->n) break;
        const size_t i = b->claimed++;
        const int k = b->free_slot[--b->n_free];
        slot_state *sl = &b->slot[k];
        pthread_mutex_unlock(&b->lock);

        memset(&sl->we, 0, sizeof sl->we);
        sl->ws = b->work(b->ctx, k, i, &sl->we);

        pthread_mutex_lock(&b->lock);
        sl->item = i;
        sl->parked = 1;
        deliver_parked(b);
    }
    /* the last items may be parked behind one still in work: its thread
     * delivers them; a thread leaving here must not strand any */
    deliver_parked(b);
    pthread_mutex_unlock(&b->lock);
    return 0;
}

int batch_thread_start(pthread_t *th, void *(*fn)(void *), void *arg)
{
    sigset_t old;
    atomic_file_hold_signals(&old);
    const int rc = pthread_create(th, 0, fn, arg);
    atomic_file_release_signals(&old);
    return rc;
}
#endif

static effad_status run_here(size_t n, batch_work_fn work, batch_deliver_fn deliver, void *ctx, effad_error *e)
{
    for (size_t i = 0; i < n; i++) {
        effad_error we;
        memset(&we, 0, sizeof we);
        const effad_status ws = work(ctx, 0, i, &we);
        const effad_status ds = deliver(ctx, 0, i, ws, &we, e);
        if (ds) return ds;
    }
    return EFFAD_OK;
}

effad_status batch_run(int n_threads, int n_slots, size_t n, batch_work_fn work, batch_deliver_fn deliver, void *ctx,
                       effad_error *e)
{
    if (n_threads > n_slots) n_threads = n_slots;
    if (n_threads <= 1 || n <= 1) return run_here(n, work, deliver, ctx, e);
#ifdef EFFAD_HAVE_THREADS
    if (n_threads > EFFAD_MAX_THREADS) n_threads = EFFAD_MAX_THREADS;
    if (n_slots > EFFAD_MAX_THREADS + 1) n_slots = EFFAD_MAX_THREADS + 1;
    batch *b = calloc(1, sizeof *b);
    if (!b) return effad_fail(e, EFFAD_ERR_NOMEM, "out of memory for the batch");
    pthread_mutex_init(&b->lock, 0);
    pthread_cond_init(&b->freed, 0);
    b->n = n; b->work = work; b->deliver = deliver; b->ctx = ctx;
    b->n_slots = b->n_free = n_slots;
    for (int k = 0; k < n_slots; k++) b->free_slot[k] = n_slots - 1 - k;   /* slot 0 first */
    pthread_t th[EFFAD_MAX_THREADS];
    int started = 0;
    /* the calling thread is one of them */
    for (int t = 1; t < n_threads; t++) {
        if (batch_thread_start(&th[t], thread_main, b)) break;
        started = t;
    }
    thread_main(b);
    for (int t = 1; t <= started; t++) pthread_join(th[t], 0);
    pthread_cond_destroy(&b->freed);
    pthread_mutex_destroy(&b->lock);
    const effad_status st = b->status;
    if (st && e) *e = b->err;
    free(b);
    return st;
#else
    (void)work; (void)deliver; (void)ctx;
    return effad_fail(e, EFFAD_ERR_UNSUPPORTED, "this build has no thread support (make THREADS=1)");
#endif
}
