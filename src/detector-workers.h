/*
 * detector-workers.h -- `score` and `eval` on one or more workers
 * (batch.h): one image in flight per worker, on the worker's own pipeline
 * (batch-pipeline.h), with its own feature, distance and map buffers.
 * What the fitted model holds (detector.gm) is only read, so the workers
 * share it.
 */
#ifndef EFFAD_DETECTOR_WORKERS_H
#define EFFAD_DETECTOR_WORKERS_H

#include "batch-pipeline.h"
#include "cli-maps.h"
#include "detector.h"

typedef struct detector_slot {    /* the image in flight on one worker */
    pipeline *p;                  /* the worker's pipeline                  */
    float *feat;                  /* p->total_dim: level vectors            */
    double *levels, *work;        /* per-level distances; scoring scratch   */
    score_maps sm;                /* with maps: the map (and its regions)   */
    uint8_t *rgb;                 /* the decoded image, when kept           */
    int w, h;
    uint8_t *frame;               /* kept with a region of interest: the    */
    int frame_w, frame_h;         /* whole image it was cut from            */
    int loaded;                   /* decoded (the crop warnings apply)      */
    int unreadable;               /* failed to read or decode (not later)   */
    double score;                 /* the image score, by --score            */
} detector_slot;

typedef struct detector_workers {
    pipeline_workers ws;
    detector_slot *slot;          /* [worker] */
    int map_max;                  /* --score map-max: the map's maximum is the score */
} detector_workers;

/* Lets the slot's kept images go (rgb, frame). */
void detector_slot_release(detector_slot *sl);
/* n workers (pipeline_workers_wanted) over d's pipeline. */
effad_status detector_workers_open(detector_workers *dw, detector *d, int n, int map_max, effad_error *e);
/* The image at path on worker k: decoded (and kept in slot->rgb, which the
 * caller frees, when keep_rgb), its levels, distances and score, and with
 * maps its map (and its regions when regions is set). Errors name the
 * file; slot->unreadable says the file itself could not be read or
 * decoded. */
effad_status detector_workers_image(detector_workers *dw, const detector *d, int k, const char *path, int keep_rgb,
                                    int regions, effad_error *e);
void detector_workers_close(detector_workers *dw);

#endif
