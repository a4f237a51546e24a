/*
 * image.h -- the image codecs: PNG, TIFF, JPEG (baseline, sequential,
 * progressive), BMP and PPM/PGM/PBM in, PNG out. Written from the specs
 * (PNG 1.2 / ISO 15948, RFC 1950/1951, TIFF 6.0, ITU T.81, Netpbm,
 * Microsoft BMP); no third-party code.
 *
 * The decoders keep what the file says (bit depth, alpha, grey) as far as
 * PIL 9.4's Image.open() does. image_to_rgb8_as() then makes 8-bit RGB:
 * 8-bit images exactly as Image.open(p).convert('RGB') -- the
 * preprocessing the models were trained with --, 16-bit ones by the rule
 * the caller picks (image_rgb_rule below: effad's default scales them,
 * round(v / 257); IMAGE_RGB_PIL is PIL's convert('RGB') bit for bit, which
 * clips 16-bit grey to white; IMAGE_RGB_OPENCV keeps the high byte). What
 * each decoder produces, and what PIL's convert makes of it:
 *
 *   PNG   grey 1/2/4 bit    -> 8-bit grey scaled like PIL's "1"/"L;2"/"L;4"
 *                              (v * 255 / (2^d - 1))             [exact]
 *         palette           -> RGB, or RGBA when tRNS is present   [exact]
 *         16-bit grey       -> kept 16-bit; PIL's convert *clips* at 255, because
 *                              PIL opens it as mode "I" and I->RGB clamps:
 *                              a 16-bit grey PNG converts to near-white.
 *                              Surprising, but it is what PIL does   [exact];
 *                              effad's default scales instead.
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
 *   TIFF  baseline TIFF 6.0, the first image (page) of the file: 8- and
 *         16-bit grey (BlackIsZero; WhiteIsZero 8-bit only, inverted as PIL
 *         does) and RGB, each with an optional unassociated alpha, chunky or
 *         planar (PlanarConfiguration 2), strips or tiles, uncompressed,
 *         PackBits, LZW, Deflate (Compression 8 and the old 32946, through
 *         src/inflate.c), Predictor 2 with LZW and Deflate, both byte
 *         orders. 16-bit kept 16-bit; PIL opens 16-bit grey as "I;16" and
 *         clips it on convert like PNG's, 16-bit RGB as "RGB;16L/B": the
 *         high byte.                                                   [exact]
 *         Refused with EFFAD_ERR_UNSUPPORTED, naming the tag and value:
 *         other compressions (JPEG-in-TIFF, CCITT, ...), palette, CMYK,
 *         YCbCr, Lab, 1/2/4/12/32-bit and float samples, associated alpha,
 *         FillOrder 2, Predictor 3, BigTIFF, old-style LZW.
 *   JPEG  baseline, extended-sequential and progressive Huffman (spectral
 *         selection and successive approximation, DC and AC, first and
 *         refinement scans), 8-bit, 1 or 3 components, any integral
 *         sampling factors, restart markers in every kind of scan. The
 *         IDCT is the exact integer LL&M ("islow") arithmetic libjpeg uses
 *         by default, upsampling is libjpeg's "fancy" triangular filter for
 *         h2v1/h1v2/h2v2 (box for other factors, and for components at
 *         most 2 samples wide, as libjpeg), and YCbCr->RGB uses libjpeg's
 *         16-bit fixed-point constants: measured bit-exact (max |diff| 0)
 *         against PIL 9.4 (libjpeg-turbo) on the 15 JPEG fixtures (grey,
 *         4:4:4, 4:2:2, 4:2:0, restart intervals, 3-pixel-wide 4:2:0, and
 *         all of these progressive, with restarts in every scan) and on
 *         32 + 80 more of random size (baseline; progressive from PIL and
 *         from OpenCV with random restart intervals; 1..700 px, quality
 *         5..97), and on cjpeg's 4:1:1, 4:4:0 (h1v2), 2x4 and
 *         one-scan-per-component files (tests/gen-image-fixtures.py, which
 *         PIL and OpenCV cannot write). libjpeg's block smoothing, which it
 *         applies only to a progressive file whose scans leave coefficient
 *         bits unsent, is not reproduced: such a file decodes, but may
 *         differ from PIL's. tests/unit/test-image-decode.c requires
 *         the fixtures equal to PIL's pixels (the manifest's tolerance is
 *         0 for every JPEG). The IDCT, colour conversion and upsampling
 *         run on the best table of pixel-kernels.h (AVX2, NEON), every
 *         table the scalar one's bits. Arithmetic-coded, lossless, hierarchical, 12-bit
 *         and 4-component (CMYK) files are refused with EFFAD_ERR_UNSUPPORTED.
 *         Huffman tables are checked (over-subscribed lengths, DC symbols)
 *         before any table is built from them.
 *
 * Orientation: a decoder reports the orientation the file states (a JPEG's
 * or PNG's EXIF, exif.h; a TIFF's Orientation tag) in effad_image and
 * leaves the pixels as stored; image_load_rgb8 turns them as the chosen
 * reader would (image_orient_rule below).
 *
 * Limits: every decoder refuses more than IMAGE_MAX_PIXELS pixels (or the
 * fewer this machine allows: image_size_check below) before allocating,
 * with overflow-safe size arithmetic, so a small hostile file cannot ask
 * for gigabytes (PNG's inflate also stops at the exact raw size
 * IHDR implies -- no decompression bombs; a TIFF strip or tile must be able
 * to decode to its size with its codec's best ratio, and a JPEG frame needs
 * at least a bit of scan data per block, both checked before allocating).
 */
#ifndef EFFAD_IMAGE_H
#define EFFAD_IMAGE_H

#include <stddef.h>
#include <stdint.h>
#include "effad.h"

#define IMAGE_MAX_PIXELS (1u << 28)

/* The most pixels an image may have here, by the first rule that is
 * smaller than IMAGE_MAX_PIXELS: the environment's EFFAD_MAX_PIXELS, else
 * an eighth of the machine's memory in pixels (its RGB then takes at most
 * 3/8 of it, the file and the preset's buffers beside it), so that a
 * board with little memory refuses a frame it cannot hold by name instead
 * of being killed by the kernel halfway through: 512 MB allows 67
 * megapixels, 256 MB 33; where the system does not say, the build's
 * limit. Every decoder asks image_size_check before it allocates. */
#define IMAGE_MEMORY_SHARE 8
typedef enum image_limit_source { IMAGE_LIMIT_BUILD, IMAGE_LIMIT_ENV, IMAGE_LIMIT_MEMORY } image_limit_source;
effad_status image_max_pixels(uint64_t *max, image_limit_source *why, effad_error *e);
/* EFFAD_OK when a w x h image is within image_max_pixels; else
 * EFFAD_ERR_UNSUPPORTED saying which limit it passes (a malformed
 * EFFAD_MAX_PIXELS: EFFAD_ERR_ARG). */
effad_status image_size_check(uint64_t w, uint64_t h, effad_error *e);

/* image_load stops reading a file (a FIFO or device may never end) here:
 * IMAGE_MAX_PIXELS at 8 bytes each, plus room for headers. */
#define IMAGE_MAX_FILE_BYTES (((uint64_t)IMAGE_MAX_PIXELS << 3) + ((uint64_t)1 << 24))

typedef struct effad_image {
    int w, h;
    int channels;   /* 1 grey, 2 grey+alpha, 3 RGB, 4 RGBA */
    int bit_depth;  /* 8 or 16 */
    void *px;       /* h*w*channels samples, uint8_t or uint16_t (native
                       endian), row-major, channels interleaved; malloc'd */
    int orientation;       /* 1..8 as the file states it (TIFF 6.0 / Exif
                              Orientation: 6 = turn 90 degrees clockwise to
                              view), 0 when it states none; not applied */
    int orientation_exif;  /* stated in an EXIF block (JPEG APP1, PNG eXIf),
                              not by a TIFF file's own tag */
} effad_image;

/* Sniffs the format from the first bytes. On failure img is left empty
 * ({0}) and e says what was wrong, e.g. "PNG: chunk IDAT: CRC mismatch". */
effad_status image_decode(const uint8_t *bytes, size_t n, effad_image *img, effad_error *e);
/* image_decode() on a file's contents; errors are prefixed with the path. */
effad_status image_load(const char *path, effad_image *img, effad_error *e);
void image_free(effad_image *img);

/* Which library's 8-bit RGB to reproduce; they differ only for 16-bit
 * samples (alpha dropped, grey replicated, palette expanded agree):
 *   IMAGE_RGB_SCALE   round(v / 257) for every 16-bit sample: the 8-bit
 *                     image a user means. effad's default.
 *   IMAGE_RGB_PIL     Image.open(p).convert('RGB'): PIL opens 16-bit grey as
 *                     mode "I" and I -> RGB *clips* at 255, so a 16-bit grey
 *                     image turns (nearly) white; 16-bit grey+alpha and
 *                     colour keep the high byte. Bit-exact with the
 *                     MahalanobisAD-pytorch reference (`--pil-16bit`).
 *   IMAGE_RGB_OPENCV  cv2.imread(p, IMREAD_COLOR): the high byte, v >> 8.
 *                     Bit-exact with gaussian-ad-mvtec (`--opencv-16bit`).
 *   IMAGE_RGB_BITS(N) N = 9..15: samples of an N-bit camera kept in 16-bit
 *                     containers as they came (a Mono12 frame saved by
 *                     cv2.imwrite holds 0..4095): round(v * 255 / (2^N - 1)),
 *                     values above 2^N - 1 clipped to 255 (`--sample-bits N`;
 *                     scaled as 16-bit, they would use 4 of the 8 bits). The
 *                     rule's value is N. */
typedef enum image_rgb_rule {
    IMAGE_RGB_SCALE = 0, IMAGE_RGB_PIL = 1, IMAGE_RGB_OPENCV = 2,
    IMAGE_RGB_BITS_MIN = 9, IMAGE_RGB_BITS_MAX = 15
} image_rgb_rule;
#define IMAGE_RGB_BITS(n) ((image_rgb_rule)(n))
static inline int image_rgb_rule_valid(int rule)
{
    return (rule >= IMAGE_RGB_SCALE && rule <= IMAGE_RGB_OPENCV) || (rule >= IMAGE_RGB_BITS_MIN && rule <= IMAGE_RGB_BITS_MAX);
}
effad_status image_to_rgb8_as(const effad_image *img, image_rgb_rule rule, uint8_t **rgb_out, effad_error *e);
/* image_to_rgb8_as(IMAGE_RGB_PIL), the converter the decoder tests compare
 * with PIL: *rgb_out gets a malloc'd h*w*3 buffer the caller frees. */
effad_status image_to_rgb8(const effad_image *img, uint8_t **rgb_out, effad_error *e);
/* Pixels that image_to_rgb8_as(img, rule) saturates: 16-bit grey above 255
 * under IMAGE_RGB_PIL, a 16-bit sample above 2^N - 1 (any channel) under
 * IMAGE_RGB_BITS(N); 0 for every other image and rule. */
size_t image_rgb8_clipped(const effad_image *img, image_rgb_rule rule);
/* Which stated orientations a reader turns an image by (exif.h; measured
 * on Debian 12's Pillow 9.4 and OpenCV 4.6, tests/gen-orient-goldens.py):
 *   IMAGE_ORIENT_TIFF  a TIFF by its Orientation tag, never a JPEG or PNG
 *                      by its EXIF: PIL's Image.open (its TiffImagePlugin
 *                      turns the image as it loads) and cv2.imdecode with
 *                      IMREAD_UNCHANGED (the ailia sample's reader; OpenCV's
 *                      TIFF decoder turns the image itself).
 *   IMAGE_ORIENT_EXIF  both: cv2.imread(IMREAD_COLOR), which also applies
 *                      the EXIF of a JPEG (its first APP1) or PNG (eXIf). */
typedef enum image_orient_rule { IMAGE_ORIENT_TIFF = 0, IMAGE_ORIENT_EXIF = 1 } image_orient_rule;
/* The orientation img is turned by under rule: 1..8, 1 = as stored. */
int image_orientation_applied(const effad_image *img, image_orient_rule rule);
/* Turns an 8-bit RGB image (*rgb, *w x *h) by orientation 1..8 as
 * cv2.imread and PIL turn it (5..8 swap width and height; *rgb may be
 * replaced). Other values leave it as it is. */
effad_status image_orient_rgb8(uint8_t **rgb, int *w, int *h, int orientation, effad_error *e);
/* A file straight to 8-bit RGB (image_load + image_to_rgb8_as), turned by
 * its orientation as orient says; *w x *h the result. *clipped (may be
 * NULL) gets image_rgb8_clipped. Errors are prefixed with the path. */
effad_status image_load_rgb8(const char *path, image_rgb_rule rule, image_orient_rule orient, uint8_t **rgb, int *w,
                             int *h, size_t *clipped, effad_error *e);

/* Writes an 8-bit PNG (channels 1 grey, 3 RGB, 4 RGBA). Atomic: the data
 * goes to a temporary file in the same directory, is flushed and fsync'd,
 * then renamed over path; on any failure the temporary is removed and path
 * is untouched. The file gets mode 0644. */
effad_status image_write_png(const char *path, const uint8_t *px, int w, int h, int channels,
                             effad_error *e);
/* The same PNG, into memory (*out malloc'd), for tests and embedding. */
effad_status image_encode_png(const uint8_t *px, int w, int h, int channels,
                              uint8_t **out, size_t *out_bytes, effad_error *e);
/* 16-bit PNGs (samples native-endian in px, big-endian in the file), the
 * same way: raw anomaly maps keep their precision. */
effad_status image_write_png16(const char *path, const uint16_t *px, int w, int h, int channels,
                               effad_error *e);
effad_status image_encode_png16(const uint16_t *px, int w, int h, int channels,
                                uint8_t **out, size_t *out_bytes, effad_error *e);

/* Per-format decoders behind image_decode(); each expects its own format. */
effad_status image_decode_png(const uint8_t *b, size_t n, effad_image *img, effad_error *e);
effad_status image_decode_pnm(const uint8_t *b, size_t n, effad_image *img, effad_error *e);
effad_status image_decode_bmp(const uint8_t *b, size_t n, effad_image *img, effad_error *e);
effad_status image_decode_jpeg(const uint8_t *b, size_t n, effad_image *img, effad_error *e);
effad_status image_decode_tiff(const uint8_t *b, size_t n, effad_image *img, effad_error *e);

/* Shared by the decoders, after their image_size_check: checks w, h
 * against IMAGE_MAX_PIXELS and allocates img->px zeroed. `fmt` names the format in messages. */
effad_status image_alloc(effad_image *img, int w, int h, int channels, int bit_depth,
                         const char *fmt, effad_error *e);
/* The same, not zeroed, for a decoder that writes every sample before it
 * succeeds (JPEG): the pages are committed as the rows come, so a frame
 * header that promises more than its data holds costs only what the data
 * fills, and nothing is cleared twice. */
effad_status image_alloc_unzeroed(effad_image *img, int w, int h, int channels, int bit_depth, const char *fmt,
                                  effad_error *e);

#endif
