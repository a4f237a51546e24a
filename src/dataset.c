/* Listing images: files, directories, the MVTec-AD layout. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "dataset.h"

int dataset_is_image_name(const char *name)
{
    static const char *const ext[] = { ".png", ".jpg", ".jpeg", ".bmp", ".ppm", ".pgm", ".pnm", ".tif", ".tiff", 0 };
    const char *dot = strrchr(name, '.');
    if (!dot || name[0] == '.') return 0;
    for (int i = 0; ext[i]; i++) {
        const char *a = dot, *b = ext[i];
        while (*a && *b && tolower((unsigned char)*a) == *b) { a++; b++; }
        if (!*a && !*b) return 1;
    }
    return 0;
}

static effad_status push(image_list *l, const char *path, int label, int type, effad_error *e)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 64;
        char **p = realloc(l->path, cap * sizeof *p);
        if (p) l->path = p;
        int *lb = realloc(l->label, cap * sizeof *lb);
        if (lb) l->label = lb;
        int *ty = realloc(l->type, cap * sizeof *ty);
        if (ty) l->type = ty;
        if (!p || !lb || !ty) return effad_fail(e, EFFAD_ERR_NOMEM, "out of memory listing images");
        l->cap = cap;
    }
    if (!(l->path[l->n] = strdup(path))) return effad_fail(e, EFFAD_ERR_NOMEM, "out of memory listing images");
    l->label[l->n] = label;
    l->type[l->n] = type;
    l->n++;
    return EFFAD_OK;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted names in dir (without . entries); *names malloc'd. */
static effad_status read_dir(const char *dir, char ***names, size_t *n, effad_error *e)
{
    DIR *d = opendir(dir);
    if (!d) return effad_fail(e, EFFAD_ERR_IO, "%s: cannot open directory: %s", dir, strerror(errno));
    size_t cap = 0;
    *names = 0; *n = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.') continue;
        if (*n == cap) {
            cap = cap ? 2 * cap : 64;
            char **q = realloc(*names, cap * sizeof *q);
            if (!q) { closedir(d); return effad_fail(e, EFFAD_ERR_NOMEM, "out of memory"); }
            *names = q;
        }
        if (!((*names)[(*n)++] = strdup(de->d_name))) { closedir(d); return effad_fail(e, EFFAD_ERR_NOMEM, "out of memory"); }
    }
    closedir(d);
    if (*n) qsort(*names, *n, sizeof **names, cmp_str);
    return EFFAD_OK;
}

static void free_names(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++) free(names[i]);
    free(names);
}

static effad_status walk(image_list *l, const char *dir, int depth, effad_error *e)
{
    char **names;
    size_t n;
    effad_status s = read_dir(dir, &names, &n, e);
    if (s) return s;
    for (size_t i = 0; i < n && !s; i++) {
        char path[4096];
        struct stat st;
        if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, names[i]) >= sizeof path) continue;
        if (stat(path, &st) != 0) continue;
        if (S_ISDIR(st.st_mode) && depth < 16) s = walk(l, path, depth + 1, e);
        else if (S_ISREG(st.st_mode) && dataset_is_image_name(names[i])) s = push(l, path, 0, 0, e);
    }
    free_names(names, n);
    return s;
}

effad_status dataset_collect(image_list *l, const char *const *paths, int n_paths, effad_error *e)
{
    for (int i = 0; i < n_paths; i++) {
        struct stat st;
        if (stat(paths[i], &st) != 0) return effad_fail(e, EFFAD_ERR_IO, "%s: %s", paths[i], strerror(errno));
        size_t before = l->n;
        effad_status s = S_ISDIR(st.st_mode) ? walk(l, paths[i], 0, e) : push(l, paths[i], 0, 0, e);
        if (s) return s;
        if (S_ISDIR(st.st_mode) && l->n == before)
            return effad_fail(e, EFFAD_ERR_ARG, "%s: no images (png, jpg, tif, bmp, ppm, pgm) in this directory", paths[i]);
    }
    return EFFAD_OK;
}

effad_status dataset_mvtec_test(image_list *l, const char *root, effad_error *e)
{
    char test[2048];
    struct stat st;
    if ((size_t)snprintf(test, sizeof test, "%s/test", root) >= sizeof test)
        return effad_fail(e, EFFAD_ERR_ARG, "path too long: %s", root);
    if (stat(test, &st) != 0 || !S_ISDIR(st.st_mode))
        return effad_fail(e, EFFAD_ERR_ARG, "%s: not an MVTec-AD layout (no test/ directory with test/good and test/<defect>)", root);
    char **names;
    size_t n;
    effad_status s = read_dir(test, &names, &n, e);
    if (s) return s;
    /* "good" is type 0 so that reports list it first */
    l->type_name = calloc(n + 1, sizeof *l->type_name);
    if (!l->type_name) { free_names(names, n); return effad_fail(e, EFFAD_ERR_NOMEM, "out of memory"); }
    int have_good = 0;
    for (size_t i = 0; i < n; i++) if (!strcmp(names[i], "good")) have_good = 1;
    if (!have_good) { free_names(names, n); return effad_fail(e, EFFAD_ERR_ARG, "%s: no test/good directory: AUROC needs good test images", root); }
    l->type_name[l->n_types++] = strdup("good");
    for (size_t pass = 0; pass < 2 && !s; pass++)
        for (size_t i = 0; i < n && !s; i++) {
            char dir[4096];
            int good = !strcmp(names[i], "good");
            if ((pass == 0) != good) continue;
            if ((size_t)snprintf(dir, sizeof dir, "%s/%s", test, names[i]) >= sizeof dir) continue;
            if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) continue;
            int type = 0;
            if (!good) { type = l->n_types; l->type_name[l->n_types++] = strdup(names[i]); }
            size_t before = l->n;
            if ((s = walk(l, dir, 1, e))) break;
            for (size_t k = before; k < l->n; k++) { l->label[k] = !good; l->type[k] = type; }
        }
    free_names(names, n);
    if (s) return s;
    if (l->n_types < 2) return effad_fail(e, EFFAD_ERR_ARG, "%s: test/ holds no defect directory besides good", root);
    return EFFAD_OK;
}

void dataset_free(image_list *l)
{
    if (!l) return;
    for (size_t i = 0; i < l->n; i++) free(l->path[i]);
    for (int t = 0; t < l->n_types; t++) free(l->type_name[t]);
    free(l->path); free(l->label); free(l->type); free(l->type_name);
    memset(l, 0, sizeof *l);
}
