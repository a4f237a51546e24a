/*
 * batch.h -- many images on several workers, results in input order.
 *
 * Throughput comes from running different images on different workers,
 * each single-threaded (its own pipeline, runner and arena), rather than
 * splitting one image's layers across threads: decode, resize and the
 * per-image scoring parallelise too, and no layer is too small to split.
 * The intra-image split stays for latency (one image, several threads).
 *
 * work(i) runs on some worker, in any order and concurrently; deliver(i)
 * runs for i = 0, 1, 2, ... strictly in order, one at a time, on the
 * worker that did work(i), right after it (the worker waits for its turn),
 * so deliver may read what work left in the worker's own state -- its
 * feature buffer, the maps its runner kept. Whatever deliver accumulates
 * is therefore accumulated in input order: results are the same bits for
 * any number of workers.
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

typedef effad_status (*batch_work_fn)(void *ctx, int worker, size_t i, effad_error *e);
typedef effad_status (*batch_deliver_fn)(void *ctx, int worker, size_t i, effad_status s, const effad_error *work_err,
                                         effad_error *e);

/* Runs items [0, n) on n_workers workers (1: the calling thread only;
 * more need a build with threads, else EFFAD_ERR_UNSUPPORTED). */
effad_status batch_run(int n_workers, size_t n, batch_work_fn work, batch_deliver_fn deliver, void *ctx,
                       effad_error *e);

#endif
