/* effad info MODEL.gauss: what a fitted model holds, so that a user can
 * tell two .gauss files apart without scoring anything. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "align.h"
#include "cli.h"
#include "detector.h"
#include "gauss-format.h"
#include "gauss-maps.h"

/* The tap of level l from the stored description "<rule>:<i>,<j>,..."
 * (level_sel_format); -1 when the description does not say. */
static int level_tap(const char *taps, size_t l)
{
    const char *q = taps ? strchr(taps, ':') : NULL;
    for (size_t k = 0; q; k++, q = strchr(q + 1, ',')) {
        if (k == l) return atoi(q + 1);
    }
    return -1;
}

/* The format version in the header: the decoder has checked it. */
static unsigned file_version(const char *path)
{
    uint8_t h[12];
    FILE *f = fopen(path, "rb");
    size_t n = f ? fread(h, 1, sizeof h, f) : 0;
    if (f) fclose(f);
    return n == sizeof h ? (unsigned)h[8] | (unsigned)h[9] << 8 | (unsigned)h[10] << 16 | (unsigned)h[11] << 24 : 0;
}

static void print_maps(const gauss_maps *m)
{
    printf("  maps        %ux%u grid, %u of %u channels from levels", m->grid_h, m->grid_w, m->dim, m->total_c);
    for (uint32_t t = 0; t < m->n_taps; t++) printf("%s%u", t ? "," : " ", m->tap[t]);
    printf("\n              covariance %s", m->cov == MAPS_COV_LW ? "Ledoit-Wolf" : "sample + eps I");
    if (m->cov == MAPS_COV_EPS) printf(" (eps %g)", m->eps);
    printf(", blur sigma %g, %llu images, statistics %s\n", m->sigma, (unsigned long long)m->n,
           m->stats ? "kept (mergeable)" : "not kept");
    if (m->calibrated)
        printf("              pixel threshold %.6g, min area %u pixels, chosen on %u held-out good images\n",
               m->threshold, m->min_area, m->n_holdout);
    else
        printf("              pixel threshold not calibrated (fit --holdout F, or effad calibrate)\n");
    if (m->ignore)
        printf("              don't-care pixels: %llu of %ux%u (%.1f%%), the map 0 there\n",
               (unsigned long long)m->ignore_count, m->ignore_w, m->ignore_h,
               100.0 * (double)m->ignore_count / ((double)m->ignore_w * m->ignore_h));
}

int info_gauss(const char *path)
{
    effad_error e = { 0 };
    gauss_model gm;
    struct stat st;
    if (gauss_file_read(path, &gm, &e)) return cli_error("info", &e);
    printf("%s\n", path);
    printf("  format      .gauss version %u, %lld bytes\n", file_version(path),
           stat(path, &st) == 0 ? (long long)st.st_size : -1LL);
    printf("  preset      %s", gm.preset ? gm.preset : "?");
    if (gm.preset_stored) printf(" (stored under its old name '%s')", gm.preset_stored);
    printf(", score = %s of the level distances\n", detector_combine_of(gm.preset) == COMBINE_MEAN ? "mean" : "sum");
    if (gm.rgb16 != PREP_RGB16_NONE) {
        static const char *opt[] = { "", "--pil-16bit", "--opencv-16bit" };
        char num[4];
        printf("  16-bit      images read by the rule '%s' (%s%s)\n", prep_rgb16_name(gm.rgb16, num),
               gm.rgb16 < 3 ? opt[gm.rgb16] : "--sample-bits ", gm.rgb16 < 3 ? "" : num);
    }
    if (gm.roi.w)
        printf("  region      %dx%d at (%d,%d) of each image: --roi %d,%d,%d,%d\n", gm.roi.w, gm.roi.h, gm.roi.x, gm.roi.y,
               gm.roi.x, gm.roi.y, gm.roi.w, gm.roi.h);
    if (gm.align)
        printf("  aligned     the region found again in each image, up to %d pixels off (fit --align %d)\n",
               gm.align->range, gm.align->range);
    printf("  model hash  %016llx (the .efm it was fitted with)\n", (unsigned long long)gm.model_hash);
    printf("  input       %ux%ux%u\n", gm.input_c, gm.input_h, gm.input_w);
    printf("  trained on  %llu images\n", (unsigned long long)(gm.n_levels ? gm.levels[0].n : 0));
    printf("  levels (%s):\n    %-5s %-4s %6s %10s %10s  %s\n", gm.taps ? gm.taps : "?", "level", "tap", "dim",
           "shrinkage", "samples", "kept");
    for (size_t l = 0; l < gm.n_levels; l++) {
        const gauss_level *lv = &gm.levels[l];
        printf("    %-5zu %-4d %6zu %10.4f %10llu  %s%s\n", l, level_tap(gm.taps, l), lv->dim, lv->shrinkage,
               (unsigned long long)lv->n, lv->stats ? "statistics" : "-",
               lv->features ? ", training features" : "");
    }
    printf("  thresholds:\n");
    for (size_t t = 0; t < gm.n_thresholds; t++)
        printf("    %-16s %.6g%s\n", gm.thresholds[t].name, gm.thresholds[t].value, t ? "" : "  (in force)");
    if (gm.maps) print_maps(gm.maps);
    else printf("  maps        none (fit --maps adds them)\n");
    gauss_model_free(&gm);
    return 0;
}
