/* The float32 layers of the forward pass (run.h): 1x1 convs as GEMMs split
 * by row or column chunks, depthwise and stem convs split by bands of
 * rows, and taps. */
#include "run.h"

static const float *f32_of(const effad_tensor *t) { return (const float *)t->data; }

/* ---------------------------------------------------- 1x1 conv (GEMM) */

typedef struct gemm_job {
    effad_runner *r;
    ops_gemm_args a;     /* the whole layer; workers take row or column chunks */
    int by_cols;
} gemm_job;

static void gemm_chunks(void *ctx, int worker, int begin, int end)
{
    gemm_job *j = ctx;
    ops_gemm_args a = j->a;
    if (j->by_cols) {
        const size_t cols = j->r->gemm_cols;
        size_t c0 = (size_t)begin * cols, c1 = (size_t)end * cols;
        if (c1 > a.n) c1 = a.n;
        a.n = c1 - c0;
        if (a.b) a.b += c0;   /* NULL for a weight-only layer read packed */
        if (a.b_packed) a.b_packed += c0 * a.k;   /* gemm_cols is a multiple of the table's panel */
        a.c += c0;
        if (a.bias) a.bias += c0;
        if (a.res) a.res += c0;
    } else {
        size_t r0 = (size_t)begin * PLAN_GEMM_ROWS, r1 = (size_t)end * PLAN_GEMM_ROWS;
        if (r1 > a.m) r1 = a.m;
        a.m = r1 - r0;
        a.a += r0 * a.a_stride;
        a.c += r0 * a.c_stride;
        if (a.res) a.res += r0 * a.res_stride;
    }
    run_note(j->r, worker, j->r->k->f32->gemm(&a, run_scratch(j->r, worker)));
}

/* Packs columns [begin, end) x gemm_cols of a layer's weights: panels are
 * independent (dispatch.h: the panel of column j0 at j0 * k), so workers
 * pack side by side and the result does not depend on the split. With the
 * layer already packed (pre), its rows are scaled by a_scale instead:
 * row kk of every panel times a_scale[kk], the one multiply the pack
 * itself does, so the bits are the same. */
typedef struct pack_job { effad_runner *r; ops_gemm_args a; float *dst; const float *pre; } pack_job;

/* dst = src * s over one k row of a panel (a multiple of 8 floats wide:
 * every table's panel is), eight at a time for -O2's vectoriser. */
static void scale_panel_row(float *restrict dst, const float *restrict src, float s, size_t panel)
{
    for (size_t c = 0; c < panel; c += 8)
        for (size_t j = 0; j < 8; j++) dst[c + j] = src[c + j] * s;
}

static void pack_chunks(void *ctx, int worker, int begin, int end)
{
    pack_job *j = ctx;
    ops_gemm_args a = j->a;
    const size_t cols = j->r->gemm_cols;
    size_t c0 = (size_t)begin * cols, c1 = (size_t)end * cols;
    if (c1 > a.n) c1 = a.n;
    if (j->pre) {
        const size_t panel = j->r->k->f32->gemm_panel, k = a.k;
        const float *s = a.a_scale;
        for (size_t p0 = c0; p0 < c1; p0 += panel) {
            const float *src = j->pre + p0 * k;
            float *dst = j->dst + p0 * k;
            for (size_t kk = 0; kk < k; kk++, src += panel, dst += panel)
                scale_panel_row(dst, src, s[kk], panel);
        }
        return;
    }
    a.n = c1 - c0;
    a.b += c0;
    run_note(j->r, worker, j->r->k->f32->gemm_pack(&a, j->dst + c0 * a.k));
}

/* The GEMM arguments of 1x1 conv c over `pixels` rows of in. */
static ops_gemm_args gemm_of(const effad_runner *r, const effad_conv *c, const float *in, size_t pixels, const float *gate,
                             const float *res, float *out)
{
    ops_gemm_args a = { pixels, (size_t)c->cout, (size_t)c->cin, in, (size_t)c->cin, gate,
                        run_f32_weights(r, c), (size_t)c->cout, f32_of(&c->b), run_act(c), res, (size_t)c->cout,
                        out, (size_t)c->cout, 0 };
    return a;
}

/* dst = src * s, element by element. Eight at a time so that -O2's
 * straight-line vectoriser packs them into vector multiplies (the plain
 * loop stayed scalar: 1.4 % of a B4 pass); engine/ has no ISA flags. */
static void scale_row(float *restrict dst, const float *restrict src, const float *restrict s, size_t n)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        for (size_t j = 0; j < 8; j++) dst[i + j] = src[i + j] * s[i + j];
    for (; i < n; i++) dst[i] = src[i] * s[i];
}

/* Rows [begin, end) x PLAN_GEMM_ROWS of A scaled by a_scale into dst. */
typedef struct scale_job { ops_gemm_args a; float *dst; } scale_job;

static void scale_rows(void *ctx, int worker, int begin, int end)
{
    (void)worker;
    const scale_job *j = ctx;
    size_t i1 = (size_t)end * PLAN_GEMM_ROWS;
    if (i1 > j->a.m) i1 = j->a.m;
    for (size_t i = (size_t)begin * PLAN_GEMM_ROWS; i < i1; i++)
        scale_row(j->dst + i * j->a.k, j->a.a + i * j->a.a_stride, j->a.a_scale, j->a.k);
}

/* With a packing kernel, points a->b_packed at conv c's weights as the
 * kernel wants them: the runner's pre-packed copy when it has one and no
 * gate scales it (or the gate is cheaper to apply to A); else packed (or
 * the copy's rows scaled) once per pass, not once per worker's chunk, into
 * the shared pack buffer. */
static ops_status pack_layer(effad_runner *r, const effad_conv *c, ops_gemm_args *a)
{
    const float *pre = run_packed(r, c);
    if (pre && !a->a_scale) { a->b_packed = pre; return OPS_OK; }
    if (pre && a->m < a->n) {
        /* fewer pixels than columns (B0's and B4's last stages: 49 or 144
         * rows, 192 to 448 columns): scaling A's m x k is cheaper than B's
         * k x n; the pack buffer, k x n floats or more, holds it. Shared
         * by the workers, as the pack is: on one thread it was serial
         * work between two parallel layers. */
        float *sa = (float *)(void *)run_buf(r, r->off_pack);
        scale_job sj = { *a, sa };
        ops_status s = run_parallel(r, scale_rows, &sj, (int)((a->m + PLAN_GEMM_ROWS - 1) / PLAN_GEMM_ROWS));
        if (s) return s;
        a->a = sa;
        a->a_stride = a->k;
        a->a_scale = 0;
        a->b_packed = pre;
        return OPS_OK;
    }
    if (!r->k->f32->gemm_pack) return OPS_OK;
    pack_job pj = { r, *a, (float *)(void *)run_buf(r, r->off_pack), pre };
    a->b_packed = pj.dst;
    return run_parallel(r, pack_chunks, &pj, (int)((a->n + r->gemm_cols - 1) / r->gemm_cols));
}

ops_status f32_run_1x1(effad_runner *r, const effad_conv *c, const float *in, size_t pixels, const float *gate,
                       const float *res, float *out)
{
    run_wq_refill(r, c);
    gemm_job j = { r, gemm_of(r, c, in, pixels, gate, res, out), 0 };
    ops_status s = pack_layer(r, c, &j.a);
    if (s) return s;
    const int rows = (int)((pixels + PLAN_GEMM_ROWS - 1) / PLAN_GEMM_ROWS);
    const int cols = (int)(((size_t)c->cout + r->gemm_cols - 1) / r->gemm_cols);
    j.by_cols = run_gemm_by_cols(r, (size_t)c->cout, pixels);
    return run_parallel(r, gemm_chunks, &j, j.by_cols ? cols : rows);
}

/* ------------------------------------------------ depthwise and stem */

static ops_dwconv_args dw_of(const effad_runner *r, const effad_conv *c, const effad_geom *g, const float *in, float *out)
{
    ops_dwconv_args a;
    memset(&a, 0, sizeof a);
    a.in = in;   a.in_dims = (ops_hwc){ g->in_h, g->in_w, c->cin };
    a.w = run_f32_weights(r, c);  a.bias = f32_of(&c->b);
    a.g = run_geom(c, g);
    a.act = run_act(c);
    a.out = out; a.out_dims = (ops_hwc){ g->out_h, g->out_w, c->cout };
    return a;
}

typedef struct dw_job { effad_runner *r; ops_dwconv_args dw; float *bands; } dw_job;

static void dw_bands(void *ctx, int worker, int begin, int end)
{
    dw_job *j = ctx;
    for (int band = begin; band < end; band++) {
        ops_dwconv_args a = j->dw;
        run_band_rows(band, a.out_dims.h, &a.row_begin, &a.row_end);
        if (j->bands) {
            a.chan_sum = j->bands + (size_t)band * a.out_dims.c;
            memset(a.chan_sum, 0, sizeof(float) * (size_t)a.out_dims.c);
        }
        run_note(j->r, worker, j->r->k->f32->dwconv(&a));
    }
}

/* mean[c] = the band sums added in band order, over the output pixels. */
static void band_mean(const float *bands, int n_bands, int c, int pixels, float *mean)
{
    for (int ch = 0; ch < c; ch++) mean[ch] = 0.0f;
    for (int b = 0; b < n_bands; b++)
        for (int ch = 0; ch < c; ch++) mean[ch] += bands[(size_t)b * c + ch];
    float inv = 1.0f / (float)pixels;
    for (int ch = 0; ch < c; ch++) mean[ch] *= inv;
}

ops_status f32_run_dw(effad_runner *r, const effad_conv *c, const effad_geom *g, const float *in, float *out,
                      float *bands, float *mean)
{
    dw_job j = { r, dw_of(r, c, g, in, out), mean ? bands : 0 };
    const int n_bands = (int)plan_bands(g->out_h);
    ops_status s = run_parallel(r, dw_bands, &j, n_bands);
    if (s || !mean) return s;
    band_mean(bands, n_bands, c->cout, g->out_h * g->out_w, mean);
    return OPS_OK;
}

/* The fused pass (run.c drives it): GEMM rows into the ring, then one
 * depthwise output row reading it. */
typedef struct f32_fused { effad_runner *r; ops_gemm_args ex; ops_dwconv_args dw; } f32_fused;

static ops_status f32_expand_rows(const void *job, int row, int n, int slot, void *ring, void *scratch)
{
    const f32_fused *f = job;
    const size_t w = (size_t)f->dw.in_dims.w;
    ops_gemm_args e = f->ex;
    e.m = (size_t)n * w;
    e.a += (size_t)row * w * e.a_stride;
    e.c = (float *)ring + (size_t)slot * w * (size_t)f->dw.in_dims.c;
    return f->r->k->f32->gemm(&e, scratch);
}

static ops_status f32_dw_row(const void *job, int oy, const void *ring, void *band_sum)
{
    const f32_fused *f = job;
    ops_dwconv_args a = f->dw;
    a.in = ring;
    a.row_begin = oy;
    a.row_end = oy + 1;
    a.chan_sum = band_sum;
    return f->r->k->f32->dwconv(&a);
}

static const fused_ops f32_fused_ops = { f32_expand_rows, f32_dw_row };

ops_status f32_run_expand_dw(effad_runner *r, const effad_block *b, const effad_geom *g, int ring_rows,
                             const float *in, float *out, float *bands, float *mean)
{
    run_wq_refill(r, &b->expand);
    f32_fused f = { r, gemm_of(r, &b->expand, in, (size_t)g->in_h * g->in_w, 0, 0, 0), dw_of(r, &b->dw, g, 0, out) };
    ops_status s = pack_layer(r, &b->expand, &f.ex);
    if (s) return s;
    f.dw.in_ring = ring_rows;
    const size_t row_bytes = (size_t)g->in_w * b->mid_c * sizeof(float);
    s = run_fused_bands(r, &f32_fused_ops, &f, &f.dw.g, g->in_h, g->in_w, ring_rows, row_bytes, g->out_h,
                        mean ? bands : 0, (size_t)b->mid_c * sizeof(float));
    if (s || !mean) return s;
    band_mean(bands, (int)plan_bands(g->out_h), b->dw.cout, g->out_h * g->out_w, mean);
    return OPS_OK;
}

/* ---------------------------------------------------------------- taps */

/* The spatial mean of an h x w x c map, band by band across the workers:
 * each band's mean of its PLAN_BAND_ROWS rows, then those weighted by
 * their pixel counts and added in band order -- the same bits for any
 * number of threads. The band means live in the vec buffer (planned for
 * it), free once a block is done. A tap kept as a map is copied into its
 * planned buffer by the same bands. */
typedef struct tap_job {
    effad_runner *r;
    const float *x; int h, w, c;
    float *band_means;    /* [bands][c], or NULL: not pooled */
    float *map;           /* h x w x c, or NULL: not kept */
} tap_job;

/* One band of a tap: its rows' mean into band_mean, its rows into the kept
 * map (either NULL). */
static ops_status tap_band(const effad_runner *r, const float *x, int rows, int w, int c, float *band_mean, float *map)
{
    if (map) memcpy(map, x, (size_t)rows * w * c * sizeof(float));
    return band_mean ? r->k->f32->mean_hw(x, (size_t)rows * w, (size_t)c, band_mean) : OPS_OK;
}

/* The band means weighted by their rows and added in band order. */
static void tap_combine(const float *band_means, int h, int c, float *pooled)
{
    const int bands = (int)plan_bands(h);
    for (int ch = 0; ch < c; ch++) pooled[ch] = 0.0f;
    for (int b = 0; b < bands; b++) {
        const int rows = b == bands - 1 ? h - b * PLAN_BAND_ROWS : PLAN_BAND_ROWS;
        const float share = (float)rows / (float)h;
        for (int ch = 0; ch < c; ch++) pooled[ch] += band_means[(size_t)b * c + ch] * share;
    }
}

static void tap_bands(void *ctx, int worker, int begin, int end)
{
    tap_job *j = ctx;
    for (int band = begin; band < end; band++) {
        int y0, y1;
        run_band_rows(band, j->h, &y0, &y1);
        const size_t at = (size_t)y0 * j->w * j->c;
        run_note(j->r, worker, tap_band(j->r, j->x + at, y1 - y0, j->w, j->c,
                                        j->band_means ? j->band_means + (size_t)band * j->c : 0, j->map ? j->map + at : 0));
    }
}

ops_status f32_run_tap(effad_runner *r, const float *x, int h, int w, int c, float *pooled, float *map)
{
    tap_job j = { r, x, h, w, c, pooled ? (float *)(void *)run_buf(r, r->off_vec) : 0, map };
    ops_status s = run_parallel(r, tap_bands, &j, (int)plan_bands(h));
    if (s || !pooled) return s;
    tap_combine(j.band_means, h, c, pooled);
    return OPS_OK;
}

typedef struct stem_job {
    effad_runner *r;
    ops_conv_args cv;
    effad_qtype from, to;
    void *out;
    float *band_means, *map;   /* a quantising stem's tap (f32_run_tap's) */
} stem_job;

/* Bands [begin, end) into a quantised map: each band computed into the
 * worker's scratch as a problem of its own -- the input from the band's
 * first row on, the top padding only where the image has it (each output
 * row is computed from its input rows alone, so the floats are the same)
 * -- and pooled (a tap on the stem) and converted from there while it is
 * in cache. */
static ops_status stem_bands_quantised(const stem_job *j, int worker, int begin, int end)
{
    const ops_conv_args *cv = &j->cv;
    const size_t in_row = ops_conv_in_steps(cv).row, out_row = (size_t)cv->out_dims.w * cv->out_dims.c;
    for (int band = begin; band < end; band++) {
        int y0, y1;
        run_band_rows(band, cv->out_dims.h, &y0, &y1);
        ops_conv_args a = *cv;
        const int iy0 = y0 * a.g.stride_h - a.g.pad_top, skip = iy0 > 0 ? iy0 : 0;
        a.in += (size_t)skip * in_row;
        a.in_dims.h -= skip;
        a.g.pad_top = skip - iy0;
        a.out = run_scratch(j->r, worker);
        a.out_dims.h = y1 - y0;
        a.row_begin = 0;
        a.row_end = y1 - y0;
        ops_status s = j->r->k->f32->conv(&a);
        if (!s) s = tap_band(j->r, a.out, y1 - y0, a.out_dims.w, a.out_dims.c,
                             j->band_means ? j->band_means + (size_t)band * a.out_dims.c : 0,
                             j->map ? j->map + (size_t)y0 * out_row : 0);
        if (!s) s = run_convert_span(j->r, a.out, &j->from, (uint8_t *)j->out + (size_t)y0 * out_row * run_elem_bytes(&j->to),
                                     &j->to, 0, (size_t)(y1 - y0) * out_row);
        if (s) return s;
    }
    return OPS_OK;
}

static void stem_bands(void *ctx, int worker, int begin, int end)
{
    stem_job *j = ctx;
    if (j->to.dtype != EFFAD_F32) {
        run_note(j->r, worker, stem_bands_quantised(j, worker, begin, end));
        return;
    }
    ops_conv_args a = j->cv;
    int unused;
    run_band_rows(begin, a.out_dims.h, &a.row_begin, &unused);
    run_band_rows(end - 1, a.out_dims.h, &unused, &a.row_end);
    run_note(j->r, worker, j->r->k->f32->conv(&a));
}

ops_status run_stem(effad_runner *r, const effad_conv *c, const effad_geom *g, const float *in, void *out,
                    const effad_qtype *to, float *pooled, float *map)
{
    stem_job j;
    memset(&j, 0, sizeof j);
    j.r = r;
    j.cv.in = in;   j.cv.in_dims = (ops_hwc){ g->in_h, g->in_w, c->cin };
    j.cv.in_plane = (size_t)g->in_h * g->in_w;   /* the caller's CHW image, read where it lies */
    j.cv.w = run_f32_weights(r, c);  j.cv.bias = f32_of(&c->b);
    j.cv.g = run_geom(c, g);
    j.cv.groups = c->groups;
    j.cv.act = run_act(c);
    j.cv.out = to->dtype == EFFAD_F32 ? out : 0; j.cv.out_dims = (ops_hwc){ g->out_h, g->out_w, c->cout };
    j.from = c->out_q;
    j.to = *to;
    j.out = out;
    const int quantises = to->dtype != EFFAD_F32;
    j.band_means = quantises && pooled ? (float *)(void *)run_buf(r, r->off_vec) : 0;
    j.map = quantises ? map : 0;
    ops_status s = run_parallel(r, stem_bands, &j, (int)plan_bands(g->out_h));
    if (!s && j.band_means) tap_combine(j.band_means, g->out_h, c->cout, pooled);
    return s;
}
