/*
 * atomic-file.h -- replace a file's contents all-or-nothing, and never
 * damage anything else on the way.
 *
 * The data go to a fresh temp file beside the target (same directory, so
 * the same filesystem), created with O_EXCL by mkstemp; it is fsync'ed,
 * closed and renamed over the target, and the directory is fsync'ed so the
 * rename itself survives a power cut. On any failure the temp file is
 * removed and the old target is untouched.
 *
 * What a write refuses, before creating anything:
 *   - a target that exists and is not a regular file (a directory, FIFO,
 *     socket or device: `-o /dev/full` run as root would otherwise replace
 *     the device node with a regular file);
 *   - a target that is the same file (device and inode) as one of the
 *     command's inputs (atomic_file_note_input): `convert m.onnx -o m.onnx`.
 * A target that is a symbolic link is written through: the temp file goes
 * beside the file the link (chain) points to and is renamed over it, so
 * the link stays a link and the replacement is still atomic.
 *
 * Interruption: after atomic_file_cleanup_on_signals(), SIGINT, SIGTERM
 * and SIGHUP remove the temp files being written before the process dies
 * of the signal as it would have (the handler only unlinks and re-raises,
 * both async-signal-safe); the old target is intact, since the rename is
 * the last step. Only a SIGKILL or power cut can leave a stray
 * "<name>.tmp.XXXXXX".
 */
#ifndef EFFAD_ATOMIC_FILE_H
#define EFFAD_ATOMIC_FILE_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include "effad.h"

effad_status atomic_file_write(const char *path, const void *data, size_t len, effad_error *e);

/* The same with flags. ATOMIC_NO_SYNC: still all-or-nothing for readers
 * (temp + rename), but no fsync, for outputs that are cheap to recreate and
 * written by the hundred (the demo's images: 160 fsyncs cost a second). */
#define ATOMIC_NO_SYNC 1u
effad_status atomic_file_write_flags(const char *path, const void *data, size_t len, unsigned flags, effad_error *e);

/* The same, streamed: a file too big to build in memory first (a .gauss
 * of a 1280-feature level is 16 MB) is appended in pieces, and bytes
 * already written may be patched (a checksum in a header, known only at
 * the end). Nothing is visible at path until commit; every failing call
 * removes the temp file and closes the handle, and abort does so for a
 * caller that gives up. After begin fails there is nothing to abort.
 *     atomic_out o;
 *     if (atomic_file_begin(&o, path, 0, e)) return e->status;
 *     ... atomic_file_append(&o, piece, n, e) ...
 *     atomic_file_patch(&o, offset, bytes, n, e);
 *     return atomic_file_commit(&o, e);
 */
typedef struct atomic_out {
    const char *path;             /* as the caller named it, for messages */
    char *target;                 /* the file the rename replaces (links followed) */
    int fd, slot;                 /* the temp file and its cleanup slot; -1 once closed */
    unsigned flags;
    int fault;                    /* atomic_fault, taken at begin */
    int stalled;                  /* tests: the "partial" stall has been */
    uint64_t written;
} atomic_out;
effad_status atomic_file_begin(atomic_out *o, const char *path, unsigned flags, effad_error *e);
effad_status atomic_file_append(atomic_out *o, const void *data, size_t len, effad_error *e);
effad_status atomic_file_patch(atomic_out *o, uint64_t at, const void *data, size_t len, effad_error *e);
effad_status atomic_file_commit(atomic_out *o, effad_error *e);
void atomic_file_abort(atomic_out *o);

/* Whether path may be written: the refusals above, checked without writing,
 * so that a command can refuse its -o before an hour of work. A path that
 * does not exist yet is fine. */
effad_status atomic_file_check_target(const char *path, effad_error *e);

/* Remembers path (device and inode; nothing if it does not exist) as an
 * input of this process, which no write may replace. */
void atomic_file_note_input(const char *path);
/* Forgets every input noted (tests). */
void atomic_file_forget_inputs(void);

/* Installs the SIGINT / SIGTERM / SIGHUP cleanup described above, for each
 * of those signals whose disposition is still the default. For programs
 * (the CLI), not for a library embedded in someone else's. */
void atomic_file_cleanup_on_signals(void);
/* The cleanup signals (SIGINT, SIGTERM, SIGHUP) held off in the calling
 * thread, and let through again. A thread started between the two inherits
 * them held (batch_thread_start, the engine's pool in pipeline.c): they then
 * reach the main thread, whose writes hold them off at the right moments. */
void atomic_file_hold_signals(sigset_t *old);
void atomic_file_release_signals(const sigset_t *old);

/* Reads a whole regular file into a malloc'ed buffer (*data, *len): the
 * reading half, so that callers of this pair never see a partial file. */
effad_status atomic_file_read(const char *path, uint8_t **data, size_t *len, effad_error *e);

/* The same checks, and the file mapped read-only instead of copied (all
 * pages mapped at once where the system can): for files of tens of MB read
 * once and decoded (a .gauss), where the copy's fresh pages -- cleared by
 * the kernel, then faulted in -- cost more than the decoding. A file
 * replaced meanwhile (atomic_file_write renames) leaves the mapping on the
 * old one; only one truncated in place by another program could fault.
 * Release with atomic_file_unmap. An empty file gives *len 0. */
effad_status atomic_file_map(const char *path, const uint8_t **data, size_t *len, effad_error *e);
void atomic_file_unmap(const uint8_t *data, size_t len);

/* Tests only: make the next atomic_file_write fail at a given point. */
typedef enum atomic_fault {
    ATOMIC_FAULT_NONE = 0,
    ATOMIC_FAULT_FAIL_AFTER_WRITE,   /* temp written: fail as an fsync error would */
    ATOMIC_FAULT_FAIL_RENAME,        /* temp synced: fail as the rename would */
    ATOMIC_FAULT_EXIT_BEFORE_RENAME  /* temp synced: _exit(70), like a killed process */
} atomic_fault;
void atomic_file_inject_fault(atomic_fault f);

#endif
