/*
 * fuzz-image.h -- the checks every image-decoder harness makes, whatever
 * the format: a refusal leaves an empty image and a message; an accepted
 * image is consistent (sizes within IMAGE_MAX_PIXELS, a buffer of
 * h * w * channels samples, an orientation 0..8) and converts to 8-bit RGB
 * under PIL's and OpenCV's rules and as 12-bit samples (a 16-bit image's
 * clip count too), which reads every sample the decoder wrote, and turns
 * by the orientation it states (image.h).
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
    if (img->orientation < 0 || img->orientation > 8) fuzz_fail("a stated orientation is 0 (none) or 1..8", 0);
    static const image_rgb_rule rules[] = { IMAGE_RGB_PIL, IMAGE_RGB_OPENCV, IMAGE_RGB_BITS(12) };
    for (size_t k = 0; k < sizeof rules / sizeof rules[0]; k++) {
        const image_rgb_rule rule = rules[k];
        uint8_t *rgb = 0;
        if (image_rgb8_clipped(img, rule) > (size_t)img->w * (size_t)img->h) fuzz_fail("no more pixels clipped than there are", 0);
        s = image_to_rgb8_as(img, rule, &rgb, &e);
        fuzz_refusal(s, &e);
        if (s != EFFAD_OK && s != EFFAD_ERR_NOMEM) fuzz_fail("a decoded image converts to RGB", e.msg);
        int w = img->w, h = img->h, turn = image_orientation_applied(img, IMAGE_ORIENT_EXIF);
        if (!s && (s = image_orient_rgb8(&rgb, &w, &h, turn, &e)) != EFFAD_OK && s != EFFAD_ERR_NOMEM)
            fuzz_fail("a decoded image turns by its orientation", e.msg);
        if (!s && (turn >= 5 ? w != img->h || h != img->w : w != img->w || h != img->h))
            fuzz_fail("a turned image has the turned size", 0);
        free(rgb);
    }
    return 1;
}

#endif
