/*
 * efm-source.h -- a float32 .efm as the converter's input, so that a model
 * that never was an ONNX file (the demo's, built in C) can be quantised
 * like any other: `effad convert demo.efm -o demo-int8.efm --int8 ...`.
 *
 * The model is written as a plain float ONNX graph by qdq_emit (levels as
 * graph outputs) and converted back with --taps graph: the same weights,
 * bit for bit, the same blocks and levels, its normalisation carried over.
 * What does not survive: the tap rule's name ("graph-outputs" instead of,
 * say, "stage-end") and the ONNX names the levels came from.
 */
#ifndef EFFAD_EFM_SOURCE_H
#define EFFAD_EFM_SOURCE_H

#include <stddef.h>
#include <stdint.h>
#include "convert.h"

/* Whether bytes start like an .efm. */
int efm_source_is_efm(const uint8_t *bytes, size_t n);
/* The .efm bytes (validated) as ONNX (*onnx malloc'd); opt's taps,
 * normalisation and input size set to the model's. An int8 .efm is
 * refused: it would be quantised twice. */
effad_status efm_source_to_onnx(const uint8_t *efm, size_t n, convert_options *opt, uint8_t **onnx,
                                size_t *onnx_bytes, effad_error *e);

#endif
