/*
 * calib-hist.h -- histograms of every activation point over the
 * calibration images, and the range each way of choosing one gives:
 *
 *   min/max      the extremes seen (what a tight fit to good images is);
 *   percentile   the 0.01 % and 99.99 % quantiles (drops rare outliers,
 *                which otherwise set the step for every other value);
 *   MSE          the range [t lo, t hi], t in (0, 1], whose expected
 *                squared quantisation error -- rounding (step^2 / 12)
 *                inside, clipping outside -- over the histogram is least.
 *
 * A second pass over the images after the min/max pass (calibrate.h):
 * each point's histogram spans its own [min, max] in CALIB_BINS equal
 * bins, so the result depends only on the images, not on their order.
 * Which of the three a point finally uses is chosen by measurement
 * (quant-select.h); headroom is applied on top.
 */
#ifndef EFFAD_CALIB_HIST_H
#define EFFAD_CALIB_HIST_H

#include "calibrate.h"

#define CALIB_BINS 2048
#define CALIB_PERCENTILE_TAIL 1e-4   /* mass left outside on each side */

typedef enum calib_method { CALIB_MINMAX = 0, CALIB_PERCENTILE, CALIB_MSE, CALIB_N_METHODS } calib_method;
/* "minmax", "percentile", "mse"; and back (-1: unknown). */
const char *calib_method_name(int m);
int calib_method_parse(const char *s);

typedef struct calib_hist {
    int n_blocks, n_points;
    quant_range span[CALIB_MAX_POINTS];   /* each point's [min, max]; lo > hi: never seen */
    uint64_t *bins;                       /* n_points x CALIB_BINS */
} calib_hist;

/* Histograms over the spans a min/max pass measured. */
effad_status calib_hist_init(calib_hist *h, const calib *minmax, effad_error *e);
void calib_hist_free(calib_hist *h);
/* The observer (effad.h): pass it with h as the context. */
void calib_hist_observe(void *h, effad_point at, int block, const float *map, int hh, int w, int c,
                        const float *chan_scale);
/* Point p's range by method m; {0, 0} for a point never observed. */
quant_range calib_hist_range(const calib_hist *h, int p, calib_method m);

#endif
