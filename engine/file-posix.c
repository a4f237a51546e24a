/* Mapping a model file privately (POSIX): pages are shared with the page
 * cache until written, which only a big-endian host ever does. Optional: firmware hands the
 * engine a buffer instead, and bare-metal builds leave this file out. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "effad.h"

effad_status effad_file_map(const char *path, effad_mapped_file *f, effad_error *e)
{
    memset(f, 0, sizeof *f);
    /* O_NONBLOCK: a FIFO would otherwise block the open until a writer
     * came; it is refused below like any other non-regular file */
    int fd = open(path, O_RDONLY | O_NONBLOCK);
    if (fd < 0) return effad_fail(e, EFFAD_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return effad_fail(e, EFFAD_ERR_IO, "%s: not a regular file", path);
    }
    if (st.st_size == 0) {
        close(fd);
        return effad_fail(e, EFFAD_ERR_FORMAT, "%s: file is empty", path);
    }
    void *p = mmap(0, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    close(fd);
    if (p == MAP_FAILED) return effad_fail(e, EFFAD_ERR_IO, "%s: cannot map: %s", path, strerror(errno));
    f->bytes = p;
    f->n_bytes = (size_t)st.st_size;
    return EFFAD_OK;
}

void effad_file_unmap(effad_mapped_file *f)
{
    if (f && f->bytes) munmap((void *)f->bytes, f->n_bytes);
    if (f) memset(f, 0, sizeof *f);
}
