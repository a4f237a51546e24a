/* From an image file to level vectors; see pipeline.h. */
#include <stdlib.h>
#include <string.h>
#include "align.h"
#include "pipeline.h"
#ifdef EFFAD_HAVE_THREADS
#include <pthread.h>
#include <signal.h>
#endif
#include "image.h"
#include "big-buffer.h"
#include "atomic-file.h"

/* The plan of a pipeline's runner: the model's own input size. */
static effad_plan_opts runner_opts(int workers, uint32_t map_taps, const effad_packed *packed)
{
    const effad_plan_opts po = { .in_h = 0, .in_w = 0, .n_workers = workers, .map_taps = map_taps,
                                 .flags = packed ? EFFAD_PLAN_PREPACKED : 0 };
    return po;
}

/* The runner, its arena and the per-image buffers of p, whose model, kernels
 * and preset are set: what pipeline_open and pipeline_open_copy share. */
static effad_status open_runner(pipeline *p, int workers, uint32_t map_taps, const effad_packed *packed,
                                effad_error *e)
{
    size_t bytes;
    const effad_plan_opts po = runner_opts(workers, map_taps, packed);
    effad_status s;
    p->map_taps = map_taps;
    if ((s = effad_arena_bytes(&p->model, p->k, &po, &bytes, e))) return s;
    if (!(p->arena = big_buffer(bytes))) return effad_fail(e, EFFAD_ERR_NOMEM, "no memory for a %zu-byte arena", bytes);
    p->arena_bytes = bytes;
    if ((s = effad_runner_init(&p->runner, &p->model, p->k, &po, p->arena, bytes, e))) return s;
    p->runner.threads = p->threads;
    p->runner.packed = packed;
    p->n_levels = p->model.n_taps;
    p->total_dim = 0;
    for (int t = 0; t < p->n_levels; t++) {
        p->level_dim[t] = p->model.taps[t].channels;
        p->level_off[t] = p->total_dim;
        p->total_dim += (size_t)p->level_dim[t];
    }
    p->input = malloc(sizeof(float) * 3 * (size_t)p->model.in_h * (size_t)p->model.in_w);
    if (!p->input) return effad_fail(e, EFFAD_ERR_NOMEM, "out of memory");
    return EFFAD_OK;
}

effad_status pipeline_load(pipeline *p, const char *efm_path, const char *isa, effad_error *e)
{
    memset(p, 0, sizeof *p);
    effad_status s;
    if ((s = effad_kernels_select(isa ? isa : getenv("EFFAD_ISA"), &p->k, e))) return s;
    if ((s = effad_file_map(efm_path, &p->file, e))) return s;
    if ((s = effad_model_load_writable(&p->model, (void *)p->file.bytes, p->file.n_bytes, e))) {
        effad_error_prefix(e, efm_path);
        pipeline_close(p);
        return s;
    }
    if (p->model.n_taps < 1) {
        pipeline_close(p);
        return effad_fail(e, EFFAD_ERR_UNSUPPORTED, "%s: the model exposes no feature levels", efm_path);
    }
    /* the 1x1 weights packed once for every pass and every worker; their
     * source pages are let go as each layer is packed, so the model does
     * not stay resident twice */
    const size_t pb = effad_packed_bytes(&p->model, p->k);
    if (pb) {
        if (!(p->packed_buf = big_buffer(pb))) {
            pipeline_close(p);
            return effad_fail(e, EFFAD_ERR_NOMEM, "no memory for %zu bytes of packed weights", pb);
        }
        if ((s = effad_pack(&p->packed, &p->model, p->k, p->packed_buf, pb, effad_file_release, &p->file, e))) {
            pipeline_close(p);
            return s;
        }
    }
    return EFFAD_OK;
}

effad_status pipeline_start(pipeline *p, const pipeline_options *opt, effad_error *e)
{
    const char *preset = opt && opt->preset ? opt->preset : "ailia";
    effad_status s;
    if ((s = preprocess_by_name(preset, p->model.in_h, p->model.in_w, &p->prep, e))) { pipeline_close(p); return s; }
    memcpy(p->prep.mean, p->model.mean, sizeof p->prep.mean);
    p->rgb16 = opt ? opt->rgb16 : IMAGE_RGB_SCALE;
    if (opt) { p->roi = opt->roi; p->align = opt->align; }
    memcpy(p->prep.std, p->model.std, sizeof p->prep.std);

    int workers = opt && opt->threads > 1 ? opt->threads : 1;
#ifdef EFFAD_HAVE_THREADS
    if (workers > 1) {
        /* the workers start with the cleanup signals held (atomic-file.h) */
        sigset_t old;
        atomic_file_hold_signals(&old);
        p->threads = effad_threads_create(workers, e);
        atomic_file_release_signals(&old);
        if (!p->threads) { pipeline_close(p); return e ? e->status : EFFAD_ERR_ARG; }
    }
#else
    if (workers > 1) {
        pipeline_close(p);
        return effad_fail(e, EFFAD_ERR_UNSUPPORTED, "this build has no thread support (make THREADS=1)");
    }
#endif
    effad_status rs = open_runner(p, workers, opt ? opt->map_taps : 0, p->packed_buf ? &p->packed : 0, e);
    if (rs) pipeline_close(p);
    return rs;
}

effad_status pipeline_open(pipeline *p, const char *efm_path, const pipeline_options *opt, effad_error *e)
{
    effad_status s = pipeline_load(p, efm_path, opt ? opt->isa : 0, e);
    return s ? s : pipeline_start(p, opt, e);
}

effad_status pipeline_open_light(pipeline *p, const char *efm_path, const pipeline_options *opt, effad_error *e)
{
    pipeline_options one = *opt;
    one.threads = 1;
    one.map_taps = 0;
    return pipeline_open(p, efm_path, &one, e);
}

effad_status pipeline_open_copy(pipeline *copy, const pipeline *p, effad_error *e)
{
    memset(copy, 0, sizeof *copy);
    /* the model's bytes stay p's mapping: copy->file stays empty, so
     * closing the copy leaves them mapped */
    copy->model = p->model;
    copy->k = p->k;
    copy->prep = p->prep;
    copy->rgb16 = p->rgb16;
    copy->roi = p->roi;
    copy->align = p->align;
    effad_status s = open_runner(copy, 1, p->map_taps, p->runner.packed, e);
    if (s) pipeline_close(copy);
    return s;
}

void pipeline_plan_workers(pipeline *p, int workers)
{
    const effad_plan_opts po = runner_opts(workers, p->map_taps, p->runner.packed);
    size_t bytes;
    effad_runner r;
    if (effad_arena_bytes(&p->model, p->k, &po, &bytes, 0) || bytes > p->arena_bytes ||
        effad_runner_init(&r, &p->model, p->k, &po, p->arena, p->arena_bytes, 0))
        return;
    /* what the caller set on the runner, kept across the re-plan */
    r.threads = p->runner.threads;
    r.packed = p->runner.packed;
    r.on_layer = p->runner.on_layer; r.on_layer_ctx = p->runner.on_layer_ctx;
    r.observe = p->runner.observe; r.observe_ctx = p->runner.observe_ctx;
    p->runner = r;
}

effad_status pipeline_load_frame(pipeline *p, const char *path, uint8_t **frame, int *w, int *h, effad_error *e)
{
    image_orient_rule orient = preprocess_turns_by_exif(&p->prep) ? IMAGE_ORIENT_EXIF : IMAGE_ORIENT_TIFF;
    return image_load_rgb8(path, p->rgb16, orient, frame, w, h, &p->last_clipped, e);
}

/* Where this frame's region is: the region of interest, or with
 * alignment where the part is found around it (p->region, p->shift_*). */
static effad_status frame_region(pipeline *p, const char *path, const uint8_t *frame, int fw, int fh, effad_error *e)
{
    p->region = p->roi;
    p->shift_x = p->shift_y = 0;
    p->match = 0;
    if (!p->align) return EFFAD_OK;
    align_result a;
    effad_status s = align_find(p->align, frame, fw, fh, &p->roi, &a, e);
    if (s) { effad_error_prefix(e, path); return s; }
    p->region.x += a.dx;
    p->region.y += a.dy;
    p->shift_x = a.dx;
    p->shift_y = a.dy;
    p->match = a.match;
    return EFFAD_OK;
}

effad_status pipeline_region_copy(pipeline *p, const char *path, uint8_t *frame, int fw, int fh, uint8_t **rgb,
                                  int *w, int *h, effad_error *e)
{
    const image_roi *r = &p->region;
    *rgb = 0;
    effad_status s = frame_region(p, path, frame, fw, fh, e);
    if (s) return s;
    if (!r->w) { *rgb = frame; *w = fw; *h = fh; return EFFAD_OK; }
    s = roi_check(r, fw, fh, e);
    if (s) { effad_error_prefix(e, path); return s; }
    if (!(*rgb = malloc((size_t)r->w * (size_t)r->h * 3)))
        return effad_fail(e, EFFAD_ERR_NOMEM, "%s: no memory for its %dx%d region of interest", path, r->w, r->h);
    roi_copy(r, frame, 3, fw, *rgb);
    *w = r->w;
    *h = r->h;
    return EFFAD_OK;
}

effad_status pipeline_load_rgb(pipeline *p, const char *path, uint8_t **rgb, int *w, int *h, effad_error *e)
{
    effad_status s = pipeline_load_frame(p, path, rgb, w, h, e);
    if (s) return s;
    if ((s = frame_region(p, path, *rgb, *w, *h, e))) { free(*rgb); *rgb = 0; return s; }
    if (!p->region.w) return s;
    if ((s = roi_crop(&p->region, *rgb, 3, w, h, e)) == EFFAD_OK) {
        /* a small region of a large frame: the rest let go at once */
        uint8_t *q = realloc(*rgb, (size_t)*w * (size_t)*h * 3);
        if (q) *rgb = q;
        return s;
    }
    effad_error_prefix(e, path);
    free(*rgb);
    *rgb = 0;
    return s;
}

/* Grows the preprocessing scratch to at least n bytes. */
static effad_status scratch(pipeline *p, size_t n, effad_error *e)
{
    if (n <= p->scratch_bytes) return EFFAD_OK;
    void *q = realloc(p->scratch, n);
    if (!q) return effad_fail(e, EFFAD_ERR_NOMEM, "no memory for %zu bytes of preprocessing scratch", n);
    p->scratch = q;
    p->scratch_bytes = n;
    return EFFAD_OK;
}

effad_status pipeline_rgb(pipeline *p, const uint8_t *rgb, int w, int h, augment_rng *rng, int max_angle,
                          float *features, effad_error *e)
{
    effad_status s;
    if (rng) {
        augment_draw d;
        int rw, rh;
        if ((s = preprocess_resized_size(&p->prep, w, h, &rw, &rh, e)) ||
            (s = augment_sample(rng, &p->prep, rw, rh, max_angle, &d, e)) ||
            (s = scratch(p, augment_scratch_bytes(&p->prep, w, h), e)) ||
            (s = augment_apply(&p->prep, rgb, w, h, &d, p->input, p->scratch, p->scratch_bytes, e)))
            return s;
    } else {
        if ((s = scratch(p, preprocess_scratch_bytes(&p->prep, w, h), e)) ||
            (s = preprocess_run(&p->prep, rgb, w, h, p->input, p->scratch, p->scratch_bytes, e)))
            return s;
    }
    float *pooled[EFFAD_MAX_TAPS];
    for (int t = 0; t < p->n_levels; t++) pooled[t] = features + p->level_off[t];
    return effad_run(&p->runner, p->input, pooled, e);
}

effad_status pipeline_image(pipeline *p, const char *path, float *features, effad_error *e)
{
    uint8_t *rgb = 0;
    int w, h;
    effad_status s = pipeline_load_rgb(p, path, &rgb, &w, &h, e);
    if (s) return s;
    if ((s = pipeline_rgb(p, rgb, w, h, 0, 0, features, e))) effad_error_prefix(e, path);
    free(rgb);
    return s;
}

void pipeline_close(pipeline *p)
{
    if (!p) return;
#ifdef EFFAD_HAVE_THREADS
    if (p->threads) effad_threads_destroy(p->threads);
#endif
    free(p->arena);
    free(p->packed_buf);
    free(p->input);
    free(p->scratch);
    effad_file_unmap(&p->file);
    memset(p, 0, sizeof *p);
}
