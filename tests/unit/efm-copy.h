/* efm-copy.h -- an .efm image loaded from a 64-byte-aligned copy of its
 * bytes, so that the caller's buffer stays as it was (a big-endian host
 * swaps the copy in place) and can be loaded again. */
#ifndef EFFAD_EFM_COPY_H
#define EFFAD_EFM_COPY_H

#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "effad.h"

/* The copy m points into (free() it after m), or NULL with the loader's
 * reason in e: for files that must be refused. */
static inline void *efm_try_load_copy(const uint8_t *efm, size_t n, effad_model *m, effad_error *e)
{
    void *a = 0;
    if (posix_memalign(&a, 64, n)) return 0;
    memcpy(a, efm, n);
    if (effad_model_load_writable(m, a, n, e)) { free(a); return 0; }
    return a;
}

/* The copy m points into (free() it after m), or NULL: a failed CHECK. */
static inline void *efm_load_copy(const uint8_t *efm, size_t n, effad_model *m)
{
    effad_error e = { 0 };
    void *a = efm_try_load_copy(efm, n, m, &e);
    CHECK_MSG(a != 0, "%s", e.msg);
    return a;
}

#endif
