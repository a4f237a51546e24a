/* The 16x8 layers of the forward pass (run.h, arithmetic in ops/q16.h):
 * int16 activations, int8 weights, the same thread splits and bands as
 * the int8 layers of run-q8.c, whose epilogue factors and band means they
 * share. The squeeze-excite gate is the int8 blocks' (float, int8
 * weights); its rescale of the depthwise output (q16_scale_channels) is
 * done by the projection as it reads its input, a block of rows at a time
 * (gemm_gated), or, when the projection is split by columns (small maps,
 * each worker reading all of A), in a pass of its own first. */
#include "run.h"

/* ---------------------------------------------------- 1x1 conv (GEMM) */

typedef struct gemm_job {
    effad_runner *r;
    ops_q16_gemm_args a;
    int by_cols;
    const float *a_mult;   /* the gate's rescale of A's columns (row splits), or NULL */
} gemm_job;

/* The GEMM on A requantised by a_mult (q16_scale_channels), a block of
 * rows at a time into the worker's scratch (plan.h: plan_q16_gate_rows),
 * just before the kernel reads it there. The integers are the ones a pass
 * over the whole map would leave in it, so the result is the same bits;
 * what goes is that pass's write of the map and the GEMM's read of it
 * again: on B4@380, ~20 M int16 twice, 2.4 ms of 36 (Zen 5, 1 thread). */
static ops_status gemm_gated(const ops_q16_kernels *q, const ops_q16_gemm_args *a, const float *a_mult,
                             uint8_t *scratch)
{
    const size_t rows = plan_q16_gate_rows(a->k);
    int16_t *blk = (int16_t *)(void *)scratch;
    void *kernel_scratch = scratch + ((rows < a->m ? rows : a->m) * a->k * sizeof(int16_t) + 63u) / 64u * 64u;
    for (size_t i = 0; i < a->m; i += rows) {
        ops_q16_gemm_args b = *a;
        b.m = a->m - i < rows ? a->m - i : rows;
        ops_status s = q->scale_channels(a->a + i * a->a_stride, b.m, a->k, a_mult, blk);
        if (s) return s;
        b.a = blk;
        b.a_stride = a->k;
        b.c += i * a->c_stride;
        if (b.res) b.res += i * a->res_stride;
        if ((s = q->gemm(&b, kernel_scratch))) return s;
    }
    return OPS_OK;
}

/* a's columns [c0, c0 + n) (c0 a multiple of the table's panel) */
static void gemm_cols_of(const ops_q16_kernels *q, ops_q16_gemm_args *a, size_t c0, size_t n)
{
    a->n = n;
    a->b += c0;
    if (a->b_packed) a->b_packed = (const uint8_t *)a->b_packed + q->gemm_pack_offset(c0, a->k);
    a->c += c0;
    a->out.mult += c0;
    if (a->out.bias) a->out.bias += c0;
    if (a->res) a->res += c0;
}

static void gemm_chunks(void *ctx, int worker, int begin, int end)
{
    gemm_job *j = ctx;
    const ops_q16_kernels *q = j->r->k->q16;
    ops_q16_gemm_args a = j->a;
    if (j->by_cols) {
        const size_t cols = j->r->gemm_cols;
        size_t c0 = (size_t)begin * cols, c1 = (size_t)end * cols;
        if (c1 > a.n) c1 = a.n;
        gemm_cols_of(q, &a, c0, c1 - c0);
    } else {
        size_t r0 = (size_t)begin * PLAN_GEMM_ROWS, r1 = (size_t)end * PLAN_GEMM_ROWS;
        if (r1 > a.m) r1 = a.m;
        a.m = r1 - r0;
        a.a += r0 * a.a_stride;
        a.c += r0 * a.c_stride;
        if (a.res) a.res += r0 * a.res_stride;
    }
    void *scratch = run_scratch(j->r, worker);
    run_note(j->r, worker, j->a_mult ? gemm_gated(q, &a, j->a_mult, scratch) : q->gemm(&a, scratch));
}

typedef struct pack_job { effad_runner *r; ops_q16_gemm_args a; uint8_t *dst; } pack_job;

static void pack_chunks(void *ctx, int worker, int begin, int end)
{
    pack_job *j = ctx;
    const ops_q16_kernels *q = j->r->k->q16;
    ops_q16_gemm_args a = j->a;
    const size_t cols = j->r->gemm_cols;
    size_t c0 = (size_t)begin * cols, c1 = (size_t)end * cols;
    if (c1 > a.n) c1 = a.n;
    a.n = c1 - c0;
    a.b += c0;
    run_note(j->r, worker, q->gemm_pack(&a, j->dst + q->gemm_pack_offset(c0, a.k)));
}

static ops_q16_gemm_args gemm_of(const effad_conv *c, const float *mult, const int16_t *in, size_t pixels,
                                 const int16_t *res, const effad_qtype *res_q, int16_t *out)
{
    ops_q16_gemm_args a;
    memset(&a, 0, sizeof a);
    a.m = pixels; a.n = (size_t)c->cout; a.k = (size_t)c->cin;
    a.a = in; a.a_stride = (size_t)c->cin;
    a.b = (const int8_t *)c->w.data; a.b_stride = (size_t)c->cout;
    a.out = q8_out_of(c, mult);
    if (res) { a.res = res; a.res_stride = (size_t)c->cout; a.res_scale = res_q->scale; }
    a.c = out; a.c_stride = (size_t)c->cout;
    return a;
}

/* Split by output channels rather than rows (run_gemm_by_cols). */
static int by_cols(const effad_runner *r, const effad_conv *c, size_t pixels)
{
    return run_gemm_by_cols(r, (size_t)c->cout, pixels);
}

/* B as the table packs it: pre-packed, or packed once per pass. */
static ops_status pack_layer(effad_runner *r, const effad_conv *c, ops_q16_gemm_args *a)
{
    const void *pre = run_packed(r, c);
    if (pre) { a->b_packed = pre; return OPS_OK; }
    if (!r->k->q16->gemm_pack) return OPS_OK;
    pack_job pj = { r, *a, run_buf(r, r->off_pack) };
    a->b_packed = pj.dst;
    return run_parallel(r, pack_chunks, &pj, (int)((a->n + r->gemm_cols - 1) / r->gemm_cols));
}

ops_status q16_run_1x1(effad_runner *r, const effad_conv *c, const int16_t *in, size_t pixels, const float *a_mult,
                       const int16_t *res, const effad_qtype *res_q, int16_t *out)
{
    gemm_job j = { r, gemm_of(c, q8_layer_mult(r, c, 0), in, pixels, res, res_q, out), 0, a_mult };
    ops_status s = pack_layer(r, c, &j.a);
    if (s) return s;
    j.by_cols = by_cols(r, c, pixels);
    return run_parallel(r, gemm_chunks, &j,
                        j.by_cols ? (int)(((size_t)c->cout + r->gemm_cols - 1) / r->gemm_cols)
                                  : (int)((pixels + PLAN_GEMM_ROWS - 1) / PLAN_GEMM_ROWS));
}

/* ---------------------------------------------------------- depthwise */

static ops_q16_dwconv_args dw_of(const effad_conv *c, const float *mult, const effad_geom *g, const int16_t *in,
                                 int16_t *out)
{
    ops_q16_dwconv_args a;
    memset(&a, 0, sizeof a);
    a.in = in; a.in_dims = (ops_hwc){ g->in_h, g->in_w, c->cin };
    a.w = (const int8_t *)c->w.data;
    a.g = run_geom(c, g);
    a.out = q8_out_of(c, mult);
    a.out_q = out; a.out_dims = (ops_hwc){ g->out_h, g->out_w, c->cout };
    return a;
}

typedef struct dw_job { effad_runner *r; ops_q16_dwconv_args dw; int32_t *bands; } dw_job;

static void dw_bands(void *ctx, int worker, int begin, int end)
{
    dw_job *j = ctx;
    for (int band = begin; band < end; band++) {
        ops_q16_dwconv_args a = j->dw;
        run_band_rows(band, a.out_dims.h, &a.row_begin, &a.row_end);
        if (j->bands) {
            a.chan_sum = j->bands + (size_t)band * a.out_dims.c;
            memset(a.chan_sum, 0, sizeof(int32_t) * (size_t)a.out_dims.c);
        }
        run_note(j->r, worker, j->r->k->q16->dwconv(&a));
    }
}

ops_status q16_run_dw(effad_runner *r, const effad_conv *c, const effad_geom *g, const int16_t *in, int16_t *out,
                      int32_t *bands, float *mean)
{
    dw_job j = { r, dw_of(c, q8_layer_mult(r, c, 0), g, in, out), mean ? bands : 0 };
    const int n_bands = (int)plan_bands(g->out_h);
    ops_status s = run_parallel(r, dw_bands, &j, n_bands);
    if (s || !mean) return s;
    q8_band_mean(bands, n_bands, c->cout, (long long)g->out_h * g->out_w, &c->out_q, mean);
    return OPS_OK;
}

typedef struct q16_fused { effad_runner *r; ops_q16_gemm_args ex; ops_q16_dwconv_args dw; } q16_fused;

static ops_status q16_expand_rows(const void *job, int row, int n, int slot, void *ring, void *scratch)
{
    const q16_fused *f = job;
    const size_t w = (size_t)f->dw.in_dims.w;
    ops_q16_gemm_args e = f->ex;
    e.m = (size_t)n * w;
    e.a += (size_t)row * w * e.a_stride;
    e.c = (int16_t *)ring + (size_t)slot * w * (size_t)f->dw.in_dims.c;
    return f->r->k->q16->gemm(&e, scratch);
}

static ops_status q16_dw_row(const void *job, int oy, const void *ring, void *band_sum)
{
    const q16_fused *f = job;
    ops_q16_dwconv_args a = f->dw;
    a.in = ring;
    a.row_begin = oy;
    a.row_end = oy + 1;
    a.chan_sum = band_sum;
    return f->r->k->q16->dwconv(&a);
}

static const fused_ops q16_fused_ops = { q16_expand_rows, q16_dw_row };

ops_status q16_run_expand_dw(effad_runner *r, const effad_block *b, const effad_geom *g, int ring_rows,
                             const int16_t *in, int16_t *out, int32_t *bands, float *mean)
{
    q16_fused f = { r, gemm_of(&b->expand, q8_layer_mult(r, &b->expand, 0), in, (size_t)g->in_h * g->in_w, 0, 0, 0),
                    dw_of(&b->dw, q8_layer_mult(r, &b->dw, 1), g, 0, out) };
    ops_status s = pack_layer(r, &b->expand, &f.ex);
    if (s) return s;
    f.dw.in_ring = ring_rows;
    s = run_fused_bands(r, &q16_fused_ops, &f, &f.dw.g, g->in_h, g->in_w, ring_rows,
                        (size_t)g->in_w * b->mid_c * sizeof(int16_t), g->out_h, mean ? bands : 0,
                        (size_t)b->mid_c * sizeof(int32_t));
    if (s || !mean) return s;
    q8_band_mean(bands, (int)plan_bands(g->out_h), b->dw.cout, (long long)g->out_h * g->out_w, &b->dw.out_q, mean);
    return OPS_OK;
}

/* ------------------------------------------------- squeeze-excite gate */

#define GATE_CHUNK 1024   /* pixels */
typedef struct gate_job { effad_runner *r; int16_t *x; size_t pixels, c; const float *mult; } gate_job;

static void gate_chunks(void *ctx, int worker, int begin, int end)
{
    const gate_job *j = ctx;
    const size_t p0 = (size_t)begin * GATE_CHUNK, p1 = (size_t)end * GATE_CHUNK < j->pixels ? (size_t)end * GATE_CHUNK : j->pixels;
    int16_t *x = j->x + p0 * j->c;
    run_note(j->r, worker, j->r->k->q16->scale_channels(x, p1 - p0, j->c, j->mult, x));
}

/* The projection requantises as it reads (fold->scale = mult), unless it
 * is split by columns: every worker would then rescale all of A, so the
 * map is rescaled once, in place, first. */
ops_status q16_run_gate(effad_runner *r, const effad_block *b, int16_t *dw, size_t pixels, const float *gate,
                        float *mult, run_fold *fold)
{
    const float inv_out = 1.0f / b->project.in_q.scale, s_in = b->dw.out_q.scale;
    for (int ch = 0; ch < b->mid_c; ch++) mult[ch] = s_in * gate[ch] * inv_out;
    fold->from = b->dw.out_q;
    if (!by_cols(r, &b->project, pixels)) {
        fold->scale = mult;
        return OPS_OK;
    }
    fold->scale = 0;
    gate_job j = { r, dw, pixels, (size_t)b->mid_c, mult };
    return run_parallel(r, gate_chunks, &j, (int)((pixels + GATE_CHUNK - 1) / GATE_CHUNK));
}

/* ---------------------------------------------------------------- taps */

typedef struct tap_job {
    effad_runner *r;
    const int16_t *x; int h, w, c;
    effad_qtype q;
    int32_t *band_sums;   /* [bands][c], or NULL: not pooled */
    float *map;           /* dequantised h x w x c, or NULL: not kept */
} tap_job;

static void tap_bands(void *ctx, int worker, int begin, int end)
{
    tap_job *j = ctx;
    const ops_q16_kernels *q = j->r->k->q16;
    for (int band = begin; band < end; band++) {
        int y0, y1;
        run_band_rows(band, j->h, &y0, &y1);
        const size_t at = (size_t)y0 * j->w * j->c, n = (size_t)(y1 - y0) * j->w * j->c;
        if (j->band_sums)
            run_note(j->r, worker, q->sum_hw(j->x + at, (size_t)(y1 - y0) * j->w, (size_t)j->c,
                                             j->band_sums + (size_t)band * j->c));
        if (j->map) run_note(j->r, worker, q->dequantize(j->x + at, n, j->q.scale, j->map + at));
    }
}

ops_status q16_run_tap(effad_runner *r, const int16_t *x, const effad_qtype *q, int h, int w, int c, float *pooled,
                       float *map)
{
    tap_job j = { r, x, h, w, c, *q, pooled ? (int32_t *)(void *)run_buf(r, r->off_vec) : 0, map };
    const int bands = (int)plan_bands(h);
    ops_status s = run_parallel(r, tap_bands, &j, bands);
    if (s || !pooled) return s;
    q8_band_mean(j.band_sums, bands, c, (long long)h * w, q, pooled);
    return OPS_OK;
}
