/*
 * dataset.h -- which images a command works on.
 *
 * A list of files and directories (directories searched recursively for
 * image files, in sorted order so that runs are repeatable), and the
 * MVTec-AD layout used for evaluation. Walks follow symbolic links, but
 * never into a directory already on the current path (a loop such as
 * self -> . or sub/up -> ..: noted and not followed), and list every file
 * once however many links lead to it (same device and inode).
 * The layout:
 *   ROOT/train/good/...          good images for fitting
 *   ROOT/test/<type>/...         "good" or a defect type
 *   ROOT/ground_truth/<type>/<name>_mask.png   defect masks (optional)
 */
#ifndef EFFAD_DATASET_H
#define EFFAD_DATASET_H

#include <stddef.h>
#include <sys/stat.h>
#include "effad.h"

typedef struct image_list {
    size_t n, cap;
    char **path;
    int *label;           /* 0 good, 1 defective (MVTec test sets) */
    int *type;            /* index into type_name */
    int n_types;
    char **type_name;     /* "good" first when present */
    size_t n_notes;
    char **notes;         /* warnings for the user ("a loop, not followed") */
    /* (device, inode) of every file listed, for listing each once (a hash set) */
    size_t n_ids, cap_ids;
    struct dataset_file_id *ids;
} image_list;

/* Whether the name ends in an image extension we decode. */
int dataset_is_image_name(const char *name);
/* Appends the images named by paths (files or directories). A missing
 * path, or a directory holding no images, is an error naming it. */
effad_status dataset_collect(image_list *l, const char *const *paths, int n_paths, effad_error *e);
/* ROOT/test/<type>/ of an MVTec-AD layout, labelled and typed. */
effad_status dataset_mvtec_test(image_list *l, const char *root, effad_error *e);
void dataset_free(image_list *l);
/* The names in dir, sorted (strcmp), without those starting with '.'
 * (hidden files, a writer's temp names, "." and ".."); *names and each
 * name malloc'd, freed by dataset_free_names. */
effad_status dataset_read_dir(const char *dir, char ***names, size_t *n, effad_error *e);
void dataset_free_names(char **names, size_t n);
/* dir/name, malloc'd (NULL when out of memory); no second slash after a
 * dir that ends in one. */
char *dataset_path_join(const char *dir, const char *name);
/* One level of a watched tree (watch-dir.c, watch-poll.c): dir's entries
 * in dataset_read_dir's order, each by lstat (no link followed): a folder
 * to on_dir, a regular file with an image's name to on_image, with its
 * path (malloc'd, handed over) and stat; others left out. A folder that
 * cannot be listed now lists nothing, and an entry that cannot be stat'ed
 * is left out; unless that is because it is gone (removed meanwhile) or
 * refused (permissions), *unlisted (when not NULL) counts it: an I/O
 * error, a network share that stopped answering. Out of memory, or a
 * callback's failure, stops with that status. */
typedef effad_status (*dataset_entry_fn)(void *ctx, char *path, const struct stat *st, effad_error *e);
effad_status dataset_list_entries(const char *dir, dataset_entry_fn on_dir, dataset_entry_fn on_image, void *ctx,
                                  size_t *unlisted, effad_error *e);

#endif
