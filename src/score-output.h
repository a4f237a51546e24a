/*
 * score-output.h -- how `effad score` prints its results: text, JSON lines
 * or CSV, one record per image (src/cmd-score-output.c).
 *
 * The per-image loop makes one call per image, so it can be reordered or
 * parallelised without touching the formats.
 *   text  "# <model>, threshold ..." then per image
 *         "<verdict> <score>  <file>  levels L0=.. L1=.." (L<tap>: the
 *         model level), the map line under it; ERROR and the reason for an
 *         image that could not be read.
 *   json  a {"kind":"fit"} line, one object per image, a {"kind":"summary"}.
 *   csv   RFC 4180: the header "file,score,verdict,level_<tap>...,error",
 *         then one row per image; verdict is "anomalous", "ok" or "error",
 *         and an unreadable image has empty numbers and the reason in error.
 */
#ifndef EFFAD_SCORE_OUTPUT_H
#define EFFAD_SCORE_OUTPUT_H

#include <stdio.h>
#include "cli-maps.h"
#include "detector.h"

typedef enum score_format { SCORE_TEXT, SCORE_JSON, SCORE_CSV } score_format;

typedef struct score_output {
    FILE *f;
    score_format format;
    int quiet;                      /* text: no header line */
    const detector *d;
    const score_maps *sm;           /* sm->on: the model has maps */
    double threshold;
} score_output;

/* What the scores are measured against (before the first image). */
void score_output_header(const score_output *o, const char *gauss_path, const char *th_name, int verdict_regions);
/* One image: error NULL and its score, verdicts, d->levels and the maps'
 * results; or the reason it could not be read. */
void score_output_image(const score_output *o, const char *file, const char *error, double score, int anomalous,
                        int image_anomalous);
void score_output_summary(const score_output *o, size_t images, size_t unreadable, int anomalies);

#endif
