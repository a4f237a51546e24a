/* pixel-kernels.h -- the steps that took most of the time between a
 * camera's file and the network's input, as a table per instruction set
 * beside the scalar references (XNNPACK's pattern, on a small scale):
 *   - idct: libjpeg's integer "islow" inverse DCT of one 8x8 block;
 *   - ycc_rgb: libjpeg's YCbCr -> RGB of a run of full-resolution pixels;
 *   - fancy_h2: a row of libjpeg's triangular 2:1 chroma upsampling;
 *   - png_paeth: the PNG Paeth filter undone along a row;
 *   - pil_h, pil_v: a row of Pillow's horizontal resampling pass, and a
 *     row of its vertical one (resize-pil.c says what they reproduce).
 * Every table gives the scalar references' bits for every input, hostile
 * ones included (tests/unit/test-pixel-kernels.c holds them to it), so the
 * choice -- the best this CPU runs, made once; `effad --version` names it
 * -- never shows in an image. What each step cost and bought:
 * bench/README.md, "From a camera's file to the network's input".
 *
 * idct: coef holds the block's dequantised coefficients in natural
 * (row-major) order, any int32 values; dst receives the 8x8 samples, row r
 * at dst + r * stride, exactly as libjpeg's jpeg_idct_islow computes them
 * with its 64-bit JLONG (jidctint.c).
 *
 * The SIMD forms of idct work in 32-bit lanes. Each 1-D pass is a linear
 * map whose intermediates are at most 61214 times the largest magnitude
 * it reads (the sum of the magnitudes of the factors on each path, 13-bit
 * constants included), plus the rounding term, so a pass is exact in 32
 * bits while its inputs stay within JPEG_IDCT_I32_SAFE: the forms check
 * the coefficients before the column pass and the workspace before the
 * row pass, and hand a block that fails either check to the scalar
 * reference. Real files never do (8-bit data give coefficients within
 * about +-1200 and a workspace within about +-20000); only hostile or
 * 16-bit-quantised ones take the slow way.
 *
 * ycc_rgb: n pixels from three planes to interleaved RGB, libjpeg's
 * jdcolor.c: the JFIF equations in 16-bit fixed point, each term rounded
 * as its tables round it.
 *
 * fancy_h2: one output row of libjpeg's h2v1 / h2v2 "fancy" upsamplers
 * over n >= 3 samples: s[i] = a[i] when b is NULL (h2v1: biases 1 and 2,
 * shift 2), else 3 a[i] + b[i] (h2v2: b the nearer other row, the
 * vertical pass first; biases 8 and 7, shift 4); out[2i] = (3 s[i] +
 * s[i-1] + bias0) >> shift, out[2i+1] = (3 s[i] + s[i+1] + bias1) >>
 * shift, the edge samples standing in for their missing neighbours; W
 * outputs (2n - 1 or 2n).
 *
 * png_paeth: row (n bytes, whole pixels of bpp bytes) unfiltered in place
 * after its first pixel, which the caller has done, against prev, the
 * unfiltered row above (PNG spec 9.4: each byte plus the predictor of a =
 * its left neighbour as unfiltered, b = above, c = above-left).
 *
 * pil_h: n output pixels of one RGB row: for output i, bounds[2i] is its
 * first source pixel and bounds[2i + 1] its tap count, k + i * ksize its
 * 22-bit taps; dst[3i + c] = clip((2^21 + sum src[3 (first + t) + c] *
 * k[t]) >> 22), taps within +-2^26 (Pillow's are within +-2^23; the AVX2
 * form splits them into 16-bit halves). avail: the bytes readable from
 * src (to the image's end; a form may read past the row, never past
 * that). packed: what pil_h_pack made of the same taps, for the forms
 * that have one (NULL otherwise).
 * pil_v: n bytes of an output row: dst[j] = clip((2^21 + sum over t <
 * taps of src[t * stride + j] * k[t]) >> 22).
 * The sums of both are those of Pillow's 32-bit int; the forms add them in
 * any order, which the wrap of unsigned arithmetic makes the same. */
#ifndef EFFAD_PIXEL_KERNELS_H
#define EFFAD_PIXEL_KERNELS_H

#include <stddef.h>
#include <stdint.h>

/* 61214 * 35000 + 2^17 < 2^31 */
#define JPEG_IDCT_I32_SAFE 35000

/* The IDCT arithmetic every form shares: the Loeffler-Ligtenberg-Moschytz
 * factorisation's constants in 13-bit fixed point (round(x * 2^13)), the
 * column pass keeping JPEG_IDCT_PASS1_BITS extra bits, the row pass
 * descaling by 2^(13 + 2 + 3) (the 3 for the transform's 1/8). */
#define JPEG_IDCT_CONST_BITS 13
#define JPEG_IDCT_PASS1_BITS 2
enum {
    JPEG_IDCT_F0_298 = 2446,  JPEG_IDCT_F0_390 = 3196,  JPEG_IDCT_F0_541 = 4433,
    JPEG_IDCT_F0_765 = 6270,  JPEG_IDCT_F0_899 = 7373,  JPEG_IDCT_F1_175 = 9633,
    JPEG_IDCT_F1_501 = 12299, JPEG_IDCT_F1_847 = 15137, JPEG_IDCT_F1_961 = 16069,
    JPEG_IDCT_F2_053 = 16819, JPEG_IDCT_F2_562 = 20995, JPEG_IDCT_F3_072 = 25172,
};

/* Pillow's 8-bit fixed point: 32 - 8 - 2 fraction bits */
#define PIL_PRECISION_BITS 22

/* The colour constants, round(x * 2^16): Cr to R, Cb to G, Cr to G, Cb to B. */
enum { JPEG_YCC_CR_R = 91881, JPEG_YCC_CB_G = 22554, JPEG_YCC_CR_G = 46802, JPEG_YCC_CB_B = 116130 };

typedef struct pixel_kernels {
    const char *name;
    void (*idct)(const int32_t coef[64], uint8_t *dst, size_t stride);
    void (*ycc_rgb)(const uint8_t *y, const uint8_t *cb, const uint8_t *cr, size_t n, uint8_t *rgb);
    void (*fancy_h2)(const uint8_t *a, const uint8_t *b, int n, uint8_t *out, int W);
    void (*png_paeth)(uint8_t *row, const uint8_t *prev, size_t n, size_t bpp);
    /* the bytes pil_h_pack writes for n outputs of ksize taps (0: the form
     * reads the taps as they are, and pil_h_pack is NULL) */
    size_t (*pil_h_pack_bytes)(int ksize, int n);
    void (*pil_h_pack)(const int32_t *k, int ksize, int n, void *packed);
    void (*pil_h)(const uint8_t *src, size_t avail, const int32_t *bounds, const int32_t *k, int ksize,
                  const void *packed, int n, uint8_t *dst);
    void (*pil_v)(const uint8_t *src, size_t stride, const int32_t *k, int taps, size_t n, uint8_t *dst);
} pixel_kernels;

/* The references (also each SIMD idct's way out). */
void jpeg_idct_islow_scalar(const int32_t coef[64], uint8_t *dst, size_t stride);
void jpeg_ycc_rgb_scalar(const uint8_t *y, const uint8_t *cb, const uint8_t *cr, size_t n, uint8_t *rgb);
void jpeg_fancy_h2_scalar(const uint8_t *a, const uint8_t *b, int n, uint8_t *out, int W);
/* its pieces: outputs 0, 1, 2n - 2 and 2n - 1 (if < W); samples [i0, i1) */
void jpeg_fancy_h2_edges(const uint8_t *a, const uint8_t *b, int n, uint8_t *out, int W);
void jpeg_fancy_h2_span(const uint8_t *a, const uint8_t *b, int i0, int i1, uint8_t *out);
void png_paeth_scalar(uint8_t *row, const uint8_t *prev, size_t n, size_t bpp);
void pil_h_rgb8_scalar(const uint8_t *src, size_t avail, const int32_t *bounds, const int32_t *k, int ksize,
                       const void *packed, int n, uint8_t *dst);
void pil_v_rgb8_scalar(const uint8_t *src, size_t stride, const int32_t *k, int taps, size_t n, uint8_t *dst);

#if defined(__x86_64__) && defined(__GNUC__)
#define PIXEL_KERNELS_HAVE_AVX2 1
void jpeg_idct_islow_avx2(const int32_t coef[64], uint8_t *dst, size_t stride);
void jpeg_ycc_rgb_avx2(const uint8_t *y, const uint8_t *cb, const uint8_t *cr, size_t n, uint8_t *rgb);
void jpeg_fancy_h2_avx2(const uint8_t *a, const uint8_t *b, int n, uint8_t *out, int W);
void png_paeth_avx2(uint8_t *row, const uint8_t *prev, size_t n, size_t bpp);
size_t pil_h_pack_bytes_avx2(int ksize, int n);
void pil_h_pack_avx2(const int32_t *k, int ksize, int n, void *packed);
void pil_h_rgb8_avx2(const uint8_t *src, size_t avail, const int32_t *bounds, const int32_t *k, int ksize,
                     const void *packed, int n, uint8_t *dst);
void pil_v_rgb8_avx2(const uint8_t *src, size_t stride, const int32_t *k, int taps, size_t n, uint8_t *dst);
#else
#define PIXEL_KERNELS_HAVE_AVX2 0
#endif

#if defined(__aarch64__) && defined(__ARM_NEON)
#define PIXEL_KERNELS_HAVE_NEON 1
void jpeg_idct_islow_neon(const int32_t coef[64], uint8_t *dst, size_t stride);
void jpeg_ycc_rgb_neon(const uint8_t *y, const uint8_t *cb, const uint8_t *cr, size_t n, uint8_t *rgb);
void jpeg_fancy_h2_neon(const uint8_t *a, const uint8_t *b, int n, uint8_t *out, int W);
void png_paeth_neon(uint8_t *row, const uint8_t *prev, size_t n, size_t bpp);
void pil_h_rgb8_neon(const uint8_t *src, size_t avail, const int32_t *bounds, const int32_t *k, int ksize,
                     const void *packed, int n, uint8_t *dst);
void pil_v_rgb8_neon(const uint8_t *src, size_t stride, const int32_t *k, int taps, size_t n, uint8_t *dst);
#else
#define PIXEL_KERNELS_HAVE_NEON 0
#endif

/* Every table this build and CPU run, the scalar one first and the best
 * last; n is set to their count (tests compare each with the first).
 * Chosen on the first call, the same for every later one; safe from
 * several threads. */
const pixel_kernels *pixel_kernels_all(int *n);

/* The best of them. */
const pixel_kernels *pixel_kernels_best(void);

#endif
