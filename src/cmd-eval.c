/* effad eval: image AUROC on an MVTec-AD layout, per defect type, with the
 * ROC curve, and how each threshold does. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "batch.h"
#include "cli.h"
#include "cli-maps.h"
#include "dataset.h"
#include "detector.h"
#include "detector-workers.h"
#include "figure.h"
#include "roc.h"
#include "atomic-file.h"

static int help(void)
{
    printf("usage: effad eval MODEL.gauss MODEL.efm DATA_DIR [options]\n"
           "  DATA_DIR is an MVTec-AD layout: test/good/, test/<defect>/ (and ground_truth/).\n"
           "  Prints image AUROC overall and per defect type, and for every threshold\n"
           "  (the model's, plus best-F1 and Youden's J chosen on these labels) its\n"
           "  TPR and FPR. Writes OUT/roc.svg, OUT/scores.csv and OUT/report.json.\n"
           "  With a model fitted with --maps and DATA_DIR/ground_truth/ masks it also\n"
           "  prints pixel AUROC and PRO per defect type and the best-F1 pixel threshold,\n"
           "  and draws OUT/region-counts.svg.\n"
           "  --score image|map-max  the image score: the Gaussians' (default) or the\n"
           "                   anomaly map's maximum\n"
           "  -o, --out DIR    report directory (default effad-report)\n"
           "  --update         store best-f1 and youden thresholds in MODEL.gauss (atomically)\n"
           "  --use NAME       with --update: put that threshold in force\n"
           "  --threads N, --isa NAME, --quiet\n"
           "                       --threads N: N images at once, memory N + 1 x the\n"
           "                       arena effad info prints (B0 at 224: 7.6 MB; one spare\n"
           "                       so that no thread waits its turn); one image: its\n"
           "                       layers split across the threads\n"
           CLI_HELP_16BIT
           CLI_HELP_ROI_STORED
           "  An image that cannot be read or decoded is left out of the AUROC with a\n"
           "  warning, listed under \"errors\" in report.json, and makes the exit status 4.\n"
           "exit status: 0 done; 4 done without the images that could not be read or\n"
           "  decoded; 1 any other error; 2 bad arguments\n");
    return 0;
}

typedef struct rate { double tpr, fpr; } rate;

static rate rates_at(const double *score, const uint8_t *label, size_t n, double th)
{
    size_t tp = 0, fp = 0, pos = 0, neg = 0;
    for (size_t i = 0; i < n; i++) {
        if (label[i]) { pos++; tp += score[i] >= th; }
        else { neg++; fp += score[i] >= th; }
    }
    rate r = { pos ? (double)tp / pos : NAN, neg ? (double)fp / neg : NAN };
    return r;
}

/* The scored images of the subset "good + one defect type" (type < 0:
 * all images); failed[i] marks an image that could not be read. */
static size_t subset(const image_list *l, const double *score, const char *const *failed, int type, double *s_out,
                     uint8_t *l_out)
{
    size_t k = 0;
    for (size_t i = 0; i < l->n; i++)
        if (!failed[i] && (type < 0 || l->type[i] == 0 || l->type[i] == type)) {
            s_out[k] = score[i];
            l_out[k] = (uint8_t)l->label[i];
            k++;
        }
    return k;
}

/* ------------------------------------------------------- one image */

/* Scoring the test images on one or more workers (batch.h): work scores
 * image i on some worker (and makes its map), deliver adds it, in input
 * order, to the scores, the CSV and the pixel metrics. */
typedef struct eval_run {
    const detector *d;
    const image_list *list;
    eval_maps *em;
    detector_workers dw;
    double *score;                /* [image] */
    char **failed;                /* [image]: NULL, or why it was left out */
    size_t n_failed;
    cli_buf *csv;
    cli_progress prog;
    int quiet;
} eval_run;

static effad_status eval_work(void *ctx, int k, size_t i, effad_error *e)
{
    eval_run *r = ctx;
    return detector_workers_image(&r->dw, r->d, k, r->list->path[i], 0, 0, e);
}

static effad_status eval_deliver(void *ctx, int k, size_t i, effad_status s, const effad_error *work_err,
                                 effad_error *e)
{
    eval_run *r = ctx;
    const image_list *l = r->list;
    const detector_slot *sl = &r->dw.slot[k];
    effad_error why = *work_err;
    cli_progress_step(&r->prog, i + 1);
    if (!s && r->em->on) s = eval_maps_add(r->em, l, i, &sl->sm.ms, &why);
    if (s) {   /* left out, and on with the others */
        if (!(r->failed[i] = strdup(cli_reason(&why, l->path[i])))) return effad_fail(e, EFFAD_ERR_NOMEM, "out of memory");
        r->n_failed++;
        fprintf(stderr, "%seffad eval: warning: %s: %s (left out)\n", r->prog.tty && !r->quiet ? "\n" : "", l->path[i],
                r->failed[i]);
        return EFFAD_OK;
    }
    r->score[i] = sl->score;
    cli_buf_csv(r->csv, l->path[i]);
    cli_buf_printf(r->csv, ",");
    cli_buf_csv(r->csv, l->type_name[l->type[i]]);
    cli_buf_printf(r->csv, ",%d,%.9g\n", l->label[i], r->score[i]);
    return EFFAD_OK;
}

/* ------------------------------------------------------------ the command */

int cmd_eval(int argc, char **argv)
{
    const char *gauss_path = 0, *model = 0, *data = 0, *outdir = "effad-report", *use = 0;
    int update = 0, quiet = 0, map_max = 0;
    pipeline_options po = { .threads = 1, .rgb16 = IMAGE_RGB_SCALE };
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : 0;
        if (cli_is_help(a)) return help();
        int common = cli_pipeline_option("eval", argc, argv, &i, &po, &quiet);
        if (common < 0) return 2;
        if (common) continue;
        if (cli_opt_out(a) && v) { outdir = v; i++; }
        else if (!strcmp(a, "--update")) update = 1;
        else if (!strcmp(a, "--use") && v) { use = v; i++; }
        else if (!strcmp(a, "--score") && v) {
            if (strcmp(v, "image") && strcmp(v, "map-max")) return cli_usage_error("eval", "--score '%s': image or map-max", v);
            map_max = !strcmp(v, "map-max");
            i++;
        }
        else if (a[0] == '-') return cli_usage_error("eval", "unknown or incomplete option '%s'", a);
        else if (!gauss_path) gauss_path = a;
        else if (!model) model = a;
        else if (!data) data = a;
        else return cli_usage_error("eval", "unexpected argument '%s'", a);
    }
    if (!gauss_path || !model || !data) return cli_usage_error("eval", "need MODEL.gauss, MODEL.efm and DATA_DIR%s", "");
    if (use && !update)
        return cli_usage_error("eval", "--use '%s' puts a threshold in force in MODEL.gauss, which only --update "
                               "rewrites: add --update (or give score --threshold NAME to try one)", use);
    if (update && map_max) return cli_usage_error("eval", "--update stores image-score thresholds; not with --score map-max%s", "");

    effad_error e = { 0 };
    detector d;
    image_list list;
    memset(&list, 0, sizeof list);
    /* with --update the .gauss is meant to be rewritten (statistics and
     * all); nothing else is */
    const char *files[2] = { model, gauss_path };
    static const char usage[] = "effad eval MODEL.gauss MODEL.efm DATA_DIR";
    if (cli_check_role(gauss_path, CLI_GAUSS, "MODEL.gauss", usage, &e) ||
        cli_check_role(model, CLI_EFM, "MODEL.efm", usage, &e) || cli_outputs_safe(0, files, update ? 1 : 2, &e) ||
        detector_open_flags(&d, gauss_path, model, po, update ? 0 : GAUSS_READ_SCORING, &e))
        return cli_error("eval", &e);
    cli_note_renamed_preset("eval", gauss_path, &d.gm);
    cli_note_rgb16_unstated("eval", gauss_path, &d.gm, &po);
    int rc = CLI_EXIT_ERROR;
    double *score = 0, *sub_s = 0;
    uint8_t *sub_l = 0;
    char **failed = 0;          /* per image: NULL, or why it could not be read */
    size_t n_failed = 0;
    roc_curve curves[64];
    int n_curves = 0;
    cli_buf csv = { 0 }, json = { 0 };
    eval_maps em;
    memset(&em, 0, sizeof em);
    if (dataset_mvtec_test(&list, data, &e)) goto done;
    cli_print_notes("eval", &list);
    if (cli_outputs_safe(0, (const char *const *)list.path, list.n, &e) || cli_mkdir(outdir, &e) ||
        eval_maps_open(&em, &d, data, map_max, &e))
        goto done;
    score = malloc(sizeof(double) * list.n);
    sub_s = malloc(sizeof(double) * list.n);
    sub_l = malloc(list.n);
    failed = calloc(list.n, sizeof *failed);
    if (!score || !sub_s || !sub_l || !failed) { effad_fail(&e, EFFAD_ERR_NOMEM, "out of memory"); goto done; }
    cli_buf_printf(&csv, "file,type,label,score\n");

    eval_run run = { .d = &d, .list = &list, .em = &em, .score = score, .failed = failed, .csv = &csv, .quiet = quiet };
    cli_progress_start(&run.prog, "eval", list.n, quiet);
    if (detector_workers_open(&run.dw, &d, pipeline_workers_wanted(po.threads, list.n), map_max, &e) ||
        batch_run(pipeline_threads_wanted(po.threads, list.n), run.dw.ws.n, list.n, eval_work, eval_deliver, &run, &e)) {
        detector_workers_close(&run.dw);
        goto done;
    }
    detector_workers_close(&run.dw);
    n_failed = run.n_failed;
    cli_progress_end(&run.prog);

    /* AUROC overall, then each defect type against the good images */
    char roi[ROI_TEXT_BYTES];
    roi_format(&d.gm.roi, roi, sizeof roi);
    printf("image AUROC (%s, %zu test images, preprocessing %s%s%s%s)\n", data, list.n - n_failed, d.gm.preset,
           roi[0] ? " of the region " : "", roi, map_max ? ", score = anomaly-map maximum" : "");
    if (n_failed) printf("  %zu more could not be read or decoded: left out (report.json lists them)\n", n_failed);
    printf("  %-16s %6s %6s %8s\n", "defect type", "good", "bad", "AUROC");
    roc_series series[64];
    double auc_all = 0;
    for (int t = -1; t < list.n_types && n_curves < 64; t++) {
        if (t == 0) continue;
        size_t k = subset(&list, score, (const char *const *)failed, t, sub_s, sub_l), pos = 0;
        for (size_t i = 0; i < k; i++) pos += sub_l[i];
        double auc;
        if (roc_auc(sub_s, sub_l, k, &auc, &e) || roc_curve_compute(sub_s, sub_l, k, 1, &curves[n_curves], &e)) goto done;
        series[n_curves].name = t < 0 ? "all" : list.type_name[t];
        series[n_curves].fpr = curves[n_curves].fpr;
        series[n_curves].tpr = curves[n_curves].tpr;
        series[n_curves].n = curves[n_curves].n;
        series[n_curves].auc = auc;
        n_curves++;
        if (t < 0) auc_all = auc;
        printf("  %-16s %6zu %6zu %8.4f\n", t < 0 ? "all" : list.type_name[t], k - pos, pos, auc);
    }
    char path[4096], title[256];
    snprintf(title, sizeof title, "image ROC: %s (AUROC %.4f)", data, auc_all);
    if (cli_path_join(path, sizeof path, outdir, "roc.svg", &e)) goto done;
    if (figure_roc_svg(path, title, series, n_curves, &e)) goto done;

    /* thresholds: the model's, plus the two chosen on these labels */
    size_t k = subset(&list, score, (const char *const *)failed, -1, sub_s, sub_l);
    double f1_th, f1, yj_th, yj;
    if (roc_best_f1(sub_s, sub_l, k, &f1_th, &f1, &e) || roc_youden(sub_s, sub_l, k, &yj_th, &yj, &e)) goto done;
    printf("thresholds (score >= threshold is anomalous)\n  %-16s %12s %8s %8s\n", "name", "value", "TPR", "FPR");
    if (map_max && d.gm.maps->calibrated) {   /* the model's own thresholds are for the image score */
        rate r = rates_at(sub_s, sub_l, k, nextafter(d.gm.maps->threshold, INFINITY));   /* max > t */
        printf("  %-16s %12.6g %8.4f %8.4f  (the pixel threshold; map max above it)\n", "pixel", d.gm.maps->threshold,
               r.tpr, r.fpr);
    }
    for (size_t t = 0; t < d.gm.n_thresholds && !map_max; t++) {
        rate r = rates_at(sub_s, sub_l, k, d.gm.thresholds[t].value);
        printf("  %-16s %12.6g %8.4f %8.4f%s\n", d.gm.thresholds[t].name, d.gm.thresholds[t].value, r.tpr, r.fpr,
               t ? "" : "  (in force)");
    }
    rate rf = rates_at(sub_s, sub_l, k, f1_th), ry = rates_at(sub_s, sub_l, k, yj_th);
    printf("  %-16s %12.6g %8.4f %8.4f  (F1 %.4f, chosen on these labels)\n", "best-f1", f1_th, rf.tpr, rf.fpr, f1);
    printf("  %-16s %12.6g %8.4f %8.4f  (J %.4f, chosen on these labels)\n", "youden", yj_th, ry.tpr, ry.fpr, yj);

    cli_buf_printf(&json, "{\"data\":");
    cli_buf_json(&json, data);
    if (d.gm.roi.w) cli_buf_printf(&json, ",\"roi\":[%d,%d,%d,%d]", d.gm.roi.x, d.gm.roi.y, d.gm.roi.w, d.gm.roi.h);
    char rule[4];
    if (d.gm.rgb16 != PREP_RGB16_NONE) cli_buf_printf(&json, ",\"rgb16\":\"%s\"", prep_rgb16_name(d.gm.rgb16, rule));
    cli_buf_printf(&json, ",\"images\":%zu,\"auroc\":{", list.n - n_failed);
    for (int c = 0; c < n_curves; c++) {
        cli_buf_printf(&json, "%s", c ? "," : "");
        cli_buf_json(&json, series[c].name);
        char num[40];
        cli_buf_printf(&json, ":%s", cli_json_num(num, sizeof num, "%.6f", series[c].auc));
    }
    cli_buf_printf(&json, "},\"thresholds\":{\"in_force\":{\"name\":");
    cli_buf_json(&json, d.gm.n_thresholds ? d.gm.thresholds[0].name : "");
    char n[9][40];   /* JSON has no inf or nan: such values are null */
    cli_buf_printf(&json, ",\"value\":%s},\"best_f1\":{\"value\":%s,\"f1\":%s,\"tpr\":%s,\"fpr\":%s},"
                   "\"youden\":{\"value\":%s,\"j\":%s,\"tpr\":%s,\"fpr\":%s}},\"errors\":[",
                   cli_json_num(n[0], 40, "%.9g", d.gm.n_thresholds ? d.gm.thresholds[0].value : NAN),
                   cli_json_num(n[1], 40, "%.9g", f1_th), cli_json_num(n[2], 40, "%.6f", f1),
                   cli_json_num(n[3], 40, "%.6f", rf.tpr), cli_json_num(n[4], 40, "%.6f", rf.fpr),
                   cli_json_num(n[5], 40, "%.9g", yj_th), cli_json_num(n[6], 40, "%.6f", yj),
                   cli_json_num(n[7], 40, "%.6f", ry.tpr), cli_json_num(n[8], 40, "%.6f", ry.fpr));
    for (size_t i = 0, c = 0; i < list.n; i++) {
        if (!failed[i]) continue;
        cli_buf_printf(&json, "%s{\"file\":", c++ ? "," : "");
        cli_buf_json(&json, list.path[i]);
        cli_buf_printf(&json, ",\"error\":");
        cli_buf_json(&json, failed[i]);
        cli_buf_printf(&json, "}");
    }
    cli_buf_printf(&json, "]");
    if (eval_maps_report(&em, &list, outdir, stdout, &json, &e)) goto done;
    cli_buf_printf(&json, "}\n");
    if (csv.failed || json.failed) { effad_fail(&e, EFFAD_ERR_NOMEM, "out of memory for the report"); goto done; }
    if (cli_path_join(path, sizeof path, outdir, "scores.csv", &e) || atomic_file_write(path, csv.p, csv.n, &e)) goto done;
    if (cli_path_join(path, sizeof path, outdir, "report.json", &e) || atomic_file_write(path, json.p, json.n, &e)) goto done;
    printf("report: %s/roc.svg, %s/scores.csv, %s/report.json%s%s%s\n", outdir, outdir, outdir,
           em.pixel ? ", " : "", em.pixel ? outdir : "", em.pixel ? "/region-counts.svg" : "");
    if (update) {
        if (detector_set_threshold(&d.gm, "best-f1", f1_th, use && !strcmp(use, "best-f1"), &e) ||
            detector_set_threshold(&d.gm, "youden", yj_th, use && !strcmp(use, "youden"), &e))
            goto done;
        if (use && strcmp(use, "best-f1") && strcmp(use, "youden")) {
            double v;
            if (detector_get_threshold(&d.gm, use, &v, 0, &e) || detector_set_threshold(&d.gm, use, v, 1, &e)) goto done;
        }
        if (gauss_file_write(gauss_path, &d.gm, &e)) goto done;
        printf("updated %s: threshold in force is %s = %.6g\n", gauss_path, d.gm.thresholds[0].name, d.gm.thresholds[0].value);
    }
    rc = n_failed ? CLI_EXIT_BAD_IMAGES : CLI_EXIT_OK;
    if (n_failed) fprintf(stderr, "effad eval: %zu of %zu images could not be read or decoded (left out)\n", n_failed, list.n);
done:
    if (rc == CLI_EXIT_ERROR) cli_error("eval", &e);
    for (int c = 0; c < n_curves; c++) roc_curve_free(&curves[c]);
    for (size_t i = 0; failed && i < list.n; i++) free(failed[i]);
    free(failed);
    free(score); free(sub_s); free(sub_l);
    cli_buf_free(&csv); cli_buf_free(&json);
    dataset_free(&list);
    eval_maps_close(&em);
    detector_close(&d);
    return rc;
}
