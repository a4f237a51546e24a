/* The score figure shows the window a cropping preset saw: pixels outside
 * it are faded halfway to white, a 2-pixel blue outline runs just outside
 * it, pixels inside are untouched; without a window nothing is marked. */
#include <stdlib.h>
#include "check.h"
#include "figure.h"

enum { PAD = 12 };   /* the figure's margin around the image (figure.c) */

static const uint8_t *at(const uint8_t *fig, int fw, int x, int y)
{
    return fig + ((size_t)(y + PAD) * fw + x + PAD) * 3;
}

static int is(const uint8_t *p, int r, int g, int b) { return p[0] == r && p[1] == g && p[2] == b; }

int main(void)
{
    /* 200 x 100 flat grey: the figure scales it to 512 x 256 (factor 2.56) */
    const int w = 200, h = 100;
    uint8_t *rgb = malloc((size_t)w * h * 3);
    memset(rgb, 100, (size_t)w * h * 3);
    effad_error e;
    uint8_t *fig;
    int fw, fh;
    const double box[4] = { 50, 10, 150, 90 };   /* -> x 128..384, y 25.6..230.4 -> 26..230 */
    CHECK(figure_score(rgb, w, h, box, 1.0, 2.0, &fig, &fw, &fh, &e) == EFFAD_OK);
    CHECK(is(at(fig, fw, 200, 128), 100, 100, 100));          /* inside */
    CHECK(is(at(fig, fw, 128, 26), 100, 100, 100));           /* the window's first pixel */
    CHECK(is(at(fig, fw, 383, 229), 100, 100, 100));          /* and its last */
    CHECK(is(at(fig, fw, 20, 128), 177, 177, 177));           /* outside: (100 + 255) / 2 */
    CHECK(is(at(fig, fw, 500, 250), 177, 177, 177));
    for (int t = 1; t <= 2; t++) {
        CHECK_MSG(is(at(fig, fw, 128 - t, 128), 31, 119, 180), "left outline at x %d", 128 - t);
        CHECK_MSG(is(at(fig, fw, 383 + t, 128), 31, 119, 180), "right outline at x %d", 383 + t);
        CHECK_MSG(is(at(fig, fw, 200, 26 - t), 31, 119, 180), "top outline at y %d", 26 - t);
        CHECK_MSG(is(at(fig, fw, 200, 229 + t), 31, 119, 180), "bottom outline at y %d", 229 + t);
    }
    CHECK(is(at(fig, fw, 125, 128), 177, 177, 177));          /* the outline is 2 pixels, no more */
    free(fig);

    /* no window: the image as it is */
    CHECK(figure_score(rgb, w, h, NULL, 1.0, 2.0, &fig, &fw, &fh, &e) == EFFAD_OK);
    size_t changed = 0;
    for (int y = 0; y < 256; y++)
        for (int x = 0; x < 512; x++) changed += !is(at(fig, fw, x, y), 100, 100, 100);
    CHECK_EQ_INT(changed, 0);
    free(fig);

    /* a window reaching the image edge: the outline stops at the edge */
    const double full_h[4] = { 50, 0, 150, 100 };
    CHECK(figure_score(rgb, w, h, full_h, 1.0, 2.0, &fig, &fw, &fh, &e) == EFFAD_OK);
    CHECK(is(at(fig, fw, 200, 0), 100, 100, 100) && is(at(fig, fw, 200, 255), 100, 100, 100));
    CHECK(is(at(fig, fw, 200, -1), 255, 255, 255));            /* the white margin above is not drawn on */
    free(fig);
    free(rgb);
    return check_done("test-figure-crop");
}
