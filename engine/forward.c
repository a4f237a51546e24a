/* The forward pass: stem -> MBConv blocks -> head, with the feature taps
 * where they happen. Reads like the architecture table; kernel choice and
 * threading hide behind the small run_* helpers at the top. */
#include "effad.h"
#include "dispatch.h"
#include "plan.h"

/* ------------------------------------------------------------ parallel */

/* Runs fn over [0, n) on the pool (or this thread) and returns the first
 * failure any worker recorded. Each worker writes only its own status slot
 * (no shared write); the pool's join orders those writes before the read. */
static ops_status parallel(effad_runner *r, effad_range_fn fn, void *ctx, int n)
{
    if (n <= 0) return OPS_OK;
    if (r->threads && r->threads->n_threads > 1 && n > 1) r->threads->parallel_for(r->threads, fn, ctx, n);
    else fn(ctx, 0, 0, n);
    ops_status first = OPS_OK;
    for (int w = 0; w < r->n_workers; w++) {
        if (r->worker_status[w] && !first) first = (ops_status)r->worker_status[w];
        r->worker_status[w] = OPS_OK;
    }
    return first;
}

/* Records a kernel's failure for worker w (parallel() reports it). */
static void note(effad_runner *r, int worker, ops_status s)
{
    if (s && !r->worker_status[worker]) r->worker_status[worker] = (int)s;
}

/* The profiling hook (effad.h): one call as each part of the pass ends. */
static void done(effad_runner *r, effad_layer layer, int block)
{
    if (r->on_layer) r->on_layer(r->on_layer_ctx, layer, block);
}

/* Worker w's slice of kernel scratch. */
static void *worker_scratch(const effad_runner *r, int worker)
{
    return r->arena + r->off_scratch + (size_t)worker * r->scratch_bytes;
}

static const float *f32_of(const effad_tensor *t) { return (const float *)t->data; }

static ops_act act_of(const effad_conv *c)
{
    ops_act a = { (ops_act_kind)c->act, c->act_a, c->act_b };
    return a;
}

static ops_conv_geom geom_of(const effad_conv *c, const effad_geom *g)
{
    ops_conv_geom q = { c->kh, c->kw, c->stride_h, c->stride_w, c->dil_h, c->dil_w,
                        g->pad_top, g->pad_left, g->pad_bottom, g->pad_right };
    return q;
}

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
        a.b += c0;
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
    note(j->r, worker, j->r->k->f32->gemm(&a, worker_scratch(j->r, worker)));
}

/* Packs columns [begin, end) x gemm_cols of a layer's weights: panels are
 * independent (dispatch.h: the panel of column j0 at j0 * k), so workers
 * pack side by side and the result does not depend on the split. */
typedef struct pack_job { effad_runner *r; ops_gemm_args a; float *dst; } pack_job;

static void pack_chunks(void *ctx, int worker, int begin, int end)
{
    pack_job *j = ctx;
    ops_gemm_args a = j->a;
    const size_t cols = j->r->gemm_cols;
    size_t c0 = (size_t)begin * cols, c1 = (size_t)end * cols;
    if (c1 > a.n) c1 = a.n;
    a.n = c1 - c0;
    a.b += c0;
    note(j->r, worker, j->r->k->f32->gemm_pack(&a, j->dst + c0 * a.k));
}

/* The GEMM arguments of 1x1 conv c over `pixels` rows of in. */
static ops_gemm_args gemm_of(const effad_conv *c, const float *in, size_t pixels, const float *gate,
                             const float *res, float *out)
{
    ops_gemm_args a = { pixels, (size_t)c->cout, (size_t)c->cin, in, (size_t)c->cin, gate,
                        f32_of(&c->w), (size_t)c->cout, f32_of(&c->b), act_of(c), res, (size_t)c->cout,
                        out, (size_t)c->cout, 0 };
    return a;
}

/* With a packing kernel, packs the layer's weights once (not once per
 * worker's chunk) into the shared pack buffer and points a->b_packed at it. */
static ops_status pack_layer(effad_runner *r, ops_gemm_args *a)
{
    if (!r->k->f32->gemm_pack) return OPS_OK;
    pack_job pj = { r, *a, (float *)(void *)(r->arena + r->off_pack) };
    a->b_packed = pj.dst;
    return parallel(r, pack_chunks, &pj, (int)((a->n + r->gemm_cols - 1) / r->gemm_cols));
}

/* out[p][co] = act(in[p] . w[:, co] + b) (* gate on the inputs) (+ res) */
static ops_status run_1x1(effad_runner *r, const effad_conv *c, const float *in, size_t pixels,
                          const float *gate, const float *res, float *out)
{
    gemm_job j = { r, gemm_of(c, in, pixels, gate, res, out), 0 };
    ops_status s = pack_layer(r, &j.a);
    if (s) return s;
    int rows = (int)((pixels + PLAN_GEMM_ROWS - 1) / PLAN_GEMM_ROWS);
    int cols = (int)(((size_t)c->cout + r->gemm_cols - 1) / r->gemm_cols);
    j.by_cols = cols > rows;
    return parallel(r, gemm_chunks, &j, j.by_cols ? cols : rows);
}

/* ------------------------------------------------ depthwise and stem */

typedef struct conv_job {
    effad_runner *r;
    ops_dwconv_args dw;  /* used when depthwise */
    ops_conv_args cv;    /* used for the stem */
    float *band_sums;    /* [bands][c] or NULL */
} conv_job;

/* Output rows and pooling slot of one band (band_sums may be NULL). */
static void band_rows(ops_dwconv_args *a, int band, float *band_sums)
{
    a->row_begin = band * PLAN_BAND_ROWS;
    a->row_end = a->row_begin + PLAN_BAND_ROWS;
    if (a->row_end > a->out_dims.h) a->row_end = a->out_dims.h;
    a->chan_sum = 0;
    if (band_sums) {
        a->chan_sum = band_sums + (size_t)band * a->out_dims.c;
        memset(a->chan_sum, 0, sizeof(float) * (size_t)a->out_dims.c);
    }
}

static void dw_bands(void *ctx, int worker, int begin, int end)
{
    conv_job *j = ctx;
    for (int band = begin; band < end; band++) {
        ops_dwconv_args a = j->dw;
        band_rows(&a, band, j->band_sums);
        note(j->r, worker, j->r->k->f32->dwconv(&a));
    }
}

/* mean[c] = the band sums added in band order, over the output pixels. */
static void band_mean(const float *band_sums, int bands, int c, int pixels, float *mean)
{
    for (int ch = 0; ch < c; ch++) mean[ch] = 0.0f;
    for (int b = 0; b < bands; b++)
        for (int ch = 0; ch < c; ch++) mean[ch] += band_sums[(size_t)b * c + ch];
    float inv = 1.0f / (float)pixels;
    for (int ch = 0; ch < c; ch++) mean[ch] *= inv;
}

static void conv_bands(void *ctx, int worker, int begin, int end)
{
    conv_job *j = ctx;
    ops_conv_args a = j->cv;
    a.row_begin = begin * PLAN_BAND_ROWS;
    a.row_end = end * PLAN_BAND_ROWS;
    if (a.row_end > a.out_dims.h) a.row_end = a.out_dims.h;
    note(j->r, worker, j->r->k->f32->conv(&a));
}

/* Depthwise conv; when mean != NULL also the spatial mean of its output,
 * summed per band then over bands in order (thread-count independent). */
static ops_dwconv_args dw_of(const effad_conv *c, const effad_geom *g, const float *in, float *out)
{
    ops_dwconv_args a;
    memset(&a, 0, sizeof a);
    a.in = in;   a.in_dims = (ops_hwc){ g->in_h, g->in_w, c->cin };
    a.w = f32_of(&c->w);  a.bias = f32_of(&c->b);
    a.g = geom_of(c, g);
    a.act = act_of(c);
    a.out = out; a.out_dims = (ops_hwc){ g->out_h, g->out_w, c->cout };
    return a;
}

static ops_status run_dw(effad_runner *r, const effad_conv *c, const effad_geom *g,
                         const float *in, float *out, float *band_sums, float *mean)
{
    conv_job j;
    memset(&j, 0, sizeof j);
    j.r = r;
    j.dw = dw_of(c, g, in, out);
    j.band_sums = mean ? band_sums : 0;
    int bands = (int)plan_bands(g->out_h);
    ops_status s = parallel(r, dw_bands, &j, bands);
    if (s || !mean) return s;
    band_mean(band_sums, bands, c->cout, g->out_h * g->out_w, mean);
    return OPS_OK;
}

/* ------------------------------- expand fused with depthwise (plan.h) */

/* Each worker walks its bands of output rows in order and expands input
 * rows into its own ring just before the first output row that reads them:
 * every input row once per worker (plus the few a second worker's first
 * row shares with the first's last). Rows are expanded in runs that do not
 * wrap around the ring, so each GEMM call covers several rows when the
 * stride lets it. */
typedef struct fused_job {
    effad_runner *r;
    ops_gemm_args ex;     /* the expand over the whole input map */
    ops_dwconv_args dw;   /* the depthwise, input = the ring      */
    float *band_sums;     /* [bands][c] or NULL */
} fused_job;

static void fused_bands(void *ctx, int worker, int begin, int end)
{
    fused_job *j = ctx;
    effad_runner *r = j->r;
    const ops_conv_geom g = j->dw.g;
    const int ih = j->dw.in_dims.h, ring = j->dw.in_ring;
    const size_t row = (size_t)j->dw.in_dims.w * (size_t)j->dw.in_dims.c;
    float *rb = (float *)(void *)(r->arena + r->off_ring + (size_t)worker * r->ring_bytes);
    void *scratch = worker_scratch(r, worker);
    int next = 0;   /* first input row not in the ring yet */
    for (int band = begin; band < end; band++) {
        ops_dwconv_args a = j->dw;
        a.in = rb;
        band_rows(&a, band, j->band_sums);
        const int oy_end = a.row_end;
        for (int oy = a.row_begin; oy < oy_end; oy++) {
            int lo = oy * g.stride_h - g.pad_top, hi = lo + (g.kh - 1) * g.dil_h + 1;
            if (lo < 0) lo = 0;
            if (hi > ih) hi = ih;
            if (next < lo) next = lo;
            while (next < hi) {
                const int slot = next % ring;
                const int n = hi - next < ring - slot ? hi - next : ring - slot;
                ops_gemm_args e = j->ex;
                e.m = (size_t)n * (size_t)j->dw.in_dims.w;
                e.a += (size_t)next * (size_t)j->dw.in_dims.w * e.a_stride;
                e.c = rb + (size_t)slot * row;
                ops_status s = r->k->f32->gemm(&e, scratch);
                if (s) { note(r, worker, s); return; }
                next += n;
            }
            a.row_begin = oy;
            a.row_end = oy + 1;
            ops_status s = r->k->f32->dwconv(&a);
            if (s) { note(r, worker, s); return; }
        }
    }
}

/* expand -> depthwise (+ pooling for squeeze-excite), the expanded map
 * living only in the workers' rings. */
static ops_status run_expand_dw(effad_runner *r, const effad_block *b, const effad_geom *g, int ring_rows,
                                const float *in, float *out, float *band_sums, float *mean)
{
    fused_job j;
    memset(&j, 0, sizeof j);
    j.r = r;
    j.ex = gemm_of(&b->expand, in, (size_t)g->in_h * g->in_w, 0, 0, 0);
    ops_status s = pack_layer(r, &j.ex);
    if (s) return s;
    j.dw = dw_of(&b->dw, g, 0, out);
    j.dw.in_ring = ring_rows;
    j.band_sums = mean ? band_sums : 0;
    int bands = (int)plan_bands(g->out_h);
    s = parallel(r, fused_bands, &j, bands);
    if (s || !mean) return s;
    band_mean(band_sums, bands, b->dw.cout, g->out_h * g->out_w, mean);
    return OPS_OK;
}

static ops_status run_stem(effad_runner *r, const effad_conv *c, const effad_geom *g, const float *in, float *out)
{
    conv_job j;
    memset(&j, 0, sizeof j);
    j.r = r;
    j.cv.in = in;   j.cv.in_dims = (ops_hwc){ g->in_h, g->in_w, c->cin };
    j.cv.w = f32_of(&c->w);  j.cv.bias = f32_of(&c->b);
    j.cv.g = geom_of(c, g);
    j.cv.groups = c->groups;
    j.cv.act = act_of(c);
    j.cv.out = out; j.cv.out_dims = (ops_hwc){ g->out_h, g->out_w, c->cout };
    return parallel(r, conv_bands, &j, (int)plan_bands(g->out_h));
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

static void tap_bands(void *ctx, int worker, int begin, int end)
{
    tap_job *j = ctx;
    for (int band = begin; band < end; band++) {
        const int y0 = band * PLAN_BAND_ROWS, y1 = y0 + PLAN_BAND_ROWS < j->h ? y0 + PLAN_BAND_ROWS : j->h;
        const size_t at = (size_t)y0 * j->w * j->c, n = (size_t)(y1 - y0) * j->w * j->c;
        if (j->band_means)
            note(j->r, worker, j->r->k->f32->mean_hw(j->x + at, (size_t)(y1 - y0) * j->w, (size_t)j->c,
                                                     j->band_means + (size_t)band * j->c));
        if (j->map) memcpy(j->map + at, j->x + at, n * sizeof(float));
    }
}

static ops_status run_tap(effad_runner *r, const float *x, int h, int w, int c, float *pooled, float *map)
{
    tap_job j = { r, x, h, w, c, pooled ? (float *)(void *)(r->arena + r->off_vec) : 0, map };
    const int bands = (int)plan_bands(h);
    ops_status s = parallel(r, tap_bands, &j, bands);
    if (s || !pooled) return s;
    for (int ch = 0; ch < c; ch++) pooled[ch] = 0.0f;
    for (int b = 0; b < bands; b++) {
        const int rows = b == bands - 1 ? h - b * PLAN_BAND_ROWS : PLAN_BAND_ROWS;
        const float share = (float)rows / (float)h;
        for (int ch = 0; ch < c; ch++) pooled[ch] += j.band_means[(size_t)b * c + ch] * share;
    }
    return OPS_OK;
}

/* Emits every tap that reads layer `at` (0 stem, 1+i block i, 1+n head). */
static ops_status emit_taps(effad_runner *r, int at, const float *x, int h, int w, int c, float *const *pooled)
{
    int emitted = 0;
    for (int t = 0; t < r->m->n_taps; t++) {
        if (r->m->taps[t].at != at) continue;
        emitted = 1;
        float *map = r->map_taps >> t & 1u ? (float *)(void *)(r->arena + r->off_map[t]) : 0;
        float *pool = pooled ? pooled[t] : 0;
        if (!map && !pool) continue;
        ops_status s = run_tap(r, x, h, w, c, pool, map);
        if (s) return s;
    }
    if (emitted) done(r, EFFAD_LAYER_TAPS, at);
    return OPS_OK;
}

/* ------------------------------------------------------------- forward */

/* The caller's CHW input to HWC, in chunks of INPUT_CHUNK pixels. */
#define INPUT_CHUNK 4096
typedef struct input_job { const float *chw; float *hwc; int pixels, c; } input_job;

static void input_rows(void *ctx, int worker, int begin, int end)
{
    (void)worker;
    const input_job *j = ctx;
    const int p0 = begin * INPUT_CHUNK, p1 = end * INPUT_CHUNK < j->pixels ? end * INPUT_CHUNK : j->pixels;
    for (int ch = 0; ch < j->c; ch++)
        for (int p = p0; p < p1; p++) j->hwc[(size_t)p * j->c + ch] = j->chw[(size_t)ch * j->pixels + p];
}

static effad_status kernel_failed(effad_error *e, ops_status s, const char *layer, int i)
{
    return effad_fail(e, s == OPS_ERR_UNSUPPORTED ? EFFAD_ERR_UNSUPPORTED : EFFAD_ERR_ARG,
                      "kernel refused %s %d (ops status %d)", layer, i, (int)s);
}

effad_status effad_run(effad_runner *r, const float *input_chw, float *const *pooled, effad_error *e)
{
    if (!r || !r->arena) return effad_fail(e, EFFAD_ERR_ARG, "runner has no arena (plan only)");
    if (!input_chw) return effad_fail(e, EFFAD_ERR_ARG, "no input tensor");
    if (r->threads && r->threads->n_threads > r->n_workers)   /* one scratch slice and status per worker */
        return effad_fail(e, EFFAD_ERR_ARG, "%d threads, but the runner was planned for %d workers",
                          r->threads->n_threads, r->n_workers);
    const effad_model *m = r->m;
    float *x = (float *)(void *)(r->arena + r->off_x0);     /* current activation */
    float *y = (float *)(void *)(r->arena + r->off_x1);     /* next activation    */
    float *ex = (float *)(void *)(r->arena + r->off_exp);
    float *dw = (float *)(void *)(r->arena + r->off_dw);
    float *vec = (float *)(void *)(r->arena + r->off_vec);
    ops_status s;

    /* input: CHW -> HWC, once */
    input_job in = { input_chw, y, r->in_h * r->in_w, m->in_c };
    (void)parallel(r, input_rows, &in, (r->in_h * r->in_w + INPUT_CHUNK - 1) / INPUT_CHUNK);
    done(r, EFFAD_LAYER_INPUT, 0);

    /* stem: conv kxk stride 2 + activation */
    if ((s = run_stem(r, &m->stem, &r->stem_g, y, x))) return kernel_failed(e, s, "stem", 0);
    done(r, EFFAD_LAYER_STEM, 0);
    int h = r->stem_g.out_h, w = r->stem_g.out_w;
    if ((s = emit_taps(r, 0, x, h, w, m->stem.cout, pooled))) return kernel_failed(e, s, "tap", 0);

    for (int i = 0; i < m->n_blocks; i++) {
        const effad_block *b = &m->blocks[i];
        const effad_geom *g = &r->dw_g[i];
        const size_t in_px = (size_t)h * w, out_px = (size_t)g->out_h * g->out_w;

        float *mean = b->se_c ? vec : 0, *gate = vec + b->mid_c, *hidden = gate + b->mid_c;
        float *bands = hidden + b->se_c;
        if (r->ring_rows[i]) {
            /* expand and depthwise together, a few rows at a time (plan.h) */
            if ((s = run_expand_dw(r, b, g, r->ring_rows[i], x, dw, bands, mean)))
                return kernel_failed(e, s, "expand+depthwise", i);
            done(r, EFFAD_LAYER_EXPAND_DW, i);
        } else {
            /* expand 1x1 (absent when the expansion ratio is 1) */
            const float *dw_in = x;
            if (b->expand.w.data) {
                if ((s = run_1x1(r, &b->expand, x, in_px, 0, 0, ex))) return kernel_failed(e, s, "expand", i);
                dw_in = ex;
                done(r, EFFAD_LAYER_EXPAND, i);
            }
            /* depthwise kxk, pooling its output for squeeze-excite on the way */
            if ((s = run_dw(r, &b->dw, g, dw_in, dw, bands, mean))) return kernel_failed(e, s, "depthwise", i);
            done(r, EFFAD_LAYER_DEPTHWISE, i);
        }
        /* squeeze-excite: per-channel gate from the pooled vector */
        if (b->se_c) {
            ops_se_args se = { mean, b->mid_c, b->se_c, f32_of(&b->se_reduce.w), f32_of(&b->se_reduce.b),
                               act_of(&b->se_reduce), f32_of(&b->se_expand.w), f32_of(&b->se_expand.b),
                               act_of(&b->se_expand), gate, hidden };
            if ((s = r->k->f32->se_gate(&se))) return kernel_failed(e, s, "squeeze-excite", i);
            done(r, EFFAD_LAYER_SE, i);
        }
        /* project 1x1 with the gate folded onto its inputs, + skip */
        if ((s = run_1x1(r, &b->project, dw, out_px, b->se_c ? gate : 0, b->skip ? x : 0, y)))
            return kernel_failed(e, s, "project", i);
        done(r, EFFAD_LAYER_PROJECT, i);
        float *t = x; x = y; y = t;
        h = g->out_h; w = g->out_w;
        if ((s = emit_taps(r, i + 1, x, h, w, b->out_c, pooled))) return kernel_failed(e, s, "tap", i + 1);
    }

    /* head: 1x1 conv + activation; the classifier after it is not ours */
    if (m->has_head) {
        if ((s = run_1x1(r, &m->head, x, (size_t)h * w, 0, 0, y))) return kernel_failed(e, s, "head", 0);
        done(r, EFFAD_LAYER_HEAD, 0);
        if ((s = emit_taps(r, m->n_blocks + 1, y, h, w, m->head.cout, pooled)))
            return kernel_failed(e, s, "tap", m->n_blocks + 1);
    }
    return EFFAD_OK;
}
