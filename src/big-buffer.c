/* Aligned memory with huge pages asked for; see big-buffer.h. */
#define _DEFAULT_SOURCE 1   /* madvise */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include "big-buffer.h"

#define HUGE_PAGE ((size_t)2 << 20)
#define HUGE_FROM ((size_t)4 << 20)

void *big_buffer(size_t bytes)
{
    void *p = 0;
    if (!bytes) bytes = 64;
    if (bytes < HUGE_FROM) return posix_memalign(&p, 64, bytes) ? 0 : p;
    if (posix_memalign(&p, HUGE_PAGE, bytes)) return 0;
#ifdef MADV_HUGEPAGE
    /* advice only (without THP the buffer is ordinary memory), and only for
     * the whole huge pages inside it: a rounded-up last one would be
     * resident in full, up to 2 MiB more than the buffer */
    madvise(p, bytes / HUGE_PAGE * HUGE_PAGE, MADV_HUGEPAGE);
#endif
    return p;
}

void *big_zeroed(size_t count, size_t size)
{
    if (size && count > SIZE_MAX / size) return 0;
    void *p = big_buffer(count * size);
    if (p) memset(p, 0, count * size);   /* the heap may hand back used memory */
    return p;
}
