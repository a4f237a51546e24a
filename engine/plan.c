/* The memory plan: every layer's geometry at the requested input size and
 * one arena laid out once, so that effad_run() never allocates.
 *
 * Every size here is in bytes: a layer's activations take the bytes of
 * its output type (float32, or uint8 / int16 for a quantised layer), so an
 * int8 model's buffers are a quarter of its float one's (16x8: a half).
 *
 * Buffers:
 *   x0, x1   ping-pong block inputs/outputs and each type conversion (the
 *            stem reads the caller's CHW input where it lies, so there is
 *            no copy of it: until 2026-12-05 its HWC copy set x1's size,
 *            int8 B0's arena 2.05 -> 1.64 MB); each sized for what lands
 *            in it: on B4 the stem's 190x190x48 output is x0's alone, and
 *            a buffer that large twice left 3.3 MB of the arena unused
 *   exp      the expanded map of the widest expand 1x1 not fused (below)
 *   dw       the depthwise output (and its squeeze-excite partial sums)
 *   vec      per-channel float vectors: SE mean, gate, hidden, band partial
 *            sums; after a block, the band means of a pooled tap
 *   pack     the current 1x1 layer's weights packed for the kernel, shared
 *   qmul     int8 layers' per-column epilogue factors (two layers' worth)
 *   wq       weight-only layers' weights dequantised to float32: each
 *            depthwise layer's, written once by effad_runner_init, and
 *            one region for the 1x1 ones, refilled by each (wq_layout)
 *   scratch  kernel scratch, one slice per worker (the kernels' own
 *            *_buffer_size companions say how much)
 *   ring     the fused expand's rows, one ring per worker (plan.h)
 *   maps     one float32 HWC map per tap the caller asked to keep
 * Peak = their sum; effad info prints it so firmware can size a static
 * arena. */
#include "effad.h"
#include "efm-format.h"
#include "dispatch.h"
#include "plan.h"

/* Geometry of conv c applied to an in_h x in_w map. */
static effad_status conv_geom(const effad_conv *c, int in_h, int in_w, effad_geom *g, const char *what, effad_error *e)
{
    g->in_h = in_h; g->in_w = in_w;
    g->pad_top = c->pad_top; g->pad_bottom = c->pad_bottom;
    g->pad_left = c->pad_left; g->pad_right = c->pad_right;
    if (c->pad_mode == EFM_PAD_TF_SAME) {
        ops_tf_same_pad(in_h, c->kh, c->stride_h, c->dil_h, &g->pad_top, &g->pad_bottom);
        ops_tf_same_pad(in_w, c->kw, c->stride_w, c->dil_w, &g->pad_left, &g->pad_right);
    }
    g->out_h = ops_conv_out_dim(in_h, c->kh, c->stride_h, c->dil_h, g->pad_top, g->pad_bottom);
    g->out_w = ops_conv_out_dim(in_w, c->kw, c->stride_w, c->dil_w, g->pad_left, g->pad_right);
    if (g->out_h < 1 || g->out_w < 1)
        return effad_fail(e, EFFAD_ERR_ARG, "%s: input %dx%d too small for a %dx%d kernel", what, in_h, in_w, c->kh, c->kw);
    return EFFAD_OK;
}

static size_t max_sz(size_t a, size_t b) { return a > b ? a : b; }
static size_t round64(size_t n) { return (n + 63u) & ~(size_t)63u; }

/* A 1x1 layer's needs over m pixels, from its type's table: with a
 * packing kernel, one shared pack buffer (B packed once per layer, read by
 * every worker) and no per-worker scratch; else the kernel's own scratch,
 * per worker. With every layer pre-packed (EFFAD_PLAN_PREPACKED), the pack
 * buffer serves only a float layer scaled by a gate, as run-f32.c's
 * pack_layer uses it: A scaled when m < n, else B's packed copy scaled. */
static void gemm_needs(const ops_kernels *k, const effad_conv *c, size_t m, int gated, int prepacked, size_t *scr,
                       size_t *pack)
{
    const size_t n = (size_t)c->cout, kk = (size_t)c->cin;
    if (c->w.dtype == EFFAD_S8 && c->in_q.dtype == EFFAD_S16) {
        if (k->q16->gemm_pack && !prepacked) *pack = max_sz(*pack, k->q16->gemm_pack_buffer_size(n, kk));
        *scr = max_sz(*scr, k->q16->gemm_buffer_size(m, n, kk));
        if (gated) {   /* the gate's block of A rows, then the kernel's scratch */
            const size_t rows = plan_q16_gate_rows(kk) < m ? plan_q16_gate_rows(kk) : m;
            *scr = max_sz(*scr, round64(rows * kk * sizeof(int16_t)) + k->q16->gemm_buffer_size(rows, n, kk));
        }
    } else if (c->w.dtype == EFFAD_S8 && c->in_q.dtype != EFFAD_F32) {
        /* the int8 tables' scratch is per call even with B packed */
        if (k->q8->gemm_pack && !prepacked) *pack = max_sz(*pack, k->q8->gemm_pack_buffer_size(n, kk));
        *scr = max_sz(*scr, k->q8->gemm_buffer_size(m, n, kk));
    } else if (!k->f32->gemm_pack) {
        *scr = max_sz(*scr, k->f32->gemm_buffer_size(m, n, kk));
    } else if (!prepacked) {
        *pack = max_sz(*pack, k->f32->gemm_pack_buffer_size(n, kk));
    } else if (gated) {
        *pack = max_sz(*pack, m < n ? m * kk * sizeof(float) : k->f32->gemm_pack_buffer_size(n, kk));
    }
}

/* The column chunk of a 1x1 layer split by output channels: a multiple of
 * every panel width the tables in use pack to, so no panel is cut. */
static size_t gemm_cols(const ops_kernels *k, int quantised)
{
    size_t cols = PLAN_GEMM_COLS;
    const size_t p1 = k->f32->gemm_panel, p2 = quantised ? k->q8->gemm_panel : 0;
    const size_t p3 = quantised && k->q16 ? k->q16->gemm_panel : 0;
    while ((p1 && cols % p1) || (p2 && cols % p2) || (p3 && cols % p3)) cols += PLAN_GEMM_COLS;
    return cols;
}

size_t plan_bands(int rows) { return (size_t)(rows + PLAN_BAND_ROWS - 1) / PLAN_BAND_ROWS; }

int plan_ring_rows(int kh, int dil_h, int in_h)
{
    const int span = (kh - 1) * dil_h + 1;
    return span < in_h ? span : in_h;
}

/* The type the stem writes. A float32 stem before an int8 or 16x8 block
 * writes block 0's type directly: each band of rows is computed in float
 * and quantised while it is in cache (and pooled there, when a tap reads
 * the stem), instead of a float map (6.9 MB on B4@380) written to memory
 * and converted in a pass of its own -- the same conversion and pooling
 * of the same floats, so the same bits. Not with two taps on the stem
 * (forward.c hands it one), nor when the plan is unfused (an observer
 * sees every layer as the model computes it). */
int plan_stem_tap(const effad_model *m)
{
    int t0 = -1;
    for (int t = 0; t < m->n_taps; t++)
        if (m->taps[t].at == 0) t0 = t0 == -1 ? t : -2;
    return t0;
}

static effad_qtype stem_type(const effad_model *m, uint32_t flags)
{
    effad_qtype t = m->stem.out_q;
    if (t.dtype != EFFAD_F32 || m->n_blocks < 1 || (flags & EFFAD_PLAN_UNFUSED) || plan_stem_tap(m) == -2) return t;
    const effad_block *b = &m->blocks[0];
    return b->expand.w.data ? b->expand.in_q : b->dw.in_q;
}

/* Floats in conv c's weights. */
static size_t weight_count(const effad_conv *c)
{
    return (size_t)c->kh * c->kw * (size_t)(c->cin / c->groups) * c->cout;
}

/* Where each weight-only layer's float32 weights go in the arena, as
 * offsets (0 in wq_at: no copy); returns the region's bytes.
 *  - depthwise and stem (small: k x k per channel): a copy each, written
 *    once by effad_runner_init;
 *  - 1x1 (most of a block's weights): none in a pre-packed plan whose
 *    table packs -- the packed copy, made from the same dequantised values
 *    (packed.c), is what the kernels read; otherwise one region shared by
 *    all of them, the widest one's size, which each refills just before
 *    it runs (run_wq_refill): k x n operations a pass against its m x k x
 *    n multiply-adds, where copies of every one would hold all of their
 *    float bytes at once -- the arena of a microcontroller, whose weights
 *    stay in flash, would outgrow the float32 model's.
 * The shared region comes first, so that it starts at off_wq. */
static size_t wq_layout(effad_runner *r, const effad_model *m, const ops_kernels *k, int prepacked)
{
    size_t shared = 0, at;
    for (int slot = 0; slot < 2 + 3 * m->n_blocks; slot++) {
        const effad_conv *c = plan_conv_at(m, slot);
        if (!c || !c->w.data || c->w.dtype != EFFAD_S8 || c->in_q.dtype != EFFAD_F32) continue;
        if (plan_slot_is_1x1(m, slot) && !(prepacked && k->f32->gemm_pack)) {
            const size_t bytes = round64(weight_count(c) * sizeof(float));
            shared = bytes > shared ? bytes : shared;
        }
    }
    at = shared;
    for (int slot = 0; slot < 2 + 3 * m->n_blocks; slot++) {
        const effad_conv *c = plan_conv_at(m, slot);
        if (!c || !c->w.data || c->w.dtype != EFFAD_S8 || c->in_q.dtype != EFFAD_F32) continue;
        if (plan_slot_is_1x1(m, slot)) {
            if (!(prepacked && k->f32->gemm_pack)) { r->wq_at[slot] = r->off_wq; r->wq_refill[slot] = 1; }
            continue;
        }
        r->wq_at[slot] = r->off_wq + at;
        at += round64(weight_count(c) * sizeof(float));
    }
    return at;
}

/* w[i] * scale[i % cout] in float32, the one rounding DequantizeLinear
 * does, for every layout the engine stores (the output channel is the
 * fastest index: ops/ops.h), so the float kernels see exactly the QDQ
 * graph's weights. */
void plan_dequantise_weights(const effad_conv *c, float *dst)
{
    const int8_t *q = (const int8_t *)c->w.data;
    const float *scale = (const float *)c->w.scale;
    const size_t n = weight_count(c), cout = (size_t)c->cout;
    for (size_t i = 0; i < n; i += cout)
        for (size_t o = 0; o < cout; o++) dst[i + o] = (float)q[i + o] * scale[o];
}

static void wq_dequantise(const effad_runner *r, int slot)
{
    plan_dequantise_weights(plan_conv_at(r->m, slot), (float *)(void *)(r->arena + r->wq_at[slot]));
}

/* The copies effad_runner_init writes once. */
static void wq_fill(const effad_runner *r)
{
    for (int slot = 0; slot < 2 + 3 * r->m->n_blocks; slot++)
        if (r->wq_at[slot] && !r->wq_refill[slot]) wq_dequantise(r, slot);
}

static effad_status plan(effad_runner *r, const effad_model *m, const ops_kernels *k, const effad_plan_opts *o,
                         const plan_fuse_rule *rule, effad_error *e)
{
    effad_status s;
    memset(r, 0, sizeof *r);
    if (!m) return effad_fail(e, EFFAD_ERR_ARG, "no model");
    if (!k) k = ops_kernels_for(OPS_ISA_SCALAR);
    const effad_plan_opts dflt = { .in_h = 0, .in_w = 0, .n_workers = 1, .map_taps = 0 };
    if (!o) o = &dflt;
    int in_h = o->in_h > 0 ? o->in_h : m->in_h, in_w = o->in_w > 0 ? o->in_w : m->in_w;
    const int n_workers = o->n_workers > 1 ? o->n_workers : 1;
    if (in_h > EFM_MAX_INPUT || in_w > EFM_MAX_INPUT)
        return effad_fail(e, EFFAD_ERR_ARG, "input %dx%d too large (at most %d)", in_h, in_w, EFM_MAX_INPUT);
    if (n_workers > EFFAD_MAX_THREADS)
        return effad_fail(e, EFFAD_ERR_ARG, "%d workers, at most %d", n_workers, EFFAD_MAX_THREADS);
    if (m->n_taps < 32 && (o->map_taps >> m->n_taps))
        return effad_fail(e, EFFAD_ERR_ARG, "maps asked for taps the model does not have (it has %d)", m->n_taps);
    if (!k->f32) return effad_fail(e, EFFAD_ERR_UNSUPPORTED, "the %s kernels have no float32 path", k->name);
    if (m->quantised && !k->q8)
        return effad_fail(e, EFFAD_ERR_UNSUPPORTED, "int8 layers: the %s kernels of this build have no int8 path",
                          k->name);
    if (m->act16 && (!k->q8 || !k->q16))
        return effad_fail(e, EFFAD_ERR_UNSUPPORTED, "16x8 layers: the %s kernels of this build have no int16 path",
                          k->name);
    r->m = m; r->k = k; r->in_h = in_h; r->in_w = in_w; r->n_workers = n_workers; r->map_taps = o->map_taps; r->flags = o->flags;
    r->gemm_cols = gemm_cols(k, m->quantised);

    if ((s = conv_geom(&m->stem, in_h, in_w, &r->stem_g, "stem", e))) return s;
    int h = r->stem_g.out_h, w = r->stem_g.out_w;
    const int prepacked = (o->flags & EFFAD_PLAN_PREPACKED) != 0;
    r->stem_to = stem_type(m, o->flags);
    /* x0 and x1 as effad_run uses them (forward.c): the stem's output in
     * x0; then every output, and every type conversion (to_type), in the
     * one the current activation is not in. cur: which holds it, cur_t:
     * its type. */
    size_t io[2] = { (size_t)h * w * m->stem.cout * plan_elem_bytes(&r->stem_to), 0 };
    int cur = 0;
    effad_dtype cur_t = r->stem_to.dtype;
#define LANDS(bytes) (io[1 - cur] = max_sz(io[1 - cur], (bytes)), cur = 1 - cur)
    size_t ex = 0, dw = 0, vec = 0, scr = 0, pack = 0, ring = 0, qmul = 0;
    /* a quantising stem computes each band of rows in float in its
     * worker's scratch first (run-f32.c, run_stem) */
    if (r->stem_to.dtype != m->stem.out_q.dtype) scr = (size_t)PLAN_BAND_ROWS * w * m->stem.cout * sizeof(float);
    int tap_h[EFFAD_MAX_BLOCKS + 2], tap_w[EFFAD_MAX_BLOCKS + 2];
    tap_h[0] = h; tap_w[0] = w;
    for (int i = 0; i < m->n_blocks; i++) {
        const effad_block *b = &m->blocks[i];
        effad_geom *g = &r->dw_g[i];
        if ((s = conv_geom(&b->dw, h, w, g, "depthwise", e))) return s;
        size_t in_hw = (size_t)h * w, out_hw = (size_t)g->out_h * g->out_w;
        /* the block's input converted to its type (forward.c, to_type) */
        const effad_qtype *bin = b->expand.w.data ? &b->expand.in_q : &b->dw.in_q;
        if (bin->dtype != cur_t) { LANDS(in_hw * b->in_c * plan_elem_bytes(bin)); cur_t = bin->dtype; }
        if (b->dw.w.dtype == EFFAD_S8 && b->dw.in_q.dtype != EFFAD_F32) qmul = max_sz(qmul, (size_t)(b->mid_c > b->out_c ? b->mid_c : b->out_c));
        if (b->expand.w.data) {
            const size_t px = plan_elem_bytes(&b->expand.out_q);
            const int rows = plan_ring_rows(b->dw.kh, b->dw.dil_h, h);
            const size_t ring_bytes = (size_t)rows * w * b->mid_c * px;
            /* input rows expanded twice, per mille of the map (plan.h) */
            const size_t repeated = ((size_t)(rows - 1) * (size_t)(n_workers - 1) * 1000 + (size_t)h - 1) / (size_t)h;
            r->ring_rows[i] = !(o->flags & EFFAD_PLAN_UNFUSED) &&
                              in_hw * b->mid_c * px >= rule->min_map && ring_bytes <= rule->max_ring &&
                              (size_t)b->in_c * b->mid_c * sizeof(float) <= rule->max_weights &&
                              repeated <= rule->max_repeat ? rows : 0;
            if (r->ring_rows[i]) ring = max_sz(ring, ring_bytes);
            else ex = max_sz(ex, in_hw * b->mid_c * px);
            /* a fused expand fills up to the whole ring in one call */
            gemm_needs(k, &b->expand, r->ring_rows[i] ? (size_t)r->ring_rows[i] * w : in_hw, 0, prepacked, &scr,
                       &pack);
        }
        dw = max_sz(dw, out_hw * b->mid_c * plan_elem_bytes(&b->dw.out_q));
        /* mean, gate, hidden, then one partial sum per band of rows */
        vec = max_sz(vec, (2u * b->mid_c + b->se_c + plan_bands(g->out_h) * b->mid_c) * sizeof(float));
        gemm_needs(k, &b->project, out_hw, b->se_c > 0, prepacked, &scr, &pack);
        h = g->out_h; w = g->out_w;
        LANDS(out_hw * b->out_c * plan_elem_bytes(&b->project.out_q));
        cur_t = b->project.out_q.dtype;
        tap_h[i + 1] = h; tap_w[i + 1] = w;
    }
    if (m->has_head) {
        r->head_g.in_h = r->head_g.out_h = h;
        r->head_g.in_w = r->head_g.out_w = w;
        if (m->head.in_q.dtype != cur_t) LANDS((size_t)h * w * m->head.cin * plan_elem_bytes(&m->head.in_q));
        LANDS((size_t)h * w * m->head.cout * plan_elem_bytes(&m->head.out_q));
        if (m->head.w.dtype == EFFAD_S8 && m->head.in_q.dtype != EFFAD_F32) qmul = max_sz(qmul, (size_t)m->head.cout);
        gemm_needs(k, &m->head, (size_t)h * w, 0, prepacked, &scr, &pack);
    }
    tap_h[m->n_blocks + 1] = h; tap_w[m->n_blocks + 1] = w;
    size_t maps = 0;
    for (int t = 0; t < m->n_taps; t++) {
        r->tap_h[t] = tap_h[m->taps[t].at];
        r->tap_w[t] = tap_w[m->taps[t].at];
        /* pooling a tap: one mean per band of rows (forward.c, run_mean) */
        vec = max_sz(vec, plan_bands(r->tap_h[t]) * (size_t)m->taps[t].channels * sizeof(float));
        if (o->map_taps >> t & 1u) {
            r->off_map[t] = maps;   /* relative until the layout below */
            maps += round64((size_t)r->tap_h[t] * r->tap_w[t] * m->taps[t].channels * sizeof(float));
        }
    }
#undef LANDS
    r->x0_bytes = round64(io[0]); r->x1_bytes = round64(io[1]); r->exp_bytes = round64(ex); r->dw_bytes = round64(dw); r->vec_bytes = round64(vec);
    /* Each worker's scratch and ring are its own, used over and over; with
     * several workers they are spaced PLAN_WORKER_GAP apart (plan.h). */
    const size_t gap = n_workers > 1 ? PLAN_WORKER_GAP : 0;
    r->scratch_bytes = scr ? round64(scr) + gap : 0;
    r->ring_bytes = ring ? round64(ring) + gap : 0;
    r->pack_bytes = round64(pack);
    r->off_x0 = 0;
    r->off_x1 = r->off_x0 + r->x0_bytes;
    r->off_exp = r->off_x1 + r->x1_bytes;
    r->off_dw = r->off_exp + r->exp_bytes;
    r->off_vec = r->off_dw + r->dw_bytes;
    r->off_pack = r->off_vec + r->vec_bytes;
    r->qmul_bytes = 2 * round64(qmul * sizeof(float));   /* two layers at once when fused */
    r->off_qmul = r->off_pack + r->pack_bytes;
    r->off_wq = r->off_qmul + r->qmul_bytes;
    r->wq_bytes = wq_layout(r, m, k, prepacked);
    r->off_scratch = r->off_wq + r->wq_bytes;
    r->off_ring = r->off_scratch + r->scratch_bytes * (size_t)n_workers;
    const size_t off_maps = r->off_ring + r->ring_bytes * (size_t)n_workers;
    for (int t = 0; t < m->n_taps; t++)
        if (o->map_taps >> t & 1u) r->off_map[t] += off_maps;
    r->total_bytes = off_maps + maps;
    return EFFAD_OK;
}

static const plan_fuse_rule fuse_default = PLAN_FUSE_DEFAULT, fuse_wide = PLAN_FUSE_WIDE;

/* The rule for table k and these options when the caller gives none
 * (plan.h). Fusion never changes a result, so the rule may depend on the
 * worker count. */
static const plan_fuse_rule *rule_for(const ops_kernels *k, const effad_plan_opts *o)
{
    const int one_worker = !o || o->n_workers <= 1;
    return k && k->isa == OPS_ISA_AVX512 && one_worker ? &fuse_wide : &fuse_default;
}

effad_status plan_arena_bytes(const effad_model *m, const struct ops_kernels *k, const effad_plan_opts *o,
                              const plan_fuse_rule *rule, size_t *bytes, effad_error *e)
{
    effad_runner r;
    effad_status s = plan(&r, m, k, o, rule ? rule : rule_for(k, o), e);
    if (s) return s;
    if (bytes) *bytes = r.total_bytes;
    return EFFAD_OK;
}

effad_status effad_arena_bytes(const effad_model *m, const struct ops_kernels *k, const effad_plan_opts *o,
                               size_t *bytes, effad_error *e)
{
    return plan_arena_bytes(m, k, o, 0, bytes, e);
}

effad_status effad_runner_init(effad_runner *r, const effad_model *m, const struct ops_kernels *k,
                               const effad_plan_opts *o, void *arena, size_t arena_bytes, effad_error *e)
{
    return plan_runner_init(r, m, k, o, 0, arena, arena_bytes, e);
}

effad_status plan_runner_init(effad_runner *r, const effad_model *m, const struct ops_kernels *k,
                              const effad_plan_opts *o, const plan_fuse_rule *rule,
                              void *arena, size_t arena_bytes, effad_error *e)
{
    if (!r) return effad_fail(e, EFFAD_ERR_ARG, "no runner");
    effad_status s = plan(r, m, k, o, rule ? rule : rule_for(k, o), e);
    if (s) return s;
    if (!arena) return EFFAD_OK;
    if ((uintptr_t)arena % 64u) return effad_fail(e, EFFAD_ERR_ARG, "arena must be 64-byte aligned");
    if (arena_bytes < r->total_bytes)
        return effad_fail(e, EFFAD_ERR_NOMEM, "arena is %zu bytes, the plan needs %zu", arena_bytes, r->total_bytes);
    r->arena = arena;
    r->arena_bytes = arena_bytes;
    wq_fill(r);
    return EFFAD_OK;
}

void effad_tap_shape(const effad_runner *r, int t, int *c, int *h, int *w)
{
    if (c) *c = r->m->taps[t].channels;
    if (h) *h = r->tap_h[t];
    if (w) *w = r->tap_w[t];
}

const float *effad_tap_map(const effad_runner *r, int t)
{
    if (!r || !r->arena || t < 0 || t >= r->m->n_taps || !(r->map_taps >> t & 1u)) return 0;
    return (const float *)(const void *)(r->arena + r->off_map[t]);
}

effad_geom effad_block_geom(const effad_runner *r, int i)
{
    return r->dw_g[i];
}

effad_geom effad_stem_geom(const effad_runner *r)
{
    return r->stem_g;
}

int effad_block_fused(const effad_runner *r, int i)
{
    return r->ring_rows[i] > 0;
}
