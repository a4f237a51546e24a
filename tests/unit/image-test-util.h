/* Helpers shared by the image-codec tests. */
#ifndef EFFAD_IMAGE_TEST_UTIL_H
#define EFFAD_IMAGE_TEST_UTIL_H

#include <stdint.h>
#include <stdlib.h>
#include "check.h"

/* check.h's CHECK_STR_CONTAINS trips -Wformat-truncation on the 512-byte
 * effad_error message; this one prints a bounded prefix instead. */
#define CHECK_HAS(msg, needle) CHECK_MSG(strstr((msg), (needle)) != NULL, "\"%.300s\" lacks \"%s\"", (msg), (needle))

static inline uint8_t *slurp(const char *path, size_t *n)
{
    *n = 0;
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *b = malloc(len > 0 ? (size_t)len : 1);
    if (b) *n = fread(b, 1, (size_t)len, f);
    fclose(f);
    return b;
}

#endif
