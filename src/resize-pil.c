/*
 * resize-pil.c -- Pillow's Image.resize for 8-bit RGB, reproduced bit for bit.
 *
 * The facts this follows (Pillow 9.4, src/libImaging/Resample.c):
 *  - Separable: a horizontal pass into an 8-bit temporary image, then a
 *    vertical pass. The horizontal pass always runs first and only touches
 *    the source rows the vertical pass will read. A pass is skipped when
 *    its size is unchanged and the box does not crop along that axis.
 *  - Per output sample, the filter is centred at in0 + (i + 0.5) * scale and
 *    stretched by scale when downsampling (support * max(scale, 1)); the taps
 *    are normalised to sum 1 in double, then turned into 22-bit fixed point
 *    by rounding half away from zero.
 *  - Each pass accumulates in a 32-bit int starting at 1 << 21 (round half
 *    up), shifts right by 22 and clamps to 0..255 -- so the temporary image
 *    is already rounded and clipped to uint8 before the vertical pass.
 * The arithmetic below keeps Pillow's order of double operations so that the
 * coefficients, and therefore every pixel, come out identical. The rows of
 * each pass are pixel-kernels.h's pil_h and pil_v, on the best table the
 * CPU runs (the same bits on every one).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "pixel-kernels.h"   /* PIL_PRECISION_BITS: 32 - 8 - 2, Pillow's 8bpc fixed point */
#include "resize.h"

#define PIL_MAX_DIM 65535
#define PIL_PI 3.14159265358979323846      /* M_PI, which strict C11 lacks */

/* ------------------------------------------------------------ filters */

static double filter_box(double x)
{
    return (x > -0.5 && x <= 0.5) ? 1.0 : 0.0;
}

static double filter_bilinear(double x)
{
    if (x < 0.0) x = -x;
    return x < 1.0 ? 1.0 - x : 0.0;
}

static double filter_hamming(double x)
{
    if (x < 0.0) x = -x;
    if (x == 0.0) return 1.0;
    if (x >= 1.0) return 0.0;
    x = x * PIL_PI;
    /* Pillow writes the window constants as floats (0.54f, 0.46f). */
    return sin(x) / x * (0.54f + 0.46f * cos(x));
}

static double filter_bicubic(double x)
{
    const double a = -0.5;
    if (x < 0.0) x = -x;
    if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
    if (x < 2.0) return (((x - 5) * x + 8) * x - 4) * a;
    return 0.0;
}

static double sinc(double x)
{
    if (x == 0.0) return 1.0;
    x = x * PIL_PI;
    return sin(x) / x;
}

static double filter_lanczos(double x)
{
    /* Pillow's truncated sinc: the window is half-open, [-3, 3). */
    if (-3.0 <= x && x < 3.0) return sinc(x) * sinc(x / 3);
    return 0.0;
}

typedef struct pil_filter { double (*fn)(double); double support; } pil_filter;

static const pil_filter *pil_filter_get(resize_pil_filter f)
{
    static const pil_filter tab[] = {
        { filter_box, 0.5 }, { filter_bilinear, 1.0 }, { filter_hamming, 1.0 },
        { filter_bicubic, 2.0 }, { filter_lanczos, 3.0 },
    };
    if ((unsigned)f >= sizeof tab / sizeof tab[0]) return NULL;
    return &tab[f];
}

/* ------------------------------------------------------- coefficients */

/* One axis: out_size windows over [in0, in1) of an in_size axis. */
typedef struct pil_axis {
    int in_size, out_size;
    float in0, in1;
    double scale, filterscale, support;
    int ksize;            /* taps reserved per output sample */
    int32_t *bounds;      /* out_size pairs: first tap, tap count */
    int32_t *kk;          /* out_size * ksize fixed-point taps */
} pil_axis;

static int pil_axis_init(pil_axis *a, int in_size, float in0, float in1, int out_size,
                         const pil_filter *f)
{
    a->in_size = in_size; a->out_size = out_size; a->in0 = in0; a->in1 = in1;
    /* in1 - in0 is a float subtraction in Pillow (the box is float[4]). */
    a->scale = a->filterscale = (double)(in1 - in0) / out_size;
    if (a->filterscale < 1.0) a->filterscale = 1.0;
    a->support = f->support * a->filterscale;
    double ks = ceil(a->support) * 2 + 1;
    if (!(ks < 1e6)) return 0;
    a->ksize = (int)ks;
    return 1;
}

static size_t pil_axis_bytes(const pil_axis *a)
{
    return ((size_t)a->out_size * 2 + (size_t)a->out_size * (size_t)a->ksize) * sizeof(int32_t);
}

static void pil_axis_coeffs(pil_axis *a, const pil_filter *f)
{
    const double ss = 1.0 / a->filterscale;
    for (int xx = 0; xx < a->out_size; xx++) {
        double center = a->in0 + (xx + 0.5) * a->scale;
        /* (int) truncates toward zero, exactly as Pillow "rounds" here. */
        int xmin = (int)(center - a->support + 0.5);
        if (xmin < 0) xmin = 0;
        int xmax = (int)(center + a->support + 0.5);
        if (xmax > a->in_size) xmax = a->in_size;
        xmax -= xmin;
        if (xmax > a->ksize) xmax = a->ksize;   /* cannot happen; guards the buffer */
        double ww = 0.0;
        for (int x = 0; x < xmax; x++) ww += f->fn((x + xmin - center + 0.5) * ss);
        int32_t *k = a->kk + (size_t)xx * a->ksize;
        for (int x = 0; x < xmax; x++) {
            /* Recomputing the tap gives the very double Pillow stored. */
            double w = f->fn((x + xmin - center + 0.5) * ss);
            if (ww != 0.0) w /= ww;
            k[x] = w < 0 ? (int32_t)(-0.5 + w * (1 << PIL_PRECISION_BITS))
                         : (int32_t)(0.5 + w * (1 << PIL_PRECISION_BITS));
        }
        for (int x = xmax; x < a->ksize; x++) k[x] = 0;
        a->bounds[2 * xx] = xmin;
        a->bounds[2 * xx + 1] = xmax;
    }
}

/* ------------------------------------------------------------ passes */

/* The horizontal pass over source rows [r0, r1), output columns [x0, x0 +
 * n): row r - r0 of out, n pixels wide. */
static void pil_horizontal(const pixel_kernels *pk, uint8_t *out, const uint8_t *in, int in_w, int in_h,
                           int r0, int r1, const pil_axis *ax, int x0, int n, const void *packed)
{
    const size_t row = (size_t)in_w * 3;
    for (int r = r0; r < r1; r++)
        pk->pil_h(in + (size_t)r * row, (size_t)(in_h - r) * row, ax->bounds + 2 * (size_t)x0,
                  ax->kk + (size_t)x0 * ax->ksize, ax->ksize, packed, n, out + (size_t)(r - r0) * n * 3);
}

/* The vertical pass for output rows [y0, y0 + h): src holds source row r
 * at src + (r - r0) * stride; each output row is row_bytes wide. */
static void pil_vertical(const pixel_kernels *pk, uint8_t *out, const uint8_t *src, size_t stride, int r0,
                         size_t row_bytes, const pil_axis *ax, int y0, int h)
{
    for (int yy = y0; yy < y0 + h; yy++) {
        const int first = ax->bounds[2 * yy], taps = ax->bounds[2 * yy + 1];
        pk->pil_v(src + (size_t)(first - r0) * stride, stride, ax->kk + (size_t)yy * ax->ksize, taps, row_bytes,
                  out + (size_t)(yy - y0) * row_bytes);
    }
}

/* ------------------------------------------------------------- entry */

#define ALIGN16(n) (((n) + 15) & ~(size_t)15)

typedef struct pil_plan {
    const pil_filter *f;
    const pixel_kernels *pk;
    float box[4];
    pil_axis h, v;
    int win[4];           /* x, y, w, h of the output computed */
    int need_h, need_v;   /* the passes that run */
    size_t tmp_bytes, pack_bytes;
} pil_plan;

static effad_status pil_plan_make(pil_plan *p, int in_w, int in_h, int out_w, int out_h,
                                  resize_pil_filter filter, const float box[4], const int win[4], effad_error *e)
{
    if (in_w <= 0 || in_h <= 0 || out_w <= 0 || out_h <= 0)
        return effad_fail(e, EFFAD_ERR_ARG, "resize_pil: sizes must be positive (in %dx%d, out %dx%d)",
                          in_w, in_h, out_w, out_h);
    if (in_w > PIL_MAX_DIM || in_h > PIL_MAX_DIM || out_w > PIL_MAX_DIM || out_h > PIL_MAX_DIM)
        return effad_fail(e, EFFAD_ERR_ARG, "resize_pil: sizes above %d are not supported", PIL_MAX_DIM);
    p->f = pil_filter_get(filter);
    if (!p->f) return effad_fail(e, EFFAD_ERR_ARG, "resize_pil: unknown filter %d", (int)filter);
    if (box) memcpy(p->box, box, sizeof p->box);
    else { p->box[0] = 0; p->box[1] = 0; p->box[2] = (float)in_w; p->box[3] = (float)in_h; }
    /* Pillow's Image.resize checks the box the same way. */
    if (!(p->box[0] >= 0 && p->box[1] >= 0 && p->box[2] <= in_w && p->box[3] <= in_h &&
          p->box[2] - p->box[0] > 0 && p->box[3] - p->box[1] > 0))
        return effad_fail(e, EFFAD_ERR_ARG, "resize_pil: box (%g,%g,%g,%g) is outside the %dx%d image or empty",
                          (double)p->box[0], (double)p->box[1], (double)p->box[2], (double)p->box[3], in_w, in_h);
    if (win) memcpy(p->win, win, sizeof p->win);
    else { p->win[0] = 0; p->win[1] = 0; p->win[2] = out_w; p->win[3] = out_h; }
    if (!(p->win[0] >= 0 && p->win[1] >= 0 && p->win[2] > 0 && p->win[3] > 0 && p->win[2] <= out_w - p->win[0] &&
          p->win[3] <= out_h - p->win[1]))
        return effad_fail(e, EFFAD_ERR_ARG, "resize_pil: window %d,%d,%d,%d (x,y,w,h) is outside the %dx%d output",
                          p->win[0], p->win[1], p->win[2], p->win[3], out_w, out_h);
    if (!pil_axis_init(&p->h, in_w, p->box[0], p->box[2], out_w, p->f) ||
        !pil_axis_init(&p->v, in_h, p->box[1], p->box[3], out_h, p->f))
        return effad_fail(e, EFFAD_ERR_ARG, "resize_pil: filter support too large");
    /* Pillow decides on passes with box[2] != xsize (the *output* width);
     * for the default box this is "width changed", and we keep the quirk. */
    p->need_h = out_w != in_w || p->box[0] != 0 || p->box[2] != out_w;
    p->need_v = out_h != in_h || p->box[1] != 0 || p->box[3] != out_h;
    p->pk = pixel_kernels_best();
    /* The temporary holds at most every source row, horizontally resized
     * over the window's columns. */
    p->tmp_bytes = (size_t)p->win[2] * (size_t)in_h * 3;
    p->pack_bytes = p->need_h && p->pk->pil_h_pack_bytes ? p->pk->pil_h_pack_bytes(p->h.ksize, p->win[2]) : 0;
    return EFFAD_OK;
}

static size_t pil_plan_bytes(const pil_plan *p)
{
    return ALIGN16(pil_axis_bytes(&p->h)) + ALIGN16(pil_axis_bytes(&p->v)) + ALIGN16(p->tmp_bytes) +
           ALIGN16(p->pack_bytes);
}

size_t resize_pil_window_scratch_bytes(int in_w, int in_h, int out_w, int out_h, resize_pil_filter filter,
                                       const float box[4], const int win[4])
{
    pil_plan p;
    if (pil_plan_make(&p, in_w, in_h, out_w, out_h, filter, box, win, NULL) != EFFAD_OK) return 0;
    return pil_plan_bytes(&p);
}

size_t resize_pil_scratch_bytes(int in_w, int in_h, int out_w, int out_h,
                                resize_pil_filter filter, const float box[4])
{
    return resize_pil_window_scratch_bytes(in_w, in_h, out_w, out_h, filter, box, NULL);
}

effad_status resize_pil_rgb8_window(const uint8_t *in, int in_w, int in_h, uint8_t *out, int out_w, int out_h,
                                    resize_pil_filter filter, const float box[4], const int win[4],
                                    void *scratch, size_t scratch_bytes, effad_error *e)
{
    if (!in || !out) return effad_fail(e, EFFAD_ERR_ARG, "resize_pil: NULL image buffer");
    pil_plan p;
    effad_status st = pil_plan_make(&p, in_w, in_h, out_w, out_h, filter, box, win, e);
    if (st) return st;
    size_t need = pil_plan_bytes(&p);
    void *owned = NULL;
    if (!scratch) {
        scratch = owned = malloc(need);
        if (!owned) return effad_fail(e, EFFAD_ERR_NOMEM, "resize_pil: cannot allocate %zu bytes", need);
    } else if (scratch_bytes < need) {
        return effad_fail(e, EFFAD_ERR_NOMEM, "resize_pil: scratch has %zu bytes, needs %zu", scratch_bytes, need);
    }
    uint8_t *mem = scratch;
    p.h.bounds = (int32_t *)(void *)mem; p.h.kk = p.h.bounds + 2 * (size_t)out_w;
    mem += ALIGN16(pil_axis_bytes(&p.h));
    p.v.bounds = (int32_t *)(void *)mem; p.v.kk = p.v.bounds + 2 * (size_t)out_h;
    mem += ALIGN16(pil_axis_bytes(&p.v));
    uint8_t *tmp = mem;
    mem += ALIGN16(p.tmp_bytes);
    void *packed = p.pack_bytes ? mem : NULL;

    const int x0 = p.win[0], y0 = p.win[1], ww = p.win[2], wh = p.win[3];
    const int need_h = p.need_h, need_v = p.need_v;

    /* The source rows the window's output rows read (all of them without
     * a vertical pass, which keeps rows as they are) */
    int r0 = y0, r1 = y0 + wh;
    if (need_v) {
        pil_axis_coeffs(&p.v, p.f);
        r0 = p.v.bounds[2 * y0];
        r1 = r0;
        for (int yy = y0; yy < y0 + wh; yy++)
            if (p.v.bounds[2 * yy] + p.v.bounds[2 * yy + 1] > r1) r1 = p.v.bounds[2 * yy] + p.v.bounds[2 * yy + 1];
    }
    /* Each output pixel depends on its own taps only, so the window is
     * the same bytes as the whole output cut to it. */
    const uint8_t *src = in + (size_t)x0 * 3;   /* without a horizontal pass: the window's columns of the input */
    size_t stride = (size_t)in_w * 3;
    int src_r0 = 0;
    if (need_h) {
        pil_axis_coeffs(&p.h, p.f);
        if (packed) p.pk->pil_h_pack(p.h.kk + (size_t)x0 * p.h.ksize, p.h.ksize, ww, packed);
        /* With no vertical pass the temporary is the result. */
        uint8_t *dst = need_v ? tmp : out;
        pil_horizontal(p.pk, dst, in, in_w, in_h, r0, r1, &p.h, x0, ww, packed);
        src = dst; stride = (size_t)ww * 3; src_r0 = r0;
    }
    if (need_v) pil_vertical(p.pk, out, src, stride, src_r0, (size_t)ww * 3, &p.v, y0, wh);
    else if (!need_h)
        for (int y = 0; y < wh; y++) memcpy(out + (size_t)y * ww * 3, src + (size_t)(y0 + y) * stride, (size_t)ww * 3);
    free(owned);
    return EFFAD_OK;
}

effad_status resize_pil_rgb8(const uint8_t *in, int in_w, int in_h, uint8_t *out, int out_w, int out_h,
                             resize_pil_filter filter, const float box[4], void *scratch, size_t scratch_bytes,
                             effad_error *e)
{
    return resize_pil_rgb8_window(in, in_w, in_h, out, out_w, out_h, filter, box, NULL, scratch, scratch_bytes, e);
}
