/* effad fit: learn what good parts look like. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "batch.h"
#include "batch-pipeline.h"
#include "align.h"
#include "cli.h"
#include "cli-maps.h"
#include "dataset.h"
#include "detector.h"
#include "input-list.h"

static int help(void)
{
    printf("usage: effad fit MODEL.efm TRAIN_DIR_OR_IMAGE... -o OUT.gauss [options]\n"
           "  Fits one Gaussian per feature level on good images (directories are\n"
           "  searched recursively; '-' reads more from stdin, one path per line) and\n"
           "  writes OUT.gauss atomically (-o or --out).\n"
           "  --preprocess ailia|mahalanobisad|paper   reference pipeline to match (default ailia):\n"
           "        ailia: the ailia model zoo's mahalanobisad.py -- PIL Lanczos short side to\n"
           "        256 (scaled for other input sizes), centre crop at (h - 224) // 2,\n"
           "        score = sum over levels, threshold 2 x mean training score;\n"
           "        mahalanobisad: MahalanobisAD-pytorch, the same but torchvision's CenterCrop\n"
           "        (origin rounded half to even: one pixel off when (h - 224) %% 4 == 3);\n"
           "        paper: gaussian-ad-mvtec -- OpenCV bilinear straight to the input size\n"
           "        (whole image, aspect not kept), score = mean over levels, threshold\n"
           "        from the chi-squared rule\n"
           "  --levels all|i,j,...  which model levels to use (default all; effad info lists them)\n"
           "  --aug N        add N augmented copies per image (rotation within +-10 deg, random crop)\n"
           "  --seed S       augmentation seed (default 0); image i's copies are drawn from a\n"
           "                 generator seeded from (S, i), the same for any --threads (effad\n"
           "                 before this release drew all copies from one stream)\n"
           "  --sigma N      sigma of the chi-squared threshold (default 3)\n"
           "  --threshold V  an explicit threshold, put in force\n"
           "  --no-features  do not keep training features (smaller file; a later merge cannot\n"
           "                 recompute the 2 x mean training score)\n"
           "  --skip-bad     leave out training images that cannot be read or decoded, and list\n"
           "                 them (default: such an image stops the fit -- a silent gap in the\n"
           "                 training set is worse than a failed run)\n"
           "  --threads N    worker threads (default 1): N images at once, memory N + 1 x\n"
           "                 the arena effad info prints (B0 at 224: 7.6 MB; one spare so\n"
           "                 that no thread waits its turn); one image: its layers split\n"
           "                 across the threads\n"
           "  --isa NAME     force a kernel path (also EFFAD_ISA)\n"
           "  --quiet        no progress on stderr\n"
           CLI_HELP_16BIT
           CLI_HELP_ROI
           "  --align R      parts that sit up to R pixels off (1..256): the reference's region\n"
           "                 (--roi, or the image less R pixels a side) is kept as a template,\n"
           "                 found again in every image (here and when scoring) and the region\n"
           "                 cut there; whole-pixel shifts, no rotation\n"
           "  --align-ref IMAGE  the reference (default: the first training image)\n"
           "exit status: 0 written (images left out by --skip-bad are listed on stderr);\n"
           "  1 any error, OUT.gauss untouched; 2 bad arguments\n"
           "anomaly maps:\n");
    maps_fit_help(stdout);
    return 0;
}

/* ------------------------------------------------------- one image */

/* The fit of a list of images on one or more workers (batch.h): work
 * turns image i into its rows on some worker, deliver adds them, in input
 * order, to what the fit accumulates. */
typedef struct fit_slot {         /* the image in flight on one worker */
    float *rows;                  /* copies rows: [0] the plain copy */
    int w, h, loaded;
    int dx, dy;                   /* --align: where its part was found */
    double match;
} fit_slot;

typedef struct fit_run {
    const image_list *list;
    maps_fitter *mf;
    int maps, skip_bad, quiet;
    size_t copies;                /* 1 + --aug */
    uint64_t seed;
    float *rows;                  /* the fit's rows, copies per good image */
    pipeline_workers ws;
    fit_slot *slot;               /* [worker] */
    cli_image_warnings warned;
    cli_progress prog;
    size_t good, skipped;
    int aligned;                  /* --align: the shifts the training images took */
    int dx_lo, dx_hi, dy_lo, dy_hi;
    double match_lo;
} fit_run;

static effad_status fit_run_open(fit_run *r, pipeline *p, int n_workers, effad_error *e)
{
    effad_status s = pipeline_workers_open(&r->ws, p, n_workers, e);
    if (s) return s;
    if (!(r->slot = calloc((size_t)r->ws.n, sizeof *r->slot))) return effad_fail(e, EFFAD_ERR_NOMEM, "out of memory");
    for (int k = 0; k < r->ws.n; k++)
        if (!(r->slot[k].rows = malloc(sizeof(float) * p->total_dim * r->copies)))
            return effad_fail(e, EFFAD_ERR_NOMEM, "no memory for a worker's feature rows");
    return EFFAD_OK;
}

static void fit_run_close(fit_run *r)
{
    for (int k = 0; r->slot && k < r->ws.n; k++) free(r->slot[k].rows);
    free(r->slot);
    r->slot = 0;
    pipeline_workers_close(&r->ws);
}

/* Image i's rows on worker k. Its augmented copies draw from a generator
 * of its own, seeded from (--seed, i): the copies do not depend on which
 * worker ran which image before. The plain copy runs last, so that the
 * runner's maps are its maps when deliver hands them to the maps fitter. */
static effad_status fit_work(void *ctx, int k, size_t i, effad_error *e)
{
    fit_run *r = ctx;
    fit_slot *sl = &r->slot[k];
    pipeline *p = r->ws.p[k];
    uint8_t *rgb = 0;
    sl->loaded = 0;
    if (maps_fitter_held(r->mf, i)) return EFFAD_OK;   /* chooses the pixel threshold after the fit */
    effad_status s = pipeline_load_rgb(p, r->list->path[i], &rgb, &sl->w, &sl->h, e);
    if (s) return s;
    sl->loaded = 1;
    sl->dx = p->shift_x;
    sl->dy = p->shift_y;
    sl->match = p->match;
    augment_rng rng;
    augment_rng_seed_image(&rng, r->seed, i);
    for (size_t c = 1; c <= r->copies && !s; c++) {   /* copies 1, 2, ..., then 0 */
        size_t copy = c % r->copies;
        s = pipeline_rgb(p, rgb, sl->w, sl->h, copy ? &rng : 0, 10, sl->rows + copy * p->total_dim, e);
    }
    if (s) effad_error_prefix(e, r->list->path[i]);
    free(rgb);
    return s;
}

/* In input order: image i's rows (and maps) into the fit, or the stop or
 * skip an unreadable image means. */
static effad_status fit_deliver(void *ctx, int k, size_t i, effad_status s, const effad_error *work_err,
                                effad_error *e)
{
    fit_run *r = ctx;
    if (maps_fitter_held(r->mf, i)) return EFFAD_OK;
    pipeline *p = r->ws.p[k];
    const fit_slot *sl = &r->slot[k];
    const char *path = r->list->path[i];
    effad_error why = *work_err;
    if (sl->loaded) cli_warn_image("fit", &r->warned, p, path, sl->w, sl->h);
    if (!s && r->maps && (s = maps_fitter_add(r->mf, p, &why)))   /* maps: the plain copy only */
        effad_error_prefix(&why, path);
    cli_progress_step(&r->prog, i + 1);
    if (!s) {
        memcpy(r->rows + r->good * r->copies * p->total_dim, sl->rows, sizeof(float) * r->copies * p->total_dim);
        if (r->aligned) {
            if (!r->good || sl->dx < r->dx_lo) r->dx_lo = sl->dx;
            if (!r->good || sl->dx > r->dx_hi) r->dx_hi = sl->dx;
            if (!r->good || sl->dy < r->dy_lo) r->dy_lo = sl->dy;
            if (!r->good || sl->dy > r->dy_hi) r->dy_hi = sl->dy;
            if (!r->good || sl->match < r->match_lo) r->match_lo = sl->match;
        }
        r->good++;
        return EFFAD_OK;
    }
    if (!r->skip_bad)
        return effad_fail(e, why.status, "%s (an unreadable training image stops the fit; --skip-bad leaves such "
                          "images out)", why.msg);
    fprintf(stderr, "%seffad fit: skipped %s: %s\n", r->prog.tty && !r->quiet ? "\n" : "", path, cli_reason(&why, path));
    r->skipped++;
    return EFFAD_OK;
}

/* --align R: the template from the reference image's region (the image
 * less R pixels a side when no --roi was given: po->roi is set then), on a
 * pipeline of its own (only its way of reading frames is needed). po->align
 * points at *t. */
static effad_status align_reference(const char *model, const char *ref, int range, pipeline_options *po,
                                    align_template **t, effad_error *e)
{
    pipeline p;
    effad_status s = pipeline_open_light(&p, model, po, e);
    if (s) return s;
    uint8_t *frame = 0;
    int w, h;
    s = pipeline_load_frame(&p, ref, &frame, &w, &h, e);
    pipeline_close(&p);
    if (s) return s;
    if (!po->roi.w && !(po->roi = align_default_roi(w, h, range)).w)
        s = effad_fail(e, EFFAD_ERR_ARG, "%s: the image is %dx%d, too small to search +-%d pixels (--align)", ref, w, h,
                       range);
    if (!s && !(*t = calloc(1, sizeof **t))) s = effad_fail(e, EFFAD_ERR_NOMEM, "out of memory");
    if (!s && (s = align_template_make(*t, frame, w, h, &po->roi, range, e))) effad_error_prefix(e, ref);
    free(frame);
    if (!s) po->align = *t;
    return s;
}

/* ------------------------------------------------------------ the command */

int cmd_fit(int argc, char **argv)
{
    const char *model = 0, *out = 0, *levels = "all";
    const char *inputs[256];
    int n_inputs = 0, aug = 0, quiet = 0, keep = 1, seed = 0, skip_bad = 0, align_range = 0;
    const char *align_ref = 0;
    double sigma = 3.0, explicit_th = NAN;
    pipeline_options po = { .preset = "ailia", .threads = 1, .rgb16 = IMAGE_RGB_SCALE };
    maps_fit_options mo;
    maps_fit_options_default(&mo);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : 0;
        if (cli_is_help(a)) return help();
        int common = cli_pipeline_option("fit", argc, argv, &i, &po, &quiet);
        if (!common) common = maps_fit_option("fit", argc, argv, &i, &mo);
        if (common < 0) return 2;
        if (common) continue;
        if (cli_opt_out(a) && v) { out = v; i++; }
        else if (!strcmp(a, "--preprocess") && v) { po.preset = v; i++; }
        else if (!strcmp(a, "--levels") && v) { levels = v; i++; }
        else if (!strcmp(a, "--aug") && v) { if (!cli_int_option("fit", "--aug", v, 0, 1000, &aug)) return 2; i++; }
        else if (!strcmp(a, "--seed") && v) { if (!cli_int_option("fit", "--seed", v, 0, 2147483647, &seed)) return 2; i++; }
        else if (!strcmp(a, "--sigma") && v) { if (!cli_parse_double(v, &sigma) || !(sigma > 0 && sigma < 38)) return cli_usage_error("fit", "bad --sigma '%s'", v); i++; }
        else if (!strcmp(a, "--threshold") && v) { if (!cli_parse_double(v, &explicit_th)) return cli_usage_error("fit", "bad --threshold '%s'", v); i++; }
        else if (!strcmp(a, "--align") && v) {
            if (!cli_int_option("fit", "--align", v, 1, ALIGN_MAX_RANGE, &align_range)) return 2;
            i++;
        }
        else if (!strcmp(a, "--align-ref") && v) { align_ref = v; i++; }
        else if (!strcmp(a, "--no-features")) keep = 0;
        else if (!strcmp(a, "--skip-bad")) skip_bad = 1;
        else if (a[0] == '-' && a[1]) return cli_usage_error("fit", "unknown or incomplete option '%s'", a);
        else if (!model) model = a;
        else if (n_inputs < 256) inputs[n_inputs++] = a;
        else return cli_usage_error("fit", "too many inputs%s", "");
    }
    if (!model || !n_inputs || !out) return cli_usage_error("fit", "need MODEL.efm, training images or directories, and -o OUT.gauss%s", "");
    if (mo.holdout > 0 && !mo.enabled) return cli_usage_error("fit", "--holdout chooses the pixel threshold of --maps%s", "");
    if (mo.ignore && !mo.enabled) return cli_usage_error("fit", "--ignore marks pixels of the --maps%s", "");
    if (align_ref && !align_range) return cli_usage_error("fit", "--align-ref names the image --align R matches%s", "");
    mo.seed = (uint64_t)seed;

    effad_error e = { 0 };
    pipeline p;
    input_list in;
    image_list list;
    gauss_model gm;
    level_sel sel;
    float *rows = 0;
    int rc = 1;
    memset(&in, 0, sizeof in);
    memset(&list, 0, sizeof list);
    memset(&gm, 0, sizeof gm);
    maps_fitter mf;
    memset(&mf, 0, sizeof mf);
    if (cli_check_role(model, CLI_EFM, "MODEL.efm", "effad fit MODEL.efm TRAIN_DIR_OR_IMAGE... -o OUT.gauss", &e) ||
        cli_outputs_safe(out, &model, 1, &e))
        return cli_error("fit", &e);
    memset(&p, 0, sizeof p);
    align_template *tpl = 0;
    if (input_list_collect(&in, inputs, n_inputs, stdin, &e)) goto done;
    list = in.images;
    if (align_range) {
        if (!list.n) { effad_fail(&e, EFFAD_ERR_ARG, "no training images to align to"); goto done; }
        if (align_reference(model, align_ref ? align_ref : list.path[0], align_range, &po, &tpl, &e)) goto done;
    }
    if (mo.enabled && maps_fitter_plan(&mf, &mo, model, &po, &e)) goto done;
    if (pipeline_open(&p, model, &po, &e)) goto done;
    cli_print_notes("fit", &list);
    if (level_sel_parse(levels, p.n_levels, &sel, &e) || cli_outputs_safe(out, (const char *const *)list.path, list.n, &e))
        goto done;
    if (mo.enabled && maps_fitter_begin(&mf, &p, list.n, &e)) goto done;
    size_t copies = (size_t)aug + 1, n_rows = (list.n - mf.n_held) * copies;
    if (!(rows = malloc(sizeof(float) * p.total_dim * n_rows))) { effad_fail(&e, EFFAD_ERR_NOMEM, "no memory for %zu feature rows", n_rows); goto done; }

    fit_run run = { .list = &list, .mf = &mf, .maps = mo.enabled, .copies = copies, .seed = (uint64_t)seed,
                    .skip_bad = skip_bad, .quiet = quiet, .rows = rows, .aligned = align_range > 0 };
    effad_status bs = fit_run_open(&run, &p, pipeline_workers_wanted(po.threads, list.n - mf.n_held), &e);
    cli_progress_start(&run.prog, "fit", list.n, quiet);
    if (!bs) bs = batch_run(pipeline_threads_wanted(po.threads, list.n - mf.n_held), run.ws.n, list.n, fit_work, fit_deliver,
                           &run, &e);
    size_t good = run.good, skipped = run.skipped;
    fit_run_close(&run);
    if (bs) goto done;
    cli_progress_end(&run.prog);
    if (!good) { effad_fail(&e, EFFAD_ERR_ARG, "none of the %zu training images could be read", list.n); goto done; }
    n_rows = good * copies;

    char taps[1024];
    level_sel_format(&sel, p.model.tap_rule, taps, sizeof taps);
    gm.model_hash = p.model.hash;
    gm.input_h = (uint32_t)p.model.in_h; gm.input_w = (uint32_t)p.model.in_w; gm.input_c = 3;
    gm.preset = strdup(p.prep.name);
    gm.roi = p.roi;
    gm.align = tpl;               /* the model owns it now */
    tpl = 0;
    gm.rgb16 = (int)p.rgb16;
    gm.taps = strdup(taps);
    if (!gm.preset || !gm.taps) { effad_fail(&e, EFFAD_ERR_NOMEM, "out of memory"); goto done; }
    if (detector_fit(&gm, &sel, &p, rows, n_rows, 1, &e) || detector_thresholds(&gm, sigma, explicit_th, p.threads, &e)) goto done;
    if (mo.enabled && maps_fitter_finish(&mf, &p, (const char *const *)list.path, &gm, &e)) goto done;
    if (!keep) for (size_t l = 0; l < gm.n_levels; l++) { free(gm.levels[l].features); gm.levels[l].features = 0; gm.levels[l].n_features = 0; }
    if (gauss_file_write(out, &gm, &e)) goto done;

    if (skipped) fprintf(stderr, "effad fit: %zu of %zu training images skipped (unreadable; listed above)\n", skipped, list.n);
    char roi[ROI_TEXT_BYTES];
    roi_format(&p.roi, roi, sizeof roi);
    printf("%s: %zu images%s, %d levels, preprocessing %s%s%s -> %s\n", model, good,
           aug ? " (+ augmented copies)" : "", sel.n, p.prep.name, roi[0] ? " of the region " : "", roi, out);
    for (size_t l = 0; l < gm.n_levels; l++)
        printf("  level %-2d %5zu features  shrinkage %.4f\n", sel.tap[l], gm.levels[l].dim, gm.levels[l].shrinkage);
    for (size_t t = 0; t < gm.n_thresholds; t++)
        printf("  threshold %-14s %.6g%s\n", gm.thresholds[t].name, gm.thresholds[t].value, t ? "" : "  (in force)");
    if (align_range) {
        printf("  aligned     +-%d px to %s: shifts x %d..%d, y %d..%d, match (ZNCC) at least %.3f\n", align_range,
               align_ref ? align_ref : list.path[0], run.dx_lo, run.dx_hi, run.dy_lo, run.dy_hi, run.match_lo);
        if (-run.dx_lo == align_range || run.dx_hi == align_range || -run.dy_lo == align_range || run.dy_hi == align_range)
            fprintf(stderr, "effad fit: warning: a training image's part was found at the edge of the +-%d pixel search: "
                    "it may lie further off; a larger --align finds it\n", align_range);
    }
    maps_fit_report(&gm, mf.fit_bytes, stdout);
    rc = 0;
done:
    if (rc) cli_error("fit", &e);
    if (tpl) { align_template_free(tpl); free(tpl); }
    free(rows);
    gauss_model_free(&gm);
    input_list_free(&in);
    maps_fitter_free(&mf);
    pipeline_close(&p);
    return rc;
}
