/* How 16-bit images become 8-bit RGB under each rule of image.h:
 * IMAGE_RGB_SCALE (effad's default) is round(v / 257), checked against a
 * double-precision rounding over every 16-bit value; IMAGE_RGB_PIL clips
 * 16-bit grey and keeps the high byte of colour (PIL's "I" mode vs its
 * ";16B" unpackers); IMAGE_RGB_OPENCV keeps the high byte; and
 * image_rgb8_clipped counts exactly the pixels PIL's rule clips. On the
 * committed 16-bit grey PNG the PIL rule is checked against PIL's own
 * output (its .rgb8 file). */
#include <math.h>
#include <stdlib.h>
#include "image-test-util.h"
#include "image.h"

static effad_image make16(int w, int h, int ch, const uint16_t *v)
{
    effad_image img;
    effad_error e;
    CHECK(image_alloc(&img, w, h, ch, 16, "test", &e) == EFFAD_OK);
    memcpy(img.px, v, (size_t)w * h * ch * 2);
    return img;
}

static void every_value_scaled(void)
{
    static uint16_t v[65536];
    for (unsigned i = 0; i < 65536; i++) v[i] = (uint16_t)i;
    effad_image img = make16(256, 256, 1, v);
    uint8_t *rgb;
    effad_error e;
    CHECK(image_to_rgb8_as(&img, IMAGE_RGB_SCALE, &rgb, &e) == EFFAD_OK);
    size_t bad = 0;
    for (unsigned i = 0; i < 65536; i++) {
        unsigned want = (unsigned)floor((double)i / 257.0 + 0.5);   /* v / 257 never ends in .5 */
        if (rgb[3 * i] != want || rgb[3 * i + 1] != want || rgb[3 * i + 2] != want) bad++;
    }
    CHECK_MSG(bad == 0, "%zu of 65536 values not round(v / 257)", bad);
    CHECK(rgb[3 * 65535] == 255 && rgb[3 * 128] == 0 && rgb[3 * 129] == 1);
    CHECK_EQ_INT(image_rgb8_clipped(&img, IMAGE_RGB_SCALE), 0);
    CHECK_EQ_INT(image_rgb8_clipped(&img, IMAGE_RGB_OPENCV), 0);
    CHECK_EQ_INT(image_rgb8_clipped(&img, IMAGE_RGB_PIL), 65536 - 256);
    free(rgb);
    image_free(&img);
}

/* IMAGE_RGB_BITS(N): every 16-bit value against round(v * 255 / (2^N - 1))
 * in double precision, clipped at 255, for every N; colour and grey+alpha
 * alike (the alpha is dropped, never counted as clipped). */
static void every_value_n_bits(void)
{
    static uint16_t v[65536];
    for (unsigned i = 0; i < 65536; i++) v[i] = (uint16_t)i;
    effad_image img = make16(256, 256, 1, v);
    for (int n = IMAGE_RGB_BITS_MIN; n <= IMAGE_RGB_BITS_MAX; n++) {
        uint8_t *rgb;
        effad_error e;
        CHECK(image_to_rgb8_as(&img, IMAGE_RGB_BITS(n), &rgb, &e) == EFFAD_OK);
        const double m = (double)((1u << n) - 1u);
        size_t bad = 0;
        for (unsigned i = 0; i < 65536; i++) {
            double r = floor((double)i * 255.0 / m + 0.5);
            unsigned want = r > 255 ? 255 : (unsigned)r;
            if (rgb[3 * i] != want || rgb[3 * i + 2] != want) bad++;
        }
        CHECK_MSG(bad == 0, "%d bits: %zu of 65536 values wrong", n, bad);
        CHECK_EQ_INT(image_rgb8_clipped(&img, IMAGE_RGB_BITS(n)), 65536 - (1u << n));
        free(rgb);
    }
    image_free(&img);
    /* colour: a pixel counts once whichever channel is over; grey + alpha:
     * an alpha over the range is no clip */
    static const uint16_t rgbv[] = { 4095, 4095, 4095, 4096, 0, 0, 0, 0, 65535, 1, 2, 3 };
    effad_image c = make16(4, 1, 3, rgbv);
    CHECK_EQ_INT(image_rgb8_clipped(&c, IMAGE_RGB_BITS(12)), 2);
    image_free(&c);
    static const uint16_t la[] = { 4095, 65535, 4096, 0 };
    effad_image g = make16(2, 1, 2, la);
    CHECK_EQ_INT(image_rgb8_clipped(&g, IMAGE_RGB_BITS(12)), 1);
    uint8_t *out;
    effad_error e;
    CHECK(image_to_rgb8_as(&g, IMAGE_RGB_BITS(12), &out, &e) == EFFAD_OK && out[0] == 255 && out[3] == 255);
    free(out);
    /* rules that do not exist */
    CHECK(image_to_rgb8_as(&g, (image_rgb_rule)8, &out, &e) == EFFAD_ERR_ARG);
    CHECK_STR_CONTAINS(e.msg, "unknown rule 8");
    image_free(&g);
    CHECK(!image_rgb_rule_valid(3) && !image_rgb_rule_valid(16) && image_rgb_rule_valid(12));
}

static void rules_per_layout(void)
{
    effad_error e;
    uint8_t *rgb;
    /* grey: PIL clips, OpenCV takes the high byte */
    const uint16_t grey[4] = { 0, 200, 300, 0xABCD };
    effad_image g = make16(2, 2, 1, grey);
    CHECK(image_to_rgb8_as(&g, IMAGE_RGB_PIL, &rgb, &e) == EFFAD_OK);
    CHECK(rgb[0] == 0 && rgb[3] == 200 && rgb[6] == 255 && rgb[9] == 255 && rgb[10] == 255 && rgb[11] == 255);
    free(rgb);
    CHECK(image_to_rgb8_as(&g, IMAGE_RGB_OPENCV, &rgb, &e) == EFFAD_OK);
    CHECK(rgb[0] == 0 && rgb[3] == 0 && rgb[6] == 1 && rgb[9] == 0xAB);
    free(rgb);
    CHECK(image_to_rgb8_as(&g, IMAGE_RGB_SCALE, &rgb, &e) == EFFAD_OK);
    CHECK(rgb[3] == 1 && rgb[6] == 1 && rgb[9] == 171);   /* 43981 / 257 = 171.13 */
    free(rgb);
    CHECK_EQ_INT(image_rgb8_clipped(&g, IMAGE_RGB_PIL), 2);
    image_free(&g);
    /* grey + alpha and RGB: PIL keeps the high byte too -- only "I" clips */
    const uint16_t la[4] = { 0x12FF, 0xFFFF, 300, 0 };
    effad_image l = make16(2, 1, 2, la);
    CHECK(image_to_rgb8_as(&l, IMAGE_RGB_PIL, &rgb, &e) == EFFAD_OK);
    CHECK(rgb[0] == 0x12 && rgb[3] == 1);
    free(rgb);
    CHECK_EQ_INT(image_rgb8_clipped(&l, IMAGE_RGB_PIL), 0);
    image_free(&l);
    const uint16_t c[3] = { 0x80FF, 0x0100, 65535 };
    effad_image rgbimg = make16(1, 1, 3, c);
    CHECK(image_to_rgb8_as(&rgbimg, IMAGE_RGB_PIL, &rgb, &e) == EFFAD_OK);
    CHECK(rgb[0] == 0x80 && rgb[1] == 1 && rgb[2] == 255);
    free(rgb);
    CHECK(image_to_rgb8_as(&rgbimg, IMAGE_RGB_SCALE, &rgb, &e) == EFFAD_OK);
    CHECK(rgb[0] == 128 && rgb[1] == 1 && rgb[2] == 255);   /* 33023 / 257 = 128.49, 256 / 257 = 0.996 */
    free(rgb);
    image_free(&rgbimg);
    /* an unknown rule is refused */
    CHECK(image_to_rgb8_as(&g, (image_rgb_rule)7, &rgb, &e) == EFFAD_ERR_ARG);
}

/* The committed 16-bit grey PNG: the PIL rule is PIL's convert('RGB'), and
 * image_load_rgb8 reports the clipped pixels the CLI warns about. */
static void fixture(void)
{
    const char *path = "tests/data/images/png-c0-d16.png";
    uint8_t *rgb;
    int w, h;
    size_t clipped = 99, n;
    effad_error e = { 0 };
    CHECK_MSG(image_load_rgb8(path, IMAGE_RGB_PIL, IMAGE_ORIENT_TIFF, &rgb, &w, &h, &clipped, &e) == EFFAD_OK, "%.300s", e.msg);
    uint8_t *ref = slurp("tests/data/images/png-c0-d16.png.rgb8", &n);
    CHECK(ref && n == (size_t)w * h * 3 && !memcmp(ref, rgb, n));
    size_t white = 0;
    for (size_t i = 0; i < (size_t)w * h; i++) white += rgb[3 * i] == 255;
    CHECK_MSG(clipped > 0 && clipped <= white, "clipped %zu, white %zu", clipped, white);
    free(ref);
    free(rgb);
    CHECK(image_load_rgb8(path, IMAGE_RGB_SCALE, IMAGE_ORIENT_TIFF, &rgb, &w, &h, &clipped, &e) == EFFAD_OK);
    CHECK_EQ_INT(clipped, 0);
    free(rgb);
    CHECK(image_load_rgb8("tests/data/images/nothere.png", IMAGE_RGB_SCALE, IMAGE_ORIENT_TIFF, &rgb, &w, &h, &clipped, &e) ==
          EFFAD_ERR_IO);
    CHECK_HAS(e.msg, "nothere.png");
    CHECK(rgb == NULL);
}

int main(void)
{
    every_value_n_bits();
    every_value_scaled();
    rules_per_layout();
    fixture();
    return check_done("test-image-rgb16");
}
