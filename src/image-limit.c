/* How large an image may be on this machine; see image.h,
 * image_size_check. */
#include <inttypes.h>
#include <stdlib.h>
#include <unistd.h>
#include "image.h"

/* The machine's memory in bytes, 0 where the system does not say. */
static uint64_t memory_bytes(void)
{
#if defined(_SC_PHYS_PAGES) && defined(_SC_PAGESIZE)
    const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    if (pages > 0 && page > 0) return (uint64_t)pages * (uint64_t)page;
#endif
    return 0;
}

effad_status image_max_pixels(uint64_t *max, image_limit_source *why, effad_error *e)
{
    *max = IMAGE_MAX_PIXELS;
    *why = IMAGE_LIMIT_BUILD;
    const char *env = getenv("EFFAD_MAX_PIXELS");
    if (env && *env) {
        char *end;
        const unsigned long long v = strtoull(env, &end, 10);
        if (*end || v == 0 || env[0] < '0' || env[0] > '9')
            return effad_fail(e, EFFAD_ERR_ARG, "EFFAD_MAX_PIXELS='%s': not a positive whole number of pixels", env);
        if (v < *max) { *max = v; *why = IMAGE_LIMIT_ENV; }
        return EFFAD_OK;
    }
    const uint64_t mem = memory_bytes() / IMAGE_MEMORY_SHARE;
    if (mem && mem < *max) { *max = mem; *why = IMAGE_LIMIT_MEMORY; }
    return EFFAD_OK;
}

effad_status image_size_check(uint64_t w, uint64_t h, effad_error *e)
{
    uint64_t max;
    image_limit_source why;
    effad_status st = image_max_pixels(&max, &why, e);
    if (st) return st;
    if (w * h <= max) return EFFAD_OK;   /* w, h < 2^32 where this is called: no overflow */
    switch (why) {
    case IMAGE_LIMIT_ENV:
        return effad_fail(e, EFFAD_ERR_UNSUPPORTED, "%" PRIu64 "x%" PRIu64 " is more than the %" PRIu64
                          " pixels EFFAD_MAX_PIXELS allows", w, h, max);
    case IMAGE_LIMIT_MEMORY:
        return effad_fail(e, EFFAD_ERR_UNSUPPORTED, "%" PRIu64 "x%" PRIu64 " is more than %" PRIu64
                          " pixels, the most this machine's %" PRIu64 " MB of memory is given (an eighth of it"
                          " to an image; EFFAD_MAX_PIXELS=N to change)", w, h, max, memory_bytes() >> 20);
    default:
        return effad_fail(e, EFFAD_ERR_UNSUPPORTED, "%" PRIu64 "x%" PRIu64 " is more than %u pixels", w, h,
                          IMAGE_MAX_PIXELS);
    }
}
