/*
 * test-maps-regions.c -- defect regions and the good-image threshold
 * against scipy (tests/gen-maps-goldens.py): scipy.ndimage.label with
 * 8-connectivity (areas, find_objects boxes, peaks, in label order), and
 * the smallest threshold leaving no region of min_area pixels, which the
 * generator finds by relabelling at every distinct value.
 */
#include <math.h>
#include <stdlib.h>
#include "check.h"
#include "maps-golden.h"
#include "regions.h"

static void check_cases(void)
{
    golden g;
    if (maps_golden_load(&g, "regions.bin")) { CHECK(0); return; }
    int n = (int)golden_scalar(&g, "n");
    effad_error e;
    for (int i = 0; i < n; i++) {
        double *sh = golden_f64_i(&g, "shape", i, NULL);
        int h = (int)sh[0], w = (int)sh[1];
        uint32_t area = (uint32_t)sh[3];
        size_t nr, nb, np;
        float *map = golden_f32_i(&g, "map", i, NULL);
        double *areas = golden_f64_i(&g, "areas", i, &nr), *boxes = golden_f64_i(&g, "boxes", i, &nb);
        double *peaks = golden_f64_i(&g, "peaks", i, &np);
        region_list rl = { 0 };
        /* numpy compares a float32 array with a Python float in float32
         * (value-based casting), so the threshold is rounded to float first */
        CHECK(regions_find(map, w, h, (double)(float)sh[2], &rl, &e) == EFFAD_OK);
        CHECK_MSG(rl.n == nr, "case %d: %zu regions, scipy %zu", i, rl.n, nr);
        int same = rl.n == nr;
        for (size_t k = 0; same && k < nr; k++) {
            const map_region *r = &rl.r[k];
            same &= r->area == (uint32_t)areas[k] && r->x0 == (int)boxes[4 * k] && r->y0 == (int)boxes[4 * k + 1] &&
                    r->x1 == (int)boxes[4 * k + 2] && r->y1 == (int)boxes[4 * k + 3] && r->peak == (float)peaks[k];
        }
        CHECK_MSG(same, "case %d: regions differ from scipy.ndimage.label", i);
        size_t big = 0;
        for (size_t k = 0; k < nr; k++) big += areas[k] >= area;
        CHECK_EQ_INT(regions_count_at_least(&rl, area), big);

        double t, want;
        char name[32];
        snprintf(name, sizeof name, "tmin%d", i);
        want = golden_scalar(&g, name);
        CHECK(regions_min_threshold(map, w, h, area, &t, &e) == EFFAD_OK);
        CHECK_MSG(t == want, "case %d: min threshold %g, scipy scan %g (area %u)", i, t, want, area);
        /* and it is the smallest: at t nothing reaches the area, just below it something does */
        CHECK(regions_find(map, w, h, t, &rl, &e) == EFFAD_OK);
        CHECK(regions_count_at_least(&rl, area) == 0);
        CHECK(regions_find(map, w, h, nextafter(t, -INFINITY), &rl, &e) == EFFAD_OK);
        CHECK(regions_count_at_least(&rl, area) > 0);
        snprintf(name, sizeof name, "tmin_one%d", i);
        CHECK(regions_min_threshold(map, w, h, 1, &t, &e) == EFFAD_OK);
        CHECK_MSG(t == golden_scalar(&g, name), "case %d: min threshold for area 1: %g", i, t);
        region_list_free(&rl);
        free(sh); free(map); free(areas); free(boxes); free(peaks);
    }
    golden_free(&g);
}

static void check_edges(void)
{
    effad_error e;
    double t;
    float flat[6] = { 2, 2, 2, 2, 2, 2 };
    /* a 2x3 map holds at most 6 pixels: no threshold is needed for 7 */
    CHECK(regions_min_threshold(flat, 3, 2, 7, &t, &e) == EFFAD_OK);
    CHECK(t == -INFINITY);
    /* all equal: admitted together, so the threshold is that value */
    CHECK(regions_min_threshold(flat, 3, 2, 6, &t, &e) == EFFAD_OK);
    CHECK(t == 2);
    CHECK(regions_min_threshold(flat, 3, 2, 0, &t, &e) == EFFAD_ERR_ARG);
    /* diagonal neighbours join (8-connectivity), two pixels apart do not */
    float diag[9] = { 5, 0, 0,
                      0, 5, 0,
                      0, 0, 0 };
    region_list rl = { 0 };
    CHECK(regions_find(diag, 3, 3, 1, &rl, &e) == EFFAD_OK);
    CHECK(rl.n == 1 && rl.r[0].area == 2 && rl.r[0].x0 == 0 && rl.r[0].y1 == 1);
    float apart[9] = { 5, 0, 5,
                       0, 0, 0,
                       5, 0, 0 };
    CHECK(regions_find(apart, 3, 3, 1, &rl, &e) == EFFAD_OK);
    CHECK_EQ_INT(rl.n, 3);
    /* strictly above: a value equal to the threshold is not defective */
    CHECK(regions_find(apart, 3, 3, 5, &rl, &e) == EFFAD_OK);
    CHECK_EQ_INT(rl.n, 0);
    CHECK(regions_find(apart, 0, 3, 1, &rl, &e) == EFFAD_ERR_ARG);
    region_list_free(&rl);
}

/* regions_find (runs joined row by row) against regions_label (a flood
 * fill over pixels, the labeller scipy's goldens also check): the same
 * regions in the same order on maps of every density, from sparse specks
 * to percolating noise, strips of one row or one column, and combs whose
 * teeth join only at the last row (the region's root must stay its first
 * run). */
static void check_runs_against_flood(void)
{
    effad_error e;
    uint64_t seed = 0x9e3779b97f4a7c15ull;
    int bad = 0, cases = 0;
    for (int c = 0; c < 400; c++) {
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        int w = 1 + (int)((seed >> 33) % 70), h = 1 + (int)((seed >> 45) % 50);
        if (c % 10 == 0) w = 1;
        if (c % 10 == 1) h = 1;
        float *map = malloc((size_t)w * h * sizeof *map);
        uint32_t *lab = malloc((size_t)w * h * sizeof *lab);
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) {
                seed = seed * 6364136223846793005ull + 1442695040888963407ull;
                float v = (float)((seed >> 40) & 0xFFFF) / 65536.0f;
                if (c % 7 == 2) v = (x % 3 == 1 && y < h - 1) ? 0 : 1;   /* a comb: teeth joined at the bottom */
                map[(size_t)y * w + x] = v;
            }
        double t = c % 7 == 2 ? 0.5 : (double)(c % 9 + 1) / 10;
        region_list a = { 0 }, b = { 0 };
        CHECK(regions_find(map, w, h, t, &a, &e) == EFFAD_OK);
        CHECK(regions_label(map, w, h, t, lab, &b, &e) == EFFAD_OK);
        int same = a.n == b.n;
        for (size_t k = 0; same && k < a.n; k++)
            same = a.r[k].area == b.r[k].area && a.r[k].x0 == b.r[k].x0 && a.r[k].y0 == b.r[k].y0 &&
                   a.r[k].x1 == b.r[k].x1 && a.r[k].y1 == b.r[k].y1 && a.r[k].peak == b.r[k].peak;
        if (!same && !bad++) CHECK_MSG(0, "case %d (%dx%d, t %g): %zu regions by runs, %zu by flood fill", c, w, h, t, a.n, b.n);
        cases++;
        /* the good-image threshold: nothing of min_area above it, something
         * just below it, and it is one of the map's values */
        uint32_t area = 1 + (uint32_t)(c % 20);
        double tmin;
        CHECK(regions_min_threshold(map, w, h, area, &tmin, &e) == EFFAD_OK);
        if (tmin == -INFINITY) {
            CHECK(regions_find(map, w, h, -INFINITY, &a, &e) == EFFAD_OK);
            CHECK_MSG(regions_count_at_least(&a, area) == 0, "case %d: -inf, yet a region of %u", c, area);
        } else {
            int is_value = 0;
            for (size_t p = 0; p < (size_t)w * h; p++) is_value |= map[p] == tmin;
            CHECK_MSG(is_value, "case %d: threshold %g is no value of the map", c, tmin);
            CHECK(regions_find(map, w, h, tmin, &a, &e) == EFFAD_OK);
            CHECK_MSG(regions_count_at_least(&a, area) == 0, "case %d: a region of %u above %g", c, area, tmin);
            CHECK(regions_find(map, w, h, nextafter(tmin, -INFINITY), &a, &e) == EFFAD_OK);
            CHECK_MSG(regions_count_at_least(&a, area) > 0, "case %d: %g is not the smallest", c, tmin);
        }
        region_list_free(&a);
        region_list_free(&b);
        free(map);
        free(lab);
    }
    CHECK_MSG(!bad, "%d of %d maps differ", bad, cases);
}

int main(void)
{
    check_cases();
    check_edges();
    check_runs_against_flood();
    return check_done("test-maps-regions");
}
