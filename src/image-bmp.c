/* Windows BMP decoding: BITMAPCOREHEADER (OS/2) and BITMAPINFOHEADER and
 * its V2..V5 extensions; 1/4/8-bit palette, 24-bit, 32-bit BI_RGB and
 * 32-bit BI_BITFIELDS with byte-aligned 8-bit masks; bottom-up (positive
 * height) and top-down (negative) row order; rows padded to 4 bytes. */
#include <stdlib.h>
#include <string.h>
#include "image.h"

static uint32_t le32(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24; }
static unsigned le16(const uint8_t *p) { return (unsigned)p[0] | (unsigned)p[1] << 8; }

/* A 32-bit channel mask we can read: 8 contiguous bits on a byte boundary
 * (what every writer in practice emits). Returns the byte index, -1 for
 * an absent (zero) mask, -2 otherwise. */
static int mask_byte(uint32_t m)
{
    if (!m) return -1;
    for (int k = 0; k < 4; k++)
        if (m == 0xFFu << (8 * k)) return k;
    return -2;
}

static effad_status decode(const uint8_t *b, size_t n, effad_image *img, effad_error *e)
{
    if (n < 26) return effad_fail(e, EFFAD_ERR_FORMAT, "truncated header (%zu bytes)", n);
    uint32_t off = le32(b + 10), hsize = le32(b + 14);
    long long w, h;
    unsigned bpp, comp = 0;
    uint32_t n_colors = 0;
    if (hsize == 12) {
        w = le16(b + 18); h = le16(b + 20); bpp = le16(b + 24);
    } else if (hsize >= 40 && hsize <= 124) {
        if (n < 14 + 40) return effad_fail(e, EFFAD_ERR_FORMAT, "truncated header (%zu bytes)", n);
        w = (int32_t)le32(b + 18); h = (int32_t)le32(b + 22); bpp = le16(b + 28);
        comp = le32(b + 30);
        n_colors = le32(b + 46);
    } else {
        return effad_fail(e, EFFAD_ERR_UNSUPPORTED, "unknown info header size %u", (unsigned)hsize);
    }
    int top_down = h < 0;
    if (top_down) h = -h;
    if (w <= 0 || h <= 0) return effad_fail(e, EFFAD_ERR_FORMAT, "bad dimensions %lldx%lld", w, h);
    effad_status sz = image_size_check((uint64_t)w, (uint64_t)h, e);
    if (sz) return sz;

    /* Where each channel comes from within a 32-bit pixel: byte indices. */
    int ri = 2, gi = 1, bi = 0, ai = -1;
    if (comp == 3 || comp == 6) {
        if (bpp != 32) return effad_fail(e, EFFAD_ERR_UNSUPPORTED, "BI_BITFIELDS with %u bits per pixel", bpp);
        /* masks follow a 40-byte header, or sit inside a larger one */
        size_t mpos = 14 + 40, need = mpos + (comp == 6 || hsize >= 56 ? 16 : 12);
        if (n < need) return effad_fail(e, EFFAD_ERR_FORMAT, "truncated colour masks");
        ri = mask_byte(le32(b + mpos)); gi = mask_byte(le32(b + mpos + 4)); bi = mask_byte(le32(b + mpos + 8));
        ai = (comp == 6 || hsize >= 56) ? mask_byte(le32(b + mpos + 12)) : -1;
        if (ri < 0 || gi < 0 || bi < 0 || ai == -2)
            return effad_fail(e, EFFAD_ERR_UNSUPPORTED, "BI_BITFIELDS masks other than whole bytes");
    } else if (comp == 1 || comp == 2) {
        return effad_fail(e, EFFAD_ERR_UNSUPPORTED, "RLE-compressed BMP");
    } else if (comp != 0) {
        return effad_fail(e, EFFAD_ERR_UNSUPPORTED, "compression type %u", comp);
    }
    if (bpp != 1 && bpp != 4 && bpp != 8 && bpp != 24 && bpp != 32)
        return effad_fail(e, EFFAD_ERR_UNSUPPORTED, "%u bits per pixel", bpp);

    uint8_t pal[256][3];
    int grey = 1;
    if (bpp <= 8) {
        size_t entry = hsize == 12 ? 3 : 4, ppos = 14 + hsize;
        uint32_t max = 1u << bpp;
        if (n_colors == 0 || n_colors > max) n_colors = max;
        if (ppos > n || (n - ppos) / entry < n_colors) return effad_fail(e, EFFAD_ERR_FORMAT, "truncated palette");
        memset(pal, 0, sizeof pal);
        for (uint32_t i = 0; i < n_colors; i++) {
            const uint8_t *q = b + ppos + i * entry;
            pal[i][0] = q[2]; pal[i][1] = q[1]; pal[i][2] = q[0];
            if (q[0] != q[1] || q[1] != q[2]) grey = 0;
        }
    }
    size_t stride = ((size_t)w * bpp + 31) / 32 * 4;
    if (off > n || (n - off) / stride < (size_t)h)
        return effad_fail(e, EFFAD_ERR_FORMAT, "pixel data truncated: need %zu bytes at offset %u, file has %zu",
                          stride * (size_t)h, (unsigned)off, n);
    /* Palettes that are all grey decode to grey, as PIL opens them as "L". */
    int chans = bpp <= 8 ? (grey ? 1 : 3) : ai >= 0 ? 4 : 3;
    effad_status st = image_alloc(img, (int)w, (int)h, chans, 8, "BMP", e);
    if (st) return st;
    uint8_t *out = img->px;
    for (long long y = 0; y < h; y++) {
        const uint8_t *row = b + off + (size_t)(top_down ? y : h - 1 - y) * stride;
        uint8_t *d = out + (size_t)y * (size_t)w * (size_t)chans;
        for (long long x = 0; x < w; x++, d += chans) {
            if (bpp == 24) { d[0] = row[3 * x + 2]; d[1] = row[3 * x + 1]; d[2] = row[3 * x]; }
            else if (bpp == 32) {
                const uint8_t *q = row + 4 * x;
                d[0] = q[ri]; d[1] = q[gi]; d[2] = q[bi];
                if (ai >= 0) d[3] = q[ai];
            } else {
                size_t bit = (size_t)x * bpp;
                unsigned v = (row[bit / 8] >> (8 - bpp - bit % 8)) & ((1u << bpp) - 1);
                memcpy(d, pal[v], (size_t)chans);   /* grey: pal[v][0]; indices past the palette are black */
            }
        }
    }
    return EFFAD_OK;
}

effad_status image_decode_bmp(const uint8_t *b, size_t n, effad_image *img, effad_error *e)
{
    memset(img, 0, sizeof *img);
    if (n < 2 || b[0] != 'B' || b[1] != 'M') return effad_fail(e, EFFAD_ERR_FORMAT, "BMP: bad magic");
    effad_status st = decode(b, n, img, e);
    if (st) {
        image_free(img);
        effad_error_prefix(e, "BMP");
    }
    return st;
}
