/*
 * prep-fixture.h -- shared by the tests/unit/test-prep-*.c programs: the
 * synthetic images of tests/gen-prep-goldens.py (same integer recipe, so
 * big inputs need not be stored), FNV-1a checksums and golden file access.
 * Paths are relative to the repository root, where `make test` runs.
 */
#ifndef EFFAD_PREP_FIXTURE_H
#define EFFAD_PREP_FIXTURE_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PREP_DATA "tests/data/prep/"

/* check.h's CHECK_STR_CONTAINS trips -Wformat-truncation on a 512-byte
 * effad_error message; this one bounds what it prints. */
#define PREP_CHECK_HAS(msg, needle) \
    CHECK_MSG(strstr((msg), (needle)) != NULL, "\"%.300s\" lacks \"%.40s\"", (msg), (needle))

static inline uint32_t prep_hash32(uint32_t seed, uint32_t x, uint32_t y, uint32_t c)
{
    uint32_t h = seed * 0x9E3779B1u;
    h ^= x * 0x85EBCA77u;
    h ^= y * 0xC2B2AE3Du;
    h ^= c * 0x27D4EB2Fu;
    h ^= h >> 15; h *= 0x2C1B3C6Du;
    h ^= h >> 12; h *= 0x297A2D39u;
    h ^= h >> 15;
    return h;
}

/* synth() of the generator: kind "noise" or "scene". Caller frees. */
static inline uint8_t *prep_synth(const char *kind, int seed, int w, int h)
{
    uint8_t *img = malloc((size_t)w * h * 3);
    if (!img) return NULL;
    int noise = !strcmp(kind, "noise");
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            for (int c = 0; c < 3; c++) {
                uint32_t n = prep_hash32((uint32_t)seed, (uint32_t)x, (uint32_t)y, (uint32_t)c);
                int64_t v;
                if (noise) v = n & 255;
                else {
                    int64_t gx = (int64_t)x * 255 / (w > 1 ? w - 1 : 1);
                    int64_t gy = (int64_t)y * 255 / (h > 1 ? h - 1 : 1);
                    int64_t tile = (((x / 16) + (y / 16)) & 1) * 120;
                    int64_t dx = 2 * (int64_t)x - w, dy = 2 * (int64_t)y - h;
                    int64_t disc = ((dx * dx + dy * dy) * 9 < (int64_t)w * w + (int64_t)h * h) ? 90 : 0;
                    v = (c == 0 ? gx : c == 1 ? gy : tile) / 2 + disc + (n & 31);
                    if (v > 255) v = 255;
                }
                img[((size_t)y * w + x) * 3 + c] = (uint8_t)v;
            }
    return img;
}

static inline uint64_t prep_fnv64(const void *p, size_t n)
{
    const uint8_t *b = p;
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++) { h ^= b[i]; h *= 0x100000001b3ull; }
    return h;
}

/* Reads a whole golden file; *n gets its size. Caller frees. */
static inline void *prep_read(const char *name, size_t *n)
{
    char path[512];
    snprintf(path, sizeof path, PREP_DATA "%s", name);
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    void *buf = malloc(len > 0 ? (size_t)len : 1);
    if (buf && fread(buf, 1, (size_t)len, f) != (size_t)len) { free(buf); buf = NULL; }
    fclose(f);
    if (buf) *n = (size_t)len;
    return buf;
}

/* Float32 golden, little-endian as the generator writes it. */
static inline float *prep_read_f32(const char *name, size_t *count)
{
    size_t n = 0;
    uint8_t *raw = prep_read(name, &n);
    if (!raw) return NULL;
    float *f = malloc(n ? n : 1);
    if (f) {
        for (size_t i = 0; i + 4 <= n; i += 4) {
            uint32_t u = (uint32_t)raw[i] | (uint32_t)raw[i + 1] << 8 | (uint32_t)raw[i + 2] << 16 |
                         (uint32_t)raw[i + 3] << 24;
            memcpy(&f[i / 4], &u, 4);
        }
        *count = n / 4;
    }
    free(raw);
    return f;
}

/* Calls fn(line) for each manifest line starting with tag + ' '. Returns
 * the number of lines passed on, or -1 if the manifest is missing. */
static inline int prep_manifest(const char *tag, void (*fn)(const char *line, void *ctx), void *ctx)
{
    FILE *f = fopen(PREP_DATA "manifest.txt", "r");
    if (!f) return -1;
    char line[1024];
    size_t tl = strlen(tag);
    int n = 0;
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, tag, tl) && line[tl] == ' ') { fn(line + tl + 1, ctx); n++; }
    fclose(f);
    return n;
}

#endif
