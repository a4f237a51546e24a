/* PNG writing, a row at a time (png-writer.h), and the whole-image
 * writers of image.h on top of it. 16-bit samples are stored big-endian,
 * as PNG requires. */
#include <stdlib.h>
#include <string.h>
#include "checksum.h"
#include "image.h"
#include "png-writer.h"

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}

static int paeth(int a, int b, int c)
{
    int pa = abs(b - c), pb = abs(a - c), pc = abs(a + b - 2 * c);
    if (pa <= pb && pa <= pc) return a;
    return pb <= pc ? b : c;
}

/* Filters one row with type t into out; returns the sum of |byte as signed|,
 * the PNG spec's suggested heuristic for choosing a filter per row. */
static unsigned long filter_row(uint8_t *out, const uint8_t *row, const uint8_t *prev, size_t n, size_t bpp, int t)
{
    unsigned long cost = 0;
    for (size_t i = 0; i < n; i++) {
        int a = i >= bpp ? row[i - bpp] : 0, b = prev ? prev[i] : 0, c = (prev && i >= bpp) ? prev[i - bpp] : 0;
        int pred = t == 0 ? 0 : t == 1 ? a : t == 2 ? b : t == 3 ? (a + b) >> 1 : paeth(a, b, c);
        uint8_t v = (uint8_t)(row[i] - pred);
        out[i] = v;
        cost += v < 128 ? v : 256u - v;
    }
    return cost;
}

/* Bytes of the PNG file, to the file or to memory. */
static effad_status out_bytes(png_writer *pw, const uint8_t *p, size_t n, effad_error *e)
{
    if (pw->to_file) return atomic_file_append(&pw->file, p, n, e);
    if (n > pw->mem_cap - pw->mem_n) {
        size_t cap = pw->mem_cap ? pw->mem_cap : 4096;
        while (cap - pw->mem_n < n) cap *= 2;
        uint8_t *m = realloc(pw->mem, cap);
        if (!m) return effad_fail(e, EFFAD_ERR_NOMEM, "PNG writer: out of memory");
        pw->mem = m;
        pw->mem_cap = cap;
    }
    memcpy(pw->mem + pw->mem_n, p, n);
    pw->mem_n += n;
    return EFFAD_OK;
}

static effad_status put_chunk(png_writer *pw, const char *type, const uint8_t *data, size_t len, effad_error *e)
{
    uint8_t head[8], tail[4];
    put32(head, (uint32_t)len);
    memcpy(head + 4, type, 4);
    put32(tail, crc32_update(crc32_update(0, head + 4, 4), data, len));
    effad_status s = out_bytes(pw, head, 8, e);
    if (!s && len) s = out_bytes(pw, data, len, e);
    if (!s) s = out_bytes(pw, tail, 4, e);
    return s;
}

/* The compressor's output, as it comes, becomes IDAT chunks. */
static effad_status idat(void *ctx, const uint8_t *p, size_t n, effad_error *e)
{
    return put_chunk(ctx, "IDAT", p, n, e);
}

void png_writer_abort(png_writer *pw)
{
    if (pw->to_file) atomic_file_abort(&pw->file);
    zlib_stream_free(&pw->z);
    free(pw->mem); free(pw->prev); free(pw->cur); free(pw->best); free(pw->trial);
    memset(pw, 0, sizeof *pw);
}

/* Every failing call frees the writer (and removes its temp file). */
static effad_status failed(png_writer *pw, effad_status s)
{
    png_writer_abort(pw);
    return s;
}

effad_status png_writer_begin(png_writer *pw, const char *path, int w, int h, int channels, int depth,
                              effad_error *e)
{
    memset(pw, 0, sizeof *pw);
    if (w <= 0 || h <= 0 || (channels != 1 && channels != 3 && channels != 4) || (depth != 8 && depth != 16))
        return effad_fail(e, EFFAD_ERR_ARG, "PNG writer: bad image %dx%d with %d channels of %d bits", w, h, channels,
                          depth);
    if ((uint64_t)w * (uint64_t)h > IMAGE_MAX_PIXELS)
        return effad_fail(e, EFFAD_ERR_ARG, "PNG writer: %dx%d is more than %u pixels", w, h, IMAGE_MAX_PIXELS);
    pw->w = w;
    pw->h = h;
    pw->bpp = (size_t)channels * (size_t)(depth / 8);
    pw->row_bytes = (size_t)w * pw->bpp;
    pw->prev = malloc(pw->row_bytes);
    pw->cur = malloc(pw->row_bytes);
    pw->best = malloc(pw->row_bytes + 1);
    pw->trial = malloc(pw->row_bytes);
    if (!pw->prev || !pw->cur || !pw->best || !pw->trial)
        return failed(pw, effad_fail(e, EFFAD_ERR_NOMEM, "PNG writer: out of memory"));
    effad_status s = EFFAD_OK;
    if (path && (s = atomic_file_begin(&pw->file, path, 0, e))) return failed(pw, s);
    pw->to_file = path != NULL;
    uint8_t ihdr[13];
    put32(ihdr, (uint32_t)w);
    put32(ihdr + 4, (uint32_t)h);
    ihdr[8] = (uint8_t)depth;
    ihdr[9] = (uint8_t)(channels == 1 ? 0 : channels == 3 ? 2 : 6);
    ihdr[10] = ihdr[11] = ihdr[12] = 0;
    if ((s = out_bytes(pw, (const uint8_t *)"\x89PNG\r\n\x1a\n", 8, e)) || (s = put_chunk(pw, "IHDR", ihdr, 13, e)) ||
        (s = zlib_stream_begin(&pw->z, idat, pw, e)))
        return failed(pw, s);
    return EFFAD_OK;
}

effad_status png_writer_row(png_writer *pw, const uint8_t *row, effad_error *e)
{
    if (pw->y >= pw->h) return failed(pw, effad_fail(e, EFFAD_ERR_ARG, "PNG writer: more than %d rows", pw->h));
    const uint8_t *prev = pw->y ? pw->prev : NULL;
    unsigned long least = (unsigned long)-1;
    for (int t = 0; t < 5; t++) {
        unsigned long cost = filter_row(pw->trial, row, prev, pw->row_bytes, pw->bpp, t);
        if (cost < least) { least = cost; pw->best[0] = (uint8_t)t; memcpy(pw->best + 1, pw->trial, pw->row_bytes); }
    }
    memcpy(pw->prev, row, pw->row_bytes);
    pw->y++;
    effad_status s = zlib_stream_write(&pw->z, pw->best, pw->row_bytes + 1, e);
    return s ? failed(pw, s) : EFFAD_OK;
}

effad_status png_writer_row16(png_writer *pw, const uint16_t *row, effad_error *e)
{
    for (size_t i = 0; i < pw->row_bytes / 2; i++) {
        pw->cur[2 * i] = (uint8_t)(row[i] >> 8);
        pw->cur[2 * i + 1] = (uint8_t)row[i];
    }
    return png_writer_row(pw, pw->cur, e);
}

effad_status png_writer_end(png_writer *pw, uint8_t **out, size_t *n, effad_error *e)
{
    if (pw->y != pw->h)
        return failed(pw, effad_fail(e, EFFAD_ERR_ARG, "PNG writer: %d of %d rows written", pw->y, pw->h));
    effad_status s = zlib_stream_end(&pw->z, e);
    if (!s) s = put_chunk(pw, "IEND", NULL, 0, e);
    if (!s && pw->to_file) s = atomic_file_commit(&pw->file, e);
    if (s) return failed(pw, s);
    if (out) { *out = pw->mem; *n = pw->mem_n; pw->mem = NULL; }
    pw->to_file = 0;
    png_writer_abort(pw);   /* frees the rest */
    return EFFAD_OK;
}

/* A whole image, rows of w x channels samples of depth bits (16-bit ones
 * native), to path or memory. */
static effad_status write_image(const char *path, const void *px, int w, int h, int channels, int depth,
                                uint8_t **out, size_t *n, effad_error *e)
{
    png_writer pw;
    if (!px) return effad_fail(e, EFFAD_ERR_ARG, "PNG writer: no pixels");
    effad_status s = png_writer_begin(&pw, path, w, h, channels, depth, e);
    size_t samples = (size_t)w * (size_t)channels;
    for (int y = 0; y < h && !s; y++)
        s = depth == 16 ? png_writer_row16(&pw, (const uint16_t *)px + (size_t)y * samples, e)
                        : png_writer_row(&pw, (const uint8_t *)px + (size_t)y * samples, e);
    if (!s) s = png_writer_end(&pw, out, n, e);
    return s;
}

effad_status image_encode_png(const uint8_t *px, int w, int h, int channels, uint8_t **out, size_t *out_bytes,
                              effad_error *e)
{
    *out = NULL;
    *out_bytes = 0;
    return write_image(NULL, px, w, h, channels, 8, out, out_bytes, e);
}

effad_status image_encode_png16(const uint16_t *px, int w, int h, int channels, uint8_t **out, size_t *out_bytes,
                                effad_error *e)
{
    *out = NULL;
    *out_bytes = 0;
    return write_image(NULL, px, w, h, channels, 16, out, out_bytes, e);
}

effad_status image_write_png(const char *path, const uint8_t *px, int w, int h, int channels, effad_error *e)
{
    if (!path || !*path) return effad_fail(e, EFFAD_ERR_ARG, "PNG writer: no path");
    effad_status s = write_image(path, px, w, h, channels, 8, NULL, NULL, e);
    if (s && s != EFFAD_ERR_IO) effad_error_prefix(e, path);
    return s;
}

effad_status image_write_png16(const char *path, const uint16_t *px, int w, int h, int channels, effad_error *e)
{
    if (!path || !*path) return effad_fail(e, EFFAD_ERR_ARG, "PNG writer: no path");
    effad_status s = write_image(path, px, w, h, channels, 16, NULL, NULL, e);
    if (s && s != EFFAD_ERR_IO) effad_error_prefix(e, path);
    return s;
}
