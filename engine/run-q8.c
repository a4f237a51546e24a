/* The int8 layers of the forward pass (run.h, arithmetic in ops/q8.h):
 * uint8 activations, int8 weights, the same thread splits as float32.
 * Every sum that feeds a float (squeeze-excite means, pooled taps) is an
 * exact integer before it is converted, so thread count never shows. */
#include "run.h"

const float *q8_layer_mult(effad_runner *r, const effad_conv *c, int half)
{
    float *m = (float *)(void *)run_buf(r, r->off_qmul + (size_t)half * (r->qmul_bytes / 2));
    for (int j = 0; j < c->cout; j++) m[j] = c->in_q.scale * c->w.scale[j];
    return m;
}

ops_q8_out q8_out_of(const effad_conv *c, const float *mult)
{
    ops_q8_out o = { mult, (const float *)c->b.data, run_act(c), 1.0f / c->out_q.scale, c->out_q.zero_point,
                     c->q_bounded };
    return o;
}

/* ---------------------------------------------------- 1x1 conv (GEMM) */

typedef struct gemm_job {
    effad_runner *r;
    ops_q8_gemm_args a;
    int by_cols;
} gemm_job;

static void gemm_chunks(void *ctx, int worker, int begin, int end)
{
    gemm_job *j = ctx;
    const ops_q8_kernels *q = j->r->k->q8;
    ops_q8_gemm_args a = j->a;
    if (j->by_cols) {
        const size_t cols = j->r->gemm_cols;
        size_t c0 = (size_t)begin * cols, c1 = (size_t)end * cols;
        if (c1 > a.n) c1 = a.n;
        a.n = c1 - c0;
        a.b += c0;
        if (a.b_packed) a.b_packed = (const uint8_t *)a.b_packed + q->gemm_pack_offset(c0, a.k);
        a.c += c0;
        a.out.mult += c0;
        if (a.out.bias) a.out.bias += c0;
        if (a.res) a.res += c0;
    } else {
        size_t r0 = (size_t)begin * PLAN_GEMM_ROWS, r1 = (size_t)end * PLAN_GEMM_ROWS;
        if (r1 > a.m) r1 = a.m;
        a.m = r1 - r0;
        a.a += r0 * a.a_stride;
        a.c += r0 * a.c_stride;
        if (a.res) a.res += r0 * a.res_stride;
    }
    run_note(j->r, worker, q->gemm(&a, run_scratch(j->r, worker)));
}

typedef struct pack_job { effad_runner *r; ops_q8_gemm_args a; uint8_t *dst; } pack_job;

static void pack_chunks(void *ctx, int worker, int begin, int end)
{
    pack_job *j = ctx;
    const ops_q8_kernels *q = j->r->k->q8;
    ops_q8_gemm_args a = j->a;
    const size_t cols = j->r->gemm_cols;
    size_t c0 = (size_t)begin * cols, c1 = (size_t)end * cols;
    if (c1 > a.n) c1 = a.n;
    a.n = c1 - c0;
    a.b += c0;
    run_note(j->r, worker, q->gemm_pack(&a, j->dst + q->gemm_pack_offset(c0, a.k)));
}

static ops_q8_gemm_args gemm_of(const effad_conv *c, const float *mult, const uint8_t *in, size_t pixels,
                                const run_fold *fold, const uint8_t *res, const effad_qtype *res_q, uint8_t *out)
{
    ops_q8_gemm_args a;
    memset(&a, 0, sizeof a);
    a.m = pixels; a.n = (size_t)c->cout; a.k = (size_t)c->cin;
    a.a = in; a.a_stride = (size_t)c->cin; a.a_zero = c->in_q.zero_point;
    if (fold) { a.a_mult = fold->scale; a.a_in_zero = fold->from.zero_point; }
    a.b = (const int8_t *)c->w.data; a.b_stride = (size_t)c->cout;
    a.out = q8_out_of(c, mult);
    if (res) {
        a.res = res; a.res_stride = (size_t)c->cout;
        a.res_zero = res_q->zero_point; a.res_scale = res_q->scale;
    }
    a.c = out; a.c_stride = (size_t)c->cout;
    return a;
}

/* B as the table packs it: the runner's pre-packed copy (int8 packing
 * does not depend on the gate, which is applied to A), or packed once per
 * pass into the shared pack buffer. */
static ops_status pack_layer(effad_runner *r, const effad_conv *c, ops_q8_gemm_args *a)
{
    const void *pre = run_packed(r, c);
    if (pre) { a->b_packed = pre; return OPS_OK; }
    if (!r->k->q8->gemm_pack) return OPS_OK;
    pack_job pj = { r, *a, run_buf(r, r->off_pack) };
    a->b_packed = pj.dst;
    return run_parallel(r, pack_chunks, &pj, (int)((a->n + r->gemm_cols - 1) / r->gemm_cols));
}

ops_status q8_run_1x1(effad_runner *r, const effad_conv *c, const uint8_t *in, size_t pixels, const run_fold *fold,
                      const uint8_t *res, const effad_qtype *res_q, uint8_t *out)
{
    gemm_job j = { r, gemm_of(c, q8_layer_mult(r, c, 0), in, pixels, fold, res, res_q, out), 0 };
    ops_status s = pack_layer(r, c, &j.a);
    if (s) return s;
    const int rows = (int)((pixels + PLAN_GEMM_ROWS - 1) / PLAN_GEMM_ROWS);
    const int cols = (int)(((size_t)c->cout + r->gemm_cols - 1) / r->gemm_cols);
    j.by_cols = run_gemm_by_cols(r, (size_t)c->cout, pixels);
    return run_parallel(r, gemm_chunks, &j, j.by_cols ? cols : rows);
}

/* ---------------------------------------------------------- depthwise */

static ops_q8_dwconv_args dw_of(const effad_conv *c, const float *mult, const effad_geom *g, const uint8_t *in,
                                uint8_t *out)
{
    ops_q8_dwconv_args a;
    memset(&a, 0, sizeof a);
    a.in = in; a.in_dims = (ops_hwc){ g->in_h, g->in_w, c->cin }; a.in_zero = c->in_q.zero_point;
    a.w = (const int8_t *)c->w.data;
    a.g = run_geom(c, g);
    a.out = q8_out_of(c, mult);
    a.out_q = out; a.out_dims = (ops_hwc){ g->out_h, g->out_w, c->cout };
    return a;
}

typedef struct dw_job { effad_runner *r; ops_q8_dwconv_args dw; int32_t *bands; } dw_job;

static void dw_bands(void *ctx, int worker, int begin, int end)
{
    dw_job *j = ctx;
    for (int band = begin; band < end; band++) {
        ops_q8_dwconv_args a = j->dw;
        run_band_rows(band, a.out_dims.h, &a.row_begin, &a.row_end);
        if (j->bands) {
            a.chan_sum = j->bands + (size_t)band * a.out_dims.c;
            memset(a.chan_sum, 0, sizeof(int32_t) * (size_t)a.out_dims.c);
        }
        run_note(j->r, worker, j->r->k->q8->dwconv(&a));
    }
}

void q8_band_mean(const int32_t *bands, int n_bands, int c, long long pixels, const effad_qtype *q, float *mean)
{
    for (int ch = 0; ch < c; ch++) {
        long long sum = 0;
        for (int b = 0; b < n_bands; b++) sum += bands[(size_t)b * c + ch];
        mean[ch] = (float)(((double)sum / (double)pixels - (double)q->zero_point) * (double)q->scale);
    }
}

ops_status q8_run_dw(effad_runner *r, const effad_conv *c, const effad_geom *g, const uint8_t *in, uint8_t *out,
                     int32_t *bands, float *mean)
{
    dw_job j = { r, dw_of(c, q8_layer_mult(r, c, 0), g, in, out), mean ? bands : 0 };
    const int n_bands = (int)plan_bands(g->out_h);
    ops_status s = run_parallel(r, dw_bands, &j, n_bands);
    if (s || !mean) return s;
    q8_band_mean(bands, n_bands, c->cout, (long long)g->out_h * g->out_w, &c->out_q, mean);
    return OPS_OK;
}

typedef struct q8_fused { effad_runner *r; ops_q8_gemm_args ex; ops_q8_dwconv_args dw; } q8_fused;

static ops_status q8_expand_rows(const void *job, int row, int n, int slot, void *ring, void *scratch)
{
    const q8_fused *f = job;
    const size_t w = (size_t)f->dw.in_dims.w;
    ops_q8_gemm_args e = f->ex;
    e.m = (size_t)n * w;
    e.a += (size_t)row * w * e.a_stride;
    e.c = (uint8_t *)ring + (size_t)slot * w * (size_t)f->dw.in_dims.c;
    return f->r->k->q8->gemm(&e, scratch);
}

static ops_status q8_dw_row(const void *job, int oy, const void *ring, void *band_sum)
{
    const q8_fused *f = job;
    ops_q8_dwconv_args a = f->dw;
    a.in = ring;
    a.row_begin = oy;
    a.row_end = oy + 1;
    a.chan_sum = band_sum;
    return f->r->k->q8->dwconv(&a);
}

static const fused_ops q8_fused_ops = { q8_expand_rows, q8_dw_row };

ops_status q8_run_expand_dw(effad_runner *r, const effad_block *b, const effad_geom *g, int ring_rows,
                            const uint8_t *in, uint8_t *out, int32_t *bands, float *mean)
{
    q8_fused f = { r, gemm_of(&b->expand, q8_layer_mult(r, &b->expand, 0), in, (size_t)g->in_h * g->in_w, 0, 0, 0, 0),
                   dw_of(&b->dw, q8_layer_mult(r, &b->dw, 1), g, 0, out) };
    ops_status s = pack_layer(r, &b->expand, &f.ex);
    if (s) return s;
    f.dw.in_ring = ring_rows;
    s = run_fused_bands(r, &q8_fused_ops, &f, &f.dw.g, g->in_h, g->in_w, ring_rows, (size_t)g->in_w * b->mid_c,
                        g->out_h, mean ? bands : 0, (size_t)b->mid_c * sizeof(int32_t));
    if (s || !mean) return s;
    q8_band_mean(bands, (int)plan_bands(g->out_h), b->dw.cout, (long long)g->out_h * g->out_w, &b->dw.out_q, mean);
    return OPS_OK;
}

/* ------------------------------------------------- squeeze-excite gate */

#define GATE_CHUNK 1024   /* pixels */
typedef struct gate_job {
    effad_runner *r;
    uint8_t *x; size_t pixels, c;
    int32_t in_zero, out_zero;
    const float *mult;
} gate_job;

static void gate_chunks(void *ctx, int worker, int begin, int end)
{
    const gate_job *j = ctx;
    const size_t p0 = (size_t)begin * GATE_CHUNK, p1 = (size_t)end * GATE_CHUNK < j->pixels ? (size_t)end * GATE_CHUNK : j->pixels;
    uint8_t *x = j->x + p0 * j->c;
    run_note(j->r, worker, j->r->k->q8->scale_channels(x, p1 - p0, j->c, j->in_zero, j->mult, j->out_zero, x));
}

ops_status q8_run_gate(effad_runner *r, const effad_block *b, uint8_t *dw, size_t pixels, const float *gate,
                       float *mult, run_fold *fold)
{
    const effad_qtype *in = &b->dw.out_q, *out = &b->project.in_q;
    const float inv_out = 1.0f / out->scale;
    for (int ch = 0; ch < b->mid_c; ch++) mult[ch] = in->scale * gate[ch] * inv_out;
    fold->from = *in;
    if (r->k->q8->gemm_a_mult) {
        fold->scale = mult;   /* the projection requantises as it reads */
        return OPS_OK;
    }
    fold->scale = 0;
    gate_job j = { r, dw, pixels, (size_t)b->mid_c, in->zero_point, out->zero_point, mult };
    return run_parallel(r, gate_chunks, &j, (int)((pixels + GATE_CHUNK - 1) / GATE_CHUNK));
}

/* ---------------------------------------------------------------- taps */

typedef struct tap_job {
    effad_runner *r;
    const uint8_t *x; int h, w, c;
    effad_qtype q;
    int32_t *band_sums;   /* [bands][c], or NULL: not pooled */
    float *map;           /* dequantised h x w x c, or NULL: not kept */
} tap_job;

static void tap_bands(void *ctx, int worker, int begin, int end)
{
    tap_job *j = ctx;
    const ops_q8_kernels *q = j->r->k->q8;
    for (int band = begin; band < end; band++) {
        int y0, y1;
        run_band_rows(band, j->h, &y0, &y1);
        const size_t at = (size_t)y0 * j->w * j->c, n = (size_t)(y1 - y0) * j->w * j->c;
        if (j->band_sums)
            run_note(j->r, worker, q->sum_hw(j->x + at, (size_t)(y1 - y0) * j->w, (size_t)j->c,
                                             j->band_sums + (size_t)band * j->c));
        if (j->map) run_note(j->r, worker, q->dequantize(j->x + at, n, j->q.scale, j->q.zero_point, j->map + at));
    }
}

ops_status q8_run_tap(effad_runner *r, const uint8_t *x, const effad_qtype *q, int h, int w, int c, float *pooled,
                      float *map)
{
    tap_job j = { r, x, h, w, c, *q, pooled ? (int32_t *)(void *)run_buf(r, r->off_vec) : 0, map };
    const int bands = (int)plan_bands(h);
    ops_status s = run_parallel(r, tap_bands, &j, bands);
    if (s || !pooled) return s;
    q8_band_mean(j.band_sums, bands, c, (long long)h * w, q, pooled);
    return OPS_OK;
}
