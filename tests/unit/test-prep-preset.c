/* Presets end to end against the code each is named after (the ailia
 * sample's preprocess(), torchvision 0.14 transforms, albumentations'
 * arithmetic after cv2.resize; tests/gen-prep-goldens.py) and the
 * MahalanobisAD augmentation with fixed draws. Preset outputs must agree bit
 * for bit: small cases stored in full, the 224/256 cases by checksum of the
 * float32 bytes; the augmentation within 1e-6. */
#include <stdlib.h>
#include "check.h"
#include "prep-fixture.h"
#include "preprocess.h"
#include "augment.h"

static double max_abs_diff(const float *a, const float *b, size_t n)
{
    double m = 0;
    for (size_t i = 0; i < n; i++) { double d = fabs((double)a[i] - b[i]); if (d > m) m = d; }
    return m;
}

static void preset_case(const char *line, void *ctx)
{
    (void)ctx;
    char name[32], kind[16], ref[64];
    int seed, w, h, oh, ow, rs;
    int n = sscanf(line, "%31s %15s %d %d %d %d %d %d %63s", name, kind, &seed, &w, &h, &oh, &ow, &rs, ref);
    CHECK_MSG(n == 9, "bad preset line: %.200s", line);
    if (n != 9) return;
    preprocess_cfg cfg;
    effad_error e = {0};
    CHECK_MSG(preprocess_by_name(name, oh, ow, &cfg, &e) == EFFAD_OK, "%.300s", e.msg);
    if (rs) cfg.resize_short = rs;
    uint8_t *in = prep_synth(kind, seed, w, h);
    size_t count = (size_t)3 * oh * ow;
    float *out = malloc(count * sizeof *out);
    size_t sb = preprocess_scratch_bytes(&cfg, w, h);
    CHECK(sb > 0);
    void *scratch = malloc(sb);
    CHECK_MSG(preprocess_run(&cfg, in, w, h, out, scratch, sb, &e) == EFFAD_OK, "%.300s", e.msg);
    if (strstr(ref, ".f32")) {
        size_t rn = 0;
        float *want = prep_read_f32(ref, &rn);
        CHECK_MSG(want && rn == count, "%s: missing or wrong size (%zu floats, want %zu)", ref, rn, count);
        if (want && rn == count) {
            double d = max_abs_diff(out, want, count);
            /* bit for bit: the presets are named after what they reproduce */
            CHECK_MSG(d == 0, "preset %s %s %dx%d -> %dx%d: max abs diff %g vs its reference", name, kind, w, h,
                      ow, oh, d);
        }
        free(want);
    } else {
        char got[32];
        /* the checksum is over the little-endian bytes, as numpy wrote them */
        uint8_t *le = malloc(count * 4);
        for (size_t k = 0; le && k < count; k++) {
            uint32_t u;
            memcpy(&u, &out[k], 4);
            le[4 * k] = (uint8_t)u; le[4 * k + 1] = (uint8_t)(u >> 8);
            le[4 * k + 2] = (uint8_t)(u >> 16); le[4 * k + 3] = (uint8_t)(u >> 24);
        }
        snprintf(got, sizeof got, "%016llx", le ? (unsigned long long)prep_fnv64(le, count * 4) : 0ull);
        free(le);
        CHECK_MSG(!strcmp(got, ref), "preset %s %s %dx%d -> %dx%d: float32 checksum %s, reference %s",
                  name, kind, w, h, ow, oh, got, ref);
    }
    free(in); free(out); free(scratch);
}

static void aug_case(const char *line, void *ctx)
{
    (void)ctx;
    char kind[16], file[64];
    int seed, w, h, oh, ow, rs;
    augment_draw d;
    int n = sscanf(line, "%15s %d %d %d %d %d %d %d %d %d %63s", kind, &seed, &w, &h, &oh, &ow, &rs,
                   &d.angle_deg, &d.top, &d.left, file);
    CHECK_MSG(n == 11, "bad aug line: %.200s", line);
    if (n != 11) return;
    preprocess_cfg cfg;
    effad_error e = {0};
    CHECK(preprocess_by_name("ailia", oh, ow, &cfg, &e) == EFFAD_OK);
    cfg.resize_short = rs;
    uint8_t *in = prep_synth(kind, seed, w, h);
    size_t count = (size_t)3 * oh * ow, rn = 0;
    float *out = malloc(count * sizeof *out);
    CHECK_MSG(augment_apply(&cfg, in, w, h, &d, out, NULL, 0, &e) == EFFAD_OK, "%.300s", e.msg);
    float *want = prep_read_f32(file, &rn);
    CHECK_MSG(want && rn == count, "%s: missing or wrong size", file);
    if (want && rn == count) {
        double diff = max_abs_diff(out, want, count);
        CHECK_MSG(diff <= 1e-6, "augment %s angle %d crop (%d,%d): max abs diff %g", file, d.angle_deg, d.top,
                  d.left, diff);
    }
    free(in); free(out); free(want);
}

static void geometry(void)
{
    preprocess_cfg cfg;
    effad_error e = {0};
    int rw, rh, top, left;
    CHECK(preprocess_by_name("mahalanobisad", 224, 224, &cfg, &e) == EFFAD_OK);
    CHECK_EQ_INT(cfg.resize_short, 256);
    CHECK(preprocess_resized_size(&cfg, 1024, 768, &rw, &rh, &e) == EFFAD_OK);
    CHECK(rw == 341 && rh == 256);
    CHECK(preprocess_resized_size(&cfg, 768, 1024, &rw, &rh, &e) == EFFAD_OK);
    CHECK(rw == 256 && rh == 341);
    CHECK(preprocess_resized_size(&cfg, 900, 900, &rw, &rh, &e) == EFFAD_OK);
    CHECK(rw == 256 && rh == 256);
    CHECK(preprocess_resized_size(&cfg, 30, 1000, &rw, &rh, &e) == EFFAD_OK);   /* int(256*1000/30) */
    CHECK(rw == 256 && rh == 8533);
    /* torchvision: int(round(117 / 2.0)) = 58, int(round(35 / 2.0)) = 18. */
    CHECK(preprocess_crop_origin(&cfg, 341, 256, &top, &left, &e) == EFFAD_OK);
    CHECK(top == 16 && left == 58);
    cfg.out_w = 56;
    CHECK(preprocess_crop_origin(&cfg, 91, 256, &top, &left, &e) == EFFAD_OK);
    CHECK_EQ_INT(left, 18);
    /* ailia-models mahalanobisad.py: pad_w = (w - crop_size) // 2 */
    CHECK(preprocess_by_name("ailia", 224, 56, &cfg, &e) == EFFAD_OK);
    CHECK(preprocess_crop_origin(&cfg, 91, 256, &top, &left, &e) == EFFAD_OK);
    CHECK_EQ_INT(left, 17);
    CHECK(preprocess_crop_origin(&cfg, 91, 259, &top, &left, &e) == EFFAD_OK);
    CHECK(top == 17 && left == 17);
    CHECK(preprocess_by_name("mahalanobisad", 224, 56, &cfg, &e) == EFFAD_OK);
    CHECK(preprocess_crop_origin(&cfg, 91, 259, &top, &left, &e) == EFFAD_OK);
    CHECK(top == 18 && left == 18);
    CHECK(preprocess_by_name("ailia", 380, 380, &cfg, &e) == EFFAD_OK);
    CHECK_EQ_INT(cfg.resize_short, 434);
    CHECK(preprocess_by_name("paper", 256, 224, &cfg, &e) == EFFAD_OK);
    CHECK(preprocess_resized_size(&cfg, 1024, 768, &rw, &rh, &e) == EFFAD_OK);
    CHECK(rw == 224 && rh == 256);
    CHECK(preprocess_crop_origin(&cfg, rw, rh, &top, &left, &e) == EFFAD_OK);
    CHECK(top == 0 && left == 0);
}

/* The crop window in source pixels: what the --save figure outlines and
 * what the "discards more than a quarter" warning measures. */
static void crop_in_source(void)
{
    preprocess_cfg cfg;
    effad_error e = {0};
    double box[4], kept = 0;
    CHECK(preprocess_by_name("ailia", 224, 224, &cfg, &e) == EFFAD_OK);
    /* 1024x768 -> 341x256, crop at (58, 16): x scale 1024/341, y scale 3 */
    CHECK(preprocess_crop_in_source(&cfg, 1024, 768, box, &kept, &e) == EFFAD_OK);
    CHECK_NEAR(box[0], 58.0 * 1024 / 341, 1e-9);
    CHECK_NEAR(box[1], 48.0, 1e-9);
    CHECK_NEAR(box[2], 282.0 * 1024 / 341, 1e-9);
    CHECK_NEAR(box[3], 720.0, 1e-9);
    CHECK_NEAR(kept, 224.0 * 224 / (341.0 * 256), 1e-12);
    CHECK(kept < 0.75);
    /* square: 256 -> 224 keeps 76.6%, just inside the warning's quarter */
    CHECK(preprocess_crop_in_source(&cfg, 900, 900, box, &kept, &e) == EFFAD_OK);
    CHECK_NEAR(kept, 224.0 * 224 / (256.0 * 256), 1e-12);
    CHECK(kept > 0.75);
    CHECK(preprocess_by_name("paper", 224, 224, &cfg, &e) == EFFAD_OK);
    CHECK(preprocess_crop_in_source(&cfg, 1024, 300, box, &kept, &e) == EFFAD_OK);
    CHECK(box[0] == 0 && box[1] == 0 && box[2] == 1024 && box[3] == 300 && kept == 1);
    CHECK(preprocess_crop_in_source(&cfg, 0, 300, box, &kept, &e) == EFFAD_ERR_ARG);
    CHECK(!strcmp(preprocess_uncropped_preset(), "paper"));
}

/* The one rename table: .gauss version 1 named the torchvision rounding
 * "ailia" and the sample's floor "ailia-floor". */
static void renames(void)
{
    CHECK(preprocess_preset_renamed(1, "ailia") && !strcmp(preprocess_preset_renamed(1, "ailia"), "mahalanobisad"));
    CHECK(preprocess_preset_renamed(1, "ailia-floor") && !strcmp(preprocess_preset_renamed(1, "ailia-floor"), "ailia"));
    CHECK(preprocess_preset_renamed(1, "paper") == NULL);
    CHECK(preprocess_preset_renamed(2, "ailia") == NULL);
    CHECK(preprocess_preset_renamed(1, NULL) == NULL);
    preprocess_cfg cfg;
    effad_error e = {0};
    CHECK(preprocess_by_name("ailia-floor", 224, 224, &cfg, &e) == EFFAD_ERR_ARG);
    PREP_CHECK_HAS(e.msg, "mahalanobisad");
    CHECK(preprocess_by_name("ailia", 224, 224, &cfg, &e) == EFFAD_OK && cfg.crop == PREP_CROP_CENTER_FLOOR &&
          cfg.normalize == PREP_NORM_TORCHVISION);
    CHECK(preprocess_by_name("mahalanobisad", 224, 224, &cfg, &e) == EFFAD_OK && cfg.crop == PREP_CROP_CENTER_ROUND);
    CHECK(preprocess_by_name("paper", 224, 224, &cfg, &e) == EFFAD_OK && cfg.normalize == PREP_NORM_ALBUMENTATIONS);
}

static void errors(void)
{
    preprocess_cfg cfg;
    effad_error e = {0};
    uint8_t img[16 * 16 * 3] = {0};
    float out[3 * 8 * 8];
    int rw, rh, top, left;

    CHECK(preprocess_by_name("nope", 224, 224, &cfg, &e) == EFFAD_ERR_ARG);
    PREP_CHECK_HAS(e.msg, "nope");
    CHECK(preprocess_by_name(NULL, 224, 224, &cfg, &e) == EFFAD_ERR_ARG);
    CHECK(preprocess_by_name("ailia", 224, 224, NULL, &e) == EFFAD_ERR_ARG);
    CHECK(preprocess_by_name("ailia", 0, 224, &cfg, &e) == EFFAD_ERR_ARG);
    CHECK(preprocess_by_name("paper", 224, -5, &cfg, &e) == EFFAD_ERR_ARG);

    CHECK(preprocess_by_name("ailia", 8, 8, &cfg, &e) == EFFAD_OK);
    cfg.resize_short = 10;
    CHECK(preprocess_run(&cfg, NULL, 16, 16, out, NULL, 0, &e) == EFFAD_ERR_ARG);
    CHECK(preprocess_run(&cfg, img, 16, 16, NULL, NULL, 0, &e) == EFFAD_ERR_ARG);
    CHECK(preprocess_run(NULL, img, 16, 16, out, NULL, 0, &e) == EFFAD_ERR_ARG);
    CHECK(preprocess_run(&cfg, img, 0, 16, out, NULL, 0, &e) == EFFAD_ERR_ARG);
    CHECK(preprocess_run(&cfg, img, 16, -1, out, NULL, 0, &e) == EFFAD_ERR_ARG);
    CHECK_EQ_INT(preprocess_scratch_bytes(&cfg, 0, 16), 0);
    CHECK_EQ_INT(preprocess_scratch_bytes(NULL, 16, 16), 0);
    CHECK(preprocess_run(&cfg, img, 16, 16, out, NULL, 0, &e) == EFFAD_OK);
    uint8_t tiny[16];
    CHECK(preprocess_run(&cfg, img, 16, 16, out, tiny, sizeof tiny, &e) == EFFAD_ERR_NOMEM);
    PREP_CHECK_HAS(e.msg, "scratch");

    /* Crop larger than the resized image: torchvision pads, we refuse. */
    cfg.resize_short = 6;
    CHECK(preprocess_run(&cfg, img, 16, 16, out, NULL, 0, &e) == EFFAD_ERR_ARG);
    PREP_CHECK_HAS(e.msg, "larger");
    CHECK(preprocess_crop_origin(&cfg, 7, 100, &top, &left, &e) == EFFAD_ERR_ARG);
    cfg.resize_short = 0;
    CHECK(preprocess_run(&cfg, img, 16, 16, out, NULL, 0, &e) == EFFAD_ERR_ARG);
    CHECK(preprocess_resized_size(&cfg, 16, 16, &rw, &rh, &e) == EFFAD_ERR_ARG);
    CHECK(preprocess_by_name("ailia", 8, 8, &cfg, &e) == EFFAD_OK);
    cfg.std[1] = 0;
    CHECK(preprocess_run(&cfg, img, 16, 16, out, NULL, 0, &e) == EFFAD_ERR_ARG);
    PREP_CHECK_HAS(e.msg, "std");
    CHECK(preprocess_by_name("ailia", 8, 8, &cfg, &e) == EFFAD_OK);
    cfg.sampler = (prep_sampler)17;
    CHECK(preprocess_run(&cfg, img, 16, 16, out, NULL, 0, &e) == EFFAD_ERR_ARG);
    CHECK(preprocess_by_name("ailia", 8, 8, &cfg, &e) == EFFAD_OK);
    cfg.normalize = (prep_normalize)5;
    CHECK(preprocess_run(&cfg, img, 16, 16, out, NULL, 0, &e) == EFFAD_ERR_ARG);
    PREP_CHECK_HAS(e.msg, "normalisation");
    /* No crop but a resized size that is not the output. */
    CHECK(preprocess_by_name("ailia", 8, 8, &cfg, &e) == EFFAD_OK);
    cfg.crop = PREP_CROP_NONE;
    CHECK(preprocess_run(&cfg, img, 16, 16, out, NULL, 0, &e) == EFFAD_ERR_ARG);
    /* A resize that would exceed the supported size. */
    CHECK(preprocess_by_name("ailia", 224, 224, &cfg, &e) == EFFAD_OK);
    CHECK(preprocess_resized_size(&cfg, 1, 30000, &rw, &rh, &e) == EFFAD_ERR_ARG);

    /* Augmentation wants the shorter-side presets and a crop inside. */
    augment_draw d = { 3, 0, 0 };
    CHECK(preprocess_by_name("paper", 8, 8, &cfg, &e) == EFFAD_OK);
    CHECK(augment_apply(&cfg, img, 16, 16, &d, out, NULL, 0, &e) == EFFAD_ERR_ARG);
    CHECK(preprocess_by_name("ailia", 8, 8, &cfg, &e) == EFFAD_OK);
    cfg.resize_short = 10;
    d.top = 3;
    CHECK(augment_apply(&cfg, img, 16, 16, &d, out, NULL, 0, &e) == EFFAD_ERR_ARG);
    PREP_CHECK_HAS(e.msg, "outside");
    d.top = 2;
    CHECK(augment_apply(&cfg, img, 16, 16, &d, out, NULL, 0, &e) == EFFAD_OK);
    CHECK(augment_apply(&cfg, img, 16, 16, &d, out, tiny, sizeof tiny, &e) == EFFAD_ERR_NOMEM);
    CHECK(augment_apply(&cfg, img, 16, 16, NULL, out, NULL, 0, &e) == EFFAD_ERR_ARG);
    size_t ab = augment_scratch_bytes(&cfg, 16, 16);
    void *s = malloc(ab);
    CHECK(augment_apply(&cfg, img, 16, 16, &d, out, s, ab, &e) == EFFAD_OK);
    free(s);
}

int main(void)
{
    CHECK_MSG(prep_manifest("preset", preset_case, NULL) >= 10, "expected preset goldens");
    CHECK_MSG(prep_manifest("aug", aug_case, NULL) >= 2, "expected augmentation goldens");
    geometry();
    crop_in_source();
    renames();
    errors();
    return check_done("test-prep-preset");
}
