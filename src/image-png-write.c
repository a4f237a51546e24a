/* PNG writing: 8- or 16-bit grey, RGB or RGBA, non-interlaced, one IDAT
 * from our own deflater, and an atomic write-then-rename so a crash or a
 * full disk never leaves a half-written image where a good one is
 * expected. 16-bit samples are stored big-endian, as PNG requires. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "checksum.h"
#include "image.h"
#include "atomic-file.h"
#include "zlib.h"

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

static void put_chunk(uint8_t *dst, size_t *pos, const char *type, const uint8_t *data, size_t len)
{
    uint8_t *p = dst + *pos;
    put32(p, (uint32_t)len);
    memcpy(p + 4, type, 4);
    if (len) memcpy(p + 8, data, len);
    put32(p + 8 + len, crc32_update(0, p + 4, len + 4));
    *pos += len + 12;
}

/* px: rows of w * channels samples of bit_depth / 8 bytes each, already
 * in PNG byte order. */
static effad_status encode(const uint8_t *px, int w, int h, int channels, int bit_depth,
                           uint8_t **out, size_t *out_bytes, effad_error *e)
{
    *out = NULL;
    *out_bytes = 0;
    if (!px || w <= 0 || h <= 0 || (channels != 1 && channels != 3 && channels != 4))
        return effad_fail(e, EFFAD_ERR_ARG, "PNG writer: bad image %dx%d with %d channels", w, h, channels);
    if ((uint64_t)w * (uint64_t)h > IMAGE_MAX_PIXELS)
        return effad_fail(e, EFFAD_ERR_ARG, "PNG writer: %dx%d is more than %u pixels", w, h, IMAGE_MAX_PIXELS);
    size_t bpp = (size_t)channels * (size_t)(bit_depth / 8);   /* the filters' byte distance */
    size_t rb = (size_t)w * bpp, raw_bytes = (rb + 1) * (size_t)h;
    uint8_t *raw = malloc(raw_bytes), *trial = malloc(rb);
    if (!raw || !trial) {
        free(raw); free(trial);
        return effad_fail(e, EFFAD_ERR_NOMEM, "PNG writer: out of memory");
    }
    for (int y = 0; y < h; y++) {
        const uint8_t *row = px + (size_t)y * rb, *prev = y ? row - rb : NULL;
        uint8_t *dst = raw + (size_t)y * (rb + 1);
        unsigned long best = (unsigned long)-1;
        for (int t = 0; t < 5; t++) {
            unsigned long cost = filter_row(trial, row, prev, rb, bpp, t);
            if (cost < best) { best = cost; dst[0] = (uint8_t)t; memcpy(dst + 1, trial, rb); }
        }
    }
    free(trial);
    uint8_t *z;
    size_t zn;
    effad_status st = zlib_deflate(raw, raw_bytes, &z, &zn, e);
    free(raw);
    if (st) return st;
    uint8_t *png = malloc(zn + 8 + 25 + 12 + 12);
    if (!png) { free(z); return effad_fail(e, EFFAD_ERR_NOMEM, "PNG writer: out of memory"); }
    memcpy(png, "\x89PNG\r\n\x1a\n", 8);
    size_t pos = 8;
    uint8_t ihdr[13];
    put32(ihdr, (uint32_t)w);
    put32(ihdr + 4, (uint32_t)h);
    ihdr[8] = (uint8_t)bit_depth;
    ihdr[9] = (uint8_t)(channels == 1 ? 0 : channels == 3 ? 2 : 6);
    ihdr[10] = ihdr[11] = ihdr[12] = 0;
    put_chunk(png, &pos, "IHDR", ihdr, 13);
    put_chunk(png, &pos, "IDAT", z, zn);
    put_chunk(png, &pos, "IEND", NULL, 0);
    free(z);
    *out = png;
    *out_bytes = pos;
    return EFFAD_OK;
}

effad_status image_encode_png(const uint8_t *px, int w, int h, int channels,
                              uint8_t **out, size_t *out_bytes, effad_error *e)
{
    return encode(px, w, h, channels, 8, out, out_bytes, e);
}

effad_status image_encode_png16(const uint16_t *px, int w, int h, int channels,
                                uint8_t **out, size_t *out_bytes, effad_error *e)
{
    *out = NULL;
    *out_bytes = 0;
    if (!px || w <= 0 || h <= 0 || channels <= 0 || (uint64_t)w * (uint64_t)h > IMAGE_MAX_PIXELS)
        return encode(NULL, w, h, channels, 16, out, out_bytes, e);   /* for its message */
    size_t n = (size_t)w * (size_t)h * (size_t)channels;
    uint8_t *be = malloc(2 * n);
    if (!be) return effad_fail(e, EFFAD_ERR_NOMEM, "PNG writer: out of memory");
    for (size_t i = 0; i < n; i++) { be[2 * i] = (uint8_t)(px[i] >> 8); be[2 * i + 1] = (uint8_t)px[i]; }
    effad_status st = encode(be, w, h, channels, 16, out, out_bytes, e);
    free(be);
    return st;
}

/* Writes png (n bytes) atomically and frees it; st is the encoder's status. */
static effad_status write_encoded(const char *path, effad_status st, uint8_t *png, size_t n, effad_error *e)
{
    if (st) { effad_error_prefix(e, path); return st; }
    st = atomic_file_write(path, png, n, e);
    free(png);
    return st;
}

effad_status image_write_png(const char *path, const uint8_t *px, int w, int h, int channels, effad_error *e)
{
    if (!path || !*path) return effad_fail(e, EFFAD_ERR_ARG, "PNG writer: no path");
    uint8_t *png = NULL;
    size_t n = 0;
    effad_status st = image_encode_png(px, w, h, channels, &png, &n, e);
    return write_encoded(path, st, png, n, e);
}

effad_status image_write_png16(const char *path, const uint16_t *px, int w, int h, int channels, effad_error *e)
{
    if (!path || !*path) return effad_fail(e, EFFAD_ERR_ARG, "PNG writer: no path");
    uint8_t *png = NULL;
    size_t n = 0;
    effad_status st = image_encode_png16(px, w, h, channels, &png, &n, e);
    return write_encoded(path, st, png, n, e);
}
