/* int8 calibration on a directory of images (calibrate-images.h). */
#include <stdlib.h>
#include <string.h>
#include "calibrate-images.h"
#include "calib-defects.h"
#include "dataset.h"
#include "image.h"
#include "preprocess.h"

typedef struct loader {
    preprocess_cfg prep;
    image_roi roi;
    image_rgb_rule rgb16;
    void *scratch; size_t scratch_bytes;
} loader;

/* One image file as the network's input tensor (chw), a defect painted
 * onto it first when defect >= 0. */
static effad_status load_one(loader *l, const char *path, int defect, float *chw, effad_error *e)
{
    uint8_t *rgb = 0;
    int w, h;
    const int cv = preprocess_turns_by_exif(&l->prep);
    effad_status s = image_load_rgb8(path, l->rgb16, cv ? IMAGE_ORIENT_EXIF : IMAGE_ORIENT_TIFF, &rgb, &w, &h, NULL,
                                     e);   /* its errors name the path */
    if (s) return s;
    s = roi_crop(&l->roi, rgb, 3, &w, &h, e);
    if (!s && defect >= 0) calib_paint_defect(rgb, w, h, defect);
    const size_t need = preprocess_scratch_bytes(&l->prep, w, h);
    if (!s && need > l->scratch_bytes) {
        void *t = realloc(l->scratch, need);
        if (!t) s = effad_fail(e, EFFAD_ERR_NOMEM, "out of memory");
        else { l->scratch = t; l->scratch_bytes = need; }
    }
    if (!s) s = preprocess_run(&l->prep, rgb, w, h, chw, l->scratch, l->scratch_bytes, e);
    free(rgb);
    if (s) effad_error_prefix(e, path);
    return s;
}

/* Index k of n evenly spread over [0, count), shifted by `half` of a step. */
static size_t spread(int k, int n, size_t count, int half)
{
    return ((size_t)(2 * k + half) * count) / (2 * (size_t)n);
}

effad_status calibrate_images(convert_session *cs, const calib_images_options *o, convert_quant *q,
                              quant_select_report *rep, calib_images_report *irep, effad_error *e)
{
    memset(irep, 0, sizeof *irep);
    image_list good, bad;
    memset(&good, 0, sizeof good);
    memset(&bad, 0, sizeof bad);
    uint8_t *efm = 0;
    size_t efm_bytes = 0;
    float *calib_in = 0, *measure = 0;
    effad_model *m = malloc(sizeof *m);
    loader l;
    memset(&l, 0, sizeof l);
    effad_status s = m ? convert_write(cs, 0, &efm, &efm_bytes, e) : effad_fail(e, EFFAD_ERR_NOMEM, "out of memory");
    if (s || (s = effad_model_load_writable(m, efm, efm_bytes, e))) goto done;
    if ((s = preprocess_by_name(o->preset, m->in_h, m->in_w, &l.prep, e))) goto done;
    memcpy(l.prep.mean, m->mean, sizeof l.prep.mean);
    l.roi = o->roi;
    l.rgb16 = o->rgb16;
    memcpy(l.prep.std, m->std, sizeof l.prep.std);
    const char *paths[1] = { o->dir };
    if ((s = dataset_collect(&good, paths, 1, e))) goto done;
    if (o->defects_dir) {
        const char *dp[1] = { o->defects_dir };
        if ((s = dataset_collect(&bad, dp, 1, e))) goto done;
    }

    const size_t floats = (size_t)3 * m->in_h * m->in_w;
    const int n = o->max_images > 0 && (size_t)o->max_images < good.n ? o->max_images : (int)good.n;
    const int n_good = o->n_measure < n ? o->n_measure : n;
    const int n_bad = o->defects_dir ? (o->n_measure < (int)bad.n ? o->n_measure : (int)bad.n) : n_good;
    calib_in = malloc(sizeof(float) * floats * (size_t)n);
    measure = malloc(sizeof(float) * floats * (size_t)(n_good + n_bad));
    if (!calib_in || !measure) { s = effad_fail(e, EFFAD_ERR_NOMEM, "out of memory for %d input tensors", n + n_good + n_bad); goto done; }
    for (int i = 0; i < n; i++)
        if ((s = load_one(&l, good.path[i], -1, calib_in + floats * (size_t)i, e))) goto done;
    /* measured on: good images spread over the calibration set, then the
     * defective ones (painted onto the calibration images half-way between) */
    for (int k = 0; k < n_good; k++)
        memcpy(measure + floats * (size_t)k, calib_in + floats * spread(k, n_good, (size_t)n, 0), sizeof(float) * floats);
    for (int k = 0; k < n_bad; k++) {
        float *dst = measure + floats * (size_t)(n_good + k);
        if (o->defects_dir) s = load_one(&l, bad.path[spread(k, n_bad, bad.n, 0)], -1, dst, e);
        else s = load_one(&l, good.path[spread(k, n_bad, (size_t)n, 1)], k, dst, e);
        if (s) goto done;
    }
    const quant_inputs in = { floats, calib_in, n, measure, n_good + n_bad, n_bad, o->dir };
    irep->n_calib = n;
    irep->n_measure_good = n_good;
    irep->n_measure_defective = n_bad;
    irep->painted = !o->defects_dir;
    s = quant_select(cs, &in, &o->select, q, rep, e);
done:
    dataset_free(&good);
    dataset_free(&bad);
    free(efm); free(m); free(calib_in); free(measure); free(l.scratch);
    return s;
}
