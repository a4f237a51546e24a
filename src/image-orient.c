/* An 8-bit RGB image turned the way its file's orientation says, as
 * cv2.imread turns it (OpenCV's ApplyExifOrientation; see exif.h for where
 * the orientation comes from). With (x, y) an output pixel of the W x H
 * input:
 *   2 mirrored: in(W-1-x, y)         5 transposed:  in(y, x)
 *   3 turned 180: in(W-1-x, H-1-y)   6 turned 90 clockwise: in(y, H-1-x)
 *   4 upside down: in(x, H-1-y)      7 transverse:  in(W-1-y, H-1-x)
 *                                    8 turned 90 anticlockwise: in(W-1-y, x)
 * (5-8 swap width and height). make reference holds each to cv2.imread. */
#include <stdlib.h>
#include <string.h>
#include "image.h"

static void swap_px(uint8_t *a, uint8_t *b)
{
    for (int c = 0; c < 3; c++) { uint8_t t = a[c]; a[c] = b[c]; b[c] = t; }
}

effad_status image_orient_rgb8(uint8_t **rgb, int *w, int *h, int orientation, effad_error *e)
{
    const size_t W = (size_t)*w, H = (size_t)*h;
    uint8_t *p = *rgb;
    if (orientation == 2)
        for (size_t y = 0; y < H; y++)
            for (size_t x = 0; x < W / 2; x++) swap_px(p + 3 * (y * W + x), p + 3 * (y * W + W - 1 - x));
    if (orientation == 3)   /* half a turn: the pixels in reverse order */
        for (size_t i = 0; i < W * H / 2; i++) swap_px(p + 3 * i, p + 3 * (W * H - 1 - i));
    if (orientation == 4)
        for (size_t y = 0; y < H / 2; y++)
            for (size_t x = 0; x < W; x++) swap_px(p + 3 * (y * W + x), p + 3 * ((H - 1 - y) * W + x));
    if (orientation < 5 || orientation > 8) return EFFAD_OK;
    uint8_t *out = malloc(W * H * 3 + 1);
    if (!out) return effad_fail(e, EFFAD_ERR_NOMEM, "out of memory turning a %zux%zu image", W, H);
    /* the output is H wide and W high; 32 x 32 tiles keep the input's
     * columns in cache */
    const int flip_x = orientation == 6 || orientation == 7, flip_y = orientation == 7 || orientation == 8;
    for (size_t ty = 0; ty < W; ty += 32)
        for (size_t tx = 0; tx < H; tx += 32)
            for (size_t y = ty; y < W && y < ty + 32; y++)
                for (size_t x = tx; x < H && x < tx + 32; x++) {
                    size_t sx = flip_y ? W - 1 - y : y, sy = flip_x ? H - 1 - x : x;
                    memcpy(out + 3 * (y * H + x), p + 3 * (sy * W + sx), 3);
                }
    free(p);
    *rgb = out;
    *w = (int)H;
    *h = (int)W;
    return EFFAD_OK;
}
