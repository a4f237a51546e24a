/*
 * gauss-format.h -- the `.gauss` file validated where it lies: one
 * validator for both readers, gauss_file_decode (gauss-file.c, which then
 * copies into allocated gauss_model structures) and gauss_view_open
 * (gauss-view.c, which scores in place, for firmware). The byte layout is
 * documented at the top of gauss-file.c, next to the writer.
 *
 * Freestanding: no allocation, no I/O; the checks walk the bytes and hand
 * back where each part starts. Every size is checked before it is used,
 * every value that is read later is checked here (finite means, positive
 * Cholesky pivots, non-NaN thresholds, ...), so a consumer only copies.
 */
#ifndef EFFAD_GAUSS_FORMAT_H
#define EFFAD_GAUSS_FORMAT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "effad.h"
#include "le.h"
#include "prep-spec.h"

#define GAUSS_FILE_MAGIC        "EFFGAUSS"
#define GAUSS_FILE_VERSION      2u   /* written for a model without maps */
#define GAUSS_FILE_VERSION_MAPS 3u   /* version 2 + the map section (gauss-maps-file.c) */
#define GAUSS_FILE_OLDEST_VERSION 1u /* read: 1 named presets by their old names
                                        (preprocess_preset_renamed), same layout */
#define GAUSS_FILE_HEADER_BYTES 64u
#define GAUSS_FILE_SIZE_OFFSET  16u  /* u64: the file's size */
#define GAUSS_FILE_CRC_OFFSET   24u  /* u32: CRC-32 of the whole file with this field zero */
#define GAUSS_FILE_MAX_LEVELS   256u
#define GAUSS_FILE_MAX_STRING   65536u
#define GAUSS_FILE_MAX_FEATURE_ROWS (1u << 24)
/* a threshold record: char[32] NUL-padded name, f64 value */
#define GAUSS_FILE_THRESHOLD_BYTES 40u

/* per-level flags */
#define GAUSS_LEVEL_HAS_STATS    1u
#define GAUSS_LEVEL_HAS_FEATURES 2u

/* The header, the two strings and the image-level thresholds. */
typedef struct gauss_file_header {
    uint32_t version;
    uint32_t n_levels;
    uint64_t model_hash;
    uint32_t input_h, input_w, input_c;
    const char *preset; uint32_t preset_len;      /* not NUL-terminated, no NUL inside */
    prep_spec spec;               /* the name's length, the region of interest and the
                                     16-bit rule after it (prep-spec.h) */
    const char *taps; uint32_t taps_len;
    uint32_t n_thresholds;
    const uint8_t *thresholds;    /* n_thresholds records; names NUL-terminated */
    size_t levels_at;             /* offset of the first level record */
} gauss_file_header;

/* One level record. Pointers are into the file; numbers little-endian. */
typedef struct gauss_file_level {
    uint32_t dim, n_thresholds;
    uint64_t n;                   /* samples the fit saw */
    double shrinkage;
    const uint8_t *thresholds;    /* n_thresholds records */
    const uint8_t *mean;          /* f64[dim] */
    const uint8_t *chol;          /* f64[dim(dim+1)/2], lower triangle packed by rows */
    const uint8_t *stats;         /* NULL, or u64 n, f64 sum_y4, f64[dim] shift, sum,
                                     sum_y2y, f64[dim(dim+1)/2] cross (upper, by rows) */
    const uint8_t *features;      /* NULL, or f32[n_features * dim] */
    uint64_t n_features;
    size_t end;                   /* offset just past the record */
} gauss_file_level;

/* Checks everything up to the first level: magic, version, sizes, the
 * CRC over the whole file, counts, strings, padding, image thresholds. */
effad_status gauss_file_check_header(const uint8_t *buf, size_t len, gauss_file_header *h, effad_error *e);
/* Checks level li's record at offset at (the previous record's end, or
 * h.levels_at). After the last level, `end == len` or the file has
 * unexplained bytes. */
effad_status gauss_file_check_level(const uint8_t *buf, size_t len, size_t at, size_t li,
                                    gauss_file_level *lv, effad_error *e);

/* CRC-32 (IEEE, as zlib) of the file with its CRC field taken as zero. */
uint32_t gauss_file_crc(const uint8_t *buf, size_t len);

static inline double gauss_le_f64(const uint8_t *p)
{
    uint64_t u = le_u64(p);
    double v;
    memcpy(&v, &u, sizeof v);
    return v;
}

#endif
