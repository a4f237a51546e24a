/* effad demo: the embedded default. Everything offline: a synthetic
 * inspection set, a model with deterministic weights, then the same fit and
 * eval commands a user runs, printed as they run. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "cli.h"
#include "synth.h"
#include "demo-model.h"
#include "atomic-file.h"

static int help(void)
{
    printf("usage: effad demo [-o DIR] [--seed S] [--texture metal|fabric] [--threads N]\n"
           "  Generates a synthetic inspection set in the MVTec-AD layout (textured good\n"
           "  parts; scratches, spots, holes and missing pieces as defects, with masks),\n"
           "  builds a small EfficientNet with deterministic weights, fits it on the good\n"
           "  images -- image-level Gaussians and per-location ones for anomaly maps, the\n"
           "  pixel threshold chosen on a fifth of the good images held out -- and\n"
           "  evaluates it: image AUROC, pixel AUROC and PRO per defect type, thresholds,\n"
           "  a report with the ROC curve and the region-count plot, and figures of a few\n"
           "  test images in DIR/figures. No download, no Python. DIR defaults to\n"
           "  effad-demo; a previous demo there is replaced, any other non-empty directory\n"
           "  is refused.\n");
    return 0;
}

int cmd_demo(int argc, char **argv)
{
    const char *out = "effad-demo", *texture = "metal", *threads = "1";
    int seed = 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : 0;
        if (cli_is_help(a)) return help();
        if (cli_opt_out(a) && v) { out = v; i++; }
        else if (!strcmp(a, "--seed") && v) { if (!cli_int_option("demo", "--seed", v, 0, 2147483647, &seed)) return 2; i++; }
        else if (!strcmp(a, "--texture") && v) { texture = v; i++; }
        else if (!strcmp(a, "--threads") && v) { int n; if (!cli_int_option("demo", "--threads", v, 1, 256, &n)) return 2; threads = v; i++; }
        else return cli_usage_error("demo", "unknown or incomplete option '%s'", a);
    }
    effad_error e = { 0 };
    double t0 = cli_now();
    if (strlen(out) > 1024) return cli_usage_error("demo", "--out path too long%s", "");
    char data[1100], model[1100], gauss[1100], report[1100], marker[1100], train[1200], figures[1100];
    snprintf(data, sizeof data, "%s/data", out);
    snprintf(model, sizeof model, "%s/demo.efm", out);
    snprintf(gauss, sizeof gauss, "%s/demo.gauss", out);
    snprintf(report, sizeof report, "%s/report", out);
    snprintf(marker, sizeof marker, "%s/.effad-demo", out);
    snprintf(figures, sizeof figures, "%s/figures", out);

    /* a directory holding a previous demo may be replaced; nothing else */
    struct stat st;
    int ours = stat(marker, &st) == 0;
    if (cli_mkdir(out, &e)) return cli_error("demo", &e);
    if (!ours && atomic_file_write(marker, "effad demo\n", 11, &e)) return cli_error("demo", &e);

    synth_options so;
    synth_options_default(&so);
    so.seed = (uint64_t)seed;
    so.overwrite = 1;
    so.n_train += so.n_train / 4;   /* a fifth of them held out for the pixel threshold */
    int tx = synth_texture_parse(texture);
    if (tx < 0) return cli_usage_error("demo", "unknown texture '%s' (metal, fabric)", texture);
    so.texture = (synth_texture)tx;
    synth_report sr;
    if (!ours) {   /* refuse to scribble over someone's data */
        struct stat ds;
        if (stat(data, &ds) == 0) {
            effad_fail(&e, EFFAD_ERR_ARG, "%s exists and is not an effad demo; choose another --out", data);
            return cli_error("demo", &e);
        }
    }
    printf("1. synthetic inspection set (%s texture, %dx%d, seed %d)\n", synth_texture_name(so.texture), so.w, so.h, seed);
    if (synth_make_dataset(data, &so, &sr, &e)) return cli_error("demo", &e);
    printf("   %s: %d train good, %d test good, %d test defective (scratch, spot, hole, missing), %d masks\n",
           data, sr.n_train, sr.n_test_good, sr.n_test_defect, sr.n_masks);

    uint8_t *efm = 0;
    size_t efm_bytes = 0;
    if (demo_model_build(0, &efm, &efm_bytes, &e)) return cli_error("demo", &e);
    effad_status s = atomic_file_write(model, efm, efm_bytes, &e);
    free(efm);
    if (s) return cli_error("demo", &e);
    printf("2. model with deterministic weights -> %s (%zu bytes)\n", model, efm_bytes);

    printf("3. %s fit %s %s/train/good -o %s --preprocess paper --maps --holdout 0.2\n", cli_program, model, data, gauss);
    fflush(stdout);
    snprintf(train, sizeof train, "%s/train/good", data);
    char *fit_argv[] = { "fit", model, train, "-o", gauss, "--preprocess", "paper", "--maps", "--holdout", "0.2",
                         "--threads", (char *)threads, 0 };
    if (cmd_fit(12, fit_argv)) return 1;

    printf("4. %s eval %s %s %s --out %s\n", cli_program, gauss, model, data, report);
    fflush(stdout);
    char *eval_argv[] = { "eval", gauss, model, data, "--out", report, "--threads", (char *)threads, 0 };
    if (cmd_eval(8, eval_argv)) return 1;

    /* the first image of every test folder, drawn */
    static const char *const folders[] = { "good", "hole", "missing", "scratch", "spot" };
    char shown[5][1200];
    char *score_argv[16] = { "score", gauss, model };
    int n_score = 3;
    for (int k = 0; k < 5; k++) {
        snprintf(shown[k], sizeof shown[k], "%s/test/%s/000.png", data, folders[k]);
        score_argv[n_score++] = shown[k];
    }
    score_argv[n_score++] = "--save";
    score_argv[n_score++] = figures;
    score_argv[n_score++] = "--threads";
    score_argv[n_score++] = (char *)threads;
    printf("5. %s score %s %s %s/test/{good,hole,missing,scratch,spot}/000.png --save %s\n", cli_program, gauss, model, data,
           figures);
    fflush(stdout);
    if (cmd_score(n_score, score_argv)) return 1;
    printf("\ndemo finished in %.1f s. Figures: %s/*/000-maps.png (input, ground truth, predicted mask,\n"
           "segmentation, heat map). Try: %s score %s %s %s/test/hole --save %s\n",
           cli_now() - t0, figures, cli_program, gauss, model, data, figures);
    return 0;
}
