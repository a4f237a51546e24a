/*
 * qdq-import.h -- a QDQ-quantised ONNX (what ONNX Runtime's
 * quantize_static writes, or effad's own --emit-qdq) as the converter's
 * input: its scales and int8 weights are taken instead of calibrating.
 *
 * The QDQ format (onnxruntime.ai, "Quantize ONNX models", QDQ format)
 * keeps the float graph and marks every quantised tensor:
 *   weights   an int8 initializer -> DequantizeLinear(scale, zero point;
 *             per output channel on axis 0, or one scale) -> Conv
 *   biases    an int32 initializer -> DequantizeLinear(s_in * s_w) -> Conv
 *   activations  x -> QuantizeLinear(s, z) -> DequantizeLinear(s, z) -> ...
 *             uint8 or int8 (int8 with zero z is uint8 with zero z + 128:
 *             the same real values)
 *
 * Two steps. qdq_strip, before the graph is built: every DequantizeLinear
 * of a constant becomes a float initializer (its dequantised values), the
 * int8 weights and their scales are kept aside; every Q/DQ pair is taken
 * out (readers of the DequantizeLinear read the QuantizeLinear's input)
 * and its scale and zero point kept aside, by the name of the quantised
 * tensor. What remains is the float network. qdq_map, after matching:
 * a block whose convolutions (expand, depthwise, projection) all have
 * int8 weights is int8 and takes the recorded types of its activation
 * points (its input, expand and depthwise outputs, the gated projection
 * input, its output), or, when none of the points it computes has a pair,
 * weight-only (int8 weights, float32 activations); the head likewise. Pairs elsewhere -- inside a
 * layer's epilogue (before an activation, a sigmoid's output), around
 * squeeze-excite, on the image input -- mark tensors effad computes in
 * float: they are counted and reported, not used. The stem runs float32
 * (its weights dequantised), as every effad model's does.
 *
 * Refused with a message naming the tensor or node: per-channel
 * activation scales, 16-bit or other non-8-bit types, a DequantizeLinear
 * whose input is neither a constant nor a QuantizeLinear, a QuantizeLinear
 * whose output feeds anything but DequantizeLinear, Q and DQ of one pair
 * with different scales, asymmetric or uint8 weights or scales on another
 * axis in a layer effad runs in int8, a block with int8 weights in some
 * convolutions only, an int8 block with scales for some of its
 * activation points only, and weights that a fold (BatchNormalization) changed
 * after quantisation.
 */
#ifndef EFFAD_QDQ_IMPORT_H
#define EFFAD_QDQ_IMPORT_H

#include "onnx.h"
#include "match.h"
#include "convert.h"

/* A tensor's Q/DQ pair: q, and alt when the tensor has a second pair of the
 * other width (a uint8 block's output read by a 16x8 block, or back). */
typedef struct qdq_act { char *name; effad_qtype q, alt; int used; } qdq_act;

typedef struct qdq_weight {
    char *name;             /* the float initializer that replaced the DequantizeLinear */
    int usable;             /* symmetric int8, per output channel or per tensor */
    char why[96];           /* why not */
    int8_t *q;              /* as stored (OIHW for a Conv) */
    float *scale;           /* one per output channel (dims[0]) */
    int64_t cout;
    size_t count;
} qdq_weight;

typedef struct qdq_import {
    int found;              /* the graph had Q or DQ nodes */
    int n_act, n_weight;
    qdq_act *act;
    qdq_weight *weight;
} qdq_import;

typedef convert_qdq_report qdq_report;

/* Takes the Q/DQ nodes out of om (in place). qi->found == 0 and om
 * unchanged when there are none. */
effad_status qdq_strip(onnx_model *om, qdq_import *qi, effad_error *e);
/* The quantisation the graph carried, onto the matched network: q's
 * ranges carry exact types; the int8 layers get their given weights
 * (layer wq, wq_scale). */
effad_status qdq_map(qdq_import *qi, const mnet *m, const graph *g, convert_quant *q, qdq_report *rep,
                     effad_error *e);
void qdq_import_free(qdq_import *qi);

#endif
