/*
 * test-batch.c -- src/batch.c: items worked on several workers, delivered
 * in input order, each on the worker that worked it; a stop ends the
 * deliveries; a failing item is handed to deliver with its message.
 */
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "batch.h"

#define N 257

typedef struct ctx {
    double per_worker[EFFAD_MAX_THREADS];   /* what work left for deliver */
    int worked_by[N];
    size_t next;                            /* the index deliver expects */
    int out_of_order, wrong_worker;
    double sum;                             /* accumulated in delivery order */
    size_t stop_at, fail_at;
    int failures_seen;
} ctx;

static effad_status work(void *p, int worker, size_t i, effad_error *e)
{
    ctx *c = p;
    /* uneven work, so that workers finish out of order */
    double v = 0;
    for (size_t k = 0; k < 2000 * (i % 7 + 1); k++) v += 1.0 / (double)(k + i + 1);
    c->per_worker[worker] = v;
    c->worked_by[i] = worker;
    if (i == c->fail_at) return effad_fail(e, EFFAD_ERR_FORMAT, "item %zu is bad", i);
    return EFFAD_OK;
}

static effad_status deliver(void *p, int worker, size_t i, effad_status s, const effad_error *we, effad_error *e)
{
    ctx *c = p;
    if (i != c->next) c->out_of_order++;
    if (c->worked_by[i] != worker) c->wrong_worker++;
    c->next = i + 1;
    if (s) { c->failures_seen += strstr(we->msg, "is bad") != 0; return EFFAD_OK; }
    c->sum = c->sum * 1.0000001 + c->per_worker[worker];   /* order-sensitive */
    if (i == c->stop_at) return effad_fail(e, EFFAD_ERR_ARG, "stop at %zu", i);
    return EFFAD_OK;
}

int main(void)
{
    double ref = 0;
    for (int workers = 1; workers <= 4; workers++) {
        static ctx c;
        memset(&c, 0, sizeof c);
        c.stop_at = (size_t)-1;
        c.fail_at = 100;
        effad_error e = { 0 };
        effad_status s = batch_run(workers, N, work, deliver, &c, &e);
#ifndef EFFAD_HAVE_THREADS
        if (workers > 1) { CHECK_EQ_INT(s, EFFAD_ERR_UNSUPPORTED); continue; }
#endif
        CHECK_EQ_INT(s, EFFAD_OK);
        CHECK_EQ_INT(c.next, N);
        CHECK_EQ_INT(c.out_of_order, 0);
        CHECK_EQ_INT(c.wrong_worker, 0);
        CHECK_EQ_INT(c.failures_seen, 1);
        if (workers == 1) ref = c.sum;
        CHECK_MSG(c.sum == ref, "%d workers: sum %.17g, 1 worker %.17g", workers, c.sum, ref);

        memset(&c, 0, sizeof c);
        c.stop_at = 37;
        c.fail_at = (size_t)-1;
        s = batch_run(workers, N, work, deliver, &c, &e);
        CHECK_EQ_INT(s, EFFAD_ERR_ARG);
        CHECK_STR_CONTAINS(e.msg, "stop at 37");
        CHECK_EQ_INT(c.next, 38);   /* nothing after the stop was delivered */
    }
    return check_done("batch");
}
