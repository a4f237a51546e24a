/*
 * score-output.h -- how `effad score` prints its results: text, JSON lines
 * or CSV, one record per image (src/cmd-score-output.c).
 *
 * One call per image with everything its record needs (score_record), so
 * records can come from any worker's buffers (batch.h delivers them in
 * input order) without touching the formats.
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
    const detector *d;              /* the fitted model: levels, taps, preset */
    int maps;                       /* the model has maps                   */
    double threshold;
} score_output;

/* One image's results: error NULL, its score, verdicts, per-level
 * distances and (maps) its map; or the reason it could not be read. */
typedef struct score_record {
    const char *file, *error;
    double score;
    int anomalous, image_anomalous;
    const double *levels;           /* [d->gm.n_levels] */
    const score_maps *sm;           /* with maps */
    int dx, dy;                     /* an aligning model (align.h): where the part was found */
    double match;                   /* and how well (ZNCC) */
} score_record;

/* What the scores are measured against (before the first image). */
void score_output_header(const score_output *o, const char *gauss_path, const char *th_name, int verdict_regions);
void score_output_image(const score_output *o, const score_record *r);
void score_output_summary(const score_output *o, size_t images, size_t unreadable, int anomalies);

#endif
