/*
 * test-pixel-eval.c -- pixel AUROC, PRO and best F1 against scikit-learn's
 * roc_auc_score / precision_recall_curve and the MVTec AD PRO definition
 * (tests/reference/pro_ref.py), through tests/gen-maps-goldens.py: over all
 * images and per defect type (good images + that type), with and without
 * don't-care pixels (left out of every metric); the region counts
 * behind the region-count plot; the MVTec mask naming.
 */
#include <stdlib.h>
#include "check.h"
#include "maps-golden.h"
#include "pixel-eval.h"
#include "regions.h"

/* The metrics of every selection against the golden keys PRE*: with
 * ignore (the don't-care pixels) or without. *regions: "all"'s count. */
static void check_selections(golden *g, const char *pre, const float *maps, const float *masks, const double *types,
                             const uint8_t *ignore, int n, int w, int h, pixel_eval *pe, uint64_t *regions,
                             uint64_t *ignored)
{
    effad_error e;
    uint8_t *mask = malloc((size_t)w * h);
    for (int k = 0; k < n; k++) {
        for (int i = 0; i < w * h; i++) mask[i] = masks[(size_t)k * w * h + i] != 0;
        CHECK(pixel_eval_add(pe, maps + (size_t)k * w * h, types[k] ? mask : NULL, ignore, w, h, (int)types[k], &e) ==
              EFFAD_OK);
    }
    free(mask);
    static const char *const sel[] = { "all", "t1", "t2" };
    for (int s = 0; s < 3; s++) {
        pixel_metrics m;
        char key[32];
        CHECK(pixel_eval_compute(pe, s ? s : -1, 0.3, &m, &e) == EFFAD_OK);
        if (!s) { *regions = m.regions; *ignored = m.ignored; }
        snprintf(key, sizeof key, "%sauroc_%s", pre, sel[s]);
        double auroc = golden_scalar(g, key);
        snprintf(key, sizeof key, "%spro_%s", pre, sel[s]);
        double pro = golden_scalar(g, key);
        snprintf(key, sizeof key, "%sf1_%s", pre, sel[s]);
        double *f1 = golden_f64(g, key, NULL);
        CHECK_MSG(fabs(m.auroc - auroc) < 1e-12, "%s%s: AUROC %.15g, sklearn %.15g", pre, sel[s], m.auroc, auroc);
        CHECK_MSG(fabs(m.pro - pro) < 1e-12, "%s%s: PRO %.15g, reference %.15g", pre, sel[s], m.pro, pro);
        CHECK_MSG(fabs(m.f1 - f1[0]) < 1e-12 && m.f1_threshold == (float)f1[1], "%s%s: F1 %.9g at %.9g, sklearn %.9g at %.9g",
                  pre, sel[s], m.f1, m.f1_threshold, f1[0], f1[1]);
        CHECK(m.auroc > 0.5 && m.pro > 0 && m.pro < 1);   /* not a degenerate case */
        free(f1);
    }
}

static void check_metrics(void)
{
    golden g;
    if (maps_golden_load(&g, "pixel.bin")) { CHECK(0); return; }
    double *dims = golden_f64(&g, "dims", NULL), *types = golden_f64(&g, "types", NULL);
    int n = (int)dims[0], h = (int)dims[1], w = (int)dims[2];
    float *maps = golden_f32(&g, "maps", NULL), *masks = golden_f32(&g, "masks", NULL);
    float *ign = golden_f32(&g, "ignore", NULL);
    uint8_t *ignore = malloc((size_t)w * h);
    size_t n_ignore = 0;
    for (int i = 0; i < w * h; i++) n_ignore += ignore[i] = ign[i] != 0;
    effad_error e;
    pixel_eval pe = { 0 }, pe_ign = { 0 };
    uint64_t regions, regions_ign, ignored, ignored_ign;
    check_selections(&g, "", maps, masks, types, NULL, n, w, h, &pe, &regions, &ignored);
    /* don't-care pixels: out of every metric, the ground truth without them */
    check_selections(&g, "ign_", maps, masks, types, ignore, n, w, h, &pe_ign, &regions_ign, &ignored_ign);
    CHECK(ignored == 0 && ignored_ign == (uint64_t)n * n_ignore);
    CHECK_MSG(regions_ign != regions, "the don't-care pixels cut no region in two or away: %llu regions either way",
              (unsigned long long)regions);
    pixel_eval_free(&pe_ign);
    free(ign); free(ignore);

    /* region counts at a few thresholds, by hand from regions_find */
    double th[3] = { 0.45, 0.5, 0.6 };
    uint64_t good[3], bad[3];
    CHECK(pixel_eval_region_counts(&pe, th, 3, 3, good, bad, &e) == EFFAD_OK);
    for (int t = 0; t < 3; t++) {
        uint64_t want_good = 0, want_bad = 0;
        region_list rl = { 0 };
        for (int k = 0; k < n; k++) {
            regions_find(maps + (size_t)k * w * h, w, h, th[t], &rl, &e);
            (types[k] ? &want_bad : &want_good)[0] += regions_count_at_least(&rl, 3);
        }
        region_list_free(&rl);
        CHECK(good[t] == want_good && bad[t] == want_bad);
    }
    CHECK(good[0] + bad[0] > 0);

    /* a selection without defects has no AUROC */
    pixel_eval only_good = { 0 };
    CHECK(pixel_eval_add(&only_good, maps, NULL, NULL, w, h, 0, &e) == EFFAD_OK);
    pixel_metrics m;
    CHECK(pixel_eval_compute(&only_good, -1, 0.3, &m, &e) == EFFAD_ERR_ARG);
    CHECK_ERR_HAS(e, "defect and good pixels");
    maps[3] = NAN;
    CHECK(pixel_eval_add(&only_good, maps, NULL, NULL, w, h, 0, &e) == EFFAD_ERR_NUMERIC);
    pixel_eval_free(&only_good);
    pixel_eval_free(&pe);
    free(dims); free(types); free(maps); free(masks);
    golden_free(&g);
}

static void check_mask_path(void)
{
    char p[256];
    CHECK(mvtec_mask_path("data/bottle/test/broken_large/003.png", p, sizeof p));
    CHECK(!strcmp(p, "data/bottle/ground_truth/broken_large/003_mask.png"));
    CHECK(mvtec_mask_path("/abs/test/hole/x.y.jpg", p, sizeof p) && !strcmp(p, "/abs/ground_truth/hole/x.y_mask.png"));
    CHECK(mvtec_mask_path("test/good/000.png", p, sizeof p) && !strcmp(p, "ground_truth/good/000_mask.png"));
    CHECK(!mvtec_mask_path("train/good/000.png", p, sizeof p));
    CHECK(!mvtec_mask_path("000.png", p, sizeof p));
    CHECK(!mvtec_mask_path("a/test/b/000.png", p, 10));
}

int main(void)
{
    check_metrics();
    check_mask_path();
    return check_done("test-pixel-eval");
}
