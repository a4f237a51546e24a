/*
 * calibrate.h -- activation ranges of a float32 model measured on real
 * inputs: the observer (effad.h, effad_observe_fn) of a forward pass
 * planned with EFFAD_PLAN_UNFUSED records the min and max of every
 * activation point, and calib_quant turns them into a convert_quant.
 */
#ifndef EFFAD_CALIBRATE_H
#define EFFAD_CALIBRATE_H

#include "effad.h"
#include "convert.h"

typedef struct calib {
    const effad_model *m;
    convert_quant seen;     /* min/max so far (lo = +inf, hi = -inf before any input) */
    int n_inputs;
} calib;

void calib_init(calib *c, const effad_model *m);
/* The observer: pass it with c as the context. */
void calib_observe(void *c, effad_point at, int block, const float *map, int h, int w, int ch, const float *chan_scale);
/* Ranges widened by `headroom` (each end moved away from 0 by that factor:
 * anomalies live outside the good images' ranges, so a tight fit would
 * clip exactly the signal the detector needs), every block and the head
 * int8, weights of weight_bits. */
void calib_quant(const calib *c, float headroom, int weight_bits, convert_quant *q);

#endif
