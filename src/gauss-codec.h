/*
 * gauss-codec.h -- the byte-level pieces of the `.gauss` file that more
 * than one part of it uses: little-endian cursors, the sufficient
 * statistics record, and the per-location map section (version 2).
 * Internal to gauss-file.c and gauss-maps-file.c.
 */
#ifndef EFFAD_GAUSS_CODEC_H
#define EFFAD_GAUSS_CODEC_H

#include <stdint.h>
#include <string.h>
#include "gauss.h"
#include "gauss-maps.h"

/* ------------------------------------------------------ byte cursors */

/* Values are written byte by byte so big-endian hosts read and write the
 * same bytes; doubles and floats as their IEEE-754 bit patterns. The bytes
 * go through a local pointer and the cursor moves once: through w->p[w->at++]
 * every byte store could alias the cursor, so the compiler reloaded it each
 * byte (the encoder was a tenth of a B0 fit's instructions); this way it
 * merges the bytes into one store on a little-endian host.
 *
 * A writer fills p[0, len). Without a sink, len is the whole encoding (the
 * caller sized it). With one, p is a small buffer: when it is full, sink
 * takes p[0, at) -- to a file, say -- and the writer starts it again, so a
 * 16 MB .gauss never exists whole in memory (its fresh pages were ~25 ms
 * of a B0 fit's serial tail: gauss-file.c). len >= 8 then, so that
 * one value always fits. The sink's first failure is kept in `failed` and
 * the rest is encoded into the void; the caller checks it at the end. */
typedef struct writer writer;
struct writer {
    uint8_t *p;
    size_t at, len;
    int (*sink)(writer *w);       /* takes p[0, at); 0, or nonzero on failure */
    void *ctx;                    /* the sink's */
    uint64_t drained;             /* bytes the sink has taken */
    int failed;
};
typedef struct { const uint8_t *p; size_t at, len; } reader;

static inline void writer_drain(writer *w)
{
    if (!w->sink || !w->at) return;
    if (!w->failed) w->failed = w->sink(w);
    w->drained += w->at;
    w->at = 0;
}

/* Where the next n (<= 8) bytes go. */
static inline uint8_t *writer_room(writer *w, size_t n)
{
    if (w->len - w->at < n) writer_drain(w);
    return w->p + w->at;
}

static inline void put_u32(writer *w, uint32_t v)
{
    uint8_t *q = writer_room(w, 4);
    for (int i = 0; i < 4; i++) q[i] = (uint8_t)(v >> (8 * i));
    w->at += 4;
}

static inline void put_u64(writer *w, uint64_t v)
{
    uint8_t *q = writer_room(w, 8);
    for (int i = 0; i < 8; i++) q[i] = (uint8_t)(v >> (8 * i));
    w->at += 8;
}

static inline void put_f64(writer *w, double v)
{
    uint64_t u;
    memcpy(&u, &v, sizeof u);
    put_u64(w, u);
}

static inline void put_f32(writer *w, float v)
{
    uint32_t u;
    memcpy(&u, &v, 4);
    put_u32(w, u);
}

static inline void put_bytes(writer *w, const void *src, size_t n)
{
    const uint8_t *s = src;   /* src may be NULL when n is 0 (an absent preset), and memcpy's may not */
    while (n) {
        if (w->at == w->len) writer_drain(w);
        if (w->at == w->len) { w->failed = 1; return; }   /* no sink and no room: a size the caller got wrong */
        size_t k = w->len - w->at < n ? w->len - w->at : n;
        memcpy(w->p + w->at, s, k);
        w->at += k; s += k; n -= k;
    }
}

/* A run of n doubles or floats (size 8 or 4): one copy where the host's
 * byte order is the file's (encoding a B0 fit's 16 MB value by value took
 * 22 ms), else each value's bytes reversed (a big-endian host). */
static inline void put_values(writer *w, const void *v, size_t n, size_t size)
{
#if defined(__BYTE_ORDER__) && defined(__ORDER_LITTLE_ENDIAN__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    put_bytes(w, v, n * size);
#else
    const uint8_t *b = v;
    for (size_t i = 0; i < n; i++, b += size) {
        uint8_t *q = writer_room(w, size);
        for (size_t k = 0; k < size; k++) q[k] = b[size - 1 - k];
        w->at += size;
    }
#endif
}
static inline void put_f64s(writer *w, const double *v, size_t n) { put_values(w, v, n, sizeof *v); }
static inline void put_f32s(writer *w, const float *v, size_t n) { put_values(w, v, n, sizeof *v); }

/* Zeros up to the next multiple of 8 of the file offset. */
static inline void put_pad8(writer *w)
{
    static const uint8_t zero[8];
    put_bytes(w, zero, (size_t)(-(w->drained + w->at) & 7));
}

static inline int have(const reader *r, uint64_t n) { return n <= r->len - r->at; }

static inline uint32_t get_u32(reader *r)
{
    const uint8_t *q = r->p + r->at;
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) v |= (uint32_t)q[i] << (8 * i);
    r->at += 4;
    return v;
}

static inline uint64_t get_u64(reader *r)
{
    const uint8_t *q = r->p + r->at;
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) v |= (uint64_t)q[i] << (8 * i);
    r->at += 8;
    return v;
}

static inline double get_f64(reader *r)
{
    uint64_t u = get_u64(r);
    double v;
    memcpy(&v, &u, sizeof v);
    return v;
}

static inline float get_f32(reader *r)
{
    uint32_t u = get_u32(r);
    float v;
    memcpy(&v, &u, 4);
    return v;
}

/* 1 when the padding up to the next multiple of 8 is all zero. */
static inline int get_pad8(reader *r)
{
    for (; r->at % 8; r->at++)
        if (r->p[r->at]) return 0;
    return 1;
}

/* ------------------------------------------ sufficient statistics */

/* u64 n, f64 sum_y4, f64[d] shift, f64[d] sum, f64[d] sum_y2y,
 * f64[d(d+1)/2] cross, upper triangle packed by rows. */
static inline uint64_t gauss_codec_stats_bytes(uint64_t d) { return 16 + 8 * (3 * d + d * (d + 1) / 2); }
void gauss_codec_put_stats(writer *w, const gauss_stats *s);
/* Into s (initialised for its dimension); 0 when a value is non-finite,
 * sum_y4 is negative or n is zero. The caller checked the bytes are there. */
int gauss_codec_get_stats(reader *r, gauss_stats *s);
/* The same checks on one record of dimension d, nothing kept but its
 * image count *n (a scoring read: the statistics are refused as a full
 * read refuses them, without the memory to hold them). */
int gauss_codec_check_stats(reader *r, size_t d, uint64_t *n);

/* ------------------------------------------------ the map section */

uint64_t gauss_maps_section_bytes(const gauss_maps *m);
void gauss_maps_section_put(writer *w, const gauss_maps *m);
/* On failure m may hold partial allocations: gauss_maps_free it. Without
 * with_stats the statistics are stepped over (m->stats stays NULL). */
effad_status gauss_maps_section_get(reader *r, gauss_maps *m, int with_stats, effad_error *e);

#endif
