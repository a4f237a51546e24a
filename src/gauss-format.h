/*
 * gauss-format.h -- the constants of the `.gauss` file layout, shared by
 * the two readers: gauss-file.c (decodes into allocated gauss_model
 * structures, and writes) and gauss-view.c (validates in place, no
 * allocation, for firmware). The byte layout itself is documented at the
 * top of gauss-file.c.
 */
#ifndef EFFAD_GAUSS_FORMAT_H
#define EFFAD_GAUSS_FORMAT_H

#define GAUSS_FILE_MAGIC        "EFFGAUSS"
#define GAUSS_FILE_VERSION      1u
#define GAUSS_FILE_HEADER_BYTES 64u
#define GAUSS_FILE_CRC_OFFSET   24u
#define GAUSS_FILE_MAX_LEVELS   256u
#define GAUSS_FILE_MAX_STRING   65536u
#define GAUSS_FILE_MAX_FEATURE_ROWS (1u << 24)

/* per-level flags */
#define GAUSS_LEVEL_HAS_STATS    1u
#define GAUSS_LEVEL_HAS_FEATURES 2u

#endif
