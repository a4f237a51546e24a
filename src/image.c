/* The image front door: sniffing, dispatch to the per-format decoders,
 * file loading, and the PIL-compatible conversion to 8-bit RGB. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "image.h"

effad_status image_alloc(effad_image *img, int w, int h, int channels, int bit_depth,
                         const char *fmt, effad_error *e)
{
    memset(img, 0, sizeof *img);
    if (w <= 0 || h <= 0)
        return effad_fail(e, EFFAD_ERR_FORMAT, "%s: bad dimensions %dx%d", fmt, w, h);
    if ((uint64_t)w * (uint64_t)h > IMAGE_MAX_PIXELS)
        return effad_fail(e, EFFAD_ERR_UNSUPPORTED, "%s: %dx%d is more than %u pixels", fmt, w, h, IMAGE_MAX_PIXELS);
    /* <= 2^28 pixels * 4 channels * 2 bytes = 2^31: fits size_t anywhere we run */
    size_t bytes = (size_t)w * (size_t)h * (size_t)channels * (bit_depth == 16 ? 2 : 1);
    img->px = calloc(bytes, 1);
    if (!img->px) return effad_fail(e, EFFAD_ERR_NOMEM, "%s: out of memory for %zu bytes", fmt, bytes);
    img->w = w;
    img->h = h;
    img->channels = channels;
    img->bit_depth = bit_depth;
    return EFFAD_OK;
}

void image_free(effad_image *img)
{
    if (!img) return;
    free(img->px);
    memset(img, 0, sizeof *img);
}

effad_status image_decode(const uint8_t *b, size_t n, effad_image *img, effad_error *e)
{
    memset(img, 0, sizeof *img);
    if (!b && n) return effad_fail(e, EFFAD_ERR_ARG, "image_decode: NULL bytes");
    if (n >= 8 && !memcmp(b, "\x89PNG\r\n\x1a\n", 8)) return image_decode_png(b, n, img, e);
    if (n >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF) return image_decode_jpeg(b, n, img, e);
    if (n >= 2 && b[0] == 'B' && b[1] == 'M') return image_decode_bmp(b, n, img, e);
    if (n >= 2 && b[0] == 'P' && b[1] >= '1' && b[1] <= '6') return image_decode_pnm(b, n, img, e);
    if (n == 0) return effad_fail(e, EFFAD_ERR_FORMAT, "empty file");
    return effad_fail(e, EFFAD_ERR_UNSUPPORTED, "unknown image format (not PNG, JPEG, BMP or PPM/PGM/PBM)");
}

effad_status image_load(const char *path, effad_image *img, effad_error *e)
{
    memset(img, 0, sizeof *img);
    if (!path) return effad_fail(e, EFFAD_ERR_ARG, "image_load: NULL path");
    FILE *f = fopen(path, "rb");
    if (!f) return effad_fail(e, EFFAD_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    struct stat sb;
    if (fstat(fileno(f), &sb) == 0 && S_ISDIR(sb.st_mode)) {
        fclose(f);
        return effad_fail(e, EFFAD_ERR_IO, "%s: is a directory, not an image", path);
    }
    /* Read by growing a buffer, not by ftell: works for pipes and FIFOs. */
    size_t cap = 1 << 16, n = 0;
    uint8_t *buf = malloc(cap);
    effad_status st = EFFAD_OK;
    for (;;) {
        if (!buf) { st = effad_fail(e, EFFAD_ERR_NOMEM, "out of memory reading the file"); break; }
        n += fread(buf + n, 1, cap - n, f);
        if (ferror(f)) { st = effad_fail(e, EFFAD_ERR_IO, "cannot read: %s", strerror(errno)); break; }
        if (n < cap) break;
        /* a device or FIFO may never end: no image we decode is larger
         * than its pixels at 16-bit RGBA plus headers */
        if (cap >= IMAGE_MAX_FILE_BYTES) {
            st = effad_fail(e, EFFAD_ERR_UNSUPPORTED, "more than %zu bytes: too large for an image", (size_t)IMAGE_MAX_FILE_BYTES);
            break;
        }
        uint8_t *q = realloc(buf, cap * 2);
        if (!q) { free(buf); buf = NULL; continue; }
        buf = q;
        cap *= 2;
    }
    fclose(f);
    if (st == EFFAD_OK) st = image_decode(buf, n, img, e);
    free(buf);
    if (st) effad_error_prefix(e, path);
    return st;
}

effad_status image_to_rgb8(const effad_image *img, uint8_t **rgb_out, effad_error *e)
{
    return image_to_rgb8_as(img, IMAGE_RGB_PIL, rgb_out, e);
}

effad_status image_to_rgb8_as(const effad_image *img, image_rgb_rule rule, uint8_t **rgb_out, effad_error *e)
{
    *rgb_out = NULL;
    if (!img || !img->px || img->w <= 0 || img->h <= 0 || img->channels < 1 || img->channels > 4 ||
        (img->bit_depth != 8 && img->bit_depth != 16))
        return effad_fail(e, EFFAD_ERR_ARG, "image_to_rgb8: not a valid image");
    size_t npx = (size_t)img->w * (size_t)img->h;
    uint8_t *out = malloc(npx * 3);
    if (!out) return effad_fail(e, EFFAD_ERR_NOMEM, "out of memory for %zu bytes", npx * 3);
    int c = img->channels;
    for (size_t i = 0; i < npx; i++) {
        uint8_t v[3];
        if (img->bit_depth == 8) {
            const uint8_t *s = (const uint8_t *)img->px + i * c;
            if (c <= 2) v[0] = v[1] = v[2] = s[0];       /* L, LA: grey replicated, alpha dropped */
            else { v[0] = s[0]; v[1] = s[1]; v[2] = s[2]; }
        } else {
            const uint16_t *s = (const uint16_t *)img->px + i * c;
            if (c == 1 && rule == IMAGE_RGB_PIL) v[0] = v[1] = v[2] = (uint8_t)(s[0] > 255 ? 255 : s[0]);   /* PIL "I" -> RGB clips */
            else if (c == 1) v[0] = v[1] = v[2] = (uint8_t)(s[0] >> 8);   /* cv2.imread IMREAD_COLOR: high byte */
            else if (c == 2) v[0] = v[1] = v[2] = (uint8_t)(s[0] >> 8);          /* "LA;16B": high byte */
            else { v[0] = (uint8_t)(s[0] >> 8); v[1] = (uint8_t)(s[1] >> 8); v[2] = (uint8_t)(s[2] >> 8); }
        }
        memcpy(out + i * 3, v, 3);
    }
    *rgb_out = out;
    return EFFAD_OK;
}
