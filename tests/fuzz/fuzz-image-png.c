/* fuzz-image-png.c -- the PNG decoder (src/image-png.c) and our inflate
 * (src/inflate.c): chunks, CRCs, every colour type and depth, Adam7, the
 * five filters, stored / fixed / dynamic Huffman blocks.
 *
 * Every chunk carries a CRC, so nearly every mutation would stop at the
 * first check; each input is decoded as it is and again with every CRC
 * recomputed ("resealed"), which lets mutated headers and IDAT reach the
 * decoder and inflate.
 *
 * Beyond the shared checks (fuzz-image.h), an accepted 8-bit image goes
 * through our PNG writer and deflate and must decode to the same samples:
 * the writer is the only producer of PNGs whose output we read back. */
#include "fuzz-image.h"
#include "checksum.h"

static uint32_t be32(const uint8_t *p) { return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]; }

/* Recomputes the CRC of each whole chunk after the signature. */
static void reseal(uint8_t *b, size_t n)
{
    for (size_t pos = 8; n >= 12 && pos <= n - 12;) {
        uint32_t len = be32(b + pos);
        if (len > n - 12 - pos) break;
        uint32_t crc = crc32_update(0, b + pos + 4, (size_t)len + 4);
        uint8_t *at = b + pos + 8 + len;
        at[0] = (uint8_t)(crc >> 24); at[1] = (uint8_t)(crc >> 16); at[2] = (uint8_t)(crc >> 8); at[3] = (uint8_t)crc;
        pos += (size_t)len + 12;
    }
}

/* Small enough that a round trip costs about as much as the decode. */
#define ROUND_TRIP_MAX_PIXELS (1u << 16)

static void round_trip(const effad_image *img)
{
    /* the writer takes grey, RGB and RGBA at 8 bits */
    if (img->bit_depth != 8 || img->channels == 2 ||
        (uint64_t)img->w * (uint64_t)img->h > ROUND_TRIP_MAX_PIXELS)
        return;
    effad_error e = { 0 };
    uint8_t *png = 0;
    size_t n = 0;
    effad_status s = image_encode_png(img->px, img->w, img->h, img->channels, &png, &n, &e);
    fuzz_refusal(s, &e);
    if (s) fuzz_fail("an 8-bit image encodes", e.msg);
    effad_image back;
    s = image_decode_png(png, n, &back, &e);
    free(png);
    if (s) fuzz_fail("our own PNG decodes", e.msg);
    size_t bytes = (size_t)img->w * (size_t)img->h * (size_t)img->channels;
    if (back.w != img->w || back.h != img->h || back.channels != img->channels || back.bit_depth != 8 ||
        memcmp(back.px, img->px, bytes))
        fuzz_fail("encode then decode gives the same samples", 0);
    image_free(&back);
}

static void decode(const uint8_t *data, size_t size)
{
    effad_image img;
    if (!fuzz_image(image_decode_png, data, size, &img)) return;
    round_trip(&img);
    image_free(&img);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    decode(data, size);
    uint8_t *copy = malloc(size ? size : 1);
    if (!copy) return 0;
    memcpy(copy, data, size);
    reseal(copy, size);
    if (memcmp(copy, data, size)) decode(copy, size);
    free(copy);
    return 0;
}
