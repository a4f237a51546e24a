/* Gram matrices of a depthwise layer's inputs for GPTQ (gptq.h). */
#include <string.h>
#include "gptq.h"
#include "efm-format.h"

/* Channels go GRAM_DW_CHANNELS at a time, innermost as in the map: a
 * worker's float sums for one such group (GPTQ_TRI(kh kw) x 32, 41 KB for
 * 5x5) stay in cache over the whole map and go into double once per map
 * (36100 pixels at most for B4 at 380: a float sum that long is good to
 * ~1e-5, below anything the 1 % damping notices). The loops over a full
 * group have a fixed length, which is what lets the compiler vectorise
 * them at -O2; the last, partial group takes the same loops at its own
 * length. */
#define GRAM_DW_CHANNELS 32
#define MAX_TAPS (EFM_MAX_KERNEL * EFM_MAX_KERNEL)
#define MAX_OFFSETS ((2 * EFM_MAX_KERNEL - 1) * EFM_MAX_KERNEL)

/* With stride 1 the product of taps a and b at an output pixel is the
 * product of two input pixels a fixed offset d = o_a - o_b apart, and
 * their entry of H is that product summed over the window of input pixels
 * tap b visits. So for each offset (41 for 5x5, against 325 pairs) one
 * pass over the map sums each row's products once, and every pair with
 * that offset takes its window's part of the row: the whole row less a
 * few pixels at either end (kept as running sums from each end). About
 * 4x less work than every pair at every pixel on B4's 24 x 24 maps. */
typedef struct offset {
    int dy, dx;                 /* input pixels from tap b to tap a (dy >= 0) */
    int first, end;             /* its pairs: [first, end) of pair_a / pair_b */
    int u0, u1;                 /* the rows (of tap b) any of its pairs reads */
    int left, right;            /* the most pixels a pair leaves out at each end of a row */
} offset;

typedef struct dw_job {
    double *h;
    const float *in;
    ops_hwc d;
    const ops_conv_geom *g;
    int out_h, out_w;
    /* stride 1: the pairs (a >= b) by offset, and where each tap's window starts */
    int n_offsets;
    offset off[MAX_OFFSETS];
    short pair_a[GPTQ_TRI(MAX_TAPS)], pair_b[GPTQ_TRI(MAX_TAPS)];
    int ry[MAX_TAPS], rx[MAX_TAPS];
    uint8_t *work;
    size_t work_bytes;
} dw_job;

/* Per worker: the sums of every pair, then (stride 1) a row's total and
 * its running sums from each end, or (any stride) one pixel's patch. */
static size_t dw_worker_bytes(int kk, int in_w)
{
    const size_t row = 1 + 2 * ((size_t)in_w + 1), patch = (size_t)kk;
    return gptq_round_up(sizeof(float) * (GPTQ_TRI(kk) + (row > patch ? row : patch)) * GRAM_DW_CHANNELS);
}

size_t gptq_gram_dw_scratch_bytes(int kh, int kw, int in_w, int n_workers)
{
    return gptq_round_up(sizeof(dw_job)) + (size_t)n_workers * dw_worker_bytes(kh * kw, in_w) + GPTQ_ALIGN;
}

static void flush(const dw_job *j, const float *acc, int c0, int nc)
{
    const size_t tri = GPTQ_TRI(j->g->kh * j->g->kw);
    for (int ch = 0; ch < nc; ch++) {
        double *hc = j->h + (size_t)(c0 + ch) * tri;
        for (size_t e = 0; e < tri; e++) hc[e] += (double)acc[e * GRAM_DW_CHANNELS + ch];
    }
}

/* ------------------------------------------------------- any stride */

/* acc[pair] += pa * pb over a group of channels */
static void patch_pairs(float *restrict acc, const float *restrict patch, const int *tap, int n_taps, int nc)
{
    for (int ia = 0; ia < n_taps; ia++) {
        const float *pa = patch + (size_t)ia * GRAM_DW_CHANNELS;
        for (int ib = 0; ib <= ia; ib++) {
            const float *pb = patch + (size_t)ib * GRAM_DW_CHANNELS;
            float *s = acc + GPTQ_AT(tap[ia], tap[ib]) * GRAM_DW_CHANNELS;
            if (nc == GRAM_DW_CHANNELS)
                for (int ch = 0; ch < GRAM_DW_CHANNELS; ch++) s[ch] += pa[ch] * pb[ch];
            else
                for (int ch = 0; ch < nc; ch++) s[ch] += pa[ch] * pb[ch];
        }
    }
}

static void group_any(const dw_job *j, float *acc, int c0, int nc)
{
    const ops_conv_geom *g = j->g;
    const int c = j->d.c;
    float *patch = acc + GPTQ_TRI(g->kh * g->kw) * GRAM_DW_CHANNELS;
    for (int oy = 0; oy < j->out_h; oy++)
        for (int ox = 0; ox < j->out_w; ox++) {
            int tap[MAX_TAPS], n_taps = 0;   /* padding: zeros, nothing to add */
            for (int ky = 0; ky < g->kh; ky++) {
                const int iy = oy * g->stride_h - g->pad_top + ky * g->dil_h;
                if (iy < 0 || iy >= j->d.h) continue;
                for (int kx = 0; kx < g->kw; kx++) {
                    const int ix = ox * g->stride_w - g->pad_left + kx * g->dil_w;
                    if (ix < 0 || ix >= j->d.w) continue;
                    float *dst = patch + (size_t)n_taps * GRAM_DW_CHANNELS;
                    const float *src = j->in + ((size_t)iy * j->d.w + ix) * c + c0;
                    if (nc == GRAM_DW_CHANNELS) memcpy(dst, src, sizeof(float) * GRAM_DW_CHANNELS);   /* inlined */
                    else memcpy(dst, src, sizeof(float) * (size_t)nc);
                    tap[n_taps++] = ky * g->kw + kx;
                }
            }
            patch_pairs(acc, patch, tap, n_taps, nc);
        }
}

/* --------------------------------------------------------- stride 1 */

/* The pairs by offset, and the rows and row ends each offset needs. */
static void plan_offsets(dw_job *j)
{
    const ops_conv_geom *g = j->g;
    for (int ky = 0; ky < g->kh; ky++)
        for (int kx = 0; kx < g->kw; kx++) {
            j->ry[ky * g->kw + kx] = ky * g->dil_h - g->pad_top;
            j->rx[ky * g->kw + kx] = kx * g->dil_w - g->pad_left;
        }
    int n_pairs = 0;
    j->n_offsets = 0;
    for (int ty = 0; ty < g->kh; ty++)
        for (int tx = ty ? -(g->kw - 1) : 0; tx < g->kw; tx++) {   /* b before a in the weights' order */
            offset *o = &j->off[j->n_offsets];
            o->dy = ty * g->dil_h; o->dx = tx * g->dil_w;
            o->first = n_pairs;
            o->u0 = j->d.h; o->u1 = 0; o->left = o->right = 0;
            const int v_lo = o->dx < 0 ? -o->dx : 0, v_hi = o->dx > 0 ? j->d.w - o->dx : j->d.w;
            for (int yb = 0; yb + ty < g->kh; yb++)
                for (int xb = 0; xb < g->kw; xb++) {
                    const int xa = xb + tx;
                    if (xa < 0 || xa >= g->kw) continue;
                    const int b = yb * g->kw + xb, a = (yb + ty) * g->kw + xa;
                    j->pair_a[n_pairs] = (short)a; j->pair_b[n_pairs] = (short)b;
                    n_pairs++;
                    const int u0 = j->ry[b] > 0 ? j->ry[b] : 0, u1 = j->ry[b] + j->out_h;
                    o->u0 = u0 < o->u0 ? u0 : o->u0;
                    o->u1 = u1 > o->u1 ? u1 : o->u1;
                    const int l = j->rx[b] - v_lo, r = v_hi - (j->rx[b] + j->out_w);
                    o->left = l > o->left ? l : o->left;
                    o->right = r > o->right ? r : o->right;
                }
            o->end = n_pairs;
            if (o->u1 > j->d.h - o->dy) o->u1 = j->d.h - o->dy;
            if (o->left > v_hi - v_lo) o->left = v_hi - v_lo;
            if (o->right > v_hi - v_lo) o->right = v_hi - v_lo;
            j->n_offsets++;
        }
}

/* One row of products x0[v] x1[v] (pixels c floats apart), v in [0, n):
 * total = their sum, lead[e] = the sum of the first e (e <= left), tail[e]
 * of the last e (e <= right). nc: the channels (GRAM_DW_CHANNELS but in
 * the last group); inlined twice, once at the constant. */
static inline void row_sums(float *restrict total, float *restrict lead, float *restrict tail, const float *x0,
                            const float *x1, size_t c, int n, int left, int right, int nc)
{
    const size_t G = GRAM_DW_CHANNELS;
    float t[GRAM_DW_CHANNELS] = { 0 };
    for (int v = 0; v < n; v++) {
        if (v <= left) memcpy(lead + (size_t)v * G, t, sizeof t);
        const float *a = x0 + (size_t)v * c, *b = x1 + (size_t)v * c;
        for (int ch = 0; ch < nc; ch++) t[ch] += a[ch] * b[ch];
    }
    if (left == n) memcpy(lead + (size_t)n * G, t, sizeof t);
    memcpy(total, t, sizeof t);
    memset(t, 0, sizeof t);
    memcpy(tail, t, sizeof t);
    for (int e = 1; e <= right; e++) {
        const float *a = x0 + (size_t)(n - e) * c, *b = x1 + (size_t)(n - e) * c;
        for (int ch = 0; ch < nc; ch++) t[ch] += a[ch] * b[ch];
        memcpy(tail + (size_t)e * G, t, sizeof t);
    }
}

/* s += total - l - r: a pair's part of the row (its window) */
static void add_window(float *restrict s, const float *restrict total, const float *restrict l, const float *restrict r)
{
    for (int ch = 0; ch < GRAM_DW_CHANNELS; ch++) s[ch] += total[ch] - l[ch] - r[ch];
}

static void group_s1(const dw_job *j, float *acc, int c0, int nc)
{
    const int c = j->d.c, w = j->d.w;
    const size_t G = GRAM_DW_CHANNELS;
    float *total = acc + GPTQ_TRI(j->g->kh * j->g->kw) * G, *lead = total + G, *tail = lead + ((size_t)w + 1) * G;
    for (int t = 0; t < j->n_offsets; t++) {
        const offset *o = &j->off[t];
        const int v_lo = o->dx < 0 ? -o->dx : 0, v_hi = o->dx > 0 ? w - o->dx : w;
        if (v_hi <= v_lo) continue;
        for (int u = o->u0; u < o->u1; u++) {
            const float *x0 = j->in + ((size_t)u * w + v_lo) * c + c0;
            const float *x1 = j->in + ((size_t)(u + o->dy) * w + v_lo + o->dx) * c + c0;
            if (nc == GRAM_DW_CHANNELS) row_sums(total, lead, tail, x0, x1, (size_t)c, v_hi - v_lo, o->left, o->right, GRAM_DW_CHANNELS);
            else row_sums(total, lead, tail, x0, x1, (size_t)c, v_hi - v_lo, o->left, o->right, nc);
            for (int p = o->first; p < o->end; p++) {
                const int b = j->pair_b[p];
                if (u < j->ry[b] || u >= j->ry[b] + j->out_h) continue;
                const int v0 = j->rx[b] > v_lo ? j->rx[b] : v_lo;
                const int v1 = j->rx[b] + j->out_w < v_hi ? j->rx[b] + j->out_w : v_hi;
                if (v1 <= v0) continue;
                add_window(acc + GPTQ_AT(j->pair_a[p], b) * G, total, lead + (size_t)(v0 - v_lo) * G,
                           tail + (size_t)(v_hi - v1) * G);
            }
        }
    }
}

/* ---------------------------------------------------------- the job */

static void dw_groups(void *ctx, int worker, int begin, int end)
{
    const dw_job *j = ctx;
    const int c = j->d.c, s1 = j->g->stride_h == 1 && j->g->stride_w == 1;
    float *acc = (float *)(void *)(j->work + (size_t)worker * j->work_bytes);
    for (int grp = begin; grp < end; grp++) {
        const int c0 = grp * GRAM_DW_CHANNELS, nc = c - c0 < GRAM_DW_CHANNELS ? c - c0 : GRAM_DW_CHANNELS;
        memset(acc, 0, j->work_bytes);   /* lanes past nc stay 0 */
        if (s1) group_s1(j, acc, c0, nc);
        else group_any(j, acc, c0, nc);
        flush(j, acc, c0, nc);
    }
}

void gptq_gram_dw(double *h, const float *in, ops_hwc in_dims, const ops_conv_geom *g, int out_h, int out_w,
                  effad_threads *threads, void *scratch)
{
    uint8_t *base = (uint8_t *)gptq_round_up((size_t)(uintptr_t)scratch);
    dw_job *j = (dw_job *)(void *)base;   /* its pair tables are ~100 KB: in the scratch, not on the stack */
    j->h = h; j->in = in; j->d = in_dims; j->g = g; j->out_h = out_h; j->out_w = out_w;
    j->work = base + gptq_round_up(sizeof(dw_job));
    j->work_bytes = dw_worker_bytes(g->kh * g->kw, in_dims.w);
    if (g->stride_h == 1 && g->stride_w == 1) plan_offsets(j);
    gptq_parallel(threads, dw_groups, j, (in_dims.c + GRAM_DW_CHANNELS - 1) / GRAM_DW_CHANNELS);
}
