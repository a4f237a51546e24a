/* cli-maps.h -- the command-line side of anomaly maps (src/cmd-maps.c):
 * the options and printouts `fit`, `calibrate`, `score`, `eval` and
 * `demo` share. CLI only. */
#ifndef EFFAD_CLI_MAPS_H
#define EFFAD_CLI_MAPS_H

#include <stdio.h>
#include "cli.h"
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
/* Test image i's pixels, from its map in ms (map_scorer_run), into the
 * pixel metrics (when there is ground truth). */
effad_status eval_maps_add(eval_maps *em, const image_list *l, size_t i, const map_scorer *ms, effad_error *e);
/* Prints the pixel table, writes OUT/region-counts.svg and appends the
 * report.json members (",\"pixel_auroc\":{...},...") to json. */
effad_status eval_maps_report(eval_maps *em, const image_list *l, const char *outdir, FILE *out, cli_buf *json,
                              effad_error *e);
void eval_maps_close(eval_maps *em);

/* --------------------------------------------------------------- merge */

/* acc's maps += next's (both or neither must have maps, of the same
 * layout, with statistics). */
effad_status merge_maps_add(gauss_model *acc, gauss_model *next, const char *acc_path, const char *next_path,
                            effad_error *e);
/* Refits the merged maps; a pixel threshold chosen for one part does not
 * hold for the whole, so it is dropped (effad calibrate chooses a new one).
 * Prints what it did. */
effad_status merge_maps_refit(gauss_model *acc, FILE *out, effad_error *e);

/* --------------------------------------------------------------- score */


/* What `score` adds for a model with maps: the map, its regions and the
 * verdict by regions, the figures and the raw maps. */
typedef struct score_maps {
    int on;                       /* the model has maps */
    int map_max;                  /* --score map-max */
    map_scorer ms;
    region_list rl;               /* regions above the pixel threshold */
    size_t defects;               /* of them, at least min_area pixels */
    char png[4096], f32[4096];    /* --save-maps outputs of the last image */
    double png_scale;             /* map value = 16-bit sample x png_scale */
} score_maps;

/* A scorer on p (a worker's pipeline) for gm's maps, if it has any. */
effad_status score_maps_open(score_maps *sm, const gauss_model *gm, pipeline *p, int map_max, effad_error *e);
/* After pipeline_rgb on p of a w x h image. */
effad_status score_maps_image(score_maps *sm, pipeline *p, int w, int h, effad_error *e);
/* --save-maps: DIR/<name>.map.png (16-bit, scaled to the image's maximum)
 * and DIR/<name>.map.f32 (float32, little-endian, row-major); name from
 * figure-names.h. */
effad_status score_maps_save_raw(score_maps *sm, const char *dir, const char *name, effad_error *e);
/* --save: DIR/<name>-maps.png, the panels (ground truth from the MVTec
 * layout when image_path sits in one). */
effad_status score_maps_save_panels(score_maps *sm, const char *dir, const char *name, const char *image_path,
                                    const uint8_t *rgb, effad_error *e);
/* The "map" member of an image's JSON line (leading comma included). */
void score_maps_json(const score_maps *sm, FILE *out);
/* The text line under an image's result. */
void score_maps_text(const score_maps *sm, FILE *out);
void score_maps_close(score_maps *sm);

#endif
