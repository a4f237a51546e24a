/*
 * input-list.h -- the images a command was given, and where each came from.
 *
 * The arguments are files and directories as dataset_collect takes them;
 * "-" reads more of them from standard input, one path per line (what
 * `find ... | effad score M.gauss M.efm -` and xargs-less scripts need).
 * Blank lines are skipped and a trailing CR is dropped; a line names the
 * path exactly, spaces included. A missing path is the usual error naming
 * it. Each image remembers the argument (or stdin line) it came from, so
 * outputs can be named after the image's path relative to it
 * (figure-names.h).
 */
#ifndef EFFAD_INPUT_LIST_H
#define EFFAD_INPUT_LIST_H

#include <stdio.h>
#include "dataset.h"

typedef struct input_list {
    image_list images;
    char **origin;        /* n_origin (= images.n): the argument each image
                             came from (owned) */
    size_t n_origin;
} input_list;

/* Collects args[0..n) into in (zeroed first); "-" reads paths from stdin. */
effad_status input_list_collect(input_list *in, const char *const *args, int n_args, FILE *stdin_file,
                                effad_error *e);
void input_list_free(input_list *in);

#endif
