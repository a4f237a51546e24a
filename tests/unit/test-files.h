/* test-files.h -- reading whole fixture files in tests. */
#ifndef EFFAD_TEST_FILES_H
#define EFFAD_TEST_FILES_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The whole file (malloc'd, 64 spare bytes) and its size; NULL if unreadable. */
static inline uint8_t *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f) return 0;
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *p = len >= 0 ? malloc((size_t)len + 64) : 0;
    if (p && fread(p, 1, (size_t)len, f) != (size_t)len) { free(p); p = 0; }
    fclose(f);
    if (p) *n = (size_t)len;
    return p;
}

/* A little-endian float32 file (the goldens) as native floats. */
static inline float *slurp_f32(const char *path, size_t *n_bytes)
{
    uint8_t *p = slurp(path, n_bytes);
    if (!p) return 0;
    for (size_t k = 0; k + 4 <= *n_bytes; k += 4) {
        uint32_t u = (uint32_t)p[k] | (uint32_t)p[k + 1] << 8 | (uint32_t)p[k + 2] << 16 | (uint32_t)p[k + 3] << 24;
        memcpy(p + k, &u, 4);
    }
    return (float *)(void *)p;
}

#endif
