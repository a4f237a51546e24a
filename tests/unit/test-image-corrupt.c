/* Hostile and broken inputs: every prefix of several fixtures, seeded
 * random byte flips, and hand-made defects (bad CRC, bad zlib header, bad
 * filter, zero and huge dimensions, unsupported variants). Each must give
 * a specific error -- or, for flips, at worst a valid image -- and never a
 * crash; `make asan` runs this under AddressSanitizer and UBSan. */
#include "image-test-util.h"
#include "checksum.h"
#include "image.h"
#include "zlib.h"

#define DIR "tests/data/images/"

/* ------------------------------------------------------ PNG surgery */

static uint32_t be32(const uint8_t *p) { return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]; }
static void put32(uint8_t *p, uint32_t v) { p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v; }

static size_t find_chunk(const uint8_t *b, size_t n, const char *type)
{
    for (size_t pos = 8; pos + 12 <= n; pos += be32(b + pos) + 12)
        if (!memcmp(b + pos + 4, type, 4)) return pos;
    return 0;
}

static void fix_crc(uint8_t *b, size_t pos)
{
    uint32_t len = be32(b + pos);
    put32(b + pos + 8 + len, crc32_update(0, b + pos + 4, len + 4));
}

static effad_status decode_msg(const uint8_t *b, size_t n, effad_error *e)
{
    effad_image img;
    effad_status st = image_decode(b, n, &img, e);
    image_free(&img);
    return st;
}

/* A PNG around raw (already filtered) scanlines. */
static uint8_t *make_png(int w, int h, int ctype, int depth, const uint8_t *raw, size_t raw_n, size_t *n)
{
    uint8_t *z;
    size_t zn;
    effad_error e;
    zlib_deflate(raw, raw_n, &z, &zn, &e);
    uint8_t *b = malloc(8 + 25 + zn + 12 + 12);
    memcpy(b, "\x89PNG\r\n\x1a\n", 8);
    put32(b + 8, 13); memcpy(b + 12, "IHDR", 4);
    put32(b + 16, (uint32_t)w); put32(b + 20, (uint32_t)h);
    b[24] = (uint8_t)depth; b[25] = (uint8_t)ctype; b[26] = b[27] = b[28] = 0;
    fix_crc(b, 8);
    put32(b + 33, (uint32_t)zn); memcpy(b + 37, "IDAT", 4); memcpy(b + 41, z, zn);
    fix_crc(b, 33);
    size_t p = 41 + zn + 4;
    put32(b + p, 0); memcpy(b + p + 4, "IEND", 4); fix_crc(b, p);
    *n = p + 12;
    free(z);
    return b;
}

/* The IDAT data of a PNG re-cut into chunks of `size` bytes (1 .. 3 in
 * turn when size is 0), an empty IDAT and a tEXt chunk among them: the
 * decoder inflates them where they lie (image-png.c), so every cut, an
 * empty piece and a chunk between pieces must give the same pixels. */
static uint8_t *recut_idat(const uint8_t *orig, size_t n, size_t size, size_t *out_n)
{
    size_t zn, first;
    uint8_t *z = png_idat_joined(orig, n, &zn, &first), *b = malloc(n * 40 + 256);
    memcpy(b, orig, first);   /* signature, IHDR and whatever came before the data */
    size_t o = first, k = 0;
    for (size_t at = 0; at < zn; k++) {
        size_t m = size ? size : 1 + k % 3;
        if (m > zn - at) m = zn - at;
        put32(b + o, (uint32_t)m); memcpy(b + o + 4, "IDAT", 4); memcpy(b + o + 8, z + at, m); fix_crc(b, o);
        o += m + 12;
        at += m;
        if (k == 2) { put32(b + o, 0); memcpy(b + o + 4, "IDAT", 4); fix_crc(b, o); o += 12; }
        if (k == 5) { put32(b + o, 3); memcpy(b + o + 4, "tEXt", 4); memcpy(b + o + 8, "a\0b", 3); fix_crc(b, o); o += 15; }
    }
    put32(b + o, 0); memcpy(b + o + 4, "IEND", 4); fix_crc(b, o);
    *out_n = o + 12;
    free(z);
    return b;
}

static void png_idat_pieces(void)
{
    static const char *const names[] = { "png-c2-d8.png", "png-stored.png", "png-fixed.png", "png-c6-d16-i.png" };
    for (size_t f = 0; f < sizeof names / sizeof *names; f++) {
        size_t n;
        uint8_t *orig = load(names[f], &n);
        if (!orig) continue;
        effad_error e = { 0 };
        effad_image want, got;
        CHECK(image_decode(orig, n, &want, &e) == EFFAD_OK);
        const size_t bytes = (size_t)want.w * want.h * want.channels * (want.bit_depth / 8);
        for (size_t size = 0; size < 12; size += size < 3 ? 1 : 8) {
            size_t m;
            uint8_t *b = recut_idat(orig, n, size, &m);
            CHECK_MSG(image_decode(b, m, &got, &e) == EFFAD_OK, "%s cut in %zu-byte IDATs: %.200s", names[f], size,
                      e.msg);
            CHECK_MSG(got.px && !memcmp(got.px, want.px, bytes), "%s cut in %zu-byte IDATs: other pixels", names[f],
                      size);
            image_free(&got);
            free(b);
        }
        image_free(&want);
        free(orig);
    }
}

static void png_defects(void)
{
    effad_error e = { 0 };
    size_t n;
    uint8_t *orig = load("png-c2-d8.png", &n), *b = malloc(n + 64);
    if (!orig) return;
    size_t ihdr = find_chunk(orig, n, "IHDR"), idat = find_chunk(orig, n, "IDAT");
    CHECK(ihdr == 8 && idat > 0);

    memcpy(b, orig, n); b[ihdr + 8 + 13] ^= 1;            /* IHDR's CRC */
    CHECK_EQ_INT(decode_msg(b, n, &e), EFFAD_ERR_FORMAT);
    CHECK_HAS(e.msg, "PNG: chunk IHDR: CRC mismatch");
    memcpy(b, orig, n); b[idat + 8 + 3] ^= 0x10;          /* a byte inside IDAT */
    CHECK_EQ_INT(decode_msg(b, n, &e), EFFAD_ERR_FORMAT);
    CHECK_HAS(e.msg, "chunk IDAT: CRC mismatch");
    memcpy(b, orig, n); b[idat + 8] = 0x79; fix_crc(b, idat);   /* zlib CMF: window 2^15, check fails */
    CHECK_EQ_INT(decode_msg(b, n, &e), EFFAD_ERR_FORMAT);
    CHECK_HAS(e.msg, "IDAT: bad zlib header");
    memcpy(b, orig, n); b[idat + 8] = 0x88; fix_crc(b, idat);   /* window 2^16 */
    CHECK_EQ_INT(decode_msg(b, n, &e), EFFAD_ERR_FORMAT);
    CHECK_HAS(e.msg, "bad zlib header");

    memcpy(b, orig, n); put32(b + 16, 0); fix_crc(b, 8);
    CHECK_EQ_INT(decode_msg(b, n, &e), EFFAD_ERR_FORMAT);
    CHECK_HAS(e.msg, "bad dimensions 0x13");
    memcpy(b, orig, n); put32(b + 20, 0x80000000u); fix_crc(b, 8);
    CHECK_EQ_INT(decode_msg(b, n, &e), EFFAD_ERR_FORMAT);
    CHECK_HAS(e.msg, "bad dimensions");
    memcpy(b, orig, n); put32(b + 16, 100000); put32(b + 20, 100000); fix_crc(b, 8);
    CHECK_EQ_INT(decode_msg(b, n, &e), EFFAD_ERR_UNSUPPORTED);
    CHECK_HAS(e.msg, "100000x100000 is more than 268435456 pixels");
    memcpy(b, orig, n); b[24] = 4; fix_crc(b, 8);              /* RGB at 4 bits */
    CHECK_EQ_INT(decode_msg(b, n, &e), EFFAD_ERR_FORMAT);
    CHECK_HAS(e.msg, "bit depth 4 not allowed for colour type 2");
    memcpy(b, orig, n); b[28] = 2; fix_crc(b, 8);
    CHECK_EQ_INT(decode_msg(b, n, &e), EFFAD_ERR_FORMAT);
    CHECK_HAS(e.msg, "unknown interlace method 2");

    /* an unknown critical chunk before IDAT; an unknown ancillary one is fine */
    memcpy(b, orig, idat);
    put32(b + idat, 0); memcpy(b + idat + 4, "ABCD", 4); fix_crc(b, idat);
    memcpy(b + idat + 12, orig + idat, n - idat);
    CHECK_EQ_INT(decode_msg(b, n + 12, &e), EFFAD_ERR_UNSUPPORTED);
    CHECK_HAS(e.msg, "unknown critical chunk ABCD");
    b[idat + 4] = 'a'; fix_crc(b, idat);
    CHECK_EQ_INT(decode_msg(b, n + 12, &e), EFFAD_OK);

    /* IEND missing; nothing after the signature */
    size_t iend = find_chunk(orig, n, "IEND");
    CHECK_EQ_INT(decode_msg(orig, iend, &e), EFFAD_ERR_FORMAT);
    CHECK_HAS(e.msg, "no IEND chunk");
    CHECK_EQ_INT(decode_msg(orig, 8, &e), EFFAD_ERR_FORMAT);
    CHECK_HAS(e.msg, "no IHDR chunk");
    /* flips inside the compressed data with the CRC made right again:
     * inflate and the unfilter see garbage, not the CRC check */
    int refused = 0;
    for (int t = 0; t < 500; t++) {
        memcpy(b, orig, n);
        uint32_t len = be32(b + idat);
        for (int f = 0; f < 1 + (int)(rnd() % 3); f++) b[idat + 8 + rnd() % len] ^= (uint8_t)(1u << (rnd() % 8));
        fix_crc(b, idat);
        if (try_decode(b, n, &e) != EFFAD_OK) refused++;
    }
    printf("  png-c2-d8.png, 500 IDAT flips with CRC fixed: %d refused\n", refused);
    CHECK(refused > 400);   /* the Adler-32 catches nearly everything */
    free(b);
    free(orig);

    /* scanline-level defects, built around our own deflater */
    uint8_t raw[3 * (1 + 4 * 3)];
    memset(raw, 0, sizeof raw);
    raw[13] = 5;                                                 /* row 1: filter 5 */
    uint8_t *p = make_png(4, 3, 2, 8, raw, sizeof raw, &n);
    CHECK_EQ_INT(decode_msg(p, n, &e), EFFAD_ERR_FORMAT);
    CHECK_HAS(e.msg, "row 1: bad filter type 5");
    free(p);
    raw[13] = 0;
    p = make_png(4, 3, 2, 8, raw, sizeof raw - 1, &n);
    CHECK_EQ_INT(decode_msg(p, n, &e), EFFAD_ERR_FORMAT);
    CHECK_HAS(e.msg, "ended after 38 of the expected 39 bytes");
    free(p);
    p = make_png(4, 2, 2, 8, raw, sizeof raw, &n);               /* a row more than IHDR says */
    CHECK_EQ_INT(decode_msg(p, n, &e), EFFAD_ERR_FORMAT);
    CHECK_HAS(e.msg, "more data than the expected 26 bytes");
    free(p);
    p = make_png(4, 3, 3, 8, raw, sizeof raw, &n);               /* palette without PLTE */
    CHECK_EQ_INT(decode_msg(p, n, &e), EFFAD_ERR_FORMAT);
    CHECK_HAS(e.msg, "without PLTE");
    free(p);
    /* a decompression bomb: 1 MiB of zeros claimed by a 1x1 image */
    uint8_t *zeros = calloc(1 << 20, 1);
    p = make_png(1, 1, 0, 8, zeros, 1 << 20, &n);
    CHECK_EQ_INT(decode_msg(p, n, &e), EFFAD_ERR_FORMAT);
    CHECK_HAS(e.msg, "more data than the expected 2 bytes");
    free(p);
    free(zeros);
}

/* ---------------------------------------------------- JPEG surgery */

static size_t find_marker(const uint8_t *b, size_t n, int m)
{
    for (size_t i = 0; i + 1 < n; i++)
        if (b[i] == 0xFF && b[i + 1] == m) return i;
    return 0;
}

/* A sequential file whose first scan holds every component is decoded as
 * that scan arrives (image-jpeg.c): a scan after it is skipped as OpenCV
 * does (libjpeg stops there: "EOI expected", and PIL refuses the file),
 * its restart markers and stuffed bytes included, and the image stays the
 * first scan's; one that never ends is a missing EOI. */
static void jpeg_second_scan(void)
{
    effad_error e = { 0 };
    size_t n;
    uint8_t *orig = load("jpeg-cj-420-tall-rst.jpg", &n);
    if (!orig) return;
    const size_t sos = find_marker(orig, n, 0xDA), eoi = n - 2;
    CHECK(sos > 0 && orig[eoi] == 0xFF && orig[eoi + 1] == 0xD9 && find_marker(orig, n, 0xD0) > sos);
    effad_image want, got;
    CHECK(image_decode(orig, n, &want, &e) == EFFAD_OK);
    /* the file, its scan (with RST markers) again, then EOI */
    uint8_t *b = malloc(2 * n);
    memcpy(b, orig, eoi);
    memcpy(b + eoi, orig + sos, eoi - sos);
    size_t m = eoi + (eoi - sos);
    b[m] = 0xFF; b[m + 1] = 0xD9;
    CHECK(image_decode(b, m + 2, &got, &e) == EFFAD_OK);
    CHECK(got.px && want.px && got.w == want.w && got.h == want.h && !memcmp(got.px, want.px, (size_t)want.w * want.h * 3));
    image_free(&got);
    /* the second scan's data garbled (past its 14-byte header, markers and
     * stuffing kept, no new 0xFF made): the image is still the first's */
    for (size_t i = eoi + 14; i < m; i += 7)
        if (b[i] != 0xFF && b[i - 1] != 0xFF) b[i] = (uint8_t)((b[i] ^ 0x5A) & 0x7F);
    CHECK(image_decode(b, m + 2, &got, &e) == EFFAD_OK);
    CHECK(got.px && want.px && !memcmp(got.px, want.px, (size_t)want.w * want.h * 3));
    image_free(&got);
    CHECK_EQ_INT(decode_msg(b, m, &e), EFFAD_ERR_FORMAT);   /* no EOI after it */
    CHECK_HAS(e.msg, "no EOI marker");
    image_free(&want);
    free(b);
    free(orig);
}

static void jpeg_defects(void)
{
    effad_error e = { 0 };
    size_t n;
    uint8_t *orig = load("jpeg-420-rst.jpg", &n), *b = malloc(n);
    if (!orig) return;
    size_t sof = find_marker(orig, n, 0xC0);
    CHECK(sof > 0);
    memcpy(b, orig, n); b[sof + 4] = 12;
    CHECK_EQ_INT(decode_msg(b, n, &e), EFFAD_ERR_UNSUPPORTED);
    CHECK_HAS(e.msg, "12-bit samples");
    memcpy(b, orig, n); b[sof + 1] = 0xC9;
    CHECK_EQ_INT(decode_msg(b, n, &e), EFFAD_ERR_UNSUPPORTED);
    CHECK_HAS(e.msg, "arithmetic-coded");
    memcpy(b, orig, n); b[sof + 7] = b[sof + 8] = 0;
    CHECK_EQ_INT(decode_msg(b, n, &e), EFFAD_ERR_FORMAT);
    CHECK_HAS(e.msg, "bad dimensions 0x29");
    memcpy(b, orig, n); b[sof + 5] = b[sof + 6] = b[sof + 7] = b[sof + 8] = 0xFF;
    CHECK_EQ_INT(decode_msg(b, n, &e), EFFAD_ERR_UNSUPPORTED);
    CHECK_HAS(e.msg, "65535x65535 is more than");
    memcpy(b, orig, n); b[sof + 9] = 4;
    CHECK_EQ_INT(decode_msg(b, n, &e), EFFAD_ERR_UNSUPPORTED);
    CHECK_HAS(e.msg, "4 components");
    size_t rst = find_marker(orig, n, 0xD0);
    CHECK(rst > 0);
    memcpy(b, orig, n); b[rst + 1] = 0xD3;
    CHECK_EQ_INT(decode_msg(b, n, &e), EFFAD_ERR_FORMAT);
    CHECK_HAS(e.msg, "expected RST0 marker, found 0xd3");
    size_t eoi = find_marker(orig, n, 0xD9);
    CHECK_EQ_INT(decode_msg(orig, eoi, &e), EFFAD_ERR_FORMAT);
    CHECK_HAS(e.msg, "no EOI marker");
    CHECK_EQ_INT(decode_msg(orig, rst - 40, &e), EFFAD_ERR_FORMAT);
    CHECK_HAS(e.msg, "truncated");

    /* Huffman tables are checked before anything is filled from them: two
     * 1-bit codes use the all-ones code (over-subscribed for libjpeg); the
     * total stays the same, so only the lengths are wrong */
    size_t dht = find_marker(orig, n, 0xC4);
    CHECK(dht > 0);
    const uint8_t *counts = orig + dht + 5;
    int last = 15;
    while (last > 0 && counts[last] < 2) last--;
    memcpy(b, orig, n); b[dht + 5] = (uint8_t)(counts[0] + 2); b[dht + 5 + last] = (uint8_t)(counts[last] - 2);
    CHECK_EQ_INT(decode_msg(b, n, &e), EFFAD_ERR_FORMAT);
    CHECK_HAS(e.msg, "code lengths over-subscribed");
    memcpy(b, orig, n); b[dht + 5] = 200;        /* more codes than the segment holds */
    CHECK_EQ_INT(decode_msg(b, n, &e), EFFAD_ERR_FORMAT);
    CHECK_HAS(e.msg, "codes do not fit the segment");
    CHECK((orig[dht + 4] >> 4) == 0);             /* the first table is a DC one */
    memcpy(b, orig, n); b[dht + 5 + 16] = 16;     /* its first symbol: a 16-bit difference */
    CHECK_EQ_INT(decode_msg(b, n, &e), EFFAD_ERR_FORMAT);
    CHECK_HAS(e.msg, "a DC symbol above 15");
    free(b);
    free(orig);

    /* progressive: scan parameters T.81 G.1.1.1.1 forbids, a file too
     * small for its dimensions, truncation inside each kind of scan */
    orig = load("jpeg-prog-420-rst.jpg", &n);
    if (!orig) return;
    b = malloc(n);
    size_t sof2 = find_marker(orig, n, 0xC2), sos = find_marker(orig, n, 0xDA);
    CHECK(sof2 > 0 && sos > sof2 && orig[sos + 4] == 3);   /* the first scan: DC of all three components */
    size_t par = sos + 5 + 2 * 3;                         /* Ss, Se, Ah/Al */
    memcpy(b, orig, n); b[par + 2] = 0x0E;                /* Al 14 */
    CHECK_EQ_INT(decode_msg(b, n, &e), EFFAD_ERR_FORMAT);
    CHECK_HAS(e.msg, "bad progression: spectral selection 0..0, approximation 0,14");
    memcpy(b, orig, n); b[par + 1] = 5;                   /* a DC scan with AC coefficients */
    CHECK_EQ_INT(decode_msg(b, n, &e), EFFAD_ERR_FORMAT);
    CHECK_HAS(e.msg, "bad progression");
    memcpy(b, orig, n); b[par] = 1; b[par + 1] = 5;       /* an AC scan of three components */
    CHECK_EQ_INT(decode_msg(b, n, &e), EFFAD_ERR_FORMAT);
    CHECK_HAS(e.msg, "3 components");
    memcpy(b, orig, n); b[par + 2] = 0x31;                /* refinement from 3 to 1 skips a bit */
    CHECK_EQ_INT(decode_msg(b, n, &e), EFFAD_ERR_FORMAT);
    CHECK_HAS(e.msg, "approximation 3,1");
    memcpy(b, orig, n); b[sos + 6] = 0x33;                /* DC table 3, never defined */
    CHECK_EQ_INT(decode_msg(b, n, &e), EFFAD_ERR_FORMAT);
    CHECK_HAS(e.msg, "undefined Huffman table");
    memcpy(b, orig, n); b[sof2 + 5] = 0x3E; b[sof2 + 7] = 0x3E;   /* 15904 x 15904 in a few KB */
    CHECK_EQ_INT(decode_msg(b, n, &e), EFFAD_ERR_FORMAT);
    CHECK_HAS(e.msg, "bytes of scan data, the file has");
    size_t cut = 0, scans = 0;
    for (size_t i = sos + 2; i + 1 < n; i++)               /* cut inside the 4th, 6th and 8th scans */
        if (orig[i] == 0xFF && orig[i + 1] == 0xDA && (++scans == 3 || scans == 5 || scans == 7)) {
            cut = i + 40;
            CHECK_EQ_INT(decode_msg(orig, cut, &e), EFFAD_ERR_FORMAT);
            CHECK_HAS(e.msg, "truncated");
        }
    CHECK(cut > 0);
    free(b);
    free(orig);
}

/* --------------------------------------------- BMP, PNM, unknown */

static void other_defects(void)
{
    effad_error e = { 0 };
    size_t n;
    uint8_t *orig = load("bmp-24.bmp", &n), *b = malloc(n);
    if (!orig) return;
    memcpy(b, orig, n); put32(b + 18, 0);
    b[18] = b[19] = b[20] = b[21] = 0;
    CHECK_EQ_INT(decode_msg(b, n, &e), EFFAD_ERR_FORMAT);
    CHECK_HAS(e.msg, "BMP: bad dimensions 0x7");
    memcpy(b, orig, n); b[18] = 0xA0; b[19] = 0x86; b[20] = 0x01; b[22] = 0xA0; b[23] = 0x86; b[24] = 0x01;
    CHECK_EQ_INT(decode_msg(b, n, &e), EFFAD_ERR_UNSUPPORTED);
    CHECK_HAS(e.msg, "100000x100000 is more than");
    memcpy(b, orig, n); b[30] = 1;
    CHECK_EQ_INT(decode_msg(b, n, &e), EFFAD_ERR_UNSUPPORTED);
    CHECK_HAS(e.msg, "RLE");
    CHECK_EQ_INT(decode_msg(orig, n - 1, &e), EFFAD_ERR_FORMAT);
    CHECK_HAS(e.msg, "BMP: pixel data truncated");
    free(b);
    free(orig);

    const char *p0 = "P6 0 5 255\n", *pbig = "P5 100000 100000 255\n", *pmax = "P5 2 2 70000\n";
    CHECK_EQ_INT(decode_msg((const uint8_t *)p0, strlen(p0), &e), EFFAD_ERR_FORMAT);
    CHECK_HAS(e.msg, "PNM: bad dimensions 0x5");
    CHECK_EQ_INT(decode_msg((const uint8_t *)pbig, strlen(pbig), &e), EFFAD_ERR_UNSUPPORTED);
    CHECK_HAS(e.msg, "more than 268435456 pixels");
    CHECK_EQ_INT(decode_msg((const uint8_t *)pmax, strlen(pmax), &e), EFFAD_ERR_FORMAT);
    CHECK_HAS(e.msg, "maxval 70000");
    const char *p2 = "P2 2 1 10\n3 11\n";
    CHECK_EQ_INT(decode_msg((const uint8_t *)p2, strlen(p2), &e), EFFAD_ERR_FORMAT);
    CHECK_HAS(e.msg, "above maxval 10");
    const char *p5 = "P5 2 2 255\n\x01\x02\x03";
    CHECK_EQ_INT(decode_msg((const uint8_t *)p5, strlen(p5), &e), EFFAD_ERR_FORMAT);
    CHECK_HAS(e.msg, "PNM: pixel data truncated: need 4 bytes, have 3");

    const char *gif = "GIF89a\x01\x00\x01\x00";
    CHECK_EQ_INT(decode_msg((const uint8_t *)gif, 10, &e), EFFAD_ERR_UNSUPPORTED);
    CHECK_HAS(e.msg, "unknown image format");
    CHECK_EQ_INT(decode_msg((const uint8_t *)"", 0, &e), EFFAD_ERR_FORMAT);
    CHECK_HAS(e.msg, "empty file");
}

int main(void)
{
    /* the messages below name the build's limit: on a machine with less
     * than 2 GB the memory's would apply (image.h); a larger one set here
     * leaves the build's */
    setenv("EFFAD_MAX_PIXELS", "99999999999", 1);
    const char *fixtures[] = { "png-c2-d8.png", "png-c6-d16-i.png", "png-c3-d4.png", "png-c0-d1-i.png",
                               "png-stored.png", "png-pil.png", "jpeg-420-rst.jpg", "jpeg-444.jpg",
                               "jpeg-grey.jpg", "jpeg-422-opt-exif.jpg", "jpeg-prog-420-rst.jpg",
                               "jpeg-prog-grey.jpg", "jpeg-prog-444.jpg", "bmp-24.bmp", "bmp-8-palette.bmp",
                               "bmp-32-bitfields.bmp", "ppm-p6.ppm", "pgm-p5-16.pgm", "pbm-p4.pbm" };
    for (size_t i = 0; i < sizeof fixtures / sizeof *fixtures; i++) prefixes_and_flips(fixtures[i]);
    png_defects();
    png_idat_pieces();
    jpeg_defects();
    jpeg_second_scan();
    other_defects();
    return check_done("test-image-corrupt");
}
