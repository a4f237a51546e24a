/* Collision-free names for per-image outputs; see figure-names.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "figure-names.h"

#define MAX_PARTS 256

/* The path's components, "." dropped and ".." as "__"; *n_rel: how many
 * of the last ones are the path relative to its argument. */
typedef struct split_path { char *buf; const char *part[MAX_PARTS]; int n, n_rel; } split_path;

static int count_parts(const char *s, size_t len)
{
    int n = 0;
    for (size_t i = 0; i < len; i++)
        if (s[i] != '/' && (i == 0 || s[i - 1] == '/')) n++;
    return n;
}

static effad_status split(split_path *sp, const char *path, const char *origin, effad_error *e)
{
    memset(sp, 0, sizeof *sp);
    if (!(sp->buf = strdup(path))) return effad_fail(e, EFFAD_ERR_NOMEM, "out of memory naming figures");
    for (char *tok = strtok(sp->buf, "/"); tok; tok = strtok(NULL, "/")) {
        if (!strcmp(tok, ".")) continue;
        if (sp->n == MAX_PARTS) return effad_fail(e, EFFAD_ERR_ARG, "%s: more than %d directories deep", path, MAX_PARTS);
        sp->part[sp->n++] = strcmp(tok, "..") ? tok : "__";
    }
    /* a directory argument's images are origin + "/" + relative path; a
     * file argument is the image itself: its file name */
    size_t lo = strlen(origin);
    int rel = 1;
    if (strcmp(path, origin) && !strncmp(path, origin, lo) && (path[lo] == '/' || (lo && origin[lo - 1] == '/')))
        rel = count_parts(path + lo, strlen(path + lo));
    sp->n_rel = rel < 1 ? 1 : rel > sp->n ? sp->n : rel;
    return EFFAD_OK;
}

/* The last `keep` components joined, without the file's extension. */
static char *join(const split_path *sp, int keep)
{
    if (keep > sp->n) keep = sp->n;
    size_t len = 1;
    for (int i = sp->n - keep; i < sp->n; i++) len += strlen(sp->part[i]) + 1;
    char *s = malloc(len), *at = s;
    if (!s) return NULL;
    for (int i = sp->n - keep; i < sp->n; i++) at += sprintf(at, "%s%s", i > sp->n - keep ? "/" : "", sp->part[i]);
    char *base = strrchr(s, '/'), *dot = strrchr(base ? base + 1 : s, '.');
    if (dot && dot != (base ? base + 1 : s)) *dot = '\0';
    return s;
}

static int cmp_name(const void *a, const void *b)
{
    return strcmp(**(char **const *)a, **(char **const *)b);
}

void figure_names_free(char **names, size_t n)
{
    for (size_t i = 0; names && i < n; i++) free(names[i]);
    free(names);
}

effad_status figure_names_make(const input_list *in, char ***names_out, effad_error *e)
{
    size_t n = in->images.n;
    split_path *sp = calloc(n ? n : 1, sizeof *sp);
    char **names = calloc(n ? n : 1, sizeof *names), ***order = calloc(n ? n : 1, sizeof *order);
    effad_status s = sp && names && order ? EFFAD_OK : effad_fail(e, EFFAD_ERR_NOMEM, "out of memory naming figures");
    int deepest = 0;
    for (size_t i = 0; i < n && !s; i++) {
        s = split(&sp[i], in->images.path[i], in->origin[i], e);
        if (sp[i].n > deepest) deepest = sp[i].n;
    }
    /* the fewest extra parent directories that make every name unique */
    for (int extra = 0; !s; extra++) {
        for (size_t i = 0; i < n && !s; i++) {
            free(names[i]);
            if (!(names[i] = join(&sp[i], sp[i].n_rel + extra))) s = effad_fail(e, EFFAD_ERR_NOMEM, "out of memory naming figures");
            order[i] = &names[i];
        }
        if (s) break;
        qsort(order, n, sizeof *order, cmp_name);
        size_t same = 0;
        for (size_t i = 1; i < n && !same; i++) if (!strcmp(*order[i - 1], *order[i])) same = i;
        if (!same) break;
        if (extra >= deepest) {
            size_t a = (size_t)(order[same - 1] - names), b = (size_t)(order[same] - names);
            s = effad_fail(e, EFFAD_ERR_ARG, "%s and %s would write figures of the same name (%s); give them from "
                           "paths without '..'", in->images.path[a], in->images.path[b], names[a]);
        }
    }
    for (size_t i = 0; sp && i < n; i++) free(sp[i].buf);
    free(sp);
    free(order);
    if (s) { figure_names_free(names, n); return s; }
    *names_out = names;
    return EFFAD_OK;
}

effad_status figure_name_whole_path(const char *path, char **name, effad_error *e)
{
    split_path sp;
    effad_status s = split(&sp, path, path, e);
    *name = NULL;
    if (!s && !sp.n) s = effad_fail(e, EFFAD_ERR_ARG, "%s: no file name to name its figures after", path);
    if (!s && !(*name = join(&sp, sp.n))) s = effad_fail(e, EFFAD_ERR_NOMEM, "out of memory naming figures");
    free(sp.buf);
    return s;
}

static effad_status make_dir(const char *path, effad_error *e)
{
    struct stat st;
    if (mkdir(path, 0755) == 0 || (errno == EEXIST && stat(path, &st) == 0 && S_ISDIR(st.st_mode))) return EFFAD_OK;
    if (errno == EEXIST)
        return effad_fail(e, EFFAD_ERR_IO, "%s: exists and is not a directory (figures go in a directory here)", path);
    return effad_fail(e, EFFAD_ERR_IO, "%s: cannot create directory: %s", path, strerror(errno));
}

effad_status figure_names_mkdirs(const char *dir, char *const *names, size_t n, effad_error *e)
{
    char path[4096];
    for (size_t i = 0; i < n; i++) {
        if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, names[i]) >= sizeof path)
            return effad_fail(e, EFFAD_ERR_ARG, "%s/%s: path too long", dir, names[i]);
        for (char *q = path + strlen(dir) + 1; (q = strchr(q, '/')); q++) {
            *q = '\0';
            effad_status s = make_dir(path, e);
            *q = '/';
            if (s) return s;
        }
    }
    return EFFAD_OK;
}

void figure_path(char *out, size_t n, const char *dir, const char *name, const char *suffix)
{
    snprintf(out, n, "%s/%s%s", dir, name, suffix);
}
