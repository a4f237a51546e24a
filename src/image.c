/* The image front door: sniffing, dispatch to the per-format decoders,
 * file loading, and the PIL-compatible conversion to 8-bit RGB. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "big-buffer.h"
#include "image.h"

/* image_alloc and image_alloc_unzeroed: the checks, then zeroed or not. */
static effad_status alloc_px(effad_image *img, int w, int h, int channels, int bit_depth, const char *fmt, int zeroed,
                             effad_error *e)
{
    memset(img, 0, sizeof *img);
    if (w <= 0 || h <= 0)
        return effad_fail(e, EFFAD_ERR_FORMAT, "%s: bad dimensions %dx%d", fmt, w, h);
    /* the decoder has held w x h to this machine's limit (image_size_check)
     * before anything was allocated; this is the build's, for the sizes below */
    if ((uint64_t)w * (uint64_t)h > IMAGE_MAX_PIXELS)
        return effad_fail(e, EFFAD_ERR_UNSUPPORTED, "%s: %dx%d is more than %u pixels", fmt, w, h, IMAGE_MAX_PIXELS);
    /* <= 2^28 pixels * 4 channels * 2 bytes = 2^31: fits size_t anywhere we run */
    size_t bytes = (size_t)w * (size_t)h * (size_t)channels * (bit_depth == 16 ? 2 : 1);
    /* a camera image is tens of MB written once in full: on huge pages its
     * first touch costs 512 times fewer faults (big-buffer.h) */
    img->px = zeroed ? big_zeroed(bytes, 1) : big_buffer(bytes);
    if (!img->px) return effad_fail(e, EFFAD_ERR_NOMEM, "%s: out of memory for %zu bytes", fmt, bytes);
    img->w = w;
    img->h = h;
    img->channels = channels;
    img->bit_depth = bit_depth;
    return EFFAD_OK;
}

effad_status image_alloc(effad_image *img, int w, int h, int channels, int bit_depth,
                         const char *fmt, effad_error *e)
{
    return alloc_px(img, w, h, channels, bit_depth, fmt, 1, e);
}

effad_status image_alloc_unzeroed(effad_image *img, int w, int h, int channels, int bit_depth, const char *fmt,
                                  effad_error *e)
{
    return alloc_px(img, w, h, channels, bit_depth, fmt, 0, e);
}

void image_free(effad_image *img)
{
    if (!img) return;
    free(img->px);
    memset(img, 0, sizeof *img);
}

typedef effad_status (*image_decoder)(const uint8_t *b, size_t n, effad_image *img, effad_error *e);

/* The decoder for the file's first bytes, or NULL. */
static image_decoder decoder_for(const uint8_t *b, size_t n)
{
    if (n >= 8 && !memcmp(b, "\x89PNG\r\n\x1a\n", 8)) return image_decode_png;
    if (n >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF) return image_decode_jpeg;
    if (n >= 2 && b[0] == 'B' && b[1] == 'M') return image_decode_bmp;
    if (n >= 2 && b[0] == 'P' && b[1] >= '1' && b[1] <= '6') return image_decode_pnm;
    /* "II" 42 or "MM" 42, and BigTIFF's 43 so that it is named when refused */
    if (n >= 4 && ((b[0] == 'I' && b[1] == 'I' && (b[2] == 42 || b[2] == 43) && b[3] == 0) ||
                   (b[0] == 'M' && b[1] == 'M' && b[2] == 0 && (b[3] == 42 || b[3] == 43))))
        return image_decode_tiff;
    return NULL;
}

static effad_status unknown_format(effad_error *e)
{
    return effad_fail(e, EFFAD_ERR_UNSUPPORTED, "unknown image format (not PNG, JPEG, TIFF, BMP or PPM/PGM/PBM)");
}

effad_status image_decode(const uint8_t *b, size_t n, effad_image *img, effad_error *e)
{
    memset(img, 0, sizeof *img);
    if (!b && n) return effad_fail(e, EFFAD_ERR_ARG, "image_decode: NULL bytes");
    image_decoder decode = decoder_for(b, n);
    if (decode) return decode(b, n, img, e);
    if (n == 0) return effad_fail(e, EFFAD_ERR_FORMAT, "empty file");
    return unknown_format(e);
}

effad_status image_load(const char *path, effad_image *img, effad_error *e)
{
    memset(img, 0, sizeof *img);
    if (!path) return effad_fail(e, EFFAD_ERR_ARG, "image_load: NULL path");
    FILE *f = fopen(path, "rb");
    if (!f) return effad_fail(e, EFFAD_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    struct stat sb;
    const int known = fstat(fileno(f), &sb) == 0;
    if (known && S_ISDIR(sb.st_mode)) {
        fclose(f);
        return effad_fail(e, EFFAD_ERR_IO, "%s: is a directory, not an image", path);
    }
    /* Read by growing a buffer, not by ftell: works for pipes and FIFOs. A
     * regular file's size is known: one buffer a byte larger (so that its
     * end is seen at once), on huge pages when large, instead of doubling
     * and copying up to it (a 17 MB PNG was read through 32 MB of copies) */
    size_t cap = 1 << 16, n = 0;
    if (known && S_ISREG(sb.st_mode) && sb.st_size > 0 && (uint64_t)sb.st_size < IMAGE_MAX_FILE_BYTES)
        cap = (size_t)sb.st_size + 1;
    uint8_t *buf = big_buffer(cap);
    effad_status st = EFFAD_OK;
    for (;;) {
        if (!buf) { st = effad_fail(e, EFFAD_ERR_NOMEM, "out of memory reading the file"); break; }
        n += fread(buf + n, 1, cap - n, f);
        if (ferror(f)) { st = effad_fail(e, EFFAD_ERR_IO, "cannot read: %s", strerror(errno)); break; }
        if (n < cap) break;
        /* a device or FIFO may never end (a link to /dev/zero): what does
         * not start as an image is refused at its first 64 KiB, not read
         * up to the limit below (gigabytes) */
        if (!decoder_for(buf, n)) { st = unknown_format(e); break; }
        /* no image we decode is larger
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

/* One 16-bit sample to 8 bits. PIL's clip applies only to grey ("I" mode);
 * its "LA;16B"/"RGB;16B" unpackers keep the high byte, like OpenCV. */
static uint8_t to8(uint16_t v, image_rgb_rule rule, int grey_only)
{
    if (rule == IMAGE_RGB_SCALE) return (uint8_t)((v + 128u) / 257u);   /* round(v / 257), never a tie */
    if (rule >= IMAGE_RGB_BITS_MIN) {
        /* round(v * 255 / m), m = 2^N - 1 odd: 2 v 255 + m is odd over an
         * even 2m, never a tie */
        const uint32_t m = (1u << rule) - 1u;
        return v >= m ? 255 : (uint8_t)((2u * 255u * v + m) / (2u * m));
    }
    if (rule == IMAGE_RGB_PIL && grey_only) return (uint8_t)(v > 255 ? 255 : v);
    return (uint8_t)(v >> 8);
}

static int valid_image(const effad_image *img)
{
    return img && img->px && img->w > 0 && img->h > 0 && img->channels >= 1 && img->channels <= 4 &&
           (img->bit_depth == 8 || img->bit_depth == 16);
}

effad_status image_to_rgb8_as(const effad_image *img, image_rgb_rule rule, uint8_t **rgb_out, effad_error *e)
{
    *rgb_out = NULL;
    if (!valid_image(img)) return effad_fail(e, EFFAD_ERR_ARG, "image_to_rgb8: not a valid image");
    if (!image_rgb_rule_valid((int)rule)) return effad_fail(e, EFFAD_ERR_ARG, "image_to_rgb8: unknown rule %d", (int)rule);
    size_t npx = (size_t)img->w * (size_t)img->h;
    uint8_t *out = big_buffer(npx * 3);
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
            if (c <= 2) v[0] = v[1] = v[2] = to8(s[0], rule, c == 1);
            else { v[0] = to8(s[0], rule, 0); v[1] = to8(s[1], rule, 0); v[2] = to8(s[2], rule, 0); }
        }
        memcpy(out + i * 3, v, 3);
    }
    *rgb_out = out;
    return EFFAD_OK;
}

size_t image_rgb8_clipped(const effad_image *img, image_rgb_rule rule)
{
    if (valid_image(img) && img->bit_depth == 16 && rule >= IMAGE_RGB_BITS_MIN && rule <= IMAGE_RGB_BITS_MAX) {
        const size_t npx = (size_t)img->w * (size_t)img->h;
        const int c = img->channels, colour = c >= 3 ? 3 : 1;   /* alpha is dropped, not clipped */
        const uint16_t *s = img->px, m = (uint16_t)((1u << rule) - 1u);
        size_t n = 0;
        for (size_t i = 0; i < npx; i++) {
            int over = 0;
            for (int k = 0; k < colour; k++) over |= s[i * c + k] > m;
            n += (size_t)over;
        }
        return n;
    }
    if (!valid_image(img) || rule != IMAGE_RGB_PIL || img->bit_depth != 16 || img->channels != 1) return 0;
    size_t n = 0, npx = (size_t)img->w * (size_t)img->h;
    const uint16_t *s = img->px;
    for (size_t i = 0; i < npx; i++) n += s[i] > 255;
    return n;
}

int image_orientation_applied(const effad_image *img, image_orient_rule rule)
{
    if (img->orientation < 1 || img->orientation > 8) return 1;
    return img->orientation_exif && rule != IMAGE_ORIENT_EXIF ? 1 : img->orientation;
}

effad_status image_load_rgb8(const char *path, image_rgb_rule rule, image_orient_rule orient, uint8_t **rgb, int *w,
                             int *h, size_t *clipped, effad_error *e)
{
    effad_image img;
    *rgb = NULL;
    effad_status s = image_load(path, &img, e);
    if (s) return s;
    *w = img.w;
    *h = img.h;
    const int turn = image_orientation_applied(&img, orient);
    if (clipped) *clipped = image_rgb8_clipped(&img, rule);
    if (img.bit_depth == 8 && img.channels == 3) {
        /* already what is asked for: handed over, not copied (a large
         * image's peak memory is then its RGB bytes once) */
        *rgb = img.px;
        img.px = NULL;
    } else {
        s = image_to_rgb8_as(&img, rule, rgb, e);
        image_free(&img);
    }
    if (!s) s = image_orient_rgb8(rgb, w, h, turn, e);
    if (s) {
        effad_error_prefix(e, path);
        free(*rgb);
        *rgb = NULL;
    }
    return s;
}
