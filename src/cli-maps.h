/* cli-maps.h -- the command-line side of anomaly maps (src/cmd-maps.c):
 * the options and printouts `fit`, `calibrate`, `score`, `eval` and
 * `demo` share. CLI only. */
#ifndef EFFAD_CLI_MAPS_H
#define EFFAD_CLI_MAPS_H

#include <stdio.h>
#include "dataset.h"
#include "detector.h"
#include "maps-fit.h"
#include "maps-run.h"
#include "pixel-eval.h"

/* 1: argv[*i] was a maps option (and *i moved past its value); 0: not;
 * -1: a bad value (usage error printed; exit 2). */
int maps_fit_option(const char *cmd, int argc, char **argv, int *i, maps_fit_options *o);
/* The lines `fit --help` prints for these options. */
void maps_fit_help(FILE *f);
/* "1G", "512M", "300k", "123456" (bytes; binary multiples). 0 on failure. */
int parse_bytes(const char *s, uint64_t *out);
/* The summary `fit` prints: layout, bytes added to the file, memory. */
void maps_fit_report(const gauss_model *gm, uint64_t fit_bytes, FILE *out);


/* ---------------------------------------------------------------- eval */

/* What `eval` adds for a model with maps: the map of every test image,
 * pixel metrics when DATA/ground_truth/ exists, and --score map-max. */
typedef struct eval_maps {
    int on;                       /* the model has maps */
    int pixel;                    /* ground truth present */
    int map_max;                  /* image score = map maximum */
    map_scorer ms;
    pixel_eval pe;
} eval_maps;

/* map_max: --score map-max (refused without maps). */
effad_status eval_maps_open(eval_maps *em, detector *d, const char *root, int map_max, effad_error *e);
/* One test image: features into d->feat, its map, its pixels; *score is
 * the image score (--score). */
effad_status eval_maps_image(eval_maps *em, detector *d, const image_list *l, size_t i, double *score, effad_error *e);
/* Prints the pixel table, writes OUT/region-counts.svg and appends the
 * report.json members (",\"pixel_auroc\":{...},...") at json + *at. */
effad_status eval_maps_report(eval_maps *em, const image_list *l, const char *outdir, FILE *out, char *json, size_t cap,
                              size_t *at, effad_error *e);
void eval_maps_close(eval_maps *em);

#endif
