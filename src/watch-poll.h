/*
 * watch-poll.h -- the images that arrive in a folder, found by looking
 * again and again (score --watch DIR --watch-poll SECONDS).
 *
 * inotify (watch-dir.c) sees only what this machine writes: a folder on a
 * network share mounted here (NFS, SMB) does not tell it about files that
 * another machine -- the camera PC -- writes there. Polling does: every
 * interval the tree is listed, and a file counts as arrived when it is new
 * or changed (by size and modification time) and then unchanged for one
 * whole interval, so it is not read while its writer is still at it (a
 * writer that pauses longer than the interval can still be caught
 * half-way: the image then gets an error record, and it is taken again
 * when it changes; where the file system grants leases, one still open
 * for writing waits for its close as well, watch-dir.c). Files are known
 * by device and inode, so a file or a
 * folder renamed is not taken again; a file written again in place is.
 * A listing that cannot read all of the tree (an I/O error, a share that
 * stopped answering; not a folder removed or refused by permissions) is
 * dropped whole and what is known stays as it was: otherwise the images
 * it missed would look new at the next listing and be taken again.
 * The same names as the dataset walk and watch-dir.h (image extensions,
 * nothing starting with '.', regular files only, no symbolic links), at
 * most 64 folders deep.
 */
#ifndef EFFAD_WATCH_POLL_H
#define EFFAD_WATCH_POLL_H

#include "effad.h"

typedef struct watch_poll watch_poll;

/* The first listing: what is there now counts as seen (existing = 0) or
 * as arrived, to be taken once it is unchanged at the next listing.
 * note_cmd names the command in the warnings printed on stderr. */
effad_status watch_poll_open(watch_poll **p, const char *root, int existing, const char *note_cmd, effad_error *e);
/* Lists the tree again; add(ctx, path) for each image that arrived since
 * (path malloc'd, handed over; in sorted order). An error when root is
 * gone. */
effad_status watch_poll_scan(watch_poll *p, effad_status (*add)(void *ctx, char *path, effad_error *e), void *ctx,
                             effad_error *e);
void watch_poll_close(watch_poll *p);

#endif
