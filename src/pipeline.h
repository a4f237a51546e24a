/*
 * pipeline.h -- from an image file to the level vectors of one model.
 *
 * Decode (any of our formats) -> 8-bit RGB the way PIL converts -> the
 * preprocessing preset (or one augmented copy) -> the network -> each
 * level's spatially averaged vector, concatenated. Everything is set up
 * once in pipeline_open; pipeline_image only reuses buffers.
 */
#ifndef EFFAD_PIPELINE_H
#define EFFAD_PIPELINE_H

#include "effad.h"
#include "preprocess.h"
#include "augment.h"
#include "image.h"
#include "roi.h"

typedef struct pipeline {
    effad_mapped_file file;
    effad_model model;
    const effad_kernel_set *k;
    effad_threads *threads;
    effad_runner runner;
    void *arena; size_t arena_bytes;
    effad_packed packed;          /* 1x1 weights packed for k (packed_buf); */
    void *packed_buf;             /* a copy's runner uses its original's */
    preprocess_cfg prep;
    int n_levels;
    int level_dim[EFFAD_MAX_TAPS];
    size_t level_off[EFFAD_MAX_TAPS];
    size_t total_dim;
    image_rgb_rule rgb16;         /* how 16-bit samples become 8-bit */
    image_roi roi;                /* each image cropped to it first (roi.h) */
    const struct align_template *align;   /* or, when set, to it moved where each image's
                                             part is found (align.h); not owned */
    image_roi region;             /* where the last image was cut: roi, moved by */
    int shift_x, shift_y;         /* (shift_x, shift_y) when aligned, */
    double match;                 /* the alignment's ZNCC */
    size_t last_clipped;          /* pixels the rule clipped in the last pipeline_load_rgb */
    float *input;                 /* 3 x H x W */
    uint32_t map_taps;            /* taps whose maps the runner keeps */
    void *scratch; size_t scratch_bytes;
} pipeline;

typedef struct pipeline_options {
    const char *preset;           /* "ailia" (default), "mahalanobisad", "paper" */
    const char *isa;              /* NULL: EFFAD_ISA or the best */
    int threads;                  /* 0 or 1: the caller's thread only */
    uint32_t map_taps;            /* taps whose full maps the runner keeps
                                     (effad_tap_map on p->runner) */
    image_rgb_rule rgb16;         /* 16-bit images: IMAGE_RGB_SCALE (default), the
                                     PIL / OpenCV behaviour bit for bit, or N-bit samples */
    int rgb16_given;              /* rgb16 was asked for: a detector insists on it
                                     instead of taking its .gauss's */
    image_roi roi;                /* the region of interest (roi.h); w == 0: the whole image */
    int roi_given;                /* roi was asked for (--roi): a detector insists
                                     on it instead of taking its .gauss's */
    const struct align_template *align;   /* align roi in each image (align.h); NULL: not */
} pipeline_options;

effad_status pipeline_open(pipeline *p, const char *efm_path, const pipeline_options *opt, effad_error *e);
/* pipeline_open on one thread, keeping no maps: for a look at the model
 * (its geometry, its taps) or at a frame as the preset reads it, before
 * the pipeline that does the work. */
effad_status pipeline_open_light(pipeline *p, const char *efm_path, const pipeline_options *opt, effad_error *e);
/* pipeline_open in two halves: the model mapped, checked and its weights
 * packed (nothing of opt but the kernels), then the preset, threads and
 * runner. A caller with other work to do before it knows the preset or
 * the maps (detector_open: the .gauss) overlaps it with the first half.
 * On failure either closes p. */
effad_status pipeline_load(pipeline *p, const char *efm_path, const char *isa, effad_error *e);
effad_status pipeline_start(pipeline *p, const pipeline_options *opt, effad_error *e);
/* A second pipeline for another worker: p's model (its mapping shared,
 * read-only; p must outlive the copy), kernels and preset, with its own
 * single-threaded runner, arena and buffers (src/batch-pipeline.h). */
effad_status pipeline_open_copy(pipeline *copy, const pipeline *p, effad_error *e);
/* Plans p's runner again for `workers` threads in the arena it has (the
 * plan depends on the worker count: engine/plan.h), keeping its pool and
 * packed weights; when that plan needs more arena, p keeps the one it has
 * (either gives the same bits). A batch that takes p's pool away runs p on
 * one thread (src/batch-pipeline.h). */
void pipeline_plan_workers(pipeline *p, int workers);
/* Level vectors of one image file (total_dim floats). Errors name the file. */
effad_status pipeline_image(pipeline *p, const char *path, float *features, effad_error *e);
/* The same from decoded 8-bit RGB. rng: NULL for the plain preset, or an
 * augmentation stream: one random rotation within +-max_angle degrees and
 * one random crop (MahalanobisAD's --aug recipe) drawn from it. */
effad_status pipeline_rgb(pipeline *p, const uint8_t *rgb, int w, int h, augment_rng *rng, int max_angle,
                          float *features, effad_error *e);
/* Decodes path into 8-bit RGB, 16-bit samples by the rgb16 rule, cropped to
 * the region of interest -- moved to where the part is found, when the
 * pipeline aligns (p->region says where it was cut) -- (caller frees
 * *rgb; an image that does not hold the region is an error naming it);
 * p->last_clipped says how many pixels that rule clipped. */
effad_status pipeline_load_rgb(pipeline *p, const char *path, uint8_t **rgb, int *w, int *h, effad_error *e);
/* pipeline_load_rgb in two steps, for a caller that wants the whole frame
 * too (score --save draws it with the region outlined): the decoded image
 * before the region of interest, then a copy of the region (*rgb, malloc'd;
 * the frame itself when there is no region to cut: *rgb == frame). */
effad_status pipeline_load_frame(pipeline *p, const char *path, uint8_t **frame, int *w, int *h, effad_error *e);
effad_status pipeline_region_copy(pipeline *p, const char *path, uint8_t *frame, int fw, int fh, uint8_t **rgb,
                                  int *w, int *h, effad_error *e);
void pipeline_close(pipeline *p);

#endif
