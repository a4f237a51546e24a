/*
 * batch-pipeline.h -- one pipeline per worker of a batch (batch.h).
 *
 * `fit`, `score` and `eval` with --threads N (N > 1) on more than one image
 * run N images at once, each worker on its own single-threaded pipeline:
 * worker 0 on the command's own pipeline, whose intra-image thread pool is
 * set aside while the batch runs (and its runner planned for one thread
 * meanwhile: pipeline_plan_workers), workers 1 .. N-1 on copies that share
 * its mapped model read-only (pipeline_open_copy) and own a runner arena,
 * input tensor and decode scratch each. Memory grows by one arena per
 * worker (effad info prints it: 7.6 MB for B0 at 224), and there is one
 * worker more than threads (pipeline_workers_wanted).
 *
 * One image, or --threads 1, is a single worker: the command's pipeline
 * with its pool, which splits each layer across threads (latency).
 * Results are the same bits either way: the engine's are for any thread
 * count, and batch_run delivers in input order.
 */
#ifndef EFFAD_BATCH_PIPELINE_H
#define EFFAD_BATCH_PIPELINE_H

#include "pipeline.h"

typedef struct pipeline_workers {
    int n;
    pipeline **p;                 /* [worker]: p[0] is the command's own   */
    pipeline *copies;             /* p[1 .. n-1] point here                */
    effad_threads *pool;          /* p[0]'s pool, given back on close      */
} pipeline_workers;

/* How many threads --threads for n images asks for: threads images at
 * once when there are several images, else 1 (the intra-image split). */
int pipeline_threads_wanted(int threads, size_t n_images);
/* How many workers (batch_run's slots): one per thread and one spare (so
 * that a thread whose image is done early does not wait, batch.h), up to
 * one per image; 1 with one thread. */
int pipeline_workers_wanted(int threads, size_t n_images);

/* n workers over main (n == 1: main as it is, pool and all). */
effad_status pipeline_workers_open(pipeline_workers *w, pipeline *main, int n, effad_error *e);
/* For a run whose images come in batches of varying size (score --watch's
 * bursts, --stream's lines): readies the workers for a batch of n_images
 * and returns the threads batch_run should use. One image: worker 0 gets
 * the pool back and splits the image's layers (latency, as one image
 * always runs); several: every worker single-threaded, one image each. */
int pipeline_workers_batch(pipeline_workers *w, size_t n_images);
void pipeline_workers_close(pipeline_workers *w);

#endif
