/* Listing images: files, directories, the MVTec-AD layout. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "dataset.h"

int dataset_is_image_name(const char *name)
{
    /* every extension OpenCV's imread and PIL give to a format we decode:
     * .jpe and .jfif (Windows saves JPEGs as .jfif), .dib (a BMP), .pbm */
    static const char *const ext[] = { ".png", ".jpg", ".jpeg", ".jpe", ".jfif", ".bmp", ".dib", ".ppm", ".pgm",
                                       ".pbm", ".pnm", ".tif", ".tiff", 0 };
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

effad_status dataset_read_dir(const char *dir, char ***names, size_t *n, effad_error *e)
{
    DIR *d = opendir(dir);
    if (!d) return effad_fail(e, EFFAD_ERR_IO, "%s: cannot open directory: %s", dir, strerror(errno));
    size_t cap = 0;
    *names = 0; *n = 0;
    struct dirent *de;
    for (;;) {
        errno = 0;
        if (!(de = readdir(d))) break;
        if (de->d_name[0] == '.') continue;
        if (*n == cap) {
            cap = cap ? 2 * cap : 64;
            char **q = realloc(*names, cap * sizeof *q);
            if (!q) break;
            *names = q;
        }
        if (!((*names)[*n] = strdup(de->d_name))) break;
        (*n)++;
    }
    const int err = errno;   /* readdir's, when it stopped on an error */
    if (de || err) {   /* nothing half-listed is handed back */
        closedir(d);
        dataset_free_names(*names, *n);
        *names = 0; *n = 0;
        errno = err;
        if (de) return effad_fail(e, EFFAD_ERR_NOMEM, "out of memory listing %s", dir);
        return effad_fail(e, EFFAD_ERR_IO, "%s: reading the directory failed: %s", dir, strerror(err));
    }
    closedir(d);
    if (*n) qsort(*names, *n, sizeof **names, cmp_str);
    return EFFAD_OK;
}

void dataset_free_names(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++) free(names[i]);
    free(names);
}

char *dataset_path_join(const char *dir, const char *name)
{
    size_t a = strlen(dir), b = strlen(name);
    char *p = malloc(a + b + 2);
    if (!p) return NULL;
    memcpy(p, dir, a);
    if (!a || dir[a - 1] != '/') p[a++] = '/';
    memcpy(p + a, name, b + 1);
    return p;
}

/* Gone (removed meanwhile) or refused for good, as opposed to a failure
 * that may pass (EIO, ESTALE, a share that times out). */
static int lasting_failure(int err)
{
    return err == ENOENT || err == ENOTDIR || err == EACCES || err == EPERM || err == ELOOP || err == ENAMETOOLONG;
}

effad_status dataset_list_entries(const char *dir, dataset_entry_fn on_dir, dataset_entry_fn on_image, void *ctx,
                                  size_t *unlisted, effad_error *e)
{
    char **names;
    size_t n;
    effad_error why = { 0 };
    if (dataset_read_dir(dir, &names, &n, &why)) {
        const int err = errno;   /* opendir's: the message formatter leaves errno alone */
        if (why.status == EFFAD_ERR_NOMEM) { *e = why; return why.status; }
        if (unlisted && !lasting_failure(err)) ++*unlisted;
        return EFFAD_OK;
    }
    effad_status s = EFFAD_OK;
    for (size_t i = 0; i < n && !s; i++) {
        char *path = dataset_path_join(dir, names[i]);
        struct stat st;
        if (!path) { s = effad_fail(e, EFFAD_ERR_NOMEM, "out of memory"); break; }
        if (lstat(path, &st) != 0) {
            if (unlisted && !lasting_failure(errno)) ++*unlisted;
            free(path);
        }
        else if (S_ISDIR(st.st_mode)) s = on_dir(ctx, path, &st, e);
        else if (S_ISREG(st.st_mode) && dataset_is_image_name(names[i])) s = on_image(ctx, path, &st, e);
        else free(path);
    }
    dataset_free_names(names, n);
    return s;
}

/* ------------------------------------------------- each file once, no loops */

/* An open-addressing set of (device, inode), kept at most half full: a
 * data set of 100 000 images is checked in linear time. */
struct dataset_file_id { dev_t dev; ino_t ino; int used; };

static size_t id_slot(const image_list *l, dev_t dev, ino_t ino)
{
    uint64_t h = ((uint64_t)ino * 0x9E3779B97F4A7C15ull) ^ (uint64_t)dev;
    size_t i = (size_t)(h ^ (h >> 29)) & (l->cap_ids - 1);
    while (l->ids[i].used && !(l->ids[i].dev == dev && l->ids[i].ino == ino)) i = (i + 1) & (l->cap_ids - 1);
    return i;
}

static int seen_file(const image_list *l, const struct stat *st)
{
    return l->cap_ids && l->ids[id_slot(l, st->st_dev, st->st_ino)].used;
}

static effad_status note_file(image_list *l, const struct stat *st, effad_error *e)
{
    if (2 * (l->n_ids + 1) > l->cap_ids) {
        image_list grown = *l;
        grown.cap_ids = l->cap_ids ? 2 * l->cap_ids : 256;
        if (!(grown.ids = calloc(grown.cap_ids, sizeof *grown.ids)))
            return effad_fail(e, EFFAD_ERR_NOMEM, "out of memory listing images");
        for (size_t i = 0; i < l->cap_ids; i++)
            if (l->ids[i].used) grown.ids[id_slot(&grown, l->ids[i].dev, l->ids[i].ino)] = l->ids[i];
        free(l->ids);
        l->ids = grown.ids;
        l->cap_ids = grown.cap_ids;
    }
    struct dataset_file_id *slot = &l->ids[id_slot(l, st->st_dev, st->st_ino)];
    slot->dev = st->st_dev;
    slot->ino = st->st_ino;
    slot->used = 1;
    l->n_ids++;
    return EFFAD_OK;
}

static effad_status add_note(image_list *l, effad_error *e, const char *fmt, const char *a, const char *b)
{
    char buf[8192];
    snprintf(buf, sizeof buf, fmt, a, b);
    char **q = realloc(l->notes, (l->n_notes + 1) * sizeof *q);
    if (!q) return effad_fail(e, EFFAD_ERR_NOMEM, "out of memory");
    l->notes = q;
    if (!(l->notes[l->n_notes] = strdup(buf))) return effad_fail(e, EFFAD_ERR_NOMEM, "out of memory");
    l->n_notes++;
    return EFFAD_OK;
}

/* The directories from the walk's root down to the one being read: a
 * subdirectory that is one of them is a loop. */
#define WALK_MAX_DEPTH 64
typedef struct walk_path { int n; struct stat st[WALK_MAX_DEPTH]; const char *name[WALK_MAX_DEPTH]; } walk_path;

static int on_path(const walk_path *wp, const struct stat *st)
{
    for (int i = 0; i < wp->n; i++)
        if (wp->st[i].st_dev == st->st_dev && wp->st[i].st_ino == st->st_ino) return i;
    return -1;
}

static effad_status add_file(image_list *l, const char *path, const struct stat *st, effad_error *e)
{
    if (seen_file(l, st)) return EFFAD_OK;   /* another link to a file already listed */
    effad_status s = note_file(l, st, e);
    return s ? s : push(l, path, 0, 0, e);
}

/* One pass over the tree under dir: follow = 0 lists what is reachable
 * without symbolic links, follow = 1 what they add (so a file is listed
 * under its own path when it has one, and loops are noted once). */
static effad_status walk(image_list *l, walk_path *wp, const char *dir, int follow, effad_error *e)
{
    char **names;
    size_t n;
    effad_status s = dataset_read_dir(dir, &names, &n, e);
    if (s) return s;
    for (size_t i = 0; i < n && !s; i++) {
        char path[4096];
        struct stat st;
        if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, names[i]) >= sizeof path) {
            if (!follow) s = add_note(l, e, "%s/%s: path longer than the system allows: not read", dir, names[i]);
            continue;
        }
        if ((follow ? stat(path, &st) : lstat(path, &st)) != 0) continue;
        if (S_ISDIR(st.st_mode)) {
            int at = on_path(wp, &st);
            if (at >= 0) s = add_note(l, e, "%s leads back to %s (a symbolic link loop): not followed", path, wp->name[at]);
            else if (wp->n == WALK_MAX_DEPTH) s = add_note(l, e, "%s: more than 64 directories deep: not read%s", path, "");
            else {
                wp->st[wp->n] = st;
                wp->name[wp->n++] = path;
                s = walk(l, wp, path, follow, e);
                wp->n--;
            }
        } else if (S_ISREG(st.st_mode) && dataset_is_image_name(names[i])) {
            s = add_file(l, path, &st, e);
        }
    }
    dataset_free_names(names, n);
    return s;
}

/* Walks dir in both passes; wp holds the directories down to dir. */
static effad_status walk_both(image_list *l, walk_path *wp, const char *dir, effad_error *e)
{
    effad_status s = walk(l, wp, dir, 0, e);
    return s ? s : walk(l, wp, dir, 1, e);
}

/* Walks dir (whose stat is st) as the root of a new path. */
static effad_status walk_root(image_list *l, const char *dir, const struct stat *st, effad_error *e)
{
    walk_path wp;
    wp.n = 1;
    wp.st[0] = *st;
    wp.name[0] = dir;
    return walk_both(l, &wp, dir, e);
}

effad_status dataset_collect(image_list *l, const char *const *paths, int n_paths, effad_error *e)
{
    for (int i = 0; i < n_paths; i++) {
        struct stat st;
        if (stat(paths[i], &st) != 0) return effad_fail(e, EFFAD_ERR_IO, "%s: cannot open: %s", paths[i], strerror(errno));
        size_t before = l->n;
        effad_status s = S_ISDIR(st.st_mode) ? walk_root(l, paths[i], &st, e) : add_file(l, paths[i], &st, e);
        if (s) return s;
        if (S_ISDIR(st.st_mode) && l->n == before)
            return effad_fail(e, EFFAD_ERR_ARG, "%s: no images (png, jpg, tif, bmp, ppm, pgm, pbm) in this directory", paths[i]);
    }
    return EFFAD_OK;
}

effad_status dataset_mvtec_test(image_list *l, const char *root, effad_error *e)
{
    char test[4096];
    struct stat st;
    if ((size_t)snprintf(test, sizeof test, "%s/test", root) >= sizeof test)
        return effad_fail(e, EFFAD_ERR_ARG, "path too long: %s", root);
    if (stat(test, &st) != 0 || !S_ISDIR(st.st_mode))
        return effad_fail(e, EFFAD_ERR_ARG, "%s: not an MVTec-AD layout (no test/ directory with test/good and test/<defect>)", root);
    char **names;
    size_t n;
    effad_status s = dataset_read_dir(test, &names, &n, e);
    if (s) return s;
    /* "good" is type 0 so that reports list it first */
    l->type_name = calloc(n + 1, sizeof *l->type_name);
    if (!l->type_name) { dataset_free_names(names, n); return effad_fail(e, EFFAD_ERR_NOMEM, "out of memory"); }
    int have_good = 0;
    for (size_t i = 0; i < n; i++) if (!strcmp(names[i], "good")) have_good = 1;
    if (!have_good) { dataset_free_names(names, n); return effad_fail(e, EFFAD_ERR_ARG, "%s: no test/good directory: AUROC needs good test images", root); }
    l->type_name[l->n_types++] = strdup("good");
    for (size_t pass = 0; pass < 2 && !s; pass++)
        for (size_t i = 0; i < n && !s; i++) {
            char dir[4096];
            int good = !strcmp(names[i], "good");
            if ((pass == 0) != good) continue;
            if ((size_t)snprintf(dir, sizeof dir, "%s/%s", test, names[i]) >= sizeof dir) {
                s = effad_fail(e, EFFAD_ERR_ARG, "%s/%s: path longer than the system allows", test, names[i]);
                break;
            }
            struct stat tst;
            if (stat(dir, &tst) != 0 || !S_ISDIR(tst.st_mode)) continue;
            int type = 0;
            if (!good) { type = l->n_types; l->type_name[l->n_types++] = strdup(names[i]); }
            size_t before = l->n;
            /* the path starts at test/, so test/good/up -> .. is a loop too */
            walk_path wp;
            wp.n = 2;
            wp.st[0] = st; wp.name[0] = test;
            wp.st[1] = tst; wp.name[1] = dir;
            if ((s = walk_both(l, &wp, dir, e))) break;
            for (size_t k = before; k < l->n; k++) { l->label[k] = !good; l->type[k] = type; }
        }
    dataset_free_names(names, n);
    if (s) return s;
    if (l->n_types < 2) return effad_fail(e, EFFAD_ERR_ARG, "%s: test/ holds no defect directory besides good", root);
    return EFFAD_OK;
}

void dataset_free(image_list *l)
{
    if (!l) return;
    for (size_t i = 0; i < l->n; i++) free(l->path[i]);
    for (int t = 0; t < l->n_types; t++) free(l->type_name[t]);
    for (size_t i = 0; i < l->n_notes; i++) free(l->notes[i]);
    free(l->path); free(l->label); free(l->type); free(l->type_name); free(l->notes); free(l->ids);
    memset(l, 0, sizeof *l);
}
