/* The forward pass: stem -> MBConv blocks -> head, with the feature taps
 * where they happen. Reads like the architecture table; element types
 * (float32 or int8 blocks), kernels and threads hide behind the run_*
 * layers of run.h. */
#include "run.h"

/* The profiling hook (effad.h): one call as each part of the pass ends. */
static void done(effad_runner *r, effad_layer layer, int block)
{
    if (r->on_layer) r->on_layer(r->on_layer_ctx, layer, block);
}

/* The observer hook (effad.h), for float32 layers. */
static void seen(effad_runner *r, effad_point at, int block, const void *map, const effad_qtype *q, int h, int w,
                 int c, const float *chan_scale)
{
    if (r->observe && q->dtype == EFFAD_F32) r->observe(r->observe_ctx, at, block, map, h, w, c, chan_scale);
}

/* An activation map in the arena and its element type. */
typedef struct act { void *p; effad_qtype q; } act;

/* One of the plan's activation buffers (x0, x1, exp, dw) and its size. */
typedef struct slot { uint8_t *base; size_t cap; } slot;

/* Where a map of `bytes` goes in buffer s: centred, on a 64-byte boundary.
 * Why: every layer splits its map between two workers near the middle
 * (rows, bands), so centring puts each worker's half on the same side of
 * the same address in every layer, whatever the map's size. At the start
 * of a buffer instead, a smaller map's second half lies on memory a larger
 * one's first half used a layer or two earlier: the other worker's, still
 * dirty in its cache, and on the 2-vCPU Zen 5 of the measurements (a
 * cache line between the two takes ~240 ns one way) writing 2 MB the other
 * core wrote last ran at 33-35 GB/s against 80-94 for its own. B4's block
 * 1 depthwise (3.5 MB out, in the 6.9 MB block 0 had filled) then took
 * worker 1 2.3x worker 0's time. With more workers only the middle
 * boundary stays put; with one, nothing changes. */
static void *centred(slot s, size_t bytes)
{
    return s.base + (bytes < s.cap ? (s.cap - bytes) / 2 / 64 * 64 : 0);
}

/* Emits every tap that reads layer `at` (0 stem, 1+i block i, 1+n head). */
static ops_status emit_taps(effad_runner *r, int at, const act *x, int h, int w, int c, float *const *pooled)
{
    int emitted = 0;
    for (int t = 0; t < r->m->n_taps; t++) {
        if (r->m->taps[t].at != at) continue;
        emitted = 1;
        float *map = r->map_taps >> t & 1u ? (float *)(void *)run_buf(r, r->off_map[t]) : 0;
        float *pool = pooled ? pooled[t] : 0;
        if (!map && !pool) continue;
        ops_status s = run_tap(r, x->p, &x->q, h, w, c, pool, map);
        if (s) return s;
    }
    if (emitted) done(r, EFFAD_LAYER_TAPS, at);
    return OPS_OK;
}

/* Brings the current activation x (in ping-pong buffer io[*cur]) to the
 * type a layer reads (a float32 block after an int8 one or the other way
 * round), through the other buffer. */
static ops_status to_type(effad_runner *r, act *x, const slot *io, int *cur, const effad_qtype *want, size_t n)
{
    if (x->q.dtype == want->dtype) return OPS_OK;
    void *out = centred(io[1 - *cur], n * run_elem_bytes(want));
    ops_status s = run_convert(r, x->p, &x->q, out, want, n);
    x->p = out;
    *cur = 1 - *cur;
    x->q = *want;
    return s;
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
    if ((r->flags & EFFAD_PLAN_PREPACKED) && !run_packed_fits(r))
        return effad_fail(e, EFFAD_ERR_ARG, "the runner was planned for pre-packed weights (EFFAD_PLAN_PREPACKED), "
                          "and runner.packed is not this model's for its kernels");
    if (r->observe && !(r->flags & EFFAD_PLAN_UNFUSED))
        return effad_fail(e, EFFAD_ERR_ARG, "an observer needs a plan made with EFFAD_PLAN_UNFUSED");
    const effad_model *m = r->m;
    /* the current activation is in io[cur], the next goes to the other */
    const slot io[2] = { { run_buf(r, r->off_x0), r->x0_bytes }, { run_buf(r, r->off_x1), r->x1_bytes } };
    const slot ex_slot = { run_buf(r, r->off_exp), r->exp_bytes }, dw_slot = { run_buf(r, r->off_dw), r->dw_bytes };
    float *vec = (float *)(void *)run_buf(r, r->off_vec);
    ops_status s;

    /* stem: conv kxk stride 2 + activation, in float, reading the CHW
     * input where it lies (written as block 0 reads it when the plan says
     * so: plan.c, stem_type) */
    int h = r->stem_g.out_h, w = r->stem_g.out_w, cur = 0;
    act x = { centred(io[0], (size_t)h * w * m->stem.cout * run_elem_bytes(&r->stem_to)), r->stem_to };
    const int stem_quantises = x.q.dtype != m->stem.out_q.dtype;   /* and pools its own tap (plan.c) */
    const int t0 = stem_quantises ? plan_stem_tap(m) : -1;
    float *pool0 = t0 >= 0 && pooled ? pooled[t0] : 0;
    float *map0 = t0 >= 0 && (r->map_taps >> t0 & 1u) ? (float *)(void *)run_buf(r, r->off_map[t0]) : 0;
    if ((s = run_stem(r, &m->stem, &r->stem_g, input_chw, x.p, &x.q, pool0, map0))) return kernel_failed(e, s, "stem", 0);
    done(r, EFFAD_LAYER_STEM, 0);
    seen(r, EFFAD_AT_STEM, 0, x.p, &x.q, h, w, m->stem.cout, 0);
    if (!stem_quantises && (s = emit_taps(r, 0, &x, h, w, m->stem.cout, pooled))) return kernel_failed(e, s, "tap", 0);

    for (int i = 0; i < m->n_blocks; i++) {
        const effad_block *b = &m->blocks[i];
        const effad_geom *g = &r->dw_g[i];
        const size_t map_px = (size_t)h * w, out_px = (size_t)g->out_h * g->out_w;
        if ((s = to_type(r, &x, io, &cur, effad_block_in_q(b), map_px * (size_t)b->in_c))) return kernel_failed(e, s, "convert", i);
        void *dw = centred(dw_slot, out_px * b->mid_c * run_elem_bytes(&b->dw.out_q));

        float *mean = b->se_c ? vec : 0, *gate = vec + b->mid_c, *hidden = gate + b->mid_c;
        void *bands = hidden + b->se_c;
        if (r->ring_rows[i]) {
            /* expand and depthwise together, a few rows at a time (plan.h) */
            if ((s = run_expand_dw(r, b, g, r->ring_rows[i], x.p, dw, bands, mean)))
                return kernel_failed(e, s, "expand+depthwise", i);
            done(r, EFFAD_LAYER_EXPAND_DW, i);
        } else {
            /* expand 1x1 (absent when the expansion ratio is 1) */
            const void *dw_in = x.p;
            if (b->expand.w.data) {
                void *ex = centred(ex_slot, map_px * b->mid_c * run_elem_bytes(&b->expand.out_q));
                if ((s = run_1x1(r, &b->expand, x.p, map_px, 0, 0, 0, ex))) return kernel_failed(e, s, "expand", i);
                dw_in = ex;
                done(r, EFFAD_LAYER_EXPAND, i);
                seen(r, EFFAD_AT_EXPAND, i, ex, &b->expand.out_q, h, w, b->mid_c, 0);
            }
            /* depthwise kxk, pooling its output for squeeze-excite on the way */
            if ((s = run_dw(r, &b->dw, g, dw_in, dw, bands, mean))) return kernel_failed(e, s, "depthwise", i);
            done(r, EFFAD_LAYER_DEPTHWISE, i);
        }
        seen(r, EFFAD_AT_DEPTHWISE, i, dw, &b->dw.out_q, g->out_h, g->out_w, b->mid_c, 0);
        /* squeeze-excite: per-channel gate from the pooled vector; a float
         * block folds it onto the projection's inputs, an int8 block
         * requantises its depthwise output by it (as the projection reads
         * it, or in place before) */
        run_fold fold = { 0, b->dw.out_q };
        if (b->se_c) {
            if ((s = run_se_gate(r, b, mean, gate, hidden))) return kernel_failed(e, s, "squeeze-excite", i);
            seen(r, EFFAD_AT_GATED, i, dw, &b->dw.out_q, g->out_h, g->out_w, b->mid_c, gate);
            if (run_is_q8(&b->project)) s = run_gate_q(r, b, dw, out_px, gate, gate, &fold);
            else fold.scale = gate;
            if (s) return kernel_failed(e, s, "squeeze-excite", i);
            done(r, EFFAD_LAYER_SE, i);
        }
        /* project 1x1, + skip */
        void *out = centred(io[1 - cur], out_px * b->out_c * run_elem_bytes(&b->project.out_q));
        if ((s = run_1x1(r, &b->project, dw, out_px, fold.scale ? &fold : 0, b->skip ? x.p : 0, &x.q, out)))
            return kernel_failed(e, s, "project", i);
        done(r, EFFAD_LAYER_PROJECT, i);
        x.p = out;
        cur = 1 - cur;
        x.q = b->project.out_q;
        h = g->out_h; w = g->out_w;
        seen(r, EFFAD_AT_BLOCK_OUT, i, x.p, &x.q, h, w, b->out_c, 0);
        if ((s = emit_taps(r, i + 1, &x, h, w, b->out_c, pooled))) return kernel_failed(e, s, "tap", i + 1);
    }

    /* head: 1x1 conv + activation; the classifier after it is not ours */
    if (m->has_head) {
        const size_t px = (size_t)h * w;
        if ((s = to_type(r, &x, io, &cur, &m->head.in_q, px * (size_t)m->head.cin))) return kernel_failed(e, s, "convert", 0);
        act y = { centred(io[1 - cur], px * m->head.cout * run_elem_bytes(&m->head.out_q)), m->head.out_q };
        if ((s = run_1x1(r, &m->head, x.p, px, 0, 0, 0, y.p))) return kernel_failed(e, s, "head", 0);
        done(r, EFFAD_LAYER_HEAD, 0);
        seen(r, EFFAD_AT_HEAD, 0, y.p, &y.q, h, w, m->head.cout, 0);
        if ((s = emit_taps(r, m->n_blocks + 1, &y, h, w, m->head.cout, pooled)))
            return kernel_failed(e, s, "tap", m->n_blocks + 1);
    }
    return EFFAD_OK;
}
