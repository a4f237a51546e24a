/*
 * fuzz-image.h -- the checks every image-decoder harness makes, whatever
 * the format: a refusal leaves an empty image and a message; an accepted
 * image is consistent (sizes within IMAGE_MAX_PIXELS, a buffer of
 * h * w * channels samples) and converts to 8-bit RGB under both rules
 * (PIL's and OpenCV's), which reads every sample the decoder wrote.
 */
#ifndef EFFAD_FUZZ_IMAGE_H
#define EFFAD_FUZZ_IMAGE_H

#include "fuzz.h"
#include "image.h"

typedef effad_status (*fuzz_image_decoder)(const uint8_t *b, size_t n, effad_image *img, effad_error *e);

/* Decodes data with decode; on success img holds the image (the caller
 * frees it) and 1 is returned, else 0. */
static inline int fuzz_image(fuzz_image_decoder decode, const uint8_t *data, size_t size, effad_image *img)
{
    effad_error e = { 0 };
    effad_status s = decode(data, size, img, &e);
    fuzz_refusal(s, &e);
    if (s) {
        if (img->px || img->w || img->h) fuzz_fail("a refused image is left empty", e.msg);
        return 0;
    }
    if (!img->px || img->w < 1 || img->h < 1 || img->channels < 1 || img->channels > 4 ||
        (img->bit_depth != 8 && img->bit_depth != 16))
        fuzz_fail("an accepted image is well-formed", 0);
    if ((uint64_t)img->w * (uint64_t)img->h > IMAGE_MAX_PIXELS) fuzz_fail("IMAGE_MAX_PIXELS holds", 0);
    for (int rule = IMAGE_RGB_PIL; rule <= IMAGE_RGB_OPENCV; rule++) {
        uint8_t *rgb = 0;
        s = image_to_rgb8_as(img, (image_rgb_rule)rule, &rgb, &e);
        fuzz_refusal(s, &e);
        if (s != EFFAD_OK && s != EFFAD_ERR_NOMEM) fuzz_fail("a decoded image converts to RGB", e.msg);
        free(rgb);
    }
    return 1;
}

#endif
