/* Putting parts back in place before they are looked at; see align.h. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "align.h"

static uint8_t grey_of(const uint8_t *p) { return (uint8_t)((p[0] + p[1] + p[2] + 1) / 3); }

/* Block sums of 2^L x 2^L over a w x h grey image: (w >> L) x (h >> L). */
static void block_sums(const uint8_t *g, int w, int h, int L, uint32_t *out)
{
    const int bw = w >> L, bh = h >> L, s = 1 << L;
    for (int by = 0; by < bh; by++)
        for (int bx = 0; bx < bw; bx++) {
            uint32_t sum = 0;
            for (int y = 0; y < s; y++) {
                const uint8_t *row = g + (size_t)(by * s + y) * (size_t)w + (size_t)bx * s;
                for (int x = 0; x < s; x++) sum += row[x];
            }
            out[(size_t)by * bw + bx] = sum;
        }
}

/* How many levels a search over spans sx x sy offsets of a w x h region
 * uses: coarser while the next level still has 8 offsets a way and a
 * template of 16 x 16 blocks. The coarsest level's every offset costs
 * the most: for +-32 around a 2000 x 1500 region, 9 x 9 offsets of 8 x 8
 * blocks are 3.8 M multiply-adds, where 17 x 17 of 4 x 4 blocks were 54 M
 * (0.1 s of a score). */
static int levels_for(int w, int h, int sx, int sy)
{
    const int span = sx > sy ? sx : sy;
    int L = 0;
    while (L + 1 < ALIGN_MAX_LEVELS && (span >> (L + 1)) >= 8 && (w >> (L + 1)) >= 16 && (h >> (L + 1)) >= 16) L++;
    return L + 1;
}

/* The best few offsets of a level, highest ZNCC first; on a tie the one
 * found first (row order) stays ahead. */
#define ALIGN_KEEP 4
typedef struct candidates { int n; double z[ALIGN_KEEP]; int u[ALIGN_KEEP], v[ALIGN_KEEP]; } candidates;

static void keep_best(candidates *c, double z, int u, int v)
{
    for (int i = 0; i < c->n; i++)
        if (c->u[i] == u && c->v[i] == v) return;   /* met already, from another candidate's neighbourhood */
    int at = c->n < ALIGN_KEEP ? c->n : ALIGN_KEEP;
    while (at > 0 && z > c->z[at - 1]) at--;
    if (at >= ALIGN_KEEP) return;
    const int last = c->n < ALIGN_KEEP ? c->n : ALIGN_KEEP - 1;
    for (int i = last; i > at; i--) { c->z[i] = c->z[i - 1]; c->u[i] = c->u[i - 1]; c->v[i] = c->v[i - 1]; }
    c->z[at] = z; c->u[at] = u; c->v[at] = v;
    if (c->n < ALIGN_KEEP) c->n++;
}

effad_status align_template_from_grey(align_template *t, const uint8_t *grey, int w, int h, int range,
                                      effad_error *e)
{
    memset(t, 0, sizeof *t);
    if (range < 1 || range > ALIGN_MAX_RANGE)
        return effad_fail(e, EFFAD_ERR_ARG, "alignment range %d is not 1 .. %d pixels", range, ALIGN_MAX_RANGE);
    if (w < 1 || h < 1) return effad_fail(e, EFFAD_ERR_ARG, "empty alignment template");
    const size_t n = (size_t)w * (size_t)h;
    uint8_t lo = 255, hi = 0;
    for (size_t i = 0; i < n; i++) { if (grey[i] < lo) lo = grey[i]; if (grey[i] > hi) hi = grey[i]; }
    if (lo == hi)
        return effad_fail(e, EFFAD_ERR_ARG, "the alignment reference's region is one grey value (%d): nothing to "
                          "match", lo);
    t->w = w; t->h = h; t->range = range;
    /* the most levels any search of this template can use */
    t->n_levels = levels_for(w, h, 2 * range + 1, 2 * range + 1);
    if (!(t->grey = malloc(n))) return effad_fail(e, EFFAD_ERR_NOMEM, "out of memory for the alignment template");
    memcpy(t->grey, grey, n);
    for (int L = 1; L < t->n_levels; L++) {
        if (!(t->level[L] = malloc(sizeof(uint32_t) * (size_t)(w >> L) * (size_t)(h >> L)))) {
            align_template_free(t);
            return effad_fail(e, EFFAD_ERR_NOMEM, "out of memory for the alignment template");
        }
        block_sums(t->grey, w, h, L, t->level[L]);
    }
    return EFFAD_OK;
}

effad_status align_template_make(align_template *t, const uint8_t *rgb, int fw, int fh, const image_roi *r, int range,
                                 effad_error *e)
{
    memset(t, 0, sizeof *t);
    effad_status s = roi_check(r, fw, fh, e);
    if (s) return s;
    uint8_t *g = malloc((size_t)r->w * (size_t)r->h);
    if (!g) return effad_fail(e, EFFAD_ERR_NOMEM, "out of memory for the alignment template");
    for (int y = 0; y < r->h; y++)
        for (int x = 0; x < r->w; x++)
            g[(size_t)y * r->w + x] = grey_of(rgb + 3 * ((size_t)(r->y + y) * (size_t)fw + (size_t)(r->x + x)));
    s = align_template_from_grey(t, g, r->w, r->h, range, e);
    free(g);
    return s;
}

void align_template_free(align_template *t)
{
    if (!t) return;
    free(t->grey);
    for (int L = 1; L < ALIGN_MAX_LEVELS; L++) free(t->level[L]);
    memset(t, 0, sizeof *t);
}

image_roi align_default_roi(int w, int h, int range)
{
    image_roi r = { range, range, w - 2 * range, h - 2 * range };
    if (r.w < 1 || r.h < 1) r.w = r.h = 0;
    return r;
}

/* ZNCC from exact integer sums over n values: template t, patch p. Each
 * product is its own statement, so no compiler fuses two into an FMA:
 * the same bits on every build. A flat patch (or a template flat at this
 * level) matches nothing: -2, below any ZNCC. */
static double zncc(int64_t n_i, int64_t st, int64_t st2, int64_t sp, int64_t sp2, int64_t stp)
{
    const double n = (double)n_i;
    const double ntp = n * (double)stp, tp = (double)st * (double)sp;
    const double npp = n * (double)sp2, pp = (double)sp * (double)sp;
    const double ntt = n * (double)st2, tt = (double)st * (double)st;
    const double vp = npp - pp, vt = ntt - tt;
    if (!(vp > 0) || !(vt > 0)) return -2;   /* a level whose blocks all sum alike matches nothing either */
    const double den = sqrt(vt * vp);
    return (ntp - tp) / den;
}

/* The patch sums at (u, v) of a window ww wide against template values
 * tv (tw x th): level 0 in bytes, coarser levels in block sums. Every sum
 * is exact in 64 bits: a block holds at most 4^6 values (align.h's range
 * allows no coarser level), so a product is below 2^41 and a region of
 * 2^28 pixels sums 2^16 of them. */
#define PATCH_SUMS(T)                                                                          \
    static void patch_sums_##T(const T *tv, int tw, int th, const T *win, int ww, int u, int v, \
                               int64_t *sp, int64_t *sp2, int64_t *stp)                      \
    {                                                                                          \
        int64_t a = 0, b = 0, c = 0;                                                           \
        for (int y = 0; y < th; y++) {                                                         \
            const T *t = tv + (size_t)y * tw, *p = win + (size_t)(v + y) * ww + u;             \
            for (int x = 0; x < tw; x++) {                                                     \
                a += p[x];                                                                     \
                b += (int64_t)p[x] * p[x];                                                     \
                c += (int64_t)t[x] * p[x];                                                     \
            }                                                                                  \
        }                                                                                      \
        *sp = a; *sp2 = b; *stp = c;                                                           \
    }
PATCH_SUMS(uint8_t)
PATCH_SUMS(uint32_t)

effad_status align_find(const align_template *t, const uint8_t *rgb, int fw, int fh, const image_roi *r,
                        align_result *out, effad_error *e)
{
    memset(out, 0, sizeof *out);
    effad_status s = roi_check(r, fw, fh, e);
    if (s) return s;
    /* offsets that keep the region inside the frame */
    const int R = t->range;
    const int x0 = -R > -r->x ? -R : -r->x, x1 = R < fw - r->x - r->w ? R : fw - r->x - r->w;
    const int y0 = -R > -r->y ? -R : -r->y, y1 = R < fh - r->y - r->h ? R : fh - r->y - r->h;
    const int ww = r->w + x1 - x0, wh = r->h + y1 - y0;   /* the searched window */
    uint8_t *win = malloc((size_t)ww * (size_t)wh);
    uint32_t *sums = 0;
    if (!win) return effad_fail(e, EFFAD_ERR_NOMEM, "out of memory for the alignment search");
    for (int y = 0; y < wh; y++) {
        const uint8_t *src = rgb + 3 * ((size_t)(r->y + y0 + y) * (size_t)fw + (size_t)(r->x + x0));
        for (int x = 0; x < ww; x++) win[(size_t)y * ww + x] = grey_of(src + 3 * (size_t)x);
    }
    int levels = levels_for(t->w, t->h, x1 - x0 + 1, y1 - y0 + 1);
    if (levels > t->n_levels) levels = t->n_levels;
    if (levels > 1 && !(sums = malloc(sizeof(uint32_t) * (size_t)(ww >> 1) * (size_t)(wh >> 1)))) {
        free(win);
        return effad_fail(e, EFFAD_ERR_NOMEM, "out of memory for the alignment search");
    }
    /* the best few offsets into the window at each level: a periodic
     * texture can put the coarse level's best beside the true place */
    candidates prev = { 0 }, cur = { 0 };
    for (int L = levels - 1; L >= 0; L--) {
        const int tw = t->w >> L, th = t->h >> L, lw = ww >> L, lh = wh >> L;
        const int umax = lw - tw, vmax = lh - th;
        int64_t st = 0, st2 = 0;
        const size_t tn = (size_t)tw * th;
        if (L) {
            block_sums(win, ww, wh, L, sums);
            for (size_t i = 0; i < tn; i++) { st += t->level[L][i]; st2 += (int64_t)t->level[L][i] * t->level[L][i]; }
        } else {
            for (size_t i = 0; i < tn; i++) { st += t->grey[i]; st2 += (int64_t)t->grey[i] * t->grey[i]; }
        }
        memset(&cur, 0, sizeof cur);
        /* the coarsest level: every offset; finer: around twice each kept
         * one -- at full resolution, the best only: by half resolution the
         * right place has won (and a 3-megapixel region costs 9 patches
         * there, not 36) */
        const int areas = L == levels - 1 ? 1 : L == 0 ? 1 : prev.n;
        for (int k = 0; k < areas; k++) {
            int ulo = 0, uhi = umax, vlo = 0, vhi = vmax;
            if (L < levels - 1) {
                ulo = 2 * prev.u[k] - 1; uhi = 2 * prev.u[k] + 1; vlo = 2 * prev.v[k] - 1; vhi = 2 * prev.v[k] + 1;
                if (ulo < 0) ulo = 0;
                if (vlo < 0) vlo = 0;
                if (uhi > umax) uhi = umax;
                if (vhi > vmax) vhi = vmax;
            }
            for (int v = vlo; v <= vhi; v++)
                for (int u = ulo; u <= uhi; u++) {
                    int64_t sp, sp2, stp;
                    if (L) patch_sums_uint32_t(t->level[L], tw, th, sums, lw, u, v, &sp, &sp2, &stp);
                    else patch_sums_uint8_t(t->grey, tw, th, win, ww, u, v, &sp, &sp2, &stp);
                    keep_best(&cur, zncc((int64_t)tn, st, st2, sp, sp2, stp), u, v);
                }
        }
        prev = cur;
    }
    const int bu = cur.u[0], bv = cur.v[0];
    const double best = cur.z[0];
    free(win);
    free(sums);
    out->dx = x0 + bu;
    out->dy = y0 + bv;
    out->match = best < -1 ? 0 : best;
    return EFFAD_OK;
}
