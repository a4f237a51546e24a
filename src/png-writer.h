/*
 * png-writer.h -- a PNG written a row at a time (src/image-png-write.c):
 * an image too large to hold twice -- the 16-bit anomaly map of a
 * 48-megapixel camera image is 96 MB -- goes to its file as it is made,
 * in memory of a few rows and the compressor's 200 KiB.
 *
 * 8- or 16-bit grey, RGB or RGBA, non-interlaced; each row's filter is
 * chosen by the PNG spec's heuristic (least sum of |byte|) and compressed
 * by our own deflater (zlib.h) into IDAT chunks of 64 KiB. To a file, the
 * write is atomic (atomic-file.h): nothing is at the path until end, and
 * any failure -- or abort -- leaves the old file as it was. Every failing
 * call frees the writer; after begin fails there is nothing to abort.
 *     png_writer pw;
 *     if (png_writer_begin(&pw, path, w, h, 1, 16, e)) return e->status;
 *     for each row: if (png_writer_row16(&pw, row, e)) return e->status;
 *     return png_writer_end(&pw, NULL, NULL, e);
 */
#ifndef EFFAD_PNG_WRITER_H
#define EFFAD_PNG_WRITER_H

#include <stddef.h>
#include <stdint.h>
#include "atomic-file.h"
#include "effad.h"
#include "zlib.h"

typedef struct png_writer {
    atomic_out file;              /* when path was given */
    int to_file;
    uint8_t *mem; size_t mem_n, mem_cap;   /* otherwise the PNG in memory */
    zlib_stream z;
    int w, h, y;                  /* y: rows written */
    size_t row_bytes, bpp;        /* bpp: the filters' byte distance */
    uint8_t *prev, *cur;          /* the previous and this row, unfiltered */
    uint8_t *best, *trial;        /* filter type + filtered row; a trial filter */
} png_writer;

/* path NULL: into memory (png_writer_end hands it over). channels 1, 3 or
 * 4; depth 8 or 16. */
effad_status png_writer_begin(png_writer *pw, const char *path, int w, int h, int channels, int depth,
                              effad_error *e);
/* The next row: w x channels samples, 16-bit ones big-endian (PNG's order). */
effad_status png_writer_row(png_writer *pw, const uint8_t *row, effad_error *e);
/* The same from native 16-bit samples. */
effad_status png_writer_row16(png_writer *pw, const uint16_t *row, effad_error *e);
/* After the last row: the file committed, or the PNG in *out (malloc'd,
 * *n bytes) when it went to memory. */
effad_status png_writer_end(png_writer *pw, uint8_t **out, size_t *n, effad_error *e);
void png_writer_abort(png_writer *pw);

#endif
