/* Baseline TIFF decoding (TIFF 6.0): the first image of the file, 8- or
 * 16-bit grey (BlackIsZero; WhiteIsZero 8-bit) and RGB, each with an
 * optional alpha sample, chunky or planar, in strips or tiles, uncompressed
 * or compressed with PackBits, LZW or Deflate (with or without the
 * horizontal predictor), either byte order. Everything else is refused with
 * EFFAD_ERR_UNSUPPORTED and the tag and value that asked for it.
 *
 * Samples are kept as the file has them (16-bit stays 16-bit, alpha stays),
 * like PIL 9.4's TiffImagePlugin, which is what the tests compare against.
 * Every offset, count and size is checked against the file before use, and
 * every strip or tile against the most its codec could decode it to before
 * the image is allocated, so a small file cannot ask for a large one. */
#include <stdlib.h>
#include <string.h>
#include "image.h"
#include "tiff-codecs.h"
#include "zlib.h"

/* ------------------------------------------------------------ the file */

typedef struct {
    const uint8_t *b;
    size_t n;
    int big_endian;
    effad_error *e;
} tfile;

static unsigned rd16(const tfile *f, size_t off)
{
    const uint8_t *p = f->b + off;
    return f->big_endian ? (unsigned)p[0] << 8 | p[1] : (unsigned)p[1] << 8 | p[0];
}

static uint32_t rd32(const tfile *f, size_t off)
{
    const uint8_t *p = f->b + off;
    return f->big_endian ? (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]
                         : (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

#define FAIL(...) effad_fail(f->e, EFFAD_ERR_FORMAT, __VA_ARGS__)
#define UNSUPPORTED(...) effad_fail(f->e, EFFAD_ERR_UNSUPPORTED, __VA_ARGS__)

/* ---------------------------------------------------- directory entries */

enum {
    T_WIDTH = 256, T_HEIGHT = 257, T_BITS = 258, T_COMPRESSION = 259, T_PHOTOMETRIC = 262, T_FILL_ORDER = 266,
    T_STRIP_OFFSETS = 273, T_ORIENTATION = 274, T_SAMPLES = 277, T_ROWS_PER_STRIP = 278, T_STRIP_BYTES = 279, T_PLANAR = 284,
    T_PREDICTOR = 317, T_TILE_WIDTH = 322, T_TILE_HEIGHT = 323, T_TILE_OFFSETS = 324, T_TILE_BYTES = 325,
    T_EXTRA = 338, T_SAMPLE_FORMAT = 339
};

static const struct { unsigned tag; const char *name; } tag_names[] = {
    { T_WIDTH, "ImageWidth" }, { T_HEIGHT, "ImageLength" }, { T_BITS, "BitsPerSample" },
    { T_COMPRESSION, "Compression" }, { T_PHOTOMETRIC, "PhotometricInterpretation" },
    { T_FILL_ORDER, "FillOrder" }, { T_STRIP_OFFSETS, "StripOffsets" }, { T_ORIENTATION, "Orientation" },
    { T_SAMPLES, "SamplesPerPixel" },
    { T_ROWS_PER_STRIP, "RowsPerStrip" }, { T_STRIP_BYTES, "StripByteCounts" },
    { T_PLANAR, "PlanarConfiguration" }, { T_PREDICTOR, "Predictor" }, { T_TILE_WIDTH, "TileWidth" },
    { T_TILE_HEIGHT, "TileLength" }, { T_TILE_OFFSETS, "TileOffsets" }, { T_TILE_BYTES, "TileByteCounts" },
    { T_EXTRA, "ExtraSamples" }, { T_SAMPLE_FORMAT, "SampleFormat" },
};
enum { N_TAGS = sizeof tag_names / sizeof tag_names[0] };

static const char *tag_name(unsigned tag)
{
    for (int i = 0; i < N_TAGS; i++)
        if (tag_names[i].tag == tag) return tag_names[i].name;
    return "?";
}

/* One directory entry: its values start at `at` in the file (inline in the
 * entry when they fit in 4 bytes). Only the integer types are read. */
typedef struct { unsigned tag, type; uint32_t count; size_t at; int present; } tentry;

enum { TYPE_BYTE = 1, TYPE_SHORT = 3, TYPE_LONG = 4 };

static unsigned type_bytes(unsigned type)
{
    static const uint8_t bytes[] = { 0, 1, 1, 2, 4, 8, 1, 1, 2, 4, 8, 4, 8 };   /* TIFF 6.0 types 1..12 */
    return type < sizeof bytes ? bytes[type] : 0;
}

/* Value i of an integer entry; the entry was checked by read_ifd. */
static uint32_t value(const tfile *f, const tentry *t, uint32_t i)
{
    switch (t->type) {
    case TYPE_BYTE: return f->b[t->at + i];
    case TYPE_SHORT: return rd16(f, t->at + 2 * (size_t)i);
    default: return rd32(f, t->at + 4 * (size_t)i);
    }
}

/* The entries effad reads, found in the first IFD. Unknown tags are
 * skipped; a tag given twice keeps its first entry (libtiff does too). */
typedef struct { tentry t[N_TAGS]; } tdir;

static tentry *find(tdir *d, unsigned tag)
{
    for (int i = 0; i < N_TAGS; i++)
        if (tag_names[i].tag == tag) return &d->t[i];
    return NULL;
}

static effad_status read_ifd(const tfile *f, size_t off, tdir *d)
{
    memset(d, 0, sizeof *d);
    if (off < 8 || off > f->n || f->n - off < 2) return FAIL("first directory at offset %zu is outside the file", off);
    unsigned count = rd16(f, off);
    if (count == 0) return FAIL("the first directory has no entries");
    /* the entries and the offset of the next directory, which is not
     * followed: effad reads the first image of a multi-page file */
    if ((f->n - off - 2) / 12 < count || f->n - off - 2 - 12 * (size_t)count < 4)
        return FAIL("directory of %u entries at offset %zu runs past the end of the file", count, off);
    for (unsigned i = 0; i < count; i++) {
        size_t e = off + 2 + 12 * (size_t)i;
        unsigned tag = rd16(f, e);
        tentry *t = find(d, tag);
        if (!t || t->present) continue;
        t->tag = tag;
        t->type = rd16(f, e + 2);
        t->count = rd32(f, e + 4);
        /* an orientation effad cannot read is one it does not apply */
        if (tag == T_ORIENTATION && (t->type != TYPE_SHORT || t->count != 1)) { t->tag = 0; continue; }
        if (t->type != TYPE_BYTE && t->type != TYPE_SHORT && t->type != TYPE_LONG)
            return FAIL("tag %u %s has type %u (expected BYTE, SHORT or LONG)", tag, tag_name(tag), t->type);
        if (t->count == 0) return FAIL("tag %u %s has no values", tag, tag_name(tag));
        uint64_t bytes = (uint64_t)type_bytes(t->type) * t->count;
        if (bytes <= 4) t->at = e + 8;
        else {
            uint32_t at = rd32(f, e + 8);
            if (at > f->n || bytes > f->n - at)
                return FAIL("tag %u %s: %u values at offset %u run past the end of the file", tag, tag_name(tag),
                            t->count, at);
            t->at = at;
        }
        t->present = 1;
    }
    return EFFAD_OK;
}

/* The single value of tag, or def when the tag is absent. */
static effad_status get1(const tfile *f, tdir *d, unsigned tag, uint32_t def, int required, uint32_t *v)
{
    tentry *t = find(d, tag);
    if (!t->present) {
        if (required) return FAIL("required tag %u %s is missing", tag, tag_name(tag));
        *v = def;
        return EFFAD_OK;
    }
    *v = value(f, t, 0);
    return EFFAD_OK;
}

/* ------------------------------------------------------------- layout */

typedef struct {
    uint32_t w, h, spp, bits, compression, photometric, planar, predictor;
    int tiled;
    uint32_t cw, ch;              /* chunk (strip or tile) width and height in pixels */
    uint32_t across, down;        /* chunks per plane in each direction */
    uint32_t planes, n_chunks;
    tentry *offsets, *counts;
} tlayout;

static effad_status check_samples(const tfile *f, tdir *d, tlayout *L)
{
    effad_status st;
    uint32_t fill, extra = 0;
    if ((st = get1(f, d, T_SAMPLES, 1, 0, &L->spp)) || (st = get1(f, d, T_PHOTOMETRIC, 0, 1, &L->photometric)) ||
        (st = get1(f, d, T_FILL_ORDER, 1, 0, &fill)) || (st = get1(f, d, T_PLANAR, 1, 0, &L->planar)))
        return st;
    if (L->photometric > 2)
        return UNSUPPORTED("PhotometricInterpretation %u (only 0/1 grey and 2 RGB; not palette, mask, CMYK, YCbCr, "
                           "Lab)", L->photometric);
    unsigned base = L->photometric == 2 ? 3 : 1;
    if (L->spp < base || L->spp > base + 1)
        return UNSUPPORTED("SamplesPerPixel %u with PhotometricInterpretation %u (only %u, or %u with alpha)", L->spp,
                           L->photometric, base, base + 1);
    tentry *bits = find(d, T_BITS), *fmt = find(d, T_SAMPLE_FORMAT), *ex = find(d, T_EXTRA);
    L->bits = bits->present ? value(f, bits, 0) : 1;
    for (uint32_t i = 0; bits->present && i < bits->count && i < L->spp; i++)
        if (value(f, bits, i) != L->bits)
            return UNSUPPORTED("BitsPerSample %u and %u in one image", L->bits, value(f, bits, i));
    if (L->bits != 8 && L->bits != 16) return UNSUPPORTED("BitsPerSample %u (only 8 and 16)", L->bits);
    for (uint32_t i = 0; fmt->present && i < fmt->count && i < L->spp; i++)
        if (value(f, fmt, i) != 1)
            return UNSUPPORTED("SampleFormat %u (only 1, unsigned integers)", value(f, fmt, i));
    if (fill != 1) return UNSUPPORTED("FillOrder %u (only 1)", fill);
    if (L->planar != 1 && L->planar != 2) return UNSUPPORTED("PlanarConfiguration %u (only 1 and 2)", L->planar);
    if (ex->present) {
        if (ex->count != L->spp - base)
            return FAIL("ExtraSamples has %u values for %u extra samples", ex->count, L->spp - base);
        extra = value(f, ex, 0);
    }
    /* 1: premultiplied alpha, which PIL un-premultiplies on conversion */
    if (extra == 1) return UNSUPPORTED("ExtraSamples 1 (associated alpha)");
    if (L->photometric == 0 && (L->bits != 8 || L->spp != 1))
        return UNSUPPORTED("PhotometricInterpretation 0 (WhiteIsZero) with %u samples of %u bits (only 8-bit grey)",
                           L->spp, L->bits);
    return EFFAD_OK;
}

static effad_status check_layout(const tfile *f, tdir *d, tlayout *L)
{
    effad_status st;
    if ((st = get1(f, d, T_WIDTH, 0, 1, &L->w)) || (st = get1(f, d, T_HEIGHT, 0, 1, &L->h))) return st;
    if (L->w == 0 || L->h == 0) return FAIL("bad dimensions %ux%u", L->w, L->h);
    if ((st = image_size_check(L->w, L->h, f->e))) return st;
    if ((st = check_samples(f, d, L))) return st;
    if ((st = get1(f, d, T_COMPRESSION, 1, 0, &L->compression)) || (st = get1(f, d, T_PREDICTOR, 1, 0, &L->predictor)))
        return st;
    if (!tiff_max_decoded_bytes(L->compression, 1))
        return UNSUPPORTED("Compression %u (only 1 none, 5 LZW, 8 and 32946 Deflate, 32773 PackBits)", L->compression);
    if (L->predictor != 1 && L->predictor != 2)
        return UNSUPPORTED("Predictor %u (only 1 none and 2 horizontal differencing)", L->predictor);

    L->tiled = find(d, T_TILE_WIDTH)->present || find(d, T_TILE_OFFSETS)->present;
    if (L->tiled) {
        if ((st = get1(f, d, T_TILE_WIDTH, 0, 1, &L->cw)) || (st = get1(f, d, T_TILE_HEIGHT, 0, 1, &L->ch))) return st;
        if (L->cw == 0 || L->ch == 0) return FAIL("bad tile size %ux%u", L->cw, L->ch);
        if ((uint64_t)L->cw * L->ch > IMAGE_MAX_PIXELS)
            return UNSUPPORTED("tiles of %ux%u are more than %u pixels", L->cw, L->ch, IMAGE_MAX_PIXELS);
        L->offsets = find(d, T_TILE_OFFSETS);
        L->counts = find(d, T_TILE_BYTES);
    } else {
        uint32_t rps;
        if ((st = get1(f, d, T_ROWS_PER_STRIP, 0xFFFFFFFFu, 0, &rps))) return st;
        if (rps == 0) return FAIL("RowsPerStrip 0");
        L->cw = L->w;
        L->ch = rps < L->h ? rps : L->h;
        L->offsets = find(d, T_STRIP_OFFSETS);
        L->counts = find(d, T_STRIP_BYTES);
    }
    if (!L->offsets->present) return FAIL("required tag %s is missing", L->tiled ? "324 TileOffsets" : "273 StripOffsets");
    if (!L->counts->present)
        return FAIL("required tag %s is missing", L->tiled ? "325 TileByteCounts" : "279 StripByteCounts");
    /* both <= 2^28 pixels: no overflow in 64 bits */
    L->across = (uint32_t)(((uint64_t)L->w + L->cw - 1) / L->cw);
    L->down = (uint32_t)(((uint64_t)L->h + L->ch - 1) / L->ch);
    L->planes = L->planar == 2 ? L->spp : 1;
    uint64_t n = (uint64_t)L->across * L->down * L->planes;
    if (L->offsets->count != n || L->counts->count != n)
        return FAIL("%s: %u offsets and %u byte counts for the %llu %s the image needs",
                    L->tiled ? "tiles" : "strips", L->offsets->count, L->counts->count, (unsigned long long)n,
                    L->tiled ? "tiles" : "strips");
    L->n_chunks = (uint32_t)n;
    return EFFAD_OK;
}

/* Samples per pixel inside one chunk, and its decoded bytes: strips hold
 * only the rows left at the bottom, tiles are always whole. */
static unsigned chunk_spc(const tlayout *L) { return L->planar == 2 ? 1 : L->spp; }

static uint64_t chunk_bytes(const tlayout *L, uint32_t k)
{
    uint32_t row = k % (L->across * L->down) / L->across;
    uint64_t rows = L->tiled ? L->ch : (L->h - (uint64_t)row * L->ch < L->ch ? L->h - (uint64_t)row * L->ch : L->ch);
    return rows * L->cw * chunk_spc(L) * (L->bits / 8);
}

/* Every chunk lies inside the file and can decode to its size. */
static effad_status check_chunks(const tfile *f, const tlayout *L, uint64_t *largest)
{
    const char *kind = L->tiled ? "tile" : "strip";
    *largest = 0;
    for (uint32_t k = 0; k < L->n_chunks; k++) {
        uint32_t at = value(f, L->offsets, k), n = value(f, L->counts, k);
        uint64_t need = chunk_bytes(L, k);
        if (at > f->n || n > f->n - at)
            return FAIL("%s %u: %u bytes at offset %u run past the end of the file", kind, k, n, at);
        if (tiff_max_decoded_bytes(L->compression, n) < need)
            return FAIL("%s %u: %u bytes of compression-%u data cannot hold the %llu bytes it must decode to", kind,
                        k, n, L->compression, (unsigned long long)need);
        if (need > *largest) *largest = need;
    }
    return EFFAD_OK;
}

/* ------------------------------------------------------------- decode */

static int host_big_endian(void)
{
    const uint16_t one = 1;
    return *(const uint8_t *)&one == 0;
}

static effad_status decode_chunk(const tfile *f, const tlayout *L, uint32_t k, uint8_t *buf, size_t need)
{
    const uint8_t *src = f->b + value(f, L->offsets, k);
    size_t n = value(f, L->counts, k);
    switch (L->compression) {
    case 1: memcpy(buf, src, need); return EFFAD_OK;
    case 5: return tiff_lzw_decode(src, n, buf, need, f->e);
    case 8: case 32946: return zlib_inflate(src, n, buf, need, f->e);
    default: return tiff_packbits_decode(src, n, buf, need, f->e);
    }
}

/* Copies chunk k (decoded, samples native) into the image. */
static void place_chunk(const tlayout *L, uint32_t k, const uint8_t *buf, effad_image *img)
{
    uint32_t per_plane = L->across * L->down, plane = k / per_plane, i = k % per_plane;
    uint32_t x0 = i % L->across * L->cw, y0 = i / L->across * L->ch;
    uint32_t cols = L->w - x0 < L->cw ? L->w - x0 : L->cw, rows = L->h - y0 < L->ch ? L->h - y0 : L->ch;
    unsigned spc = chunk_spc(L), spp = L->spp;
    if (L->planar != 2) {   /* chunky: each row of the chunk is a run of one of the image's */
        const size_t bps = L->bits / 8, run = (size_t)cols * spp * bps;
        for (uint32_t r = 0; r < rows; r++) {
            uint8_t *dst = (uint8_t *)img->px + ((size_t)(y0 + r) * L->w + x0) * spp * bps;
            const uint8_t *src = buf + (size_t)r * L->cw * spc * bps;
            if (L->bits == 8 && L->photometric == 0)
                for (size_t j = 0; j < run; j++) dst[j] = (uint8_t)(255 - src[j]);
            else memcpy(dst, src, run);
        }
        return;
    }
    for (uint32_t r = 0; r < rows; r++)
        for (uint32_t c = 0; c < cols; c++)
            for (unsigned s = 0; s < spc; s++) {
                size_t from = ((size_t)r * L->cw + c) * spc + s;
                size_t to = (((size_t)(y0 + r) * L->w + x0 + c) * spp) + (L->planar == 2 ? plane : s);
                if (L->bits == 16) ((uint16_t *)img->px)[to] = ((const uint16_t *)buf)[from];
                else ((uint8_t *)img->px)[to] = L->photometric == 0 ? (uint8_t)(255 - buf[from]) : buf[from];
            }
}

static effad_status decode(const tfile *f, effad_image *img)
{
    if (f->n < 8) return FAIL("truncated header");
    if (rd16(f, 2) == 43) return UNSUPPORTED("BigTIFF");
    if (rd16(f, 2) != 42) return FAIL("bad version %u (expected 42)", rd16(f, 2));
    tdir d;
    tlayout L;
    uint64_t largest;
    effad_status st;
    if ((st = read_ifd(f, rd32(f, 4), &d)) || (st = check_layout(f, &d, &L)) ||
        (st = check_chunks(f, &L, &largest)))
        return st;
    if (largest > SIZE_MAX / 2) return UNSUPPORTED("a %llu-byte strip", (unsigned long long)largest);
    uint8_t *buf = malloc(largest ? (size_t)largest : 1);
    if (!buf) return effad_fail(f->e, EFFAD_ERR_NOMEM, "out of memory for a %llu-byte strip", (unsigned long long)largest);
    if ((st = image_alloc(img, (int)L.w, (int)L.h, (int)L.spp, (int)L.bits, "TIFF", f->e))) { free(buf); return st; }
    /* the predictor is part of the LZW and Deflate codecs in libtiff,
     * which is why the tag means nothing to PackBits or raw data */
    int predict = L.predictor == 2 && (L.compression == 5 || L.compression == 8 || L.compression == 32946);
    int swap = L.bits == 16 && f->big_endian != host_big_endian();
    for (uint32_t k = 0; k < L.n_chunks && !st; k++) {
        size_t need = (size_t)chunk_bytes(&L, k);
        if ((st = decode_chunk(f, &L, k, buf, need))) {
            effad_error where;
            effad_fail(&where, st, "%s %u", L.tiled ? "tile" : "strip", k);
            effad_error_prefix(f->e, where.msg);
            break;
        }
        if (swap)
            for (size_t i = 0; i + 1 < need; i += 2) { uint8_t t = buf[i]; buf[i] = buf[i + 1]; buf[i + 1] = t; }
        if (predict) tiff_undo_horizontal(buf, need / ((size_t)L.cw * chunk_spc(&L) * (L.bits / 8)), L.cw,
                                          chunk_spc(&L), L.bits);
        place_chunk(&L, k, buf, img);
    }
    free(buf);
    uint32_t orientation;
    if (!st) st = get1(f, &d, T_ORIENTATION, 0, 0, &orientation);
    if (st) image_free(img);
    else img->orientation = orientation >= 1 && orientation <= 8 ? (int)orientation : 0;   /* the TIFF's own tag */
    return st;
}

effad_status image_decode_tiff(const uint8_t *b, size_t n, effad_image *img, effad_error *e)
{
    memset(img, 0, sizeof *img);
    tfile f = { b, n, 0, e };
    effad_status st;
    if (n < 4 || !((b[0] == 'I' && b[1] == 'I') || (b[0] == 'M' && b[1] == 'M')))
        st = effad_fail(e, EFFAD_ERR_FORMAT, "bad signature");
    else {
        f.big_endian = b[0] == 'M';
        st = decode(&f, img);
    }
    if (st) effad_error_prefix(e, "TIFF");
    return st;
}
