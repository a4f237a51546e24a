/*
 * resize-cv.c -- cv2.resize(img, (w, h), interpolation=cv2.INTER_LINEAR)
 * for CV_8UC3, reproduced bit for bit (OpenCV 4.6, modules/imgproc/src/
 * resize.cpp, x86-64 build with the SSE2 baseline).
 *
 * The facts this follows:
 *  - Same size: a plain copy.
 *  - scale = 1 / (dst / src) in double (OpenCV divides twice). When both
 *    scales are exactly 2 the call is rerouted to INTER_AREA's fast path,
 *    which averages each 2x2 block as (a + b + c + d + 2) >> 2 -- not the
 *    bilinear formula, though the weights are the same.
 *  - Otherwise half-pixel centres: f = (float)((d + 0.5) * scale - 0.5),
 *    s = floor(f), weights (1 - frac, frac) in float, each rounded (half to
 *    even) to 11-bit fixed point (INTER_RESIZE_COEF_SCALE = 2048). The two
 *    rounded weights need not sum to 2048.
 *  - Columns left of the image take the first column with weight 2048 and
 *    columns at or past the last take the last column; rows are clamped
 *    instead, keeping their fractional weights.
 *  - Horizontal pass into int32 rows (exact), then the vertical pass, which
 *    is where the rounding lives. OpenCV's SIMD kernel
 *    (VResizeLinearVec_32s8u) computes
 *      t = mulhi16(S0 >> 4, b0) + mulhi16(S1 >> 4, b1);  out = (t + 2) >> 2
 *    truncating twice, and the uint8 specialisation of its scalar
 *    VResizeLinear uses the same formula for the tail, so every byte of the
 *    row is computed this way -- not as the exact
 *    (S0 * b0 + S1 * b1 + (1 << 21)) >> 22, which differs by one on a few
 *    per cent of pixels.
 */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "resize.h"

#define CV_COEF_BITS 11
#define CV_COEF_SCALE (1 << CV_COEF_BITS)
#define CV_MAX_DIM 32767

#define ALIGN16(n) (((n) + 15) & ~(size_t)15)

static inline int cv_round(double v) { return (int)lrint(v); }     /* half to even */
static inline int16_t cv_sat_s16f(float v)
{
    long r = lrintf(v);
    return (int16_t)(r > 32767 ? 32767 : r < -32768 ? -32768 : r);
}
static inline uint8_t sat_u8(int32_t v) { return (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v); }

size_t resize_cv_linear_scratch_bytes(int in_w, int in_h, int out_w, int out_h)
{
    if (in_w <= 0 || in_h <= 0 || out_w <= 0 || out_h <= 0) return 0;
    if (in_w > CV_MAX_DIM || in_h > CV_MAX_DIM || out_w > CV_MAX_DIM || out_h > CV_MAX_DIM) return 0;
    return ALIGN16((size_t)out_w * sizeof(int32_t))           /* xofs */
         + ALIGN16((size_t)out_w * 2 * sizeof(int16_t))       /* alpha */
         + 2 * ALIGN16((size_t)out_w * 3 * sizeof(int32_t));  /* two H-pass rows */
}

/* The INTER_AREA fast path OpenCV takes for exact 2x downscaling. */
static void cv_area2x(const uint8_t *in, int in_w, uint8_t *out, int out_w, int out_h)
{
    const size_t sstride = (size_t)in_w * 3;
    for (int dy = 0; dy < out_h; dy++) {
        const uint8_t *s0 = in + (size_t)(2 * dy) * sstride, *s1 = s0 + sstride;
        uint8_t *d = out + (size_t)dy * out_w * 3;
        for (int dx = 0; dx < out_w; dx++)
            for (int c = 0; c < 3; c++) {
                int i = 6 * dx + c;
                d[3 * dx + c] = (uint8_t)((s0[i] + s0[i + 3] + s1[i] + s1[i + 3] + 2) >> 2);
            }
    }
}

static void cv_hresize(const uint8_t *src, int32_t *dst, int out_w, const int32_t *xofs,
                       const int16_t *alpha, int xmax)
{
    int dx = 0;
    for (; dx < xmax; dx++) {
        const uint8_t *p = src + xofs[dx];
        int a0 = alpha[2 * dx], a1 = alpha[2 * dx + 1];
        for (int c = 0; c < 3; c++) dst[3 * dx + c] = p[c] * a0 + p[c + 3] * a1;
    }
    /* Past the right edge OpenCV reads one column with weight ONE. */
    for (; dx < out_w; dx++) {
        const uint8_t *p = src + xofs[dx];
        for (int c = 0; c < 3; c++) dst[3 * dx + c] = p[c] * CV_COEF_SCALE;
    }
}

static void cv_vresize(const int32_t *s0, const int32_t *s1, uint8_t *dst, int width, int16_t b0, int16_t b1)
{
    for (int x = 0; x < width; x++) {
        /* Drop 4 bits, 16x16 -> high-16 multiply (truncating), round off 2
         * bits. The sums stay within 0..1023, so neither the 16-bit packing
         * nor the final uint8 store can overflow. */
        int32_t t = (((s0[x] >> 4) * b0) >> 16) + (((s1[x] >> 4) * b1) >> 16);
        dst[x] = sat_u8((t + 2) >> 2);
    }
}

effad_status resize_cv_linear_rgb8(const uint8_t *in, int in_w, int in_h,
                                   uint8_t *out, int out_w, int out_h,
                                   void *scratch, size_t scratch_bytes, effad_error *e)
{
    if (!in || !out) return effad_fail(e, EFFAD_ERR_ARG, "resize_cv: NULL image buffer");
    if (in_w <= 0 || in_h <= 0 || out_w <= 0 || out_h <= 0)
        return effad_fail(e, EFFAD_ERR_ARG, "resize_cv: sizes must be positive (in %dx%d, out %dx%d)",
                          in_w, in_h, out_w, out_h);
    if (in_w > CV_MAX_DIM || in_h > CV_MAX_DIM || out_w > CV_MAX_DIM || out_h > CV_MAX_DIM)
        return effad_fail(e, EFFAD_ERR_ARG, "resize_cv: sizes above %d are not supported", CV_MAX_DIM);
    if (in_w == out_w && in_h == out_h) {
        memcpy(out, in, (size_t)in_w * in_h * 3);
        return EFFAD_OK;
    }
    double scale_x = 1. / ((double)out_w / in_w), scale_y = 1. / ((double)out_h / in_h);
    int iscale_x = cv_round(scale_x), iscale_y = cv_round(scale_y);
    if (fabs(scale_x - iscale_x) < DBL_EPSILON && fabs(scale_y - iscale_y) < DBL_EPSILON &&
        iscale_x == 2 && iscale_y == 2) {
        cv_area2x(in, in_w, out, out_w, out_h);
        return EFFAD_OK;
    }

    size_t need = resize_cv_linear_scratch_bytes(in_w, in_h, out_w, out_h);
    void *owned = NULL;
    if (!scratch) {
        scratch = owned = malloc(need);
        if (!owned) return effad_fail(e, EFFAD_ERR_NOMEM, "resize_cv: cannot allocate %zu bytes", need);
    } else if (scratch_bytes < need) {
        return effad_fail(e, EFFAD_ERR_NOMEM, "resize_cv: scratch has %zu bytes, needs %zu", scratch_bytes, need);
    }
    uint8_t *mem = scratch;
    int32_t *xofs = (int32_t *)(void *)mem; mem += ALIGN16((size_t)out_w * sizeof(int32_t));
    int16_t *alpha = (int16_t *)(void *)mem; mem += ALIGN16((size_t)out_w * 2 * sizeof(int16_t));
    int32_t *rows[2];
    rows[0] = (int32_t *)(void *)mem; mem += ALIGN16((size_t)out_w * 3 * sizeof(int32_t));
    rows[1] = (int32_t *)(void *)mem;

    int xmax = out_w;
    for (int dx = 0; dx < out_w; dx++) {
        float fx = (float)((dx + 0.5) * scale_x - 0.5);
        int sx = (int)floorf(fx);
        fx -= (float)sx;
        if (sx < 0) { fx = 0; sx = 0; }
        if (sx + 1 >= in_w) {
            if (xmax > dx) xmax = dx;
            if (sx >= in_w - 1) { fx = 0; sx = in_w - 1; }
        }
        xofs[dx] = sx * 3;
        alpha[2 * dx] = cv_sat_s16f((1.f - fx) * CV_COEF_SCALE);
        alpha[2 * dx + 1] = cv_sat_s16f(fx * CV_COEF_SCALE);
    }

    const size_t sstride = (size_t)in_w * 3;
    int have[2] = { -1, -1 };   /* source row currently held in rows[k] */
    for (int dy = 0; dy < out_h; dy++) {
        float fy = (float)((dy + 0.5) * scale_y - 0.5);
        int sy = (int)floorf(fy);
        fy -= (float)sy;
        int16_t b0 = cv_sat_s16f((1.f - fy) * CV_COEF_SCALE);
        int16_t b1 = cv_sat_s16f(fy * CV_COEF_SCALE);
        int r[2];
        for (int k = 0; k < 2; k++) {
            int y = sy + k;
            r[k] = y < 0 ? 0 : y >= in_h ? in_h - 1 : y;
        }
        if (have[0] != r[0]) {
            if (have[1] == r[0]) {   /* moving down: the lower row becomes the upper */
                int32_t *t = rows[0]; rows[0] = rows[1]; rows[1] = t;
                have[0] = have[1]; have[1] = -1;
            } else {
                cv_hresize(in + (size_t)r[0] * sstride, rows[0], out_w, xofs, alpha, xmax);
                have[0] = r[0];
            }
        }
        if (have[1] != r[1]) {
            cv_hresize(in + (size_t)r[1] * sstride, rows[1], out_w, xofs, alpha, xmax);
            have[1] = r[1];
        }
        cv_vresize(rows[0], rows[1], out + (size_t)dy * out_w * 3, out_w * 3, b0, b1);
    }
    free(owned);
    return EFFAD_OK;
}
