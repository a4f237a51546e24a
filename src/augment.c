/*
 * augment.c -- rotation as cv2.warpAffine does it, and the MahalanobisAD
 * augmentation recipe built on it. See augment.h.
 *
 * The OpenCV facts (4.6, imgproc/src/imgwarp.cpp) the warp follows:
 *  - warpAffine inverts the forward matrix itself, with this exact sequence
 *    of double operations (D = 1 / det, A11 = M4 * D, ...).
 *  - Source coordinates are 10-bit fixed point (AB_BITS): per row
 *    X0 = round((M1 * y + M2) * 1024) + 16, per column round(M0 * x * 1024)
 *    (rounding half to even), summed and shifted right by 5 to give a
 *    position in 1/32 pixel (INTER_BITS = 5).
 *  - Bilinear weights come from a 32 x 32 table of (1-fx)(1-fy) style
 *    products scaled by 32768 and stored as int16: all exact except the
 *    (0, 0) entry, whose 32768 saturates to 32767 (harmless for 8-bit: the
 *    rounding below absorbs it, but we keep it).
 *  - The pixel is (v0 w0 + v1 w1 + v2 w2 + v3 w3 + 16384) >> 15, saturated;
 *    with BORDER_REPLICATE each of the four taps clamps its own coordinate.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "augment.h"
#include "resize.h"

#define CV_PI_ 3.1415926535897932384626433832795
#define WARP_AB_BITS 10
#define WARP_INTER_BITS 5
#define WARP_TAB 32
#define WARP_MAX_DIM 32767

#define ALIGN16(n) (((n) + 15) & ~(size_t)15)

/* ------------------------------------------------------------ rotation */

void rotation_matrix_2d(double cx, double cy, double angle_deg, double scale, double m[6])
{
    /* Point2f: the centre passes through float. */
    double fx = (float)cx, fy = (float)cy;
    double a = angle_deg * (CV_PI_ / 180);
    double alpha = cos(a) * scale, beta = sin(a) * scale;
    m[0] = alpha; m[1] = beta;  m[2] = (1 - alpha) * fx - beta * fy;
    m[3] = -beta; m[4] = alpha; m[5] = beta * fx + (1 - alpha) * fy;
}

static inline int cv_round(double v) { return (int)lrint(v); }
/* Arithmetic shift right (floor division by 2^n), defined for negatives. */
static inline int asr(int v, int n) { return v >= 0 ? v >> n : ~(~v >> n); }
static inline int clampi(int v, int lo, int hi) { return v < lo ? lo : v > hi ? hi : v; }

effad_status warp_affine_linear_replicate_rgb8(const uint8_t *src, int w, int h, const double m_in[6],
                                               uint8_t *dst, int dst_w, int dst_h, effad_error *e)
{
    if (!src || !dst || !m_in) return effad_fail(e, EFFAD_ERR_ARG, "warp_affine: NULL argument");
    if (w <= 0 || h <= 0 || dst_w <= 0 || dst_h <= 0 ||
        w > WARP_MAX_DIM || h > WARP_MAX_DIM || dst_w > WARP_MAX_DIM || dst_h > WARP_MAX_DIM)
        return effad_fail(e, EFFAD_ERR_ARG, "warp_affine: sizes must be in 1..%d (src %dx%d, dst %dx%d)",
                          WARP_MAX_DIM, w, h, dst_w, dst_h);
    double m[6];
    memcpy(m, m_in, sizeof m);
    for (int i = 0; i < 6; i++)
        if (!isfinite(m[i])) return effad_fail(e, EFFAD_ERR_ARG, "warp_affine: matrix is not finite");
    {   /* cv::warpAffine without WARP_INVERSE_MAP: invert, OpenCV's way. */
        double D = m[0] * m[4] - m[1] * m[3];
        D = D != 0 ? 1. / D : 0;
        double A11 = m[4] * D, A22 = m[0] * D;
        m[0] = A11; m[1] *= -D;
        m[3] *= -D; m[4] = A22;
        double b1 = -m[0] * m[2] - m[1] * m[5];
        double b2 = -m[3] * m[2] - m[4] * m[5];
        m[2] = b1; m[5] = b2;
    }
    const int ab_scale = 1 << WARP_AB_BITS;
    const int round_delta = ab_scale / WARP_TAB / 2;
    const size_t sstride = (size_t)w * 3;
    for (int y = 0; y < dst_h; y++) {
        /* saturate_cast<int> of a double is cvRound, saturating. */
        double x0d = (m[1] * y + m[2]) * ab_scale, y0d = (m[4] * y + m[5]) * ab_scale;
        if (fabs(x0d) > 1e9 || fabs(y0d) > 1e9)
            return effad_fail(e, EFFAD_ERR_ARG, "warp_affine: matrix maps outside the fixed-point range");
        int X0 = cv_round(x0d) + round_delta, Y0 = cv_round(y0d) + round_delta;
        uint8_t *d = dst + (size_t)y * dst_w * 3;
        for (int x = 0; x < dst_w; x++, d += 3) {
            double ad = m[0] * x * ab_scale, bd = m[3] * x * ab_scale;
            if (fabs(ad) > 1e9 || fabs(bd) > 1e9)
                return effad_fail(e, EFFAD_ERR_ARG, "warp_affine: matrix maps outside the fixed-point range");
            int X = asr(X0 + cv_round(ad), WARP_AB_BITS - WARP_INTER_BITS);
            int Y = asr(Y0 + cv_round(bd), WARP_AB_BITS - WARP_INTER_BITS);
            int sx = clampi(asr(X, WARP_INTER_BITS), -32768, 32767);   /* stored as short */
            int sy = clampi(asr(Y, WARP_INTER_BITS), -32768, 32767);
            int fx = X - asr(X, WARP_INTER_BITS) * WARP_TAB;
            int fy = Y - asr(Y, WARP_INTER_BITS) * WARP_TAB;
            int w0 = (WARP_TAB - fx) * (WARP_TAB - fy) * WARP_TAB;
            int w1 = fx * (WARP_TAB - fy) * WARP_TAB;
            int w2 = (WARP_TAB - fx) * fy * WARP_TAB;
            int w3 = fx * fy * WARP_TAB;
            if (w0 > 32767) w0 = 32767;
            int x0 = clampi(sx, 0, w - 1), x1 = clampi(sx + 1, 0, w - 1);
            int y0 = clampi(sy, 0, h - 1), y1 = clampi(sy + 1, 0, h - 1);
            const uint8_t *p0 = src + (size_t)y0 * sstride, *p1 = src + (size_t)y1 * sstride;
            for (int c = 0; c < 3; c++) {
                int v = p0[3 * x0 + c] * w0 + p0[3 * x1 + c] * w1 + p1[3 * x0 + c] * w2 + p1[3 * x1 + c] * w3;
                v = (v + (1 << 14)) >> 15;
                d[c] = (uint8_t)(v > 255 ? 255 : v);
            }
        }
    }
    return EFFAD_OK;
}

effad_status rotate_bilinear_replicate(const uint8_t *rgb, int w, int h, double angle_deg,
                                       uint8_t *out, effad_error *e)
{
    double m[6];
    /* mahalanobisad.py: getRotationMatrix2D(((w / 2), (h / 2)), angle, 1) */
    rotation_matrix_2d(w / 2.0, h / 2.0, angle_deg, 1.0, m);
    return warp_affine_linear_replicate_rgb8(rgb, w, h, m, out, w, h, e);
}

/* ------------------------------------------------------------ the PRNG */

void augment_rng_seed(augment_rng *r, uint64_t seed) { r->state = seed; }

void augment_rng_seed_image(augment_rng *r, uint64_t seed, uint64_t image)
{
    /* splitmix64 walks its state by a fixed step, so seed + image would
     * give neighbouring images overlapping streams; hashing the index, and
     * then the pair, puts every image's stream somewhere unrelated */
    augment_rng by_index = { image }, pair;
    augment_rng_seed(&pair, seed ^ augment_rng_next(&by_index));
    augment_rng_seed(r, augment_rng_next(&pair));
}

uint64_t augment_rng_next(augment_rng *r)
{
    uint64_t z = (r->state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

int augment_rng_int(augment_rng *r, int lo, int hi)
{
    if (hi <= lo) return lo;
    uint64_t span = (uint64_t)((int64_t)hi - lo) + 1;
    /* Reject the top sliver of the 64-bit range so every value is equally likely. */
    uint64_t limit = UINT64_MAX - UINT64_MAX % span;
    uint64_t v;
    do v = augment_rng_next(r); while (v >= limit);
    return (int)((int64_t)lo + (int64_t)(v % span));
}

/* ------------------------------------------------------------ the recipe */

effad_status augment_sample(augment_rng *r, const preprocess_cfg *cfg, int rw, int rh,
                            int max_angle, augment_draw *d, effad_error *e)
{
    if (!r || !cfg || !d) return effad_fail(e, EFFAD_ERR_ARG, "augment_sample: NULL argument");
    if (max_angle < 0 || max_angle > 180)
        return effad_fail(e, EFFAD_ERR_ARG, "augment_sample: max_angle %d is outside 0..180", max_angle);
    if (cfg->out_h > rh || cfg->out_w > rw || cfg->out_h <= 0 || cfg->out_w <= 0)
        return effad_fail(e, EFFAD_ERR_ARG, "augment_sample: crop %dx%d does not fit the %dx%d resized image",
                          cfg->out_w, cfg->out_h, rw, rh);
    /* Same draw order as the script: angle, then top, then left. */
    d->angle_deg = augment_rng_int(r, -max_angle, max_angle);
    d->top = augment_rng_int(r, 0, rh - cfg->out_h - 1);
    d->left = augment_rng_int(r, 0, rw - cfg->out_w - 1);
    if (d->top < 0) d->top = 0;
    if (d->left < 0) d->left = 0;
    return EFFAD_OK;
}

size_t augment_scratch_bytes(const preprocess_cfg *cfg, int w, int h)
{
    int rw, rh;
    if (preprocess_resized_size(cfg, w, h, &rw, &rh, NULL) != EFFAD_OK) return 0;
    size_t rs = preprocess_resize_scratch_bytes(cfg, w, h, rw, rh);
    if (!rs) return 0;
    return 2 * ALIGN16((size_t)rw * rh * 3) + rs;
}

effad_status augment_apply(const preprocess_cfg *cfg, const uint8_t *rgb, int w, int h,
                           const augment_draw *d, float *out_chw,
                           void *scratch, size_t scratch_bytes, effad_error *e)
{
    if (!cfg || !rgb || !d || !out_chw) return effad_fail(e, EFFAD_ERR_ARG, "augment: NULL argument");
    if (cfg->resize != PREP_RESIZE_SHORT_SIDE)
        return effad_fail(e, EFFAD_ERR_ARG, "augment: preset '%s' does not resize by the shorter side",
                          cfg->name ? cfg->name : "?");
    int rw, rh;
    effad_status st = preprocess_resized_size(cfg, w, h, &rw, &rh, e);
    if (st) return st;
    if (d->top < 0 || d->left < 0 || d->top + cfg->out_h > rh || d->left + cfg->out_w > rw)
        return effad_fail(e, EFFAD_ERR_ARG, "augment: crop %dx%d at (%d,%d) is outside the %dx%d resized image",
                          cfg->out_w, cfg->out_h, d->left, d->top, rw, rh);
    size_t need = augment_scratch_bytes(cfg, w, h);
    void *owned = NULL;
    if (!scratch) {
        scratch = owned = malloc(need);
        if (!owned) return effad_fail(e, EFFAD_ERR_NOMEM, "augment: cannot allocate %zu bytes", need);
    } else if (scratch_bytes < need) {
        return effad_fail(e, EFFAD_ERR_NOMEM, "augment: scratch has %zu bytes, needs %zu", scratch_bytes, need);
    } else {
        need = scratch_bytes;
    }
    size_t img_bytes = ALIGN16((size_t)rw * rh * 3);
    uint8_t *resized = scratch, *rotated = resized + img_bytes;
    st = preprocess_resize(cfg, rgb, w, h, resized, rw, rh, rotated + img_bytes, need - 2 * img_bytes, e);
    if (!st) st = rotate_bilinear_replicate(resized, rw, rh, (double)d->angle_deg, rotated, e);
    if (!st) preprocess_normalize_crop(cfg, rotated, rw, d->top, d->left, out_chw);
    free(owned);
    return st;
}
