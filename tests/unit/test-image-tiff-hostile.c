/* Hostile and broken TIFF files: every prefix and seeded bit flips of the
 * fixtures, and crafted directories -- tag counts and offsets past the end,
 * huge and zero dimensions, strips that cannot hold what they must decode
 * to (refused before anything is allocated), unsupported tags named with
 * their values, LZW streams that overflow the code table. Each is refused
 * with a message naming the problem, never a crash (`make asan`). */
#include "image-test-util.h"
#include "tiff-codecs.h"

/* ------------------------------------------------------- a tiny writer */

typedef struct { uint16_t tag, type; uint32_t count, value; } entry;

static void le16(uint8_t *p, unsigned v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static void le32(uint8_t *p, uint32_t v) { for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> 8 * i); }

/* A little-endian TIFF: header, one directory at offset 8 (values inline
 * in `value`, as given), then `data`, which starts at tiff_data_at(n). */
static size_t tiff_data_at(int n_entries) { return 8 + 2 + 12 * (size_t)n_entries + 4; }

static uint8_t *tiff(const entry *en, int n, const uint8_t *data, size_t data_n, size_t *len)
{
    *len = tiff_data_at(n) + data_n;
    uint8_t *b = calloc(*len, 1);
    memcpy(b, "II*\0", 4);
    le32(b + 4, 8);
    le16(b + 8, (unsigned)n);
    for (int i = 0; i < n; i++) {
        uint8_t *p = b + 10 + 12 * i;
        le16(p, en[i].tag); le16(p + 2, en[i].type); le32(p + 4, en[i].count);
        if (en[i].type == 3 && en[i].count == 1) le16(p + 8, en[i].value);
        else le32(p + 8, en[i].value);
    }
    if (data_n) memcpy(b + tiff_data_at(n), data, data_n);
    return b;
}

enum { SHORT = 3, LONG = 4 };

/* A 4x2 8-bit grey image in one uncompressed strip: the base the cases
 * below edit one entry of. */
#define N_BASE 8
static void base(entry *en)
{
    const entry b[N_BASE] = {
        { 256, SHORT, 1, 4 }, { 257, SHORT, 1, 2 }, { 258, SHORT, 1, 8 }, { 259, SHORT, 1, 1 },
        { 262, SHORT, 1, 1 }, { 273, LONG, 1, (uint32_t)tiff_data_at(N_BASE) }, { 278, SHORT, 1, 2 },
        { 279, LONG, 1, 8 },
    };
    memcpy(en, b, sizeof b);
}

static void expect(const entry *en, int n, const uint8_t *data, size_t data_n, effad_status want, const char *msg)
{
    size_t len;
    uint8_t *b = tiff(en, n, data, data_n, &len);
    effad_image img;
    effad_error e = { 0 };
    effad_status st = image_decode(b, len, &img, &e);
    CHECK_MSG(st == want, "%s: status %d (%.200s)", msg, (int)st, e.msg);
    if (want != EFFAD_OK) CHECK_HAS(e.msg, msg);
    CHECK(st != EFFAD_OK ? img.px == NULL : img.px != NULL);
    image_free(&img);
    free(b);
}

static void crafted(void)
{
    const uint8_t px[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
    entry en[N_BASE + 2];
    base(en);
    expect(en, N_BASE, px, 8, EFFAD_OK, "");
    /* dimensions */
    base(en); en[0].value = 0;
    expect(en, N_BASE, px, 8, EFFAD_ERR_FORMAT, "TIFF: bad dimensions 0x2");
    base(en); en[0].type = LONG; en[0].value = 100000; en[1].type = LONG; en[1].value = 100000;
    expect(en, N_BASE, px, 8, EFFAD_ERR_UNSUPPORTED, "100000x100000 is more than 268435456 pixels");
    /* a huge image whose single strip is 8 bytes: refused before allocating */
    base(en); en[0].value = 16000; en[1].value = 16000; en[6].value = 16000;
    expect(en, N_BASE, px, 8, EFFAD_ERR_FORMAT, "strip 0: 8 bytes of compression-1 data cannot hold the 256000000");
    base(en); en[3].value = 32773; en[0].value = 16000; en[1].value = 16000; en[6].value = 16000;
    expect(en, N_BASE, px, 8, EFFAD_ERR_FORMAT, "8 bytes of compression-32773 data cannot hold");
    /* offsets and counts */
    base(en); en[5].value = 1000;
    expect(en, N_BASE, px, 8, EFFAD_ERR_FORMAT, "strip 0: 8 bytes at offset 1000 run past the end of the file");
    base(en); en[7].value = 0xFFFFFFF0u;
    expect(en, N_BASE, px, 8, EFFAD_ERR_FORMAT, "run past the end of the file");
    base(en); en[5].count = 0x40000000u;
    expect(en, N_BASE, px, 8, EFFAD_ERR_FORMAT, "StripOffsets: 1073741824 values at offset");
    base(en); en[5].count = 2; en[5].value = (uint32_t)tiff_data_at(N_BASE);
    expect(en, N_BASE, px, 8, EFFAD_ERR_FORMAT, "strips: 2 offsets and 1 byte counts for the 1 strips");
    base(en); en[5].count = 0;
    expect(en, N_BASE, px, 8, EFFAD_ERR_FORMAT, "tag 273 StripOffsets has no values");
    base(en); en[5].tag = 300;   /* no StripOffsets at all */
    expect(en, N_BASE, px, 8, EFFAD_ERR_FORMAT, "273 StripOffsets is missing");
    base(en); en[0].type = 5;
    expect(en, N_BASE, px, 8, EFFAD_ERR_FORMAT, "tag 256 ImageWidth has type 5");
    base(en); en[6].value = 0;
    expect(en, N_BASE, px, 8, EFFAD_ERR_FORMAT, "RowsPerStrip 0");
    /* unsupported, named by tag and value */
    base(en); en[3].value = 7;
    expect(en, N_BASE, px, 8, EFFAD_ERR_UNSUPPORTED, "Compression 7");
    base(en); en[2].value = 12;
    expect(en, N_BASE, px, 8, EFFAD_ERR_UNSUPPORTED, "BitsPerSample 12");
    base(en); en[4].value = 3;
    expect(en, N_BASE, px, 8, EFFAD_ERR_UNSUPPORTED, "PhotometricInterpretation 3");
    base(en); en[N_BASE] = (entry){ 317, SHORT, 1, 3 };
    expect(en, N_BASE + 1, px, 8, EFFAD_ERR_UNSUPPORTED, "Predictor 3");
    base(en); en[N_BASE] = (entry){ 339, SHORT, 1, 3 };
    expect(en, N_BASE + 1, px, 8, EFFAD_ERR_UNSUPPORTED, "SampleFormat 3");
    base(en); en[N_BASE] = (entry){ 266, SHORT, 1, 2 };
    expect(en, N_BASE + 1, px, 8, EFFAD_ERR_UNSUPPORTED, "FillOrder 2");
    base(en); en[N_BASE] = (entry){ 277, SHORT, 1, 3 };
    expect(en, N_BASE + 1, px, 8, EFFAD_ERR_UNSUPPORTED, "SamplesPerPixel 3 with PhotometricInterpretation 1");
    base(en); en[N_BASE] = (entry){ 277, SHORT, 1, 2 }; en[N_BASE + 1] = (entry){ 338, SHORT, 1, 1 };
    expect(en, N_BASE + 2, px, 8, EFFAD_ERR_UNSUPPORTED, "ExtraSamples 1 (associated alpha)");
    base(en); en[N_BASE] = (entry){ 284, SHORT, 1, 3 };
    expect(en, N_BASE + 1, px, 8, EFFAD_ERR_UNSUPPORTED, "PlanarConfiguration 3");
    /* tiles of a silly size */
    base(en); en[5] = (entry){ 324, LONG, 1, (uint32_t)tiff_data_at(N_BASE + 1) }; en[6] = (entry){ 322, LONG, 1, 0 };
    en[7] = (entry){ 325, LONG, 1, 8 }; en[N_BASE] = (entry){ 323, LONG, 1, 16 };
    expect(en, N_BASE + 1, px, 8, EFFAD_ERR_FORMAT, "bad tile size 0x16");
    en[6].value = 0x10000; en[N_BASE].value = 0x10000;
    expect(en, N_BASE + 1, px, 8, EFFAD_ERR_UNSUPPORTED, "tiles of 65536x65536 are more than");

    /* the header and the directory itself */
    size_t len;
    base(en);
    uint8_t *b = tiff(en, N_BASE, px, 8, &len);
    effad_error e = { 0 };
    effad_image img;
    le32(b + 4, (uint32_t)len);
    CHECK_EQ_INT(image_decode(b, len, &img, &e), EFFAD_ERR_FORMAT);
    CHECK_HAS(e.msg, "first directory at offset");
    le32(b + 4, 8); le16(b + 8, 5000);
    CHECK_EQ_INT(image_decode(b, len, &img, &e), EFFAD_ERR_FORMAT);
    CHECK_HAS(e.msg, "directory of 5000 entries at offset 8 runs past the end");
    le16(b + 8, 0);
    CHECK_EQ_INT(image_decode(b, len, &img, &e), EFFAD_ERR_FORMAT);
    CHECK_HAS(e.msg, "no entries");
    b[2] = 43;
    CHECK_EQ_INT(image_decode(b, len, &img, &e), EFFAD_ERR_UNSUPPORTED);
    CHECK_HAS(e.msg, "BigTIFF");
    free(b);
}

/* ------------------------------------------------------------------ LZW */

typedef struct { uint8_t *p; size_t bits; } bitout;

static void put_code(bitout *o, unsigned code, unsigned width)
{
    for (unsigned k = width; k-- > 0; o->bits++)
        if (code >> k & 1) o->p[o->bits >> 3] |= (uint8_t)(0x80 >> (o->bits & 7));
}

static void lzw(void)
{
    effad_error e = { 0 };
    uint8_t in[8192] = { 0 }, out[8192];
    /* Clear, 'a', then code 300 while the table's next entry is 258 */
    bitout o = { in, 0 };
    put_code(&o, 256, 9); put_code(&o, 'a', 9); put_code(&o, 300, 9);
    CHECK_EQ_INT(tiff_lzw_decode(in, (o.bits + 7) / 8, out, 10, &e), EFFAD_ERR_FORMAT);
    CHECK_HAS(e.msg, "LZW code 300 beyond the table's 258 entries");
    /* a code right after Clear must be a byte */
    memset(in, 0, sizeof in); o.bits = 0;
    put_code(&o, 256, 9); put_code(&o, 258, 9);
    CHECK_EQ_INT(tiff_lzw_decode(in, (o.bits + 7) / 8, out, 10, &e), EFFAD_ERR_FORMAT);
    CHECK_HAS(e.msg, "right after a Clear");
    /* KwKwK: 'a', then the entry being defined ("aa"), then EOI */
    memset(in, 0, sizeof in); o.bits = 0;
    put_code(&o, 256, 9); put_code(&o, 'a', 9); put_code(&o, 258, 9); put_code(&o, 257, 9);
    CHECK_EQ_INT(tiff_lzw_decode(in, (o.bits + 7) / 8, out, 3, &e), EFFAD_OK);
    CHECK(out[0] == 'a' && out[1] == 'a' && out[2] == 'a');
    CHECK_EQ_INT(tiff_lzw_decode(in, (o.bits + 7) / 8, out, 4, &e), EFFAD_ERR_FORMAT);
    CHECK_HAS(e.msg, "EndOfInformation) after 3 of 4 bytes");
    /* the table filled to 4096 entries without a Clear: every code a literal,
     * each adding an entry; widths grow early at 511, 1023 and 2047 */
    memset(in, 0, sizeof in); o.bits = 0;
    put_code(&o, 256, 9);
    unsigned next = 258, width = 9;
    put_code(&o, 'x', width);
    for (int i = 0; i < 3900; i++) {
        put_code(&o, 'x', width);
        if (next < 4096) next++;
        if (next + 1 >= (1u << width) && width < 12) width++;
    }
    CHECK_EQ_INT(tiff_lzw_decode(in, (o.bits + 7) / 8, out, sizeof out, &e), EFFAD_ERR_FORMAT);
    CHECK_HAS(e.msg, "LZW table full (4096 entries) without a Clear code");
    CHECK_EQ_INT(tiff_lzw_decode(in, (o.bits + 7) / 8, out, 3000, &e), EFFAD_OK);   /* stops when the strip is full */
    /* truncated, and the pre-6.0 bit order */
    CHECK_EQ_INT(tiff_lzw_decode(in, 3, out, 100, &e), EFFAD_ERR_FORMAT);   /* Clear, x, 6 bits */
    CHECK_HAS(e.msg, "LZW data ended after 1 of 100 bytes");
    const uint8_t old[2] = { 0x00, 0x01 };
    CHECK_EQ_INT(tiff_lzw_decode(old, 2, out, 100, &e), EFFAD_ERR_UNSUPPORTED);
    CHECK_HAS(e.msg, "old-style");
}

static void packbits(void)
{
    effad_error e = { 0 };
    uint8_t out[16];
    const uint8_t ok[] = { 2, 'a', 'b', 'c', 0x80, 0xFE, 'z' };   /* 3 literal, a no-op, 3 x 'z' */
    CHECK_EQ_INT(tiff_packbits_decode(ok, sizeof ok, out, 6, &e), EFFAD_OK);
    CHECK(!memcmp(out, "abczzz", 6));
    CHECK_EQ_INT(tiff_packbits_decode(ok, sizeof ok, out, 7, &e), EFFAD_ERR_FORMAT);
    CHECK_HAS(e.msg, "PackBits data ended after 6 of 7 bytes");
    const uint8_t lit[] = { 5, 'a' };
    CHECK_EQ_INT(tiff_packbits_decode(lit, sizeof lit, out, 6, &e), EFFAD_ERR_FORMAT);
    CHECK_HAS(e.msg, "literal run of 6 bytes past the end");
    const uint8_t rep[] = { 0xFD };
    CHECK_EQ_INT(tiff_packbits_decode(rep, sizeof rep, out, 4, &e), EFFAD_ERR_FORMAT);
    CHECK_HAS(e.msg, "no byte to repeat");
}

int main(void)
{
    /* the messages below name the build's limit: on a machine with less
     * than 2 GB the memory's would apply (image.h); a larger one set here
     * leaves the build's */
    setenv("EFFAD_MAX_PIXELS", "99999999999", 1);
    const char *fixtures[] = { "tiff-rgb8-lzw.tif", "tiff-rgb8-packbits.tif", "tiff-grey16-deflate.tif",
                               "tiff-rgb8-tiles-lzw-pred-be.tif", "tiff-rgb8-planar-deflate32946.tif",
                               "tiff-rgb16-lzw-pred-be.tif", "tiff-rgb8-none.tif" };
    for (size_t i = 0; i < sizeof fixtures / sizeof *fixtures; i++) prefixes_and_flips(fixtures[i]);
    crafted();
    lzw();
    packbits();
    return check_done("test-image-tiff-hostile");
}
