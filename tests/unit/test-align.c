/*
 * test-align.c -- alignment (src/align.h) on frames whose content is moved
 * by known offsets: a scene of rectangles f(x, y) and a frame showing
 * f(x - dx, y - dy) must give back (dx, dy) exactly, with a ZNCC of 1 --
 * at every offset of a small range, including its corners, over the
 * several levels of a wide one, under a change of gain and offset, with
 * the range cut one-sided by the frame's edge; and the refusals: a frame
 * that cannot hold the region, a flat reference, a range out of bounds.
 */
#include <math.h>
#include <stdlib.h>
#include "align.h"
#include "check.h"

static uint32_t hash2(int x, int y)
{
    uint32_t h = (uint32_t)x * 0x9e3779b1u ^ (uint32_t)y * 0x85ebca77u;
    h ^= h >> 15; h *= 0x2c1b3c6du; h ^= h >> 12;
    return h;
}

/* A scene like a part's: rectangles of every size from 3 to 80 pixels at
 * grey levels of their own (edges at every scale, nothing periodic), over
 * faint noise; a canvas larger than any frame plus shift. */
#define CANVAS_W 800
#define CANVAS_H 700
#define PAD 100
static uint8_t *canvas;

static void make_canvas(void)
{
    canvas = malloc((size_t)CANVAS_W * CANVAS_H * 3);
    for (int i = 0; i < CANVAS_W * CANVAS_H; i++)
        for (int c = 0; c < 3; c++) canvas[i * 3 + c] = (uint8_t)(100 + hash2(i, c) % 9);
    for (int k = 0; k < 700; k++) {
        const uint32_t h = hash2(k, 77), g = hash2(k, 78);
        const int w = 3 + (int)(h % 78), hh = 3 + (int)(g % 78);
        const int x0 = (int)(hash2(k, 79) % (CANVAS_W - w)), y0 = (int)(hash2(k, 80) % (CANVAS_H - hh));
        const uint8_t v = (uint8_t)(hash2(k, 81) % 256);
        for (int y = y0; y < y0 + hh; y++)
            for (int x = x0; x < x0 + w; x++)
                for (int c = 0; c < 3; c++) canvas[((size_t)y * CANVAS_W + x) * 3 + c] = (uint8_t)(v + c * 7);
    }
}

static uint8_t texture(int x, int y, int c) { return canvas[((size_t)(y + PAD) * CANVAS_W + (x + PAD)) * 3 + c]; }

/* fw x fh RGB showing the texture moved by (dx, dy), through gain and offset */
static uint8_t *frame(int fw, int fh, int dx, int dy, double gain, double offset)
{
    uint8_t *f = malloc((size_t)fw * fh * 3);
    for (int y = 0; y < fh; y++)
        for (int x = 0; x < fw; x++)
            for (int c = 0; c < 3; c++) {
                double v = texture(x - dx, y - dy, c) * gain + offset;
                f[((size_t)y * fw + x) * 3 + c] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v + 0.5);
            }
    return f;
}

static void check_offsets(int fw, int fh, image_roi r, int range, int step)
{
    effad_error e;
    uint8_t *ref = frame(fw, fh, 0, 0, 1, 0);
    align_template t;
    CHECK_MSG(align_template_make(&t, ref, fw, fh, &r, range, &e) == EFFAD_OK, "%s", e.msg);
    int wrong = 0, tried = 0;
    for (int dy = -range; dy <= range; dy += step)
        for (int dx = -range; dx <= range; dx += step) {
            uint8_t *f = frame(fw, fh, dx, dy, 1, 0);
            align_result a;
            tried++;
            if (align_find(&t, f, fw, fh, &r, &a, &e) || a.dx != dx || a.dy != dy || a.match < 0.999999) {
                if (!wrong++) CHECK_MSG(0, "%dx%d range %d: moved by %d,%d, found %d,%d (ZNCC %.9f)", fw, fh, range, dx, dy,
                                        a.dx, a.dy, a.match);
            }
            free(f);
        }
    CHECK_MSG(!wrong, "%d of %d offsets missed", wrong, tried);
    /* the levels a wide range needs */
    if (range >= 32) CHECK(t.n_levels >= 3);
    align_template_free(&t);
    free(ref);
}

static void check_light_and_edges(void)
{
    effad_error e;
    const int fw = 160, fh = 120;
    uint8_t *ref = frame(fw, fh, 0, 0, 1, 0);
    image_roi r = { 30, 25, 90, 70 };
    align_template t;
    CHECK(align_template_make(&t, ref, fw, fh, &r, 10, &e) == EFFAD_OK);
    uint8_t *f = frame(fw, fh, 7, -4, 0.7, 35);   /* dimmer light, a lifted black */
    align_result a;
    CHECK(align_find(&t, f, fw, fh, &r, &a, &e) == EFFAD_OK);
    CHECK_MSG(a.dx == 7 && a.dy == -4 && a.match > 0.99, "gain and offset: %d,%d ZNCC %.6f", a.dx, a.dy, a.match);
    free(f);
    align_template_free(&t);

    /* a region 4 pixels from the left edge: offsets below -4 are not tried */
    image_roi near = { 4, 25, 90, 70 };
    CHECK(align_template_make(&t, ref, fw, fh, &near, 10, &e) == EFFAD_OK);
    f = frame(fw, fh, -4, 3, 1, 0);
    CHECK(align_find(&t, f, fw, fh, &near, &a, &e) == EFFAD_OK);
    CHECK_MSG(a.dx == -4 && a.dy == 3, "at the edge: %d,%d", a.dx, a.dy);
    free(f);
    f = frame(fw, fh, -9, 0, 1, 0);   /* beyond the edge: the best it may do is the edge */
    CHECK(align_find(&t, f, fw, fh, &near, &a, &e) == EFFAD_OK);
    CHECK_MSG(a.dx >= -4, "an offset out of the frame: %d", a.dx);
    free(f);
    /* a frame that cannot hold the region */
    CHECK(align_find(&t, ref, 80, 60, &near, &a, &e) == EFFAD_ERR_MISMATCH);
    align_template_free(&t);

    /* refusals */
    uint8_t *flat = calloc((size_t)fw * fh * 3, 1);
    CHECK(align_template_make(&t, flat, fw, fh, &r, 10, &e) == EFFAD_ERR_ARG);
    CHECK_STR_CONTAINS(e.msg, "one grey value");
    CHECK(align_template_make(&t, ref, fw, fh, &r, 0, &e) == EFFAD_ERR_ARG);
    CHECK(align_template_make(&t, ref, fw, fh, &r, ALIGN_MAX_RANGE + 1, &e) == EFFAD_ERR_ARG);
    free(flat);
    free(ref);

    image_roi d = align_default_roi(100, 80, 8);
    CHECK(d.x == 8 && d.y == 8 && d.w == 84 && d.h == 64);
    CHECK(align_default_roi(10, 80, 5).w == 0);
}

int main(void)
{
    make_canvas();
    check_offsets(120, 100, (image_roi){ 20, 18, 80, 64 }, 6, 1);      /* every offset, corners too */
    check_offsets(420, 360, (image_roi){ 70, 64, 280, 232 }, 64, 9);   /* coarse to fine */
    check_light_and_edges();
    free(canvas);
    return check_done("test-align");
}
