/* fuzz-image-jpeg.c -- the baseline JPEG decoder (src/image-jpeg.c): markers,
 * Huffman and quantisation tables, scans, restart intervals.
 * The shared checks are in fuzz-image.h. */
#include "fuzz-image.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    effad_image img;
    if (fuzz_image(image_decode_jpeg, data, size, &img)) image_free(&img);
    return 0;
}
