/*
 * batch.h -- many images on several workers, results in input order.
 *
 * Throughput comes from running different images on different workers,
 * each single-threaded (its own pipeline, runner and arena), rather than
 * splitting one image's layers across threads: decode, resize and the
 * per-image scoring parallelise too, and no layer is too small to split.
 * The intra-image split stays for latency (one image, several threads).
 *
 * The caller owns n_slots sets of per-image state (a pipeline, feature
 * buffers: "slot" k); n_threads threads run the items. work(k, i) runs
 * item i in a free slot k, in any order and concurrently; deliver(k, i)
 * runs for i = 0, 1, 2, ... strictly in order, one at a time, with the
 * slot that did work(i) -- so deliver may read what work left there (its
 * feature buffer, the maps its runner kept) -- on whichever thread is
 * delivering. A slot is reused only after its item is delivered. With a
 * slot more than threads, a thread whose image is done before an earlier
 * one leaves it parked and starts the next, instead of waiting its turn.
 * Whatever deliver accumulates is accumulated in input order: results are
 * the same bits for any number of threads and slots.
 *
 * work's failure is handed to deliver (s and e), which decides: return
 * EFFAD_OK to go on (a bad file in a batch being scored), or a status to
 * stop (fit's default). After a stop no further item is delivered;
 * batch_run returns that status with deliver's message.
 */
#ifndef EFFAD_BATCH_H
#define EFFAD_BATCH_H

#include <stddef.h>
#include "effad.h"

typedef effad_status (*batch_work_fn)(void *ctx, int slot, size_t i, effad_error *e);
typedef effad_status (*batch_deliver_fn)(void *ctx, int slot, size_t i, effad_status s, const effad_error *work_err,
                                         effad_error *e);

/* Runs items [0, n) on n_threads threads (the calling thread one of them;
 * at most n_slots) in n_slots slots. One thread: the calling thread, slot
 * 0 only; more need a build with threads, else EFFAD_ERR_UNSUPPORTED. */
effad_status batch_run(int n_threads, int n_slots, size_t n, batch_work_fn work, batch_deliver_fn deliver, void *ctx,
                       effad_error *e);

#ifdef EFFAD_HAVE_THREADS
#include <pthread.h>
/* pthread_create with SIGINT, SIGTERM and SIGHUP blocked in the new
 * thread, so that those signals reach the main thread and its cleanup
 * handler (atomic-file.h), as for batch_run's threads. 0 on success. */
int batch_thread_start(pthread_t *th, void *(*fn)(void *), void *arg);
#endif

#endif
