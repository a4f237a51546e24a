/*
 * figure-maps.c -- the anomaly-map panels (PNG pixels) and the
 * region-count plot (SVG); see figure-maps.h. Text comes from a 3x5
 * bitmap font drawn here (capitals, digits, a little punctuation), which is
 * all titles and colour-bar labels need.
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "anomaly-map.h"
#include "atomic-file.h"
#include "figure.h"
#include "figure-maps.h"
#include "resize.h"

/* ------------------------------------------------------------ drawing */

static const char font_chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:=+()/";
static const uint8_t font[][5] = {   /* rows of 3 bits, left bit first */
    {2,5,7,5,5},{6,5,6,5,6},{3,4,4,4,3},{6,5,5,5,6},{7,4,6,4,7},{7,4,6,4,4},{3,4,5,5,3},{5,5,7,5,5},
    {7,2,2,2,7},{1,1,1,5,2},{5,5,6,5,5},{4,4,4,4,7},{5,7,7,5,5},{6,5,5,5,5},{2,5,5,5,2},{6,5,6,4,4},
    {2,5,5,6,3},{6,5,6,5,5},{3,4,2,1,6},{7,2,2,2,2},{5,5,5,5,7},{5,5,5,5,2},{5,5,7,7,5},{5,5,2,5,5},
    {5,5,2,2,2},{7,1,2,4,7},
    {7,5,5,5,7},{2,6,2,2,7},{7,1,7,4,7},{7,1,7,1,7},{5,5,7,1,1},{7,4,7,1,7},{7,4,7,5,7},{7,1,1,2,2},
    {7,5,7,5,7},{7,5,7,1,7},
    {0,0,0,0,2},{0,0,7,0,0},{0,2,0,2,0},{0,7,0,7,0},{0,2,7,2,0},{1,2,2,2,1},{4,2,2,2,4},{1,1,2,4,4},
};

typedef struct canvas { uint8_t *px; int w, h; } canvas;

static void dot(canvas *c, int x, int y, const uint8_t rgb[3])
{
    if (x < 0 || y < 0 || x >= c->w || y >= c->h) return;
    memcpy(c->px + ((size_t)y * c->w + x) * 3, rgb, 3);
}

static void box(canvas *c, int x0, int y0, int x1, int y1, const uint8_t rgb[3])
{
    for (int y = y0; y < y1; y++)
        for (int x = x0; x < x1; x++) dot(c, x, y, rgb);
}

/* Text at scale 2 (6 x 10 pixels a glyph, 8 apart); lower case drawn as
 * capitals. Returns the width. */
static int text(canvas *c, int x, int y, const char *s, const uint8_t rgb[3])
{
    int x0 = x;
    for (; *s; s++, x += 8) {
        const char *g = strchr(font_chars, toupper((unsigned char)*s));
        if (!g || !*s) continue;
        const uint8_t *rows = font[g - font_chars];
        for (int r = 0; r < 5; r++)
            for (int b = 0; b < 3; b++)
                if (rows[r] & (4 >> b)) box(c, x + 2 * b, y + 2 * r, x + 2 * b + 2, y + 2 * r + 2, rgb);
    }
    return x - x0;
}

/* matplotlib's 'jet' (the colour map PaDiM's and ailia's figures use):
 * piecewise linear through these (position, value) points per channel. */
static double ramp(const double (*pts)[2], int n, double t)
{
    for (int i = 1; i < n; i++)
        if (t <= pts[i][0]) return pts[i - 1][1] + (pts[i][1] - pts[i - 1][1]) * (t - pts[i - 1][0]) / (pts[i][0] - pts[i - 1][0]);
    return pts[n - 1][1];
}

static void jet(double t, uint8_t rgb[3])
{
    static const double r[][2] = { {0, 0}, {0.35, 0}, {0.66, 1}, {0.89, 1}, {1, 0.5} };
    static const double g[][2] = { {0, 0}, {0.125, 0}, {0.375, 1}, {0.64, 1}, {0.91, 0}, {1, 0} };
    static const double b[][2] = { {0, 0.5}, {0.11, 1}, {0.34, 1}, {0.65, 0}, {1, 0} };
    t = t < 0 ? 0 : t > 1 ? 1 : t;
    rgb[0] = (uint8_t)lround(255 * ramp(r, 5, t));
    rgb[1] = (uint8_t)lround(255 * ramp(g, 6, t));
    rgb[2] = (uint8_t)lround(255 * ramp(b, 5, t));
}

/* ------------------------------------------------------------- panels */

#define PANEL_H 256
#define PAD 12
#define TITLE_H 26
#define BAR_W 16
#define BAR_LABEL_W 76

static const uint8_t white[3] = { 255, 255, 255 }, black[3] = { 0, 0, 0 }, grey[3] = { 128, 128, 128 };
static const uint8_t red[3] = { 230, 20, 20 }, light[3] = { 235, 235, 235 };

effad_status figure_map_panels(const map_panels_in *in, uint8_t **out, int *out_w, int *out_h, effad_error *e)
{
    *out = 0;
    int ph = PANEL_H, pw = (int)((long)in->w * ph / in->h);
    if (pw < 1) pw = 1;
    if (pw > 4 * PANEL_H) return effad_fail(e, EFFAD_ERR_ARG, "image too wide for a figure (%dx%d)", in->w, in->h);
    const int n_panels = 5, W = PAD + n_panels * (pw + PAD) + BAR_W + BAR_LABEL_W, H = TITLE_H + ph + 2 * PAD;
    size_t np = (size_t)pw * ph;
    canvas c = { malloc((size_t)W * H * 3), W, H };
    uint8_t *img = malloc(np * 3), *mask = malloc(np);
    float *map = malloc(np * sizeof *map), *fmask = in->truth ? malloc((size_t)in->w * in->h * sizeof *fmask) : 0;
    float *truth = in->truth ? malloc(np * sizeof *truth) : 0;
    effad_status s = EFFAD_OK;
    if (!c.px || !img || !mask || !map || (in->truth && (!fmask || !truth))) {
        s = effad_fail(e, EFFAD_ERR_NOMEM, "out of memory for a figure");
        goto done;
    }
    memset(c.px, 255, (size_t)W * H * 3);
    if ((s = resize_pil_rgb8(in->rgb, in->w, in->h, img, pw, ph, RESIZE_PIL_BILINEAR, 0, 0, 0, e))) goto done;
    map_resize_bilinear(in->map, in->w, in->h, map, pw, ph);
    if (in->truth) {
        for (size_t i = 0; i < (size_t)in->w * in->h; i++) fmask[i] = in->truth[i] ? 1.0f : 0.0f;
        map_resize_bilinear(fmask, in->w, in->h, truth, pw, ph);
    }
    int calibrated = !isnan(in->threshold);
    for (size_t i = 0; i < np; i++) mask[i] = calibrated && map[i] > in->threshold;

    static const char *const titles[] = { "input", "ground truth", "predicted mask", "segmentation", "heat map" };
    for (int k = 0; k < n_panels; k++) {
        int x0 = PAD + k * (pw + PAD), y0 = TITLE_H + PAD;
        text(&c, x0, PAD / 2 + 2, titles[k], black);
        for (int y = 0; y < ph; y++)
            for (int x = 0; x < pw; x++) {
                size_t i = (size_t)y * pw + x;
                const uint8_t *src = img + 3 * i;
                uint8_t px[3];
                switch (k) {
                case 0: memcpy(px, src, 3); break;
                case 1: memcpy(px, !in->truth ? light : truth[i] >= 0.5f ? white : black, 3); break;
                case 2: memcpy(px, !calibrated ? light : mask[i] ? white : black, 3); break;
                case 3: {
                    /* the mask's boundary (a mask pixel with a 4-neighbour outside it), 2 pixels wide */
                    int edge = 0;
                    for (int d = -2; d <= 2 && mask[i] && !edge; d++) {
                        int xs = x + d, ys = y + d;
                        edge |= xs < 0 || xs >= pw || !mask[(size_t)y * pw + xs];
                        edge |= ys < 0 || ys >= ph || !mask[(size_t)ys * pw + x];
                    }
                    memcpy(px, edge ? red : src, 3);
                    break;
                }
                default: {
                    uint8_t hc[3];
                    jet((map[i] - in->lo) / (in->hi - in->lo), hc);
                    for (int ch = 0; ch < 3; ch++) px[ch] = (uint8_t)((src[ch] + hc[ch] + 1) / 2);
                }
                }
                dot(&c, x0 + x, y0 + y, px);
            }
        if (k >= 3 && (in->win_x0 > 0 || in->win_y0 > 0 || in->win_x1 < in->w - 1 || in->win_y1 < in->h - 1)) {
            /* the crop window, dashed, in panel pixels */
            int wx0 = (int)((long)in->win_x0 * pw / in->w), wx1 = (int)((long)(in->win_x1 + 1) * pw / in->w) - 1;
            int wy0 = (int)((long)in->win_y0 * ph / in->h), wy1 = (int)((long)(in->win_y1 + 1) * ph / in->h) - 1;
            for (int x = wx0; x <= wx1; x++)
                if (x / 4 % 2 == 0) { dot(&c, x0 + x, y0 + wy0, white); dot(&c, x0 + x, y0 + wy1, white); }
            for (int y = wy0; y <= wy1; y++)
                if (y / 4 % 2 == 0) { dot(&c, x0 + wx0, y0 + y, white); dot(&c, x0 + wx1, y0 + y, white); }
        }
        if (k == 1 && !in->truth) text(&c, x0 + 8, y0 + ph / 2 - 5, "none", grey);
        if (k == 2 && !calibrated) text(&c, x0 + 8, y0 + ph / 2 - 5, "no threshold", grey);
    }
    /* colour bar: hi at the top, lo at the bottom, the threshold marked */
    int bx = PAD + n_panels * (pw + PAD), by = TITLE_H + PAD;
    for (int y = 0; y < ph; y++) {
        uint8_t hc[3];
        jet(1.0 - (double)y / (ph - 1), hc);
        box(&c, bx, by + y, bx + BAR_W, by + y + 1, hc);
    }
    char label[32];
    snprintf(label, sizeof label, "%.3g", in->hi);
    text(&c, bx + BAR_W + 4, by, label, black);
    snprintf(label, sizeof label, "%.3g", in->lo);
    text(&c, bx + BAR_W + 4, by + ph - 10, label, black);
    if (calibrated && in->threshold > in->lo && in->threshold < in->hi) {
        int ty = by + (int)lround((in->hi - in->threshold) / (in->hi - in->lo) * (ph - 1));
        box(&c, bx - 3, ty - 1, bx + BAR_W + 3, ty + 1, black);
        snprintf(label, sizeof label, "%.3g", in->threshold);
        if (ty - 5 > by + 12 && ty + 5 < by + ph - 12) text(&c, bx + BAR_W + 4, ty - 5, label, black);   /* not over lo/hi */
    }
    *out = c.px;
    c.px = 0;
    *out_w = W;
    *out_h = H;
done:
    free(c.px); free(img); free(mask); free(map); free(fmask); free(truth);
    return s;
}

/* -------------------------------------------------- region-count plot */

effad_status figure_region_counts_svg(const char *path, const char *title, const double *thresholds, const uint64_t *good,
                                      const uint64_t *defective, size_t k, double in_force, uint32_t min_area,
                                      effad_error *e)
{
    if (k < 2) return effad_fail(e, EFFAD_ERR_ARG, "region-count plot: fewer than 2 thresholds");
    size_t cap = 4096 + 1024 + 80 * k;   /* 1024: the title, escaped */
    char *svg = malloc(cap);
    if (!svg) return effad_fail(e, EFFAD_ERR_NOMEM, "out of memory for the region-count plot");
    size_t at = 0;
#define OUT(...) do { if (at < cap) at += (size_t)snprintf(svg + at, cap - at, __VA_ARGS__); } while (0)
    const double X0 = 70, Y0 = 40, SW = 480, SH = 320;
    double t0 = thresholds[0], t1 = thresholds[k - 1];
    uint64_t top = 1;
    for (size_t i = 0; i < k; i++) { if (good[i] > top) top = good[i]; if (defective[i] > top) top = defective[i]; }
#define PX(t) (X0 + ((t) - t0) / (t1 - t0) * SW)
#define PY(n) (Y0 + SH - (double)(n) / (double)top * SH)
    OUT("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" font-family=\"sans-serif\" font-size=\"12\">\n",
        (int)(X0 + SW + 200), (int)(Y0 + SH + 60));
    OUT("<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n");
    char text[1024];
    figure_svg_text(text, sizeof text, title);
    OUT("<text x=\"%g\" y=\"24\" font-size=\"15\">%s</text>\n", X0, text);
    OUT("<rect x=\"%g\" y=\"%g\" width=\"%g\" height=\"%g\" fill=\"none\" stroke=\"black\"/>\n", X0, Y0, SW, SH);
    for (int i = 0; i <= 4; i++) {
        double t = t0 + (t1 - t0) * i / 4;
        uint64_t n = top * (uint64_t)i / 4;
        OUT("<text x=\"%g\" y=\"%g\" text-anchor=\"middle\">%.4g</text>", PX(t), Y0 + SH + 16, t);
        OUT("<text x=\"%g\" y=\"%g\" text-anchor=\"end\">%llu</text>\n", X0 - 6, PY(n) + 4, (unsigned long long)n);
    }
    OUT("<text x=\"%g\" y=\"%g\" text-anchor=\"middle\">pixel threshold (map &gt; t is defective)</text>\n", X0 + SW / 2,
        Y0 + SH + 36);
    OUT("<text transform=\"translate(18 %g) rotate(-90)\" text-anchor=\"middle\">regions of %u+ pixels</text>\n",
        Y0 + SH / 2, min_area);
    static const char *const colour[2] = { "#2ca02c", "#d62728" };
    static const char *const name[2] = { "good test images", "defective test images" };
    for (int s = 0; s < 2; s++) {
        const uint64_t *n = s ? defective : good;
        OUT("<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\" points=\"", colour[s]);
        for (size_t i = 0; i < k; i++) OUT("%.2f,%.2f ", PX(thresholds[i]), PY(n[i]));
        OUT("\"/>\n<rect x=\"%g\" y=\"%g\" width=\"14\" height=\"4\" fill=\"%s\"/><text x=\"%g\" y=\"%g\">%s</text>\n",
            X0 + SW + 16, Y0 + 8 + 18 * s, colour[s], X0 + SW + 36, Y0 + 14 + 18 * s, name[s]);
    }
    if (isfinite(in_force) && in_force >= t0 && in_force <= t1)
        OUT("<line x1=\"%.2f\" y1=\"%g\" x2=\"%.2f\" y2=\"%g\" stroke=\"black\" stroke-dasharray=\"4 4\"/>"
            "<text x=\"%.2f\" y=\"%g\">threshold %.4g</text>\n", PX(in_force), Y0, PX(in_force), Y0 + SH, PX(in_force) + 4,
            Y0 + 14, in_force);
    OUT("</svg>\n");
#undef PX
#undef PY
#undef OUT
    effad_status st = at < cap ? atomic_file_write(path, svg, at, e)
                               : effad_fail(e, EFFAD_ERR_NOMEM, "region-count plot larger than planned");
    free(svg);
    return st;
}
