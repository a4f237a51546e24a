/* The anomaly map's resampling and blur; conventions in anomaly-map.h. */
#include <math.h>
#include "anomaly-map.h"

effad_status map_geometry_of(const preprocess_cfg *cfg, int img_w, int img_h, map_geometry *g, effad_error *e)
{
    effad_status s = preprocess_resized_size(cfg, img_w, img_h, &g->rw, &g->rh, e);
    if (!s) s = preprocess_crop_origin(cfg, g->rw, g->rh, &g->top, &g->left, e);
    g->img_w = img_w; g->img_h = img_h;
    g->in_w = cfg->out_w; g->in_h = cfg->out_h;
    return s;
}

/* One axis of PyTorch's align_corners=False sampling: source position of
 * output index i, clamped below at 0 as area_pixel_compute_source_index
 * does; i0/i1 the two taps, l1 the weight of i1. */
typedef struct { int i0, i1; double l1; } axis_tap;

static axis_tap tap_at(double src, int n)
{
    axis_tap t;
    if (src < 0) src = 0;
    t.i0 = (int)src;
    if (t.i0 > n - 1) t.i0 = n - 1;
    t.i1 = t.i0 < n - 1 ? t.i0 + 1 : t.i0;
    t.l1 = src - t.i0;
    if (t.l1 > 1) t.l1 = 1;
    return t;
}

static float sample(const float *m, int w, axis_tap tx, axis_tap ty)
{
    const float *r0 = m + (size_t)ty.i0 * w, *r1 = m + (size_t)ty.i1 * w;
    double top = (1 - tx.l1) * r0[tx.i0] + tx.l1 * r0[tx.i1];
    double bot = (1 - tx.l1) * r1[tx.i0] + tx.l1 * r1[tx.i1];
    return (float)((1 - ty.l1) * top + ty.l1 * bot);
}

void map_resize_bilinear(const float *src, int sw, int sh, float *dst, int dw, int dh)
{
    double sx = (double)sw / dw, sy = (double)sh / dh;
    for (int y = 0; y < dh; y++) {
        axis_tap ty = tap_at((y + 0.5) * sy - 0.5, sh);
        for (int x = 0; x < dw; x++) dst[(size_t)y * dw + x] = sample(src, sw, tap_at((x + 0.5) * sx - 0.5, sw), ty);
    }
}

int map_blur_radius(double sigma)
{
    return sigma > 0 ? (int)(4.0 * sigma + 0.5) : 0;
}

/* scipy's 'reflect': half-sample symmetric, periodic with period 2n. */
static int reflect(int i, int n)
{
    int p = 2 * n;
    i %= p;
    if (i < 0) i += p;
    return i < n ? i : p - 1 - i;
}

size_t map_blur_scratch(int w, int h, double sigma)
{
    int r = map_blur_radius(sigma), n = w > h ? w : h;
    /* the transposed-free layout: one float row of the image for the
     * vertical pass' sums (as double), one reflected row for the other */
    return (size_t)(2 * r + 1) * sizeof(double) + (size_t)w * sizeof(double) + (size_t)(n + 2 * r) * sizeof(double);
}

void map_blur(float *map, int w, int h, double sigma, float *tmp, void *scratch)
{
    int r = map_blur_radius(sigma);
    if (r <= 0) return;
    double *weights = scratch, *acc = weights + 2 * r + 1, *pad = acc + w;
    double sum = 0;
    for (int k = -r; k <= r; k++) sum += weights[k + r] = exp(-0.5 / (sigma * sigma) * k * k);
    for (int k = 0; k <= 2 * r; k++) weights[k] /= sum;
    /* axis 0 (down the columns) into tmp: whole rows at a time, so the
     * inner loop runs along memory; each output is still the sum over k in
     * the same order as a per-pixel loop, accumulated in double as scipy's
     * correlate1d does */
    for (int y = 0; y < h; y++) {
        for (int x = 0; x < w; x++) acc[x] = 0;
        for (int k = -r; k <= r; k++) {
            const float *row = map + (size_t)reflect(y + k, h) * w;
            double wk = weights[k + r];
            for (int x = 0; x < w; x++) acc[x] += wk * row[x];
        }
        for (int x = 0; x < w; x++) tmp[(size_t)y * w + x] = (float)acc[x];
    }
    /* axis 1 back into map, through a row with its reflected margins;
     * again k outside and x inside, the same order of sums per pixel */
    for (int y = 0; y < h; y++) {
        const float *row = tmp + (size_t)y * w;
        for (int i = -r; i < w + r; i++) pad[i + r] = row[reflect(i, w)];
        for (int x = 0; x < w; x++) acc[x] = 0;
        for (int k = 0; k <= 2 * r; k++) {
            double wk = weights[k];
            const double *src = pad + k;
            for (int x = 0; x < w; x++) acc[x] += wk * src[x];
        }
        float *out = map + (size_t)y * w;
        for (int x = 0; x < w; x++) out[x] = (float)acc[x];
    }
}

/* First and last index i < n_img whose centre (i + 0.5) * n_res / n_img
 * lies in [origin, origin + n_win), as map_to_image tests it. */
static void window_axis(int n_img, int n_res, int origin, int n_win, int *first, int *last)
{
    double s = (double)n_res / n_img;
    *first = n_img;
    *last = -1;
    for (int i = 0; i < n_img; i++) {
        double c = (i + 0.5) * s;
        if (c >= origin && c < origin + n_win) {
            if (i < *first) *first = i;
            *last = i;
        }
    }
}

void map_window(const map_geometry *g, int *x0, int *y0, int *x1, int *y1)
{
    window_axis(g->img_w, g->rw, g->left, g->in_w, x0, x1);
    window_axis(g->img_h, g->rh, g->top, g->in_h, y0, y1);
}

void map_to_image(const float *net, const map_geometry *g, float *out)
{
    double sx = (double)g->rw / g->img_w, sy = (double)g->rh / g->img_h;
    for (int y = 0; y < g->img_h; y++) {
        double cy = (y + 0.5) * sy;              /* centre in the resized image */
        int inside_y = cy >= g->top && cy < g->top + g->in_h;
        axis_tap ty = tap_at(cy - 0.5 - g->top, g->in_h);
        float *row = out + (size_t)y * g->img_w;
        for (int x = 0; x < g->img_w; x++) {
            double cx = (x + 0.5) * sx;
            if (!inside_y || cx < g->left || cx >= g->left + g->in_w) { row[x] = 0; continue; }
            row[x] = sample(net, g->in_w, tap_at(cx - 0.5 - g->left, g->in_w), ty);
        }
    }
}
