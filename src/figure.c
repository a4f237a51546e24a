/* Score figures (PNG) and ROC curves (SVG). No font library: digits come
 * from a 3x5 bitmap drawn here, which is all a score needs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "figure.h"
#include "resize.h"
#include "atomic-file.h"
#include "utf8.h"

/* 3x5 glyphs, one row per 3 bits, for "0123456789.-e" */
static const char glyph_chars[] = "0123456789.-e";
static const uint8_t glyphs[][5] = {
    {7,5,5,5,7},{2,6,2,2,7},{7,1,7,4,7},{7,1,7,1,7},{5,5,7,1,1},{7,4,7,1,7},{7,4,7,5,7},
    {7,1,1,2,2},{7,5,7,5,7},{7,5,7,1,7},{0,0,0,0,2},{0,0,7,0,0},{0,7,5,6,7},
};

static void put_px(uint8_t *img, int w, int h, int x, int y, const uint8_t c[3])
{
    if (x < 0 || y < 0 || x >= w || y >= h) return;
    memcpy(img + ((size_t)y * w + x) * 3, c, 3);
}

static void fill(uint8_t *img, int w, int h, int x0, int y0, int x1, int y1, const uint8_t c[3])
{
    for (int y = y0; y < y1; y++)
        for (int x = x0; x < x1; x++) put_px(img, w, h, x, y, c);
}

/* Draws text (digits, '.', '-', 'e') at scale 2; returns the width used. */
static int text(uint8_t *img, int w, int h, int x, int y, const char *s, const uint8_t c[3])
{
    int x0 = x;
    for (; *s; s++) {
        const char *g = strchr(glyph_chars, *s);
        if (g && *s) {
            const uint8_t *rows = glyphs[g - glyph_chars];
            for (int r = 0; r < 5; r++)
                for (int b = 0; b < 3; b++)
                    if (rows[r] & (4 >> b)) fill(img, w, h, x + 2 * b, y + 2 * r, x + 2 * b + 2, y + 2 * r + 2, c);
        }
        x += 8;
    }
    return x - x0;
}

/* Fades what lies outside [x0, x1) x [y0, y1) of a w x h image halfway to
 * white and outlines the window, 2 pixels wide, just outside it. */
static void mark_window(uint8_t *img, int stride_w, int ox, int oy, int w, int h, int x0, int y0, int x1, int y1)
{
    static const uint8_t blue[3] = { 31, 119, 180 };
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            if (x < x0 || x >= x1 || y < y0 || y >= y1) {
                uint8_t *p = img + ((size_t)(y + oy) * stride_w + x + ox) * 3;
                for (int c = 0; c < 3; c++) p[c] = (uint8_t)((p[c] + 255) / 2);
            }
    for (int t = 1; t <= 2; t++) {
        int ax = x0 - t, bx = x1 - 1 + t, ay = y0 - t, by = y1 - 1 + t;
        for (int x = ax; x <= bx; x++)
            if (x >= 0 && x < w) {
                if (ay >= 0) memcpy(img + ((size_t)(ay + oy) * stride_w + x + ox) * 3, blue, 3);
                if (by < h) memcpy(img + ((size_t)(by + oy) * stride_w + x + ox) * 3, blue, 3);
            }
        for (int y = ay; y <= by; y++)
            if (y >= 0 && y < h) {
                if (ax >= 0) memcpy(img + ((size_t)(y + oy) * stride_w + ax + ox) * 3, blue, 3);
                if (bx < w) memcpy(img + ((size_t)(y + oy) * stride_w + bx + ox) * 3, blue, 3);
            }
    }
}

effad_status figure_score(const uint8_t *rgb, int w, int h, const double *crop_box, double score, double threshold,
                          uint8_t **out, int *out_w, int *out_h, effad_error *e)
{
    const int ih = 256;
    int iw = h > 0 ? (int)((long)w * ih / h) : 1;
    if (iw < 1) iw = 1;
    const int bar_w = 48, pad = 12, text_h = 30;
    const int W = iw + bar_w + 3 * pad, H = ih + 2 * pad + text_h;
    if (iw > 4096) return effad_fail(e, EFFAD_ERR_ARG, "image too wide for a figure");
    uint8_t *img = malloc((size_t)W * H * 3);
    if (!img) return effad_fail(e, EFFAD_ERR_NOMEM, "out of memory for a figure");
    memset(img, 255, (size_t)W * H * 3);
    uint8_t *scaled = malloc((size_t)iw * ih * 3);
    if (!scaled) { free(img); return effad_fail(e, EFFAD_ERR_NOMEM, "out of memory for a figure"); }
    effad_status s = resize_pil_rgb8(rgb, w, h, scaled, iw, ih, RESIZE_PIL_BILINEAR, 0, 0, 0, e);
    if (s) { free(img); free(scaled); return s; }
    for (int y = 0; y < ih; y++) memcpy(img + ((size_t)(y + pad) * W + pad) * 3, scaled + (size_t)y * iw * 3, (size_t)iw * 3);
    free(scaled);
    if (crop_box) {
        double sx = (double)iw / w, sy = (double)ih / h;
        mark_window(img, W, pad, pad, iw, ih, (int)(crop_box[0] * sx + 0.5), (int)(crop_box[1] * sy + 0.5),
                    (int)(crop_box[2] * sx + 0.5), (int)(crop_box[3] * sy + 0.5));
    }

    static const uint8_t black[3] = { 0, 0, 0 }, grey[3] = { 220, 220, 220 };
    static const uint8_t red[3] = { 214, 39, 40 }, green[3] = { 44, 160, 44 };
    double top = threshold > 0 ? 2.0 * threshold : 1.0;
    if (score * 1.1 > top) top = score * 1.1;
    int bx = iw + 2 * pad, by = pad;
    fill(img, W, H, bx, by, bx + bar_w, by + ih, grey);
    int sh = (int)(ih * (score > 0 ? score / top : 0));
    fill(img, W, H, bx, by + ih - sh, bx + bar_w, by + ih, score >= threshold ? red : green);
    int ty = by + ih - (int)(ih * (threshold / top));
    fill(img, W, H, bx - 4, ty - 1, bx + bar_w + 4, ty + 2, black);

    char buf[32];
    snprintf(buf, sizeof buf, "%.4g", score);
    text(img, W, H, pad, ih + pad + 8, buf, score >= threshold ? red : green);
    snprintf(buf, sizeof buf, "%.4g", threshold);
    int tw = (int)strlen(buf) * 8;
    text(img, W, H, W - pad - tw, ih + pad + 8, buf, black);
    *out = img; *out_w = W; *out_h = H;
    return EFFAD_OK;
}

void figure_svg_text(char *out, size_t cap, const char *s)
{
    size_t at = 0;
    while (*s) {
        const size_t n = utf8_seq(s);
        const char *put = *s == '&' ? "&amp;" : *s == '<' ? "&lt;" : *s == '>' ? "&gt;" : !n ? "\xEF\xBF\xBD" : 0;
        const size_t len = put ? strlen(put) : n;
        if (at + len >= cap) break;
        memcpy(out + at, put ? put : s, len);
        at += len;
        s += n ? n : 1;
    }
    out[at] = '\0';
}

effad_status figure_roc_svg(const char *path, const char *title, const roc_series *s, int n_series, effad_error *e)
{
    static const char *const colours[] = { "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd",
                                           "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf" };
    size_t cap = 4096 + 1024;   /* + the title, escaped */
    for (int k = 0; k < n_series; k++) cap += 40 * s[k].n + 512 + 1024;   /* + its legend's name, escaped */
    char *svg = malloc(cap);
    if (!svg) return effad_fail(e, EFFAD_ERR_NOMEM, "out of memory for the ROC plot");
    size_t at = 0;
#define OUT(...) do { if (at < cap) at += (size_t)snprintf(svg + at, cap - at, __VA_ARGS__); } while (0)
    const double X0 = 60, Y0 = 40, S = 400;   /* plot origin (top-left) and size */
    OUT("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" font-family=\"sans-serif\" font-size=\"12\">\n",
        (int)(X0 + S + 220), (int)(Y0 + S + 60));
    OUT("<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n");
    char text[1024];
    figure_svg_text(text, sizeof text, title);
    OUT("<text x=\"%g\" y=\"24\" font-size=\"15\">%s</text>\n", X0, text);
    OUT("<rect x=\"%g\" y=\"%g\" width=\"%g\" height=\"%g\" fill=\"none\" stroke=\"black\"/>\n", X0, Y0, S, S);
    for (int i = 0; i <= 10; i += 2) {
        double f = i / 10.0;
        OUT("<line x1=\"%g\" y1=\"%g\" x2=\"%g\" y2=\"%g\" stroke=\"#ddd\"/>", X0 + f * S, Y0, X0 + f * S, Y0 + S);
        OUT("<line x1=\"%g\" y1=\"%g\" x2=\"%g\" y2=\"%g\" stroke=\"#ddd\"/>\n", X0, Y0 + S - f * S, X0 + S, Y0 + S - f * S);
        OUT("<text x=\"%g\" y=\"%g\" text-anchor=\"middle\">%.1f</text>", X0 + f * S, Y0 + S + 16, f);
        OUT("<text x=\"%g\" y=\"%g\" text-anchor=\"end\">%.1f</text>\n", X0 - 6, Y0 + S - f * S + 4, f);
    }
    OUT("<line x1=\"%g\" y1=\"%g\" x2=\"%g\" y2=\"%g\" stroke=\"#999\" stroke-dasharray=\"4 4\"/>\n", X0, Y0 + S, X0 + S, Y0);
    OUT("<text x=\"%g\" y=\"%g\" text-anchor=\"middle\">false positive rate</text>\n", X0 + S / 2, Y0 + S + 36);
    OUT("<text transform=\"translate(18 %g) rotate(-90)\" text-anchor=\"middle\">true positive rate</text>\n", Y0 + S / 2);
    for (int k = 0; k < n_series; k++) {
        const char *c = colours[k % 10];
        OUT("<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"%s\" points=\"", c, k ? "1.5" : "2.5");
        for (size_t i = 0; i < s[k].n; i++) OUT("%.2f,%.2f ", X0 + s[k].fpr[i] * S, Y0 + S - s[k].tpr[i] * S);
        OUT("\"/>\n");
        OUT("<rect x=\"%g\" y=\"%g\" width=\"14\" height=\"4\" fill=\"%s\"/>", X0 + S + 16, Y0 + 8 + 18 * k, c);
        figure_svg_text(text, sizeof text, s[k].name);
        OUT("<text x=\"%g\" y=\"%g\">%s  %.4f</text>\n", X0 + S + 36, Y0 + 14 + 18 * k, text, s[k].auc);
    }
    OUT("</svg>\n");
#undef OUT
    effad_status st = at < cap ? atomic_file_write(path, svg, at, e)
                               : effad_fail(e, EFFAD_ERR_NOMEM, "ROC plot larger than planned");
    free(svg);
    return st;
}
