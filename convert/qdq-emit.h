/*
 * qdq-emit.h -- an .efm model written back as an ONNX graph in the QDQ
 * format, so that ONNX Runtime runs exactly effad's int8 arithmetic.
 *
 * The graph is built from the loaded model (not from the ONNX it was
 * converted from), so it holds the very int8 weights, scales and zero
 * points the engine runs. Per layer of an int8 block (ops/q8.h):
 *   x (uint8) --DequantizeLinear--> float
 *   weights int8 --DequantizeLinear(per output channel, axis 0)--> float
 *   float Conv (+ float bias) -> activation (Sigmoid, Mul, ...) [+ residual]
 *   --QuantizeLinear--> uint8 --DequantizeLinear--> next layer
 * which is the engine's epilogue: exact sum, scale, bias, activation on
 * the unquantised value, residual, round half to even into uint8. Squeeze-
 * excite is float (GlobalAveragePool, Conv, activations, Mul by the
 * gate), then quantised into the projection's input type. Float blocks and
 * the stem are plain float layers; a QuantizeLinear/DequantizeLinear pair
 * stands wherever the engine converts float32 to uint8.
 *
 * Outputs: one per tap, in tap order, named "level<t>": the level's map,
 * 1 x C x H x W (dequantised when the level is uint8), at the model's
 * native input size. Input: "input", 1 x 3 x H x W float32, normalised.
 * Opset 13 (per-channel DequantizeLinear). A float model gives the same
 * graph without any Q/DQ node: a plain float ONNX of the .efm.
 */
#ifndef EFFAD_QDQ_EMIT_H
#define EFFAD_QDQ_EMIT_H

#include <stddef.h>
#include <stdint.h>
#include "effad.h"

/* *onnx: a malloc'd serialised ModelProto of *n_bytes bytes. */
effad_status qdq_emit(const effad_model *m, uint8_t **onnx, size_t *n_bytes, effad_error *e);

#endif
