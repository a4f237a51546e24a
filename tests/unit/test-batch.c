/*
 * test-batch.c -- src/batch.c: items worked on several threads in more
 * slots, delivered in input order, each with the slot that worked it and
 * before that slot is used again; a stop ends the deliveries; a failing
 * item is handed to deliver with its message.
 */
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "batch.h"

#define N 257

typedef struct ctx {
    double per_worker[EFFAD_MAX_THREADS + 1];   /* what work left for deliver */
    size_t slot_item[EFFAD_MAX_THREADS + 1];    /* the item each slot holds */
    int worked_by[N];
    int max_slot;                               /* the highest slot used */
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
    for (size_t k = 0; k < 20000 * (i % 7 + 1); k++) v += 1.0 / (double)(k + i + 1);
    c->per_worker[worker] = v;
    c->slot_item[worker] = i;
    c->worked_by[i] = worker;
    if (i == c->fail_at) return effad_fail(e, EFFAD_ERR_FORMAT, "item %zu is bad", i);
    return EFFAD_OK;
}

static effad_status deliver(void *p, int worker, size_t i, effad_status s, const effad_error *we, effad_error *e)
{
    ctx *c = p;
    if (i != c->next) c->out_of_order++;
    if (c->worked_by[i] != worker || c->slot_item[worker] != i) c->wrong_worker++;
    if (worker > c->max_slot) c->max_slot = worker;
    c->next = i + 1;
    if (s) { c->failures_seen += strstr(we->msg, "is bad") != 0; return EFFAD_OK; }
    c->sum = c->sum * 1.0000001 + c->per_worker[worker];   /* order-sensitive */
    if (i == c->stop_at) return effad_fail(e, EFFAD_ERR_ARG, "stop at %zu", i);
    return EFFAD_OK;
}

int main(void)
{
    double ref = 0;
    for (int run = 0; run < 12; run++) {
        const int workers = 1 + run / 3, slots = workers + (run % 3 == 2 ? 3 : run % 3);
        static ctx c;
        memset(&c, 0, sizeof c);
        c.stop_at = (size_t)-1;
        c.fail_at = 100;
        effad_error e = { 0 };
        effad_status s = batch_run(workers, slots, N, work, deliver, &c, &e);
#ifndef EFFAD_HAVE_THREADS
        if (workers > 1) { CHECK_EQ_INT(s, EFFAD_ERR_UNSUPPORTED); continue; }
#endif
        /* one thread uses slot 0 only; spare slots are used (items 7 times
         * as long as others make threads finish out of turn) */
        if (workers == 1) CHECK_EQ_INT(c.max_slot, 0);
        else if (slots > workers) CHECK_MSG(c.max_slot >= workers, "%d threads, %d slots: slot %d the highest used", workers, slots, c.max_slot);
        CHECK_EQ_INT(s, EFFAD_OK);
        CHECK_EQ_INT(c.next, N);
        CHECK_EQ_INT(c.out_of_order, 0);
        CHECK_EQ_INT(c.wrong_worker, 0);
        CHECK_EQ_INT(c.failures_seen, 1);
        if (workers == 1) ref = c.sum;
        CHECK_MSG(c.sum == ref, "%d threads, %d slots: sum %.17g, 1 thread %.17g", workers, slots, c.sum, ref);

        memset(&c, 0, sizeof c);
        c.stop_at = 37;
        c.fail_at = (size_t)-1;
        s = batch_run(workers, slots, N, work, deliver, &c, &e);
        CHECK_EQ_INT(s, EFFAD_ERR_ARG);
        CHECK_STR_CONTAINS(e.msg, "stop at 37");
        CHECK_EQ_INT(c.next, 38);   /* nothing after the stop was delivered */
    }
    return check_done("batch");
}
