/*
 * calibrate-images.h -- int8 calibration on real images: the good images
 * of a directory, decoded and preprocessed exactly as `effad fit` does,
 * run through the float32 model with the calibration observer
 * (convert/calibrate.h).
 */
#ifndef EFFAD_CALIBRATE_IMAGES_H
#define EFFAD_CALIBRATE_IMAGES_H

#include "convert.h"

typedef struct calib_images_options {
    const char *dir;           /* images (searched recursively) */
    int max_images;            /* 0: all */
    const char *preset;        /* preprocessing preset, as for fit */
    float headroom;            /* range widening, calibrate.h */
    int weight_bits;           /* 8 or 7 */
} calib_images_options;

/* Measures the float32 model efm (bytes) on the images and fills q.
 * *n_used: images measured. Errors name the file. */
effad_status calibrate_images(const uint8_t *efm, size_t efm_bytes, const calib_images_options *o,
                              convert_quant *q, int *n_used, effad_error *e);

#endif
