/* The images that arrive in a folder (watch-dir.h): inotify over the tree,
 * a queue of arrived images, and a signalfd for the stop signals. */
#define _GNU_SOURCE 1   /* F_SETLEASE */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "watch-dir.h"

#ifndef __linux__

effad_status watch_dir_open(watch_dir **w, const char *root, int existing, double poll_seconds, const char *note_cmd,
                            effad_error *e)
{
    (void)existing; (void)poll_seconds; (void)note_cmd;
    *w = NULL;
    return effad_fail(e, EFFAD_ERR_UNSUPPORTED, "%s: watching a folder needs Linux (inotify); feed paths to --stream instead", root);
}
effad_status watch_dir_next(watch_dir *w, const char **path, const char **rel, effad_error *e)
{
    (void)w; *path = *rel = NULL;
    return effad_fail(e, EFFAD_ERR_UNSUPPORTED, "watching a folder needs Linux (inotify)");
}
effad_status watch_dir_ready(watch_dir *w, const char **path, const char **rel, effad_error *e)
{
    return watch_dir_next(w, path, rel, e);
}
void watch_dir_close(watch_dir *w) { (void)w; }

#else

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>
#include <sys/inotify.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include "dataset.h"
#include "watch-poll.h"

#define WATCH_EVENTS (IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE | IN_DELETE_SELF | IN_MOVE_SELF)
#define WATCH_MAX_DEPTH 64

typedef struct { int wd; char *path; } watched;
typedef struct { char *path; int check_writer; } arrived;

struct watch_dir {
    int ifd, sfd;
    sigset_t old_mask;
    const char *cmd;
    char *root;
    size_t root_len;
    watched *dir;             /* every folder watched, by watch descriptor */
    size_t n_dir, cap_dir;
    arrived *queue;           /* images arrived, not yet handed out */
    size_t q_head, q_n, q_cap;
    char *current;            /* the path last handed out */
    int stopped;              /* a stop signal came */
    watch_poll *poll;         /* --watch-poll: listings instead of inotify */
    double poll_seconds, next_listing;
    /* a folder moved away from under a watched one, until its other half
     * (moved to a watched folder: a rename inside the tree) is read */
    uint32_t moved_cookie;
    char *moved_from;
    size_t buf_len, buf_pos;
    _Alignas(struct inotify_event) char buf[65536];
};

static const int stop_signals[] = { SIGINT, SIGTERM, SIGHUP };

static void note(const watch_dir *w, const char *what, const char *path)
{
    fprintf(stderr, "effad %s: warning: %s%s%s\n", w->cmd, path ? path : "", path ? ": " : "", what);
}

static int has_prefix(const char *path, const char *dir)
{
    size_t n = strlen(dir);
    return !strncmp(path, dir, n) && ((n && dir[n - 1] == '/') || path[n] == '/' || path[n] == '\0');
}

static effad_status enqueue(watch_dir *w, char *path, int check_writer, effad_error *e)
{
    if (w->q_head + w->q_n == w->q_cap) {
        if (w->q_head) {   /* reuse the handed-out front */
            memmove(w->queue, w->queue + w->q_head, w->q_n * sizeof *w->queue);
            w->q_head = 0;
        } else {
            size_t cap = w->q_cap ? 2 * w->q_cap : 64;
            arrived *q = realloc(w->queue, cap * sizeof *q);
            if (!q) { free(path); return effad_fail(e, EFFAD_ERR_NOMEM, "out of memory queueing images"); }
            w->queue = q;
            w->q_cap = cap;
        }
    }
    w->queue[w->q_head + w->q_n++] = (arrived){ path, check_writer };
    return EFFAD_OK;
}

static watched *find_wd(watch_dir *w, int wd)
{
    for (size_t i = 0; i < w->n_dir; i++)
        if (w->dir[i].wd == wd) return &w->dir[i];
    return NULL;
}

static void forget_dir(watch_dir *w, size_t i)
{
    free(w->dir[i].path);
    w->dir[i] = w->dir[--w->n_dir];
}

/* A folder left the tree: its watches and those of everything under it go. */
static void unwatch_tree(watch_dir *w, const char *path)
{
    for (size_t i = 0; i < w->n_dir;)
        if (has_prefix(w->dir[i].path, path)) {
            inotify_rm_watch(w->ifd, w->dir[i].wd);   /* its IN_IGNORED finds no entry */
            forget_dir(w, i);
        } else i++;
}

typedef struct { watch_dir *w; int take, depth; } tree_walk;

static effad_status watch_tree(watch_dir *w, const char *path, int is_root, int take, int depth, effad_error *e);

static effad_status tree_dir(void *ctx, char *path, const struct stat *st, effad_error *e)
{
    const tree_walk *t = ctx;
    (void)st;
    effad_status s = watch_tree(t->w, path, 0, t->take, t->depth + 1, e);
    free(path);
    return s;
}

static effad_status tree_image(void *ctx, char *path, const struct stat *st, effad_error *e)
{
    const tree_walk *t = ctx;
    (void)st;
    if (!t->take) { free(path); return EFFAD_OK; }
    return enqueue(t->w, path, 1, e);
}

/* Watches path and the folders under it; with take, queues the images
 * already there (sorted), to be checked for a writer when handed out. */
static effad_status watch_tree(watch_dir *w, const char *path, int is_root, int take, int depth, effad_error *e)
{
    if (depth > WATCH_MAX_DEPTH) { note(w, "more than 64 folders deep: not watched", path); return EFFAD_OK; }
    int wd = inotify_add_watch(w->ifd, path, WATCH_EVENTS | IN_ONLYDIR | (is_root ? 0 : IN_DONT_FOLLOW));
    if (wd < 0) {
        const int err = errno;
        if (is_root) return effad_fail(e, EFFAD_ERR_IO, "%s: cannot watch: %s", path, strerror(err));
        if (err == ENOENT || err == ENOTDIR) return EFFAD_OK;   /* gone again, or a link */
        char why[160];
        snprintf(why, sizeof why, "cannot watch (%s): images arriving there are not scored%s", strerror(err),
                 err == ENOSPC ? "; raise fs.inotify.max_user_watches" : "");
        note(w, why, path);
        return EFFAD_OK;
    }
    watched *d = find_wd(w, wd);   /* the same folder by another name keeps its descriptor */
    char *copy = strdup(path);
    if (!copy) return effad_fail(e, EFFAD_ERR_NOMEM, "out of memory");
    if (d) { free(d->path); d->path = copy; }
    else {
        if (w->n_dir == w->cap_dir) {
            size_t cap = w->cap_dir ? 2 * w->cap_dir : 16;
            watched *q = realloc(w->dir, cap * sizeof *q);
            if (!q) { free(copy); return effad_fail(e, EFFAD_ERR_NOMEM, "out of memory"); }
            w->dir = q;
            w->cap_dir = cap;
        }
        w->dir[w->n_dir++] = (watched){ wd, copy };
    }
    /* a folder removed meanwhile lists nothing: its IN_IGNORED will come */
    tree_walk t = { w, take, depth };
    return dataset_list_entries(path, tree_dir, tree_image, &t, NULL, e);
}

/* The folder moved away earlier was not renamed inside the tree. */
static void settle_move(watch_dir *w)
{
    if (!w->moved_from) return;
    unwatch_tree(w, w->moved_from);
    free(w->moved_from);
    w->moved_from = NULL;
}

static effad_status on_event(watch_dir *w, const struct inotify_event *ev, effad_error *e)
{
    if (ev->mask & IN_Q_OVERFLOW) {
        note(w, "the kernel dropped folder events (too many at once): images that arrived meanwhile may not be scored", NULL);
        return EFFAD_OK;
    }
    watched *d = find_wd(w, ev->wd);
    if (!d) return EFFAD_OK;
    const int is_root = !strcmp(d->path, w->root);
    if (ev->mask & (IN_IGNORED | IN_DELETE_SELF | IN_MOVE_SELF)) {
        if (is_root)
            return effad_fail(e, EFFAD_ERR_IO, "%s: the watched folder was removed or moved away", w->root);
        if (ev->mask & IN_IGNORED) forget_dir(w, (size_t)(d - w->dir));
        return EFFAD_OK;
    }
    if (!ev->len || ev->name[0] == '.') return EFFAD_OK;
    const int moved_in = (ev->mask & IN_MOVED_TO) != 0;
    if (!(ev->mask & IN_MOVED_TO) || !(ev->mask & IN_ISDIR) || ev->cookie != w->moved_cookie) settle_move(w);
    char *path = dataset_path_join(d->path, ev->name);
    if (!path) return effad_fail(e, EFFAD_ERR_NOMEM, "out of memory");
    if (ev->mask & IN_ISDIR) {
        effad_status s = EFFAD_OK;
        if (ev->mask & IN_MOVED_FROM) {
            w->moved_from = path;
            w->moved_cookie = ev->cookie;
            return EFFAD_OK;
        }
        int watched_before = 0;
        for (size_t i = 0; moved_in && w->moved_from && i < w->n_dir; i++)
            watched_before |= !strcmp(w->dir[i].path, w->moved_from);
        if (moved_in && w->moved_from && !watched_before) {
            /* renamed before its creation was read (so never watched): new */
            free(w->moved_from);
            w->moved_from = NULL;
        }
        if (moved_in && w->moved_from) {   /* renamed inside the tree: the same watches, new names */
            size_t old = strlen(w->moved_from);
            for (size_t i = 0; i < w->n_dir && !s; i++)
                if (has_prefix(w->dir[i].path, w->moved_from)) {
                    char *p = malloc(strlen(path) + strlen(w->dir[i].path + old) + 1);
                    if (!p) { s = effad_fail(e, EFFAD_ERR_NOMEM, "out of memory"); break; }
                    strcpy(p, path);
                    strcat(p, w->dir[i].path + old);
                    free(w->dir[i].path);
                    w->dir[i].path = p;
                }
            free(w->moved_from);
            w->moved_from = NULL;
        } else if (ev->mask & (IN_CREATE | IN_MOVED_TO)) {
            s = watch_tree(w, path, 0, 1, 1, e);
        }
        free(path);
        return s;
    }
    if ((ev->mask & (IN_CLOSE_WRITE | IN_MOVED_TO)) && dataset_is_image_name(ev->name)) {
        /* closed after a folder's scan queued it (the scan and the close
         * raced): once is enough */
        for (size_t i = 0; i < w->q_n; i++)
            if (!strcmp(w->queue[w->q_head + i].path, path)) { w->queue[w->q_head + i].check_writer = 0; free(path); return EFFAD_OK; }
        return enqueue(w, path, 0, e);
    }
    free(path);
    return EFFAD_OK;
}

/* Whether a process has path open for writing: a read lease is refused
 * then (EAGAIN). Where no lease can be taken (another owner's file, a
 * file system without leases) the image is taken as it is. */
static int being_written(const char *path)
{
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) return 0;   /* its decoder will say why */
    int busy = 0;
    if (fcntl(fd, F_SETLEASE, F_RDLCK) == 0) fcntl(fd, F_SETLEASE, F_UNLCK);
    else busy = errno == EAGAIN;
    close(fd);
    return busy;
}

static int stop_signal_came(watch_dir *w, int wait_ms, int *events_ready)
{
    struct pollfd p[2] = { { .fd = w->sfd, .events = POLLIN }, { .fd = w->ifd, .events = POLLIN } };
    int r;
    do r = poll(p, 2, wait_ms); while (r < 0 && errno == EINTR);
    if (events_ready) *events_ready = r > 0 && (p[1].revents & POLLIN);
    if (r <= 0 || !(p[0].revents & POLLIN)) return 0;
    struct signalfd_siginfo si;
    if (read(w->sfd, &si, sizeof si) != (ssize_t)sizeof si) return 0;
    w->stopped = 1;
    return 1;
}

static double now_seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static effad_status take_listed(void *ctx, char *path, effad_error *e)
{
    return enqueue(ctx, path, 1, e);
}

/* Where root is on a network file system, inotify sees only what this
 * machine writes there: say so, and what to do (statfs's f_type, the
 * kernel's magic numbers). */
static void warn_if_remote(const watch_dir *w)
{
    static const struct { uint32_t magic; const char *name; } remote[] = {
        { 0x6969, "NFS" }, { 0x517B, "SMB" }, { 0xFF534D42, "CIFS" }, { 0xFE534D42, "SMB2" },
        { 0x65735546, "FUSE (sshfs and the like)" }, { 0x01021997, "9P" }, { 0x00C36400, "Ceph" },
        { 0x5346414F, "AFS" },
    };
    struct statfs fs;
    if (statfs(w->root, &fs) != 0) return;
    for (size_t i = 0; i < sizeof remote / sizeof *remote; i++)
        if ((uint32_t)fs.f_type == remote[i].magic) {
            char why[240];
            snprintf(why, sizeof why, "on %s: images other machines write there are not seen (inotify sees only "
                     "this machine's writes); --watch-poll SECONDS lists the folder instead", remote[i].name);
            note(w, why, w->root);
            return;
        }
}

/* watch_dir_next (wait) and watch_dir_ready (no wait: *path NULL when no
 * image has arrived yet). */
static effad_status take(watch_dir *w, int wait, const char **path, const char **rel, effad_error *e)
{
    free(w->current);
    w->current = NULL;
    *path = *rel = NULL;
    for (;;) {
        /* a stop read while taking a burst (watch_dir_ready) ends the watch
         * once the burst is done */
        if (w->stopped || stop_signal_came(w, 0, NULL)) return EFFAD_OK;
        while (w->q_n) {
            arrived a = w->queue[w->q_head++];
            w->q_n--;
            if (!w->q_n) w->q_head = 0;
            if (a.check_writer && being_written(a.path)) { free(a.path); continue; }   /* its close will bring it */
            struct stat st;
            if (stat(a.path, &st) == 0 && !S_ISREG(st.st_mode)) {
                /* a FIFO with an image's name would hold the watch until
                 * someone writes to it; a device may never end */
                note(w, "not a regular file: not read", a.path);
                free(a.path);
                continue;
            }
            w->current = a.path;
            *path = a.path;
            *rel = a.path + (has_prefix(a.path, w->root) ? w->root_len + (w->root[w->root_len - 1] != '/') : 0);
            return EFFAD_OK;
        }
        if (w->poll) {
            double left = w->next_listing - now_seconds();
            if (left > 0 && !wait) return EFFAD_OK;
            if (left > 0 && stop_signal_came(w, (int)(left * 1000) + 1, NULL)) return EFFAD_OK;
            if (now_seconds() < w->next_listing) continue;
            w->next_listing = now_seconds() + w->poll_seconds;
            effad_status s = watch_poll_scan(w->poll, take_listed, w, e);
            if (s) return s;
            continue;
        }
        if (w->buf_pos < w->buf_len) {
            const struct inotify_event *ev = (const struct inotify_event *)(w->buf + w->buf_pos);
            w->buf_pos += sizeof *ev + ev->len;
            effad_status s = on_event(w, ev, e);
            if (s) return s;
            continue;
        }
        int ready = 0;
        if (!wait) {   /* a folder moved away stays pending: its other half may be on its way */
            if (stop_signal_came(w, 0, &ready) || !ready) return EFFAD_OK;
        } else {
            settle_move(w);   /* nothing read after it: moved out of the tree */
            if (stop_signal_came(w, -1, &ready)) return EFFAD_OK;
            if (!ready) continue;
        }
        ssize_t n = read(w->ifd, w->buf, sizeof w->buf);
        if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
        if (n <= 0) return effad_fail(e, EFFAD_ERR_IO, "%s: reading folder events failed: %s", w->root, strerror(errno));
        w->buf_len = (size_t)n;
        w->buf_pos = 0;
    }
}

effad_status watch_dir_next(watch_dir *w, const char **path, const char **rel, effad_error *e)
{
    return take(w, 1, path, rel, e);
}

effad_status watch_dir_ready(watch_dir *w, const char **path, const char **rel, effad_error *e)
{
    return take(w, 0, path, rel, e);
}

effad_status watch_dir_open(watch_dir **out, const char *root, int existing, double poll_seconds, const char *note_cmd,
                            effad_error *e)
{
    *out = NULL;
    struct stat st;
    if (stat(root, &st) != 0) return effad_fail(e, EFFAD_ERR_IO, "%s: cannot watch: %s", root, strerror(errno));
    if (!S_ISDIR(st.st_mode)) return effad_fail(e, EFFAD_ERR_ARG, "%s: not a folder (--watch takes the folder images arrive in)", root);
    watch_dir *w = calloc(1, sizeof *w);
    if (!w) return effad_fail(e, EFFAD_ERR_NOMEM, "out of memory");
    w->cmd = note_cmd;
    w->ifd = w->sfd = -1;
    size_t n = strlen(root);
    while (n > 1 && root[n - 1] == '/') n--;   /* "dir/" names its images dir/x.png */
    if (!(w->root = malloc(n + 1))) { free(w); return effad_fail(e, EFFAD_ERR_NOMEM, "out of memory"); }
    memcpy(w->root, root, n);
    w->root[n] = '\0';
    w->root_len = n;
    sigset_t stop;
    sigemptyset(&stop);
    for (size_t i = 0; i < sizeof stop_signals / sizeof *stop_signals; i++) sigaddset(&stop, stop_signals[i]);
    sigprocmask(SIG_BLOCK, &stop, &w->old_mask);
    effad_status s = EFFAD_OK;
    if ((w->sfd = signalfd(-1, &stop, SFD_CLOEXEC)) < 0)
        s = effad_fail(e, EFFAD_ERR_IO, "cannot wait for signals: %s", strerror(errno));
    else if (poll_seconds > 0) {
        w->poll_seconds = poll_seconds;
        w->next_listing = now_seconds() + poll_seconds;
        s = watch_poll_open(&w->poll, w->root, existing, note_cmd, e);
    } else if ((w->ifd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK)) < 0)
        s = effad_fail(e, EFFAD_ERR_IO, "%s: cannot watch: %s", root, strerror(errno));
    else {
        warn_if_remote(w);
        s = watch_tree(w, w->root, 1, existing, 0, e);
    }
    if (s) { watch_dir_close(w); return s; }
    *out = w;
    return EFFAD_OK;
}

void watch_dir_close(watch_dir *w)
{
    if (!w) return;
    if (w->ifd >= 0) close(w->ifd);
    watch_poll_close(w->poll);
    if (w->sfd >= 0) close(w->sfd);
    /* Once stopped by a signal, the stop signals stay held while the
     * command finishes: a second one (timeout(1) sends its SIGTERM to the
     * child and to the process group) would otherwise kill it between
     * here and exit, and its exit status would be the signal's. */
    if (!w->stopped) sigprocmask(SIG_SETMASK, &w->old_mask, NULL);
    for (size_t i = 0; i < w->n_dir; i++) free(w->dir[i].path);
    for (size_t i = 0; i < w->q_n; i++) free(w->queue[w->q_head + i].path);
    free(w->dir);
    free(w->queue);
    free(w->current);
    free(w->moved_from);
    free(w->root);
    free(w);
}

#endif
