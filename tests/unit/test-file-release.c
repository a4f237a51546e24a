/*
 * test-file-release.c -- engine/file-posix.c's effad_file_release: the
 * whole pages of a released range leave the process and stay out when
 * their neighbours in the file are read again (a freshly written file's
 * page cache holds large folios, and a fault maps a whole folio as far as
 * the VMA reaches: B4's released weights came back that way), while the
 * range stays readable with the file's bytes, and the partial pages at
 * its ends keep their neighbours' bytes.
 *
 * Residency is read from /proc/self/pagemap (bit 63: present). Where that
 * cannot be trusted (no such file; under qemu-user, which maps the guest
 * elsewhere: a probe page must read present and an untouched one not) and
 * on a big-endian host (where a release keeps its pages by design), the
 * residency checks say SKIP and the rest still runs.
 */
#define _DEFAULT_SOURCE 1
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>
#include "check.h"
#include "effad.h"

#define FILE_BYTES ((size_t)8 << 20)
#define PAGE 4096u

static uint8_t pattern(size_t i) { return (uint8_t)(i * 2654435761u >> 13); }

/* Pages of [p, p + n) present in this process; -1 without pagemap. */
static long present_pages(const uint8_t *p, size_t n)
{
    int fd = open("/proc/self/pagemap", O_RDONLY);
    if (fd < 0) return -1;
    long count = 0;
    for (uintptr_t a = (uintptr_t)p / PAGE * PAGE; a < (uintptr_t)p + n; a += PAGE) {
        uint64_t e = 0;
        if (pread(fd, &e, sizeof e, (off_t)(a / PAGE * sizeof e)) != (ssize_t)sizeof e) { count = -1; break; }
        count += (long)(e >> 63);
    }
    close(fd);
    return count;
}

/* Whether pagemap tells a touched page from an untouched one here. */
static int pagemap_works(void)
{
    uint8_t *p = mmap(0, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return 0;
    p[0] = 1;
    const int ok = present_pages(p, PAGE) == 1 && present_pages(p + PAGE, PAGE) == 0;
    munmap(p, 2 * PAGE);
    return ok;
}

static int host_is_big_endian(void)
{
    const uint16_t one = 1;
    uint8_t b;
    memcpy(&b, &one, 1);
    return b == 0;
}

static unsigned sum_bytes(const uint8_t *p, size_t n)
{
    unsigned s = 0;
    for (size_t i = 0; i < n; i += 64) s += p[i];
    return s;
}

int main(void)
{
    char path[] = "/tmp/effad-release-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0) { CHECK_MSG(0, "mkstemp failed"); return check_done("test-file-release"); }
    uint8_t *buf = malloc(FILE_BYTES);
    for (size_t i = 0; i < FILE_BYTES; i++) buf[i] = pattern(i);
    CHECK(write(fd, buf, FILE_BYTES) == (ssize_t)FILE_BYTES);   /* through the page cache, as convert writes */
    close(fd);

    effad_mapped_file mf;
    effad_error e;
    CHECK(effad_file_map(path, &mf, &e) == EFFAD_OK);
    const uint8_t *m = mf.bytes;
    volatile unsigned sink = sum_bytes(m, FILE_BYTES);   /* every page in, as the loader's hash does */

    /* a range with partial pages at both ends, in the middle of the file */
    const size_t lo = ((size_t)1 << 20) + 100, hi = ((size_t)5 << 20) + 50;
    const size_t p0 = (lo + PAGE - 1) / PAGE * PAGE, p1 = hi / PAGE * PAGE;
    effad_file_release(&mf, m + lo, hi - lo);
    if (host_is_big_endian()) printf("SKIP residency checks: a big-endian host keeps released pages\n");
    else if (!pagemap_works()) printf("SKIP residency checks: /proc/self/pagemap missing or not this process's\n");
    else {
        const long after = present_pages(m + p0, p1 - p0);
        CHECK_MSG(after == 0, "%ld of %zu released pages still present", after, (p1 - p0) / PAGE);
        /* the neighbours, read again: the released pages stay out */
        sink += sum_bytes(m, lo) + sum_bytes(m + hi, FILE_BYTES - hi);
        const long back = present_pages(m + p0, p1 - p0);
        CHECK_MSG(back == 0, "%ld of %zu released pages came back with their neighbours", back, (p1 - p0) / PAGE);
        CHECK_MSG(present_pages(m, p0) > 0, "%s", "the pages before the range are not present");
    }

    /* readable, with the file's bytes, partial pages included */
    size_t wrong = 0;
    for (size_t i = 0; i < FILE_BYTES; i++) wrong += m[i] != pattern(i);
    CHECK_MSG(wrong == 0, "%zu bytes differ from the file after the release", wrong);

    /* ranges outside the mapping, empty or within one page: nothing */
    effad_file_release(&mf, buf, 1 << 20);
    effad_file_release(&mf, m + 10, 100);
    effad_file_release(&mf, m, 0);
    wrong = 0;
    for (size_t i = 0; i < FILE_BYTES; i++) wrong += buf[i] != pattern(i);
    CHECK_MSG(wrong == 0, "%s", "a release outside the mapping touched other memory");
    (void)sink;

    effad_file_unmap(&mf);
    unlink(path);
    free(buf);
    return check_done("test-file-release");
}
