/*
 * quant-select.h -- int8 calibration chosen by measurement.
 *
 * Four choices, each made by running int8 versions of the network and
 * comparing their level vectors with the float32 model's on the same
 * images: how far quantisation moves each image relative to how far the
 * image lies from the good calibration images, both measured in each
 * feature's standard deviation over those images (level-error.h:
 * level_error_relative), averaged over the levels -- the anomaly score's
 * relative error, squared, on good and defective images alike:
 *
 *  1. per activation point, min/max, percentile or MSE range
 *     (calib-hist.h): block by block, with only that block in int8 and
 *     the rest float32, each point of the block tries each method while
 *     the others keep theirs (coordinate descent, one sweep), and keeps
 *     the one whose network output is closest to float32;
 *  2. the headroom: every range widened by each of QUANT_HEADROOMS in
 *     turn (until two in a row are worse than the best), the whole
 *     network in int8, on good AND defective images -- anomalies live
 *     outside the good images' ranges, so too tight a fit clips exactly
 *     the signal the detector needs, too loose a one wastes resolution;
 *     the least error wins;
 *  3. which blocks stay float32: each block (and the head) alone in int8
 *     at the final ranges gives its error, and the bytes its int8 weights
 *     save. Blocks whose error is above the median are kept float32 in
 *     order of error per byte, while the float32 weights they keep add at
 *     most float_budget of the float32 file, and the whole file within
 *     max_size of it (the size a user converts for; stage 3b is free in
 *     bytes and takes up what no longer fits): noise let in early is
 *     amplified by every block after it, and the early blocks are the
 *     small ones, so a few percent of size buys a good part of the error
 *     back. The report gives each such block with its figures;
 *  3a/3b. which int8 units get int16 activations (16x8,
 *     QUANT_UNIT_INT16) or become weight-only (int8 weights, float32
 *     activations: convert.h): those still int8 whose error alone in int8
 *     is at least the median, worst first, each tried as both on top of
 *     the current choice; the one with the lesser error (16x8 on a tie) is
 *     kept when the whole network's error drops by at least
 *     QUANT_WEIGHTS_GAIN of it, while the units of that kind hold at most
 *     act16_budget or weight_only_budget of the network's MACs. Either
 *     removes the activations' rounding, most of an int8 unit's error, at
 *     int8's bytes; a 16x8 unit's ranges are CONVERT_HEADROOM_16 times the
 *     chosen method's (quant.c, unit_qtype), wide enough for the defects
 *     while int16 keeps the good images' resolution. They cost time where
 *     the MACs are -- weight-only runs the float32 kernels, 16x8 its own,
 *     faster than float32 where the CPU has integer dot products (VNNI)
 *     and about as fast on plain AVX2 -- hence budgets in MACs, and a
 *     measured gain rather than the error alone: a unit whose error the
 *     blocks after it absorb is not worth the time. Which of the two
 *     removes more varies from network to network, so neither is tried
 *     alone first. Measured (Zen 5, 2026-12-05, Spearman of the anomaly
 *     scores, tests/int8/fidelity.sh and demo-seeds.sh): the demo sets of
 *     seeds 1-10, mean 0.9947 -> 0.9960 with 8-bit weights (one of ten
 *     under 0.99 -> none), 0.9949 -> 0.9963 with 6-bit (19 of the 20 figures higher);
 *     the generated metal set's B0 0.9916 -> 0.9909 (8-bit) and 0.9945 ->
 *     0.9943 (6-bit), each the same two weight-only blocks plus one 16x8;
 *     its seeds 21-24, mean 0.9939 -> 0.9940 (8-bit) and 0.9940 -> 0.9946
 *     (6-bit), one seed under 0.99 -> none.
 *     16x8 first and weight-only after lost the metal set at 8 bits
 *     (0.9892), and without stage 3 (float budget 0) 16x8 alone missed on
 *     the small demo networks (seeds 4, 6, 8: 0.91-0.95), where float32
 *     also spares the early blocks' few weights their rounding -- while
 *     a 16x8 unit's weights had the model's 6 bits. They have 8 now
 *     (quant_unit_weight_bits: free in its kernels), and 16x8 alone
 *     keeps those seeds (mean 0.9951, none under 0.99): `convert --fast`
 *     is that, stage 3 and 3b off, 3a over any share of the MACs
 *     (models/int8.md, "--fast").
 *
 * Before any of them, with QUANT_ROUND_GPTQ, the int8 weights are rounded
 * once from the float model's activations on the calibration images
 * (gptq-calib.h), their first two groups of layers gathered in the
 * ranges' and histograms' passes; every candidate written afterwards
 * holds the same codes.
 *
 * Everything is deterministic: fixed image order, fixed candidate order,
 * a candidate replaces the current choice only when strictly better, and
 * the engine's results do not depend on the thread count. (The float
 * layers run the kernels of the machine's ISA, whose last-bit rounding
 * differs between ISAs; a near-tie may then tip differently.)
 */
#ifndef EFFAD_QUANT_SELECT_H
#define EFFAD_QUANT_SELECT_H

#include "convert.h"
#include "calib-hist.h"

#define QUANT_N_HEADROOMS 7
extern const float quant_headrooms[QUANT_N_HEADROOMS];   /* 1, 1.25, 1.5, 2, 3, 4, 6 */

/* Preprocessed input tensors (3 x H x W floats each, at the model's size). */
typedef struct quant_inputs {
    size_t floats;                      /* per tensor */
    const float *calib; int n_calib;    /* good images: ranges, histograms */
    const float *measure; int n_measure;/* where the output error is measured */
    int n_measure_defective;            /* the last ones of measure are defective */
    const char *source;                 /* where the calibration images came from, for
                                           messages (a directory), or NULL */
} quant_inputs;

typedef struct quant_select_options {
    int weight_bits;                    /* 8 or 7 */
    int weight_round;                   /* QUANT_ROUND_* (quant.h): GPTQ rounds the weights
                                           once, on the calibration images, before any
                                           candidate is written (gptq-calib.h) */
    int act_bits;                       /* 8 (uint8) or 16 (int16 activations, ops/q16.h) */
    int method;                         /* a calib_method for every point, or -1: measured */
    float headroom;                     /* > 0: this one; 0: measured */
    float float_budget;                 /* float32 blocks may add this fraction of the
                                           float32 file (0: none chosen by measurement) */
    float max_size;                     /* ... and only while the int8 file stays within
                                           this fraction of the float32 one (0: no cap) */
    uint8_t keep_float[EFFAD_MAX_BLOCKS + 1];   /* units the caller keeps float32
                                                   (blocks, then the head) */
    float weight_only_budget;           /* weight-only units chosen by measurement may
                                           hold this fraction of the network's MACs at
                                           its native input size (0: stage 3b off) */
    uint8_t weight_only[EFFAD_MAX_BLOCKS + 1];  /* units the caller makes weight-only
                                                   (not counted in the budget; keep_float
                                                   wins where both are set) */
    uint8_t act16[EFFAD_MAX_BLOCKS + 1];        /* units the caller gives int16 activations
                                                   in a uint8 model (QUANT_UNIT_INT16; after
                                                   keep_float, before weight_only) */
    float act16_budget;                 /* 16x8 units chosen by measurement may hold this
                                           fraction of the network's MACs (0: stage 3a off) */
    const effad_kernel_set *k;          /* NULL: the best this machine runs */
    effad_threads *threads;             /* NULL: the caller's thread */
    /* optional progress: called after each measured pass */
    void (*progress)(void *ctx, const char *stage, int done, int total);
    void *progress_ctx;
} quant_select_options;

/* Why a unit is float32 or weight-only. */
enum { QUANT_BY_MEASURE = 1, QUANT_BY_REQUEST = 2 };
/* Stage 3b keeps a weight-only unit when the error drops by this much of itself. */
#define QUANT_WEIGHTS_GAIN 0.01

typedef struct quant_select_report {
    int n_points;
    uint8_t observed[CALIB_MAX_POINTS];
    uint8_t method[CALIB_MAX_POINTS];
    int method_count[CALIB_N_METHODS];
    int n_units;                            /* blocks, then the head if any */
    int units_measured;                     /* 0 when neither stage 3 nor 3b ran: the next two are unset */
    double unit_error[EFFAD_MAX_BLOCKS + 1];/* that unit alone in int8, final ranges */
    long long unit_bytes[EFFAD_MAX_BLOCKS + 1]; /* what keeping it float32 adds to the int8 file */
    long long float_bytes;                  /* the float32 file */
    long long base_bytes;                   /* the int8 file before stage 3's choices */
    long long float_budget_bytes;           /* what stage 3 could add: the budget or the cap */
    uint8_t unit_float[EFFAD_MAX_BLOCKS + 1]; /* 0, or QUANT_BY_*: float32 */
    double median_unit_error;
    uint8_t unit_weights[EFFAD_MAX_BLOCKS + 1]; /* 0, or QUANT_BY_*: weight-only */
    uint8_t unit_act16[EFFAD_MAX_BLOCKS + 1];   /* 0, or QUANT_BY_*: int16 activations */
    uint8_t act16_tried[EFFAD_MAX_BLOCKS + 1];  /* stage 3a measured it, and: */
    double act16_error_before[EFFAD_MAX_BLOCKS + 1], act16_error_after[EFFAD_MAX_BLOCKS + 1];
    uint8_t weights_tried[EFFAD_MAX_BLOCKS + 1];/* stage 3b measured it (kept or not): */
    double weights_error_before[EFFAD_MAX_BLOCKS + 1], weights_error_after[EFFAD_MAX_BLOCKS + 1];
                                            /* the whole network's error before and with it */
    long long unit_macs[EFFAD_MAX_BLOCKS + 1], macs;  /* per unit and the network's (native size) */
    long long stem_macs;                    /* the stem's: always float32 (engine/forward.c) */
    int n_headrooms;
    float headroom[QUANT_N_HEADROOMS];
    double headroom_error[QUANT_N_HEADROOMS];
    float headroom_chosen;
    double error_final;                     /* the chosen quantisation, whole network */
    double error_baseline;                  /* min/max x 1.5 everywhere, all int8: the old default
                                               (NaN when method and headroom were given) */
    double error_baseline_defective, error_final_defective;  /* the same on the defective images only */
    long long passes;                       /* forward passes run (GPTQ's included) */
    int gptq_layers, gptq_groups;           /* layers rounded by GPTQ, in groups of them
                                               (gptq-calib.h; 0, 0: to nearest) */
    int gptq_passes;                        /* passes over the calibration images GPTQ ran
                                               beyond the calibration's two (which carry
                                               its first two groups) */
    int gptq_not_factorised;                /* of them left to nearest (gptq-calib.h) */
    int n_levels;                           /* the model's levels (taps) */
    uint8_t level_still[EFFAD_MAX_TAPS];    /* 1: the same on every calibration image
                                               (level_moments), left out of every error */
} quant_select_report;

/* With o->weight_round QUANT_ROUND_GPTQ the session keeps the codes
 * (convert_set_codes) for the writes of q; otherwise it drops any. */
effad_status quant_select(convert_session *cs, const quant_inputs *in, const quant_select_options *o,
                          convert_quant *q, quant_select_report *rep, effad_error *e);

#endif
