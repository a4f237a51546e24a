/* effad score: anomaly score, per-level breakdown and verdict per image. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "atomic-file.h"
#include "batch.h"
#include "cli.h"
#include "cli-maps.h"
#include "dataset.h"
#include "detector.h"
#include "detector-workers.h"
#include "figure.h"
#include "image.h"
#include "figure-names.h"
#include "input-list.h"
#include "score-output.h"
#include "watch-dir.h"

static int help(void)
{
    printf("usage: effad score MODEL.gauss MODEL.efm IMAGE_OR_DIR... [options]\n"
           "  Scores each image against the fitted Gaussians: the combined score, the\n"
           "  distance at every level (L<n>= model level n), and the verdict against the\n"
           "  threshold in force. '-' reads more images from stdin, one path per line.\n"
           "  --json               one JSON object per line instead of text\n"
           "  --csv                CSV instead of text: a header, then one row per image:\n"
           "                       file,score,verdict,level_<n>...,error (RFC 4180 quoting;\n"
           "                       an unreadable image: verdict 'error', the reason in error)\n"
           "  --threshold V|NAME   a number, or a threshold stored in the model\n"
           "                       (train-2xmean, chi2-3sigma, explicit, best-f1, youden)\n"
           "  --save DIR           write DIR/<name>.png: the image beside its score bar (name:\n"
           "                       the image's path relative to its argument, subdirectories\n"
           "                       mirrored, extension dropped; more parent directories\n"
           "                       when two images would share a name); when\n"
           "                       the preset crops, the window it saw is outlined (with a\n"
           "                       region of interest: the whole image, what the score saw\n"
           "                       of the region outlined); with\n"
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
           "  --stream             serve a line: read image paths from stdin one at a time and\n"
           "                       answer each as it arrives (its record written and flushed\n"
           "                       once its --save files exist), so a controller keeps one\n"
           "                       effad running and asks image by image (--json: one line\n"
           "                       each). A path that cannot be listed gets an error record\n"
           "                       and the stream goes on; the summary comes at end of input.\n"
           "                       Figures mirror each image's whole path (later names are\n"
           "                       not known); --threads splits an image's layers, and\n"
           "                       takes a folder's images N at a time\n"
           "  --watch DIR          a hot folder: score each image as it arrives in DIR or a\n"
           "                       folder under it (written and closed, or moved in), records\n"
           "                       flushed as with --stream; figures named after the path\n"
           "                       below DIR. Images that arrive together (a burst, a folder\n"
           "                       moved in) go N at a time with --threads N, one alone splits\n"
           "                       its layers. SIGINT / SIGTERM / SIGHUP end the watch after\n"
           "                       the images in hand, with the summary and exit status below.\n"
           "                       Linux (inotify)\n"
           "  --watch-existing     the images already in DIR first (sorted), with no gap\n"
           "                       between them and the watch (else only new ones)\n"
           "  --watch-poll SECONDS list DIR that often instead of inotify, which does not see\n"
           "                       other machines' writes to a network share (NFS, SMB): an\n"
           "                       image is taken once unchanged for one whole interval\n");
    printf(
           "  --preprocess NAME    insist on a preset (refused unless the model was fitted with it)\n"
           "  --threads N, --isa NAME, --quiet\n"
           "                       --threads N: N images at once, memory N + 1 x the\n"
           "                       arena effad info prints (B0 at 224: 7.6 MB; one spare\n"
           "                       so that no thread waits its turn); one image: its\n"
           "                       layers split across the threads\n"
           CLI_HELP_16BIT
           CLI_HELP_ROI_STORED
           "  An image that cannot be read or decoded does not stop the batch: it gets an\n"
           "  error record (text: ERROR and the reason; --json: {\"file\", \"error\"}), the\n"
           "  summary counts it (--json: a last {\"kind\":\"summary\"} line), and the exit\n"
           "  status says so.\n"
           "exit status: 0 every image scored (none anomalous, with --fail-on-anomaly);\n"
           "  3 an image is anomalous (--fail-on-anomaly); 4 some images could not be\n"
           "  read or decoded (before 3: they have no verdict); 1 any other error;\n"
           "  2 bad arguments\n");
    return 0;
}

/* ------------------------------------------------------- one image */

/* Scoring a list of images on one or more workers (batch.h): work scores
 * image i on some worker, deliver prints its record and writes its
 * figures, in input order. */
typedef struct score_run {
    const detector *d;
    const image_list *list;
    char *const *names;           /* figure names (figure-names.h), with --save or --save-maps */
    detector_workers dw;
    score_output out;
    int verdict;                  /* verdict by regions */
    const char *save, *save_maps; /* --save, --save-maps directories (or NULL) */
    int stream;                   /* --stream: each record flushed when delivered */
    cli_image_warnings warned;
    int anomalies;
    size_t unreadable;
    size_t listed;                /* --stream: records so far */
} score_run;

static effad_status score_work(void *ctx, int k, size_t i, effad_error *e)
{
    score_run *r = ctx;
    return detector_workers_image(&r->dw, r->d, k, r->list->path[i], r->save != NULL, 1, e);
}

/* --stream: the record just written goes out now, not when stdio's buffer
 * fills. */
static effad_status flush_record(effad_error *e)
{
    return fflush(stdout) || ferror(stdout) ? effad_fail(e, EFFAD_ERR_IO, "standard output: write failed") : EFFAD_OK;
}

/* Image i's record (score-output.h) and --save / --save-maps outputs. */
static effad_status score_deliver(void *ctx, int k, size_t i, effad_status s, const effad_error *work_err,
                                  effad_error *e)
{
    score_run *r = ctx;
    detector_slot *sl = &r->dw.slot[k];
    const char *path = r->list->path[i];
    score_record rec = { .file = path, .levels = sl->levels, .sm = &sl->sm, .dx = sl->p->shift_x, .dy = sl->p->shift_y,
                         .match = sl->p->match };
    if (sl->loaded) cli_warn_image("score", &r->warned, sl->p, path, sl->w, sl->h);
    if (s && sl->unreadable) {   /* a record for this image, and on with the others */
        r->unreadable++;
        rec.error = cli_reason(work_err, path);
        score_output_image(&r->out, &rec);
        return r->stream ? flush_record(e) : EFFAD_OK;
    }
    if (s) { *e = *work_err; return s; }   /* the map failed: that stops the batch */
    if (r->save_maps && (s = score_maps_save_raw(&sl->sm, r->save_maps, r->names[i], e))) {
        effad_error_prefix(e, path);
        detector_slot_release(sl);
        return s;
    }
    rec.score = sl->score;
    rec.image_anomalous = rec.score >= r->out.threshold;
    rec.anomalous = r->verdict ? sl->sm.defects > 0 : rec.image_anomalous;
    r->anomalies += rec.anomalous;
    score_output_image(&r->out, &rec);
    if (r->save) {
        uint8_t *fig = 0;
        int fw, fh;
        char fig_path[4096];
        figure_path(fig_path, sizeof fig_path, r->save, r->names[i], ".png");
        double box[4] = { 0, 0, sl->w, sl->h };
        const preprocess_cfg *prep = &sl->p->prep;
        int crops = prep->crop != PREP_CROP_NONE && !preprocess_crop_in_source(prep, sl->w, sl->h, box, 0, 0);
        if (sl->frame) {
            /* the whole frame, with what the score saw of its region outlined */
            const image_roi *roi = &sl->p->region;   /* where it was cut: aligned, where the part was found */
            box[0] += roi->x; box[2] += roi->x;
            box[1] += roi->y; box[3] += roi->y;
            s = figure_score(sl->frame, sl->frame_w, sl->frame_h, box, rec.score, r->out.threshold, &fig, &fw, &fh, e);
        } else
            s = figure_score(sl->rgb, sl->w, sl->h, crops ? box : 0, rec.score, r->out.threshold, &fig, &fw, &fh, e);
        if (!s) s = image_write_png(fig_path, fig, fw, fh, 3, e);
        if (!s && sl->sm.on) s = score_maps_save_panels(&sl->sm, r->save, r->names[i], path, sl->rgb, e);
        free(fig);
    }
    detector_slot_release(sl);
    return !s && r->stream ? flush_record(e) : s;
}

/* Paths of --stream or --watch: their images scored and delivered, each
 * record flushed; several images (a folder, a burst) on every worker
 * when there are threads to spare (pipeline_workers_batch). A path that
 * cannot be listed gets an error record and the run goes on. Figures are
 * named after each path from name_from on (the whole path for --stream,
 * the part below the folder for --watch). models: the .gauss and .efm,
 * which no output may replace (nor the images in hand; earlier images are
 * forgotten, so a long run costs no more memory than one batch). */
static effad_status score_paths(score_run *r, const char *const *models, const char *const *paths, size_t n,
                                size_t name_from, effad_error *e)
{
    image_list list;
    char **names = 0;
    memset(&list, 0, sizeof list);
    effad_error why = { 0 };
    if (dataset_collect(&list, paths, n, &why)) {
        dataset_free(&list);
        if (n > 1) {   /* one of them vanished: each on its own, so only that one is an error */
            effad_status s = EFFAD_OK;
            for (size_t i = 0; i < n && !s; i++) s = score_paths(r, models, &paths[i], 1, name_from, e);
            return s;
        }
        score_record rec = { .file = paths[0], .error = cli_reason(&why, paths[0]) };   /* its record, and on */
        score_output_image(&r->out, &rec);
        r->unreadable++;
        r->listed++;
        return flush_record(e);
    }
    cli_print_notes("score", &list);
    effad_status s = EFFAD_OK;
    if ((r->save || r->save_maps) && !(names = calloc(list.n, sizeof *names)))
        s = effad_fail(e, EFFAD_ERR_NOMEM, "out of memory naming figures");
    for (size_t i = 0; names && i < list.n && !s; i++) {
        const char *p = list.path[i];
        s = figure_name_whole_path(strlen(p) > name_from ? p + name_from : p, &names[i], e);
    }
    if (!s && r->save) s = figure_names_mkdirs(r->save, names, list.n, e);
    if (!s && r->save_maps) s = figure_names_mkdirs(r->save_maps, names, list.n, e);
    atomic_file_forget_inputs();
    if (!s) s = cli_outputs_safe(0, models, 2, e);
    if (!s) s = cli_outputs_safe(0, (const char *const *)list.path, list.n, e);
    r->list = &list;
    r->names = names;
    if (!s) {
        const int threads = pipeline_workers_batch(&r->dw.ws, list.n);
        s = batch_run(threads, threads > 1 ? r->dw.ws.n : 1, list.n, score_work, score_deliver, r, e);
    }
    r->listed += list.n;
    r->list = 0;
    r->names = 0;
    figure_names_free(names, list.n);
    dataset_free(&list);
    return s;
}

/* --stream: images from stdin as they come, each line's images scored
 * and delivered before the next line is read. */
static effad_status score_stream(score_run *r, const char *const *models, effad_error *e)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    effad_status s = EFFAD_OK;
    while (!s && (len = getline(&line, &cap, stdin)) >= 0) {
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r')) line[--len] = '\0';
        if (len) {
            const char *path = line;
            s = score_paths(r, models, &path, 1, 0, e);
        }
    }
    free(line);
    if (!s && ferror(stdin)) s = effad_fail(e, EFFAD_ERR_IO, "-: cannot read the list of images from standard input");
    return s;
}

/* --watch: each image as it arrives in the folder (watch-dir.h), until a
 * stop signal. Images that have arrived together (a burst, a folder moved
 * in, --watch-existing's backlog) are scored as one batch of up to
 * WATCH_BURST, in the order they arrived. */
enum { WATCH_BURST = 64 };
static effad_status score_watch(score_run *r, watch_dir *w, const char *const *models, effad_error *e)
{
    char *burst[WATCH_BURST];
    size_t n = 0, name_from = 0;
    const char *path, *rel;
    effad_status s;
    while (!(s = watch_dir_next(w, &path, &rel, e)) && path) {
        name_from = (size_t)(rel - path);   /* the folder's: the same for every image */
        do {
            if (!(burst[n] = strdup(path))) { s = effad_fail(e, EFFAD_ERR_NOMEM, "out of memory"); break; }
            n++;
        } while (n < WATCH_BURST && !(s = watch_dir_ready(w, &path, &rel, e)) && path);
        if (!s) s = score_paths(r, models, (const char *const *)burst, n, name_from, e);
        while (n) free(burst[--n]);
        if (s) break;
    }
    return s;
}

/* ------------------------------------------------------------ the command */

int cmd_score(int argc, char **argv)
{
    const char *gauss_path = 0, *model = 0, *save = 0, *th_opt = 0, *preset_opt = 0, *save_maps = 0, *watch = 0;
    const char *inputs[256];
    int n_inputs = 0, json = 0, csv = 0, fail_on = 0, quiet = 0, map_max = 0, stream = 0, watch_existing = 0;
    int verdict = -1;   /* -1: by the model */
    double watch_poll = 0;   /* --watch-poll: seconds between listings */
    pipeline_options po = { .threads = 1, .rgb16 = IMAGE_RGB_SCALE };
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : 0;
        if (cli_is_help(a)) return help();
        int common = cli_pipeline_option("score", argc, argv, &i, &po, &quiet);
        if (common < 0) return 2;
        if (common) continue;
        if (!strcmp(a, "--json")) json = 1;
        else if (!strcmp(a, "--csv")) csv = 1;
        else if (!strcmp(a, "--save") && v) { save = v; i++; }
        else if (!strcmp(a, "--threshold") && v) { th_opt = v; i++; }
        else if (!strcmp(a, "--fail-on-anomaly")) fail_on = 1;
        else if (!strcmp(a, "--stream")) stream = 1;
        else if (!strcmp(a, "--watch") && v) { watch = v; i++; }
        else if (!strcmp(a, "--watch-existing")) watch_existing = 1;
        else if (!strcmp(a, "--watch-poll") && v) {
            if (!cli_parse_double(v, &watch_poll) || !(watch_poll >= 0.05 && watch_poll <= 3600))
                return cli_usage_error("score", "bad --watch-poll '%s' (seconds between listings, 0.05 to 3600)", v);
            i++;
        }
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
        else if (a[0] == '-' && a[1]) return cli_usage_error("score", "unknown or incomplete option '%s'", a);
        else if (!gauss_path) gauss_path = a;
        else if (!model) model = a;
        else if (n_inputs < 256) inputs[n_inputs++] = a;
        else return cli_usage_error("score", "too many inputs%s", "");
    }
    if (stream && (n_inputs > 1 || (n_inputs == 1 && strcmp(inputs[0], "-"))))
        return cli_usage_error("score", "--stream reads the images from standard input: give '-' or no images%s", "");
    if ((watch_existing || watch_poll > 0) && !watch)
        return cli_usage_error("score", "--watch-existing and --watch-poll go with --watch DIR%s", "");
    if (watch && (stream || n_inputs))
        return cli_usage_error("score", "--watch takes the images from its folder: no --stream and no images%s", "");
    if (stream && !n_inputs) inputs[n_inputs++] = "-";
    stream |= watch != 0;   /* records flushed, images taken one at a time */
    if (!gauss_path || !model || (!n_inputs && !watch)) return cli_usage_error("score", "need MODEL.gauss, MODEL.efm and images or directories%s", "");
    if (json && csv) return cli_usage_error("score", "--json and --csv exclude each other%s", "");

    effad_error e = { 0 };
    detector d;
    input_list in;
    image_list list;
    char **names = 0;
    watch_dir *watcher = 0;
    memset(&in, 0, sizeof in);
    memset(&list, 0, sizeof list);
    /* the recorded preset, unless the user names one: then it must agree */
    po.preset = preset_opt;
    const char *files[2] = { gauss_path, model };
    static const char usage[] = "effad score MODEL.gauss MODEL.efm IMAGE_OR_DIR...";
    if (cli_check_role(gauss_path, CLI_GAUSS, "MODEL.gauss", usage, &e) ||
        cli_check_role(model, CLI_EFM, "MODEL.efm", usage, &e) || cli_outputs_safe(0, files, 2, &e) ||
        detector_open_flags(&d, gauss_path, model, po, GAUSS_READ_SCORING, &e))
        return cli_error("score", &e);
    cli_note_renamed_preset("score", gauss_path, &d.gm);
    cli_note_rgb16_unstated("score", gauss_path, &d.gm, &po);
    int rc = CLI_EXIT_ERROR;
    if (!stream) {   /* --stream lists each line's images when it comes */
        if (input_list_collect(&in, inputs, n_inputs, stdin, &e)) goto done;
        list = in.images;
        cli_print_notes("score", &list);
        if (cli_outputs_safe(0, (const char *const *)list.path, list.n, &e)) goto done;
    }
    /* each worker opens its own map scorer (detector-workers.h); here only
     * whether the model has maps */
    const int maps = d.gm.maps != NULL;
    if (map_max && !maps) { effad_fail(&e, EFFAD_ERR_ARG, "--score map-max needs a model fitted with --maps"); goto done; }
    double threshold;
    const char *th_name = "explicit";
    int calibrated = maps && d.gm.maps->calibrated;
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
    if (!stream && (save || save_maps) && (figure_names_make(&in, &names, &e) ||
                                (save && figure_names_mkdirs(save, names, list.n, &e)) ||
                                (save_maps && figure_names_mkdirs(save_maps, names, list.n, &e))))
        goto done;
    score_run run = { .d = &d, .list = &list, .names = names, .verdict = verdict, .save = save, .save_maps = save_maps,
                      .stream = stream,
                      .out = { stdout, json ? SCORE_JSON : csv ? SCORE_CSV : SCORE_TEXT, quiet, &d, maps, threshold } };
    /* before any thread starts, so that every thread holds the stop signals */
    if (watch && watch_dir_open(&watcher, watch, watch_existing, watch_poll, "score", &e)) goto done;
    score_output_header(&run.out, gauss_path, th_name, verdict);
    if (stream) fflush(stdout);
    /* --stream and --watch: workers for the most images a batch can hold
     * (a folder, a burst); pipeline_workers_batch readies them per batch */
    const int workers = pipeline_workers_wanted(po.threads, stream ? SIZE_MAX : list.n);
    if (detector_workers_open(&run.dw, &d, workers, map_max, &e) ||
        (watch    ? score_watch(&run, watcher, files, &e)
         : stream ? score_stream(&run, files, &e)
                  : batch_run(pipeline_threads_wanted(po.threads, list.n), run.dw.ws.n, list.n, score_work,
                              score_deliver, &run, &e))) {
        detector_workers_close(&run.dw);
        goto done;
    }
    detector_workers_close(&run.dw);
    const size_t unreadable = run.unreadable, n_images = stream ? run.listed : list.n;
    const int anomalies = run.anomalies;
    fflush(stdout);
    rc = unreadable ? CLI_EXIT_BAD_IMAGES : fail_on && anomalies ? CLI_EXIT_ANOMALY : CLI_EXIT_OK;
    if (unreadable)
        fprintf(stderr, "effad score: %zu of %zu images could not be read or decoded (ERROR records above)\n",
                unreadable, n_images);
    score_output_summary(&run.out, n_images, unreadable, anomalies);
done:
    if (rc == CLI_EXIT_ERROR) cli_error("score", &e);
    figure_names_free(names, list.n);
    input_list_free(&in);
    detector_close(&d);
    watch_dir_close(watcher);
    return rc;
}
