/* Images on several workers, delivered in input order (batch.h). */
#include <string.h>
#include "batch.h"

#ifdef EFFAD_HAVE_THREADS
#include <pthread.h>
#include <signal.h>

typedef struct batch {
    pthread_mutex_t lock;
    pthread_cond_t turn;          /* signalled when `delivered` moves */
    size_t n, claimed, delivered;
    int stop;                     /* a deliver asked to stop */
    effad_status status;
    effad_error err;              /* the stopping deliver's message */
    batch_work_fn work;
    batch_deliver_fn deliver;
    void *ctx;
} batch;

typedef struct worker_arg { batch *b; int worker; } worker_arg;

static void *worker_main(void *arg)
{
    const worker_arg *wa = arg;
    batch *b = wa->b;
    for (;;) {
        pthread_mutex_lock(&b->lock);
        if (b->stop || b->claimed == b->n) { pthread_mutex_unlock(&b->lock); break; }
        const size_t i = b->claimed++;
        pthread_mutex_unlock(&b->lock);

        effad_error we;
        memset(&we, 0, sizeof we);
        const effad_status ws = b->work(b->ctx, wa->worker, i, &we);

        pthread_mutex_lock(&b->lock);
        while (!b->stop && b->delivered != i) pthread_cond_wait(&b->turn, &b->lock);
        if (b->stop) { pthread_mutex_unlock(&b->lock); break; }
        pthread_mutex_unlock(&b->lock);
        /* the only one delivering now: every item before i is done */
        effad_error de;
        memset(&de, 0, sizeof de);
        const effad_status ds = b->deliver(b->ctx, wa->worker, i, ws, &we, &de);
        pthread_mutex_lock(&b->lock);
        if (ds) { b->stop = 1; b->status = ds; b->err = de; }
        b->delivered = i + 1;
        pthread_cond_broadcast(&b->turn);
        pthread_mutex_unlock(&b->lock);
    }
    return 0;
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

effad_status batch_run(int n_workers, size_t n, batch_work_fn work, batch_deliver_fn deliver, void *ctx,
                       effad_error *e)
{
    if (n_workers <= 1 || n <= 1) return run_here(n, work, deliver, ctx, e);
#ifdef EFFAD_HAVE_THREADS
    if (n_workers > EFFAD_MAX_THREADS) n_workers = EFFAD_MAX_THREADS;
    batch b;
    memset(&b, 0, sizeof b);
    pthread_mutex_init(&b.lock, 0);
    pthread_cond_init(&b.turn, 0);
    b.n = n; b.work = work; b.deliver = deliver; b.ctx = ctx;
    pthread_t th[EFFAD_MAX_THREADS];
    worker_arg args[EFFAD_MAX_THREADS];
    int started = 0;
    /* the calling thread is worker 0; the others start with SIGINT,
     * SIGTERM and SIGHUP blocked, as the engine's pool does (pipeline.c),
     * so those signals reach the main thread and its cleanup handler
     * (atomic-file.h) */
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGINT); sigaddset(&block, SIGTERM); sigaddset(&block, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &block, &old);
    for (int w = 1; w < n_workers; w++) {
        args[w].b = &b; args[w].worker = w;
        if (pthread_create(&th[w], 0, worker_main, &args[w])) break;
        started = w;
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    args[0].b = &b; args[0].worker = 0;
    worker_main(&args[0]);
    for (int w = 1; w <= started; w++) pthread_join(th[w], 0);
    pthread_cond_destroy(&b.turn);
    pthread_mutex_destroy(&b.lock);
    if (b.status && e) *e = b.err;
    return b.status;
#else
    (void)work; (void)deliver; (void)ctx;
    return effad_fail(e, EFFAD_ERR_UNSUPPORTED, "this build has no thread support (make THREADS=1)");
#endif
}
