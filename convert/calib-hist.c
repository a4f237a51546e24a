/* Activation histograms and the ranges they suggest (calib-hist.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "calib-hist.h"

static const char *const method_names[CALIB_N_METHODS] = { "minmax", "percentile", "mse" };

const char *calib_method_name(int m)
{
    return m >= 0 && m < CALIB_N_METHODS ? method_names[m] : "?";
}

int calib_method_parse(const char *s)
{
    for (int m = 0; m < CALIB_N_METHODS; m++)
        if (!strcmp(s, method_names[m])) return m;
    return -1;
}

effad_status calib_hist_init(calib_hist *h, const calib *minmax, effad_error *e)
{
    memset(h, 0, sizeof *h);
    h->n_blocks = minmax->seen.n_blocks;
    h->n_points = CALIB_POINTS(h->n_blocks);
    convert_quant seen = minmax->seen;
    for (int p = 0; p < h->n_points; p++) h->span[p] = *calib_point_range(&seen, p);
    h->bins = calloc((size_t)h->n_points * CALIB_BINS, sizeof *h->bins);
    if (!h->bins) return effad_fail(e, EFFAD_ERR_NOMEM, "out of memory for %d activation histograms", h->n_points);
    return EFFAD_OK;
}

void calib_hist_free(calib_hist *h)
{
    free(h->bins);
    h->bins = 0;
}

static int bin_of(float v, float lo, float inv_width)
{
    const float b = (v - lo) * inv_width;
    return b < 0.0f ? 0 : b >= (float)(CALIB_BINS - 1) ? CALIB_BINS - 1 : (int)b;
}

void calib_hist_observe(void *ctx, effad_point at, int block, const float *map, int hh, int w, int c,
                        const float *chan_scale)
{
    calib_hist *h = ctx;
    const int p = calib_point(at, block, h->n_blocks);
    const quant_range s = h->span[p];
    if (!(s.hi > s.lo)) return;   /* a constant point: nothing to spread */
    const float inv = (float)CALIB_BINS / (s.hi - s.lo);
    uint64_t *bins = h->bins + (size_t)p * CALIB_BINS;
    const size_t px = (size_t)hh * w;
    for (size_t i = 0; i < px; i++)
        for (int k = 0; k < c; k++) {
            const float v = chan_scale ? map[i * c + k] * chan_scale[k] : map[i * c + k];
            bins[bin_of(v, s.lo, inv)]++;
        }
}

/* The expected squared error of quantising the histogram into 255 steps
 * over [a, b] (widened to hold 0, as quant_qtype does). */
static double range_mse(const uint64_t *bins, quant_range s, double a, double b)
{
    if (a > 0) a = 0;
    if (b < 0) b = 0;
    const double step = (b - a) / 255.0, width = ((double)s.hi - s.lo) / CALIB_BINS, round_err = step * step / 12.0;
    double err = 0;
    for (int i = 0; i < CALIB_BINS; i++) {
        if (!bins[i]) continue;
        const double x = s.lo + (i + 0.5) * width;
        const double d = x < a ? a - x : x > b ? x - b : 0.0;
        err += (double)bins[i] * (d > 0 ? d * d : round_err);
    }
    return err;
}

quant_range calib_hist_range(const calib_hist *h, int p, calib_method m)
{
    const quant_range s = h->span[p];
    quant_range r = { 0.0f, 0.0f, { 0, 0.0f, 0 }, { 0, 0.0f, 0 } };
    if (!(s.lo <= s.hi)) return r;   /* never observed */
    if (m == CALIB_MINMAX || !(s.hi > s.lo)) return s;
    const uint64_t *bins = h->bins + (size_t)p * CALIB_BINS;
    const float width = (s.hi - s.lo) / CALIB_BINS;
    uint64_t total = 0;
    for (int i = 0; i < CALIB_BINS; i++) total += bins[i];
    if (!total) return s;
    if (m == CALIB_PERCENTILE) {
        const double tail = CALIB_PERCENTILE_TAIL * (double)total;
        uint64_t cum = 0;
        int first = 0, last = CALIB_BINS - 1;
        for (int i = 0; i < CALIB_BINS; i++) {
            cum += bins[i];
            if ((double)cum > tail) { first = i; break; }
        }
        cum = 0;
        for (int i = CALIB_BINS - 1; i >= 0; i--) {
            cum += bins[i];
            if ((double)cum > tail) { last = i; break; }
        }
        r.lo = first == 0 ? s.lo : s.lo + (float)first * width;
        r.hi = last == CALIB_BINS - 1 ? s.hi : s.lo + (float)(last + 1) * width;
        return r;
    }
    /* MSE: t from 1 down in steps of 1/128; a strictly better t replaces
     * the one found so far, so a tie keeps the wider range */
    double best = range_mse(bins, s, s.lo, s.hi);
    r = s;
    for (int k = 127; k >= 1; k--) {
        const double t = k / 128.0;
        const double err = range_mse(bins, s, t * s.lo, t * s.hi);
        if (err < best) { best = err; r.lo = (float)(t * s.lo); r.hi = (float)(t * s.hi); }
    }
    return r;
}
