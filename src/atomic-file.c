/*
 * atomic-file.c -- temp file + fsync + rename (see atomic-file.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "atomic-file.h"

static atomic_fault fault;

void atomic_file_inject_fault(atomic_fault f) { fault = f; }

static effad_status fail_errno(effad_error *e, int err, const char *what, const char *path)
{
    return effad_fail(e, EFFAD_ERR_IO, "%s: %s failed: %s", path, what, strerror(err));
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

effad_status atomic_file_write(const char *path, const void *data, size_t len, effad_error *e)
{
    return atomic_file_write_flags(path, data, len, 0, e);
}

effad_status atomic_file_write_flags(const char *path, const void *data, size_t len, unsigned flags, effad_error *e)
{
    atomic_fault f = fault;
    fault = ATOMIC_FAULT_NONE;
    size_t plen = strlen(path);
    char *tmp = malloc(plen + sizeof ".tmp.XXXXXX");
    if (!tmp) return effad_fail(e, EFFAD_ERR_NOMEM, "%s: no memory for a temp name", path);
    memcpy(tmp, path, plen);
    memcpy(tmp + plen, ".tmp.XXXXXX", sizeof ".tmp.XXXXXX");
    int fd = mkstemp(tmp);
    if (fd < 0) {
        effad_status st = fail_errno(e, errno, "creating a temp file", path);
        free(tmp);
        return st;
    }
    /* mkstemp makes 0600; a model file is meant to be shared like any
     * other output. */
    (void)fchmod(fd, 0644);

    const char *what = NULL;
    int err = 0;
    const uint8_t *p = data;
    size_t left = len;
    while (left) {
        ssize_t w = write(fd, p, left);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) { what = "write"; err = w < 0 ? errno : EIO; break; }
        p += w; left -= (size_t)w;
    }
    if (!what && f == ATOMIC_FAULT_FAIL_AFTER_WRITE) { what = "fsync"; err = EIO; }
    if (!what && !(flags & ATOMIC_NO_SYNC) && fsync(fd) != 0) { what = "fsync"; err = errno; }
    if (close(fd) != 0 && !what) { what = "close"; err = errno; }
    if (!what && f == ATOMIC_FAULT_EXIT_BEFORE_RENAME) _exit(70);
    if (!what && f == ATOMIC_FAULT_FAIL_RENAME) { what = "rename"; err = EIO; }
    if (!what && rename(tmp, path) != 0) { what = "rename"; err = errno; }
    if (what) {
        unlink(tmp);
        free(tmp);
        return fail_errno(e, err, what, path);
    }
    free(tmp);
    if (!(flags & ATOMIC_NO_SYNC)) sync_parent(path);
    return EFFAD_OK;
}

effad_status atomic_file_read(const char *path, uint8_t **data, size_t *len, effad_error *e)
{
    *data = NULL; *len = 0;
    int fd = open(path, O_RDONLY);
    if (fd < 0) return fail_errno(e, errno, "open", path);
    struct stat sb;
    if (fstat(fd, &sb) != 0) { int err = errno; close(fd); return fail_errno(e, err, "stat", path); }
    if (!S_ISREG(sb.st_mode)) { close(fd); return effad_fail(e, EFFAD_ERR_IO, "%s: not a regular file", path); }
    size_t size = (size_t)sb.st_size;
    uint8_t *buf = malloc(size ? size : 1);
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
