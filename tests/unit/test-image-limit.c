/* How large an image may be (image.h, image_size_check): EFFAD_MAX_PIXELS
 * holds every decoder to it exactly, a malformed value is refused by name,
 * one above the build's limit changes nothing, and without it the limit
 * is the build's or an eighth of the machine's memory, whichever is less. */
#include <unistd.h>
#include "image-test-util.h"

static const char *const fixtures[] = { "png-c2-d8.png", "jpeg-420.jpg", "jpeg-prog-420.jpg", "tiff-rgb8-lzw.tif",
                                        "bmp-24.bmp", "ppm-p6.ppm", "pgm-p5-16.pgm" };

static void limit_to(uint64_t max)
{
    char v[32];
    snprintf(v, sizeof v, "%llu", (unsigned long long)max);
    setenv("EFFAD_MAX_PIXELS", v, 1);
}

int main(void)
{
    effad_error e = { 0 };
    for (size_t f = 0; f < sizeof fixtures / sizeof *fixtures; f++) {
        size_t n;
        uint8_t *b = load(fixtures[f], &n);
        if (!b) continue;
        unsetenv("EFFAD_MAX_PIXELS");
        effad_image img;
        CHECK_MSG(image_decode(b, n, &img, &e) == EFFAD_OK, "%s: %.200s", fixtures[f], e.msg);
        const uint64_t px = (uint64_t)img.w * (uint64_t)img.h;
        char want[96];
        snprintf(want, sizeof want, "%dx%d is more than the %llu pixels EFFAD_MAX_PIXELS allows", img.w, img.h,
                 (unsigned long long)(px - 1));
        image_free(&img);
        /* exactly at the limit: decoded; one pixel under it: refused, by name */
        limit_to(px);
        CHECK_MSG(image_decode(b, n, &img, &e) == EFFAD_OK, "%s at its own size: %.200s", fixtures[f], e.msg);
        image_free(&img);
        limit_to(px - 1);
        CHECK_EQ_INT(image_decode(b, n, &img, &e), EFFAD_ERR_UNSUPPORTED);
        CHECK_HAS(e.msg, want);
        CHECK(img.px == NULL);
        /* a limit above the build's is the build's */
        limit_to((uint64_t)IMAGE_MAX_PIXELS * 4);
        CHECK_MSG(image_decode(b, n, &img, &e) == EFFAD_OK, "%s: %.200s", fixtures[f], e.msg);
        image_free(&img);
        /* malformed: refused as an argument, naming the variable */
        static const char *const bad[] = { "abc", "0", "-5", "12x", "1e6", " 7" };
        for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
            setenv("EFFAD_MAX_PIXELS", bad[k], 1);
            CHECK_EQ_INT(image_decode(b, n, &img, &e), EFFAD_ERR_ARG);
            CHECK_HAS(e.msg, "EFFAD_MAX_PIXELS=");
        }
        free(b);
    }

    /* the limit's sources */
    uint64_t max;
    image_limit_source why;
    limit_to(1000);
    CHECK(image_max_pixels(&max, &why, &e) == EFFAD_OK && max == 1000 && why == IMAGE_LIMIT_ENV);
    setenv("EFFAD_MAX_PIXELS", "", 1);   /* empty: as if unset */
    CHECK(image_max_pixels(&max, &why, &e) == EFFAD_OK);
    unsetenv("EFFAD_MAX_PIXELS");
    uint64_t max2;
    image_limit_source why2;
    CHECK(image_max_pixels(&max2, &why2, &e) == EFFAD_OK && max2 == max && why2 == why);
    const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    const uint64_t share = pages > 0 && page > 0 ? (uint64_t)pages * (uint64_t)page / IMAGE_MEMORY_SHARE : 0;
    if (share && share < IMAGE_MAX_PIXELS)
        CHECK(max == share && why == IMAGE_LIMIT_MEMORY);
    else
        CHECK(max == IMAGE_MAX_PIXELS && why == IMAGE_LIMIT_BUILD);
    printf("  this machine: up to %llu pixels (%s)\n", (unsigned long long)max,
           why == IMAGE_LIMIT_MEMORY ? "an eighth of its memory" : "the build's limit");
    return check_done("test-image-limit");
}
