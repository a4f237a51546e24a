/*
 * cmd-convert-int8.h -- the int8 half of `effad convert`: its options,
 * the calibration run and what it reports (the conversion itself stays in
 * cmd-convert.c).
 */
#ifndef EFFAD_CMD_CONVERT_INT8_H
#define EFFAD_CMD_CONVERT_INT8_H

#include <stdio.h>
#include "calibrate-images.h"
#include "pipeline.h"

typedef struct convert_int8 {
    int enabled;                 /* --int8 */
    calib_images_options co;
    pipeline_options images;     /* --roi and the 16-bit rule, as fit takes them */
    int threads, quiet;
    int fast;                    /* --fast (its settings are in co.select) */
    const char *isa;
    effad_threads *pool;
} convert_int8;

void convert_int8_defaults(convert_int8 *c);
/* 1: argv[*i] was an int8 option (and *i moved past its value); 0: it was
 * not; -1: a bad value (the usage error is printed; exit 2). */
int convert_int8_option(int argc, char **argv, int *i, convert_int8 *c);
/* The options' lines for --help. */
void convert_int8_help(FILE *f);
/* 0 or the usage error's exit status when the options do not go together. */
int convert_int8_check(const convert_int8 *c);
/* Calibrates cs on the images and fills q, printing what was chosen (cs
 * keeps GPTQ's rounded weights for q's writes). */
effad_status convert_int8_run(convert_int8 *c, convert_session *cs, convert_quant *q, effad_error *e);
void convert_int8_close(convert_int8 *c);
/* What a QDQ-quantised input's own quantisation gave. */
void convert_print_qdq(const convert_qdq_report *r);

#endif
