/*
 * test-maps-resample.c -- the anomaly map's geometry against PyTorch and
 * scipy (tests/gen-maps-goldens.py): the level maps brought to the grid
 * (adaptive_avg_pool2d / nearest), the distance grid upsampled (bilinear,
 * align_corners=False), the blur (scipy gaussian_filter, reflect, truncate
 * 4), the map put back on the original image (resize, and resize + crop
 * with zeros outside the window), and the descending ranking the
 * threshold search and the pixel metrics sort with.
 */
#include <stdlib.h>
#include "anomaly-map.h"
#include "check.h"
#include "map-features.h"
#include "maps-golden.h"
#include "rank-f32.h"

static void check_resample(void)
{
    golden g;
    if (maps_golden_load(&g, "resample.bin")) { CHECK(0); return; }
    int n = (int)golden_scalar(&g, "n");
    for (int i = 0; i < n; i++) {
        double *sh = golden_f64_i(&g, "shape", i, NULL);
        int h = (int)sh[0], w = (int)sh[1], c = (int)sh[2], gh = (int)sh[3], gw = (int)sh[4];
        float *in = golden_f32_i(&g, "in", i, NULL), *want = golden_f32_i(&g, "out", i, NULL);
        /* into a wider row, as the concatenation does: the other channels stay untouched */
        size_t stride = (size_t)c + 3;
        float *out = malloc((size_t)gh * gw * stride * sizeof *out), *got = malloc((size_t)gh * gw * c * sizeof *got);
        double *acc = malloc((size_t)c * sizeof *acc);
        for (size_t k = 0; k < (size_t)gh * gw * stride; k++) out[k] = -7.0f;
        map_resample_level(in, h, w, c, gh, gw, out, stride, acc);
        int untouched = 1;
        for (size_t l = 0; l < (size_t)gh * gw; l++) {
            memcpy(got + l * c, out + l * stride, (size_t)c * sizeof *got);
            for (size_t k = (size_t)c; k < stride; k++) untouched &= out[l * stride + k] == -7.0f;
        }
        double err = rel_err_f32(got, want, (size_t)gh * gw * c, 1e-6);
        CHECK_MSG(err < 1e-6, "resample %dx%dx%d -> %dx%d: rel err %g", h, w, c, gh, gw, err);
        CHECK(untouched);
        free(sh); free(in); free(want); free(out); free(got); free(acc);
    }
    golden_free(&g);
}

static void check_bilinear(void)
{
    golden g;
    if (maps_golden_load(&g, "bilinear.bin")) { CHECK(0); return; }
    int n = (int)golden_scalar(&g, "n");
    for (int i = 0; i < n; i++) {
        double *sh = golden_f64_i(&g, "shape", i, NULL);
        int sh_ = (int)sh[0], sw = (int)sh[1], dh = (int)sh[2], dw = (int)sh[3];
        float *in = golden_f32_i(&g, "in", i, NULL), *want = golden_f32_i(&g, "out", i, NULL);
        float *got = malloc((size_t)dh * dw * sizeof *got);
        map_resize_bilinear(in, sw, sh_, got, dw, dh);
        double err = rel_err_f32(got, want, (size_t)dh * dw, 1e-6);
        CHECK_MSG(err < 2e-6, "bilinear %dx%d -> %dx%d: rel err %g", sh_, sw, dh, dw, err);
        free(sh); free(in); free(want); free(got);
    }
    golden_free(&g);
}

static void check_blur(void)
{
    golden g;
    if (maps_golden_load(&g, "blur.bin")) { CHECK(0); return; }
    int n = (int)golden_scalar(&g, "n");
    CHECK_EQ_INT(map_blur_radius(4.0), 16);
    CHECK_EQ_INT(map_blur_radius(1.5), 6);
    CHECK_EQ_INT(map_blur_radius(0.7), 3);
    for (int i = 0; i < n; i++) {
        double *sh = golden_f64_i(&g, "shape", i, NULL);
        int h = (int)sh[0], w = (int)sh[1];
        double sigma = sh[2];
        float *map = golden_f32_i(&g, "in", i, NULL), *want = golden_f32_i(&g, "out", i, NULL);
        float *tmp = malloc((size_t)h * w * sizeof *tmp);
        double *weights = malloc(map_blur_scratch(w, h, sigma));
        map_blur(map, w, h, sigma, tmp, weights);
        double err = rel_err_f32(map, want, (size_t)h * w, 1e-6);
        CHECK_MSG(err < 1e-6, "blur %dx%d sigma %g: rel err %g", h, w, sigma, err);
        free(sh); free(map); free(want); free(tmp); free(weights);
    }
    golden_free(&g);
}

static void check_backmap(void)
{
    golden g;
    if (maps_golden_load(&g, "backmap.bin")) { CHECK(0); return; }
    int n = (int)golden_scalar(&g, "n");
    for (int i = 0; i < n; i++) {
        double *gm = golden_f64_i(&g, "geom", i, NULL);
        map_geometry geo = { (int)gm[0], (int)gm[1], (int)gm[2], (int)gm[3], (int)gm[4], (int)gm[5], (int)gm[6], (int)gm[7] };
        float *net = golden_f32_i(&g, "net", i, NULL), *want = golden_f32_i(&g, "out", i, NULL);
        float *inside = golden_f32_i(&g, "inside", i, NULL), *exact = golden_f32_i(&g, "exact", i, NULL);
        size_t np = (size_t)geo.img_w * geo.img_h;
        float *got = malloc(np * sizeof *got);
        map_to_image(net, &geo, got);
        double worst = 0;
        size_t zero_outside = 0, outside = 0, compared = 0, positive_inside = 0, n_inside = 0;
        for (size_t k = 0; k < np; k++) {
            if (inside[k] == 0) { outside++; zero_outside += got[k] == 0; continue; }
            n_inside++;
            positive_inside += got[k] > 0;
            if (exact[k] == 0) continue;
            compared++;
            double d = fabs((double)got[k] - want[k]) / fabs((double)want[k]);
            if (d > worst) worst = d;
        }
        CHECK_MSG(worst < 2e-6, "back-map case %d: rel err %g over %zu pixels", i, worst, compared);
        CHECK_MSG(compared > np / 3, "case %d: only %zu of %zu pixels compared", i, compared, np);
        CHECK_EQ_INT(zero_outside, outside);
        CHECK_EQ_INT(positive_inside, n_inside);
        free(gm); free(net); free(want); free(inside); free(exact); free(got);
    }
    golden_free(&g);
}

/* The back-map's geometry comes from the presets themselves. */
static void check_geometry(void)
{
    effad_error e;
    preprocess_cfg cfg;
    map_geometry g;
    CHECK(preprocess_by_name("ailia", 64, 64, &cfg, &e) == EFFAD_OK);
    CHECK(map_geometry_of(&cfg, 160, 120, &g, &e) == EFFAD_OK);
    /* short side 120 -> 73, long int(73 * 160 / 120) = 97; crop origin int(round(33 / 2.0)) = 16, int(round(9 / 2.0)) = 4 */
    CHECK(g.rw == 97 && g.rh == 73 && g.left == 16 && g.top == 4 && g.in_w == 64 && g.in_h == 64);
    CHECK(preprocess_by_name("paper", 64, 64, &cfg, &e) == EFFAD_OK);
    CHECK(map_geometry_of(&cfg, 160, 120, &g, &e) == EFFAD_OK);
    CHECK(g.rw == 64 && g.rh == 64 && g.left == 0 && g.top == 0);
}

static int cmp_desc(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return x < y ? 1 : x > y ? -1 : 0;
}

static void check_rank(void)
{
    const size_t n = 5000;
    float *v = malloc(n * sizeof *v), *sorted = malloc(n * sizeof *sorted);
    uint32_t *order = malloc(n * sizeof *order), *scratch = malloc(n * sizeof *scratch);
    unsigned s = 7;
    for (size_t i = 0; i < n; i++) {
        s = s * 1103515245u + 12345u;
        int q = (int)((s >> 8) % 2001) - 1000;         /* ties, negatives, zero */
        v[i] = (float)q / 37.0f;
        if (i % 97 == 0) v[i] = i % 2 ? INFINITY : -INFINITY;
    }
    memcpy(sorted, v, n * sizeof *v);
    qsort(sorted, n, sizeof *sorted, cmp_desc);
    rank_f32_desc(v, n, order, scratch);
    int ok_order = 1, stable = 1;
    for (size_t i = 0; i < n; i++) {
        ok_order &= v[order[i]] == sorted[i];
        if (i && v[order[i]] == v[order[i - 1]]) stable &= order[i] > order[i - 1];
    }
    CHECK(ok_order);
    CHECK(stable);
    float one = 3.0f;
    uint32_t o1 = 9;
    rank_f32_desc(&one, 1, &o1, scratch);
    CHECK_EQ_INT(o1, 0);
    free(v); free(sorted); free(order); free(scratch);
}

int main(void)
{
    check_resample();
    check_bilinear();
    check_blur();
    check_backmap();
    check_geometry();
    check_rank();
    return check_done("test-maps-resample");
}
