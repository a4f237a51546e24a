/*
 * gauss-golden.h -- reads the named-array files written by
 * tests/gen-gauss-goldens.py (format described there), and the error
 * measures the Gaussian-core tests share.
 */
#ifndef EFFAD_GAUSS_GOLDEN_H
#define EFFAD_GAUSS_GOLDEN_H

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct { uint8_t *buf; size_t len; char path[256]; } golden;

static inline int golden_load(golden *g, const char *name)
{
    snprintf(g->path, sizeof g->path, "tests/data/gauss/%s", name);
    g->buf = NULL; g->len = 0;
    FILE *f = fopen(g->path, "rb");
    if (!f) { fprintf(stderr, "FAIL cannot open %s (run from the repo root)\n", g->path); return -1; }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    g->buf = malloc(n > 0 ? (size_t)n : 1);
    g->len = fread(g->buf, 1, (size_t)n, f);
    fclose(f);
    return 0;
}

static inline void golden_free(golden *g) { free(g->buf); g->buf = NULL; }

static inline uint64_t golden_le(const uint8_t *p, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++) v |= (uint64_t)p[i] << (8 * i);
    return v;
}

/* Decoded copy of array `name` as doubles (malloc'ed), or NULL. */
static inline double *golden_f64(const golden *g, const char *name, size_t *count)
{
    size_t at = 0;
    while (at + 2 <= g->len) {
        size_t nl = (size_t)golden_le(g->buf + at, 2);
        const char *nm = (const char *)g->buf + at + 2;
        char type = (char)g->buf[at + 2 + nl];
        size_t cnt = (size_t)golden_le(g->buf + at + 3 + nl, 4);
        size_t width = type == 'd' ? 8 : 4;
        const uint8_t *data = g->buf + at + 7 + nl;
        if (nl == strlen(name) && !memcmp(nm, name, nl)) {
            double *out = malloc((cnt ? cnt : 1) * sizeof *out);
            for (size_t i = 0; i < cnt; i++) {
                uint64_t u = golden_le(data + i * width, (int)width);
                if (width == 8) { double v; memcpy(&v, &u, 8); out[i] = v; }
                else { uint32_t u32 = (uint32_t)u; float v; memcpy(&v, &u32, 4); out[i] = v; }
            }
            if (count) *count = cnt;
            return out;
        }
        at += 7 + nl + cnt * width;
    }
    fprintf(stderr, "FAIL %s has no array '%s'\n", g->path, name);
    if (count) *count = 0;
    return NULL;
}

static inline float *golden_f32(const golden *g, const char *name, size_t *count)
{
    size_t n = 0;
    double *d = golden_f64(g, name, &n);
    if (count) *count = 0;
    if (!d) return NULL;
    float *f = malloc((n ? n : 1) * sizeof *f);
    for (size_t i = 0; i < n; i++) f[i] = (float)d[i];   /* stored as f32: exact */
    free(d);
    if (count) *count = n;
    return f;
}

static inline double golden_scalar(const golden *g, const char *name)
{
    double *d = golden_f64(g, name, NULL);
    double v = d ? d[0] : NAN;
    free(d);
    return v;
}

/* max |a - b| / max |b|: relative to the matrix's scale, so tiny
 * off-diagonal entries are not held to a relative standard they cannot
 * meet in any implementation. */
static inline double rel_err_norm(const double *a, const double *b, size_t n)
{
    double num = 0, den = 0;
    for (size_t i = 0; i < n; i++) {
        double dd = fabs(a[i] - b[i]);
        if (dd > num || dd != dd) num = dd;
        if (fabs(b[i]) > den) den = fabs(b[i]);
    }
    return den > 0 ? num / den : num;
}

/* max over i of |a_i - b_i| / |b_i| (|b_i| = 0 compares absolutely). */
static inline double rel_err_each(const double *a, const double *b, size_t n)
{
    double w = 0;
    for (size_t i = 0; i < n; i++) {
        double dd = fabs(a[i] - b[i]), r = b[i] != 0 ? dd / fabs(b[i]) : dd;
        if (r > w || r != r) w = r;
    }
    return w;
}

/* check.h's CHECK_STR_CONTAINS trips -Wformat-truncation (-O2 -Werror)
 * when the haystack is an effad_error's 512-byte msg; bound it. */
#define CHECK_ERR_HAS(err, needle) \
    CHECK_MSG(strstr((err).msg, (needle)) != NULL, "\"%.300s\" lacks \"%.100s\"", (err).msg, (needle))

#endif
