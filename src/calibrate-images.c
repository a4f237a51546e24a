/* int8 calibration on a directory of images (calibrate-images.h). */
#include <stdlib.h>
#include <string.h>
#include "calibrate-images.h"
#include "calibrate.h"
#include "dataset.h"
#include "image.h"
#include "preprocess.h"

effad_status calibrate_images(const uint8_t *efm, size_t efm_bytes, const calib_images_options *o,
                              convert_quant *q, int *n_used, effad_error *e)
{
    static effad_model m;
    static calib cal;
    image_list list;
    memset(&list, 0, sizeof list);
    void *bytes = 0, *arena = 0, *scratch = 0;
    float *chw = 0;
    size_t scratch_bytes = 0;
    effad_status s;
    *n_used = 0;
    if (posix_memalign(&bytes, 64, efm_bytes)) return effad_fail(e, EFFAD_ERR_NOMEM, "out of memory");
    memcpy(bytes, efm, efm_bytes);
    if ((s = effad_model_load_writable(&m, bytes, efm_bytes, e))) goto done;
    preprocess_cfg prep;
    if ((s = preprocess_by_name(o->preset, m.in_h, m.in_w, &prep, e))) goto done;
    memcpy(prep.mean, m.mean, sizeof prep.mean);
    memcpy(prep.std, m.std, sizeof prep.std);
    const char *paths[1] = { o->dir };
    if ((s = dataset_collect(&list, paths, 1, e))) goto done;

    const effad_kernel_set *k = effad_kernels(0);
    const effad_plan_opts po = { .n_workers = 1, .flags = EFFAD_PLAN_UNFUSED };
    size_t need;
    effad_runner r;
    if ((s = effad_arena_bytes(&m, k, &po, &need, e))) goto done;
    if (posix_memalign(&arena, 64, need) || !(chw = malloc(sizeof(float) * 3 * (size_t)m.in_h * m.in_w))) {
        s = effad_fail(e, EFFAD_ERR_NOMEM, "out of memory");
        goto done;
    }
    if ((s = effad_runner_init(&r, &m, k, &po, arena, need, e))) goto done;
    calib_init(&cal, &m);
    r.observe = calib_observe;
    r.observe_ctx = &cal;
    const size_t n = o->max_images > 0 && (size_t)o->max_images < list.n ? (size_t)o->max_images : list.n;
    for (size_t i = 0; i < n; i++) {
        effad_image img;
        uint8_t *rgb = 0;
        if ((s = image_load(list.path[i], &img, e))) goto done;
        s = image_to_rgb8_as(&img, prep.sampler == PREP_CV_LINEAR ? IMAGE_RGB_OPENCV : IMAGE_RGB_PIL, &rgb, e);
        const int w = img.w, h = img.h;
        image_free(&img);
        size_t need_scratch = preprocess_scratch_bytes(&prep, w, h);
        if (!s && need_scratch > scratch_bytes) {
            void *t = realloc(scratch, need_scratch);
            if (!t) s = effad_fail(e, EFFAD_ERR_NOMEM, "out of memory");
            else { scratch = t; scratch_bytes = need_scratch; }
        }
        if (!s) s = preprocess_run(&prep, rgb, w, h, chw, scratch, scratch_bytes, e);
        free(rgb);
        if (!s) s = effad_run(&r, chw, 0, e);
        if (s) { effad_error_prefix(e, list.path[i]); goto done; }
    }
    *n_used = (int)n;
    calib_quant(&cal, o->headroom, o->weight_bits, q);
done:
    dataset_free(&list);
    free(bytes); free(arena); free(chw); free(scratch);
    return s;
}
