/*
 * prep-spec.h -- what a .gauss records of an image's way to the network
 * beyond its preset's name: the region of interest (roi.h) and the rule
 * that made 16-bit samples 8-bit (image.h). Both decide the features as
 * much as the preset does, so the model carries them and score applies
 * them by itself.
 *
 * They follow the name in the file's preset string, each as ";key=value",
 * in this order and each at most once, and only when they differ from the
 * default (the whole image; 16-bit samples scaled, round(v / 257)):
 *
 *   ailia                           the defaults
 *   ailia;roi=23,17,90,80           a region of interest, X,Y,W,H
 *   mahalanobisad;rgb16=pil         16-bit grey clipped as PIL does (--pil-16bit)
 *   paper;roi=0,0,640,480;rgb16=opencv   the high byte, as cv2.imread (--opencv-16bit)
 *   ailia;rgb16=12                  12-bit samples in 16-bit containers (--sample-bits 12)
 *   paper;roi=8,8,240,240;align=8   the region found again in each image, +-8 pixels
 *                                   (fit --align 8, align.h; the template is a section
 *                                   of the file, and a region is always stated with it)
 *
 * So a file with the defaults is what builds before these keys wrote and
 * read, and those builds refuse any other as an unknown preset rather than
 * apply the wrong preprocessing. One text per setting (no leading zeros,
 * fixed order), so a file read and written again keeps its bytes.
 * Freestanding: the firmware's .gauss reader splits the string too.
 */
#ifndef EFFAD_PREP_SPEC_H
#define EFFAD_PREP_SPEC_H

#include <stddef.h>
#include "effad.h"
#include "roi.h"

/* rgb16 as stored: PREP_RGB16_NONE when the key is absent (a default
 * file: the 16-bit rule is the command line's, as before the key), else an
 * image_rgb_rule value (image.h): 1 pil, 2 opencv, 9..15 N-bit samples. */
#define PREP_RGB16_NONE (-1)

typedef struct prep_spec {
    size_t name_len;              /* the preset's name: the string's first bytes */
    image_roi roi;                /* w == 0: the whole image */
    int align;                    /* 0, or the alignment range R (1 .. 256) */
    int rgb16;                    /* PREP_RGB16_NONE or a rule */
} prep_spec;

/* Splits the len bytes of a stored preset string (no NUL needed); anything
 * after the name but the keys above, well-formed and in order, is
 * EFFAD_ERR_FORMAT. */
effad_status prep_spec_split(const char *stored, size_t len, prep_spec *s, effad_error *e);

/* The 16-bit rule's name as the file and messages write it: "scale" (0 or
 * PREP_RGB16_NONE), "pil", "opencv", "9".."15"; buf holds a number's. */
const char *prep_rgb16_name(int rgb16, char buf[4]);

/* The suffix for roi, align and rgb16 (the part after the name; "" for
 * the defaults: no region, no alignment, rgb16 PREP_RGB16_NONE or 0) into
 * buf. */
#define PREP_SPEC_SUFFIX_BYTES 96
void prep_spec_suffix(const image_roi *roi, int align, int rgb16, char buf[PREP_SPEC_SUFFIX_BYTES]);

#endif
