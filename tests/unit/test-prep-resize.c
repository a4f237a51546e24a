/* PIL and OpenCV resizers against Pillow 9.4 / OpenCV 4.6 goldens: every
 * case must be bit-exact (checksum of the whole output). */
#include <stdlib.h>
#include "check.h"
#include "prep-fixture.h"
#include "resize.h"

static void pil_case(const char *line, void *ctx)
{
    (void)ctx;
    char kind[16], box_s[4][40], hex[32];
    int seed, w, h, ow, oh, filt;
    float box[4];
    int n = sscanf(line, "%15s %d %d %d %d %d %d %39s", kind, &seed, &w, &h, &ow, &oh, &filt, box_s[0]);
    CHECK_MSG(n == 8, "bad pil line: %.200s", line);
    if (n != 8) return;
    int has_box = strcmp(box_s[0], "-") != 0;
    if (has_box) {
        n = sscanf(line, "%*s %*d %*d %*d %*d %*d %*d %39s %39s %39s %39s %31s",
                   box_s[0], box_s[1], box_s[2], box_s[3], hex);
        CHECK_MSG(n == 5, "bad pil box line: %.200s", line);
        for (int i = 0; i < 4; i++) box[i] = (float)strtod(box_s[i], NULL);
    } else {
        n = sscanf(line, "%*s %*d %*d %*d %*d %*d %*d %*s %31s", hex);
        CHECK_MSG(n == 1, "bad pil line: %.200s", line);
    }
    uint8_t *in = prep_synth(kind, seed, w, h);
    uint8_t *out = malloc((size_t)ow * oh * 3);
    size_t sb = resize_pil_scratch_bytes(w, h, ow, oh, (resize_pil_filter)filt, has_box ? box : NULL);
    void *scratch = malloc(sb);
    effad_error e = {0};
    effad_status st = resize_pil_rgb8(in, w, h, out, ow, oh, (resize_pil_filter)filt, has_box ? box : NULL,
                                      scratch, sb, &e);
    CHECK_MSG(st == EFFAD_OK, "%.300s", e.msg);
    char got[32];
    snprintf(got, sizeof got, "%016llx", (unsigned long long)prep_fnv64(out, (size_t)ow * oh * 3));
    CHECK_MSG(!strcmp(got, hex), "pil %s seed %d %dx%d -> %dx%d filter %d%s: checksum %s, PIL %s",
              kind, seed, w, h, ow, oh, filt, has_box ? " (box)" : "", got, hex);
    free(in); free(out); free(scratch);
}

static void cv_case(const char *line, void *ctx)
{
    (void)ctx;
    char kind[16], hex[32];
    int seed, w, h, ow, oh;
    int n = sscanf(line, "%15s %d %d %d %d %d %31s", kind, &seed, &w, &h, &ow, &oh, hex);
    CHECK_MSG(n == 7, "bad cv line: %.200s", line);
    if (n != 7) return;
    uint8_t *in = prep_synth(kind, seed, w, h);
    uint8_t *out = malloc((size_t)ow * oh * 3);
    effad_error e = {0};
    /* No scratch: the resizer allocates its own. */
    effad_status st = resize_cv_linear_rgb8(in, w, h, out, ow, oh, NULL, 0, &e);
    CHECK_MSG(st == EFFAD_OK, "%.300s", e.msg);
    char got[32];
    snprintf(got, sizeof got, "%016llx", (unsigned long long)prep_fnv64(out, (size_t)ow * oh * 3));
    CHECK_MSG(!strcmp(got, hex), "cv %s seed %d %dx%d -> %dx%d: checksum %s, OpenCV %s",
              kind, seed, w, h, ow, oh, got, hex);
    free(in); free(out);
}

/* The stored small case: pins the synthesiser and shows where a mismatch is. */
static void pinned_small(void)
{
    size_t n_in = 0, n_pil = 0, n_cv = 0;
    uint8_t *in = prep_read("scene7-37x23.rgb", &n_in);
    uint8_t *pil = prep_read("scene7-37x23-pil-lanczos-101x57.rgb", &n_pil);
    uint8_t *cv = prep_read("scene7-37x23-cv-linear-101x57.rgb", &n_cv);
    CHECK(in && pil && cv);
    if (!in || !pil || !cv) { free(in); free(pil); free(cv); return; }
    CHECK_EQ_INT(n_in, 37 * 23 * 3);
    uint8_t *syn = prep_synth("scene", 7, 37, 23);
    CHECK_MSG(!memcmp(syn, in, n_in), "C synthesiser differs from the generator's");
    uint8_t out[101 * 57 * 3];
    effad_error e = {0};
    CHECK(resize_pil_rgb8(in, 37, 23, out, 101, 57, RESIZE_PIL_LANCZOS, NULL, NULL, 0, &e) == EFFAD_OK);
    int maxd = 0;
    for (size_t i = 0; i < sizeof out; i++) { int d = abs(out[i] - pil[i]); if (d > maxd) maxd = d; }
    CHECK_MSG(maxd == 0, "PIL lanczos 37x23->101x57: max abs diff %d", maxd);
    CHECK(resize_cv_linear_rgb8(in, 37, 23, out, 101, 57, NULL, 0, &e) == EFFAD_OK);
    maxd = 0;
    for (size_t i = 0; i < sizeof out; i++) { int d = abs(out[i] - cv[i]); if (d > maxd) maxd = d; }
    CHECK_MSG(maxd == 0, "cv linear 37x23->101x57: max abs diff %d", maxd);
    free(syn); free(in); free(pil); free(cv);
}

static void errors(void)
{
    uint8_t in[12] = {0}, out[12];
    effad_error e = {0};
    CHECK(resize_pil_rgb8(NULL, 2, 2, out, 2, 2, RESIZE_PIL_LANCZOS, NULL, NULL, 0, &e) == EFFAD_ERR_ARG);
    CHECK(resize_pil_rgb8(in, 2, 2, NULL, 2, 2, RESIZE_PIL_LANCZOS, NULL, NULL, 0, &e) == EFFAD_ERR_ARG);
    CHECK(resize_pil_rgb8(in, 0, 2, out, 2, 2, RESIZE_PIL_LANCZOS, NULL, NULL, 0, &e) == EFFAD_ERR_ARG);
    PREP_CHECK_HAS(e.msg, "positive");
    CHECK(resize_pil_rgb8(in, 2, 2, out, 2, -1, RESIZE_PIL_LANCZOS, NULL, NULL, 0, &e) == EFFAD_ERR_ARG);
    CHECK(resize_pil_rgb8(in, 2, 2, out, 2, 2, (resize_pil_filter)42, NULL, NULL, 0, &e) == EFFAD_ERR_ARG);
    PREP_CHECK_HAS(e.msg, "filter");
    float bad_box[4] = { 0, 0, 3, 2 };
    CHECK(resize_pil_rgb8(in, 2, 2, out, 2, 2, RESIZE_PIL_LANCZOS, bad_box, NULL, 0, &e) == EFFAD_ERR_ARG);
    PREP_CHECK_HAS(e.msg, "box");
    float empty_box[4] = { 1, 0, 1, 2 };
    CHECK(resize_pil_rgb8(in, 2, 2, out, 2, 2, RESIZE_PIL_LANCZOS, empty_box, NULL, 0, &e) == EFFAD_ERR_ARG);
    CHECK_EQ_INT(resize_pil_scratch_bytes(0, 1, 1, 1, RESIZE_PIL_LANCZOS, NULL), 0);
    uint8_t small[8];
    CHECK(resize_pil_rgb8(in, 2, 2, out, 1, 1, RESIZE_PIL_LANCZOS, NULL, small, sizeof small, &e) == EFFAD_ERR_NOMEM);
    PREP_CHECK_HAS(e.msg, "scratch");

    CHECK(resize_cv_linear_rgb8(NULL, 2, 2, out, 2, 2, NULL, 0, &e) == EFFAD_ERR_ARG);
    CHECK(resize_cv_linear_rgb8(in, 2, 2, NULL, 2, 2, NULL, 0, &e) == EFFAD_ERR_ARG);
    CHECK(resize_cv_linear_rgb8(in, 2, 0, out, 2, 2, NULL, 0, &e) == EFFAD_ERR_ARG);
    CHECK(resize_cv_linear_rgb8(in, 2, 2, out, -3, 2, NULL, 0, &e) == EFFAD_ERR_ARG);
    CHECK_EQ_INT(resize_cv_linear_scratch_bytes(1, 1, 0, 1), 0);
    CHECK(resize_cv_linear_rgb8(in, 2, 2, out, 1, 3, small, sizeof small, &e) == EFFAD_ERR_NOMEM);
    CHECK(resize_cv_linear_rgb8(in, 2, 2, out, 1, 1, NULL, 0, NULL) == EFFAD_OK);   /* 2x: area path, no scratch */
}

/* Same-size resizes are copies in both libraries; a constant image stays
 * constant through every filter (the taps are normalised). */
static void properties(void)
{
    uint8_t img[13 * 7 * 3], out[29 * 11 * 3];
    for (size_t i = 0; i < sizeof img; i++) img[i] = (uint8_t)(i * 37 + 11);
    CHECK(resize_pil_rgb8(img, 13, 7, out, 13, 7, RESIZE_PIL_LANCZOS, NULL, NULL, 0, NULL) == EFFAD_OK);
    CHECK(!memcmp(img, out, sizeof img));
    CHECK(resize_cv_linear_rgb8(img, 13, 7, out, 13, 7, NULL, 0, NULL) == EFFAD_OK);
    CHECK(!memcmp(img, out, sizeof img));
    memset(img, 200, sizeof img);
    for (int f = RESIZE_PIL_BOX; f <= RESIZE_PIL_LANCZOS; f++) {
        CHECK(resize_pil_rgb8(img, 13, 7, out, 29, 11, (resize_pil_filter)f, NULL, NULL, 0, NULL) == EFFAD_OK);
        int ok = 1;
        for (size_t i = 0; i < 29 * 11 * 3; i++) ok &= out[i] == 200;
        CHECK_MSG(ok, "filter %d changes a constant image", f);
    }
}

/* A window of the result is the whole result cut to it, on every kind of
 * pass: both, only the horizontal or only the vertical one (a side that
 * keeps its size), none; every filter, boxes, windows at every edge. */
static void windows(void)
{
    srand(19);
    effad_error e = {0};
    for (int t = 0; t < 400; t++) {
        const int iw = 1 + rand() % 90, ih = 1 + rand() % 70;
        const int ow = t % 4 == 1 || t % 4 == 3 ? iw : 1 + rand() % 120, oh = t % 4 >= 2 ? ih : 1 + rand() % 100;
        const resize_pil_filter f = (resize_pil_filter)(t % 5);
        float box[4] = { 0, 0, (float)iw, (float)ih };
        if (t % 7 == 3) { box[0] = (float)(iw / 4); box[1] = (float)(ih / 5) + 0.5f; }
        uint8_t *in = malloc((size_t)iw * ih * 3), *full = malloc((size_t)ow * oh * 3), *win = malloc((size_t)ow * oh * 3);
        for (int i = 0; i < iw * ih * 3; i++) in[i] = (uint8_t)(rand() >> 4);
        const int ww = 1 + rand() % ow, wh = 1 + rand() % oh;
        const int w4[4] = { rand() % (ow - ww + 1), rand() % (oh - wh + 1), ww, wh };
        const int ok = resize_pil_rgb8(in, iw, ih, full, ow, oh, f, box, NULL, 0, &e) == EFFAD_OK &&
                       resize_pil_rgb8_window(in, iw, ih, win, ow, oh, f, box, w4, NULL, 0, &e) == EFFAD_OK;
        CHECK_MSG(ok, "%s", e.msg);
        int same = ok;
        for (int y = 0; y < wh && same; y++)
            same = !memcmp(win + (size_t)y * ww * 3, full + ((size_t)(w4[1] + y) * ow + w4[0]) * 3, (size_t)ww * 3);
        CHECK_MSG(same, "%dx%d -> %dx%d filter %d, window %d,%d,%d,%d: not the whole result cut", iw, ih, ow, oh, (int)f,
                  w4[0], w4[1], ww, wh);
        free(in); free(full); free(win);
    }
    uint8_t in[12] = {0}, out[12];
    const int outside[4] = { 1, 0, 2, 1 };
    CHECK(resize_pil_rgb8_window(in, 2, 2, out, 2, 2, RESIZE_PIL_LANCZOS, NULL, outside, NULL, 0, &e) == EFFAD_ERR_ARG);
    PREP_CHECK_HAS(e.msg, "window");
}

int main(void)
{
    int n = prep_manifest("pil", pil_case, NULL);
    CHECK_MSG(n > 50, "expected PIL goldens in " PREP_DATA "manifest.txt, found %d", n);
    n = prep_manifest("cv", cv_case, NULL);
    CHECK_MSG(n > 20, "expected OpenCV goldens, found %d", n);
    pinned_small();
    errors();
    properties();
    windows();
    return check_done("test-prep-resize");
}
