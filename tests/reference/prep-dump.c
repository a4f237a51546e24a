/* prep-dump PRESET H W RULE OUT.f32 IMAGE... -- effad's network input for
 * each image, as `effad fit/score` computes it (image_load_rgb8 with the
 * 16-bit RULE scale|pil|opencv, then the named preset for an H x W model),
 * appended to OUT.f32 as little-endian float32, 3 x H x W per image.
 * tests/reference/prep_check.py compares the bytes with each preset's
 * Python reference. Test-only; built by `make reference`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "image.h"
#include "preprocess.h"

static int fail(const char *what, const effad_error *e)
{
    fprintf(stderr, "prep-dump: %s: %s\n", what, e->msg);
    return 1;
}

int main(int argc, char **argv)
{
    if (argc < 7) {
        fprintf(stderr, "usage: prep-dump PRESET H W scale|pil|opencv OUT.f32 IMAGE...\n");
        return 2;
    }
    int oh = atoi(argv[2]), ow = atoi(argv[3]);
    image_rgb_rule rule = !strcmp(argv[4], "pil") ? IMAGE_RGB_PIL
                        : !strcmp(argv[4], "opencv") ? IMAGE_RGB_OPENCV : IMAGE_RGB_SCALE;
    if (rule == IMAGE_RGB_SCALE && strcmp(argv[4], "scale")) {
        fprintf(stderr, "prep-dump: unknown 16-bit rule '%s'\n", argv[4]);
        return 2;
    }
    effad_error e = { 0 };
    preprocess_cfg cfg;
    if (preprocess_by_name(argv[1], oh, ow, &cfg, &e)) return fail(argv[1], &e);
    FILE *out = fopen(argv[5], "wb");
    if (!out) { perror(argv[5]); return 1; }
    size_t count = (size_t)3 * oh * ow;
    float *x = malloc(count * sizeof *x);
    uint8_t *le = malloc(count * 4);
    int rc = x && le ? 0 : 1;
    for (int i = 6; i < argc && !rc; i++) {
        uint8_t *rgb;
        int w, h;
        image_orient_rule orient = preprocess_turns_by_exif(&cfg) ? IMAGE_ORIENT_EXIF : IMAGE_ORIENT_TIFF;
        if (image_load_rgb8(argv[i], rule, orient, &rgb, &w, &h, NULL, &e)) { rc = fail(argv[i], &e); break; }
        if (preprocess_run(&cfg, rgb, w, h, x, NULL, 0, &e)) rc = fail(argv[i], &e);
        free(rgb);
        for (size_t k = 0; k < count && !rc; k++) {
            uint32_t u;
            memcpy(&u, &x[k], 4);
            for (int b = 0; b < 4; b++) le[4 * k + b] = (uint8_t)(u >> 8 * b);
        }
        if (!rc && fwrite(le, 4, count, out) != count) { perror(argv[5]); rc = 1; }
    }
    if (fclose(out) && !rc) { perror(argv[5]); rc = 1; }
    free(x);
    free(le);
    return rc;
}
