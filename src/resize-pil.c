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
 * coefficients, and therefore every pixel, come out identical.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "resize.h"

#define PIL_PRECISION_BITS (32 - 8 - 2)   /* 22: Pillow's 8bpc fixed point */
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

/* Pillow clips through a table indexed by ss >> 22; the table is 0 below
 * zero and 255 above 255. Negative sums always land below zero. */
static inline uint8_t pil_clip8(int32_t ss)
{
    if (ss < 0) return 0;
    ss >>= PIL_PRECISION_BITS;
    return ss > 255 ? 255 : (uint8_t)ss;
}

/* ------------------------------------------------------------ passes */

static void pil_horizontal(uint8_t *out, int out_h, const uint8_t *in, int in_w,
                           int row0, const pil_axis *ax)
{
    for (int yy = 0; yy < out_h; yy++) {
        const uint8_t *src = in + (size_t)(yy + row0) * in_w * 3;
        uint8_t *dst = out + (size_t)yy * ax->out_size * 3;
        for (int xx = 0; xx < ax->out_size; xx++) {
            int xmin = ax->bounds[2 * xx], xmax = ax->bounds[2 * xx + 1];
            const int32_t *k = ax->kk + (size_t)xx * ax->ksize;
            int32_t s0 = 1 << (PIL_PRECISION_BITS - 1), s1 = s0, s2 = s0;
            const uint8_t *p = src + (size_t)xmin * 3;
            for (int x = 0; x < xmax; x++, p += 3) {
                s0 += p[0] * k[x]; s1 += p[1] * k[x]; s2 += p[2] * k[x];
            }
            dst[3 * xx] = pil_clip8(s0); dst[3 * xx + 1] = pil_clip8(s1); dst[3 * xx + 2] = pil_clip8(s2);
        }
    }
}

static void pil_vertical(uint8_t *out, const uint8_t *in, int w, const pil_axis *ax)
{
    const size_t stride = (size_t)w * 3;
    for (int yy = 0; yy < ax->out_size; yy++) {
        int ymin = ax->bounds[2 * yy], ymax = ax->bounds[2 * yy + 1];
        const int32_t *k = ax->kk + (size_t)yy * ax->ksize;
        uint8_t *dst = out + (size_t)yy * stride;
        for (size_t i = 0; i < stride; i++) {
            int32_t s = 1 << (PIL_PRECISION_BITS - 1);
            const uint8_t *p = in + (size_t)ymin * stride + i;
            for (int y = 0; y < ymax; y++, p += stride) s += *p * k[y];
            dst[i] = pil_clip8(s);
        }
    }
}

/* ------------------------------------------------------------- entry */

#define ALIGN16(n) (((n) + 15) & ~(size_t)15)

typedef struct pil_plan {
    const pil_filter *f;
    float box[4];
    pil_axis h, v;
    size_t tmp_bytes;
} pil_plan;

static effad_status pil_plan_make(pil_plan *p, int in_w, int in_h, int out_w, int out_h,
                                  resize_pil_filter filter, const float box[4], effad_error *e)
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
    if (!pil_axis_init(&p->h, in_w, p->box[0], p->box[2], out_w, p->f) ||
        !pil_axis_init(&p->v, in_h, p->box[1], p->box[3], out_h, p->f))
        return effad_fail(e, EFFAD_ERR_ARG, "resize_pil: filter support too large");
    /* The temporary holds at most every source row, horizontally resized. */
    p->tmp_bytes = (size_t)out_w * (size_t)in_h * 3;
    return EFFAD_OK;
}

static size_t pil_plan_bytes(const pil_plan *p)
{
    return ALIGN16(pil_axis_bytes(&p->h)) + ALIGN16(pil_axis_bytes(&p->v)) + ALIGN16(p->tmp_bytes);
}

size_t resize_pil_scratch_bytes(int in_w, int in_h, int out_w, int out_h,
                                resize_pil_filter filter, const float box[4])
{
    pil_plan p;
    if (pil_plan_make(&p, in_w, in_h, out_w, out_h, filter, box, NULL) != EFFAD_OK) return 0;
    return pil_plan_bytes(&p);
}

effad_status resize_pil_rgb8(const uint8_t *in, int in_w, int in_h,
                             uint8_t *out, int out_w, int out_h,
                             resize_pil_filter filter, const float box[4],
                             void *scratch, size_t scratch_bytes, effad_error *e)
{
    if (!in || !out) return effad_fail(e, EFFAD_ERR_ARG, "resize_pil: NULL image buffer");
    pil_plan p;
    effad_status st = pil_plan_make(&p, in_w, in_h, out_w, out_h, filter, box, e);
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

    /* Pillow decides on passes with box[2] != xsize (the *output* width);
     * for the default box this is "width changed", and we keep the quirk. */
    int need_h = out_w != in_w || p.box[0] != 0 || p.box[2] != out_w;
    int need_v = out_h != in_h || p.box[1] != 0 || p.box[3] != out_h;

    pil_axis_coeffs(&p.v, p.f);
    int row_first = p.v.bounds[0];
    int row_last = p.v.bounds[2 * out_h - 2] + p.v.bounds[2 * out_h - 1];

    const uint8_t *src = in;
    int src_w = in_w;
    if (need_h) {
        pil_axis_coeffs(&p.h, p.f);
        for (int i = 0; i < out_h; i++) p.v.bounds[2 * i] -= row_first;
        /* With no vertical pass the temporary is the result (and then
         * row_last - row_first == out_h). */
        uint8_t *dst = need_v ? tmp : out;
        pil_horizontal(dst, row_last - row_first, in, in_w, row_first, &p.h);
        src = dst; src_w = out_w;
    }
    if (need_v) pil_vertical(out, src, src_w, &p.v);
    else if (!need_h) memcpy(out, in, (size_t)in_w * in_h * 3);
    free(owned);
    return EFFAD_OK;
}
