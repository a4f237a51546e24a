/* match.h -- EfficientNet's structure read off the fused layers. */
#ifndef EFFAD_MATCH_H
#define EFFAD_MATCH_H

#include "layers.h"
#include "convert.h"

typedef struct mblock {
    int stage, skip, in_c, mid_c, out_c, se_c;
    const layer *expand, *dw, *se_reduce, *se_expand, *project;
    int out_val;
} mblock;

typedef struct mtap {
    int at, pooled, channels;
    const char *name;      /* ONNX value */
    const char *node;      /* ONNX node producing it ("" if none) */
} mtap;

typedef struct mnet {
    const layer *stem, *head;
    int n_blocks, n_stages;
    mblock blocks[EFFAD_MAX_BLOCKS];
    int boundary[EFFAD_MAX_BLOCKS + 2];   /* value id read by tap position `at` */
    int boundary_node[EFFAD_MAX_BLOCKS + 2];
    int n_taps;
    mtap taps[EFFAD_MAX_TAPS];
    const char *tap_rule;
    int in_h, in_w;
    char ignored[256];
} mnet;

/* Decides each convolution's padding mode (efm-format.h): TF_SAME when the
 * model pads asymmetrically the TensorFlow way anywhere, SYMMETRIC for
 * centred pads, EXPLICIT otherwise. Called by match_efficientnet. */
void match_pad_modes(const graph *g, mnet *m);
effad_status match_efficientnet(const layer_net *net, convert_taps taps, mnet *m, effad_error *e);

#endif
