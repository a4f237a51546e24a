/*
 * atomic-file.h -- replace a file's contents all-or-nothing.
 *
 * The data go to a fresh temp file beside the target (same directory, so
 * the same filesystem), created with O_EXCL by mkstemp; it is fsync'ed,
 * closed and renamed over the target, and the directory is fsync'ed so the
 * rename itself survives a power cut. On any failure the temp file is
 * removed and the old target is untouched; a crash leaves at worst a
 * stray "<name>.tmp.XXXXXX" beside an intact target.
 */
#ifndef EFFAD_ATOMIC_FILE_H
#define EFFAD_ATOMIC_FILE_H

#include <stddef.h>
#include <stdint.h>
#include "effad.h"

effad_status atomic_file_write(const char *path, const void *data, size_t len, effad_error *e);

/* The same with flags. ATOMIC_NO_SYNC: still all-or-nothing for readers
 * (temp + rename), but no fsync, for outputs that are cheap to recreate and
 * written by the hundred (the demo's images: 160 fsyncs cost a second). */
#define ATOMIC_NO_SYNC 1u
effad_status atomic_file_write_flags(const char *path, const void *data, size_t len, unsigned flags, effad_error *e);

/* Reads a whole regular file into a malloc'ed buffer (*data, *len): the
 * reading half, so that callers of this pair never see a partial file. */
effad_status atomic_file_read(const char *path, uint8_t **data, size_t *len, effad_error *e);

/* Tests only: make the next atomic_file_write fail at a given point. */
typedef enum atomic_fault {
    ATOMIC_FAULT_NONE = 0,
    ATOMIC_FAULT_FAIL_AFTER_WRITE,   /* temp written: fail as an fsync error would */
    ATOMIC_FAULT_FAIL_RENAME,        /* temp synced: fail as the rename would */
    ATOMIC_FAULT_EXIT_BEFORE_RENAME  /* temp synced: _exit(70), like a killed process */
} atomic_fault;
void atomic_file_inject_fault(atomic_fault f);

#endif
