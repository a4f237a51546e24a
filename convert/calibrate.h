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

/* The activation points of a network with n blocks, numbered: 0 the
 * stem's output (block 0's input); 1 + 4i + k for block i, k one of
 * CALIB_EXPAND (its expand output), CALIB_DW (depthwise output),
 * CALIB_GATED (the projection's input), CALIB_OUT (block output, after the
 * skip add); CALIB_POINTS(n) - 1 the head's output. */
enum { CALIB_EXPAND = 0, CALIB_DW, CALIB_GATED, CALIB_OUT };
#define CALIB_POINTS(n_blocks) (2 + 4 * (n_blocks))
#define CALIB_MAX_POINTS CALIB_POINTS(EFFAD_MAX_BLOCKS)
/* The point an observer call reports. */
int calib_point(effad_point at, int block, int n_blocks);
/* Point p's range in q (q's n_blocks says where the head is). */
quant_range *calib_point_range(convert_quant *q, int p);

void calib_init(calib *c, const effad_model *m);
/* The observer: pass it with c as the context. */
void calib_observe(void *c, effad_point at, int block, const float *map, int h, int w, int ch, const float *chan_scale);
/* Ranges widened by `headroom` (each end moved away from 0 by that factor:
 * anomalies live outside the good images' ranges, so a tight fit would
 * clip exactly the signal the detector needs), every block and the head
 * int8, weights of weight_bits. */
void calib_quant(const calib *c, float headroom, int weight_bits, convert_quant *q);

#endif
