/* The command-line side of anomaly maps; see cli-maps.h. */
#include <stdlib.h>
#include <math.h>
#include <string.h>
#include <sys/stat.h>
#include "cli.h"
#include "cli-maps.h"
#include "figure-maps.h"
#include "gauss-codec.h"
#include "atomic-file.h"
#include "image.h"
#include "figure-names.h"
#include "le.h"
#include "png-writer.h"

int parse_bytes(const char *s, uint64_t *out)
{
    char *end;
    if (!s || !*s) return 0;
    double v = strtod(s, &end);
    double mult = 1;
    if (*end == 'k' || *end == 'K') mult = 1024.0, end++;
    else if (*end == 'm' || *end == 'M') mult = 1024.0 * 1024, end++;
    else if (*end == 'g' || *end == 'G') mult = 1024.0 * 1024 * 1024, end++;
    if (*end == 'i' && mult > 1) end++;
    if (*end == 'B' || *end == 'b') end++;
    if (*end || !(v > 0) || v * mult > 1e18) return 0;
    *out = (uint64_t)(v * mult);
    return 1;
}

int maps_fit_option(const char *cmd, int argc, char **argv, int *i, maps_fit_options *o)
{
    const char *a = argv[*i], *v = *i + 1 < argc ? argv[*i + 1] : 0;
    if (!strcmp(a, "--maps")) { o->enabled = 1; return 1; }
    if (!strcmp(a, "--no-map-stats")) { o->keep_stats = 0; return 1; }
    if (!v) return 0;
    int ok = 1;
    if (!strcmp(a, "--map-levels")) o->levels = v;
    else if (!strcmp(a, "--map-grid")) ok = cli_parse_hw(v, &o->grid_h, &o->grid_w) && o->grid_h <= (int)MAPS_MAX_GRID &&
                                            o->grid_w <= (int)MAPS_MAX_GRID;
    else if (!strcmp(a, "--map-dims")) ok = cli_parse_int(v, 1, (int)MAPS_MAX_DIM, &o->dims);
    else if (!strcmp(a, "--map-cov")) {
        ok = !strcmp(v, "eps") || !strcmp(v, "lw");
        o->cov = !strcmp(v, "lw") ? MAPS_COV_LW : MAPS_COV_EPS;
    }
    else if (!strcmp(a, "--map-eps")) ok = cli_parse_double(v, &o->eps) && o->eps >= 0 && o->eps < 1e6;
    else if (!strcmp(a, "--map-sigma")) ok = cli_parse_double(v, &o->sigma) && o->sigma >= 0 && o->sigma <= 64;
    else if (!strcmp(a, "--max-mem")) ok = parse_bytes(v, &o->max_mem);
    else if (!strcmp(a, "--holdout")) ok = cli_parse_double(v, &o->holdout) && o->holdout > 0 && o->holdout < 1;
    else if (!strcmp(a, "--min-area")) ok = cli_parse_int(v, 1, 1 << 30, &o->min_area);
    else if (!strcmp(a, "--ignore")) o->ignore = v;
    else return 0;
    if (!ok) {
        char msg[64];
        snprintf(msg, sizeof msg, "bad %s '%%s'", a);
        cli_usage_error(cmd, msg, v);
        return -1;
    }
    (*i)++;
    return 1;
}

void maps_fit_help(FILE *f)
{
    fprintf(f,
            "  --maps         also fit one Gaussian per location for anomaly maps (PaDiM)\n"
            "  --map-levels i,j,...  levels concatenated per location (default: every level at\n"
            "                 stride 8 or finer; effad info lists them)\n"
            "  --map-grid HxW locations (default: the stride-8 level's size, 28x28 at 224)\n"
            "  --map-dims D   keep a seeded random subset of D channels (PaDiM; default all)\n"
            "  --map-cov eps|lw  sample covariance + eps I (PaDiM, default) or Ledoit-Wolf\n"
            "  --map-eps E    eps of the sample covariance (default 0.01)\n"
            "  --map-sigma S  blur of the map, network-input pixels (default 4)\n"
            "  --no-map-stats do not keep per-location statistics (smaller file; no merge)\n"
            "  --max-mem SIZE refuse maps needing more memory than this (default 1G)\n"
            "  --holdout F    keep a fraction F of the good images out of the fit and choose\n"
            "                 the pixel threshold on them (see effad calibrate)\n"
            "  --ignore MASK  don't-care pixels: where the image MASK is bright (above 127),\n"
            "                 the map is 0, so no defect is ever found there (a label, a\n"
            "                 serial number, a fixture's edge); MASK is the images' size,\n"
            "                 drawn on a whole image with --roi; kept in the .gauss\n"
            "  --min-area A   a defect is a region of at least A pixels (default %d)\n",
            MAPS_DEFAULT_MIN_AREA);
}

void maps_fit_report(const gauss_model *gm, uint64_t fit_bytes, FILE *out)
{
    const gauss_maps *m = gm->maps;
    if (!m) return;
    uint64_t L = gauss_maps_locations(m), stats = m->stats ? L * gauss_codec_stats_bytes(m->dim) : 0;
    uint64_t added = gauss_maps_section_bytes(m);
    fprintf(out, "  maps: %ux%u locations x %u dimensions from levels", m->grid_h, m->grid_w, m->dim);
    for (uint32_t t = 0; t < m->n_taps; t++) fprintf(out, "%s%u", t ? "," : " ", m->tap[t]);
    if (m->dim != m->total_c) fprintf(out, " (%u of %u channels, seed %llu)", m->dim, m->total_c, (unsigned long long)m->dims_seed);
    if (m->cov == MAPS_COV_EPS) fprintf(out, ", covariance + %g I", m->eps);
    else fprintf(out, ", Ledoit-Wolf covariance");
    fprintf(out, ", blur sigma %g, %llu images\n", m->sigma, (unsigned long long)m->n);
    fprintf(out, "  maps: +%llu bytes in the .gauss (Gaussians %llu, statistics %llu); fitting memory %llu bytes\n",
            (unsigned long long)added, (unsigned long long)gauss_maps_model_bytes(m), (unsigned long long)stats,
            (unsigned long long)fit_bytes);
    if (m->ignore)
        fprintf(out, "  maps: %llu don't-care pixels of %ux%u\n", (unsigned long long)m->ignore_count, m->ignore_w,
                m->ignore_h);
    if (m->calibrated)
        fprintf(out, "  maps: pixel threshold %.6g (no region of %u+ pixels in %u held-out good images)\n", m->threshold,
                m->min_area, m->n_holdout);
}

/* ----------------------------------------------------------------- eval */

/* What eval and score share: a scorer on p when the model has maps;
 * --score map-max refused when it has none. *on says which. */
static effad_status open_scorer(map_scorer *ms, int *on, const gauss_model *gm, pipeline *p, int map_max, effad_error *e)
{
    *on = gm->maps != NULL;
    if (!*on) return map_max ? effad_fail(e, EFFAD_ERR_ARG, "--score map-max needs a model fitted with --maps") : EFFAD_OK;
    return map_scorer_open(ms, gm->maps, p, e);
}

effad_status eval_maps_open(eval_maps *em, detector *d, const char *root, int map_max, effad_error *e)
{
    memset(em, 0, sizeof *em);
    em->map_max = map_max;
    char gt[4096];
    struct stat st;
    effad_status s = cli_path_join(gt, sizeof gt, root, "ground_truth", e);
    if (s) return s;
    em->pixel = stat(gt, &st) == 0 && S_ISDIR(st.st_mode);
    return open_scorer(&em->ms, &em->on, &d->gm, &d->p, map_max, e);
}

effad_status eval_maps_add(eval_maps *em, const image_list *l, size_t i, const map_scorer *ms, effad_error *e)
{
    if (!em->pixel) return EFFAD_OK;
    const int w = ms->geo.img_w, h = ms->geo.img_h;
    uint8_t *mask = 0;
    effad_status s;
    if (l->label[i]) {
        char mp[4096];
        if (!mvtec_mask_path(l->path[i], mp, sizeof mp))
            return effad_fail(e, EFFAD_ERR_ARG, "%s: not under test/<type>/, so no ground-truth mask", l->path[i]);
        if ((s = mask_load(mp, &ms->roi, w, h, &mask, e))) return s;
    }
    const gauss_maps *gm = ms->gm;   /* its don't-care mask fits: map_scorer_fits let the image through */
    s = pixel_eval_add(&em->pe, ms->map, mask, gm->ignore, w, h, l->type[i], e);
    free(mask);
    return s;
}

effad_status eval_maps_report(eval_maps *em, const image_list *l, const char *outdir, FILE *out, cli_buf *json,
                              effad_error *e)
{
    if (!em->on || !em->pixel) return EFFAD_OK;
    const gauss_maps *gm = em->ms.gm;
    pixel_metrics all;
    effad_status s = pixel_eval_compute(&em->pe, -1, 0.3, &all, e);
    if (s) return s;
    fprintf(out, "pixel AUROC and PRO (maps %ux%u x %u, %llu pixels, %llu in %llu defect regions", gm->grid_h,
            gm->grid_w, gm->dim, (unsigned long long)all.pixels, (unsigned long long)all.defect_pixels,
            (unsigned long long)all.regions);
    if (all.ignored) fprintf(out, "; %llu don't-care pixels left out", (unsigned long long)all.ignored);
    fprintf(out, ")\n");
    fprintf(out, "  %-16s %8s %8s\n", "defect type", "AUROC", "PRO");
    cli_buf auroc_js = { 0 }, pro_js = { 0 };
    for (int t = -1; t < l->n_types; t++) {
        if (t == 0) continue;
        pixel_metrics m = all;
        if (t > 0 && (s = pixel_eval_compute(&em->pe, t, 0.3, &m, e))) break;
        const char *name = t < 0 ? "all" : l->type_name[t];
        char num[40];
        fprintf(out, "  %-16s %8.4f %8.4f\n", name, m.auroc, m.pro);
        cli_buf_printf(&auroc_js, "%s", auroc_js.n ? "," : "");
        cli_buf_json(&auroc_js, name);
        cli_buf_printf(&auroc_js, ":%s", cli_json_num(num, sizeof num, "%.6f", m.auroc));
        cli_buf_printf(&pro_js, "%s", pro_js.n ? "," : "");
        cli_buf_json(&pro_js, name);
        cli_buf_printf(&pro_js, ":%s", cli_json_num(num, sizeof num, "%.6f", m.pro));
    }
    if (!s) {
        char n0[40], n1[40];
        fprintf(out, "  best-F1 pixel threshold %.6g (F1 %.4f, score >= threshold; chosen on these labels)\n",
                all.f1_threshold, all.f1);
        if (gm->calibrated)
            fprintf(out, "  pixel threshold in force %.6g, defects of %u+ pixels (from %u good images)\n", gm->threshold,
                    gm->min_area, gm->n_holdout);
        cli_buf_printf(json, ",\"pixel_auroc\":{%s},\"pro\":{%s},\"pixel_best_f1\":{\"threshold\":%s,\"f1\":%s}",
                       auroc_js.p ? auroc_js.p : "", pro_js.p ? pro_js.p : "",
                       cli_json_num(n0, sizeof n0, "%.9g", all.f1_threshold), cli_json_num(n1, sizeof n1, "%.6f", all.f1));
        if (all.ignored) cli_buf_printf(json, ",\"pixels_left_out\":%llu", (unsigned long long)all.ignored);
        if (gm->calibrated)
            cli_buf_printf(json, ",\"pixel_threshold\":{\"value\":%s,\"min_area\":%u}",
                           cli_json_num(n0, sizeof n0, "%.9g", gm->threshold), gm->min_area);
        if (auroc_js.failed || pro_js.failed) json->failed = 1;
    }
    cli_buf_free(&auroc_js);
    cli_buf_free(&pro_js);
    if (s) return s;

    /* regions of defect size against the threshold: from the median pixel
     * score (ranked by pixel_eval_compute) to twice the highest score in a
     * good image, where the good curve has long reached 0 -- the part of
     * the axis a threshold is chosen in */
    enum { K = 48 };
    double th[K];
    uint64_t good[K], bad[K];
    size_t want = (em->pe.n - all.ignored) / 2, median = 0;   /* of the pixels that count */
    for (size_t i = 0, kept = 0; i < em->pe.n; i++)
        if (em->pe.region[em->pe.order[i]] != PIXEL_IGNORED && kept++ == want) { median = i; break; }
    double lo = em->pe.score[em->pe.order[median]], hi = em->pe.score[em->pe.order[0]], good_max = lo;
    for (size_t i = 0; i < em->pe.n_images; i++) {
        const pixel_image *im = &em->pe.image[i];
        for (size_t p = 0; !im->type && p < (size_t)im->w * im->h; p++)
            if (em->pe.score[im->at + p] > good_max) good_max = em->pe.score[im->at + p];
    }
    if (2 * good_max < hi) hi = 2 * good_max;
    if (gm->calibrated && gm->threshold * 1.25 > hi) hi = gm->threshold * 1.25;
    uint32_t min_area = gm->calibrated ? gm->min_area : MAPS_DEFAULT_MIN_AREA;
    for (int k = 0; k < K; k++) th[k] = lo + (hi - lo) * k / (K - 1);
    if ((s = pixel_eval_region_counts(&em->pe, th, K, min_area, good, bad, e))) return s;
    char path[4096];
    if ((s = cli_path_join(path, sizeof path, outdir, "region-counts.svg", e))) return s;
    return figure_region_counts_svg(path, "regions above the pixel threshold", th, good, bad, K,
                                    gm->calibrated ? gm->threshold : NAN, min_area, e);
}

void eval_maps_close(eval_maps *em)
{
    if (!em) return;
    map_scorer_close(&em->ms);
    pixel_eval_free(&em->pe);
    memset(em, 0, sizeof *em);
}

/* ---------------------------------------------------------------- merge */

effad_status merge_maps_add(gauss_model *acc, gauss_model *next, const char *acc_path, const char *next_path,
                            effad_error *e)
{
    if (!acc->maps != !next->maps)
        return effad_fail(e, EFFAD_ERR_MISMATCH, "%s has anomaly maps, %s has none", acc->maps ? acc_path : next_path,
                          acc->maps ? next_path : acc_path);
    if (!acc->maps) return EFFAD_OK;
    const char *what = gauss_maps_layout_differs(acc->maps, next->maps);
    if (what) return effad_fail(e, EFFAD_ERR_MISMATCH, "%s and %s differ in %s", acc_path, next_path, what);
    const char *bare = !acc->maps->stats ? acc_path : !next->maps->stats ? next_path : 0;
    if (bare) return effad_fail(e, EFFAD_ERR_ARG, "%s was fitted with --no-map-stats: its maps cannot be merged", bare);
    effad_status s = gauss_maps_stats_merge(acc->maps->stats, next->maps->stats, NULL, e);
    if (s) effad_error_prefix(e, next_path);
    return s;
}

effad_status merge_maps_refit(gauss_model *acc, FILE *out, effad_error *e)
{
    gauss_maps *m = acc->maps;
    if (!m) return EFFAD_OK;
    effad_status s = gauss_maps_fit(m, NULL, e);
    if (s) { effad_error_prefix(e, "maps"); return s; }
    fprintf(out, "  maps: %ux%u locations x %u dimensions refitted on %llu images\n", m->grid_h, m->grid_w, m->dim,
            (unsigned long long)m->n);
    if (m->calibrated) {
        m->calibrated = 0;
        m->threshold = 0;
        m->min_area = 0;
        m->n_holdout = 0;
        fprintf(out, "  maps: the pixel threshold was chosen for one part: dropped (effad calibrate chooses one)\n");
    }
    return EFFAD_OK;
}

/* ---------------------------------------------------------------- score */

effad_status score_maps_open(score_maps *sm, const gauss_model *gm, pipeline *p, int map_max, effad_error *e)
{
    memset(sm, 0, sizeof *sm);
    sm->map_max = map_max;
    return open_scorer(&sm->ms, &sm->on, gm, p, map_max, e);
}

effad_status score_maps_image(score_maps *sm, pipeline *p, int w, int h, effad_error *e)
{
    sm->png[0] = sm->f32[0] = 0;
    effad_status s = map_scorer_run(&sm->ms, p, w, h, e);
    if (!s) s = maps_regions(&sm->ms, &sm->rl, &sm->defects, e);
    return s;
}

/* --save-maps, a row at a time: the map of a 48-megapixel image is 192 MB
 * already, and its 16-bit and little-endian copies would be 288 MB more. */
effad_status score_maps_save_raw(score_maps *sm, const char *dir, const char *name, effad_error *e)
{
    const map_geometry *g = &sm->ms.geo;
    const size_t w = (size_t)g->img_w;
    const float *map = sm->ms.map;
    /* 16-bit: 0 .. the image's maximum, so the full range is used; the
     * scale goes into the JSON line */
    double scale = sm->ms.max > 0 ? sm->ms.max / 65535.0 : 1.0;
    uint16_t *q = malloc(w * sizeof *q);
    uint8_t *le = malloc(w * 4);
    if (!q || !le) { free(q); free(le); return effad_fail(e, EFFAD_ERR_NOMEM, "out of memory for a raw map"); }
    figure_path(sm->png, sizeof sm->png, dir, name, ".map.png");
    figure_path(sm->f32, sizeof sm->f32, dir, name, ".map.f32");
    png_writer pw;
    atomic_out f32;
    effad_status s = png_writer_begin(&pw, sm->png, g->img_w, g->img_h, 1, 16, e);
    if (!s && (s = atomic_file_begin(&f32, sm->f32, 0, e))) png_writer_abort(&pw);
    for (int y = 0; y < g->img_h && !s; y++) {
        const float *row = map + (size_t)y * w;
        for (size_t x = 0; x < w; x++) {
            double v = row[x] / scale;
            q[x] = (uint16_t)(v <= 0 ? 0 : v >= 65535 ? 65535 : lround(v));
            le_put_f32(le + 4 * x, row[x]);
        }
        if ((s = png_writer_row16(&pw, q, e))) atomic_file_abort(&f32);
        else if ((s = atomic_file_append(&f32, le, w * 4, e))) png_writer_abort(&pw);
    }
    if (!s && (s = png_writer_end(&pw, NULL, NULL, e))) atomic_file_abort(&f32);
    if (!s) s = atomic_file_commit(&f32, e);
    free(q);
    free(le);
    sm->png_scale = scale;
    if (s) sm->png[0] = sm->f32[0] = 0;
    return s;
}

/* Whether the image sits directly in a folder called "good". */
static int in_good_folder(const char *image_path)
{
    const char *base = strrchr(image_path, '/');
    if (!base || base - image_path < 4 || strncmp(base - 4, "good", 4)) return 0;
    return base - image_path == 4 || base[-5] == '/';
}

effad_status score_maps_save_panels(score_maps *sm, const char *dir, const char *name, const char *image_path,
                                    const uint8_t *rgb, effad_error *e)
{
    const gauss_maps *gm = sm->ms.gm;
    const map_geometry *g = &sm->ms.geo;
    map_panels_in in = { rgb, sm->ms.map, 0, g->img_w, g->img_h, gm->calibrated ? gm->threshold : NAN, 0, 0, 0, 0, 0, 0 };
    map_window(g, &in.win_x0, &in.win_y0, &in.win_x1, &in.win_y1);
    /* the colours: a fixed scale around the threshold, so a good part
     * looks cold, stretched up to the maximum when a defect exceeds it */
    if (gm->calibrated) {
        in.lo = 0.5 * gm->threshold;
        in.hi = sm->ms.max > 2 * gm->threshold ? sm->ms.max : 2 * gm->threshold;
    } else {
        in.lo = INFINITY;
        for (size_t i = 0; i < (size_t)g->img_w * g->img_h; i++) if (sm->ms.map[i] > 0 && sm->ms.map[i] < in.lo) in.lo = sm->ms.map[i];
        in.hi = sm->ms.max;
        if (!(in.lo < in.hi)) { in.lo = 0; in.hi = sm->ms.max > 0 ? sm->ms.max : 1; }
    }
    char mp[4096], out[4096];
    uint8_t *truth = 0, *fig = 0;
    effad_status s = EFFAD_OK;
    struct stat st;
    int known = mvtec_mask_path(image_path, mp, sizeof mp);
    if (known && stat(mp, &st) == 0) {
        if ((s = mask_load(mp, &sm->ms.roi, g->img_w, g->img_h, &truth, e))) return s;
    } else if (known && in_good_folder(image_path)) {
        /* test/good/ of an MVTec layout: known to hold no defect */
        if (!(truth = calloc((size_t)g->img_w * g->img_h, 1))) return effad_fail(e, EFFAD_ERR_NOMEM, "out of memory");
    }
    in.truth = truth;
    int fw, fh;
    figure_path(out, sizeof out, dir, name, "-maps.png");
    s = figure_map_panels(&in, &fig, &fw, &fh, e);
    if (!s) s = image_write_png(out, fig, fw, fh, 3, e);
    free(fig);
    free(truth);
    return s;
}

void score_maps_json(const score_maps *sm, FILE *out)
{
    const gauss_maps *gm = sm->ms.gm;
    /* the map covers the region of interest; boxes are in the image's pixels */
    const image_roi *roi = &sm->ms.roi;
    fprintf(out, ",\"map\":{\"w\":%d,\"h\":%d,", sm->ms.geo.img_w, sm->ms.geo.img_h);
    if (roi->w) fprintf(out, "\"roi\":[%d,%d,%d,%d],", roi->x, roi->y, roi->w, roi->h);
    fprintf(out, "\"max\":%.9g", sm->ms.max);
    if (gm->calibrated) {
        fprintf(out, ",\"threshold\":%.9g,\"min_area\":%u,\"n_regions\":%zu,\"defects\":%zu,\"anomalous\":%s,\"regions\":[",
                gm->threshold, gm->min_area, sm->rl.n, sm->defects, sm->defects ? "true" : "false");
        int first = 1;
        for (size_t k = 0; k < sm->rl.n; k++) {
            const map_region *r = &sm->rl.r[k];
            if (r->area < gm->min_area) continue;
            fprintf(out, "%s{\"area\":%u,\"bbox\":[%d,%d,%d,%d],\"peak\":%.9g}", first ? "" : ",", r->area,
                    r->x0 + roi->x, r->y0 + roi->y, r->x1 + roi->x, r->y1 + roi->y, r->peak);
            first = 0;
        }
        fprintf(out, "]");
    }
    if (sm->png[0]) {
        fprintf(out, ",\"png\":");
        cli_json_string(out, sm->png);
        fprintf(out, ",\"png_scale\":%.9g,\"f32\":", sm->png_scale);
        cli_json_string(out, sm->f32);
    }
    fprintf(out, "}");
}

void score_maps_text(const score_maps *sm, FILE *out)
{
    const gauss_maps *gm = sm->ms.gm;
    fprintf(out, "          map max %.4g", sm->ms.max);
    if (!gm->calibrated) { fprintf(out, " (no pixel threshold: effad calibrate)\n"); return; }
    fprintf(out, ", %zu region%s above %.4g, %zu of %u+ pixels", sm->rl.n, sm->rl.n == 1 ? "" : "s", gm->threshold,
            sm->defects, gm->min_area);
    for (size_t k = 0, shown = 0; k < sm->rl.n && shown < 8; k++) {
        const map_region *r = &sm->rl.r[k];
        if (r->area < gm->min_area) continue;
        const image_roi *roi = &sm->ms.roi;   /* the image's pixels, not the map's */
        fprintf(out, "%s %u px at (%d,%d)-(%d,%d)", shown++ ? ";" : ":", r->area, r->x0 + roi->x, r->y0 + roi->y,
                r->x1 + roi->x, r->y1 + roi->y);
    }
    fprintf(out, "\n");
}

void score_maps_close(score_maps *sm)
{
    if (!sm) return;
    map_scorer_close(&sm->ms);
    region_list_free(&sm->rl);
    memset(sm, 0, sizeof *sm);
}
