/* effad score: anomaly score, per-level breakdown and verdict per image. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "cli-maps.h"
#include "dataset.h"
#include "detector.h"
#include "figure.h"
#include "image.h"

static int help(void)
{
    printf("usage: effad score MODEL.gauss MODEL.efm IMAGE_OR_DIR... [options]\n"
           "  Scores each image against the fitted Gaussians: the combined score, the\n"
           "  distance at every level, and the verdict against the threshold in force.\n"
           "  --json               one JSON object per line instead of text\n"
           "  --threshold V|NAME   a number, or a threshold stored in the model\n"
           "                       (train-2xmean, chi2-3sigma, explicit, best-f1, youden)\n"
           "  --save DIR           write DIR/<name>.png: the image beside its score bar; when\n"
           "                       the preset crops, the window it saw is outlined; with\n"
           "                       maps also DIR/<name>-maps.png: input, ground truth (MVTec\n"
           "                       layout), predicted mask, segmentation, heat map\n"
           "  --save-maps DIR      the raw anomaly map: DIR/<name>.map.png (16-bit, value =\n"
           "                       sample x png_scale from the JSON) and DIR/<name>.map.f32\n"
           "                       (float32 little-endian, row-major)\n"
           "  --score image|map-max  the image score: the Gaussians' (default) or the anomaly\n"
           "                       map's maximum (against the pixel threshold)\n"
           "  --verdict image|regions  anomalous when the score reaches the threshold, or when\n"
           "                       a region above the pixel threshold has the minimum area\n"
           "                       (default for a model with a calibrated pixel threshold)\n"
           "  --fail-on-anomaly    exit with status 3 when any image is anomalous\n"
           "  --preprocess NAME    insist on a preset (refused unless the model was fitted with it)\n"
           "  --threads N, --isa NAME, --quiet\n"
           CLI_HELP_16BIT);
    return 0;
}

int cmd_score(int argc, char **argv)
{
    const char *gauss_path = 0, *model = 0, *save = 0, *th_opt = 0, *preset_opt = 0, *save_maps = 0;
    const char *inputs[256];
    int n_inputs = 0, json = 0, fail_on = 0, quiet = 0, map_max = 0, verdict = -1;   /* -1: by the model */
    pipeline_options po = { .threads = 1, .rgb16 = IMAGE_RGB_SCALE };
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : 0;
        if (cli_is_help(a)) return help();
        int common = cli_pipeline_option("score", argc, argv, &i, &po, &quiet);
        if (common < 0) return 2;
        if (common) continue;
        if (!strcmp(a, "--json")) json = 1;
        else if (!strcmp(a, "--save") && v) { save = v; i++; }
        else if (!strcmp(a, "--threshold") && v) { th_opt = v; i++; }
        else if (!strcmp(a, "--fail-on-anomaly")) fail_on = 1;
        else if (!strcmp(a, "--preprocess") && v) { preset_opt = v; i++; }
        else if (!strcmp(a, "--save-maps") && v) { save_maps = v; i++; }
        else if (!strcmp(a, "--score") && v) {
            if (strcmp(v, "image") && strcmp(v, "map-max")) return cli_usage_error("score", "--score '%s': image or map-max", v);
            map_max = !strcmp(v, "map-max");
            i++;
        }
        else if (!strcmp(a, "--verdict") && v) {
            if (strcmp(v, "image") && strcmp(v, "regions")) return cli_usage_error("score", "--verdict '%s': image or regions", v);
            verdict = !strcmp(v, "regions");
            i++;
        }
        else if (a[0] == '-') return cli_usage_error("score", "unknown or incomplete option '%s'", a);
        else if (!gauss_path) gauss_path = a;
        else if (!model) model = a;
        else if (n_inputs < 256) inputs[n_inputs++] = a;
        else return cli_usage_error("score", "too many inputs%s", "");
    }
    if (!gauss_path || !model || !n_inputs) return cli_usage_error("score", "need MODEL.gauss, MODEL.efm and images or directories%s", "");

    effad_error e = { 0 };
    detector d;
    image_list list;
    memset(&list, 0, sizeof list);
    /* the recorded preset, unless the user names one: then it must agree */
    po.preset = preset_opt;
    if (detector_open_flags(&d, gauss_path, model, po, GAUSS_READ_NO_MAP_STATS, &e)) return cli_error("score", &e);
    cli_note_renamed_preset("score", gauss_path, &d.gm);
    cli_image_warnings warned = { 0, 0 };
    int rc = 1, anomalies = 0;
    score_maps sm;
    memset(&sm, 0, sizeof sm);
    if (dataset_collect(&list, inputs, n_inputs, &e) || score_maps_open(&sm, &d, map_max, &e)) goto done;
    double threshold;
    const char *th_name = "explicit";
    int calibrated = sm.on && d.gm.maps->calibrated;
    if (th_opt && cli_parse_double(th_opt, &threshold)) th_name = "explicit";
    else if (map_max) {   /* the map maximum is judged against the pixel threshold */
        if (!calibrated) { effad_fail(&e, EFFAD_ERR_ARG, "--score map-max: the model has no pixel threshold (effad calibrate) and no --threshold was given"); goto done; }
        threshold = d.gm.maps->threshold;
        th_name = "pixel";
    }
    else if (detector_get_threshold(&d.gm, th_opt, &threshold, &th_name, &e)) goto done;
    if (verdict < 0) verdict = calibrated;
    if (verdict && !calibrated) { effad_fail(&e, EFFAD_ERR_ARG, "--verdict regions: the model has no pixel threshold (fit --maps --holdout F, or effad calibrate)"); goto done; }

    if ((save && cli_mkdir(save, &e)) || (save_maps && cli_mkdir(save_maps, &e))) goto done;
    if (json) {   /* a header line: what the scores below were measured against */
        printf("{\"kind\":\"fit\",\"preset\":\"%s\",\"n_train\":%llu,\"threshold\":%.17g,\"threshold_name\":\"%s\",\"levels\":[",
               d.gm.preset, (unsigned long long)(d.gm.n_levels ? d.gm.levels[0].n : 0), threshold, th_name);
        for (size_t l = 0; l < d.gm.n_levels; l++)
            printf("%s{\"tap\":%d,\"dim\":%zu,\"shrinkage\":%.17g}", l ? "," : "", d.sel.tap[l], d.gm.levels[l].dim,
                   d.gm.levels[l].shrinkage);
        printf("]");
        if (sm.on) {
            const gauss_maps *gm = d.gm.maps;
            printf(",\"map\":{\"grid\":[%u,%u],\"dim\":%u,\"sigma\":%.9g,\"verdict\":\"%s\"", gm->grid_h, gm->grid_w, gm->dim,
                   gm->sigma, verdict ? "regions" : "image");
            if (gm->calibrated) printf(",\"threshold\":%.17g,\"min_area\":%u", gm->threshold, gm->min_area);
            printf("}");
        }
        printf("}\n");
    }
    if (!json && !quiet) printf("# %s, threshold %s = %.6g, score = %s of %zu level distances\n", gauss_path, th_name,
                                threshold, detector_combine_of(d.gm.preset) == COMBINE_MEAN ? "mean" : "sum", d.gm.n_levels);
    for (size_t i = 0; i < list.n; i++) {
        uint8_t *rgb = 0;
        int w, h;
        if (pipeline_load_rgb(&d.p, list.path[i], &rgb, &w, &h, &e)) goto done;
        cli_warn_image("score", &warned, &d.p, list.path[i], w, h);
        if (pipeline_rgb(&d.p, rgb, w, h, 0, 0, d.feat, &e) || (sm.on && score_maps_image(&sm, &d, w, h, &e)) ||
            (save_maps && score_maps_save_raw(&sm, save_maps, list.path[i], &e))) {
            effad_error_prefix(&e, list.path[i]);
            free(rgb);
            goto done;
        }
        double score = map_max ? sm.ms.max : detector_score_image(&d);
        int image_bad = score >= threshold, bad = verdict ? sm.defects > 0 : image_bad;
        anomalies += bad;
        if (json) {
            printf("{\"file\":");
            json_string(stdout, list.path[i]);
            printf(",\"score\":%.17g,\"levels\":[", score);
            for (size_t l = 0; l < d.gm.n_levels; l++) printf("%s%.17g", l ? "," : "", d.levels[l]);
            printf("],\"threshold\":%.17g,\"anomalous\":%s", threshold, bad ? "true" : "false");
            if (sm.on) {
                printf(",\"image_anomalous\":%s", image_bad ? "true" : "false");
                score_maps_json(&sm, stdout);
            }
            printf("}\n");
        } else {
            printf("%-9s %12.6g  %s  levels", bad ? "ANOMALY" : "ok", score, list.path[i]);
            for (size_t l = 0; l < d.gm.n_levels; l++) printf(" %.4g", d.levels[l]);
            printf("\n");
            if (sm.on) score_maps_text(&sm, stdout);
        }
        if (save) {
            uint8_t *fig = 0;
            int fw, fh;
            char out[4096];
            output_name(out, sizeof out, save, list.path[i], ".png");
            double box[4];
            int crops = d.p.prep.crop != PREP_CROP_NONE && !preprocess_crop_in_source(&d.p.prep, w, h, box, 0, 0);
            effad_status s = figure_score(rgb, w, h, crops ? box : 0, score, threshold, &fig, &fw, &fh, &e);
            if (!s) s = image_write_png(out, fig, fw, fh, 3, &e);
            if (!s && sm.on) s = score_maps_save_panels(&sm, save, list.path[i], rgb, &e);
            free(fig);
            if (s) { free(rgb); goto done; }
        }
        free(rgb);
    }
    fflush(stdout);
    rc = fail_on && anomalies ? 3 : 0;
    if (!json && !quiet) fprintf(stderr, "%zu images, %d anomalous\n", list.n, anomalies);
done:
    if (rc == 1) cli_error("score", &e);
    dataset_free(&list);
    score_maps_close(&sm);
    detector_close(&d);
    return rc;
}
