/*
 * calib-defects.h -- synthetic defects painted onto good images, so that
 * the int8 calibration can measure what its ranges do to anomalies
 * without anyone supplying defective images.
 *
 * The four kinds of src/synth.c, drawn on any RGB image and scaled to its
 * size: a scratch (a straight bright or dark line 2-3 pixels wide per 128,
 * a quarter to half the image long), a spot (a bright or dark elliptic
 * stain), a hole (a dark disc with a bright rim) and a missing patch (a
 * rectangle of flat mean colour). They are coarse, clearly visible and
 * cover 0.3-4 % of the image, like the synthetic set's. Integer arithmetic
 * on a seeded stream (engine/rng.h): the same image and index give the
 * same pixels everywhere.
 */
#ifndef EFFAD_CALIB_DEFECTS_H
#define EFFAD_CALIB_DEFECTS_H

#include <stdint.h>

/* Paints defect kind index % 4 (scratch, spot, hole, missing) into rgb
 * (w x h x 3), its position and size drawn from a stream seeded by index. */
void calib_paint_defect(uint8_t *rgb, int w, int h, int index);

#endif
