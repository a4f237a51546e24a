/* Mapping a model file privately (POSIX): pages are shared with the page
 * cache until written, which only a big-endian host ever does. Optional: firmware hands the
 * engine a buffer instead, and bare-metal builds leave this file out. */
#define _DEFAULT_SOURCE 1   /* madvise(MADV_DONTNEED): glibc ignores posix_madvise's */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "effad.h"
#include "le.h"

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

void effad_file_release(void *f, const void *data, size_t bytes)
{
    const effad_mapped_file *mf = f;
    const long page = sysconf(_SC_PAGESIZE);
    /* a big-endian host's loader byte-swapped the weights in place: those
     * pages hold the only swapped copy, and dropping them would bring the
     * file's bytes back */
    if (!mf || !mf->bytes || page <= 0 || !bytes || !host_is_little_endian()) return;
    const uintptr_t lo = (uintptr_t)data, hi = lo + bytes;
    const uintptr_t base = (uintptr_t)mf->bytes, end = base + mf->n_bytes;
    if (lo < base || hi > end) return;   /* not this mapping's bytes */
    /* whole pages only: the partial pages at either end hold other tensors */
    const uintptr_t p0 = (lo + (uintptr_t)page - 1) / (uintptr_t)page * (uintptr_t)page;
    const uintptr_t p1 = hi / (uintptr_t)page * (uintptr_t)page;
    if (p1 <= p0) return;
    /* A fault on a page the kernel holds in a large page-cache folio
     * (Linux 6.x, a freshly written file) maps the whole folio, as far as
     * the mapping's VMA reaches -- dropped neighbours included: the next
     * layer's packing and the pass's reads of small tensors mapped 22 of
     * B4's 55 dropped MB back (peak RSS 124 MB). Changing the dropped
     * range's protection makes it a VMA of its own, which no fault
     * elsewhere maps into: 93 MB. Read-only, since nothing may write the
     * weights of a little-endian host after loading; still readable, for
     * a runner without the packed copy. Huge pages are refused too: a
     * PMD-sized folio would otherwise map as one. */
#ifdef MADV_NOHUGEPAGE
    madvise((void *)base, mf->n_bytes, MADV_NOHUGEPAGE);
#endif
    madvise((void *)p0, p1 - p0, MADV_DONTNEED);
    mprotect((void *)p0, p1 - p0, PROT_READ);
}
