/* The layers of the forward pass: plumbing shared by both element types,
 * the dispatch on a layer's type, the fused expand+depthwise driver and the
 * conversions at float/int8 block boundaries. See run.h. */
#include "run.h"

/* ------------------------------------------------------------ plumbing */

ops_status run_parallel(effad_runner *r, effad_range_fn fn, void *ctx, int n)
{
    if (n <= 0) return OPS_OK;
    if (r->threads && r->threads->n_threads > 1 && n > 1) r->threads->parallel_for(r->threads, fn, ctx, n);
    else fn(ctx, 0, 0, n);
    /* the pool's join orders every worker's write before these reads */
    ops_status first = OPS_OK;
    for (int w = 0; w < r->n_workers; w++) {
        if (r->worker_status[w] && !first) first = (ops_status)r->worker_status[w];
        r->worker_status[w] = OPS_OK;
    }
    return first;
}

/* The elements (of `total`, in chunks of `chunk`) that the busiest of t
 * workers gets when the chunks are cut into t even contiguous runs, as
 * the pool cuts them. */
static size_t busiest(size_t total, size_t chunk, int t)
{
    const size_t n = (total + chunk - 1) / chunk;
    size_t most = 0;
    for (int w = 0; w < t; w++) {
        size_t b = n * (size_t)w / (size_t)t * chunk, e = n * (size_t)(w + 1) / (size_t)t * chunk;
        if (b > total) b = total;
        if (e > total) e = total;
        if (e - b > most) most = e - b;
    }
    return most;
}

/* Rows unless they split badly. A worker that takes a layer's rows (pixels)
 * also takes the same pixels of the depthwise bands before and after it and
 * of the next block's layers, so the activations it reads are the ones it
 * wrote, in its own core's caches; split by columns, every worker computes
 * all pixels of some channels, and the next layer, split by rows, reads
 * half of its input from the other core. Measured on B4 AVX2 float, 2
 * threads, shared Zen 5 (`effad bench`, builds alternated), against the
 * rule before (columns whenever there were more column chunks than row
 * chunks: B4's 24x24 expands of 960 channels and all of its 12x12 ones):
 * the depthwise layers of blocks 11-31 4.55-4.63 -> 3.98-4.06 ms, the
 * projections 16.1-16.7 -> 15.8-15.9; the pass 0.943-1.004 of the time in
 * eight paired runs (median 0.989), 0.955-1.013 in ten more (median
 * 0.986); B4 int8 on the plain AVX2 kernels 0.95-1.00 in eight (median
 * 0.962); B0 within noise. Columns stay for maps with few rows per worker
 * (B0's 7x7: five chunks of 12, the last of one pixel), where they
 * balance better. */
int run_gemm_by_cols(const effad_runner *r, size_t cols, size_t pixels)
{
    const int t = r->threads && r->threads->n_threads > 1 ? r->threads->n_threads : 1;
    if (t == 1 || !cols || !pixels) return 0;
    /* The AVX-512 tables keep the rule they had (columns when they are
     * the more numerous chunks): they multiply twice as fast per byte of
     * weights, every worker streaming all of a wide layer's weights (rows)
     * costs them relatively more, and rows did not pay there -- B4 at 2
     * threads, eight runs alternated with the old rule: float 0.98-1.02
     * of the time (median 1.004), int8 on VNNI 0.99-1.08 (median 1.013). */
    if (r->k && r->k->isa == OPS_ISA_AVX512)
        return (cols + r->gemm_cols - 1) / r->gemm_cols > (pixels + PLAN_GEMM_ROWS - 1) / PLAN_GEMM_ROWS;
    /* rows when each worker has 4 chunks or more and the busiest at most
     * 1/16 more than an even share; else whichever split is more even */
    const uint64_t rows_most = busiest(pixels, PLAN_GEMM_ROWS, t);
    if ((pixels + PLAN_GEMM_ROWS - 1) / PLAN_GEMM_ROWS >= 4u * (size_t)t && rows_most * (uint64_t)t * 16 <= (uint64_t)pixels * 17)
        return 0;
    return (uint64_t)busiest(cols, r->gemm_cols, t) * pixels < rows_most * cols;
}

void run_note(effad_runner *r, int worker, ops_status s)
{
    if (s && !r->worker_status[worker]) r->worker_status[worker] = (int)s;
}

void *run_scratch(const effad_runner *r, int worker)
{
    return r->arena + r->off_scratch + (size_t)worker * r->scratch_bytes;
}

ops_act run_act(const effad_conv *c)
{
    ops_act a = { (ops_act_kind)c->act, c->act_a, c->act_b };
    return a;
}

ops_conv_geom run_geom(const effad_conv *c, const effad_geom *g)
{
    ops_conv_geom q = { c->kh, c->kw, c->stride_h, c->stride_w, c->dil_h, c->dil_w,
                        g->pad_top, g->pad_left, g->pad_bottom, g->pad_right };
    return q;
}

void run_band_rows(int band, int out_h, int *begin, int *end)
{
    *begin = band * PLAN_BAND_ROWS;
    *end = *begin + PLAN_BAND_ROWS < out_h ? *begin + PLAN_BAND_ROWS : out_h;
}

const float *run_f32_weights(const effad_runner *r, const effad_conv *c)
{
    if (c->w.dtype == EFFAD_F32) return (const float *)c->w.data;
    const int slot = plan_conv_slot(r->m, c);
    return slot >= 0 && r->wq_at[slot] ? (const float *)(const void *)(r->arena + r->wq_at[slot]) : 0;
}

void run_wq_refill(const effad_runner *r, const effad_conv *c)
{
    if (!run_is_wq(c)) return;   /* no slot search for every other layer */
    const int slot = plan_conv_slot(r->m, c);
    if (slot >= 0 && r->wq_refill[slot])
        plan_dequantise_weights(c, (float *)(void *)(r->arena + r->wq_at[slot]));
}

/* ------------------------------------------------------ type dispatch */

ops_status run_1x1(effad_runner *r, const effad_conv *c, const void *in, size_t pixels, const run_fold *fold,
                   const void *res, const effad_qtype *res_q, void *out)
{
    if (run_is_q16(c)) return q16_run_1x1(r, c, in, pixels, fold ? fold->scale : 0, res, res_q, out);
    if (run_is_q8(c)) return q8_run_1x1(r, c, in, pixels, fold, res, res_q, out);
    return f32_run_1x1(r, c, in, pixels, fold ? fold->scale : 0, res, out);
}

ops_status run_dw(effad_runner *r, const effad_conv *c, const effad_geom *g, const void *in, void *out,
                  void *bands, float *mean)
{
    if (run_is_q16(c)) return q16_run_dw(r, c, g, in, out, bands, mean);
    if (run_is_q8(c)) return q8_run_dw(r, c, g, in, out, bands, mean);
    return f32_run_dw(r, c, g, in, out, bands, mean);
}

ops_status run_expand_dw(effad_runner *r, const effad_block *b, const effad_geom *g, int ring_rows,
                         const void *in, void *out, void *bands, float *mean)
{
    if (run_is_q16(&b->dw)) return q16_run_expand_dw(r, b, g, ring_rows, in, out, bands, mean);
    if (run_is_q8(&b->dw)) return q8_run_expand_dw(r, b, g, ring_rows, in, out, bands, mean);
    return f32_run_expand_dw(r, b, g, ring_rows, in, out, bands, mean);
}

ops_status run_se_gate(effad_runner *r, const effad_block *b, const float *mean, float *gate, float *hidden)
{
    const effad_conv *c1 = &b->se_reduce, *c2 = &b->se_expand;
    if (c1->w.dtype == EFFAD_S8) {
        const ops_q8_se_args a = { mean, b->mid_c, b->se_c, c1->w.data, c1->w.scale, c1->b.data, run_act(c1),
                                   c2->w.data, c2->w.scale, c2->b.data, run_act(c2), gate, hidden };
        return r->k->q8->se_gate(&a);
    }
    const ops_se_args a = { mean, b->mid_c, b->se_c, c1->w.data, c1->b.data, run_act(c1),
                            c2->w.data, c2->b.data, run_act(c2), gate, hidden };
    return r->k->f32->se_gate(&a);
}

ops_status run_gate_q(effad_runner *r, const effad_block *b, void *dw, size_t pixels, const float *gate,
                      float *mult, run_fold *fold)
{
    if (run_is_q16(&b->project)) return q16_run_gate(r, b, dw, pixels, gate, mult, fold);
    return q8_run_gate(r, b, dw, pixels, gate, mult, fold);
}

ops_status run_tap(effad_runner *r, const void *x, const effad_qtype *q, int h, int w, int c, float *pooled,
                   float *map)
{
    if (q->dtype == EFFAD_U8) return q8_run_tap(r, x, q, h, w, c, pooled, map);
    if (q->dtype == EFFAD_S16) return q16_run_tap(r, x, q, h, w, c, pooled, map);
    return f32_run_tap(r, x, h, w, c, pooled, map);
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
    const fused_ops *ops;
    const void *job;
    ops_conv_geom g;
    int in_h, ring_rows, out_h;
    size_t row_bytes;
    uint8_t *bands; size_t band_bytes;   /* [bands] x band_bytes, or NULL */
} fused_job;

static void fused_band_range(void *ctx, int worker, int begin, int end)
{
    const fused_job *j = ctx;
    effad_runner *r = j->r;
    uint8_t *ring = r->arena + r->off_ring + (size_t)worker * r->ring_bytes;
    void *scratch = run_scratch(r, worker);
    int next = 0;   /* first input row not in the ring yet */
    for (int band = begin; band < end; band++) {
        int oy0, oy1;
        run_band_rows(band, j->out_h, &oy0, &oy1);
        void *band_sum = 0;
        if (j->bands) {
            band_sum = j->bands + (size_t)band * j->band_bytes;
            memset(band_sum, 0, j->band_bytes);
        }
        for (int oy = oy0; oy < oy1; oy++) {
            int lo = oy * j->g.stride_h - j->g.pad_top, hi = lo + (j->g.kh - 1) * j->g.dil_h + 1;
            if (lo < 0) lo = 0;
            if (hi > j->in_h) hi = j->in_h;
            if (next < lo) next = lo;
            while (next < hi) {
                const int slot = next % j->ring_rows;
                const int n = hi - next < j->ring_rows - slot ? hi - next : j->ring_rows - slot;
                ops_status s = j->ops->expand_rows(j->job, next, n, slot, ring, scratch);
                if (s) { run_note(r, worker, s); return; }
                next += n;
            }
            ops_status s = j->ops->dw_row(j->job, oy, ring, band_sum);
            if (s) { run_note(r, worker, s); return; }
        }
    }
}

ops_status run_fused_bands(effad_runner *r, const fused_ops *ops, const void *job, const ops_conv_geom *g,
                           int in_h, int in_w, int ring_rows, size_t row_bytes, int out_h, void *bands,
                           size_t band_bytes)
{
    (void)in_w;
    fused_job j = { r, ops, job, *g, in_h, ring_rows, out_h, row_bytes, bands, band_bytes };
    return run_parallel(r, fused_band_range, &j, (int)plan_bands(out_h));
}

/* ------------------------------------------- float32 / int8 boundaries */

#define CONVERT_CHUNK 16384
typedef struct convert_job {
    effad_runner *r;
    const void *in; void *out;
    effad_qtype from, to;
    size_t n;
} convert_job;

/* Between a uint8 block and an int16 one (either way): through float, as
 * the QDQ graph's DequantizeLinear -> QuantizeLinear does it, a stack
 * chunk at a time, so that the arena needs no float copy of the map. */
#define HOP_CHUNK 256   /* 1 KB of stack, also on a microcontroller */
static ops_status convert_via_float(const effad_runner *r, const void *in, const effad_qtype *from, void *out,
                                    const effad_qtype *to, size_t i0, size_t i1)
{
    const effad_qtype f32 = { EFFAD_F32, 0.0f, 0 };
    float hop[HOP_CHUNK];
    for (size_t c0 = i0; c0 < i1; c0 += HOP_CHUNK) {
        const size_t c1 = i1 - c0 < HOP_CHUNK ? i1 : c0 + HOP_CHUNK;
        const void *src = (const uint8_t *)in + c0 * run_elem_bytes(from);
        void *dst = (uint8_t *)out + c0 * run_elem_bytes(to);
        ops_status s = run_convert_span(r, src, from, hop, &f32, 0, c1 - c0);
        if (!s) s = run_convert_span(r, hop, &f32, dst, to, 0, c1 - c0);
        if (s) return s;
    }
    return OPS_OK;
}

ops_status run_convert_span(const effad_runner *r, const void *in, const effad_qtype *from, void *out,
                            const effad_qtype *to, size_t i0, size_t i1)
{
    const ops_q8_kernels *q = r->k->q8;
    const ops_q16_kernels *q16 = r->k->q16;
    if (from->dtype != EFFAD_F32 && to->dtype != EFFAD_F32) return convert_via_float(r, in, from, out, to, i0, i1);
    if (to->dtype == EFFAD_S16)
        return q16->quantize((const float *)in + i0, i1 - i0, 1.0f / to->scale, (int16_t *)out + i0);
    if (from->dtype == EFFAD_S16)
        return q16->dequantize((const int16_t *)in + i0, i1 - i0, from->scale, (float *)out + i0);
    if (to->dtype == EFFAD_U8)
        return q->quantize((const float *)in + i0, i1 - i0, 1.0f / to->scale, to->zero_point, (uint8_t *)out + i0);
    return q->dequantize((const uint8_t *)in + i0, i1 - i0, from->scale, from->zero_point, (float *)out + i0);
}

static void convert_chunks(void *ctx, int worker, int begin, int end)
{
    const convert_job *j = ctx;
    const size_t i0 = (size_t)begin * CONVERT_CHUNK, i1 = (size_t)end * CONVERT_CHUNK < j->n ? (size_t)end * CONVERT_CHUNK : j->n;
    run_note(j->r, worker, run_convert_span(j->r, j->in, &j->from, j->out, &j->to, i0, i1));
}

ops_status run_convert(effad_runner *r, const void *in, const effad_qtype *from, void *out, const effad_qtype *to,
                       size_t n)
{
    /* the loader refuses uint8 -> uint8 and int16 -> int16 rescales */
    if (from->dtype == to->dtype) return OPS_ERR_ARG;
    convert_job j = { r, in, out, *from, *to, n };
    return run_parallel(r, convert_chunks, &j, (int)((n + CONVERT_CHUNK - 1) / CONVERT_CHUNK));
}
