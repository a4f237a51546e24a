/*
 * demo-model.h -- a small EfficientNet with deterministic random weights,
 * built in memory, so `effad demo` needs no download and no ONNX file.
 *
 * Architecture: EfficientNet-B0's 7 stages (kernel sizes, strides,
 * squeeze-excite 0.25 of the block input) at half B0's widths -- stem 16,
 * stages 8-12-20-40-56-96-160, head 320 -- with expansion 4 and 10 MBConv
 * blocks (1-1-1-2-2-2-1): 0.41 M parameters, 15.6 M multiply-adds at
 * 128 x 128. Swish everywhere, sigmoid SE gates, no BatchNorm (biases small).
 * Taps: the paper's stage-end rule, 9 levels: stem, the last block of each
 * stage, head. ImageNet mean/std in the header.
 *
 * Weights: uniform, from engine/rng.h seeded with opt->seed, scaled
 * Kaiming-style per layer (variance gain / fan_in) with gains chosen so
 * that every level's activations stay O(1) through depth on natural-ish
 * inputs (tests/unit/test-synth.c prints the per-level RMS). The only
 * floating-point steps are sqrt and products of exactly representable
 * values, all correctly rounded in IEEE arithmetic, so a seed gives the
 * same file on every machine.
 *
 * The file is made by efm_write from a hand-built matched network, so it
 * is byte for byte what the converter would write for the same layers.
 * Random-weight features still carry texture statistics, which is all a
 * Gaussian on pooled features needs to tell a scratched surface from a
 * clean one; it is no substitute for pretrained weights on real parts.
 */
#ifndef EFFAD_DEMO_MODEL_H
#define EFFAD_DEMO_MODEL_H

#include <stddef.h>
#include <stdint.h>
#include "effad.h"
#include "convert.h"

#define DEMO_MODEL_SEED 2020u
#define DEMO_MODEL_HW   128

typedef struct demo_model_options {
    uint64_t seed;            /* DEMO_MODEL_SEED by default */
    int in_h, in_w;           /* native input size; 0 = DEMO_MODEL_HW */
    int tf_same;              /* 1: TensorFlow "same" padding (lukemelas,
                                 pads recomputed per input size);
                                 0: symmetric k/2 padding (torchvision) */
    const convert_quant *quant;   /* NULL: float32; else int8 with these
                                     calibrated ranges (convert/calibrate.h) */
} demo_model_options;

void demo_model_options_default(demo_model_options *o);

/* On success *efm is a malloc'd .efm image of *efm_bytes bytes (free()
 * it); load it with effad_model_load (the buffer malloc returns is
 * 16-byte aligned on the hosts effad targets). opt may be NULL. */
effad_status demo_model_build(const demo_model_options *opt, uint8_t **efm, size_t *efm_bytes,
                              effad_error *e);

#endif
