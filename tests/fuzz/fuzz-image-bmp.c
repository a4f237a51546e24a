/* fuzz-image-bmp.c -- the BMP decoder (src/image-bmp.c): core and info headers,
 * palettes, bit fields, bottom-up and top-down rows.
 * The shared checks are in fuzz-image.h. */
#include "fuzz-image.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    effad_image img;
    if (fuzz_image(image_decode_bmp, data, size, &img)) image_free(&img);
    return 0;
}
