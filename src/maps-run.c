/* Anomaly maps of whole images and the pixel threshold; see maps-run.h. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "maps-run.h"
#include "reject-rate.h"

effad_status map_scorer_open(map_scorer *ms, const gauss_maps *gm, pipeline *p, effad_error *e)
{
    memset(ms, 0, sizeof *ms);
    ms->gm = gm;
    ms->threads = p->threads;
    ms->roi = p->roi;
    effad_status s = map_assembler_init(&ms->as, gm, &p->runner, e);
    if (s) return s;
    size_t L = gauss_maps_locations(gm), in = (size_t)p->model.in_h * p->model.in_w;
    ms->vectors = malloc(L * gm->dim * sizeof *ms->vectors);
    ms->dist = malloc(L * sizeof *ms->dist);
    ms->net = malloc(in * sizeof *ms->net);
    ms->tmp = malloc(in * sizeof *ms->tmp);
    ms->weights = malloc(map_blur_scratch(p->model.in_w, p->model.in_h, gm->sigma));
    ms->work = malloc(gauss_maps_score_work(gm, p->threads) * sizeof *ms->work);
    if (!ms->vectors || !ms->dist || !ms->net || !ms->tmp || !ms->weights || !ms->work) {
        map_scorer_close(ms);
        return effad_fail(e, EFFAD_ERR_NOMEM, "out of memory for anomaly maps");
    }
    return EFFAD_OK;
}

void map_scorer_close(map_scorer *ms)
{
    if (!ms) return;
    map_assembler_free(&ms->as);
    free(ms->vectors); free(ms->dist); free(ms->net); free(ms->tmp); free(ms->weights); free(ms->work); free(ms->map);
    memset(ms, 0, sizeof *ms);
}

effad_status map_scorer_fits(const map_scorer *ms, int w, int h, effad_error *e)
{
    const gauss_maps *gm = ms->gm;
    if (!gm->ignore || ((uint32_t)w == gm->ignore_w && (uint32_t)h == gm->ignore_h)) return EFFAD_OK;
    return effad_fail(e, EFFAD_ERR_MISMATCH, "the model's don't-care mask is %ux%u, this image%s %dx%d", gm->ignore_w,
                      gm->ignore_h, ms->roi.w ? "'s region of interest" : "", w, h);
}

effad_status map_scorer_run(map_scorer *ms, pipeline *p, int w, int h, effad_error *e)
{
    const gauss_maps *gm = ms->gm;
    effad_status s = map_geometry_of(&p->prep, w, h, &ms->geo, e);
    if (s) return s;
    ms->roi = p->region;   /* where this image was cut: aligned images each their own place */
    size_t np = (size_t)w * (size_t)h;
    if (np > ms->map_cap) {
        float *m = realloc(ms->map, np * sizeof *m);
        if (!m) return effad_fail(e, EFFAD_ERR_NOMEM, "no memory for a %dx%d anomaly map", w, h);
        ms->map = m;
        ms->map_cap = np;
    }
    if ((s = map_assemble(&ms->as, &p->runner, ms->vectors, e))) return s;
    gauss_maps_score(gm, ms->vectors, ms->dist, ms->work, ms->threads);
    map_resize_bilinear(ms->dist, (int)gm->grid_w, (int)gm->grid_h, ms->net, ms->geo.in_w, ms->geo.in_h);
    map_blur(ms->net, ms->geo.in_w, ms->geo.in_h, gm->sigma, ms->tmp, ms->weights);
    map_to_image(ms->net, &ms->geo, ms->map);
    if (gm->ignore) {   /* the don't-care pixels: 0, below any pixel threshold */
        if ((s = map_scorer_fits(ms, w, h, e))) return s;
        for (size_t i = 0; i < np; i++) if (gm->ignore[i]) ms->map[i] = 0.0f;
    }
    double mx = -INFINITY;
    for (size_t i = 0; i < np; i++) if (ms->map[i] > mx) mx = ms->map[i];
    ms->max = mx;
    return EFFAD_OK;
}

void map_scorer_trim(map_scorer *ms)
{
    if (ms->map_cap * sizeof *ms->map <= (size_t)16 << 20) return;
    free(ms->map);
    ms->map = NULL;
    ms->map_cap = 0;
}

effad_status map_scorer_image(map_scorer *ms, pipeline *p, const char *path, float *feat, uint8_t **rgb_out, int *w,
                              int *h, effad_error *e)
{
    uint8_t *rgb = 0;
    map_scorer_trim(ms);
    effad_status s = pipeline_load_rgb(p, path, &rgb, w, h, e);
    if (s) return s;
    s = pipeline_rgb(p, rgb, *w, *h, 0, 0, feat, e);
    if (s || !rgb_out) { free(rgb); rgb = 0; }   /* the map needs only the size: the image goes first */
    if (!s) s = map_scorer_run(ms, p, *w, *h, e);
    if (s) effad_error_prefix(e, path);
    if (rgb_out && !s) *rgb_out = rgb;
    else free(rgb);
    return s;
}

effad_status maps_calibrate_from(gauss_maps *gm, double *t, size_t n, size_t allowed, uint32_t min_area,
                                 effad_error *e)
{
    if (!n) return effad_fail(e, EFFAD_ERR_ARG, "no good images to choose the pixel threshold on");
    const double threshold = reject_kth_highest(t, n, allowed);
    if (!isfinite(threshold))
        return effad_fail(e, EFFAD_ERR_ARG, "--min-area %u is larger than every good image: no threshold is needed",
                          min_area);
    gm->threshold = threshold;
    gm->min_area = min_area;
    gm->n_holdout = (uint32_t)n;
    gm->calibrated = 1;
    return EFFAD_OK;
}

effad_status maps_calibrate(gauss_maps *gm, pipeline *p, const char *const *paths, size_t n, uint32_t min_area,
                            effad_error *e)
{
    if (!n) return effad_fail(e, EFFAD_ERR_ARG, "no good images to choose the pixel threshold on");
    if (min_area < 1) return effad_fail(e, EFFAD_ERR_ARG, "the minimum defect area must be at least 1 pixel");
    map_scorer ms;
    effad_status s = map_scorer_open(&ms, gm, p, e);
    if (s) return s;
    float *feat = malloc(p->total_dim * sizeof *feat);
    double *t = malloc(n * sizeof *t);
    if (!feat || !t) s = effad_fail(e, EFFAD_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < n && !s; i++) {
        int w, h;
        if ((s = map_scorer_image(&ms, p, paths[i], feat, NULL, &w, &h, e))) break;
        if ((s = regions_min_threshold(ms.map, w, h, min_area, &t[i], e))) effad_error_prefix(e, paths[i]);
    }
    if (!s) s = maps_calibrate_from(gm, t, n, 0, min_area, e);
    free(feat);
    free(t);
    map_scorer_close(&ms);
    return s;
}

effad_status maps_regions(const map_scorer *ms, region_list *rl, size_t *defects, effad_error *e)
{
    *defects = 0;
    if (!ms->gm->calibrated) { rl->n = 0; return EFFAD_OK; }
    effad_status s = regions_find(ms->map, ms->geo.img_w, ms->geo.img_h, ms->gm->threshold, rl, e);
    if (!s) *defects = regions_count_at_least(rl, ms->gm->min_area);
    return s;
}
