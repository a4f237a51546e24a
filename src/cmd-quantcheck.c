/* effad quantcheck: what int8 costs -- an int8 model against the float32
 * model it was converted from, level by level and, given a .gauss fitted
 * with the float model, on the anomaly scores. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "cli.h"
#include "dataset.h"
#include "detector.h"
#include "level-error.h"
#include "roc.h"
#include "spearman.h"

static int help(void)
{
    printf("usage: effad quantcheck FP32.efm INT8.efm DIR [options]\n"
           "  Runs both models on the images in DIR (an MVTec-AD layout: its test/ images;\n"
           "  otherwise every image under DIR) and prints, per level, the cosine similarity\n"
           "  of the int8 level vector to the float32 one (mean and worst over the images),\n"
           "  the relative error ||q - f|| / ||f||, and the quantisation error against the\n"
           "  between-image spread of the float32 features, sum ||q - f||^2 / sum ||f - mean f||^2.\n"
           "  --gauss G.gauss   a model fitted with FP32.efm: also the Spearman rank\n"
           "                    correlation of the two models' anomaly scores and, on an\n"
           "                    MVTec-AD layout, the image AUROC of each, and a verdict:\n"
           "                    int8 keeps float32's results when the Spearman is at least\n"
           "                    0.99 and the AUROC drops by at most one point\n"
           "  --preprocess P    preprocessing preset (default: the .gauss's, else ailia)\n"
           "  --roi X,Y,W,H     the region of interest of each image (default: the .gauss's,\n"
           "                    else the whole image)\n"
           "  --pil-16bit, --opencv-16bit, --sample-bits N\n"
           "                    how 16-bit images become 8-bit (default: the .gauss's, else\n"
           "                    scaled, round(v / 257))\n"
           "  --threads N, --isa NAME, --quiet\n");
    return 0;
}

/* What "int8 keeps float32's results" means: the anomaly scores rank the
 * images alike and the image AUROC loses at most a point. */
#define QUANTCHECK_MIN_SPEARMAN 0.99
#define QUANTCHECK_MAX_AUROC_DROP 1.0

static const char *where(const effad_model *m, int t, char *buf, size_t n)
{
    const int at = m->taps[t].at;
    if (at == 0) snprintf(buf, n, "stem");
    else if (at <= m->n_blocks) snprintf(buf, n, "block %d", at - 1);
    else snprintf(buf, n, "head");
    return buf;
}

static int is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

int cmd_quantcheck(int argc, char **argv)
{
    const char *fp32 = 0, *int8 = 0, *dir = 0, *gauss_path = 0;
    int quiet = 0;
    pipeline_options po = { .threads = 1 };
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : 0;
        if (cli_is_help(a)) return help();
        int common = cli_pipeline_option("quantcheck", argc, argv, &i, &po, &quiet);
        if (common < 0) return 2;
        if (common) continue;
        if (!strcmp(a, "--gauss") && v) { gauss_path = v; i++; }
        else if (!strcmp(a, "--preprocess") && v) { po.preset = v; i++; }
        else if (a[0] == '-') return cli_usage_error("quantcheck", "unknown or incomplete option '%s'", a);
        else if (!fp32) fp32 = a;
        else if (!int8) int8 = a;
        else if (!dir) dir = a;
        else return cli_usage_error("quantcheck", "unexpected argument '%s'", a);
    }
    if (!fp32 || !int8 || !dir) return cli_usage_error("quantcheck", "need FP32.efm, INT8.efm and DIR%s", "");

    effad_error e = { 0 };
    int rc = 1;
    detector d;
    pipeline p32, p8;
    memset(&d, 0, sizeof d);
    memset(&p32, 0, sizeof p32);
    memset(&p8, 0, sizeof p8);
    image_list list;
    memset(&list, 0, sizeof list);
    float *f = 0, *q = 0;
    double *s32 = 0, *s8 = 0;
    uint8_t *labels = 0;
    pipeline *pf = &p32;
    if (gauss_path) {
        if (detector_open(&d, gauss_path, fp32, po, &e)) goto done;
        cli_note_rgb16_unstated("quantcheck", gauss_path, &d.gm, &po);
        pf = &d.p;
        po.preset = d.gm.preset;
        po.roi = d.p.roi;
        po.align = d.p.align;   /* both networks see the same, aligned, regions */
        po.rgb16 = d.p.rgb16;
    } else if (!po.preset) po.preset = "ailia";
    if ((!gauss_path && pipeline_open(&p32, fp32, &po, &e)) || pipeline_open(&p8, int8, &po, &e)) goto done;
    if (pf->n_levels != p8.n_levels || pf->total_dim != p8.total_dim) {
        effad_fail(&e, EFFAD_ERR_MISMATCH, "%s has %d levels of %zu values, %s %d of %zu: not the same network", fp32,
                   pf->n_levels, pf->total_dim, int8, p8.n_levels, p8.total_dim);
        goto done;
    }
    for (int t = 0; t < p8.n_levels; t++)
        if (pf->level_dim[t] != p8.level_dim[t]) {
            effad_fail(&e, EFFAD_ERR_MISMATCH, "level %d: %d channels in %s, %d in %s", t, pf->level_dim[t], fp32,
                       p8.level_dim[t], int8);
            goto done;
        }
    char test[4096];
    if (cli_path_join(test, sizeof test, dir, "test", &e)) goto done;
    const int mvtec = is_dir(test);
    if (mvtec ? dataset_mvtec_test(&list, dir, &e) : dataset_collect(&list, (const char *const *)&dir, 1, &e)) goto done;
    const size_t n = list.n, row = p8.total_dim;
    f = malloc(sizeof(float) * row * n);
    q = malloc(sizeof(float) * row * n);
    s32 = malloc(sizeof(double) * n);
    s8 = malloc(sizeof(double) * n);
    labels = malloc(n);
    if (!f || !q || !s32 || !s8 || !labels) { effad_fail(&e, EFFAD_ERR_NOMEM, "out of memory"); goto done; }
    cli_progress prog;
    cli_progress_start(&prog, "quantcheck", n, quiet);
    for (size_t i = 0; i < n; i++) {
        if (pipeline_image(pf, list.path[i], f + i * row, &e) || pipeline_image(&p8, list.path[i], q + i * row, &e)) goto done;
        if (gauss_path) {
            s32[i] = detector_score(&d.gm, &d.sel, pf, f + i * row, d.levels, d.work);
            s8[i] = detector_score(&d.gm, &d.sel, &p8, q + i * row, d.levels, d.work);
        }
        labels[i] = (uint8_t)(mvtec && list.label[i]);
        cli_progress_step(&prog, i + 1);
    }
    cli_progress_end(&prog);

    printf("quantcheck: %zu images of %s%s, %s against %s (%s preprocessing)\n", n, dir, mvtec ? "/test" : "", int8, fp32,
           po.preset);
    printf("  %-5s %-9s %6s %10s %10s %10s %11s\n", "level", "where", "dim", "cos mean", "cos worst", "rel error",
           "err/spread");
    char coarse[256] = "";   /* the levels whose int8 error reaches the spread between images */
    for (int t = 0; t < p8.n_levels; t++) {
        level_error le;
        char w[32];
        level_error_of(f + p8.level_off[t], q + p8.level_off[t], n, (size_t)p8.level_dim[t], row, &le);
        printf("  %-5d %-9s %6d %10.6f %10.6f %10.3g %11.3g\n", t, where(&p8.model, t, w, sizeof w), p8.level_dim[t],
               le.cosine_mean, le.cosine_min, le.rel, le.spread_ratio);
        if (n > 1 && le.spread_ratio >= 1.0 && strlen(coarse) + 8 < sizeof coarse)
            snprintf(coarse + strlen(coarse), sizeof coarse - strlen(coarse), "%s%d", coarse[0] ? ", " : "", t);
    }
    if (coarse[0])
        printf("  levels %s: int8 moves the features as far as they differ between these images (err/spread >= 1);\n"
               "  the ranking of these images then rests on the other levels\n", coarse);
    if (gauss_path) {
        const double rho = spearman(s32, s8, n);
        printf("  anomaly scores (%s): Spearman int8 vs float32 %.5f\n", gauss_path, rho);
        size_t pos = 0;
        for (size_t i = 0; i < n; i++) pos += labels[i];
        double drop = 0;   /* AUROC points int8 loses, when measurable */
        if (mvtec && pos && pos < n) {
            double a32, a8;
            if (roc_auc(s32, labels, n, &a32, &e) || roc_auc(s8, labels, n, &a8, &e)) goto done;
            printf("  image AUROC: float32 %.4f, int8 %.4f (%+.2f points)\n", a32, a8, 100.0 * (a8 - a32));
            drop = 100.0 * (a32 - a8);
        } else printf("  image AUROC: needs an MVTec-AD layout with good and defective test images\n");
        /* the bar effad's int8 path is held to (README, "int8") */
        const int keeps = rho >= QUANTCHECK_MIN_SPEARMAN && drop <= QUANTCHECK_MAX_AUROC_DROP;
        printf("  verdict: int8 %s float32's results on these images (bar: Spearman >= %.2f, AUROC within %.0f point)\n",
               keeps ? "keeps" : "does NOT keep", QUANTCHECK_MIN_SPEARMAN, QUANTCHECK_MAX_AUROC_DROP);
    }
    rc = 0;
done:
    if (rc) cli_error("quantcheck", &e);
    if (gauss_path) detector_close(&d);
    else pipeline_close(&p32);
    pipeline_close(&p8);   /* closing a zeroed or failed pipeline is a no-op */
    dataset_free(&list);
    free(f); free(q); free(s32); free(s8); free(labels);
    return rc;
}
