/*
 * convert.h -- ONNX EfficientNet in, .efm flat model out.
 *
 * Pipeline: onnx-read (protobuf) -> graph (constants folded, shapes
 * inferred) -> layers (BN, Pad, activations fused) -> match (the MBConv
 * block table and the feature taps) -> efm-write (weights re-laid for the
 * kernels). Each stage refuses what it cannot represent with a message
 * that names the ONNX node.
 */
#ifndef EFFAD_CONVERT_H
#define EFFAD_CONVERT_H

#include <stddef.h>
#include <stdint.h>
#include "effad.h"

/* How levels are chosen for a plain classifier graph (one output). */
typedef enum convert_taps {
    CONVERT_TAPS_AUTO = 0,     /* the graph's own outputs if they are taps, else stage-end */
    CONVERT_TAPS_GRAPH,        /* the graph's outputs; an error if none is a tap */
    CONVERT_TAPS_STAGE_END,    /* the paper's: stem, last block of each stage, head */
    CONVERT_TAPS_STAGE_START,  /* MahalanobisAD's: stem, first block of each stage, head */
    CONVERT_TAPS_EVERY_BLOCK   /* every block's output, then the head's while there is
                                  room (EFFAD_MAX_TAPS): layer-by-layer checks of the
                                  int8 path against a reference */
} convert_taps;

/* int8: the real range of every activation point of a network, as
 * calibration measured it (plus its headroom), and which blocks to
 * quantise. Blocks left float stay float32 throughout (squeeze-excite's
 * activations are float in every block); the engine converts at block
 * boundaries. How the writer turns these into .efm records:
 * convert/quant.c. */
typedef struct quant_range {
    float lo, hi;
    effad_qtype exact;   /* dtype EFFAD_U8 or EFFAD_S16: this type as it is (a QDQ
                            model's own scale and zero point), lo and hi ignored */
    effad_qtype exact_alt;  /* the point's other exact type (dtype 0: none): where a
                               uint8 block hands over to a 16x8 one or back, the
                               type the reader reads after its own Q/DQ pair */
} quant_range;
/* What a unit (a block, or the head) runs as. Weight-only: int8 weights
 * (per output channel, as an int8 unit's) with float32 activations -- the
 * engine dequantises the weights once and runs its float32 kernels, so
 * such a unit loses only the weights' rounding, not the activations'.
 * Int16: int8 weights with int16 activations (16x8, ops/q16.h) in a model
 * whose other quantised units read uint8 -- TensorFlow Lite's 16x8 for the
 * layers where 8 bits lose too much (with act_bits 16 every quantised
 * unit is one already); the engine converts at its edges (through float). */
enum { QUANT_UNIT_FLOAT = 0, QUANT_UNIT_INT8 = 1, QUANT_UNIT_WEIGHTS = 2, QUANT_UNIT_INT16 = 3 };
typedef struct convert_quant {
    int weight_bits;                     /* 8, or 7 (see quant.c) */
    int weight_round;                    /* QUANT_ROUND_* (quant.h); GPTQ's codes are
                                            the session's (convert_set_codes) */
    int act_bits;                        /* 8 (uint8, also for 0) or 16 (int16: ops/q16.h) */
    float act16_widen;                   /* QUANT_UNIT_INT16 units under act_bits 8 read their
                                            ranges this many times wider (the int16 headroom
                                            over the uint8 one; 0: as they are) */
    int n_blocks;
    uint8_t block_int8[EFFAD_MAX_BLOCKS];  /* QUANT_UNIT_* */
    int head_int8;                       /* QUANT_UNIT_* */
    quant_range stem_out;                /* block 0's input */
    quant_range expand[EFFAD_MAX_BLOCKS], dw[EFFAD_MAX_BLOCKS];
    quant_range gated[EFFAD_MAX_BLOCKS]; /* depthwise x squeeze-excite gate: the projection's input */
    quant_range out[EFFAD_MAX_BLOCKS];   /* block output (after the skip add) */
    quant_range head_out;
} convert_quant;

typedef struct convert_options {
    convert_taps taps;
    int in_h, in_w;            /* input size when the graph's is symbolic; 0 = the graph's */
    int set_norm;              /* 1: use mean/std below instead of ImageNet's */
    float mean[3], std[3];
    const char *source;        /* recorded in the header, e.g. the ONNX file name */
    const convert_quant *quant;   /* NULL: float32 throughout */
} convert_options;

/* One line per tap, for `effad convert` and `effad info`. */
typedef struct convert_report {
    char variant[16];
    int n_blocks, n_stages, n_taps;
    char fused[256];           /* what was folded: "BatchNormalization x49, Pad x16" */
    char ignored[256];         /* classifier ops after the head that were dropped */
} convert_report;

/* What a QDQ-quantised input carried (convert/qdq-import.h). */
typedef struct convert_qdq_report {
    int found;                         /* the graph had Q/DQ nodes */
    int n_act, n_act_used;             /* Q/DQ pairs; those at effad's activation points */
    int n_weight, n_weight_used;       /* int8 weight tensors; those effad runs as int8 */
    int int8_blocks, float_blocks, weight_only_blocks;
    int head_int8;                     /* QUANT_UNIT_* */
    int stem_weights;                  /* the stem's weights were int8 (it runs float32) */
} convert_qdq_report;

/* Converts a serialised ONNX model. On success *efm is a malloc'd .efm
 * image of *efm_bytes bytes (free() it). A QDQ-quantised graph is
 * written with its own quantisation when opt->quant is NULL. */
effad_status effad_convert_onnx(const uint8_t *onnx, size_t onnx_bytes, const convert_options *opt,
                                uint8_t **efm, size_t *efm_bytes, convert_report *report, effad_error *e);

/* The same in steps: parse and match once, then write the .efm as many
 * times as needed (float32, or int8 under different quant records; the
 * calibration of convert/quant-select.c writes dozens). The report is
 * filled by convert_open. */
typedef struct convert_session convert_session;
effad_status convert_open(const uint8_t *onnx, size_t onnx_bytes, const convert_options *opt, convert_session **cs,
                          convert_report *report, effad_error *e);
/* The same from a decoded model, which the session takes over (om is
 * left empty, also on failure). */
struct onnx_model;
effad_status convert_open_model(struct onnx_model *om, const convert_options *opt, convert_session **cs,
                                convert_report *report, effad_error *e);
effad_status convert_write(const convert_session *cs, const convert_quant *quant, uint8_t **efm, size_t *efm_bytes,
                           effad_error *e);
/* Int8 weights rounded ahead of the writes (quant.h, quant_codes; made by
 * gptq-calib.h): every later convert_write whose quant asks for
 * QUANT_ROUND_GPTQ takes its int8 weights from them (their bits must be
 * the quant's), every other keeps rounding to nearest. The session takes
 * the codes over and frees any it held (NULL: none). */
struct quant_codes;
void convert_set_codes(convert_session *cs, struct quant_codes *codes);
/* The matched network (match.h), whose layers' float weights the codes
 * are rounded from. */
struct mnet;
const struct mnet *convert_network(const convert_session *cs);
/* The quantisation a QDQ-quantised input carried, or NULL for a float
 * graph; rep (may be NULL) says what was taken. */
const convert_quant *convert_imported(const convert_session *cs, convert_qdq_report *rep);
int convert_n_blocks(const convert_session *cs);
int convert_has_head(const convert_session *cs);
void convert_close(convert_session *cs);

/* Parses "stage-end", "stage-start", "every-block", "graph", "auto"; -1 if unknown. */
int convert_taps_parse(const char *s);

#endif
