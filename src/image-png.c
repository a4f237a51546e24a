/* PNG decoding (PNG spec, ISO/IEC 15948): every colour type and bit depth
 * the spec allows, Adam7, all five filters, IDAT split anywhere, the CRC of
 * every chunk and the zlib Adler-32 checked. Output conventions (sub-byte
 * grey scaled, palette expanded, 16-bit kept) are described in image.h. */
#include <stdlib.h>
#include <string.h>
#include "checksum.h"
#include "big-buffer.h"
#include "exif.h"
#include "image.h"
#include "pixel-kernels.h"
#include "zlib.h"

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

typedef struct {
    uint32_t w, h;
    int depth, ctype, interlace;
    int samples;            /* per pixel in the file: 1, 2, 3 or 4 */
    int bits_pp;            /* bits per pixel in the file */
    uint8_t plte[256][4];   /* RGBA; alpha 255 unless tRNS says otherwise */
    int plte_n, has_trns;
    int exif_seen, orientation;   /* the first eXIf's orientation (exif.h) */
} png_info;

/* Adam7 pass origins and steps (PNG spec 8.2). */
static const int a7_x0[7] = { 0, 4, 0, 2, 0, 1, 0 }, a7_dx[7] = { 8, 8, 4, 4, 2, 2, 1 };
static const int a7_y0[7] = { 0, 0, 4, 0, 2, 0, 1 }, a7_dy[7] = { 8, 8, 8, 4, 4, 2, 2 };

static uint64_t pass_size(uint32_t len, int x0, int dx) { return len > (uint32_t)x0 ? (len - x0 + dx - 1) / dx : 0; }
static uint64_t row_bytes(const png_info *p, uint64_t pw) { return (pw * (uint64_t)p->bits_pp + 7) / 8; }

/* Undoes the filter of one row in place; prev is the unfiltered previous
 * row of the same pass, or NULL for the first. The first row and the first
 * pixel of a row, where the spec's missing neighbours are 0, get loops of
 * their own, so that the loops over the rest test nothing per byte (the
 * unfiltering was half of a 256x256 RGB image's decode): for the first
 * row Average adds a / 2 and Paeth (b = c = 0) picks a, as Sub does; for
 * the first pixel Paeth (a = c = 0) picks b, as Up does. */
static int unfilter(uint8_t *row, const uint8_t *prev, size_t n, int ftype, size_t bpp)
{
    size_t i;
    if (ftype < 0 || ftype > 4) return -1;
    if (!prev) {   /* the first row */
        if (ftype == 1 || ftype == 4) for (i = bpp; i < n; i++) row[i] = (uint8_t)(row[i] + row[i - bpp]);
        if (ftype == 3) for (i = bpp; i < n; i++) row[i] = (uint8_t)(row[i] + (row[i - bpp] >> 1));
        return 0;
    }
    const size_t first = bpp < n ? bpp : n;
    switch (ftype) {
    case 0: break;
    case 1: for (i = bpp; i < n; i++) row[i] = (uint8_t)(row[i] + row[i - bpp]); break;
    case 2:
        /* eight bytes at a time: each byte's sum mod 256 is the sum of its
         * low seven bits plus the xor of the top ones, no carry crossing
         * a byte (the rows do not overlap: adopt_rows) */
        for (i = 0; i + 8 <= n; i += 8) {
            const uint64_t top = 0x8080808080808080u;
            uint64_t a, b;
            memcpy(&a, row + i, 8);
            memcpy(&b, prev + i, 8);
            a = ((a & ~top) + (b & ~top)) ^ ((a ^ b) & top);
            memcpy(row + i, &a, 8);
        }
        for (; i < n; i++) row[i] = (uint8_t)(row[i] + prev[i]);
        break;
    case 3:
        for (i = 0; i < first; i++) row[i] = (uint8_t)(row[i] + (prev[i] >> 1));
        for (; i < n; i++) row[i] = (uint8_t)(row[i] + ((row[i - bpp] + prev[i]) >> 1));
        break;
    case 4:
        for (i = 0; i < first; i++) row[i] = (uint8_t)(row[i] + prev[i]);
        pixel_kernels_best()->png_paeth(row, prev, n, bpp);
        break;
    }
    return 0;
}

/* 8-bit grey, grey+alpha, RGB or RGBA without interlace: the inflated
 * rows are the image's rows, each behind its filter byte. They are
 * unfiltered where they lie and moved down over the filter bytes (row y
 * from y * (rb + 1) + 1 to y * rb: the row above, which it reads, already
 * sits below it), so the buffer becomes the image instead of being copied
 * into a second one -- a 48-megapixel RGB PNG needed its 144 MB twice. On
 * success img owns buf. */
static effad_status adopt_rows(const png_info *p, uint8_t *buf, size_t bpp, effad_image *img, effad_error *e)
{
    const size_t rb = (size_t)row_bytes(p, p->w);
    const uint8_t *prev = NULL;
    for (uint32_t y = 0; y < p->h; y++) {
        uint8_t *raw = buf + (size_t)y * (rb + 1), *row = buf + (size_t)y * rb;
        if (unfilter(raw + 1, prev, rb, raw[0], bpp))
            return effad_fail(e, EFFAD_ERR_FORMAT, "pass 0 row %u: bad filter type %d", (unsigned)y, raw[0]);
        memmove(row, raw + 1, rb);
        prev = row;
    }
    uint8_t *px = realloc(buf, (size_t)p->h * rb);   /* shrinks by the h filter bytes */
    memset(img, 0, sizeof *img);
    img->px = px ? px : buf;
    img->w = (int)p->w;
    img->h = (int)p->h;
    img->channels = p->samples;
    img->bit_depth = 8;
    return EFFAD_OK;
}

/* Stores file pixel x of an unfiltered row at output pixel (ox, oy). */
static void put_pixel(const png_info *p, effad_image *img, const uint8_t *row, uint64_t x, uint32_t ox, uint32_t oy)
{
    size_t o = ((size_t)oy * p->w + ox) * (size_t)img->channels;
    if (p->depth == 16) {
        uint16_t *d = (uint16_t *)img->px + o;
        const uint8_t *s = row + x * 2 * p->samples;
        for (int c = 0; c < p->samples; c++) d[c] = (uint16_t)(s[2 * c] << 8 | s[2 * c + 1]);
        return;
    }
    uint8_t *d = (uint8_t *)img->px + o;
    if (p->depth == 8 && p->ctype != 3) {
        memcpy(d, row + x * p->samples, (size_t)p->samples);
        return;
    }
    unsigned v;
    if (p->depth == 8) v = row[x];
    else {
        uint64_t bit = x * (uint64_t)p->depth;
        v = (row[bit / 8] >> (8 - p->depth - bit % 8)) & ((1u << p->depth) - 1);
    }
    if (p->ctype == 3) {
        /* An index past PLTE is an error by the spec; PIL shows black, and
         * a detector gains nothing from refusing the image. */
        static const uint8_t black[4] = { 0, 0, 0, 255 };
        const uint8_t *c = (int)v < p->plte_n ? p->plte[v] : black;
        memcpy(d, c, (size_t)img->channels);
    } else {
        d[0] = (uint8_t)(v * 255 / ((1u << p->depth) - 1));   /* PIL's "1", "L;2", "L;4" */
    }
}

static effad_status read_ihdr(png_info *p, const uint8_t *d, uint32_t len, effad_error *e)
{
    if (len != 13) return effad_fail(e, EFFAD_ERR_FORMAT, "IHDR is %u bytes, not 13", (unsigned)len);
    p->w = be32(d);
    p->h = be32(d + 4);
    p->depth = d[8];
    p->ctype = d[9];
    p->interlace = d[12];
    if (p->w == 0 || p->h == 0 || p->w > 0x7FFFFFFFu || p->h > 0x7FFFFFFFu)
        return effad_fail(e, EFFAD_ERR_FORMAT, "bad dimensions %ux%u", (unsigned)p->w, (unsigned)p->h);
    int ok;
    switch (p->ctype) {
    case 0: p->samples = 1; ok = p->depth == 1 || p->depth == 2 || p->depth == 4 || p->depth == 8 || p->depth == 16; break;
    case 2: p->samples = 3; ok = p->depth == 8 || p->depth == 16; break;
    case 3: p->samples = 1; ok = p->depth == 1 || p->depth == 2 || p->depth == 4 || p->depth == 8; break;
    case 4: p->samples = 2; ok = p->depth == 8 || p->depth == 16; break;
    case 6: p->samples = 4; ok = p->depth == 8 || p->depth == 16; break;
    default: return effad_fail(e, EFFAD_ERR_FORMAT, "bad colour type %d", p->ctype);
    }
    if (!ok) return effad_fail(e, EFFAD_ERR_FORMAT, "bit depth %d not allowed for colour type %d", p->depth, p->ctype);
    if (d[10] != 0) return effad_fail(e, EFFAD_ERR_FORMAT, "unknown compression method %d", d[10]);
    if (d[11] != 0) return effad_fail(e, EFFAD_ERR_FORMAT, "unknown filter method %d", d[11]);
    if (p->interlace > 1) return effad_fail(e, EFFAD_ERR_FORMAT, "unknown interlace method %d", p->interlace);
    p->bits_pp = p->samples * p->depth;
    return EFFAD_OK;
}

/* The IDAT chunks, in file order, as zlib_inflate_pieces' input: read
 * where they lie (a noisy 48-megapixel PNG's were a 77 MB copy, joined).
 * The chunk walk has been checked once already: lengths, CRCs, IEND. */
typedef struct { const uint8_t *b; size_t n, pos; } idat_walk;
static int next_idat(void *ctx, const uint8_t **data, size_t *len)
{
    idat_walk *w = ctx;
    while (w->n - w->pos >= 12) {
        const uint8_t *c = w->b + w->pos;
        const size_t l = be32(c);
        w->pos += l + 12;
        if (!memcmp(c + 4, "IDAT", 4)) {
            *data = c + 8;
            *len = l;
            return 1;
        }
        if (!memcmp(c + 4, "IEND", 4)) break;
    }
    return 0;
}

static effad_status decode(const uint8_t *b, size_t n, effad_image *img, effad_error *e)
{
    static const uint8_t sig[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n' };
    if (n < 8 || memcmp(b, sig, 8)) return effad_fail(e, EFFAD_ERR_FORMAT, "bad signature");
    png_info p;
    memset(&p, 0, sizeof p);
    int seen_ihdr = 0, seen_iend = 0;
    size_t idat_len = 0, first_idat = 0;   /* all IDAT data; the first IDAT chunk's offset */
    effad_status st = EFFAD_OK;
    size_t pos = 8;

    while (!seen_iend) {
        if (n - pos < 12) {
            st = effad_fail(e, EFFAD_ERR_FORMAT, "truncated: %s", seen_ihdr ? "no IEND chunk" : "no IHDR chunk");
            goto done;
        }
        uint32_t len = be32(b + pos);
        char type[5];
        memcpy(type, b + pos + 4, 4);
        type[4] = '\0';
        for (int i = 0; i < 4; i++)
            if (!((type[i] >= 'A' && type[i] <= 'Z') || (type[i] >= 'a' && type[i] <= 'z'))) {
                st = effad_fail(e, EFFAD_ERR_FORMAT, "bad chunk type at offset %zu", pos + 4);
                goto done;
            }
        if (len > 0x7FFFFFFFu || len > n - pos - 12) {
            st = effad_fail(e, EFFAD_ERR_FORMAT, "chunk %s: length %u runs past the end of the file", type, (unsigned)len);
            goto done;
        }
        const uint8_t *data = b + pos + 8;
        uint32_t want = be32(data + len), got = crc32_update(0, b + pos + 4, (size_t)len + 4);
        if (want != got) {
            st = effad_fail(e, EFFAD_ERR_FORMAT, "chunk %s: CRC mismatch (stored 0x%x, computed 0x%x)", type,
                            (unsigned)want, (unsigned)got);
            goto done;
        }
        pos += (size_t)len + 12;
        if (!seen_ihdr && strcmp(type, "IHDR")) {
            st = effad_fail(e, EFFAD_ERR_FORMAT, "first chunk is %s, not IHDR", type);
            goto done;
        }
        if (!strcmp(type, "IHDR")) {
            if (seen_ihdr) { st = effad_fail(e, EFFAD_ERR_FORMAT, "second IHDR chunk"); goto done; }
            seen_ihdr = 1;
            if ((st = read_ihdr(&p, data, len, e))) goto done;
            if ((st = image_size_check(p.w, p.h, e))) goto done;
        } else if (!strcmp(type, "PLTE")) {
            if (len % 3 || len == 0 || len > 768) {
                st = effad_fail(e, EFFAD_ERR_FORMAT, "PLTE of %u bytes (need 3..768, a multiple of 3)", (unsigned)len);
                goto done;
            }
            p.plte_n = (int)(len / 3);
            for (int i = 0; i < p.plte_n; i++) {
                memcpy(p.plte[i], data + 3 * i, 3);
                p.plte[i][3] = 255;
            }
        } else if (!strcmp(type, "tRNS")) {
            if (p.ctype == 3) {
                if (len > 256) {
                    st = effad_fail(e, EFFAD_ERR_FORMAT, "tRNS of %u bytes for a palette", (unsigned)len);
                    goto done;
                }
                for (uint32_t i = 0; i < len; i++) p.plte[i][3] = data[i];
                p.has_trns = 1;
            }
            /* grey/RGB colour keys: PIL's convert('RGB') ignores them too */
        } else if (!strcmp(type, "IDAT")) {
            if (!idat_len) first_idat = (size_t)(data - 8 - b);
            idat_len += len;
        } else if (!strcmp(type, "eXIf")) {
            /* a bare TIFF structure (PNG 1.2 extensions, 3.7); libpng
             * refuses one behind "Exif\0\0", so cv2.imread does */
            if (!p.exif_seen++) p.orientation = exif_orientation(data, len);
        } else if (!strcmp(type, "IEND")) {
            seen_iend = 1;
        } else if (!(type[0] & 0x20)) {
            st = effad_fail(e, EFFAD_ERR_UNSUPPORTED, "unknown critical chunk %s", type);
            goto done;
        }
    }
    if (p.ctype == 3 && p.plte_n == 0) { st = effad_fail(e, EFFAD_ERR_FORMAT, "palette image without PLTE"); goto done; }
    if (idat_len == 0) { st = effad_fail(e, EFFAD_ERR_FORMAT, "no IDAT chunk"); goto done; }

    /* Raw size of all passes, in 64 bits: w, h < 2^31 and w*h <= 2^28
     * already, so this cannot overflow and fits size_t on 64-bit hosts. */
    uint64_t raw = 0;
    int passes = p.interlace ? 7 : 1;
    for (int k = 0; k < passes; k++) {
        uint64_t pw = p.interlace ? pass_size(p.w, a7_x0[k], a7_dx[k]) : p.w;
        uint64_t ph = p.interlace ? pass_size(p.h, a7_y0[k], a7_dy[k]) : p.h;
        if (pw && ph) raw += ph * (1 + row_bytes(&p, pw));
    }
    if (raw > SIZE_MAX) { st = effad_fail(e, EFFAD_ERR_UNSUPPORTED, "image too large for this machine"); goto done; }
    /* DEFLATE expands at most 1032 times (a 258-byte match in two bits of
     * code): a header that needs more than that from the IDAT data at hand
     * is refused before the buffer is allocated, so a 60-byte file cannot
     * ask for gigabytes */
    if (raw / 1032 > idat_len) {
        st = effad_fail(e, EFFAD_ERR_FORMAT, "%ux%u needs %llu bytes of pixel data, more than %zu bytes of IDAT can hold",
                        (unsigned)p.w, (unsigned)p.h, (unsigned long long)raw, idat_len);
        goto done;
    }
    uint8_t *buf = big_buffer((size_t)raw);   /* the filtered rows: often tens of MB, on huge pages (big-buffer.h) */
    if (!buf) { st = effad_fail(e, EFFAD_ERR_NOMEM, "out of memory for %llu bytes", (unsigned long long)raw); goto done; }
    idat_walk walk = { b, n, first_idat };
    if ((st = zlib_inflate_pieces(NULL, 0, next_idat, &walk, buf, (size_t)raw, e))) {
        effad_error_prefix(e, "IDAT");
        free(buf);
        goto done;
    }

    size_t bpp = (size_t)(p.bits_pp + 7) / 8;   /* filter distance: bytes per pixel, at least 1 */
    if (!p.interlace && p.depth == 8 && p.ctype != 3) {
        if ((st = adopt_rows(&p, buf, bpp, img, e))) free(buf);
        goto done;
    }
    int out_c = p.ctype == 3 ? (p.has_trns ? 4 : 3) : p.samples;
    if ((st = image_alloc(img, (int)p.w, (int)p.h, out_c, p.depth == 16 ? 16 : 8, "PNG", e))) { free(buf); goto done; }
    uint8_t *q = buf;
    for (int k = 0; k < passes; k++) {
        uint32_t x0 = p.interlace ? (uint32_t)a7_x0[k] : 0, dx = p.interlace ? (uint32_t)a7_dx[k] : 1;
        uint32_t y0 = p.interlace ? (uint32_t)a7_y0[k] : 0, dy = p.interlace ? (uint32_t)a7_dy[k] : 1;
        uint64_t pw = pass_size(p.w, (int)x0, (int)dx), ph = pass_size(p.h, (int)y0, (int)dy);
        if (!pw || !ph) continue;
        size_t rb = (size_t)row_bytes(&p, pw);
        const uint8_t *prev = NULL;
        for (uint64_t y = 0; y < ph; y++) {
            uint8_t *row = q + 1;
            if (unfilter(row, prev, rb, q[0], bpp)) {
                st = effad_fail(e, EFFAD_ERR_FORMAT, "pass %d row %llu: bad filter type %d", k,
                                (unsigned long long)y, q[0]);
                free(buf);
                image_free(img);
                goto done;
            }
            for (uint64_t x = 0; x < pw; x++)
                put_pixel(&p, img, row, x, (uint32_t)(x0 + x * dx), (uint32_t)(y0 + y * dy));
            prev = row;
            q += rb + 1;
        }
    }
    free(buf);
done:
    if (!st) {
        img->orientation = p.orientation;
        img->orientation_exif = 1;
    }
    return st;
}

effad_status image_decode_png(const uint8_t *b, size_t n, effad_image *img, effad_error *e)
{
    memset(img, 0, sizeof *img);
    effad_status st = decode(b, n, img, e);
    if (st) effad_error_prefix(e, "PNG");
    return st;
}
