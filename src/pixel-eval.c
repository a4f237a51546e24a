/* Pixel AUROC, PRO and best F1 over anomaly maps; see pixel-eval.h. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "image.h"
#include "pixel-eval.h"
#include "rank-f32.h"
#include "regions.h"

static effad_status grow(void **p, size_t *cap, size_t need, size_t elem, effad_error *e)
{
    if (need <= *cap) return EFFAD_OK;
    size_t c = *cap ? *cap : 1024;
    while (c < need) c *= 2;
    void *q = realloc(*p, c * elem);
    if (!q) return effad_fail(e, EFFAD_ERR_NOMEM, "pixel evaluation: no memory for %zu entries", c);
    *p = q;
    *cap = c;
    return EFFAD_OK;
}

effad_status pixel_eval_add(pixel_eval *pe, const float *map, const uint8_t *mask, const uint8_t *ignore, int w,
                            int h, int type, effad_error *e)
{
    size_t np = (size_t)w * (size_t)h;
    if (w <= 0 || h <= 0) return effad_fail(e, EFFAD_ERR_ARG, "pixel evaluation: empty map");
    if (pe->n + np >= UINT32_MAX)
        return effad_fail(e, EFFAD_ERR_NOMEM, "pixel evaluation: more than 2^32 pixels");
    size_t cap = pe->cap;
    effad_status s;
    if ((s = grow((void **)&pe->score, &cap, pe->n + np, sizeof *pe->score, e))) return s;
    cap = pe->cap;
    if ((s = grow((void **)&pe->region, &cap, pe->n + np, sizeof *pe->region, e))) return s;
    pe->cap = cap;
    if ((s = grow((void **)&pe->image, &pe->cap_images, pe->n_images + 1, sizeof *pe->image, e))) return s;
    for (size_t i = 0; i < np; i++)
        if (!isfinite(map[i])) return effad_fail(e, EFFAD_ERR_NUMERIC, "pixel evaluation: map value %zu is not finite", i);
    memcpy(pe->score + pe->n, map, np * sizeof *map);
    uint32_t *lab = pe->region + pe->n;
    if (mask) {
        float *fm = malloc(np * sizeof *fm);
        region_list rl = { 0 };
        if (!fm) return effad_fail(e, EFFAD_ERR_NOMEM, "pixel evaluation: out of memory");
        for (size_t i = 0; i < np; i++) fm[i] = mask[i] && !(ignore && ignore[i]) ? 1.0f : 0.0f;
        s = regions_label(fm, w, h, 0.5, lab, &rl, e);
        free(fm);
        size_t cap_sizes = pe->cap_regions, cap_types = pe->cap_regions;
        if (!s) s = grow((void **)&pe->region_size, &cap_sizes, pe->n_regions + rl.n, sizeof *pe->region_size, e);
        if (!s) s = grow((void **)&pe->region_type, &cap_types, pe->n_regions + rl.n, sizeof *pe->region_type, e);
        if (s) { region_list_free(&rl); return s; }
        pe->cap_regions = cap_sizes;
        for (size_t k = 0; k < rl.n; k++) {
            pe->region_size[pe->n_regions + k] = rl.r[k].area;
            pe->region_type[pe->n_regions + k] = type;
        }
        for (size_t i = 0; i < np; i++)
            if (lab[i]) lab[i] += (uint32_t)pe->n_regions;
        pe->n_regions += rl.n;
        region_list_free(&rl);
    } else {
        memset(lab, 0, np * sizeof *lab);
    }
    if (ignore)
        for (size_t i = 0; i < np; i++)
            if (ignore[i]) lab[i] = PIXEL_IGNORED;
    pixel_image im = { pe->n, w, h, type };
    pe->image[pe->n_images++] = im;
    pe->n += np;
    free(pe->order);
    pe->order = 0;
    return EFFAD_OK;
}

void pixel_eval_free(pixel_eval *pe)
{
    if (!pe) return;
    free(pe->score); free(pe->region); free(pe->image); free(pe->region_size); free(pe->region_type); free(pe->order);
    memset(pe, 0, sizeof *pe);
}

static int in_selection(int type, int want) { return want < 0 || type == 0 || type == want; }

effad_status pixel_eval_compute(pixel_eval *pe, int type, double fpr_limit, pixel_metrics *out, effad_error *e)
{
    memset(out, 0, sizeof *out);
    if (!pe->order) {
        uint32_t *scratch = malloc(pe->n * sizeof *scratch);
        pe->order = malloc(pe->n * sizeof *pe->order);
        if (!scratch || !pe->order) {
            free(scratch); free(pe->order); pe->order = 0;
            return effad_fail(e, EFFAD_ERR_NOMEM, "pixel evaluation: no memory to rank %zu pixels", pe->n);
        }
        rank_f32_desc(pe->score, pe->n, pe->order, scratch);
        free(scratch);
    }
    /* per pixel, whether its image is selected: by image, then spread */
    uint8_t *sel = malloc(pe->n ? pe->n : 1);
    if (!sel) return effad_fail(e, EFFAD_ERR_NOMEM, "pixel evaluation: out of memory");
    uint64_t pos = 0, neg = 0, regions = 0, ignored = 0;
    for (size_t i = 0; i < pe->n_images; i++) {
        const pixel_image *im = &pe->image[i];
        memset(sel + im->at, in_selection(im->type, type), (size_t)im->w * im->h);
    }
    for (size_t p = 0; p < pe->n; p++) {
        if (!sel[p]) continue;
        if (pe->region[p] == PIXEL_IGNORED) { sel[p] = 0; ignored++; }
        else if (pe->region[p]) pos++;
        else neg++;
    }
    for (size_t r = 0; r < pe->n_regions; r++) regions += in_selection(pe->region_type[r], type) && pe->region_type[r];
    if (!pos || !neg) {
        free(sel);
        return effad_fail(e, EFFAD_ERR_ARG, "pixel evaluation needs defect and good pixels (%llu and %llu here)",
                          (unsigned long long)pos, (unsigned long long)neg);
    }
    /* one sweep from the highest score down; a curve point after the last
     * pixel of each distinct value */
    uint64_t tp = 0, fp = 0, best_num = 0, best_den = 1;
    double auc = 0, last_fpr = 0, last_tpr = 0, pro = 0, last_pro = 0, pro_area = 0, best_t = NAN;
    int pro_done = 0;
    for (size_t i = 0; i < pe->n; i++) {
        uint32_t p = pe->order[i];
        if (!sel[p]) continue;
        uint32_t r = pe->region[p];
        if (r) { tp++; pro += 1.0 / ((double)pe->region_size[r - 1] * (double)regions); }
        else fp++;
        size_t j = i + 1;
        while (j < pe->n && !sel[pe->order[j]]) j++;
        if (j < pe->n && pe->score[pe->order[j]] == pe->score[p]) continue;
        double fpr = (double)fp / (double)neg, tpr = (double)tp / (double)pos;
        auc += (fpr - last_fpr) * (tpr + last_tpr) / 2;
        uint64_t num = 2 * tp, den = tp + fp + pos;
        if (num * best_den > best_num * den) { best_num = num; best_den = den; best_t = pe->score[p]; }
        if (!pro_done && regions) {
            double pr = pro > 1 ? 1 : pro;
            if (fpr >= fpr_limit) {   /* the segment that crosses the limit: interpolate */
                double y = fpr > last_fpr ? last_pro + (pr - last_pro) * (fpr_limit - last_fpr) / (fpr - last_fpr) : pr;
                pro_area += (fpr_limit - last_fpr) * (y + last_pro) / 2;
                pro_done = 1;
            } else {
                pro_area += (fpr - last_fpr) * (pr + last_pro) / 2;
                last_pro = pr;
            }
        }
        last_fpr = fpr;
        last_tpr = tpr;
    }
    out->auroc = auc;
    out->pro = regions ? pro_area / fpr_limit : NAN;
    out->f1 = (double)best_num / (double)best_den;
    out->f1_threshold = best_t;
    out->pixels = pos + neg;
    out->defect_pixels = pos;
    out->regions = regions;
    out->ignored = ignored;
    free(sel);
    return EFFAD_OK;
}

effad_status pixel_eval_region_counts(const pixel_eval *pe, const double *thresholds, size_t k, uint32_t min_area,
                                      uint64_t *good, uint64_t *defective, effad_error *e)
{
    memset(good, 0, k * sizeof *good);
    memset(defective, 0, k * sizeof *defective);
    region_list rl = { 0 };
    for (size_t i = 0; i < pe->n_images; i++) {
        const pixel_image *im = &pe->image[i];
        for (size_t t = 0; t < k; t++) {
            effad_status s = regions_find(pe->score + im->at, im->w, im->h, thresholds[t], &rl, e);
            if (s) { region_list_free(&rl); return s; }
            uint64_t c = regions_count_at_least(&rl, min_area);
            if (im->type) defective[t] += c;
            else good[t] += c;
        }
    }
    region_list_free(&rl);
    return EFFAD_OK;
}

int mvtec_mask_path(const char *image_path, char *out, size_t n)
{
    /* .../test/<type>/<name>.<ext> -> .../ground_truth/<type>/<name>_mask.png */
    const char *base = strrchr(image_path, '/');
    if (!base || base == image_path) return 0;
    const char *type = base - 1;
    while (type > image_path && type[-1] != '/') type--;
    if (type - image_path < 5 || strncmp(type - 5, "test/", 5)) return 0;
    const char *root_end = type - 5;   /* just after ROOT/ */
    const char *dot = strrchr(base, '.');
    int stem = dot ? (int)(dot - base - 1) : (int)strlen(base + 1);
    int r = snprintf(out, n, "%.*sground_truth/%.*s/%.*s_mask.png", (int)(root_end - image_path), image_path,
                     (int)(base - type), type, stem, base + 1);
    return r > 0 && (size_t)r < n;
}

effad_status mask_read(const char *path, const image_roi *roi, int *w, int *h, uint8_t **mask, effad_error *e)
{
    effad_image img;
    uint8_t *rgb = 0;
    *mask = 0;
    effad_status s = image_load(path, &img, e);
    if (s) return s;
    int mw = img.w, mh = img.h;
    s = image_to_rgb8(&img, &rgb, e);
    image_free(&img);
    if (!s) s = roi_crop(roi, rgb, 3, &mw, &mh, e);
    if (s) { free(rgb); effad_error_prefix(e, path); return s; }
    const size_t np = (size_t)mw * (size_t)mh;
    uint8_t *m = malloc(np);
    if (!m) { free(rgb); return effad_fail(e, EFFAD_ERR_NOMEM, "out of memory for a mask"); }
    for (size_t i = 0; i < np; i++) m[i] = rgb[3 * i] > 127 || rgb[3 * i + 1] > 127 || rgb[3 * i + 2] > 127;
    free(rgb);
    *mask = m;
    *w = mw;
    *h = mh;
    return EFFAD_OK;
}

effad_status mask_load(const char *path, const image_roi *roi, int w, int h, uint8_t **mask, effad_error *e)
{
    int mw, mh;
    effad_status s = mask_read(path, roi, &mw, &mh, mask, e);
    if (s || (mw == w && mh == h)) return s;
    free(*mask);
    *mask = 0;
    if (roi && roi->w)
        return effad_fail(e, EFFAD_ERR_MISMATCH, "%s: the mask's region is %dx%d, its image's %dx%d", path, mw, mh, w, h);
    return effad_fail(e, EFFAD_ERR_MISMATCH, "%s: the mask is %dx%d, its image %dx%d", path, mw, mh, w, h);
}
