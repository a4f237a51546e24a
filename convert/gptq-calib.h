/*
 * gptq-calib.h -- the int8 weights of a network rounded by GPTQ
 * (gptq.h), once per conversion, from the float model's own activations
 * on the calibration images.
 *
 * Every expand, depthwise, projection and head convolution gets codes,
 * whether or not a given candidate of the calibration makes it int8: the
 * selection (quant-select.h) writes dozens of candidates, and each takes
 * the same codes, so that what it measures is what the final file holds.
 * Not rounded here:
 *  - squeeze-excite: its inputs are one pooled vector per image, a few
 *    dozen samples for up to a few hundred weights per row -- a Gram
 *    matrix that thin would fit the calibration images, not the layer;
 *    it keeps rounding to nearest;
 *  - the stem, which the engine always runs in float32 (engine/forward.c).
 *
 * The inputs come from the observer hook (effad.h) of a float pass
 * planned with EFFAD_PLAN_UNFUSED: the stem's and each block's output
 * feed the next block's first layer (or the head), the expand output the
 * depthwise layer, the depthwise output times the squeeze-excite gate
 * (EFFAD_AT_GATED) the projection. The Gram matrices of a big network
 * do not all fit in memory at once (B4: about 200 MB in double, the
 * largest projection's 29 MB): the layers go in groups, in network
 * order, whose matrices fit budget_bytes, one pass over the images per
 * group.
 */
#ifndef EFFAD_GPTQ_CALIB_H
#define EFFAD_GPTQ_CALIB_H

#include "effad.h"
#include "match.h"
#include "quant.h"

/* 64 MiB: B0 at 224 in one group (its matrices take ~50 MB), B4 at 380
 * in four (quant-select.c gathers two of them in its own passes). */
#define GPTQ_BUDGET_BYTES ((size_t)64 << 20)

typedef struct gptq_calib_report {
    int layers;                 /* rounded by GPTQ */
    int groups;                 /* passes over the images */
    int not_factorised;         /* Gram matrices left to nearest (non-finite inputs) */
    size_t gram_bytes;          /* the largest group's matrices */
} gptq_calib_report;

/* In steps, so that a caller that runs passes over the images anyway
 * (quant-select.c: ranges, histograms) gathers a group in each:
 *   gptq_calib_open; then for every group i < gptq_calib_groups:
 *   gptq_calib_begin(i), a float pass over every image with
 *   gptq_calib_observe as (or called by) the observer, gptq_calib_end
 *   (which rounds the group's layers); gptq_calib_take; gptq_calib_close.
 * r: the float model of net (convert_write with no quant), planned with
 * EFFAD_PLAN_UNFUSED at the images' size; its pool and kernels do the
 * work. */
typedef struct gptq_calib gptq_calib;
effad_status gptq_calib_open(gptq_calib **g, const effad_runner *r, const mnet *net, int bits, size_t budget_bytes,
                             effad_error *e);
int gptq_calib_groups(const gptq_calib *g);
effad_status gptq_calib_begin(gptq_calib *g, int group, effad_error *e);
void gptq_calib_observe(void *g, effad_point at, int block, const float *map, int h, int w, int c,
                        const float *chan_scale);
effad_status gptq_calib_end(gptq_calib *g, effad_error *e);
/* The codes (quant_codes_free) once every group has ended, else NULL;
 * rep (may be NULL) what was done. */
quant_codes *gptq_calib_take(gptq_calib *g, gptq_calib_report *rep);
void gptq_calib_close(gptq_calib *g);

/* All of it, one pass per group of its own over n inputs of `floats`
 * floats (r's observer is borrowed and restored); progress may be NULL.
 * On success *codes holds bits-bit codes for every layer above. */
effad_status gptq_calibrate(effad_runner *r, const mnet *net, const float *inputs, int n, size_t floats, int bits,
                            size_t budget_bytes, void (*progress)(void *ctx, const char *stage, int done, int total),
                            void *progress_ctx, quant_codes **codes, gptq_calib_report *rep, effad_error *e);

#endif
