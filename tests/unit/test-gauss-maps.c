/*
 * test-gauss-maps.c -- the per-location Gaussians: fits against numpy's
 * np.cov + eps I and scikit-learn's LedoitWolf with scipy's Mahalanobis
 * distances (tests/gen-maps-goldens.py), the same numbers for any thread
 * count, merged statistics equal to one stream, and the map section of a
 * version 2 .gauss (round trip, every prefix and bit flip refused,
 * well-sealed nonsense refused with a message); a version 1 file written
 * before maps existed still reads, and re-encodes to the same bytes; the
 * seeded draws (channel subset, held-out images) equal the Python port's,
 * and the default layout of the demo model is the documented one.
 */
#include <stdlib.h>
#include "check.h"
#include "demo-model.h"
#include "gauss-maps.h"
#include "map-features.h"
#include "maps-fit.h"
#include "maps-golden.h"
#include "gauss-file-test.h"

/* The golden's layout: a 2 x 3 grid of 5-dim vectors from one 5-channel level. */
static void layout(gauss_maps *m, int n_loc, int d, maps_cov cov)
{
    memset(m, 0, sizeof *m);
    m->grid_h = 2; m->grid_w = (uint32_t)n_loc / 2;
    m->n_taps = 1; m->tap[0] = 3; m->tap_c[0] = (uint32_t)d; m->total_c = (uint32_t)d;
    m->dim = (uint32_t)d;
    m->channel = malloc((size_t)d * sizeof *m->channel);
    for (int k = 0; k < d; k++) m->channel[k] = (uint32_t)k;
    m->cov = cov; m->eps = 0.01; m->sigma = 4;
}

/* Statistics of images [from, to) of X (images x locations x dim). */
static gauss_maps_stats *stats_of(const float *X, int from, int to, int L, int d, effad_threads *t)
{
    effad_error e;
    gauss_maps_stats *s = malloc(sizeof *s);
    CHECK(gauss_maps_stats_init(s, (size_t)L, (size_t)d, &e) == EFFAD_OK);
    for (int i = from; i < to; i++) CHECK(gauss_maps_stats_add(s, X + (size_t)i * L * d, t, &e) == EFFAD_OK);
    return s;
}

static void check_fit(effad_threads *pool)
{
    golden g;
    if (maps_golden_load(&g, "cov.bin")) { CHECK(0); return; }
    double *dims = golden_f64(&g, "dims", NULL);
    int n = (int)dims[0], L = (int)dims[1], d = (int)dims[2];
    float *X = golden_f32(&g, "X", NULL), *held = golden_f32(&g, "held", NULL);
    effad_error e;
    for (int kind = 0; kind < 2; kind++) {
        const char *name = kind ? "lw" : "eps";
        char key[32];
        snprintf(key, sizeof key, "%s_mean", name);
        double *want_mean = golden_f64(&g, key, NULL);
        snprintf(key, sizeof key, "%s_dist", name);
        double *want_dist = golden_f64(&g, key, NULL);   /* held x L */
        gauss_maps m, mt;
        layout(&m, L, d, kind ? MAPS_COV_LW : MAPS_COV_EPS);
        m.stats = stats_of(X, 0, n, L, d, NULL);
        CHECK(gauss_maps_fit(&m, NULL, &e) == EFFAD_OK);
        CHECK_EQ_INT(m.n, n);
        double mean_err = 0, dist_err = 0;
        for (int i = 0; i < L * d; i++) mean_err = fmax(mean_err, fabs(m.mean[i] - want_mean[i]) / (fabs(want_mean[i]) + 1e-3));
        float dist[64];
        double work[64];
        for (int k = 0; k < 4; k++) {
            gauss_maps_score(&m, held + (size_t)k * L * d, dist, work, NULL);
            for (int l = 0; l < L; l++) dist_err = fmax(dist_err, fabs(dist[l] - want_dist[k * L + l]) / want_dist[k * L + l]);
        }
        CHECK_MSG(mean_err < 1e-6, "%s: mean rel err %g", name, mean_err);
        CHECK_MSG(dist_err < 1e-5, "%s: Mahalanobis rel err %g vs scipy", name, dist_err);

        /* the same bytes with three workers, statistics and all */
        layout(&mt, L, d, m.cov);
        mt.stats = stats_of(X, 0, n, L, d, pool);
        CHECK(gauss_maps_fit(&mt, pool, &e) == EFFAD_OK);
        CHECK(!memcmp(mt.mean, m.mean, (size_t)L * d * sizeof *m.mean));
        CHECK(!memcmp(mt.chol, m.chol, (size_t)L * gauss_tri((size_t)d) * sizeof *m.chol));
        float dist_t[64];
        double work_t[3 * 64];
        CHECK(gauss_maps_score_work(&mt, pool) <= 3 * 64);
        gauss_maps_score(&mt, held, dist_t, work_t, pool);
        gauss_maps_score(&m, held, dist, work, NULL);
        CHECK(!memcmp(dist, dist_t, (size_t)L * sizeof *dist));

        /* two halves merged fit like one stream */
        gauss_maps mm;
        layout(&mm, L, d, m.cov);
        mm.stats = stats_of(X, 0, 9, L, d, NULL);
        gauss_maps_stats *rest = stats_of(X, 9, n, L, d, NULL);
        CHECK(gauss_maps_stats_merge(mm.stats, rest, pool, &e) == EFFAD_OK);
        CHECK(gauss_maps_fit(&mm, NULL, &e) == EFFAD_OK);
        double merr = 0;
        for (size_t i = 0; i < (size_t)L * gauss_tri((size_t)d); i++)
            merr = fmax(merr, fabs(mm.chol[i] - m.chol[i]) / (fabs(m.chol[i]) + 1e-3));
        CHECK_MSG(merr < 1e-6, "%s: merged factor rel err %g", name, merr);
        gauss_maps_stats_free(rest);
        free(rest);
        gauss_maps_free(&mm);
        gauss_maps_free(&mt);
        gauss_maps_free(&m);
        free(want_mean); free(want_dist);
    }

    /* refusals: one image is not a sample covariance; a NaN adds nothing */
    gauss_maps m;
    layout(&m, L, d, MAPS_COV_EPS);
    m.stats = stats_of(X, 0, 1, L, d, NULL);
    CHECK(gauss_maps_fit(&m, NULL, &e) == EFFAD_ERR_ARG);
    CHECK_ERR_HAS(e, "location 0");
    float *bad = malloc((size_t)L * d * sizeof *bad);
    memcpy(bad, X, (size_t)L * d * sizeof *bad);
    bad[2 * d + 1] = NAN;
    CHECK(gauss_maps_stats_add(m.stats, bad, NULL, &e) == EFFAD_ERR_NUMERIC);
    CHECK_ERR_HAS(e, "location 2");
    CHECK(m.stats->loc[0].n == 1);
    gauss_maps_stats *other = stats_of(X, 0, 1, L, d - 1, NULL);
    CHECK(gauss_maps_stats_merge(m.stats, other, NULL, &e) == EFFAD_ERR_MISMATCH);
    gauss_maps_stats_free(other);
    free(other);
    free(bad);
    gauss_maps_free(&m);
    free(dims); free(X); free(held);
    golden_free(&g);
}

/* ------------------------------------------------------------ files */

static void make_model(gauss_model *gm, int with_stats)
{
    golden g;
    effad_error e;
    memset(gm, 0, sizeof *gm);
    gm->model_hash = 0x1234;
    gm->input_h = gm->input_w = 64; gm->input_c = 3;
    gm->preset = strdup("paper");
    gm->taps = strdup("stage-end:3");
    /* a .gauss always has an image level (a model of none has no score):
     * the identity Gaussian in 2 dimensions */
    gm->n_levels = 1;
    gm->levels = calloc(1, sizeof *gm->levels);
    gm->levels[0].dim = 2;
    gm->levels[0].n = 23;
    gm->levels[0].mean = calloc(2, sizeof(double));
    gm->levels[0].chol = calloc(3, sizeof(double));   /* packed: 1; 0 1 */
    gm->levels[0].chol[0] = gm->levels[0].chol[2] = 1;
    if (maps_golden_load(&g, "cov.bin")) { CHECK(0); return; }
    float *X = golden_f32(&g, "X", NULL);
    gm->maps = calloc(1, sizeof *gm->maps);
    layout(gm->maps, 6, 5, MAPS_COV_EPS);
    gm->maps->stats = stats_of(X, 0, 23, 6, 5, NULL);
    CHECK(gauss_maps_fit(gm->maps, NULL, &e) == EFFAD_OK);
    if (!with_stats) { gauss_maps_stats_free(gm->maps->stats); free(gm->maps->stats); gm->maps->stats = 0; }
    gm->maps->calibrated = 1;
    gm->maps->threshold = 7.25;
    gm->maps->min_area = 12;
    gm->maps->n_holdout = 4;
    free(X);
    golden_free(&g);
}

static uint8_t *encode(const gauss_model *m, size_t *len)
{
    effad_error e;
    *len = gauss_file_size(m);
    uint8_t *buf = malloc(*len ? *len : 1);
    CHECK(*len && gauss_file_encode(m, buf, *len, &e) == EFFAD_OK);
    return buf;
}

/* A well-sealed file with one field overwritten (a 4- or 8-byte value at
 * off) must be refused as a format error whose message has expect. */
typedef struct { const char *what; size_t off; int width; uint64_t v; const char *expect; } tamper;

static void expect_refused(const uint8_t *buf, size_t len, const tamper *cases, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint8_t *t = malloc(len);
        memcpy(t, buf, len);
        if (cases[i].width == 4) put32(t + cases[i].off, (uint32_t)cases[i].v);
        else put64(t + cases[i].off, cases[i].v);
        reseal(t, len);
        gauss_model x;
        effad_error e;
        effad_status st = gauss_file_decode(t, len, &x, &e);
        CHECK_MSG(st == EFFAD_ERR_FORMAT, "%s: status %d", cases[i].what, (int)st);
        CHECK_MSG(strstr(e.msg, cases[i].expect) != NULL, "%s: message \"%.300s\"", cases[i].what, e.msg);
        if (!st) gauss_model_free(&x);
        free(t);
    }
}

static void check_file(void)
{
    effad_error e;
    gauss_model m, r;
    make_model(&m, 1);
    size_t len;
    uint8_t *buf = encode(&m, &len);
    CHECK(buf[8] == 3);    /* version 3: it has maps */
    CHECK(gauss_file_decode(buf, len, &r, &e) == EFFAD_OK);
    const gauss_maps *a = m.maps, *b = r.maps;
    CHECK(b && !gauss_maps_layout_differs(a, b));
    CHECK(b && b->n == 23 && b->calibrated && b->threshold == 7.25 && b->min_area == 12 && b->n_holdout == 4);
    CHECK(b && b->stats && b->stats->loc[5].n == 23);
    CHECK(b && !memcmp(a->chol, b->chol, 6 * 15 * sizeof *a->chol) && !memcmp(a->mean, b->mean, 30 * sizeof *a->mean));
    size_t len2;
    uint8_t *buf2 = encode(&r, &len2);
    CHECK(len2 == len && !memcmp(buf, buf2, len));
    free(buf2);

    size_t bad_prefix = accepted_prefixes(buf, len), bad_flip = accepted_bit_flips(buf, len);
    CHECK_MSG(bad_prefix == 0 && bad_flip == 0, "%zu prefixes, %zu bit flips of %zu bytes accepted", bad_prefix,
              bad_flip, len);

    /* well-sealed nonsense in the map section (it starts where the file
     * of the same model without maps ends) */
    gauss_maps *maps = m.maps;
    m.maps = NULL;
    size_t sec = gauss_file_size(&m);
    m.maps = maps;
    double nan = NAN, neg = -1.0;
    uint64_t u_nan, u_neg;
    memcpy(&u_nan, &nan, 8); memcpy(&u_neg, &neg, 8);
    size_t chan = sec + 80 + 8, mean = chan + 24, chol = mean + 30 * 4;
    const tamper cases[] = {
        { "grid 0", sec, 4, 0, "grid" },
        { "dim above channels", sec + 8, 4, 6, "dimension 6" },
        { "levels 0", sec + 12, 4, 0, "0 levels" },
        { "channel sum", sec + 16, 4, 9, "channels" },
        { "covariance", sec + 20, 4, 2, "covariance kind 2" },
        { "flags", sec + 24, 4, 8, "flags" },
        { "min area 0", sec + 28, 4, 0, "minimum area" },
        { "one image", sec + 32, 8, 1, "fitted on 1 images" },
        { "sigma NaN", sec + 56, 8, u_nan, "sigma" },
        { "tap repeated", sec + 80 + 4, 4, 0, "level entry 0" },
        { "channel order", chan + 4, 4, 0, "kept channel 1" },
        { "mean NaN", mean + 4 * 7, 4, 0x7fc00000u, "mean 2 of location 1" },
        { "factor pivot", chol, 4, 0xbf800000u, "(0, 0)" },
        { "stats count", chol + 6 * 15 * 4, 8, 22, "statistics of location 0" },
    };
    expect_refused(buf, len, cases, sizeof cases / sizeof *cases);
    (void)u_neg;
    free(buf);
    gauss_model_free(&r);
    gauss_model_free(&m);

    /* without statistics: smaller, still a map model */
    make_model(&m, 0);
    buf = encode(&m, &len);
    CHECK(gauss_file_decode(buf, len, &r, &e) == EFFAD_OK);
    CHECK(r.maps && !r.maps->stats && r.maps->calibrated);
    free(buf);
    gauss_model_free(&r);
    gauss_model_free(&m);
}

/* The don't-care pixels (fit --ignore): set, written, read back, layout
 * for merges; every prefix and bit flip refused; count, stray bits and
 * sizes checked; the flag alone is what an older build refuses. */
static void check_ignore(void)
{
    effad_error e;
    gauss_model m, r;
    for (int with_stats = 0; with_stats < 2; with_stats++) {
        make_model(&m, with_stats);
        /* 13 x 5 (not a multiple of 8 bits): a diagonal band */
        uint8_t mask[65];
        for (int i = 0; i < 65; i++) mask[i] = (uint8_t)(i % 13 == i / 13 || i % 13 == i / 13 + 1 ? 7 : 0);
        CHECK(gauss_maps_set_ignore(m.maps, mask, 13, 5, &e) == EFFAD_OK);
        CHECK_EQ_INT(m.maps->ignore_count, 10);
        size_t len;
        uint8_t *buf = encode(&m, &len);
        CHECK(gauss_file_decode(buf, len, &r, &e) == EFFAD_OK);
        const gauss_maps *b = r.maps;
        CHECK(b && b->ignore && b->ignore_w == 13 && b->ignore_h == 5 && b->ignore_count == 10);
        int same = b && b->ignore != NULL;
        for (int i = 0; same && i < 65; i++) same = b->ignore[i] == (mask[i] != 0);
        CHECK(same);
        CHECK(b && !gauss_maps_layout_differs(m.maps, b));
        size_t len2;
        uint8_t *buf2 = encode(&r, &len2);
        CHECK(len2 == len && !memcmp(buf, buf2, len));
        free(buf2);
        /* another mask, or none, is another layout: no merge */
        gauss_maps other;
        CHECK(gauss_maps_copy_layout(&other, m.maps, &e) == EFFAD_OK && !gauss_maps_layout_differs(&other, m.maps));
        mask[64] = 1;
        CHECK(gauss_maps_set_ignore(&other, mask, 13, 5, &e) == EFFAD_OK);
        CHECK(gauss_maps_layout_differs(&other, m.maps) && strstr(gauss_maps_layout_differs(&other, m.maps), "don't-care"));
        free(other.ignore); other.ignore = NULL;
        CHECK(gauss_maps_layout_differs(&other, m.maps) != NULL);
        gauss_maps_free(&other);
        if (with_stats) {
            CHECK_EQ_INT(accepted_prefixes(buf, len), 0);
            CHECK_EQ_INT(accepted_bit_flips(buf, len), 0);
        }
        /* the record is the section's last 16 + 16 bytes: u32 w, u32 h,
         * u64 count, 9 bytes of bits and 7 of padding */
        const size_t rec = len - 32;
        const tamper cases[] = {
            { "width 0", rec, 4, 0, "don't-care mask of 0x5" },
            { "count 0", rec + 8, 8, 0, "with 0 pixels set" },
            { "count all", rec + 8, 8, 65, "with 65 pixels set" },
            { "count off", rec + 8, 8, 11, "sets 10 pixels, its count says 11" },
            { "stray bit", rec + 16 + 8, 4, 0x02u | buf[rec + 16 + 8], "bits set past" },
            { "padding", rec + 16 + 12, 4, 1, "nonzero padding after the don't-care mask" },
            { "too tall", rec + 4, 4, 100, "truncated don't-care mask" },
        };
        expect_refused(buf, len, cases, sizeof cases / sizeof *cases);
        free(buf);
        gauss_model_free(&r);
        gauss_model_free(&m);
    }
    /* a mask of no pixel or of every pixel is no mask */
    gauss_maps z;
    memset(&z, 0, sizeof z);
    const uint8_t none[4] = { 0, 0, 0, 0 }, all[4] = { 1, 1, 1, 1 };
    CHECK(gauss_maps_set_ignore(&z, none, 2, 2, &e) == EFFAD_ERR_ARG && strstr(e.msg, "marks no pixel"));
    CHECK(gauss_maps_set_ignore(&z, all, 2, 2, &e) == EFFAD_ERR_ARG && strstr(e.msg, "marks every pixel"));
    CHECK(z.ignore == NULL);
}

/* A file `effad fit` wrote before maps existed (version 1; see
 * tests/data/gauss/README.md): it reads, and a model without maps is
 * written as version 1 again, byte for byte. */
static void check_version1(void)
{
    golden g;
    if (golden_load(&g, "v1-tiny-paper.gauss")) { CHECK(0); return; }
    effad_error e;
    gauss_model m;
    CHECK(g.buf[8] == 1);
    CHECK(gauss_file_decode(g.buf, g.len, &m, &e) == EFFAD_OK);
    CHECK(!m.maps);
    CHECK(!strcmp(m.preset, "paper") && !strcmp(m.taps, "stage-end:3,4"));
    CHECK(m.n_levels == 2 && m.levels[0].dim == 8 && m.levels[1].dim == 16 && m.levels[0].n == 12);
    CHECK(m.levels[0].shrinkage == 0.26819248573095894 && m.levels[1].shrinkage == 0.30429608670963332);
    CHECK(m.n_thresholds == 2 && !strcmp(m.thresholds[0].name, "chi2-3sigma") && m.thresholds[0].value == 5.4366857853644373);
    size_t len;
    uint8_t *buf = encode(&m, &len);
    /* the same bytes, written as version 2 (the presets' current names):
     * only the version field and the CRC differ */
    CHECK(len == g.len && buf[8] == 2 && !memcmp(buf, g.buf, 8) && !memcmp(buf + 12, g.buf + 12, 12) &&
          !memcmp(buf + 28, g.buf + 28, len - 28));
    free(buf);
    gauss_model_free(&m);
    golden_free(&g);
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

static void check_draws(void)
{
    golden g;
    effad_error e;
    if (maps_golden_load(&g, "draws.bin")) { CHECK(0); return; }
    int n = (int)golden_scalar(&g, "n");
    for (int i = 0; i < n; i++) {
        double *c = golden_f64_i(&g, "subset", i, NULL);
        uint32_t total = (uint32_t)c[0], k = (uint32_t)c[1], *idx = malloc(total * sizeof *idx);
        map_partial_shuffle(idx, total, k, (uint64_t)c[2]);
        qsort(idx, k, sizeof *idx, cmp_u32);
        int same = 1;
        for (uint32_t j = 0; j < k; j++) same &= idx[j] == (uint32_t)c[3 + j];
        CHECK_MSG(same, "subset %u of %u, seed %g differs from the Python port", k, total, c[2]);
        free(idx);
        free(c);
    }
    n = (int)golden_scalar(&g, "n_holdout");
    for (int i = 0; i < n; i++) {
        double *c = golden_f64_i(&g, "holdout", i, NULL);
        size_t total = (size_t)c[0], k = (size_t)c[1];
        uint8_t *held = malloc(total);
        CHECK(maps_pick_holdout(total, k, (uint64_t)c[2], held, &e) == EFFAD_OK);
        size_t j = 0, same = 1;
        for (size_t t = 0; t < total; t++)
            if (held[t]) same &= j < k && (size_t)c[3 + j++] == t;
        CHECK_MSG(same && j == k, "held-out images of %zu (k %zu, seed %g) differ from the Python port", total, k, c[2]);
        free(held);
        free(c);
    }
    golden_free(&g);

    /* the demo model's default layout: every level at stride 8 or finer
     * (stem and stages 1-3: 16 + 8 + 12 + 20 channels) on a 16 x 16 grid */
    uint8_t *efm;
    size_t efm_bytes;
    effad_model model;
    effad_runner r;
    gauss_maps m;
    CHECK(demo_model_build(0, &efm, &efm_bytes, &e) == EFFAD_OK);
    /* writable: a big-endian host swaps the weights in place */
    CHECK(effad_model_load_writable(&model, efm, efm_bytes, &e) == EFFAD_OK);
    CHECK(effad_runner_init(&r, &model, 0, 0, NULL, 0, &e) == EFFAD_OK);
    CHECK(map_layout_choose(&m, &r, NULL, 0, 0, 0, 0, &e) == EFFAD_OK);
    CHECK(m.n_taps == 4 && m.tap[0] == 0 && m.tap[3] == 3 && m.total_c == 56 && m.dim == 56);
    CHECK(m.grid_h == 16 && m.grid_w == 16 && m.channel[55] == 55);
    gauss_maps_free(&m);
    /* a subset: the partial shuffle above (checked against Python), sorted */
    CHECK(map_layout_choose(&m, &r, NULL, 0, 0, 20, 3, &e) == EFFAD_OK);
    uint32_t want[56];
    map_partial_shuffle(want, 56, 20, 3);
    qsort(want, 20, sizeof *want, cmp_u32);
    CHECK(m.dim == 20 && m.total_c == 56 && m.dims_seed == 3 && !memcmp(m.channel, want, sizeof(uint32_t) * 20));
    gauss_maps_free(&m);
    CHECK(map_layout_choose(&m, &r, "3,1", 8, 4, 0, 0, &e) == EFFAD_OK);
    CHECK(m.n_taps == 2 && m.tap[0] == 3 && m.tap[1] == 1 && m.grid_h == 8 && m.grid_w == 4 && m.total_c == 28);
    gauss_maps_free(&m);
    CHECK(map_layout_choose(&m, &r, "0,9", 0, 0, 0, 0, &e) == EFFAD_ERR_ARG);
    CHECK_ERR_HAS(e, "--map-levels");
    CHECK(map_layout_choose(&m, &r, NULL, 0, 0, 57, 0, &e) == EFFAD_ERR_ARG);
    CHECK_ERR_HAS(e, "--map-dims 57");
    free(efm);
}

int main(void)
{
    check_ignore();
    effad_threads *pool = NULL;
#ifdef EFFAD_HAVE_THREADS
    effad_error e;
    pool = effad_threads_create(3, &e);
    CHECK(pool != NULL);
#endif
    check_fit(pool);
    check_file();
    check_version1();
    check_draws();
#ifdef EFFAD_HAVE_THREADS
    effad_threads_destroy(pool);
#endif
    return check_done("test-gauss-maps");
}
