/* effad calibrate: thresholds chosen on good images the fit did not see --
 * the pixel threshold of a model's anomaly maps, as `fit --maps --holdout`
 * chooses it on its held-out ones, and with --fpr an image threshold for a
 * false-reject rate (reject-rate.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "batch.h"
#include "cli.h"
#include "cli-maps.h"
#include "detector-workers.h"
#include "input-list.h"
#include "reject-rate.h"

static int help(void)
{
    printf("usage: effad calibrate MODEL.gauss MODEL.efm GOOD_IMAGE_OR_DIR... [-o OUT.gauss] [options]\n"
           "  Chooses thresholds on good images the fit did not see. Anomaly maps (a model\n"
           "  fitted with --maps): the pixel threshold, the smallest value at which none of\n"
           "  the images (at most --fpr of them) has a connected region (8-connectivity) of\n"
           "  at least --min-area pixels above it. With --fpr: also the image threshold\n"
           "  'good-fpr-F' on the score, the lowest that rejects at most floor(F n) of the n\n"
           "  images (score >= threshold rejects), put in force. Writes MODEL.gauss in place\n"
           "  (atomically) unless -o/--out is given. '-' reads more images from stdin, one\n"
           "  path per line.\n"
           "  --fpr F        the share of good images a threshold may reject (0 <= F < 1;\n"
           "                 maps default 0). Fewer than 1 / F images allow none: the threshold\n"
           "                 then sits just above every one of them\n"
           "  --min-area A   a defect is a region of at least A pixels (default %d)\n"
           CLI_HELP_ROI_STORED
           "  --threads N, --isa NAME, --quiet\n"
           "                 --threads N: N images at once\n", MAPS_DEFAULT_MIN_AREA);
    return 0;
}

/* What each good image gives, collected in input order (batch.h). */
typedef struct calib_run {
    const detector *d;
    detector_workers dw;
    const image_list *list;
    uint32_t min_area;
    double *score;                /* [image]: the image score */
    double *pixel_t;              /* [image]: the smallest pixel threshold leaving it no defect */
    cli_image_warnings warned;
} calib_run;

static effad_status calib_work(void *ctx, int k, size_t i, effad_error *e)
{
    calib_run *r = ctx;
    return detector_workers_image(&r->dw, r->d, k, r->list->path[i], 0, 0, e);
}

static effad_status calib_deliver(void *ctx, int k, size_t i, effad_status s, const effad_error *work_err,
                                  effad_error *e)
{
    calib_run *r = ctx;
    detector_slot *sl = &r->dw.slot[k];
    if (sl->loaded) cli_warn_image("calibrate", &r->warned, sl->p, r->list->path[i], sl->w, sl->h);
    if (s) { *e = *work_err; return s; }   /* a good image that cannot be read stops it: thresholds need them all */
    r->score[i] = sl->score;
    if (sl->sm.on) {
        const map_scorer *ms = &sl->sm.ms;
        s = regions_min_threshold(ms->map, ms->geo.img_w, ms->geo.img_h, r->min_area, &r->pixel_t[i], e);
        if (s) effad_error_prefix(e, r->list->path[i]);
    }
    return s;
}

int cmd_calibrate(int argc, char **argv)
{
    const char *gauss_path = 0, *model = 0, *out = 0, *inputs[256];
    int n_inputs = 0, quiet = 0, min_area = MAPS_DEFAULT_MIN_AREA;
    double fpr = NAN;
    pipeline_options po = { .threads = 1 };
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : 0;
        if (cli_is_help(a)) return help();
        int common = cli_pipeline_option("calibrate", argc, argv, &i, &po, &quiet);
        if (common < 0) return 2;
        if (common) continue;
        if (cli_opt_out(a) && v) { out = v; i++; }
        else if (!strcmp(a, "--min-area") && v) {
            if (!cli_int_option("calibrate", "--min-area", v, 1, 1 << 30, &min_area)) return 2;
            i++;
        }
        else if (!strcmp(a, "--fpr") && v) {
            if (!cli_parse_double(v, &fpr) || !(fpr >= 0 && fpr < 1))
                return cli_usage_error("calibrate", "bad --fpr '%s' (the share of good images a threshold may reject, 0 <= F < 1)", v);
            i++;
        }
        else if (a[0] == '-' && a[1]) return cli_usage_error("calibrate", "unknown or incomplete option '%s'", a);
        else if (!gauss_path) gauss_path = a;
        else if (!model) model = a;
        else if (n_inputs < 256) inputs[n_inputs++] = a;
        else return cli_usage_error("calibrate", "too many inputs%s", "");
    }
    if (!gauss_path || !model || !n_inputs)
        return cli_usage_error("calibrate", "need MODEL.gauss, MODEL.efm and good images or directories%s", "");

    effad_error e = { 0 };
    detector d;
    input_list in;
    calib_run run;
    memset(&in, 0, sizeof in);
    memset(&run, 0, sizeof run);
    if (detector_open(&d, gauss_path, model, po, &e)) return cli_error("calibrate", &e);
    cli_note_rgb16_unstated("calibrate", gauss_path, &d.gm, &po);
    cli_note_renamed_preset("calibrate", gauss_path, &d.gm);
    int rc = 1;
    const int image_level = !isnan(fpr), maps = d.gm.maps != NULL;
    if (!maps && !image_level) {
        effad_fail(&e, EFFAD_ERR_ARG, "%s has no anomaly maps (fit it with --maps) and no --fpr was given for an "
                   "image threshold", gauss_path);
        goto done;
    }
    if (input_list_collect(&in, inputs, n_inputs, stdin, &e)) goto done;
    const image_list *l = &in.images;
    if (!l->n) { effad_fail(&e, EFFAD_ERR_ARG, "no good images to choose thresholds on"); goto done; }
    cli_print_notes("calibrate", l);
    run.d = &d;
    run.list = l;
    run.min_area = (uint32_t)min_area;
    run.score = malloc(l->n * sizeof *run.score);
    run.pixel_t = malloc(l->n * sizeof *run.pixel_t);
    if (!run.score || !run.pixel_t) { effad_fail(&e, EFFAD_ERR_NOMEM, "out of memory"); goto done; }
    if (detector_workers_open(&run.dw, &d, pipeline_workers_wanted(po.threads, l->n), 0, &e) ||
        batch_run(pipeline_threads_wanted(po.threads, l->n), run.dw.ws.n, l->n, calib_work, calib_deliver, &run, &e))
        goto done;
    detector_workers_close(&run.dw);

    const size_t allowed = reject_allowed(l->n, image_level ? fpr : 0);
    if (image_level && fpr > 0 && !allowed)
        fprintf(stderr, "effad calibrate: note: --fpr %g of %zu images allows none to be rejected: the thresholds sit "
                "above every one of them (%.0f or more good images tell a rate of %g)\n", fpr, l->n, ceil(1 / fpr), fpr);
    double image_t = 0;
    size_t rejected = 0;
    char name[GAUSS_THRESHOLD_NAME];
    if (image_level) {
        image_t = reject_score_threshold(run.score, l->n, allowed, &rejected);
        if (isnan(image_t)) { effad_fail(&e, EFFAD_ERR_NOMEM, "out of memory"); goto done; }
        snprintf(name, sizeof name, "good-fpr-%g", fpr);
        if (detector_set_threshold(&d.gm, name, image_t, 1, &e)) goto done;
    }
    if (maps && maps_calibrate_from(d.gm.maps, run.pixel_t, l->n, allowed, (uint32_t)min_area, &e)) goto done;
    if (gauss_file_write(out ? out : gauss_path, &d.gm, &e)) goto done;
    const char *to = out ? out : gauss_path;
    if (maps && !allowed)
        printf("%s: pixel threshold %.6g (no region of %d+ pixels in %zu good images)%s%s\n", gauss_path,
               d.gm.maps->threshold, min_area, l->n, image_level ? "" : " -> ", image_level ? "" : to);
    else if (maps)   /* allowed > 0: --fpr was given, and the image line ends the output */
        printf("%s: pixel threshold %.6g (a region of %d+ pixels in at most %zu of %zu good images, --fpr %g)\n",
               gauss_path, d.gm.maps->threshold, min_area, allowed, l->n, fpr);
    if (image_level)
        printf("%s: image threshold %s %.9g in force (rejects %zu of %zu good images) -> %s\n", gauss_path, name,
               image_t, rejected, l->n, to);
    rc = 0;
done:
    if (rc) cli_error("calibrate", &e);
    detector_workers_close(&run.dw);
    free(run.score);
    free(run.pixel_t);
    input_list_free(&in);
    detector_close(&d);
    return rc;
}
