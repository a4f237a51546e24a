/* efm-copy.h -- an .efm image loaded from a 64-byte-aligned copy of its
 * bytes, so that the caller's buffer stays as it was (a big-endian host
 * swaps the copy in place) and can be loaded again. */
#ifndef EFFAD_EFM_COPY_H
#define EFFAD_EFM_COPY_H

#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "effad.h"

/* The copy m points into (free() it after m), or NULL: a failed CHECK. */
static void *efm_load_copy(const uint8_t *efm, size_t n, effad_model *m)
{
    void *a = 0;
    effad_error e = { 0 };
    if (posix_memalign(&a, 64, n)) return 0;
    memcpy(a, efm, n);
    const effad_status s = effad_model_load_writable(m, a, n, &e);
    CHECK_MSG(s == EFFAD_OK, "%s", e.msg);
    if (s) { free(a); return 0; }
    return a;
}

#endif
