/*
 * atomic-file.c -- temp file + fsync + rename, the refusals that keep a
 * write from damaging anything, and the signal cleanup (see atomic-file.h).
 */
#define _DEFAULT_SOURCE 1   /* MAP_POPULATE */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#ifdef EFFAD_HAVE_THREADS
#include <pthread.h>
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>
#include "atomic-file.h"
#include "big-buffer.h"

static atomic_fault fault;

void atomic_file_inject_fault(atomic_fault f) { fault = f; }

static effad_status fail_errno(effad_error *e, int err, const char *what, const char *path)
{
    return effad_fail(e, EFFAD_ERR_IO, "%s: %s failed: %s", path, what, strerror(err));
}

/* ---------------------------------------------------------------- inputs */

typedef struct file_id { dev_t dev; ino_t ino; } file_id;
static file_id *inputs;
static size_t n_inputs, cap_inputs;

void atomic_file_note_input(const char *path)
{
    struct stat st;
    if (!path || stat(path, &st) != 0) return;
    if (n_inputs == cap_inputs) {
        size_t cap = cap_inputs ? 2 * cap_inputs : 16;
        file_id *q = realloc(inputs, cap * sizeof *q);
        if (!q) return;   /* the check is a safety net; without memory it is skipped */
        inputs = q;
        cap_inputs = cap;
    }
    inputs[n_inputs].dev = st.st_dev;
    inputs[n_inputs].ino = st.st_ino;
    n_inputs++;
}

void atomic_file_forget_inputs(void)
{
    free(inputs);
    inputs = 0;
    n_inputs = cap_inputs = 0;
}

static int is_input(const struct stat *st)
{
    for (size_t i = 0; i < n_inputs; i++)
        if (inputs[i].dev == st->st_dev && inputs[i].ino == st->st_ino) return 1;
    return 0;
}

/* --------------------------------------------------------------- targets */

static const char *kind_of(mode_t m)
{
    if (S_ISDIR(m)) return "a directory";
    if (S_ISFIFO(m)) return "a FIFO";
    if (S_ISSOCK(m)) return "a socket";
    if (S_ISCHR(m)) return "a character device";
    if (S_ISBLK(m)) return "a block device";
    return "a special file";
}

/* The contents of symbolic link path (malloc'd), or NULL with errno set. */
static char *read_link(const char *path)
{
    for (size_t cap = 256; cap <= ((size_t)1 << 20); cap *= 2) {
        char *buf = malloc(cap);
        if (!buf) return NULL;
        ssize_t n = readlink(path, buf, cap);
        if (n < 0) { int err = errno; free(buf); errno = err; return NULL; }
        if ((size_t)n < cap) { buf[n] = '\0'; return buf; }
        free(buf);
    }
    errno = ENAMETOOLONG;
    return NULL;
}

/* Follows path through symbolic links to the file a write replaces
 * (*out, malloc'd): a relative link is relative to its own directory. A
 * dangling link resolves to the path it names, which the write creates. */
static effad_status resolve(const char *path, char **out, effad_error *e)
{
    char *cur = strdup(path);
    if (!cur) return effad_fail(e, EFFAD_ERR_NOMEM, "%s: no memory", path);
    for (int hops = 0;; hops++) {
        struct stat st;
        if (lstat(cur, &st) != 0 || !S_ISLNK(st.st_mode)) break;
        if (hops == 40) {
            free(cur);
            return effad_fail(e, EFFAD_ERR_IO, "%s: more than 40 symbolic links to follow (a loop?)", path);
        }
        char *link = read_link(cur);
        if (!link) {
            effad_status s = fail_errno(e, errno, "reading the symbolic link", path);
            free(cur);
            return s;
        }
        const char *slash = strrchr(cur, '/');
        char *next;
        if (link[0] == '/' || !slash) next = link;
        else {
            size_t dir = (size_t)(slash - cur) + 1, ln = strlen(link);
            next = malloc(dir + ln + 1);
            if (next) { memcpy(next, cur, dir); memcpy(next + dir, link, ln + 1); }
            free(link);
            if (!next) { free(cur); return effad_fail(e, EFFAD_ERR_NOMEM, "%s: no memory", path); }
        }
        free(cur);
        cur = next;
    }
    *out = cur;
    return EFFAD_OK;
}

/* The refusals, on the resolved target; shown is the path the user gave. */
static effad_status check_resolved(const char *shown, const char *target, effad_error *e)
{
    struct stat st;
    if (stat(target, &st) != 0) {
        if (errno == ENOENT) return EFFAD_OK;   /* a new file; the directory is checked by creating the temp */
        return fail_errno(e, errno, "checking the output", shown);
    }
    if (!S_ISREG(st.st_mode))
        return effad_fail(e, EFFAD_ERR_IO, "%s: exists and is %s, not a regular file: refusing to replace it", shown,
                          kind_of(st.st_mode));
    if (is_input(&st))
        return effad_fail(e, EFFAD_ERR_ARG, "%s: is also an input of this command (the same file): refusing to "
                          "overwrite it", shown);
    return EFFAD_OK;
}

effad_status atomic_file_check_target(const char *path, effad_error *e)
{
    char *target;
    effad_status s = resolve(path, &target, e);
    if (s) return s;
    s = check_resolved(path, target, e);
    free(target);
    return s;
}

/* ------------------------------------------------- signals and temp files */

/* The temp files being written, for the signal handler: fixed buffers and
 * a flag per slot, so the handler touches nothing but these and unlink(). */
#define TEMP_SLOTS 8
#define TEMP_PATH_BYTES 4096
static char temp_path[TEMP_SLOTS][TEMP_PATH_BYTES];
static volatile sig_atomic_t temp_used[TEMP_SLOTS];
/* SIGPIPE too: `effad score ... --save figs --threads 2 | head` kills the
 * process in the thread that prints, while a worker may be writing a
 * figure (where SIGPIPE is ignored, the write fails with EPIPE instead
 * and main() reports standard output). */
static const int cleanup_signals[] = { SIGINT, SIGTERM, SIGHUP, SIGPIPE };

static void on_signal(int sig)
{
    int saved = errno;
    for (int i = 0; i < TEMP_SLOTS; i++)
        if (temp_used[i]) unlink(temp_path[i]);
    errno = saved;
    /* SA_RESETHAND restored the default action: the process dies of sig
     * (now, or as the handler returns if sig is blocked while it runs) */
    raise(sig);
}

void atomic_file_cleanup_on_signals(void)
{
    for (size_t i = 0; i < sizeof cleanup_signals / sizeof *cleanup_signals; i++) {
        struct sigaction old, sa;
        if (sigaction(cleanup_signals[i], NULL, &old) != 0 || old.sa_handler != SIG_DFL) continue;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_signal;
        sigemptyset(&sa.sa_mask);
        sa.sa_flags = SA_RESETHAND;
        sigaction(cleanup_signals[i], &sa, NULL);
    }
}

/* Signals held off while a temp file is created and registered, and while
 * it is renamed and forgotten: a temp file exists exactly while its slot
 * says so. The calling thread's mask (pthread_sigmask where there are
 * threads: sigprocmask's effect in a threaded process is unspecified). */
void atomic_file_hold_signals(sigset_t *old)
{
    sigset_t block;
    sigemptyset(&block);
    for (size_t i = 0; i < sizeof cleanup_signals / sizeof *cleanup_signals; i++) sigaddset(&block, cleanup_signals[i]);
#ifdef EFFAD_HAVE_THREADS
    pthread_sigmask(SIG_BLOCK, &block, old);
#else
    sigprocmask(SIG_BLOCK, &block, old);
#endif
}

void atomic_file_release_signals(const sigset_t *old)
{
#ifdef EFFAD_HAVE_THREADS
    pthread_sigmask(SIG_SETMASK, old, NULL);
#else
    sigprocmask(SIG_SETMASK, old, NULL);
#endif
}

/* Creates target.tmp.XXXXXX in a free slot; the slot index, or -1. */
static int create_temp(const char *target, int *fd, effad_error *e)
{
    size_t len = strlen(target);
    if (len + sizeof ".tmp.XXXXXX" > TEMP_PATH_BYTES) {
        effad_fail(e, EFFAD_ERR_ARG, "%s: path too long", target);
        return -1;
    }
    sigset_t old;
    atomic_file_hold_signals(&old);
    int slot = 0;
    while (slot < TEMP_SLOTS && temp_used[slot]) slot++;
    if (slot == TEMP_SLOTS) {
        atomic_file_release_signals(&old);
        effad_fail(e, EFFAD_ERR_ARG, "%s: more than %d files being written at once", target, TEMP_SLOTS);
        return -1;
    }
    memcpy(temp_path[slot], target, len);
    memcpy(temp_path[slot] + len, ".tmp.XXXXXX", sizeof ".tmp.XXXXXX");
    *fd = mkstemp(temp_path[slot]);
    int err = errno;
    if (*fd >= 0) temp_used[slot] = 1;
    atomic_file_release_signals(&old);
    if (*fd < 0) { fail_errno(e, err, "creating a temp file", target); return -1; }
    return slot;
}

static void drop_temp(int slot, int remove)
{
    sigset_t old;
    atomic_file_hold_signals(&old);
    if (remove) unlink(temp_path[slot]);
    temp_used[slot] = 0;
    atomic_file_release_signals(&old);
}

/* Tests only (tests/sh/cli-output-safety.sh, cli-watch.sh): EFFAD_TEST_ATOMIC_STALL=point
 * stops the write at that point ("created", "partial", "written") until a
 * signal ends the process. Deliberately undocumented for users. */
static void test_stall(const char *point, int slot)
{
    /* EFFAD_TEST_ATOMIC_PAUSE=point: two seconds there, then on (a signal
     * held meanwhile, as score --watch holds them, must not cut it short) */
    const char *pause_at = getenv("EFFAD_TEST_ATOMIC_PAUSE");
    if (pause_at && !strcmp(pause_at, point)) {
        fprintf(stderr, "atomic-file: paused %s: %s\n", point, temp_path[slot]);
        fflush(stderr);
        sleep(2);
    }
    const char *want = getenv("EFFAD_TEST_ATOMIC_STALL");
    if (!want || strcmp(want, point)) return;
    fprintf(stderr, "atomic-file: stalled %s: %s\n", point, temp_path[slot]);
    fflush(stderr);
    for (;;) pause();
}

/* Best effort: makes the rename durable. Some filesystems refuse fsync on
 * a directory; the data are already safe then, so this is not an error. */
static void sync_parent(const char *path)
{
    const char *slash = strrchr(path, '/');
    char *dir = NULL;
    if (!slash) dir = strdup(".");
    else if (slash == path) dir = strdup("/");
    else if ((dir = malloc((size_t)(slash - path) + 1))) {
        memcpy(dir, path, (size_t)(slash - path));
        dir[slash - path] = 0;
    }
    if (!dir) return;
    int fd = open(dir, O_RDONLY);
    if (fd >= 0) { (void)fsync(fd); close(fd); }
    free(dir);
}

static int write_all(int fd, const uint8_t *p, size_t left)
{
    while (left) {
        ssize_t w = write(fd, p, left);
        if (w < 0 && errno == EINTR) continue;
        if (w < 0) return errno;
        if (w == 0) return EIO;
        p += w; left -= (size_t)w;
    }
    return 0;
}

/* ------------------------------------------------------------------ write */

effad_status atomic_file_write(const char *path, const void *data, size_t len, effad_error *e)
{
    return atomic_file_write_flags(path, data, len, 0, e);
}

effad_status atomic_file_write_flags(const char *path, const void *data, size_t len, unsigned flags, effad_error *e)
{
    atomic_out o;
    effad_status s = atomic_file_begin(&o, path, flags, e);
    /* two appends: the "partial" stall of the tests falls between them */
    size_t half = len / 2;
    if (!s) s = atomic_file_append(&o, data, half, e);
    if (!s) s = atomic_file_append(&o, (const uint8_t *)data + half, len - half, e);
    if (!s) s = atomic_file_commit(&o, e);
    return s;
}

effad_status atomic_file_begin(atomic_out *o, const char *path, unsigned flags, effad_error *e)
{
    memset(o, 0, sizeof *o);
    o->fd = -1;
    o->slot = -1;
    o->path = path;
    o->flags = flags;
    o->fault = fault;
    fault = ATOMIC_FAULT_NONE;
    effad_status s = resolve(path, &o->target, e);
    if (s) return s;
    if ((s = check_resolved(path, o->target, e))) { free(o->target); o->target = NULL; return s; }
    o->slot = create_temp(o->target, &o->fd, e);
    if (o->slot < 0) { free(o->target); o->target = NULL; return e ? e->status : EFFAD_ERR_IO; }
    /* mkstemp makes 0600; a model file is meant to be shared like any
     * other output. */
    (void)fchmod(o->fd, 0644);
    test_stall("created", o->slot);
    return EFFAD_OK;
}

/* A failed step: the temp file goes, the handle is closed, and e names
 * the step and the target. */
static effad_status out_fail(atomic_out *o, const char *what, int err, effad_error *e)
{
    effad_status s = fail_errno(e, err, what, o->path);
    atomic_file_abort(o);
    return s;
}

static effad_status out_closed(const atomic_out *o, effad_error *e)
{
    return effad_fail(e, EFFAD_ERR_ARG, "%s: written to after the write ended", o->path);
}

effad_status atomic_file_append(atomic_out *o, const void *data, size_t len, effad_error *e)
{
    if (o->fd < 0) return out_closed(o, e);
    if (o->written && !o->stalled) { o->stalled = 1; test_stall("partial", o->slot); }
    int err = write_all(o->fd, data, len);
    if (err) return out_fail(o, "write", err, e);
    o->written += len;
    return EFFAD_OK;
}

effad_status atomic_file_patch(atomic_out *o, uint64_t at, const void *data, size_t len, effad_error *e)
{
    if (o->fd < 0) return out_closed(o, e);
    if (at > o->written || len > o->written - at) {
        effad_fail(e, EFFAD_ERR_ARG, "%s: patch of %zu bytes at %llu is past the %llu written", o->path, len,
                   (unsigned long long)at, (unsigned long long)o->written);
        atomic_file_abort(o);
        return EFFAD_ERR_ARG;
    }
    const uint8_t *p = data;
    while (len) {
        ssize_t w = pwrite(o->fd, p, len, (off_t)at);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return out_fail(o, "write", w < 0 ? errno : EIO, e);
        p += w; at += (uint64_t)w; len -= (size_t)w;
    }
    return EFFAD_OK;
}

effad_status atomic_file_commit(atomic_out *o, effad_error *e)
{
    if (o->fd < 0) return out_closed(o, e);
    const atomic_fault f = o->fault;
    test_stall("written", o->slot);
    if (f == ATOMIC_FAULT_FAIL_AFTER_WRITE) return out_fail(o, "fsync", EIO, e);
    if (!(o->flags & ATOMIC_NO_SYNC) && fsync(o->fd) != 0) return out_fail(o, "fsync", errno, e);
    const int fd = o->fd;
    o->fd = -1;
    if (close(fd) != 0) return out_fail(o, "close", errno, e);
    if (f == ATOMIC_FAULT_EXIT_BEFORE_RENAME) _exit(70);
    if (f == ATOMIC_FAULT_FAIL_RENAME) return out_fail(o, "rename", EIO, e);
    sigset_t old;
    int err = 0;
    atomic_file_hold_signals(&old);
    if (rename(temp_path[o->slot], o->target) != 0) err = errno;
    else temp_used[o->slot] = 0;
    atomic_file_release_signals(&old);
    if (err) return out_fail(o, "rename", err, e);
    o->slot = -1;
    if (!(o->flags & ATOMIC_NO_SYNC)) sync_parent(o->target);
    free(o->target);
    o->target = NULL;
    return EFFAD_OK;
}

void atomic_file_abort(atomic_out *o)
{
    if (o->fd >= 0) close(o->fd);
    o->fd = -1;
    if (o->slot >= 0) drop_temp(o->slot, 1);
    o->slot = -1;
    free(o->target);
    o->target = NULL;
}

/* ------------------------------------------------------------------- read */

/* The open half of both readers: a regular file's descriptor and size. */
static effad_status open_regular(const char *path, int *fdp, size_t *size, effad_error *e)
{
    /* O_NONBLOCK: opening a FIFO with no writer would otherwise wait for
     * ever before the check below could refuse it */
    int fd = open(path, O_RDONLY | O_NONBLOCK);
    if (fd < 0) return effad_fail(e, EFFAD_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    struct stat sb;
    if (fstat(fd, &sb) != 0) { int err = errno; close(fd); return fail_errno(e, err, "stat", path); }
    if (!S_ISREG(sb.st_mode)) {
        close(fd);
        return effad_fail(e, EFFAD_ERR_IO, "%s: is %s, not a file", path, kind_of(sb.st_mode));
    }
    *fdp = fd;
    *size = (size_t)sb.st_size;
    return EFFAD_OK;
}

effad_status atomic_file_map(const char *path, const uint8_t **data, size_t *len, effad_error *e)
{
    static const uint8_t empty[1];
    *data = NULL; *len = 0;
    int fd;
    size_t size;
    effad_status st = open_regular(path, &fd, &size, e);
    if (st) return st;
    if (!size) { close(fd); *data = empty; return EFFAD_OK; }
    int flags = MAP_PRIVATE;
#ifdef MAP_POPULATE
    flags |= MAP_POPULATE;   /* one call maps every page, not a fault per page */
#endif
    void *p = mmap(0, size, PROT_READ, flags, fd, 0);
    int err = errno;
    close(fd);
    if (p == MAP_FAILED) return fail_errno(e, err, "map", path);
    *data = p; *len = size;
    return EFFAD_OK;
}

void atomic_file_unmap(const uint8_t *data, size_t len)
{
    if (data && len) munmap((void *)data, len);
}

effad_status atomic_file_read(const char *path, uint8_t **data, size_t *len, effad_error *e)
{
    *data = NULL; *len = 0;
    int fd;
    size_t size;
    effad_status st = open_regular(path, &fd, &size, e);
    if (st) return st;
    uint8_t *buf = big_buffer(size);   /* .gauss and .efm files run to tens of MB */
    if (!buf) { close(fd); return effad_fail(e, EFFAD_ERR_NOMEM, "%s: no memory for %zu bytes", path, size); }
    size_t got = 0;
    while (got < size) {
        ssize_t r = read(fd, buf + got, size - got);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) { int err = errno; free(buf); close(fd); return fail_errno(e, err, "read", path); }
        if (r == 0) break;      /* shrank under us: validate what we have */
        got += (size_t)r;
    }
    close(fd);
    *data = buf; *len = got;
    return EFFAD_OK;
}
