/*
 * image.h -- the image codecs: PNG, PPM/PGM/PBM, BMP and baseline JPEG in,
 * PNG out. Written from the specs (PNG 1.2 / ISO 15948, RFC 1950/1951,
 * Netpbm, Microsoft BMP, ITU T.81); no third-party code.
 *
 * The decoders keep what the file says (bit depth, alpha, grey) as far as
 * PIL 9.4's Image.open() does, and image_to_rgb8() then reproduces
 * Image.open(p).convert('RGB') -- the preprocessing the models were
 * trained with -- so a detector fed through here sees the same bytes:
 *
 *   PNG   grey 1/2/4 bit    -> 8-bit grey scaled like PIL's "1"/"L;2"/"L;4"
 *                              (v * 255 / (2^d - 1))             [exact]
 *         palette           -> RGB, or RGBA when tRNS is present   [exact]
 *         16-bit grey       -> kept 16-bit; to RGB *clips* at 255, because
 *                              PIL opens it as mode "I" and I->RGB clamps:
 *                              a 16-bit grey PNG converts to near-white.
 *                              Surprising, but it is what PIL does.   [exact]
 *         16-bit grey+alpha, RGB, RGBA
 *                           -> kept 16-bit; to RGB takes the high byte
 *                              (PIL unpacks them with "LA;16B"/"RGB;16B",
 *                              which drop the low byte, no rounding) [exact]
 *         tRNS for grey/RGB is ignored, as PIL's convert('RGB') does.
 *   PNM   P1/P4 -> 0/255 grey. maxval 255 (and P5 maxval 65535) raw;
 *         any other maxval is rescaled as PIL does,
 *         round_half_even(v / maxval * out_max) in double, out_max = 65535
 *         for grey with maxval > 255 (kept 16-bit, so to RGB clips like
 *         mode "I") and 255 otherwise -- P6/P3 with maxval > 255 therefore
 *         decode straight to 8-bit RGB, as in PIL.                   [exact]
 *   BMP   1/4/8-bit palette (-> grey when the palette is all grey), 24-bit,
 *         32-bit BI_RGB (4th byte ignored, PIL's "BGRX") and 32-bit
 *         BI_BITFIELDS with 8-bit masks (alpha kept when masked). Bottom-up
 *         and top-down. RLE and 16-bit are refused.                  [exact]
 *   JPEG  baseline and extended-sequential Huffman, 8-bit, 1 or 3
 *         components, any integral sampling factors, restart markers. The
 *         IDCT is the exact integer LL&M ("islow") arithmetic libjpeg uses
 *         by default, upsampling is libjpeg's "fancy" triangular filter for
 *         h2v1/h1v2/h2v2 (box for other factors, and for components at
 *         most 2 samples wide, as libjpeg), and YCbCr->RGB uses libjpeg's
 *         16-bit fixed-point constants: measured bit-exact (max |diff| 0)
 *         against PIL 9.4 (libjpeg-turbo) on the 8 JPEG fixtures (grey,
 *         4:4:4, 4:2:2, 4:2:0, restart intervals, 3-pixel-wide 4:2:0) and on
 *         32 more of random size 1..2048 px, quality 5..97. h1v2 (4:4:0) is
 *         implemented the same way but PIL cannot write it, so unmeasured.
 *         tests/unit/test-image-decode.c only requires max |diff| <= 2 and
 *         mean <= 0.5, so a different libjpeg build cannot break it.
 *         Progressive, arithmetic-coded, lossless, 12-bit and 4-component
 *         (CMYK) files are refused with EFFAD_ERR_UNSUPPORTED.
 *
 * Limits: every decoder refuses more than IMAGE_MAX_PIXELS pixels before
 * allocating, with overflow-safe size arithmetic, so a small hostile file
 * cannot ask for gigabytes (PNG's inflate also stops at the exact raw size
 * IHDR implies -- no decompression bombs).
 */
#ifndef EFFAD_IMAGE_H
#define EFFAD_IMAGE_H

#include <stddef.h>
#include <stdint.h>
#include "effad.h"

#define IMAGE_MAX_PIXELS (1u << 28)
/* image_load stops reading a file (a FIFO or device may never end) here:
 * IMAGE_MAX_PIXELS at 8 bytes each, plus room for headers. */
#define IMAGE_MAX_FILE_BYTES (((uint64_t)IMAGE_MAX_PIXELS << 3) + ((uint64_t)1 << 24))

typedef struct effad_image {
    int w, h;
    int channels;   /* 1 grey, 2 grey+alpha, 3 RGB, 4 RGBA */
    int bit_depth;  /* 8 or 16 */
    void *px;       /* h*w*channels samples, uint8_t or uint16_t (native
                       endian), row-major, channels interleaved; malloc'd */
} effad_image;

/* Sniffs the format from the first bytes. On failure img is left empty
 * ({0}) and e says what was wrong, e.g. "PNG: chunk IDAT: CRC mismatch". */
effad_status image_decode(const uint8_t *bytes, size_t n, effad_image *img, effad_error *e);
/* image_decode() on a file's contents; errors are prefixed with the path. */
effad_status image_load(const char *path, effad_image *img, effad_error *e);
void image_free(effad_image *img);

/* Image.open(p).convert('RGB'), byte for byte (see the table above):
 * *rgb_out gets a malloc'd h*w*3 buffer the caller frees. */
effad_status image_to_rgb8(const effad_image *img, uint8_t **rgb_out, effad_error *e);
/* Which library's 8-bit RGB to reproduce. They differ only for 16-bit grey:
 * PIL opens it as mode "I" and clips to 255 on convert('RGB'); OpenCV's
 * imread(IMREAD_COLOR) keeps the high byte. Everything else (alpha dropped,
 * grey replicated, palette expanded, 16-bit colour -> high byte) agrees. */
typedef enum image_rgb_rule { IMAGE_RGB_PIL = 0, IMAGE_RGB_OPENCV = 1 } image_rgb_rule;
effad_status image_to_rgb8_as(const effad_image *img, image_rgb_rule rule, uint8_t **rgb_out, effad_error *e);

/* Writes an 8-bit PNG (channels 1 grey, 3 RGB, 4 RGBA). Atomic: the data
 * goes to a temporary file in the same directory, is flushed and fsync'd,
 * then renamed over path; on any failure the temporary is removed and path
 * is untouched. The file gets mode 0644. */
effad_status image_write_png(const char *path, const uint8_t *px, int w, int h, int channels,
                             effad_error *e);
/* The same PNG, into memory (*out malloc'd), for tests and embedding. */
effad_status image_encode_png(const uint8_t *px, int w, int h, int channels,
                              uint8_t **out, size_t *out_bytes, effad_error *e);

/* Per-format decoders behind image_decode(); each expects its own format. */
effad_status image_decode_png(const uint8_t *b, size_t n, effad_image *img, effad_error *e);
effad_status image_decode_pnm(const uint8_t *b, size_t n, effad_image *img, effad_error *e);
effad_status image_decode_bmp(const uint8_t *b, size_t n, effad_image *img, effad_error *e);
effad_status image_decode_jpeg(const uint8_t *b, size_t n, effad_image *img, effad_error *e);

/* Shared by the decoders: checks w, h against IMAGE_MAX_PIXELS and
 * allocates img->px zeroed. `fmt` names the format in messages. */
effad_status image_alloc(effad_image *img, int w, int h, int channels, int bit_depth,
                         const char *fmt, effad_error *e);

#endif
