/*
 * test-gauss-view.c -- the in-place `.gauss` reader firmware scores with
 * (src/gauss-view.c), held against the allocating one (gauss_file_decode)
 * on the same bytes:
 *   - every level's distance and the combined score equal the gauss_model
 *     path's to the last bit, for both combination rules;
 *   - every truncation and every single-bit flip is refused by both;
 *   - well-sealed (valid CRC) but invalid files are refused by both with
 *     the same message (both go through gauss-format.c), and the view's
 *     own limits (tap list, level count) with messages naming the problem;
 *   - the model check names each kind of mismatch.
 */
#include <stdlib.h>
#include "align.h"
#include "check.h"
#include "gauss-golden.h"
#include "gauss-view.h"
#include "gauss.h"

static void put32(uint8_t *p, uint32_t v) { for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> 8 * i); }
static void put64(uint8_t *p, uint64_t v) { for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> 8 * i); }

/* An independent bitwise CRC-32, to reseal tampered files. */
static void reseal(uint8_t *buf, size_t len)
{
    put32(buf + 24, 0);
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < len; i++) {
        c ^= buf[i];
        for (int k = 0; k < 8; k++) c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1)));
    }
    put32(buf + 24, ~c);
}

static unsigned next(unsigned *seed) { return *seed = *seed * 1103515245u + 12345u; }

/* Three levels of dims 6, 3, 4 on taps 0, 5, 2: the first keeps its
 * statistics, the second its training features, the third neither. */
static const size_t dims[3] = { 6, 3, 4 };
static const int level_taps[3] = { 0, 5, 2 };

#define MODEL_HASH 0xfeedface01234567ull
#define TAPS "stage-end:0,5,2"

static void make_model(gauss_model *m, const char *preset, const char *taps, unsigned seed)
{
    effad_error e;
    memset(m, 0, sizeof *m);
    m->model_hash = MODEL_HASH;
    m->input_h = 64; m->input_w = 48; m->input_c = 3;
    m->preset = strdup(preset);
    m->taps = strdup(taps);
    m->n_levels = 3;
    m->levels = calloc(3, sizeof *m->levels);
    float x[8];
    for (int l = 0; l < 3; l++) {
        size_t d = dims[l];
        gauss_stats *s = malloc(sizeof *s);
        gauss_stats_init(s, d, &e);
        for (int i = 0; i < 41; i++) {
            for (size_t j = 0; j < d; j++)
                x[j] = (float)(next(&seed) >> 8 & 1023) / 256.0f + (float)j * (float)(i % 4);
            gauss_stats_add(s, x, &e);
        }
        CHECK(gauss_level_fit(&m->levels[l], s, NULL, &e) == EFFAD_OK);
        gauss_level_set_threshold(&m->levels[l], "chi2-3sigma", chi2_threshold(p_from_sigma(3), (double)d), &e);
        if (l == 0) m->levels[l].stats = s;
        else { gauss_stats_free(s); free(s); }
        if (l == 1) {
            m->levels[l].n_features = 3;
            m->levels[l].features = malloc(3 * d * sizeof(float));
            for (size_t k = 0; k < 3 * d; k++) m->levels[l].features[k] = (float)k * 0.25f;
        }
    }
    m->n_thresholds = 2;
    strcpy(m->thresholds[0].name, "chi2-3sigma");
    m->thresholds[0].value = 7.25;
    strcpy(m->thresholds[1].name, "explicit");
    m->thresholds[1].value = 1.0;
}

/* The encoded .gauss of make_model(preset, taps, seed); free() it. */
static uint8_t *make_file(const char *preset, const char *taps, unsigned seed, size_t *len)
{
    effad_error e;
    gauss_model m;
    make_model(&m, preset, taps, seed);
    *len = gauss_file_size(&m);
    uint8_t *buf = malloc(*len);
    CHECK(gauss_file_encode(&m, buf, *len, &e) == EFFAD_OK);
    gauss_model_free(&m);
    return buf;
}

/* ------------------------------------------------- scores, both paths */

static void check_scores(const char *preset, int by_mean)
{
    gauss_model r;
    gauss_view v;
    effad_error e = { 0 };
    size_t len;
    uint8_t *buf = make_file(preset, TAPS, 7, &len);
    CHECK_MSG(gauss_view_open(&v, buf, len, &e) == EFFAD_OK, "%s", e.msg);
    CHECK(gauss_file_decode(buf, len, &r, &e) == EFFAD_OK);
    CHECK(v.model_hash == MODEL_HASH && v.input_h == 64 && v.input_w == 48 && v.input_c == 3);
    CHECK(v.preset_len == strlen(preset) && !memcmp(v.preset, preset, v.preset_len));
    CHECK(v.tap_rule_len == 9 && !memcmp(v.tap_rule, "stage-end", 9));
    CHECK_EQ_INT(v.combine_mean, by_mean);
    CHECK(v.has_threshold && !strcmp(v.threshold_name, "chi2-3sigma") && v.threshold == 7.25);
    CHECK_EQ_INT(v.n_levels, 3);
    CHECK_EQ_INT(v.max_dim, 6);
    for (int l = 0; l < 3; l++) {
        CHECK_EQ_INT(v.levels[l].dim, dims[l]);
        CHECK_EQ_INT(v.levels[l].tap, level_taps[l]);
        CHECK(v.levels[l].n == r.levels[l].n && v.levels[l].shrinkage == r.levels[l].shrinkage);
    }

    /* features on taps 0..5, random around and far from the means */
    float tap_x[6][8];
    const float *tap_ptr[6];
    unsigned seed = 99;
    double work_v[8], work_m[8], lv_v[3];
    size_t worst = 0;
    for (int trial = 0; trial < 50; trial++) {
        for (int t = 0; t < 6; t++) {
            for (int j = 0; j < 8; j++)
                tap_x[t][j] = (float)((int)(next(&seed) >> 8 & 4095) - 2048) / (trial < 25 ? 256.0f : 8.0f);
            tap_ptr[t] = tap_x[t];
        }
        double total = 0;
        for (int l = 0; l < 3; l++) {
            double want = gauss_level_score(&r.levels[l], tap_x[level_taps[l]], work_m);
            double got = gauss_view_distance(&v.levels[l], tap_x[level_taps[l]], work_v);
            if (got != want) worst++;
            total += want;
        }
        double want = by_mean ? total / 3 : total;
        double got = gauss_view_score(&v, tap_ptr, lv_v, work_v);
        CHECK_MSG(got == want, "%s: score %.17g, gauss_model path %.17g", preset, got, want);
        for (int l = 0; l < 3; l++) CHECK(lv_v[l] == gauss_level_score(&r.levels[l], tap_x[level_taps[l]], work_m));
        CHECK(gauss_view_score(&v, tap_ptr, NULL, work_v) == want);
    }
    CHECK_MSG(worst == 0, "%zu of 150 level distances differ from gauss_level_score", worst);
    /* a file made in place of the bytes: misaligned views read the same */
    uint8_t *shifted = malloc(len + 3);
    memcpy(shifted + 3, buf, len);
    gauss_view v2;
    CHECK(gauss_view_open(&v2, shifted + 3, len, &e) == EFFAD_OK);
    CHECK(gauss_view_score(&v2, tap_ptr, NULL, work_v) == gauss_view_score(&v, tap_ptr, NULL, work_v));
    free(shifted);
    free(buf);
    gauss_model_free(&r);
}

/* ---------------------------------------- truncations and bit flips */

static void check_damage(void)
{
    gauss_view v;
    effad_error e = { 0 };
    size_t len;
    uint8_t *buf = make_file("paper", TAPS, 3, &len);
    size_t bad_prefix = 0, bad_flip = 0;
    for (size_t n = 0; n < len; n++) {
        if (gauss_view_open(&v, buf, n, &e) != EFFAD_ERR_FORMAT || !strstr(e.msg, "truncated")) bad_prefix++;
        if (v.n_levels || v.bytes) bad_prefix++;   /* a refused view is left empty */
    }
    CHECK_MSG(bad_prefix == 0, "%zu of %zu prefixes not refused as truncated", bad_prefix, len);
    for (size_t i = 0; i < len; i++)
        for (int bit = 0; bit < 8; bit++) {
            buf[i] ^= (uint8_t)(1u << bit);
            if (gauss_view_open(&v, buf, len, &e) == EFFAD_OK) bad_flip++;
            buf[i] ^= (uint8_t)(1u << bit);
        }
    CHECK_MSG(bad_flip == 0, "%zu of %zu bit flips accepted", bad_flip, len * 8);
    CHECK(gauss_view_open(&v, NULL, len, &e) == EFFAD_ERR_ARG);
    printf("gauss-view: %zu-byte file; %zu prefixes and %zu bit flips all refused\n", len, len, len * 8);
    free(buf);
}

/* ------------------------------------- well sealed, invalid contents */

typedef struct { const char *what; size_t off; int width; uint64_t value; const char *expect; effad_status st; } tamper;

static void check_tampered(void)
{
    effad_error e = { 0 }, ed = { 0 };
    size_t len;
    uint8_t *buf = make_file("paper", TAPS, 5, &len);
    size_t lv0 = 64 + ((strlen("paper") + strlen(TAPS) + 7) & ~(size_t)7) + 2 * 40;
    size_t mean0 = lv0 + 32 + 40, chol0 = mean0 + 6 * 8, stats0 = chol0 + 21 * 8;
    size_t lv1 = stats0 + 16 + 8 * (3 * 6 + 21), feat1 = lv1 + 32 + 40 + 8 * (3 + 6);
    double nan = NAN, neg = -1.0, big = 1.5, inf = INFINITY;
    uint64_t u_nan, u_neg, u_big, u_inf;
    memcpy(&u_nan, &nan, 8); memcpy(&u_neg, &neg, 8); memcpy(&u_big, &big, 8); memcpy(&u_inf, &inf, 8);
    float fnan = NAN;
    uint32_t u_fnan;
    memcpy(&u_fnan, &fnan, 4);
    /* decoder: 1 if gauss_file_decode must refuse it with the same words */
    struct { tamper t; int decoder; } cases[] = {
        { { "version", 8, 4, 4, "version 4; this build reads versions 1 to 3", EFFAD_ERR_UNSUPPORTED }, 1 },
        { { "header size", 12, 4, 72, "header size 72", EFFAD_ERR_FORMAT }, 1 },
        { { "level count huge", 28, 4, 100000, "100000 levels", EFFAD_ERR_FORMAT }, 1 },
        { { "preset length", 52, 4, 1u << 30, "strings", EFFAD_ERR_FORMAT }, 1 },
        { { "image thresholds", 60, 4, 1000, "image thresholds", EFFAD_ERR_FORMAT }, 1 },
        { { "image threshold name", 64 + 24, 1, 0, "image 0: threshold 0 has an empty", EFFAD_ERR_FORMAT }, 1 },
        { { "image threshold NaN", 64 + 24 + 40 + 32, 8, u_nan, "threshold 'explicit' is NaN", EFFAD_ERR_FORMAT }, 1 },
        { { "dim 0", lv0, 4, 0, "level 0: dimension 0", EFFAD_ERR_FORMAT }, 1 },
        { { "dim larger than file", lv0, 4, 4000, "truncated", EFFAD_ERR_FORMAT }, 1 },
        { { "samples", lv0 + 8, 8, 0, "zero samples", EFFAD_ERR_FORMAT }, 1 },
        { { "shrinkage", lv0 + 16, 8, u_big, "shrinkage 1.5", EFFAD_ERR_FORMAT }, 1 },
        { { "flags", lv0 + 24, 4, 6, "unknown flags", EFFAD_ERR_FORMAT }, 1 },
        { { "threshold padding", lv0 + 32 + 30, 1, 'x', "NUL-padded", EFFAD_ERR_FORMAT }, 1 },
        { { "mean inf", mean0 + 8, 8, u_inf, "mean[1]", EFFAD_ERR_FORMAT }, 1 },
        { { "Cholesky pivot", chol0, 8, u_neg, "(0, 0)", EFFAD_ERR_FORMAT }, 1 },
        { { "Cholesky NaN", chol0 + 8, 8, u_nan, "(1, 0)", EFFAD_ERR_FORMAT }, 1 },
        { { "stats n", stats0, 8, 0, "statistics of zero samples", EFFAD_ERR_FORMAT }, 1 },
        { { "stats y4", stats0 + 8, 8, u_neg, "statistics hold", EFFAD_ERR_FORMAT }, 1 },
        { { "stats cross", stats0 + 16 + 8 * 20, 8, u_nan, "statistics hold", EFFAD_ERR_FORMAT }, 1 },
        { { "feature rows", feat1, 8, 1000, "1000 rows does not fit", EFFAD_ERR_FORMAT }, 1 },
        { { "feature NaN", feat1 + 8 + 4, 4, u_fnan, "cached feature 1", EFFAD_ERR_FORMAT }, 1 },
        { { "feature padding", feat1 + 8 + 36, 1, 1, "nonzero padding after the feature", EFFAD_ERR_FORMAT }, 1 },
        /* the view's own limits: a level scores a model tap */
        { { "level count", 28, 4, 40, "40 levels; a model has at most 32 taps", EFFAD_ERR_UNSUPPORTED }, 0 },
        { { "no levels", 28, 4, 0, "0 levels (1..256)", EFFAD_ERR_FORMAT }, 1 },
        { { "tap list colon", 64 + 5 + 9, 1, ';', "no level description", EFFAD_ERR_FORMAT }, 0 },
        { { "tap list letter", 64 + 5 + 12, 1, 'x', "expected 3 comma-separated", EFFAD_ERR_FORMAT }, 0 },
        { { "tap list twice", 64 + 5 + 12, 1, '0', "tap 0 twice", EFFAD_ERR_FORMAT }, 0 },
        { { "tap list trailing", 64 + 5 + 14, 1, ',', "expected 3 comma-separated", EFFAD_ERR_FORMAT }, 0 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const tamper *t = &cases[i].t;
        uint8_t *b = malloc(len);
        memcpy(b, buf, len);
        if (t->width == 1) b[t->off] = (uint8_t)t->value;
        else if (t->width == 4) put32(b + t->off, (uint32_t)t->value);
        else put64(b + t->off, t->value);
        reseal(b, len);
        gauss_view v;
        effad_status st = gauss_view_open(&v, b, len, &e);
        CHECK_MSG(st == t->st, "%s: status %d (%s)", t->what, (int)st, e.msg);
        CHECK_MSG(strstr(e.msg, t->expect) != NULL, "%s: message \"%.300s\"", t->what, e.msg);
        if (cases[i].decoder) {
            gauss_model r;
            effad_status sd = gauss_file_decode(b, len, &r, &ed);
            CHECK_MSG(sd == st && !strcmp(ed.msg, e.msg), "%s: decoder says %d \"%s\", view %d \"%s\"", t->what,
                      (int)sd, ed.msg, (int)st, e.msg);
            if (sd == EFFAD_OK) gauss_model_free(&r);
        }
        free(b);
    }

    /* trailing bytes, with the size field and CRC made consistent */
    uint8_t *b = calloc(1, len + 8);
    memcpy(b, buf, len);
    put64(b + 16, len + 8);
    reseal(b, len + 8);
    gauss_view v;
    CHECK(gauss_view_open(&v, b, len + 8, &e) == EFFAD_ERR_FORMAT);
    CHECK_ERR_HAS(e, "8 unexplained bytes after the last level");
    memcpy(b, "EFFGAUSX", 8);
    CHECK(gauss_view_open(&v, b, len + 8, &e) == EFFAD_ERR_FORMAT);
    CHECK_ERR_HAS(e, "bad magic");
    free(b);
    free(buf);

    /* "<rule>:all" names the taps in order */
    buf = make_file("ailia", "stage-start:all", 5, &len);
    CHECK(gauss_view_open(&v, buf, len, &e) == EFFAD_OK);
    CHECK(v.levels[0].tap == 0 && v.levels[1].tap == 1 && v.levels[2].tap == 2 && !v.combine_mean);
    free(buf);
    /* tap lists that do not fit the levels (the file is otherwise sound) */
    buf = make_file("paper", "stage-end:0,5", 5, &len);
    CHECK(gauss_view_open(&v, buf, len, &e) == EFFAD_ERR_FORMAT);
    CHECK_ERR_HAS(e, "tap list names 2 taps for 3 levels");
    free(buf);
    buf = make_file("paper", "stage-end:0,5,32", 5, &len);
    CHECK(gauss_view_open(&v, buf, len, &e) == EFFAD_ERR_FORMAT);
    CHECK_ERR_HAS(e, "a tap number above 31");
    free(buf);
}

/* --------------------------------------------------- model mismatches */

static void check_model_match(void)
{
    gauss_view v;
    effad_error e = { 0 };
    size_t len;
    uint8_t *buf = make_file("paper", TAPS, 11, &len);
    CHECK(gauss_view_open(&v, buf, len, &e) == EFFAD_OK);
    static effad_model m;
    memset(&m, 0, sizeof m);
    strcpy(m.tap_rule, "stage-end");
    m.hash = MODEL_HASH;
    m.in_h = 64; m.in_w = 48;
    m.n_taps = 6;
    static const int channels[6] = { 6, 9, 4, 9, 9, 3 };
    for (int t = 0; t < 6; t++) m.taps[t].channels = channels[t];
    CHECK_MSG(gauss_view_check_model(&v, &m, &e) == EFFAD_OK, "%s", e.msg);

    strcpy(m.tap_rule, "stage-start");
    CHECK(gauss_view_check_model(&v, &m, &e) == EFFAD_ERR_MISMATCH);
    CHECK_ERR_HAS(e, "fitted on 'stage-end' taps, the model has 'stage-start' taps");
    strcpy(m.tap_rule, "stage-end");
    m.hash ^= 1;
    CHECK(gauss_view_check_model(&v, &m, &e) == EFFAD_ERR_MISMATCH);
    CHECK_ERR_HAS(e, "different model");
    m.hash ^= 1;
    m.in_w = 64;
    CHECK(gauss_view_check_model(&v, &m, &e) == EFFAD_ERR_MISMATCH);
    CHECK_ERR_HAS(e, "fitted at 64x48, the model runs at 64x64");
    m.in_w = 48;
    m.taps[2].channels = 5;
    CHECK(gauss_view_check_model(&v, &m, &e) == EFFAD_ERR_MISMATCH);
    CHECK_ERR_HAS(e, "level 2 has 4 features, the model's tap 2 has 5");
    m.n_taps = 5;
    CHECK(gauss_view_check_model(&v, &m, &e) == EFFAD_ERR_MISMATCH);
    CHECK_ERR_HAS(e, "level 1 scores tap 5; the model has 5 taps");
    free(buf);
}

/* An aligning model: the device is handed its images as they are, so the
 * in-place reader refuses it by name (the host reads it). */
static void check_align_refused(void)
{
    effad_error e;
    gauss_model m;
    make_model(&m, "paper", "stage-end:0,1,2", 9);
    m.roi = (image_roi){ 1, 1, 6, 5 };
    uint8_t grey[30];
    for (int i = 0; i < 30; i++) grey[i] = (uint8_t)(i * 7);
    m.align = calloc(1, sizeof *m.align);
    CHECK(align_template_from_grey(m.align, grey, 6, 5, 3, &e) == EFFAD_OK);
    size_t len = gauss_file_size(&m);
    uint8_t *buf = malloc(len);
    CHECK(gauss_file_encode(&m, buf, len, &e) == EFFAD_OK);
    gauss_view v;
    CHECK(gauss_view_open(&v, buf, len, &e) == EFFAD_ERR_UNSUPPORTED);
    CHECK_ERR_HAS(e, "the model aligns each image (fit --align 3)");
    gauss_model r;
    CHECK(gauss_file_decode(buf, len, &r, &e) == EFFAD_OK && r.align);
    gauss_model_free(&r);
    gauss_model_free(&m);
    free(buf);
}

int main(void)
{
    check_align_refused();
    check_scores("paper", 1);
    check_scores("ailia", 0);
    check_scores("ailia-floor", 0);
    check_damage();
    check_tampered();
    check_model_match();
    return check_done("gauss-view");
}
