/* Every fixture in tests/data/images/manifest.txt (written by
 * tests/gen-image-fixtures.py) decodes to the expected size, channels,
 * bit depth and -- for lossless formats -- exactly the expected samples,
 * and image_to_rgb8() reproduces PIL's convert('RGB') over the whole image
 * (exactly, or for JPEG within the manifest's tolerance; the measured
 * difference is printed). */
#include <stdlib.h>
#include "image-test-util.h"
#include "image.h"

#define DIR "tests/data/images/"

static void check_fixture(const char *name, int w, int h, int ch, int depth, const char *samples,
                          int tol_max, double tol_mean)
{
    char path[1024];
    snprintf(path, sizeof path, DIR "%s", name);
    effad_image img;
    effad_error e = { 0 };
    effad_status st = image_load(path, &img, &e);
    CHECK_MSG(st == EFFAD_OK, "%.300s", e.msg);
    if (st) return;
    CHECK_MSG(img.w == w && img.h == h && img.channels == ch && img.bit_depth == depth,
              "%s: got %dx%d c%d d%d, want %dx%d c%d d%d", name, img.w, img.h, img.channels, img.bit_depth,
              w, h, ch, depth);
    if (img.w != w || img.h != h || img.channels != ch || img.bit_depth != depth) { image_free(&img); return; }
    size_t nsamp = (size_t)w * h * ch, n;
    if (strcmp(samples, "-")) {
        snprintf(path, sizeof path, DIR "%s", samples);
        uint8_t *want = slurp(path, &n);
        CHECK_MSG(want && n == nsamp * (depth == 16 ? 2 : 1), "%s: samples file", name);
        size_t bad = 0;
        for (size_t i = 0; want && i < nsamp && n == nsamp * (depth == 16 ? 2 : 1); i++) {
            unsigned got = depth == 16 ? ((uint16_t *)img.px)[i] : ((uint8_t *)img.px)[i];
            unsigned exp = depth == 16 ? (unsigned)(want[2 * i] << 8 | want[2 * i + 1]) : want[i];
            if (got != exp && bad++ < 3) fprintf(stderr, "  %s sample %zu: %u != %u\n", name, i, got, exp);
        }
        CHECK_MSG(bad == 0, "%s: %zu samples differ", name, bad);
        free(want);
    }
    uint8_t *rgb;
    CHECK(image_to_rgb8(&img, &rgb, &e) == EFFAD_OK);
    snprintf(path, sizeof path, DIR "%s.rgb8", name);
    uint8_t *ref = slurp(path, &n);
    CHECK_MSG(ref && n == (size_t)w * h * 3, "%s: rgb8 reference", name);
    if (ref && n == (size_t)w * h * 3) {
        int maxd = 0;
        double sum = 0;
        for (size_t i = 0; i < n; i++) {
            int d = abs((int)rgb[i] - (int)ref[i]);
            if (d > maxd) maxd = d;
            sum += d;
        }
        double mean = sum / (double)n;
        if (tol_max || tol_mean > 0)
            printf("  %-24s vs PIL: max |diff| %d, mean |diff| %.4f\n", name, maxd, mean);
        CHECK_MSG(maxd <= tol_max && mean <= tol_mean, "%s: RGB vs PIL max %d mean %g (tol %d %g)", name, maxd,
                  mean, tol_max, tol_mean);
    }
    free(ref);
    free(rgb);
    image_free(&img);
}

int main(void)
{
    FILE *m = fopen(DIR "manifest.txt", "r");
    CHECK_MSG(m != NULL, "run from the repo root; manifest missing");
    if (!m) return check_done("test-image-decode");
    char line[512];
    int count = 0;
    while (fgets(line, sizeof line, m)) {
        if (line[0] == '#') continue;
        char name[256], samples[256];
        int w, h, ch, depth, tmax;
        double tmean;
        if (sscanf(line, "%255s %d %d %d %d %255s %d %lf", name, &w, &h, &ch, &depth, samples, &tmax, &tmean) != 8)
            continue;
        check_fixture(name, w, h, ch, depth, samples, tmax, tmean);
        count++;
    }
    fclose(m);
    CHECK_MSG(count >= 60, "only %d fixtures in the manifest", count);

    /* Refused with a clear message, not mis-decoded. */
    effad_image img;
    effad_error e = { 0 };
    CHECK_EQ_INT(image_load(DIR "jpeg-cmyk.jpg", &img, &e), EFFAD_ERR_UNSUPPORTED);
    CHECK_HAS(e.msg, "4 components");
    CHECK_HAS(e.msg, "jpeg-cmyk.jpg: JPEG: ");
    CHECK(img.px == NULL);
    CHECK_EQ_INT(image_load(DIR "tiff-cmyk.tif", &img, &e), EFFAD_ERR_UNSUPPORTED);
    CHECK_HAS(e.msg, "tiff-cmyk.tif: TIFF: PhotometricInterpretation 5");
    CHECK(img.px == NULL);
    CHECK_EQ_INT(image_load(DIR "no-such-file.png", &img, &e), EFFAD_ERR_IO);
    CHECK_HAS(e.msg, "no-such-file.png: cannot open");
    return check_done("test-image-decode");
}
