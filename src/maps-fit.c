/* `effad fit --maps`; see maps-fit.h. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "gauss-codec.h"
#include "maps-fit.h"
#include "maps-run.h"
#include "pixel-eval.h"

void maps_fit_options_default(maps_fit_options *o)
{
    memset(o, 0, sizeof *o);
    o->cov = MAPS_COV_EPS;
    o->eps = 0.01;           /* PaDiM's regulariser */
    o->sigma = 4.0;          /* PaDiM's blur */
    o->max_mem = 1ull << 30;
    o->keep_stats = 1;
    o->min_area = MAPS_DEFAULT_MIN_AREA;
}

/* --------------------------------------------------------------- plan */

static uint64_t fit_memory(const gauss_maps *m, int workers, int keep_stats)
{
    uint64_t L = gauss_maps_locations(m), d = m->dim;
    uint64_t section = 96 + 8 * (d + 1) + gauss_maps_model_bytes(m) + (keep_stats ? L * gauss_codec_stats_bytes(d) : 0);
    return gauss_maps_stats_bytes(L, d) + gauss_maps_model_bytes(m) + (uint64_t)workers * 8 * (d + gauss_tri(d)) + section +
           L * 4 * (d + m->total_c);
}

effad_status maps_fitter_plan(maps_fitter *f, const maps_fit_options *o, const char *efm_path, pipeline_options *po,
                              effad_error *e)
{
    memset(f, 0, sizeof *f);
    f->o = *o;
    /* the model's geometry: a pipeline without maps is cheap to open */
    pipeline p;
    effad_status s = pipeline_open_light(&p, efm_path, po, e);
    if (s) return s;
    if (!(f->gm = calloc(1, sizeof *f->gm))) { pipeline_close(&p); return effad_fail(e, EFFAD_ERR_NOMEM, "out of memory"); }
    s = map_layout_choose(f->gm, &p.runner, o->levels, o->grid_h, o->grid_w, o->dims, o->seed, e);
    pipeline_close(&p);
    if (s) return s;
    f->gm->cov = o->cov;
    f->gm->eps = o->cov == MAPS_COV_EPS ? o->eps : 0;
    f->gm->sigma = o->sigma;
    if (o->ignore) {
        /* drawn on a whole image: cut to the region of interest as the images are */
        uint8_t *mask;
        int w, h;
        if ((s = mask_read(o->ignore, &po->roi, &w, &h, &mask, e))) return s;
        s = gauss_maps_set_ignore(f->gm, mask, w, h, e);
        free(mask);
        if (s) { effad_error_prefix(e, o->ignore); return s; }
    }
    int workers = po->threads > 1 ? po->threads : 1;
    f->fit_bytes = fit_memory(f->gm, workers, o->keep_stats);
    if (f->fit_bytes > o->max_mem)
        return effad_fail(e, EFFAD_ERR_NOMEM, "the maps need %llu bytes (%.1f MiB: %ux%u locations x %u dimensions, "
                          "statistics %.1f MiB); --max-mem is %llu bytes: choose fewer --map-levels or --map-dims, "
                          "a smaller --map-grid, or raise --max-mem", (unsigned long long)f->fit_bytes,
                          (double)f->fit_bytes / 1048576.0, f->gm->grid_h, f->gm->grid_w, f->gm->dim,
                          (double)gauss_maps_stats_bytes(gauss_maps_locations(f->gm), f->gm->dim) / 1048576.0,
                          (unsigned long long)o->max_mem);
    po->map_taps |= map_taps_mask(f->gm);
    return EFFAD_OK;
}

/* -------------------------------------------------------------- images */

effad_status maps_pick_holdout(size_t n, size_t k, uint64_t seed, uint8_t *held, effad_error *e)
{
    uint32_t *idx = malloc(n * sizeof *idx);
    if (!idx || n >= UINT32_MAX || k > n) {
        free(idx);
        return effad_fail(e, EFFAD_ERR_NOMEM, "cannot pick %zu of %zu images to hold out", k, n);
    }
    memset(held, 0, n);
    map_partial_shuffle(idx, (uint32_t)n, (uint32_t)k, seed ^ MAPS_HOLDOUT_STREAM);
    for (size_t i = 0; i < k; i++) held[idx[i]] = 1;
    free(idx);
    return EFFAD_OK;
}

effad_status maps_fitter_begin(maps_fitter *f, pipeline *p, size_t n_images, effad_error *e)
{
    f->n_images = n_images;
    if (f->o.holdout > 0) {
        size_t k = (size_t)floor(f->o.holdout * (double)n_images + 0.5);
        if (k < 1) k = 1;
        if (n_images < k + 2)
            return effad_fail(e, EFFAD_ERR_ARG, "--holdout %g of %zu images leaves fewer than 2 to fit", f->o.holdout,
                              n_images);
        if (!(f->held = calloc(n_images, 1))) return effad_fail(e, EFFAD_ERR_NOMEM, "out of memory");
        effad_status s = maps_pick_holdout(n_images, k, f->o.seed, f->held, e);
        if (s) return s;
        f->n_held = k;
    }
    gauss_maps *gm = f->gm;
    if (!(gm->stats = calloc(1, sizeof *gm->stats))) return effad_fail(e, EFFAD_ERR_NOMEM, "out of memory");
    effad_status s = gauss_maps_stats_init(gm->stats, gauss_maps_locations(gm), gm->dim, e);
    if (!s) s = map_assembler_init(&f->as, gm, &p->runner, e);
    if (s) return s;
    if (!(f->vectors = malloc(gauss_maps_locations(gm) * gm->dim * sizeof *f->vectors)))
        return effad_fail(e, EFFAD_ERR_NOMEM, "out of memory");
    return EFFAD_OK;
}

effad_status maps_fitter_add(maps_fitter *f, pipeline *p, effad_error *e)
{
    effad_status s = map_assemble(&f->as, &p->runner, f->vectors, e);
    if (!s) s = gauss_maps_stats_add(f->gm->stats, f->vectors, p->threads, e);
    if (!s) f->n_fitted++;
    return s;
}

effad_status maps_fitter_finish(maps_fitter *f, pipeline *p, const char *const *paths, gauss_model *gm, effad_error *e)
{
    effad_status s = gauss_maps_fit(f->gm, p->threads, e);
    if (s) { effad_error_prefix(e, "maps"); return s; }
    if (!f->o.keep_stats) {
        gauss_maps_stats_free(f->gm->stats);
        free(f->gm->stats);
        f->gm->stats = 0;
    }
    if (f->n_held) {
        const char **held = malloc(f->n_held * sizeof *held);
        if (!held) return effad_fail(e, EFFAD_ERR_NOMEM, "out of memory");
        size_t k = 0;
        for (size_t i = 0; i < f->n_images; i++) if (f->held[i]) held[k++] = paths[i];
        s = maps_calibrate(f->gm, p, held, k, (uint32_t)f->o.min_area, e);
        free(held);
        if (s) return s;
    }
    gm->maps = f->gm;
    f->gm = 0;
    return EFFAD_OK;
}

void maps_fitter_free(maps_fitter *f)
{
    if (!f) return;
    if (f->gm) { gauss_maps_free(f->gm); free(f->gm); }
    map_assembler_free(&f->as);
    free(f->vectors);
    free(f->held);
    memset(f, 0, sizeof *f);
}
