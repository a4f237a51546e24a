/* fuzz-image-pnm.c -- the Netpbm decoder (src/image-pnm.c): P1-P6, comments,
 * any maxval.
 * The shared checks are in fuzz-image.h. */
#include "fuzz-image.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    effad_image img;
    if (fuzz_image(image_decode_pnm, data, size, &img)) image_free(&img);
    return 0;
}
