/*
 * packed.c -- the 1x1 layers' weights laid out once for a kernel table.
 *
 * A table's GEMM streams B in its own panel layout (ops/dispatch.h). Packing
 * it on every pass read and rewrote every 1x1 weight of the model each
 * time -- 11 % of a B0 pass on AVX2 (perf, Zen 5), the same traffic as
 * ONNX Runtime's one-time pre-packing saves. So the weights are packed once
 * per (model, table) into the caller's buffer, shared read-only by every
 * runner of that pair (the batch workers' too), and the source tensors can
 * be let go (release callback) so that the model's pages do not stay
 * resident beside their packed copy.
 *
 * A float layer fed by a squeeze-excite gate folds the gate into B's rows
 * (b'[k][j] = gate[k] * b[k][j]) on every pass; it now reads the packed
 * copy for it (run-f32.c): the same single multiply per element as packing
 * from the source, so the bits do not change.
 *
 * A weight-only layer (int8 weights, float activations: run.h) is packed
 * as float32 panels from its weights dequantised into a scratch at the end
 * of the buffer -- the same q * scale the runner's own copies hold -- so
 * it runs at float speed from a quarter of the file bytes.
 */
#include <string.h>
#include "run.h"

#define PACKED_ALIGN 64u

static size_t round_up(size_t x) { return (x + PACKED_ALIGN - 1) / PACKED_ALIGN * PACKED_ALIGN; }

/* The i-th 1x1 conv of m in effad_packed's order, or NULL when absent. */
static const effad_conv *conv_at(const effad_model *m, int i)
{
    const effad_conv *c = i == 2 * m->n_blocks ? (m->has_head ? &m->head : 0)
                          : i % 2 ? &m->blocks[i / 2].project : &m->blocks[i / 2].expand;
    return c && c->w.data && c->kh == 1 && c->kw == 1 && c->groups == 1 ? c : 0;
}

/* Bytes of conv c's packed weights for table k (0: k packs nothing). */
static size_t layer_bytes(const effad_conv *c, const ops_kernels *k)
{
    const size_t n = (size_t)c->cout, kk = (size_t)c->cin;
    if (run_is_q16(c)) return k->q16 && k->q16->gemm_pack ? round_up(k->q16->gemm_pack_buffer_size(n, kk)) : 0;
    if (run_is_q8(c)) return k->q8 && k->q8->gemm_pack ? round_up(k->q8->gemm_pack_buffer_size(n, kk)) : 0;
    return k->f32 && k->f32->gemm_pack ? round_up(k->f32->gemm_pack_buffer_size(n, kk)) : 0;
}

static int n_layers(const effad_model *m) { return 2 * m->n_blocks + 1; }

/* Floats of the largest weight-only 1x1 layer that table k packs: the
 * scratch its weights are dequantised into before packing (0: none). */
static size_t wq_scratch_floats(const effad_model *m, const ops_kernels *k)
{
    size_t most = 0;
    for (int i = 0; i < n_layers(m); i++) {
        const effad_conv *c = conv_at(m, i);
        if (c && run_is_wq(c) && layer_bytes(c, k) && (size_t)c->cin * c->cout > most) most = (size_t)c->cin * c->cout;
    }
    return most;
}

size_t effad_packed_bytes(const effad_model *m, const struct ops_kernels *k)
{
    size_t total = 0;
    if (!m || !k) return 0;
    for (int i = 0; i < n_layers(m); i++) {
        const effad_conv *c = conv_at(m, i);
        if (c) total += layer_bytes(c, k);
    }
    /* then the dequantisation scratch of weight-only layers */
    return total + round_up(wq_scratch_floats(m, k) * sizeof(float));
}

static ops_status pack_one(const effad_conv *c, const ops_kernels *k, void *dst, float *wq_scratch)
{
    if (run_is_q16(c)) {
        ops_q16_gemm_args a;
        memset(&a, 0, sizeof a);
        a.n = (size_t)c->cout; a.k = (size_t)c->cin;
        a.b = (const int8_t *)c->w.data; a.b_stride = (size_t)c->cout;
        return k->q16->gemm_pack(&a, dst);
    }
    if (run_is_q8(c)) {
        ops_q8_gemm_args a;
        memset(&a, 0, sizeof a);
        a.n = (size_t)c->cout; a.k = (size_t)c->cin;
        a.b = (const int8_t *)c->w.data; a.b_stride = (size_t)c->cout;
        /* the x86 and NEON dot-product tables store the zero point's
         * column term (a_zero * colsum(w)) with each panel, so the packed
         * copy is only right for the zero point the layer reads with: its
         * input type's (run-q8.c, gemm_of) */
        a.a_zero = c->in_q.zero_point;
        return k->q8->gemm_pack(&a, dst);
    }
    ops_gemm_args a;
    memset(&a, 0, sizeof a);
    a.n = (size_t)c->cout; a.k = (size_t)c->cin;
    a.b = (const float *)c->w.data; a.b_stride = (size_t)c->cout;
    if (run_is_wq(c)) {
        plan_dequantise_weights(c, wq_scratch);   /* as the runner's copies are made */
        a.b = wq_scratch;
    }
    return k->f32->gemm_pack(&a, (float *)dst);
}

effad_status effad_pack(effad_packed *p, const effad_model *m, const struct ops_kernels *k, void *buf, size_t bytes,
                        effad_release_fn release, void *release_ctx, effad_error *e)
{
    if (!p || !m || !k) return effad_fail(e, EFFAD_ERR_ARG, "effad_pack: no model or kernels");
    memset(p, 0, sizeof *p);
    const size_t need = effad_packed_bytes(m, k);
    if (need && (!buf || ((uintptr_t)buf & (PACKED_ALIGN - 1))))
        return effad_fail(e, EFFAD_ERR_ARG, "effad_pack: the buffer must be %u-byte aligned", PACKED_ALIGN);
    if (bytes < need) return effad_fail(e, EFFAD_ERR_NOMEM, "effad_pack: %zu bytes given, %zu needed", bytes, need);
    p->m = m;
    p->k = k;
    uint8_t *at = buf;
    float *wq_scratch = (float *)(void *)((uint8_t *)buf + need - round_up(wq_scratch_floats(m, k) * sizeof(float)));
    for (int i = 0; i < n_layers(m); i++) {
        const effad_conv *c = conv_at(m, i);
        const size_t lb = c ? layer_bytes(c, k) : 0;
        if (!lb) continue;
        if (pack_one(c, k, at, wq_scratch))
            return effad_fail(e, EFFAD_ERR_ARG, "effad_pack: the %s kernels refused layer %d", k->name, i);
        p->w[i] = at;
        at += lb;
        if (release)
            release(release_ctx, c->w.data, (size_t)c->cin * c->cout * (c->w.dtype == EFFAD_S8 ? 1u : sizeof(float)));
    }
    return EFFAD_OK;
}

int run_packed_fits(const effad_runner *r)
{
    const effad_packed *p = r->packed;
    /* the same model bytes (a batch worker's model is a copy of the
     * struct, decoded from the same mapping) and the same table */
    return p && p->k == r->k && p->m->bytes == r->m->bytes && p->m->n_bytes == r->m->n_bytes;
}

const void *run_packed(const effad_runner *r, const effad_conv *c)
{
    const effad_packed *p = r->packed;
    if (!run_packed_fits(r)) return 0;
    const effad_model *m = r->m;
    if (c == &m->head) return p->w[2 * m->n_blocks];
    for (int i = 0; i < m->n_blocks; i++) {
        if (c == &m->blocks[i].expand) return p->w[2 * i];
        if (c == &m->blocks[i].project) return p->w[2 * i + 1];
    }
    return 0;
}
