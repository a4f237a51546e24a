/*
 * figure-names.h -- names for the files `score --save/--save-maps` write
 * per image, that two images can never share.
 *
 * An image is named after its path relative to the argument it came from
 * (input-list.h), without the extension: `score ... data/test --save figs`
 * writes figs/good/000.png, figs/hole/000.png (subdirectories mirrored);
 * an image given as a file is named by its file name. When that leaves
 * two images with one name (two arguments holding the same relative
 * path, or data/a/000.png and data/b/000.png given as files), every name
 * keeps as many more of its parent directories as it takes to tell them
 * apart (figs/a/000.png, figs/b/000.png). "." components are dropped and
 * ".." becomes "__" so that no name leaves the output directory; should
 * names still collide (only with such paths), the command is refused
 * before any work, naming both images.
 */
#ifndef EFFAD_FIGURE_NAMES_H
#define EFFAD_FIGURE_NAMES_H

#include "input-list.h"

/* names[i] for every image of in (an array of in->images.n owned strings). */
effad_status figure_names_make(const input_list *in, char ***names, effad_error *e);
/* The name of an image `score --stream` reads, whose later neighbours are
 * not known yet: its whole path as given, "." dropped, ".." as "__" and a
 * leading "/" dropped, without the extension -- two different files never
 * share it (data/a/000.png -> data/a/000). */
effad_status figure_name_whole_path(const char *path, char **name, effad_error *e);
void figure_names_free(char **names, size_t n);
/* Creates dir/<every parent directory of a name>. */
effad_status figure_names_mkdirs(const char *dir, char *const *names, size_t n, effad_error *e);
/* dir/<name><suffix> into out (n bytes). */
void figure_path(char *out, size_t n, const char *dir, const char *name, const char *suffix);

#endif
