/* libFuzzer harness for the TIFF decoder (src/image-tiff.c, with the LZW,
 * PackBits and Deflate codecs behind it): any input must decode to a whole
 * image that converts to RGB under every 16-bit rule, or be refused with a
 * message -- never crash, leak or read out of bounds. Seeds:
 * tests/fuzz/seeds/image-tiff/ (copies of tests/data/images fixtures, from
 * tests/gen-image-fixtures.py: every codec, tiles, planar, both byte
 * orders, 16-bit); dictionary: tests/fuzz/image-tiff.dict. */
#include <stdint.h>
#include <stdlib.h>
#include "image.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    effad_image img;
    effad_error e;
    if (image_decode_tiff(data, size, &img, &e) != EFFAD_OK) {
        if (img.px || !e.msg[0]) abort();   /* a refusal leaves no image and says why */
        return 0;
    }
    for (int rule = IMAGE_RGB_SCALE; rule <= IMAGE_RGB_OPENCV; rule++) {
        uint8_t *rgb;
        if (image_to_rgb8_as(&img, (image_rgb_rule)rule, &rgb, &e) != EFFAD_OK) abort();
        free(rgb);
    }
    image_free(&img);
    return 0;
}
