/*
 * watch-dir.h -- the images that arrive in a folder, as they arrive.
 *
 * Camera software on an inspection line writes each image to a folder (a
 * "hot folder"), often into a subfolder per day or per lot; `effad score
 * --watch DIR` scores each as it lands. An image counts as arrived when
 * its writer closes it (inotify's IN_CLOSE_WRITE: never half-written) or
 * when it is renamed or moved into the tree (IN_MOVED_TO: written
 * elsewhere, then moved in whole). Subfolders are watched as they appear:
 * one moved in whole brings all its images (sorted by path); one created
 * in place is watched at once, and the images already in it -- written
 * while effad was busy with an earlier image -- are taken unless their
 * writer still holds them open (a read lease is refused while a file is
 * open for writing; such a file is taken when it is closed). Only images
 * that arrive after the start are reported, unless asked for those already
 * there too (a restarted service catching up, with no gap between the two). Names as the dataset walk takes them: image
 * extensions only, nothing whose name starts with '.', so a writer's
 * ".part" or ".name.png.tmp" is never read, and no symbolic link is
 * followed below DIR.
 *
 * SIGINT, SIGTERM and SIGHUP end the watch between images (they are held
 * for the whole watch, and read as events): the images in hand (one, or a
 * burst taken with watch_dir_ready) are scored and their outputs written
 * before watch_dir_next says stop, so a service
 * stopped by its supervisor leaves a complete record and no temp file;
 * more of them while the command finishes are ignored.
 *
 * Linux only (inotify); elsewhere watch_dir_open says so. A folder on a
 * network share does not see its remote writers (inotify sees only this
 * machine's): watch_dir_open warns when root is on NFS, SMB and the like,
 * and poll_seconds lists the folder instead (watch-poll.h).
 */
#ifndef EFFAD_WATCH_DIR_H
#define EFFAD_WATCH_DIR_H

#include "effad.h"

typedef struct watch_dir watch_dir;

/* Starts watching root and every folder under it; holds the stop signals
 * from here to watch_dir_close (call it before any thread is started, so
 * that every thread holds them). With existing, the images already under
 * root come first (sorted by path; the watch is set before they are
 * listed, so none falls between the two). note_cmd names the command in
 * warnings printed on stderr (events the kernel dropped, a folder that
 * cannot be watched). poll_seconds > 0: the folder is listed that often
 * instead (watch-poll.h), for network shares. */
effad_status watch_dir_open(watch_dir **w, const char *root, int existing, double poll_seconds, const char *note_cmd,
                            effad_error *e);
/* Waits for the next image: *path (valid until the next call) is its path
 * (root/...), *rel the part below root; *path is NULL when a stop signal
 * has come. An error when root itself is removed or moved away. */
effad_status watch_dir_next(watch_dir *w, const char **path, const char **rel, effad_error *e);
/* The same without waiting: *path is NULL when no image has arrived yet
 * (or a stop signal came: the next watch_dir_next says stop at once).
 * Images that arrive together -- a camera's burst, a folder moved in, what
 * was there with existing -- are taken as one batch this way. */
effad_status watch_dir_ready(watch_dir *w, const char **path, const char **rel, effad_error *e);
/* Stops watching. Gives the stop signals back unless one ended the watch
 * (then they stay held until exit, so that a second one cannot kill the
 * command while it writes its summary); one that came and was not read
 * is still pending then, and acts as it would have. */
void watch_dir_close(watch_dir *w);

#endif
