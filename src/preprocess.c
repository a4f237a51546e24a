/*
 * preprocess.c -- named preprocessing presets: resize, crop, normalise.
 * See preprocess.h for what each preset reproduces.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "preprocess.h"
#include "resize.h"

#define PREP_MAX_DIM 32767

static const float imagenet_mean[3] = { 0.485f, 0.456f, 0.406f };
static const float imagenet_std[3] = { 0.229f, 0.224f, 0.225f };

#define ALIGN16(n) (((n) + 15) & ~(size_t)15)

/* ------------------------------------------------------------ presets */

/* What each preset reproduces, with the reference lines, is in preprocess.h. */
static const struct preset {
    const char *name;
    prep_resize resize;
    prep_sampler sampler;
    prep_crop crop;
    prep_normalize normalize;
} presets[] = {
    { "ailia",         PREP_RESIZE_SHORT_SIDE, PREP_PIL_LANCZOS, PREP_CROP_CENTER_FLOOR, PREP_NORM_TORCHVISION },
    { "mahalanobisad", PREP_RESIZE_SHORT_SIDE, PREP_PIL_LANCZOS, PREP_CROP_CENTER_ROUND, PREP_NORM_TORCHVISION },
    { "paper",         PREP_RESIZE_EXACT,      PREP_CV_LINEAR,   PREP_CROP_NONE,         PREP_NORM_ALBUMENTATIONS },
};

/* .gauss format version 1 (effad before the presets were named after their
 * references) called the torchvision rounding "ailia" and the sample's floor
 * crop "ailia-floor". */
static const struct rename { unsigned before_version; const char *old_name, *name; } renames[] = {
    { 2, "ailia", "mahalanobisad" },
    { 2, "ailia-floor", "ailia" },
};

const char *preprocess_preset_names(void) { return "ailia, mahalanobisad, paper"; }

int preprocess_turns_by_exif(const preprocess_cfg *cfg)
{
    return cfg->sampler == PREP_CV_LINEAR;   /* paper: gaussian-ad-mvtec's cv2.imread, then cv2.resize */
}

const char *preprocess_uncropped_preset(void)
{
    for (size_t i = 0; i < sizeof presets / sizeof presets[0]; i++)
        if (presets[i].crop == PREP_CROP_NONE) return presets[i].name;
    return "";
}

const char *preprocess_preset_renamed(unsigned version, const char *stored)
{
    for (size_t i = 0; stored && i < sizeof renames / sizeof renames[0]; i++)
        if (version < renames[i].before_version && !strcmp(stored, renames[i].old_name)) return renames[i].name;
    return NULL;
}

effad_status preprocess_by_name(const char *name, int out_h, int out_w,
                                preprocess_cfg *cfg, effad_error *e)
{
    if (!name || !cfg) return effad_fail(e, EFFAD_ERR_ARG, "preprocess_by_name: NULL argument");
    if (out_h <= 0 || out_w <= 0 || out_h > PREP_MAX_DIM || out_w > PREP_MAX_DIM)
        return effad_fail(e, EFFAD_ERR_ARG, "preprocess_by_name: output size %dx%d is invalid", out_w, out_h);
    const struct preset *p = NULL;
    for (size_t i = 0; i < sizeof presets / sizeof presets[0]; i++)
        if (!strcmp(name, presets[i].name)) p = &presets[i];
    if (!p)
        return effad_fail(e, EFFAD_ERR_ARG, "unknown preprocessing preset '%s' (known: %s)", name,
                          preprocess_preset_names());
    memset(cfg, 0, sizeof *cfg);
    cfg->name = p->name;
    cfg->resize = p->resize;
    cfg->sampler = p->sampler;
    cfg->crop = p->crop;
    cfg->normalize = p->normalize;
    cfg->out_h = out_h;
    cfg->out_w = out_w;
    memcpy(cfg->mean, imagenet_mean, sizeof cfg->mean);
    memcpy(cfg->std, imagenet_std, sizeof cfg->std);
    if (p->resize == PREP_RESIZE_SHORT_SIDE) {
        /* Both samples feed every EfficientNet Resize(256) + crop 224; other
         * input sizes keep that 256:224 margin, rounded to nearest
         * (tests/reference/ailia_ref.py uses the same rule). */
        int big = out_h > out_w ? out_h : out_w;
        cfg->resize_short = (int)(((long)big * 256 + 112) / 224);
    }
    return EFFAD_OK;
}

/* ------------------------------------------------------------ geometry */

static effad_status check_cfg(const preprocess_cfg *cfg, effad_error *e)
{
    if (!cfg) return effad_fail(e, EFFAD_ERR_ARG, "preprocess: NULL config");
    if (cfg->out_h <= 0 || cfg->out_w <= 0 || cfg->out_h > PREP_MAX_DIM || cfg->out_w > PREP_MAX_DIM)
        return effad_fail(e, EFFAD_ERR_ARG, "preprocess: output size %dx%d is invalid", cfg->out_w, cfg->out_h);
    if (cfg->resize != PREP_RESIZE_SHORT_SIDE && cfg->resize != PREP_RESIZE_EXACT)
        return effad_fail(e, EFFAD_ERR_ARG, "preprocess: unknown resize mode %d", (int)cfg->resize);
    if ((unsigned)cfg->sampler > PREP_CV_LINEAR)
        return effad_fail(e, EFFAD_ERR_ARG, "preprocess: unknown sampler %d", (int)cfg->sampler);
    if ((unsigned)cfg->crop > PREP_CROP_CENTER_FLOOR)
        return effad_fail(e, EFFAD_ERR_ARG, "preprocess: unknown crop mode %d", (int)cfg->crop);
    if ((unsigned)cfg->normalize > PREP_NORM_ALBUMENTATIONS)
        return effad_fail(e, EFFAD_ERR_ARG, "preprocess: unknown normalisation %d", (int)cfg->normalize);
    if (cfg->resize == PREP_RESIZE_SHORT_SIDE && (cfg->resize_short <= 0 || cfg->resize_short > PREP_MAX_DIM))
        return effad_fail(e, EFFAD_ERR_ARG, "preprocess: resize_short %d is invalid", cfg->resize_short);
    for (int c = 0; c < 3; c++)
        if (!(cfg->std[c] != 0.0f) || !isfinite(cfg->std[c]) || !isfinite(cfg->mean[c]))
            return effad_fail(e, EFFAD_ERR_ARG, "preprocess: mean/std of channel %d is invalid", c);
    return EFFAD_OK;
}

effad_status preprocess_resized_size(const preprocess_cfg *cfg, int w, int h,
                                     int *rw, int *rh, effad_error *e)
{
    effad_status st = check_cfg(cfg, e);
    if (st) return st;
    if (!rw || !rh) return effad_fail(e, EFFAD_ERR_ARG, "preprocess: NULL size pointer");
    if (w <= 0 || h <= 0 || w > PREP_MAX_DIM || h > PREP_MAX_DIM)
        return effad_fail(e, EFFAD_ERR_ARG, "preprocess: image size %dx%d is invalid", w, h);
    if (cfg->resize == PREP_RESIZE_EXACT) { *rw = cfg->out_w; *rh = cfg->out_h; return EFFAD_OK; }
    /* torchvision _compute_resized_output_size: int(size * long / short),
     * a true (double) division truncated toward zero. */
    int sh = w <= h ? w : h, lg = w <= h ? h : w;
    double l = (double)((long long)cfg->resize_short * lg) / sh;
    if (!(l < PREP_MAX_DIM + 1.0))
        return effad_fail(e, EFFAD_ERR_ARG, "preprocess: %dx%d resizes to more than %d pixels", w, h, PREP_MAX_DIM);
    int new_long = (int)l;
    if (new_long <= 0)
        return effad_fail(e, EFFAD_ERR_ARG, "preprocess: %dx%d resizes to an empty image", w, h);
    if (w <= h) { *rw = cfg->resize_short; *rh = new_long; }
    else { *rw = new_long; *rh = cfg->resize_short; }
    return EFFAD_OK;
}

/* int(round(d / 2.0)) in Python rounds half to even. */
static int center_offset(int d, prep_crop mode)
{
    int half = d / 2;
    if (mode == PREP_CROP_CENTER_ROUND && (d & 1) && (half & 1)) half++;
    return half;
}

effad_status preprocess_crop_origin(const preprocess_cfg *cfg, int rw, int rh,
                                    int *top, int *left, effad_error *e)
{
    effad_status st = check_cfg(cfg, e);
    if (st) return st;
    if (!top || !left) return effad_fail(e, EFFAD_ERR_ARG, "preprocess: NULL origin pointer");
    if (cfg->out_w > rw || cfg->out_h > rh)
        return effad_fail(e, EFFAD_ERR_ARG,
                          "preprocess: crop %dx%d is larger than the %dx%d resized image (torchvision would pad; effad refuses)",
                          cfg->out_w, cfg->out_h, rw, rh);
    if (cfg->crop == PREP_CROP_NONE) {
        if (rw != cfg->out_w || rh != cfg->out_h)
            return effad_fail(e, EFFAD_ERR_ARG, "preprocess: no crop configured but resized %dx%d is not the output %dx%d",
                              rw, rh, cfg->out_w, cfg->out_h);
        *top = *left = 0;
        return EFFAD_OK;
    }
    *top = center_offset(rh - cfg->out_h, cfg->crop);
    *left = center_offset(rw - cfg->out_w, cfg->crop);
    return EFFAD_OK;
}

effad_status preprocess_crop_in_source(const preprocess_cfg *cfg, int w, int h,
                                       double box[4], double *kept_fraction, effad_error *e)
{
    int rw, rh, top, left;
    effad_status st = preprocess_resized_size(cfg, w, h, &rw, &rh, e);
    if (st || (st = preprocess_crop_origin(cfg, rw, rh, &top, &left, e))) return st;
    /* Both resamplers map pixel edges linearly: resized x is source x * w / rw. */
    double sx = (double)w / rw, sy = (double)h / rh;
    box[0] = left * sx;
    box[1] = top * sy;
    box[2] = (left + cfg->out_w) * sx;
    box[3] = (top + cfg->out_h) * sy;
    if (kept_fraction) *kept_fraction = ((double)cfg->out_w * cfg->out_h) / ((double)rw * rh);
    return EFFAD_OK;
}

/* ------------------------------------------------------------- resize */

static resize_pil_filter pil_filter_of(prep_sampler s)
{
    return s == PREP_PIL_BICUBIC ? RESIZE_PIL_BICUBIC
         : s == PREP_PIL_BILINEAR ? RESIZE_PIL_BILINEAR : RESIZE_PIL_LANCZOS;
}

size_t preprocess_resize_scratch_bytes(const preprocess_cfg *cfg, int w, int h, int rw, int rh)
{
    if (!cfg) return 0;
    if (cfg->sampler == PREP_CV_LINEAR) return resize_cv_linear_scratch_bytes(w, h, rw, rh);
    return resize_pil_scratch_bytes(w, h, rw, rh, pil_filter_of(cfg->sampler), NULL);
}

effad_status preprocess_resize(const preprocess_cfg *cfg, const uint8_t *rgb, int w, int h,
                               uint8_t *resized, int rw, int rh,
                               void *scratch, size_t scratch_bytes, effad_error *e)
{
    effad_status st = check_cfg(cfg, e);
    if (st) return st;
    if (cfg->sampler == PREP_CV_LINEAR)
        return resize_cv_linear_rgb8(rgb, w, h, resized, rw, rh, scratch, scratch_bytes, e);
    return resize_pil_rgb8(rgb, w, h, resized, rw, rh, pil_filter_of(cfg->sampler), NULL,
                           scratch, scratch_bytes, e);
}

/* ---------------------------------------------------------- normalise */

void preprocess_normalize_crop(const preprocess_cfg *cfg, const uint8_t *img, int img_w,
                               int top, int left, float *out_chw)
{
    const size_t plane = (size_t)cfg->out_h * cfg->out_w;
    for (int c = 0; c < 3; c++) {
        const float mean = cfg->mean[c], std = cfg->std[c];
        /* albumentations rounds 255 * mean, 255 * std and the reciprocal of
         * the latter to float32 before touching a pixel */
        const float mean255 = mean * 255.0f, inv_std255 = 1.0f / (std * 255.0f);
        float table[256];
        for (int v = 0; v < 256; v++)
            table[v] = cfg->normalize == PREP_NORM_ALBUMENTATIONS
                           ? ((float)v - mean255) * inv_std255
                           /* torchvision: ToTensor divides by 255, Normalize
                            * then subtracts and divides -- three float32
                            * roundings */
                           : ((float)v / 255.0f - mean) / std;
        float *dst = out_chw + c * plane;
        for (int y = 0; y < cfg->out_h; y++) {
            const uint8_t *src = img + ((size_t)(top + y) * img_w + left) * 3 + c;
            for (int x = 0; x < cfg->out_w; x++, src += 3) *dst++ = table[*src];
        }
    }
}

/* ---------------------------------------------------------------- run */

/* The part of the resized image the crop keeps, {x, y, w, h}: Pillow's
 * resamplers compute only that (each output pixel has its own taps, so it
 * is the same bytes); OpenCV's (paper) keeps the whole image anyway. */
static int crop_window(const preprocess_cfg *cfg, int w, int h, int win[4], int *rw, int *rh)
{
    int top, left;
    if (preprocess_resized_size(cfg, w, h, rw, rh, NULL) != EFFAD_OK ||
        preprocess_crop_origin(cfg, *rw, *rh, &top, &left, NULL) != EFFAD_OK)
        return 0;
    win[0] = left; win[1] = top; win[2] = cfg->out_w; win[3] = cfg->out_h;
    return 1;
}

size_t preprocess_scratch_bytes(const preprocess_cfg *cfg, int w, int h)
{
    int rw, rh, win[4];
    if (!crop_window(cfg, w, h, win, &rw, &rh)) return 0;
    if (cfg->sampler == PREP_CV_LINEAR) {
        const size_t rs = preprocess_resize_scratch_bytes(cfg, w, h, rw, rh);
        return rs ? ALIGN16((size_t)rw * rh * 3) + rs : 0;
    }
    const size_t rs = resize_pil_window_scratch_bytes(w, h, rw, rh, pil_filter_of(cfg->sampler), NULL, win);
    return rs ? ALIGN16((size_t)win[2] * win[3] * 3) + rs : 0;
}

effad_status preprocess_run(const preprocess_cfg *cfg, const uint8_t *rgb, int w, int h,
                            float *out_chw, void *scratch, size_t scratch_bytes,
                            effad_error *e)
{
    if (!rgb || !out_chw) return effad_fail(e, EFFAD_ERR_ARG, "preprocess: NULL image or output buffer");
    int rw, rh, top, left;
    effad_status st = preprocess_resized_size(cfg, w, h, &rw, &rh, e);
    if (st) return st;
    if ((st = preprocess_crop_origin(cfg, rw, rh, &top, &left, e))) return st;
    size_t need = preprocess_scratch_bytes(cfg, w, h);
    void *owned = NULL;
    if (!scratch) {
        scratch = owned = malloc(need);
        if (!owned) return effad_fail(e, EFFAD_ERR_NOMEM, "preprocess: cannot allocate %zu bytes", need);
    } else if (scratch_bytes < need) {
        return effad_fail(e, EFFAD_ERR_NOMEM, "preprocess: scratch has %zu bytes, needs %zu", scratch_bytes, need);
    } else {
        need = scratch_bytes;
    }
    uint8_t *resized = scratch;
    if (cfg->sampler == PREP_CV_LINEAR) {
        const size_t img_bytes = ALIGN16((size_t)rw * rh * 3);
        st = preprocess_resize(cfg, rgb, w, h, resized, rw, rh, resized + img_bytes, need - img_bytes, e);
        if (!st) preprocess_normalize_crop(cfg, resized, rw, top, left, out_chw);
    } else {
        const int win[4] = { left, top, cfg->out_w, cfg->out_h };
        const size_t img_bytes = ALIGN16((size_t)cfg->out_w * cfg->out_h * 3);
        st = resize_pil_rgb8_window(rgb, w, h, resized, rw, rh, pil_filter_of(cfg->sampler), NULL, win,
                                    resized + img_bytes, need - img_bytes, e);
        if (!st) preprocess_normalize_crop(cfg, resized, cfg->out_w, 0, 0, out_chw);
    }
    free(owned);
    return st;
}
