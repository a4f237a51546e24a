/* The images that arrive in a folder, by listing it again and again
 * (watch-poll.h): a table of the files seen, by device and inode, rebuilt
 * at every listing from the one before. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "dataset.h"
#include "watch-poll.h"

#define POLL_MAX_DEPTH 64

enum { SEEN_TAKEN, SEEN_CHANGING };   /* taken (or there before), or new / changed since the last listing */

typedef struct {
    uint64_t dev, ino;     /* 0, 0: an empty slot */
    int64_t size, sec, nsec;
    int state;
} seen_file;

typedef struct {
    seen_file *slot;
    size_t cap, n;         /* cap a power of two, n <= cap / 2 */
} seen_table;

struct watch_poll {
    char *root;
    seen_table now, before;
    int first, existing;
    int failing;           /* the last listing could not read all of the tree */
    int listings;          /* after the first */
    const char *cmd;       /* for warnings */
};

static size_t slot_of(const seen_table *t, uint64_t dev, uint64_t ino)
{
    uint64_t h = (ino ^ (dev << 32 | dev >> 32)) * 0x9E3779B97F4A7C15ull;
    size_t i = (size_t)(h >> 17) & (t->cap - 1);
    while ((t->slot[i].dev | t->slot[i].ino) != 0 && (t->slot[i].dev != dev || t->slot[i].ino != ino))
        i = (i + 1) & (t->cap - 1);
    return i;
}

static const seen_file *find(const seen_table *t, uint64_t dev, uint64_t ino)
{
    if (!t->cap) return NULL;
    const seen_file *f = &t->slot[slot_of(t, dev, ino)];
    return (f->dev | f->ino) != 0 ? f : NULL;
}

static effad_status put(seen_table *t, const seen_file *f, effad_error *e)
{
    if (2 * (t->n + 1) > t->cap) {
        seen_table g = { calloc(t->cap ? 2 * t->cap : 256, sizeof *g.slot), t->cap ? 2 * t->cap : 256, 0 };
        if (!g.slot) return effad_fail(e, EFFAD_ERR_NOMEM, "out of memory listing the watched folder");
        for (size_t i = 0; i < t->cap; i++)
            if ((t->slot[i].dev | t->slot[i].ino) != 0) { g.slot[slot_of(&g, t->slot[i].dev, t->slot[i].ino)] = t->slot[i]; g.n++; }
        free(t->slot);
        *t = g;
    }
    seen_file *s = &t->slot[slot_of(t, f->dev, f->ino)];
    if ((s->dev | s->ino) == 0) t->n++;   /* two names of one file: the later wins */
    *s = *f;
    return EFFAD_OK;
}

typedef struct {
    watch_poll *p;
    effad_status (*add)(void *ctx, char *path, effad_error *e);
    void *ctx;
    int depth;             /* of the folder being listed */
    size_t unlisted;       /* folders and files that could not be read this time (dataset.h) */
    char **taken;          /* the images this listing takes, handed to add once it has read everything */
    size_t n_taken, cap_taken;
} listing;

/* One file: new, changed, or unchanged since the listing before. */
static effad_status visit(void *ctx, char *path, const struct stat *st, effad_error *e)
{
    listing *l = ctx;
    watch_poll *p = l->p;
    seen_file f = { (uint64_t)st->st_dev, (uint64_t)st->st_ino, (int64_t)st->st_size, (int64_t)st->st_mtim.tv_sec,
                    (int64_t)st->st_mtim.tv_nsec, SEEN_CHANGING };
    if (!f.dev && !f.ino) f.ino = 1;   /* keep the empty-slot marker free */
    const seen_file *b = find(&p->before, f.dev, f.ino);
    int take = 0;
    if (!b) f.state = p->first && !p->existing ? SEEN_TAKEN : SEEN_CHANGING;
    else if (b->size != f.size || b->sec != f.sec || b->nsec != f.nsec) f.state = SEEN_CHANGING;
    else if (b->state == SEEN_CHANGING) { f.state = SEEN_TAKEN; take = 1; }   /* unchanged for a whole interval */
    else f.state = SEEN_TAKEN;
    effad_status s = put(&p->now, &f, e);
    if (!s && take) {
        if (l->n_taken == l->cap_taken) {
            size_t cap = l->cap_taken ? 2 * l->cap_taken : 16;
            char **q = realloc(l->taken, cap * sizeof *q);
            if (!q) { free(path); return effad_fail(e, EFFAD_ERR_NOMEM, "out of memory"); }
            l->taken = q;
            l->cap_taken = cap;
        }
        l->taken[l->n_taken++] = path;
        path = NULL;
    }
    free(path);
    return s;
}

static effad_status walk(listing *l, const char *dir, int depth, effad_error *e);

static effad_status walk_dir(void *ctx, char *path, const struct stat *st, effad_error *e)
{
    listing *l = ctx;
    (void)st;
    effad_status s = l->depth < POLL_MAX_DEPTH ? walk(l, path, l->depth + 1, e) : EFFAD_OK;
    free(path);
    return s;
}

/* Tests only (tests/sh/cli-watch.sh): EFFAD_TEST_POLL_UNREADABLE=K:NAME
 * makes the folder whose path ends in NAME unreadable at the K-th listing
 * after the first, as a share that stops answering would. Deliberately
 * undocumented for users. */
static int test_unreadable(const watch_poll *p, const char *dir)
{
    const char *v = getenv("EFFAD_TEST_POLL_UNREADABLE"), *name = v ? strchr(v, ':') : NULL;
    if (!name || atoi(v) != p->listings) return 0;
    size_t a = strlen(dir), b = strlen(++name);
    return a >= b && !strcmp(dir + a - b, name);
}

/* a folder gone or unreadable now lists nothing: the next listing sees */
static effad_status walk(listing *l, const char *dir, int depth, effad_error *e)
{
    if (test_unreadable(l->p, dir)) { l->unlisted++; return EFFAD_OK; }
    const int outer = l->depth;
    l->depth = depth;
    effad_status s = dataset_list_entries(dir, walk_dir, visit, l, &l->unlisted, e);
    l->depth = outer;
    return s;
}

effad_status watch_poll_scan(watch_poll *p, effad_status (*add)(void *ctx, char *path, effad_error *e), void *ctx,
                             effad_error *e)
{
    struct stat st;
    listing l = { p, add, ctx, 0, 0, NULL, 0, 0 };
    if (stat(p->root, &st) != 0) {
        if (errno == ENOENT || errno == ENOTDIR)
            return effad_fail(e, EFFAD_ERR_IO, "%s: the watched folder was removed or moved away", p->root);
        l.unlisted = 1;
    } else if (!S_ISDIR(st.st_mode))
        return effad_fail(e, EFFAD_ERR_IO, "%s: the watched folder was removed or moved away", p->root);
    seen_table before = p->before;
    p->before = p->now;
    memset(&p->now, 0, sizeof p->now);
    effad_status s = l.unlisted ? EFFAD_OK : walk(&l, p->root, 0, e);
    p->listings++;
    if (s || l.unlisted) {
        /* A file missing from a listing that failed part-way would look
         * new at the next one and be taken again, its whole folder with
         * it: the listing is dropped, what is known stays as it was, and
         * images that arrived meanwhile are taken at a later listing. */
        for (size_t i = 0; i < l.n_taken; i++) free(l.taken[i]);
        free(l.taken);
        free(p->now.slot);
        p->now = p->before;
        p->before = before;
        if (!s && !p->failing)
            fprintf(stderr, "effad %s: warning: %s: part of the folder could not be read (a share that stopped "
                    "answering?): nothing taken until a listing reads it all\n", p->cmd, p->root);
        p->failing = !s;
        return s;
    }
    free(before.slot);
    for (size_t i = 0; i < l.n_taken && !s; i++) { s = add(ctx, l.taken[i], e); l.taken[i] = NULL; }
    for (size_t i = 0; i < l.n_taken; i++) free(l.taken[i]);
    free(l.taken);
    if (!s && p->failing) fprintf(stderr, "effad %s: %s: the whole folder reads again\n", p->cmd, p->root);
    p->failing = 0;
    p->first = 0;
    return s;
}

static effad_status refuse(void *ctx, char *path, effad_error *e)
{
    (void)ctx; (void)e;
    free(path);   /* the first listing takes nothing: a file is taken once unchanged at a later one */
    return EFFAD_OK;
}

effad_status watch_poll_open(watch_poll **out, const char *root, int existing, const char *note_cmd, effad_error *e)
{
    *out = NULL;
    watch_poll *p = calloc(1, sizeof *p);
    if (!p || !(p->root = strdup(root))) { free(p); return effad_fail(e, EFFAD_ERR_NOMEM, "out of memory"); }
    p->first = 1;
    p->existing = existing;
    p->cmd = note_cmd;
    effad_status s = watch_poll_scan(p, refuse, NULL, e);
    if (s) { watch_poll_close(p); return s; }
    *out = p;
    return EFFAD_OK;
}

void watch_poll_close(watch_poll *p)
{
    if (!p) return;
    free(p->now.slot);
    free(p->before.slot);
    free(p->root);
    free(p);
}
