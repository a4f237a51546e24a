#ifndef EFFAD_FUSE_H
#define EFFAD_FUSE_H
#include "layers.h"
/* Folds BatchNorm, zero Pad, x*sigmoid(x) and activations into convs. */
void layers_fuse(layer_net *net);
#endif
