/* figure.h -- pictures for people: the score figure and the ROC curve. */
#ifndef EFFAD_FIGURE_H
#define EFFAD_FIGURE_H

#include <stddef.h>
#include <stdint.h>
#include "effad.h"

/* The input image (scaled to 256 pixels high) beside a vertical bar: the
 * score's height in red (anomalous) or green, the threshold as a black
 * line, both values printed underneath. crop_box, when not NULL, is the
 * window the detector saw, in source pixels (x0, y0, x1, y1; see
 * preprocess_crop_in_source): it is outlined and the rest of the image
 * faded, so what the score cannot have seen does not pass unnoticed.
 * *out is malloc'd RGB. */
effad_status figure_score(const uint8_t *rgb, int w, int h, const double *crop_box, double score, double threshold,
                          uint8_t **out, int *out_w, int *out_h, effad_error *e);

/* An SVG ROC plot: one curve per series (fpr/tpr arrays of n points), a
 * legend with each series' AUROC, the chance diagonal. Written atomically. */
typedef struct roc_series { const char *name; const double *fpr, *tpr; size_t n; double auc; } roc_series;
effad_status figure_roc_svg(const char *path, const char *title, const roc_series *s, int n_series, effad_error *e);

/* s as SVG (XML) character data into out (cap > 0 bytes, NUL-terminated,
 * cut short at a whole character when it does not fit): &, < and > as
 * entities, each byte outside a well-formed UTF-8 sequence as U+FFFD
 * (utf8.h). Titles and legends carry data set paths and defect folder
 * names ("R&D/screws"), which written raw made an SVG no browser draws. */
void figure_svg_text(char *out, size_t cap, const char *s);

#endif
