/* One pipeline per worker of a batch; see batch-pipeline.h. */
#include <stdlib.h>
#include <string.h>
#include "batch-pipeline.h"

int pipeline_threads_wanted(int threads, size_t n_images)
{
    if (threads <= 1 || n_images <= 1) return 1;
    if (threads > EFFAD_MAX_THREADS) threads = EFFAD_MAX_THREADS;
    return (size_t)threads < n_images ? threads : (int)n_images;
}

int pipeline_workers_wanted(int threads, size_t n_images)
{
    const int t = pipeline_threads_wanted(threads, n_images);
    return t == 1 ? 1 : (size_t)t < n_images ? t + 1 : t;
}

effad_status pipeline_workers_open(pipeline_workers *w, pipeline *main, int n, effad_error *e)
{
    memset(w, 0, sizeof *w);
    if (n < 1) n = 1;
    w->p = calloc((size_t)n, sizeof *w->p);
    w->copies = n > 1 ? calloc((size_t)n - 1, sizeof *w->copies) : 0;
    if (!w->p || (n > 1 && !w->copies)) {
        pipeline_workers_close(w);
        return effad_fail(e, EFFAD_ERR_NOMEM, "out of memory for %d workers", n);
    }
    w->p[0] = main;
    w->n = 1;
    if (n == 1) return EFFAD_OK;
    /* every worker single-threaded: the pool would only compete with them */
    w->pool = main->runner.threads;
    main->runner.threads = NULL;
    pipeline_plan_workers(main, 1);
    for (int k = 1; k < n; k++) {
        effad_status s = pipeline_open_copy(&w->copies[k - 1], main, e);
        if (s) {
            effad_error_prefix(e, "a worker's pipeline");
            pipeline_workers_close(w);
            return s;
        }
        w->p[w->n++] = &w->copies[k - 1];
    }
    return EFFAD_OK;
}

int pipeline_workers_batch(pipeline_workers *w, size_t n_images)
{
    if (w->n == 1 || !w->pool) return 1;
    pipeline *main = w->p[0];
    const int solo = n_images <= 1, has_pool = main->runner.threads != NULL;
    if (solo != has_pool) {   /* a re-plan in the arena it has: no allocation */
        main->runner.threads = solo ? w->pool : NULL;
        pipeline_plan_workers(main, solo ? w->pool->n_threads : 1);
    }
    const int t = solo ? 1 : pipeline_threads_wanted(w->pool->n_threads, n_images);
    return t < w->n ? t : w->n;
}

void pipeline_workers_close(pipeline_workers *w)
{
    if (!w) return;
    for (int k = 1; k < w->n; k++) pipeline_close(w->p[k]);
    if (w->p && w->p[0] && w->pool) {
        pipeline_plan_workers(w->p[0], w->pool->n_threads);
        w->p[0]->runner.threads = w->pool;
    }
    free(w->copies);
    free(w->p);
    memset(w, 0, sizeof *w);
}
