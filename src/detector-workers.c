/* score and eval on one or more workers; see detector-workers.h. */
#include <stdlib.h>
#include <string.h>
#include "detector-workers.h"

effad_status detector_workers_open(detector_workers *dw, detector *d, int n, int map_max, effad_error *e)
{
    memset(dw, 0, sizeof *dw);
    dw->map_max = map_max;
    effad_status s = pipeline_workers_open(&dw->ws, &d->p, n, e);
    if (s) return s;
    if (!(dw->slot = calloc((size_t)dw->ws.n, sizeof *dw->slot))) {
        detector_workers_close(dw);
        return effad_fail(e, EFFAD_ERR_NOMEM, "out of memory");
    }
    size_t maxd = 1;
    for (size_t l = 0; l < d->gm.n_levels; l++) if (d->gm.levels[l].dim > maxd) maxd = d->gm.levels[l].dim;
    for (int k = 0; k < dw->ws.n; k++) {
        detector_slot *sl = &dw->slot[k];
        sl->p = dw->ws.p[k];
        sl->feat = malloc(sizeof(float) * sl->p->total_dim);
        sl->levels = malloc(sizeof(double) * (d->gm.n_levels ? d->gm.n_levels : 1));
        sl->work = malloc(sizeof(double) * maxd);
        if (!sl->feat || !sl->levels || !sl->work) {
            detector_workers_close(dw);
            return effad_fail(e, EFFAD_ERR_NOMEM, "out of memory");
        }
        if ((s = score_maps_open(&sl->sm, &d->gm, sl->p, map_max, e))) { detector_workers_close(dw); return s; }
    }
    return EFFAD_OK;
}

void detector_slot_release(detector_slot *sl)
{
    if (sl->rgb != sl->frame) free(sl->rgb);
    free(sl->frame);
    sl->rgb = sl->frame = 0;
}

effad_status detector_workers_image(detector_workers *dw, const detector *d, int k, const char *path, int keep_rgb,
                                    int regions, effad_error *e)
{
    detector_slot *sl = &dw->slot[k];
    sl->loaded = sl->unreadable = 0;
    sl->rgb = sl->frame = 0;
    if (sl->sm.on) map_scorer_trim(&sl->sm.ms);
    effad_status s;
    if (keep_rgb && sl->p->roi.w) {   /* the figure shows the whole frame, the region outlined */
        s = pipeline_load_frame(sl->p, path, &sl->frame, &sl->frame_w, &sl->frame_h, e);
        if (!s) s = pipeline_region_copy(sl->p, path, sl->frame, sl->frame_w, sl->frame_h, &sl->rgb, &sl->w, &sl->h, e);
    } else
        s = pipeline_load_rgb(sl->p, path, &sl->rgb, &sl->w, &sl->h, e);
    if (!s) {
        sl->loaded = 1;
        /* an image the map cannot cover is this image's problem, as an
         * undecodable one is: a record, and on with the others */
        if (sl->sm.on && (s = map_scorer_fits(&sl->sm.ms, sl->w, sl->h, e))) effad_error_prefix(e, path);
        else if ((s = pipeline_rgb(sl->p, sl->rgb, sl->w, sl->h, 0, 0, sl->feat, e))) effad_error_prefix(e, path);
    }
    if (s) sl->unreadable = 1;
    /* the map needs only the image's size: an image not kept goes before
     * its map comes (a 48-megapixel image: 144 MB, the map 192 MB) */
    if (s || !keep_rgb) detector_slot_release(sl);
    if (!s && sl->sm.on) {
        s = regions ? score_maps_image(&sl->sm, sl->p, sl->w, sl->h, e) : map_scorer_run(&sl->sm.ms, sl->p, sl->w, sl->h, e);
        if (s) effad_error_prefix(e, path);
    }
    if (!s) {
        double by_levels = detector_score(&d->gm, &d->sel, sl->p, sl->feat, sl->levels, sl->work);
        sl->score = dw->map_max ? sl->sm.ms.max : by_levels;
    }
    if (s) detector_slot_release(sl);
    return s;
}

void detector_workers_close(detector_workers *dw)
{
    if (!dw) return;
    for (int k = 0; dw->slot && k < dw->ws.n; k++) {
        detector_slot *sl = &dw->slot[k];
        free(sl->feat); free(sl->levels); free(sl->work);
        detector_slot_release(sl);
        score_maps_close(&sl->sm);
    }
    free(dw->slot);
    pipeline_workers_close(&dw->ws);
    memset(dw, 0, sizeof *dw);
}
