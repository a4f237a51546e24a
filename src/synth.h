/*
 * synth.h -- a synthetic industrial-inspection data set in MVTec-AD's
 * layout, so that `effad demo` runs offline with nothing downloaded.
 *
 *   dir/train/good/000.png ...              good parts only (the fit set)
 *   dir/test/good/000.png ...               good parts held out
 *   dir/test/<defect>/000.png ...           one folder per defect type
 *   dir/ground_truth/<defect>/000_mask.png  255 = defect, 0 = good, 8-bit grey
 *
 * Parts are textured surfaces (woven fabric, brushed metal or a grid) with
 * per-image random phase, a slight illumination gradient, a brightness
 * offset and pixel noise: good images vary, so the model has something to
 * learn. Defects: scratch (thin bright or dark line), spot (dark or bright
 * blob), hole (dark disc with a bright rim), missing (a patch of texture
 * replaced by flat background). They are clearly visible but cover only
 * 0.3-4 % of the image, which a pooled-feature Gaussian fitted on a
 * random-weight EfficientNet still separates from the good parts
 * (tests/unit/test-synth.c measures it).
 *
 * Determinism: pixels come from integer arithmetic only (engine/rng.h),
 * so a seed gives the same PNG bytes on every machine. Each image has its
 * own stream derived from (seed, split, defect, index): changing a count
 * never changes the other images.
 */
#ifndef EFFAD_SYNTH_H
#define EFFAD_SYNTH_H

#include <stddef.h>
#include <stdint.h>
#include "effad.h"

typedef enum synth_texture { SYNTH_FABRIC = 0, SYNTH_METAL, SYNTH_GRID, SYNTH_N_TEXTURES } synth_texture;

/* The defect folders, in this order (SYNTH_GOOD is test/good). */
typedef enum synth_defect {
    SYNTH_GOOD = -1, SYNTH_SCRATCH = 0, SYNTH_SPOT, SYNTH_HOLE, SYNTH_MISSING, SYNTH_N_DEFECTS
} synth_defect;

typedef enum synth_split { SYNTH_TRAIN = 0, SYNTH_TEST = 1 } synth_split;

typedef struct synth_options {
    uint64_t seed;
    int w, h;                 /* image size, 32..4096 each              */
    synth_texture texture;
    int n_train;              /* train/good                             */
    int n_test_good;          /* test/good                              */
    int n_per_defect;         /* test/<defect>, each type               */
    int overwrite;            /* 1: write into a non-empty directory,
                                 replacing same-named files (others stay) */
} synth_options;

/* 128 x 128 brushed metal, seed 1, 60 train, 20 test good, 10 per defect.
 * Metal is the default because the demo model separates it best (image
 * AUROC 0.98; fabric 0.92, grid 0.76: the grid's strong edges make its
 * phase, not the defect, dominate the pooled features). */
void synth_options_default(synth_options *o);

typedef struct synth_report {
    int n_train, n_test_good, n_test_defect, n_masks;
    size_t bytes_written;     /* all PNG files together */
} synth_report;

/* "scratch", "spot", "hole", "missing"; "good" for SYNTH_GOOD; NULL otherwise. */
const char *synth_defect_name(int defect);
/* "fabric", "metal", "grid" (NULL if out of range), and the reverse (-1). */
const char *synth_texture_name(int texture);
int synth_texture_parse(const char *name);

/* Renders one image into rgb (w*h*3) and, when mask != NULL, its defect
 * mask (w*h, 0/255; all 0 for good images). Train images must use
 * SYNTH_GOOD. */
effad_status synth_render(const synth_options *opt, synth_split split, int defect, int index,
                          uint8_t *rgb, uint8_t *mask, effad_error *e);

/* Writes the whole set under dir (created, with missing parents, if
 * absent). An existing non-empty dir is refused unless opt->overwrite.
 * Each file is written atomically (image_write_png). rep may be NULL. */
effad_status synth_make_dataset(const char *dir, const synth_options *opt, synth_report *rep,
                                effad_error *e);

#endif
