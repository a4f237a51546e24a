/*
 * calibrate-images.h -- int8 calibration on real images: the good images
 * of a directory, decoded and preprocessed exactly as `effad fit` does,
 * plus defective images to measure on -- painted synthetic defects on
 * some of the good ones (calib-defects.h), or a directory of real ones --
 * handed to the measured selection of convert/quant-select.h.
 */
#ifndef EFFAD_CALIBRATE_IMAGES_H
#define EFFAD_CALIBRATE_IMAGES_H

#include "convert.h"
#include "quant-select.h"
#include "image.h"
#include "roi.h"

typedef struct calib_images_options {
    const char *dir;           /* good images (searched recursively) */
    int max_images;            /* 0: all */
    const char *preset;        /* preprocessing preset, as for fit */
    image_roi roi;             /* each image cropped to it first, as fit --roi */
    image_rgb_rule rgb16;      /* 16-bit samples to 8 bits, as fit's (image.h) */
    int n_measure;             /* good images the error is measured on, and
                                  as many defective ones */
    const char *defects_dir;   /* defective images to measure on; NULL: paint
                                  synthetic defects onto good ones */
    quant_select_options select;
} calib_images_options;

typedef struct calib_images_report {
    int n_calib, n_measure_good, n_measure_defective;
    int painted;               /* the defective ones are painted */
} calib_images_report;

/* Calibrates the conversion cs (its float model decides the input size
 * and normalisation) and fills q; with GPTQ rounding cs keeps the rounded
 * weights for q's writes (quant-select.h). Errors name the file. */
effad_status calibrate_images(convert_session *cs, const calib_images_options *o, convert_quant *q,
                              quant_select_report *rep, calib_images_report *irep, effad_error *e);

#endif
