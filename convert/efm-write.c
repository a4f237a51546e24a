/* Writing an .efm: the matched network, weights re-laid for the kernels.
 * Layout and field meanings are in engine/efm-format.h. */
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include "efm-codec.h"
#include "le.h"
#include "efm-write.h"
#include "variants.h"
#include "quant.h"

/* A tensor to write: float32 (data floats) or int8 (data bytes) with the
 * index of its float32 per-channel scale tensor. */
typedef struct tensor_rec { void *data; uint32_t dtype, count; uint32_t dims[4]; int ndim; int qscale; } tensor_rec;

typedef struct writer {
    tensor_rec *t; int n, cap;
    int weight_bits;            /* the model's (convert_quant) */
    int unit_bits;              /* the unit being written: quant_unit_weight_bits */
    const quant_codes *codes;   /* int8 weights rounded ahead (GPTQ), or NULL: to nearest */
    effad_error *e;
} writer;

/* Takes data (freed on failure); returns the tensor index or -1. */
static int add_tensor(writer *w, void *data, uint32_t dtype, int ndim, const int *dims)
{
    if (!data) return -1;
    if (w->n == w->cap) {
        int cap = w->cap ? 2 * w->cap : 64;
        tensor_rec *t = realloc(w->t, sizeof *t * (size_t)cap);
        if (!t) { free(data); return -1; }
        w->t = t; w->cap = cap;
    }
    tensor_rec *r = &w->t[w->n];
    memset(r, 0, sizeof *r);
    r->data = data; r->dtype = dtype; r->ndim = ndim; r->count = 1; r->qscale = -1;
    for (int d = 0; d < ndim; d++) { r->dims[d] = (uint32_t)dims[d]; r->count *= (uint32_t)dims[d]; }
    return w->n++;
}

static size_t tensor_bytes(const tensor_rec *t) { return (size_t)t->count * efm_dtype_bytes(t->dtype); }
static size_t aligned(size_t n) { return (n + EFM_ALIGN - 1) & ~(size_t)(EFM_ALIGN - 1); }

static void put_qtype(const effad_qtype *q, uint32_t *dtype, float *scale, int32_t *zero)
{
    *dtype = (uint32_t)q->dtype; *scale = q->scale; *zero = q->zero_point;
}

/* The weights, re-laid to HWIO (or kept [out][in] for squeeze-excite),
 * as float32 or as int8 with per-output-channel scales (slot: the layer's
 * in quant_codes, or -1). Returns the tensor index or -1 (out of memory). */
static int put_weights(writer *w, const layer *c, int se, int int8, int slot)
{
    const int icg = c->cin / c->groups, per = icg * c->kh * c->kw;
    const size_t count = (size_t)c->cout * per;
    int dims[4] = { c->cout, icg, c->kh, c->kw };
    if (!se) { dims[0] = c->kh; dims[1] = c->kw; dims[2] = icg; dims[3] = c->cout; }
    /* element (o, ci, ky, kx) of ONNX's OIHW goes to position at(o, ci, ky, kx) */
#define AT(o, ci, ky, kx) (se ? (size_t)(o) * per + (size_t)(ci) : \
                           (((size_t)(ky) * c->kw + (kx)) * icg + (ci)) * c->cout + (o))
    if (!int8) {
        float *wt = malloc(sizeof(float) * count);
        if (!wt) return -1;
        for (int o = 0; o < c->cout; o++)
            for (int ci = 0; ci < icg; ci++)
                for (int ky = 0; ky < c->kh; ky++)
                    for (int kx = 0; kx < c->kw; kx++)
                        wt[AT(o, ci, ky, kx)] = c->w[(((size_t)o * icg + ci) * c->kh + ky) * c->kw + kx];
        return add_tensor(w, wt, EFM_F32, 4, dims);
    }
    int8_t *q = malloc(count), *qt = malloc(count);
    float *sc = malloc(sizeof(float) * (size_t)c->cout);
    if (!q || !qt || !sc) { free(q); free(qt); free(sc); return -1; }
    if (c->wq) {   /* a quantised ONNX's own int8 weights and scales */
        memcpy(q, c->wq, count);
        memcpy(sc, c->wq_scale, sizeof(float) * (size_t)c->cout);
    } else if (w->codes && slot >= 0 && w->codes->q[slot] && w->codes->bits == w->unit_bits) {
        /* rounded once for every write */
        memcpy(q, w->codes->q[slot], count);
        memcpy(sc, w->codes->scale[slot], sizeof(float) * (size_t)c->cout);
    } else quant_weights(c->w, c->cout, per, w->unit_bits, q, sc);   /* rows of OIHW: one per output channel */
    for (int o = 0; o < c->cout; o++)
        for (int ci = 0; ci < icg; ci++)
            for (int ky = 0; ky < c->kh; ky++)
                for (int kx = 0; kx < c->kw; kx++)
                    qt[AT(o, ci, ky, kx)] = q[(((size_t)o * icg + ci) * c->kh + ky) * c->kw + kx];
#undef AT
    free(q);
    int si = add_tensor(w, sc, EFM_F32, 1, &c->cout);
    if (si < 0) { free(qt); return -1; }
    int wi = add_tensor(w, qt, EFM_S8, 4, dims);
    if (wi >= 0) w->t[wi].qscale = si;
    return wi;
}

/* se: keep ONNX's [out][in] (the SE mat-vecs read rows); else HWIO.
 * The geometry is checked against the loader's limits (efm-format.h)
 * here, so the message names the layer rather than a record field. */
/* in_q/out_q: the activation types (NULL: float32); int8_weights: int8
 * weights even with float activations (a weight-only layer, and
 * squeeze-excite of an int8 or weight-only block). */
static effad_status put_conv(writer *w, efm_conv_rec *r, const layer *c, int se, const char *what,
                             const effad_qtype *in_q, const effad_qtype *out_q, int int8_weights, int slot)
{
    efm_conv_none(r);
    if (!c) return EFFAD_OK;
    if (c->kh < 1 || c->kh > EFM_MAX_KERNEL || c->kw < 1 || c->kw > EFM_MAX_KERNEL ||
        c->stride_h < 1 || c->stride_h > EFM_MAX_STRIDE || c->stride_w < 1 || c->stride_w > EFM_MAX_STRIDE ||
        c->dil_h < 1 || c->dil_h > EFM_MAX_STRIDE || c->dil_w < 1 || c->dil_w > EFM_MAX_STRIDE)
        return effad_fail(w->e, EFFAD_ERR_UNSUPPORTED, "%s: kernel %dx%d, stride %dx%d, dilation %dx%d: an .efm holds "
                          "kernels up to %d and strides/dilations up to %d", what, c->kh, c->kw, c->stride_h,
                          c->stride_w, c->dil_h, c->dil_w, EFM_MAX_KERNEL, EFM_MAX_STRIDE);
    for (int i = 0; i < 4; i++)
        if (c->pads[i] < 0 || c->pads[i] > EFM_MAX_PAD)
            return effad_fail(w->e, EFFAD_ERR_UNSUPPORTED, "%s: padding %d outside 0..%d", what, c->pads[i], EFM_MAX_PAD);
    if (c->cin < 1 || c->cin > EFM_MAX_CHANNELS || c->cout < 1 || c->cout > EFM_MAX_CHANNELS ||
        c->groups < 1 || c->cin % c->groups || c->cout % c->groups)
        return effad_fail(w->e, EFFAD_ERR_UNSUPPORTED, "%s: %d -> %d channels in %d groups (an .efm holds 1..%d channels)",
                          what, c->cin, c->cout, c->groups, EFM_MAX_CHANNELS);
    const int int8 = int8_weights || (in_q && in_q->dtype != EFFAD_F32);
    int wi = put_weights(w, c, se, int8, slot);
    int bi = -2;
    if (wi >= 0 && c->b) {
        float *bt = malloc(sizeof(float) * (size_t)c->cout);
        if (bt) memcpy(bt, c->b, sizeof(float) * (size_t)c->cout);
        bi = add_tensor(w, bt, EFM_F32, 1, &c->cout);
    }
    if (wi < 0 || bi == -1) return effad_fail(w->e, EFFAD_ERR_NOMEM, "out of memory");
    r->kh = (uint32_t)c->kh;             r->kw = (uint32_t)c->kw;
    r->stride_h = (uint32_t)c->stride_h; r->stride_w = (uint32_t)c->stride_w;
    r->dil_h = (uint32_t)c->dil_h;       r->dil_w = (uint32_t)c->dil_w;
    r->pad_t = (uint32_t)c->pads[0];     r->pad_l = (uint32_t)c->pads[1];
    r->pad_b = (uint32_t)c->pads[2];     r->pad_r = (uint32_t)c->pads[3];
    r->pad_mode = (uint32_t)c->pad_mode;
    r->groups = (uint32_t)c->groups;
    r->cin = (uint32_t)c->cin;           r->cout = (uint32_t)c->cout;
    r->act = (uint32_t)c->act.kind;
    r->act_a = c->act.a;                 r->act_b = c->act.b;
    r->w = (uint32_t)wi;
    r->b = bi >= 0 ? (uint32_t)bi : EFM_NONE;
    if (in_q) put_qtype(in_q, &r->in_dtype, &r->in_scale, &r->in_zero);
    if (out_q) put_qtype(out_q, &r->out_dtype, &r->out_scale, &r->out_zero);
    return EFFAD_OK;
}

static void put_name(char *dst, const char *s, size_t n)
{
    memset(dst, 0, n);
    if (!s) return;
    size_t len = strlen(s);
    if (len >= n) { s += len - (n - 1); len = n - 1; }   /* keep the tail: ONNX names differ at the end */
    memcpy(dst, s, len);
}

/* The written bytes must load: the loader is the one judge of a valid
 * file, so a model the converter writes but the engine refuses is a
 * converter error, reported with the loader's reason. */
static effad_status self_check(const uint8_t *buf, size_t n, effad_error *e)
{
    static effad_model m;   /* large; the converter is not reentrant-critical */
    effad_status s;
    if (host_is_little_endian()) {
        s = effad_model_load(&m, buf, n, e);
    } else {   /* the writable load swaps in place: check a copy */
        uint8_t *copy = malloc(n);
        if (!copy) return effad_fail(e, EFFAD_ERR_NOMEM, "out of memory");
        memcpy(copy, buf, n);
        s = effad_model_load_writable(&m, copy, n, e);
        free(copy);
    }
    if (s) effad_error_prefix(e, "the converted model does not pass the loader's checks");
    return s;
}

effad_status efm_write(const mnet *m, const efm_write_options *opt,
                       uint8_t **out, size_t *out_bytes, effad_error *e)
{
    const int gptq = opt->quant && opt->quant->weight_round == QUANT_ROUND_GPTQ;
    writer w = { 0, 0, 0, opt->quant ? opt->quant->weight_bits : 8, 8, gptq ? opt->codes : 0, e };
    effad_status s = EFFAD_OK;
    efm_header h;
    memset(&h, 0, sizeof h);
    uint8_t *buf = 0;
    efm_block_rec *blocks = 0;
    if (m->n_blocks > EFM_MAX_BLOCKS || m->n_taps > EFM_MAX_TAPS || m->n_stages > m->n_blocks)
        return effad_fail(e, EFFAD_ERR_UNSUPPORTED, "%d blocks in %d stages and %d levels: an .efm holds up to %d blocks "
                          "and %d levels", m->n_blocks, m->n_stages, m->n_taps, EFM_MAX_BLOCKS, EFM_MAX_TAPS);
    if (m->in_h < 1 || m->in_h > EFM_MAX_INPUT || m->in_w < 1 || m->in_w > EFM_MAX_INPUT)
        return effad_fail(e, EFFAD_ERR_UNSUPPORTED, "input %dx%d outside 1..%d", m->in_h, m->in_w, EFM_MAX_INPUT);
    blocks = calloc((size_t)m->n_blocks + 1, sizeof *blocks);
    if (!blocks) return effad_fail(e, EFFAD_ERR_NOMEM, "out of memory");

    if (w.weight_bits < 2 || w.weight_bits > 8) {
        s = effad_fail(e, EFFAD_ERR_ARG, "int8 weights of %d bits (2..8)", w.weight_bits);
        goto done;
    }
    if (gptq && (!w.codes || w.codes->bits != w.weight_bits)) {
        s = w.codes ? effad_fail(e, EFFAD_ERR_ARG, "GPTQ weights were rounded to %d bits, not %d", w.codes->bits,
                                 w.weight_bits)
                    : effad_fail(e, EFFAD_ERR_ARG, "GPTQ rounding asked for, but no calibration rounded the weights");
        goto done;
    }
    effad_qtype head_in, head_out;
    int head_int8, any_int8 = 0;
    quant_head(opt->quant, m->n_blocks, &head_in, &head_out, &head_int8);
    w.unit_bits = quant_unit_weight_bits(opt->quant, opt->quant ? opt->quant->head_int8 : QUANT_UNIT_FLOAT);
    if ((s = put_conv(&w, &h.stem, m->stem, 0, "stem", 0, 0, 0, -1)) ||
        (s = put_conv(&w, &h.head, m->head, 0, "head", &head_in, &head_out, head_int8, 3 * m->n_blocks))) goto done;
    any_int8 |= head_int8 && m->head;
    int has_se = 0;
    for (int i = 0; i < m->n_blocks; i++) {
        const mblock *b = &m->blocks[i];
        efm_block_rec *r = &blocks[i];
        r->stage = (uint32_t)b->stage; r->skip = (uint32_t)b->skip;
        r->in_c = (uint32_t)b->in_c;   r->mid_c = (uint32_t)b->mid_c;
        r->out_c = (uint32_t)b->out_c; r->se_c = (uint32_t)b->se_c;
        has_se |= b->se_c > 0;
        char what[48];
        snprintf(what, sizeof what, "block %d", i);
        quant_block_types t;
        quant_block(opt->quant, i, b->expand != 0, b->se_c > 0, &t);
        w.unit_bits = t.weight_bits;
        const int q8 = t.int8_weights;
        any_int8 |= q8;
        if ((s = put_conv(&w, &r->conv[EFM_BC_EXPAND], b->expand, 0, what, &t.in, &t.expand_out, q8,
                          3 * i + QUANT_SLOT_EXPAND)) ||
            (s = put_conv(&w, &r->conv[EFM_BC_DW], b->dw, 0, what, &t.expand_out, &t.dw_out, q8, 3 * i + QUANT_SLOT_DW)) ||
            (s = put_conv(&w, &r->conv[EFM_BC_SE_REDUCE], b->se_reduce, 1, what, 0, 0, q8, -1)) ||
            (s = put_conv(&w, &r->conv[EFM_BC_SE_EXPAND], b->se_expand, 1, what, 0, 0, q8, -1)) ||
            (s = put_conv(&w, &r->conv[EFM_BC_PROJECT], b->project, 0, what, &t.project_in, &t.out, q8,
                          3 * i + QUANT_SLOT_PROJECT)))
            goto done;
    }
    if ((uint32_t)w.n > EFM_MAX_TENSORS) {
        s = effad_fail(e, EFFAD_ERR_UNSUPPORTED, "%d tensors, an .efm holds up to %u", w.n, EFM_MAX_TENSORS);
        goto done;
    }

    const size_t block_bytes = efm_block_bytes(EFM_VERSION);
    size_t blocks_off = EFM_HEADER_BYTES;
    size_t tensors_off = blocks_off + (size_t)m->n_blocks * block_bytes;
    size_t taps_off = tensors_off + (size_t)w.n * EFM_TENSOR_BYTES;
    size_t data_off = (taps_off + (size_t)m->n_taps * EFM_TAP_BYTES + EFM_ALIGN - 1) & ~(size_t)(EFM_ALIGN - 1);
    size_t total = data_off;
    for (int i = 0; i < w.n; i++) total += aligned(tensor_bytes(&w.t[i]));
    buf = calloc(total, 1);
    if (!buf) { s = effad_fail(e, EFFAD_ERR_NOMEM, "out of memory for a %zu-byte model", total); goto done; }

    for (int i = 0; i < m->n_blocks; i++) efm_block_encode(&blocks[i], buf + blocks_off + (size_t)i * block_bytes);
    size_t at = data_off;
    for (int i = 0; i < w.n; i++) {
        efm_tensor_rec t;
        memset(&t, 0, sizeof t);
        t.dtype = w.t[i].dtype;
        t.ndim = (uint32_t)w.t[i].ndim;
        for (int d = 0; d < w.t[i].ndim; d++) t.dims[d] = w.t[i].dims[d];
        t.offset = at;
        t.bytes = tensor_bytes(&w.t[i]);
        t.qscale = w.t[i].qscale >= 0 ? (uint32_t)w.t[i].qscale : EFM_NONE;
        efm_tensor_encode(&t, buf + tensors_off + (size_t)i * EFM_TENSOR_BYTES);
        if (w.t[i].dtype == EFM_F32)
            for (uint32_t k = 0; k < w.t[i].count; k++) le_put_f32(buf + at + 4u * k, ((const float *)w.t[i].data)[k]);
        else
            memcpy(buf + at, w.t[i].data, t.bytes);
        at += aligned(t.bytes);
    }
    for (int t = 0; t < m->n_taps; t++) {
        efm_tap_rec r;
        memset(&r, 0, sizeof r);
        r.at = (uint32_t)m->taps[t].at;
        r.pooled = (uint32_t)m->taps[t].pooled;
        r.channels = (uint32_t)m->taps[t].channels;
        put_name(r.name, m->taps[t].name, EFM_NAME_BYTES);
        put_name(r.node, m->taps[t].node, EFM_NAME_BYTES);
        efm_tap_encode(&r, buf + taps_off + (size_t)t * EFM_TAP_BYTES);
    }

    const effad_variant *v = variant_identify(m->n_blocks, m->stem->cout, m->head ? m->head->cout : 0, has_se);
    memcpy(h.magic, EFM_MAGIC, 8);
    h.version = EFM_VERSION;
    h.header_bytes = EFM_HEADER_BYTES;
    h.family = EFM_FAMILY_EFFICIENTNET;
    h.flags = (m->head ? EFM_FLAG_HEAD : 0u) | (any_int8 ? EFM_FLAG_QUANTISED : 0u);
    put_name(h.variant, v ? v->name : "custom", sizeof h.variant);
    h.in_c = 3;
    h.in_h = (uint32_t)m->in_h;
    h.in_w = (uint32_t)m->in_w;
    h.resize = EFM_RESIZE_UNSPECIFIED;
    for (int i = 0; i < 3; i++) { h.mean[i] = opt->mean[i]; h.std[i] = opt->std[i]; }
    h.n_blocks = (uint32_t)m->n_blocks;
    h.n_stages = (uint32_t)m->n_stages;
    h.n_tensors = (uint32_t)w.n;
    h.n_taps = (uint32_t)m->n_taps;
    h.blocks_off = blocks_off; h.tensors_off = tensors_off; h.taps_off = taps_off; h.data_off = data_off;
    put_name(h.source, opt->source, EFM_NAME_BYTES);
    put_name(h.tap_rule, m->tap_rule, EFM_TAP_RULE_BYTES);
    efm_header_encode(&h, buf);
    efm_seal(buf, total);
    if ((s = self_check(buf, total, e))) goto done;
    *out = buf; *out_bytes = total;
    buf = 0;
done:
    for (int i = 0; i < w.n; i++) free(w.t[i].data);
    free(w.t); free(blocks); free(buf);
    return s;
}
