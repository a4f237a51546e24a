/*
 * test-roi.c -- the region of interest (src/roi.h): its text form, the crop
 * against a plain copy loop, the ".gauss" preset string that carries it and
 * the 16-bit rule (src/prep-spec.h; both readers, every malformed suffix
 * refused), and ground-truth masks cut to it. The end-to-end equivalence (frames with --roi score as
 * the cut-out regions) is tests/sh/cli-roi.sh.
 */
#include <stdlib.h>
#include <unistd.h>
#include "check.h"
#include "gauss-file-test.h"
#include "gauss-format.h"
#include "gauss-view.h"
#include "gauss.h"
#include "image.h"
#include "pixel-eval.h"
#include "prep-spec.h"
#include "roi.h"

static uint32_t rng = 12345;
static int rand_below(int n) { rng = rng * 1103515245u + 12345u; return (int)((rng >> 8) % (uint32_t)n); }

static void check_text(void)
{
    static const struct { const char *s; int x, y, w, h; } good[] = {
        { "0,0,1,1", 0, 0, 1, 1 }, { "23,17,90,80", 23, 17, 90, 80 }, { "0,10,100,3", 0, 10, 100, 3 },
        { "0,0,268435456,268435456", 0, 0, 268435456, 268435456 }, { "268435455,5,1,9", 268435455, 5, 1, 9 },
    };
    for (size_t k = 0; k < sizeof good / sizeof good[0]; k++) {
        image_roi r;
        effad_error e = { 0 };
        CHECK_MSG(roi_parse(good[k].s, &r, &e) == EFFAD_OK, "%s: %s", good[k].s, e.msg);
        CHECK_MSG(r.x == good[k].x && r.y == good[k].y && r.w == good[k].w && r.h == good[k].h, "%s", good[k].s);
        char t[ROI_TEXT_BYTES];
        roi_format(&r, t, sizeof t);
        image_roi back;
        CHECK(roi_parse(t, &back, &e) == EFFAD_OK && roi_equal(&r, &back));
    }
    static const char *bad[] = {
        "", "1,2,3", "1,2,3,4,5", "-1,0,5,5", "+1,0,5,5", "0,0,0,5", "0,0,5,0", "a,b,c,d", "1, 2,3,4", " 1,2,3,4",
        "1,2,3,4 ", "1,2,3,4x", "1,,3,4", ",1,2,3,4", "1,2,3,", "268435455,0,2,2", "0,268435456,1,1",
        "0,0,268435457,1", "99999999999999999999,0,1,1", "1.5,2,3,4", "0x10,0,1,1", "007,0,10,3", "0,00,1,1",
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        image_roi r = { 9, 9, 9, 9 };
        effad_error e = { 0 };
        CHECK_MSG(roi_parse(bad[k], &r, &e) == EFFAD_ERR_ARG, "'%s' accepted", bad[k]);
        CHECK_STR_CONTAINS(e.msg, "expected X,Y,W,H");
        CHECK(r.x == 9 && r.w == 9);   /* untouched */
    }
    image_roi r;
    effad_error e = { 0 };
    CHECK(roi_parse(NULL, &r, &e) == EFFAD_ERR_ARG);
    /* roi_parse_n reads only its n bytes */
    CHECK(roi_parse_n("1,2,3,45", 7, &r) && r.h == 4);
    CHECK(!roi_parse_n("1,2,3,4", 6, &r));
    /* none: "" and equal only to none */
    const image_roi none = { 0, 0, 0, 0 }, a = { 1, 2, 3, 4 }, b = { 1, 2, 3, 5 };
    char t[ROI_TEXT_BYTES] = "x";
    roi_format(&none, t, sizeof t);
    CHECK(t[0] == '\0');
    CHECK(roi_equal(&none, &none) && !roi_equal(&none, &a) && !roi_equal(&a, &none) && roi_equal(&a, &a) &&
          !roi_equal(&a, &b));
}

static void check_crop(void)
{
    size_t tried = 0;
    for (int round = 0; round < 400; round++) {
        const int ch = round % 2 ? 3 : 1, w = 1 + rand_below(40), h = 1 + rand_below(30);
        uint8_t *px = malloc((size_t)w * h * ch), *want = malloc((size_t)w * h * ch);
        for (int i = 0; i < w * h * ch; i++) px[i] = (uint8_t)rand_below(256);
        image_roi r = { rand_below(w), rand_below(h), 0, 0 };
        r.w = 1 + rand_below(w - r.x);
        r.h = 1 + rand_below(h - r.y);
        if (round == 0) { r.x = 0; r.y = 0; r.w = w; r.h = h; }                 /* the whole image */
        if (round == 1) { r.x = w - 1; r.y = h - 1; r.w = 1; r.h = 1; }         /* the last pixel */
        size_t k = 0;
        for (int y = r.y; y < r.y + r.h; y++)
            for (int x = r.x; x < r.x + r.w; x++)
                for (int c = 0; c < ch; c++) want[k++] = px[((size_t)y * w + x) * ch + c];
        int cw = w, chh = h;
        effad_error e = { 0 };
        CHECK(roi_crop(&r, px, ch, &cw, &chh, &e) == EFFAD_OK);
        CHECK(cw == r.w && chh == r.h);
        CHECK_MSG(!memcmp(px, want, k), "round %d: %dx%d, region %d,%d,%d,%d", round, w, h, r.x, r.y, r.w, r.h);
        tried++;
        free(px);
        free(want);
    }
    CHECK(tried == 400);
    /* a region past the image: refused with both sizes, image untouched */
    uint8_t px[12] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 };
    const image_roi past[] = { { 0, 0, 5, 3 }, { 0, 0, 4, 4 }, { 1, 0, 4, 1 }, { 0, 3, 1, 1 } };
    for (size_t k = 0; k < sizeof past / sizeof past[0]; k++) {
        int w = 4, h = 3;
        effad_error e = { 0 };
        CHECK(roi_crop(&past[k], px, 1, &w, &h, &e) == EFFAD_ERR_MISMATCH);
        CHECK_STR_CONTAINS(e.msg, "the image is 4x3");
        CHECK(w == 4 && h == 3 && px[11] == 12);
    }
    effad_error e = { 0 };
    const image_roi one = { 3, 2, 1, 1 }, none = { 0, 0, 0, 0 };
    int w = 4, h = 3;
    CHECK(roi_crop(&none, px, 1, &w, &h, &e) == EFFAD_OK && w == 4 && px[0] == 1);
    CHECK(roi_crop(&one, px, 1, &w, &h, &e) == EFFAD_OK && w == 1 && h == 1 && px[0] == 12);
}

static void check_preset_split(void)
{
    static const struct { const char *s; size_t len, name_len; int w, rgb16, align; } good[] = {
        { "ailia", 5, 5, 0, PREP_RGB16_NONE, 0 }, { "paper;roi=1,2,3,4", 17, 5, 3, PREP_RGB16_NONE, 0 },
        { "ailia;roi=1,2,3,4;more", 17, 5, 3, PREP_RGB16_NONE, 0 }, { "", 0, 0, 0, PREP_RGB16_NONE, 0 },
        { "mahalanobisad;rgb16=pil", 23, 13, 0, 1, 0 }, { "paper;roi=0,0,9,9;rgb16=opencv", 30, 5, 9, 2, 0 },
        { "ailia;rgb16=9", 13, 5, 0, 9, 0 }, { "ailia;rgb16=12", 14, 5, 0, 12, 0 }, { "ailia;rgb16=15", 14, 5, 0, 15, 0 },
        { ";rgb16=pil", 10, 0, 0, 1, 0 },   /* an empty name is the preset's business, not the keys' */
        { "paper;roi=1,2,3,4;align=8", 25, 5, 3, PREP_RGB16_NONE, 8 },
        { "ailia;roi=1,2,3,4;align=256;rgb16=12", 36, 5, 3, 12, 256 },
        { "ailia;roi=1,2,3,4;align=64", 26, 5, 3, PREP_RGB16_NONE, 64 },
    };
    for (size_t k = 0; k < sizeof good / sizeof good[0]; k++) {
        prep_spec sp;
        effad_error e = { 0 };
        CHECK_MSG(prep_spec_split(good[k].s, good[k].len, &sp, &e) == EFFAD_OK, "%s: %s", good[k].s, e.msg);
        CHECK_MSG(sp.name_len == good[k].name_len && sp.roi.w == good[k].w && sp.rgb16 == good[k].rgb16 &&
                  sp.align == good[k].align, "%s", good[k].s);
        /* written back: the same text */
        char suffix[PREP_SPEC_SUFFIX_BYTES];
        prep_spec_suffix(&sp.roi, sp.align, sp.rgb16, suffix);
        CHECK_MSG(strlen(suffix) == good[k].len - good[k].name_len &&
                  !memcmp(suffix, good[k].s + good[k].name_len, strlen(suffix)), "%s -> %s", good[k].s, suffix);
    }
    static const char *bad[] = { "ailia;", "ailia;roi=", "ailia;roi=1,2,3", "ailia;roi=1,2,3,4;x", "ailia;ROI=1,2,3,4",
                                 "ailia;rot=1,2,3,4", "ailia;roi=1,2,0,4", ";roi=1,2,3,4,", "a;b;roi=1,2,3,4",
                                 "ailia;rgb16=", "ailia;rgb16=scale", "ailia;rgb16=8", "ailia;rgb16=16", "ailia;rgb16=09",
                                 "ailia;rgb16=PIL", "ailia;rgb16=pil;roi=1,2,3,4", "ailia;rgb16=pil;rgb16=pil",
                                 "ailia;roi=1,2,3,4;roi=1,2,3,4", "ailia;rgb16=pil;", "ailia;align=8",
                                 "ailia;roi=1,2,3,4;align=0", "ailia;roi=1,2,3,4;align=08", "ailia;roi=1,2,3,4;align=257",
                                 "ailia;roi=1,2,3,4;align=", "ailia;roi=1,2,3,4;rgb16=pil;align=8",
                                 "ailia;roi=1,2,3,4;align=8;align=8", "ailia;roi=1,2,3,4;align=-1" };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        prep_spec sp;
        effad_error e = { 0 };
        CHECK_MSG(prep_spec_split(bad[k], strlen(bad[k]), &sp, &e) == EFFAD_ERR_FORMAT, "'%s' accepted", bad[k]);
        CHECK_STR_CONTAINS(e.msg, "only ';roi=X,Y,W,H', ';align=1..256' (after a region) and then ';rgb16=pil|opencv|9..15' are known");
    }
    char num[4];
    CHECK(!strcmp(prep_rgb16_name(PREP_RGB16_NONE, num), "scale") && !strcmp(prep_rgb16_name(0, num), "scale") &&
          !strcmp(prep_rgb16_name(1, num), "pil") && !strcmp(prep_rgb16_name(2, num), "opencv") &&
          !strcmp(prep_rgb16_name(9, num), "9") && !strcmp(prep_rgb16_name(14, num), "14"));
}

/* A one-level model fitted on a few samples. */
static void make_model(gauss_model *m, const char *preset, const image_roi *roi)
{
    effad_error e;
    memset(m, 0, sizeof *m);
    m->model_hash = 42;
    m->input_h = m->input_w = 64; m->input_c = 3;
    m->preset = strdup(preset);
    m->taps = strdup("stage-start:0");
    if (roi) m->roi = *roi;
    m->n_levels = 1;
    m->levels = calloc(1, sizeof *m->levels);
    gauss_stats s;
    gauss_stats_init(&s, 3, &e);
    for (int i = 0; i < 20; i++) {
        const float x[3] = { (float)(i % 7), (float)(i % 5) * 0.5f, (float)((i * 3) % 11) };
        gauss_stats_add(&s, x, &e);
    }
    CHECK(gauss_level_fit(&m->levels[0], &s, NULL, &e) == EFFAD_OK);
    gauss_stats_free(&s);
}

static uint8_t *encode(const gauss_model *m, size_t *len)
{
    effad_error e;
    *len = gauss_file_size(m);
    uint8_t *buf = malloc(*len);
    CHECK(gauss_file_encode(m, buf, *len, &e) == EFFAD_OK);
    return buf;
}

static void check_gauss(void)
{
    const image_roi roi = { 3, 4, 50, 60 };
    gauss_model m, r;
    effad_error e = { 0 };
    size_t len, len2;

    /* without a region the preset string is the name alone: builds before
     * the region read these files as they did */
    make_model(&m, "ailia", NULL);
    uint8_t *buf = encode(&m, &len);
    CHECK(buf[52] == 5 && !memcmp(buf + 64, "ailia", 5) && buf[64 + 5] != ';');
    CHECK(gauss_file_decode(buf, len, &r, &e) == EFFAD_OK && r.roi.w == 0 && !strcmp(r.preset, "ailia") &&
          r.rgb16 == PREP_RGB16_NONE);
    gauss_model_free(&r);
    gauss_model_free(&m);
    free(buf);

    /* with one and a 16-bit rule: read back as the name, the region and the rule */
    make_model(&m, "paper", &roi);
    m.rgb16 = 2;
    buf = encode(&m, &len);
    static const char stored[] = "paper;roi=3,4,50,60;rgb16=opencv";
    CHECK_EQ_INT(buf[52], sizeof stored - 1);
    CHECK(!memcmp(buf + 64, stored, sizeof stored - 1));
    CHECK_MSG(gauss_file_decode(buf, len, &r, &e) == EFFAD_OK, "%s", e.msg);
    CHECK(!strcmp(r.preset, "paper") && roi_equal(&r.roi, &roi) && r.rgb16 == 2);
    uint8_t *buf2 = encode(&r, &len2);
    CHECK(len2 == len && !memcmp(buf, buf2, len));
    free(buf2);
    gauss_model_free(&r);

    /* the in-place reader (firmware): the name alone, the region beside it,
     * the combining rule of the name */
    gauss_view v;
    CHECK_MSG(gauss_view_open(&v, buf, len, &e) == EFFAD_OK, "%s", e.msg);
    CHECK(v.preset_len == 5 && !memcmp(v.preset, "paper", 5) && roi_equal(&v.roi, &roi) && v.combine_mean == 1 &&
          v.rgb16 == 2);

    /* a malformed region, well sealed: refused by both readers */
    static const char *tamper[] = { "paper;roi=3,4,00,60;rgb16=opencv", "paper;roi=3,4,5O,60;rgb16=opencv",
                                    "paper;rox=3,4,50,60;rgb16=opencv", "paper;roi=3,4,50,60;rgb16=openc5",
                                    "paper;roi=3,4,50,60:rgb16=opencv", "paper;roi=3,4,50,60;rgb16=opencV" };
    for (size_t k = 0; k < sizeof tamper / sizeof tamper[0]; k++) {
        uint8_t *t = malloc(len);
        memcpy(t, buf, len);
        memcpy(t + 64, tamper[k], sizeof stored - 1);
        reseal(t, len);
        CHECK_MSG(gauss_file_decode(t, len, &r, &e) == EFFAD_ERR_FORMAT, "%s accepted", tamper[k]);
        CHECK_STR_CONTAINS(e.msg, "only ';roi=X,Y,W,H', ';align=1..256' (after a region) and then");
        CHECK(gauss_view_open(&v, t, len, &e) == EFFAD_ERR_FORMAT);
        free(t);
    }
    /* every prefix and bit flip of the file with a region refused */
    CHECK_EQ_INT(accepted_prefixes(buf, len), 0);
    CHECK_EQ_INT(accepted_bit_flips(buf, len), 0);
    free(buf);
    gauss_model_free(&m);
}

static void check_mask(void)
{
    char dir[] = "/tmp/test-roi-XXXXXX", path[64];
    if (!mkdtemp(dir)) { CHECK_MSG(0, "mkdtemp"); return; }
    snprintf(path, sizeof path, "%s/m_mask.png", dir);
    const int W = 40, H = 30;
    uint8_t *px = malloc((size_t)W * H);
    for (int i = 0; i < W * H; i++) px[i] = (uint8_t)(rand_below(3) ? 0 : 255);
    effad_error e = { 0 };
    CHECK(image_write_png(path, px, W, H, 1, &e) == EFFAD_OK);
    const image_roi roi = { 5, 6, 20, 10 };
    uint8_t *m = 0;
    CHECK_MSG(mask_load(path, &roi, 20, 10, &m, &e) == EFFAD_OK, "%s", e.msg);
    int same = m != NULL;
    for (int y = 0; m && y < 10; y++)
        for (int x = 0; x < 20; x++) same &= m[y * 20 + x] == (px[(y + 6) * W + x + 5] > 127);
    CHECK(same);
    free(m);
    /* without a region the mask must be the image's size, as before */
    CHECK(mask_load(path, NULL, W, H, &m, &e) == EFFAD_OK);
    free(m);
    CHECK(mask_load(path, NULL, 20, 10, &m, &e) == EFFAD_ERR_MISMATCH && !m);
    const image_roi past = { 25, 6, 20, 10 };
    CHECK(mask_load(path, &past, 20, 10, &m, &e) == EFFAD_ERR_MISMATCH && !m);
    CHECK_STR_CONTAINS(e.msg, "m_mask.png: the image is 40x30");
    CHECK(mask_load(path, &roi, 20, 11, &m, &e) == EFFAD_ERR_MISMATCH && !m);
    unlink(path);
    rmdir(dir);
    free(px);
}

int main(void)
{
    check_text();
    check_crop();
    check_preset_split();
    check_gauss();
    check_mask();
    return check_done("test-roi");
}
