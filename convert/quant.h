/*
 * quant.h -- from measured ranges and float weights to the int8 records
 * of an .efm (the arithmetic the engine then runs is in ops/q8.h).
 */
#ifndef EFFAD_QUANT_H
#define EFFAD_QUANT_H

#include <stdint.h>
#include "effad.h"
#include "convert.h"

/* The type of an activation whose real values span [lo, hi], for
 * act_bits 8 (or 0) -- uint8: the range is widened to include 0 (so that
 * 0 -- padding, ReLU floors -- is exact), scale = (hi - lo) / 255, zero =
 * round(-lo / scale), the formula ONNX Runtime's quantiser uses for
 * asymmetric uint8 -- or 16 -- int16, symmetric: scale = max(|lo|, |hi|)
 * / 32767, zero 0 (TFLite's 16x8 rule). A range that carries an exact
 * type (r.exact) gives that type. */
effad_qtype quant_qtype(quant_range r, int act_bits);

/* The headroom of int16 activations (--act-bits 16 when --headroom is not
 * given, and every --act16 unit): ranges that wide keep the defects of
 * tests/int8/fidelity.sh's sets unclipped (on the generated metal set they
 * reach 100-150x the good images' half-range by block 13) and still leave
 * the good images 32767 / HEADROOM levels each side of 0. Measured:
 * models/int8.md, "16x8: int16 activations". */
#define CONVERT_HEADROOM_16 64.0f

/* Symmetric per-output-channel int8 weights with |q| <= 2^(bits-1) - 1:
 * scale[o] = max |w[o, :]| / qmax (1 for an all-zero channel). w is
 * [cout][per] float, row o the output channel's weights in any order; q
 * gets the same layout. w must be finite (convert_open_model refuses a
 * model whose weights are not: a NaN's conversion to int8 is undefined). */
void quant_weights(const float *w, int cout, int per, int bits, int8_t *q, float *scale);

/* How int8 weights are rounded: to nearest (quant_weights), or with
 * their rounding errors compensated (GPTQ, convert/gptq.h) -- codes
 * computed once from the float model's activations on the calibration
 * images and then used by every write (quant_codes). */
enum { QUANT_ROUND_NEAREST = 0, QUANT_ROUND_GPTQ = 1 };
const char *quant_round_name(int round);
int quant_round_parse(const char *s);   /* "gptq", "nearest"; -1 if unknown */

/* Int8 weights of the network's convolutions rounded ahead of the writes,
 * by slot: block i's expand 3i, depthwise 3i + 1, projection 3i + 2, the
 * head 3 n_blocks. Codes in the layer's OIHW order with one scale per
 * output channel, as quant_weights gives them; NULL where the layer is
 * absent (squeeze-excite is never here: see gptq-calib.h). */
#define QUANT_CODE_SLOTS (3 * EFFAD_MAX_BLOCKS + 1)
enum { QUANT_SLOT_EXPAND = 0, QUANT_SLOT_DW = 1, QUANT_SLOT_PROJECT = 2 };
typedef struct quant_codes {
    int bits;
    int8_t *q[QUANT_CODE_SLOTS];
    float *scale[QUANT_CODE_SLOTS];
} quant_codes;
void quant_codes_free(quant_codes *c);   /* and the struct itself; NULL is fine */

/* The activation types around each layer of block i / the head under q
 * (all float32 when the block stays float or is weight-only), and whether
 * its weights are int8 (also squeeze-excite's). */
typedef struct quant_block_types {
    effad_qtype in, expand_out, dw_out, project_in, out;
    int int8_weights;
    int weight_bits;        /* of those int8 weights: quant_unit_weight_bits */
} quant_block_types;
void quant_block(const convert_quant *q, int i, int has_expand, int has_se, quant_block_types *t);
/* *int8_weights as quant_block_types'. */
void quant_head(const convert_quant *q, int n_blocks, effad_qtype *in, effad_qtype *out, int *int8_weights);

/* The width of a unit's int8 weights: 8 for a 16x8 unit (QUANT_UNIT_INT16,
 * or any quantised unit under act_bits 16), q->weight_bits otherwise.
 * Fewer bits exist for the uint8 GEMM on AVX2 without VNNI, whose
 * byte-pair multiply (vpmaddubsw) is exact and faster the narrower the
 * weights (ops/x86/q8-gemm-6x16.h); the 16x8 kernels multiply int16
 * pairs on every ISA, no faster for narrower weights. So there the extra
 * bits are free, and they are what the small early blocks lacked: with
 * 6-bit weights those blocks needed float32 to keep the ranking on the
 * demo sets, with 8-bit ones 16x8 does (quant-select.h). (A weight-only
 * unit keeps q->weight_bits: it is also how the weights' rounding is
 * measured alone, tests/unit/test-gptq.c.) */
int quant_unit_weight_bits(const convert_quant *q, int unit);

#endif
