/* The command-line side of anomaly maps; see cli-maps.h. */
#include <stdlib.h>
#include <math.h>
#include <string.h>
#include <sys/stat.h>
#include "cli.h"
#include "cli-maps.h"
#include "figure-maps.h"
#include "gauss-codec.h"

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
    if (m->calibrated)
        fprintf(out, "  maps: pixel threshold %.6g (no region of %u+ pixels in %u held-out good images)\n", m->threshold,
                m->min_area, m->n_holdout);
}

/* ----------------------------------------------------------------- eval */

effad_status eval_maps_open(eval_maps *em, detector *d, const char *root, int map_max, effad_error *e)
{
    memset(em, 0, sizeof *em);
    if (!d->gm.maps) {
        if (map_max) return effad_fail(e, EFFAD_ERR_ARG, "--score map-max needs a model fitted with --maps");
        return EFFAD_OK;
    }
    em->on = 1;
    em->map_max = map_max;
    char gt[4096];
    struct stat st;
    snprintf(gt, sizeof gt, "%s/ground_truth", root);
    em->pixel = stat(gt, &st) == 0 && S_ISDIR(st.st_mode);
    return map_scorer_open(&em->ms, d->gm.maps, &d->p, e);
}

effad_status eval_maps_image(eval_maps *em, detector *d, const image_list *l, size_t i, double *score, effad_error *e)
{
    int w, h;
    effad_status s = map_scorer_image(&em->ms, &d->p, l->path[i], d->feat, NULL, &w, &h, e);
    if (s) return s;
    *score = em->map_max ? em->ms.max : detector_score_image(d);
    if (!em->pixel) return EFFAD_OK;
    uint8_t *mask = 0;
    if (l->label[i]) {
        char mp[4096];
        if (!mvtec_mask_path(l->path[i], mp, sizeof mp))
            return effad_fail(e, EFFAD_ERR_ARG, "%s: not under test/<type>/, so no ground-truth mask", l->path[i]);
        if ((s = mask_load(mp, w, h, &mask, e))) return s;
    }
    s = pixel_eval_add(&em->pe, em->ms.map, mask, w, h, l->type[i], e);
    free(mask);
    return s;
}

effad_status eval_maps_report(eval_maps *em, const image_list *l, const char *outdir, FILE *out, char *json, size_t cap,
                              size_t *at, effad_error *e)
{
    if (!em->on || !em->pixel) return EFFAD_OK;
    const gauss_maps *gm = em->ms.gm;
    pixel_metrics all;
    effad_status s = pixel_eval_compute(&em->pe, -1, 0.3, &all, e);
    if (s) return s;
    fprintf(out, "pixel AUROC and PRO (maps %ux%u x %u, %llu pixels, %llu in %llu defect regions)\n", gm->grid_h,
            gm->grid_w, gm->dim, (unsigned long long)all.pixels, (unsigned long long)all.defect_pixels,
            (unsigned long long)all.regions);
    fprintf(out, "  %-16s %8s %8s\n", "defect type", "AUROC", "PRO");
    char auroc_js[2048], pro_js[2048];
    size_t aj = 0, pj = 0;
    for (int t = -1; t < l->n_types; t++) {
        if (t == 0) continue;
        pixel_metrics m = all;
        if (t > 0 && (s = pixel_eval_compute(&em->pe, t, 0.3, &m, e))) return s;
        const char *name = t < 0 ? "all" : l->type_name[t];
        fprintf(out, "  %-16s %8.4f %8.4f\n", name, m.auroc, m.pro);
        if (aj < sizeof auroc_js) aj += (size_t)snprintf(auroc_js + aj, sizeof auroc_js - aj, "%s\"%s\":%.6f", aj ? "," : "", name, m.auroc);
        if (pj < sizeof pro_js) pj += (size_t)snprintf(pro_js + pj, sizeof pro_js - pj, "%s\"%s\":%.6f", pj ? "," : "", name, m.pro);
    }
    fprintf(out, "  best-F1 pixel threshold %.6g (F1 %.4f, score >= threshold; chosen on these labels)\n",
            all.f1_threshold, all.f1);
    if (gm->calibrated)
        fprintf(out, "  pixel threshold in force %.6g, defects of %u+ pixels (from %u good images)\n", gm->threshold,
                gm->min_area, gm->n_holdout);
    if (*at < cap)
        *at += (size_t)snprintf(json + *at, cap - *at, ",\"pixel_auroc\":{%s},\"pro\":{%s},\"pixel_best_f1\":{\"threshold\":%.9g,"
                                "\"f1\":%.6f}", auroc_js, pro_js, all.f1_threshold, all.f1);
    if (gm->calibrated && *at < cap)
        *at += (size_t)snprintf(json + *at, cap - *at, ",\"pixel_threshold\":{\"value\":%.9g,\"min_area\":%u}",
                                gm->threshold, gm->min_area);

    /* regions of defect size against the threshold: from the median pixel
     * score to the highest (ranked by pixel_eval_compute) */
    enum { K = 48 };
    double th[K];
    uint64_t good[K], bad[K];
    double lo = em->pe.score[em->pe.order[em->pe.n / 2]], hi = em->pe.score[em->pe.order[0]];
    uint32_t min_area = gm->calibrated ? gm->min_area : MAPS_DEFAULT_MIN_AREA;
    for (int k = 0; k < K; k++) th[k] = lo + (hi - lo) * k / (K - 1);
    if ((s = pixel_eval_region_counts(&em->pe, th, K, min_area, good, bad, e))) return s;
    char path[4096];
    snprintf(path, sizeof path, "%s/region-counts.svg", outdir);
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
