/* Helpers shared by the image-codec tests. */
#ifndef EFFAD_IMAGE_TEST_UTIL_H
#define EFFAD_IMAGE_TEST_UTIL_H

#include <stdint.h>
#include <stdlib.h>
#include "check.h"
#include "image.h"

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

/* A PNG's IDAT data joined (malloc'd, *zn bytes; the zlib stream its
 * encoder made), and where its first IDAT chunk starts (*first, 0 if none). */
static inline uint8_t *png_idat_joined(const uint8_t *png, size_t n, size_t *zn, size_t *first)
{
    uint8_t *z = malloc(n ? n : 1);
    *zn = 0;
    *first = 0;
    for (size_t pos = 8; z && pos + 12 <= n;) {
        const size_t len = (size_t)png[pos] << 24 | (size_t)png[pos + 1] << 16 | (size_t)png[pos + 2] << 8 | png[pos + 3];
        if (len > n - pos - 12) break;
        if (!memcmp(png + pos + 4, "IDAT", 4)) {
            if (!*first) *first = pos;
            memcpy(z + *zn, png + pos + 8, len);
            *zn += len;
        }
        pos += len + 12;
    }
    return z;
}

/* -------------------------------------------------- hostile-input helpers */
#define IMAGE_FIXTURES "tests/data/images/"

static uint32_t hostile_seed = 2024;
static inline uint32_t rnd(void) { hostile_seed = hostile_seed * 1103515245u + 12345u; return hostile_seed >> 8; }

static inline uint8_t *load(const char *name, size_t *n)
{
    char path[256];
    snprintf(path, sizeof path, IMAGE_FIXTURES "%s", name);
    uint8_t *b = slurp(path, n);
    CHECK_MSG(b != NULL, "missing fixture %s", name);
    return b;
}

/* Decodes; if it claims success the image must be whole and convertible. */
static inline effad_status try_decode(const uint8_t *b, size_t n, effad_error *e)
{
    effad_image img;
    effad_status st = image_decode(b, n, &img, e);
    if (st == EFFAD_OK) {
        uint8_t *rgb;
        int ok = img.px && img.w > 0 && img.h > 0 && image_to_rgb8(&img, &rgb, e) == EFFAD_OK;
        CHECK(ok);
        if (ok) free(rgb);
        image_free(&img);
    } else {
        CHECK_MSG(e->msg[0] != '\0' && img.px == NULL, "error without a message or with pixels");
    }
    return st;
}

static inline void prefixes_and_flips(const char *name)
{
    size_t n;
    uint8_t *b = load(name, &n);
    if (!b) return;
    effad_error e = { 0 };
    CHECK_MSG(try_decode(b, n, &e) == EFFAD_OK, "%s: %.200s", name, e.msg);
    size_t accepted = 0;
    for (size_t k = 0; k < n; k++)
        if (try_decode(b, k, &e) == EFFAD_OK) accepted++;
    CHECK_MSG(accepted == 0, "%s: %zu truncated prefixes decoded without error", name, accepted);

    uint8_t *c = malloc(n);
    int errors = 0;
    for (int t = 0; t < 400; t++) {
        memcpy(c, b, n);
        int flips = 1 + (int)(rnd() % 4);
        for (int f = 0; f < flips; f++) c[rnd() % n] ^= (uint8_t)(1u << (rnd() % 8));
        if (try_decode(c, n, &e) != EFFAD_OK) errors++;
    }
    printf("  %-22s %5zu prefixes refused, 400 flipped copies: %d refused\n", name, n, errors);
    free(c);
    free(b);
}


#endif
