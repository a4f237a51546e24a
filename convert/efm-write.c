/* Writing an .efm: the matched network, weights re-laid for the kernels.
 * Layout and field meanings are in engine/efm-format.h. */
#include <stdlib.h>
#include <string.h>
#include "efm-format.h"
#include "le.h"
#include "efm-write.h"
#include "variants.h"

typedef struct tensor_rec { float *data; uint32_t count; uint32_t dims[4]; int ndim; } tensor_rec;

typedef struct writer {
    tensor_rec *t; int n, cap;
    effad_error *e;
} writer;

static int add_tensor(writer *w, float *data, int ndim, const int *dims)
{
    if (w->n == w->cap) {
        int cap = w->cap ? 2 * w->cap : 64;
        tensor_rec *t = realloc(w->t, sizeof *t * (size_t)cap);
        if (!t) { free(data); return -1; }
        w->t = t; w->cap = cap;
    }
    tensor_rec *r = &w->t[w->n];
    memset(r, 0, sizeof *r);
    r->data = data; r->ndim = ndim; r->count = 1;
    for (int d = 0; d < ndim; d++) { r->dims[d] = (uint32_t)dims[d]; r->count *= (uint32_t)dims[d]; }
    return w->n++;
}

/* se: keep ONNX's [out][in] (the SE mat-vecs read rows); else HWIO. */
static effad_status put_conv(writer *w, uint8_t *p, const layer *c, int se)
{
    memset(p, 0, EFM_CONV_BYTES);
    le_put_u32(p + EFM_C_W, EFM_NONE);
    le_put_u32(p + EFM_C_B, EFM_NONE);
    if (!c) return EFFAD_OK;
    int icg = c->cin / c->groups;
    size_t count = (size_t)c->kh * c->kw * icg * c->cout;
    float *wt = malloc(sizeof(float) * count);
    if (!wt) return effad_fail(w->e, EFFAD_ERR_NOMEM, "out of memory");
    if (se) memcpy(wt, c->w, sizeof(float) * count);
    else
        for (int o = 0; o < c->cout; o++)
            for (int ci = 0; ci < icg; ci++)
                for (int ky = 0; ky < c->kh; ky++)
                    for (int kx = 0; kx < c->kw; kx++)
                        wt[(((size_t)ky * c->kw + kx) * icg + ci) * c->cout + o] =
                            c->w[(((size_t)o * icg + ci) * c->kh + ky) * c->kw + kx];
    int dims[4] = { c->cout, icg, c->kh, c->kw };
    if (!se) { dims[0] = c->kh; dims[1] = c->kw; dims[2] = icg; dims[3] = c->cout; }
    int wi = add_tensor(w, wt, 4, dims);
    int bi = -2;
    if (c->b) {
        float *bt = malloc(sizeof(float) * (size_t)c->cout);
        if (bt) { memcpy(bt, c->b, sizeof(float) * (size_t)c->cout); bi = add_tensor(w, bt, 1, &c->cout); }
        else bi = -1;
    }
    if (wi < 0 || bi == -1) return effad_fail(w->e, EFFAD_ERR_NOMEM, "out of memory");
    le_put_u32(p + EFM_C_KH, (uint32_t)c->kh);             le_put_u32(p + EFM_C_KW, (uint32_t)c->kw);
    le_put_u32(p + EFM_C_STRIDE_H, (uint32_t)c->stride_h); le_put_u32(p + EFM_C_STRIDE_W, (uint32_t)c->stride_w);
    le_put_u32(p + EFM_C_DIL_H, (uint32_t)c->dil_h);       le_put_u32(p + EFM_C_DIL_W, (uint32_t)c->dil_w);
    le_put_u32(p + EFM_C_PAD_T, (uint32_t)c->pads[0]);     le_put_u32(p + EFM_C_PAD_L, (uint32_t)c->pads[1]);
    le_put_u32(p + EFM_C_PAD_B, (uint32_t)c->pads[2]);     le_put_u32(p + EFM_C_PAD_R, (uint32_t)c->pads[3]);
    le_put_u32(p + EFM_C_PAD_MODE, (uint32_t)c->pad_mode);
    le_put_u32(p + EFM_C_GROUPS, (uint32_t)c->groups);
    le_put_u32(p + EFM_C_CIN, (uint32_t)c->cin);           le_put_u32(p + EFM_C_COUT, (uint32_t)c->cout);
    le_put_u32(p + EFM_C_ACT, (uint32_t)c->act.kind);
    le_put_f32(p + EFM_C_ACT_A, c->act.a);                 le_put_f32(p + EFM_C_ACT_B, c->act.b);
    le_put_u32(p + EFM_C_W, (uint32_t)wi);
    le_put_u32(p + EFM_C_B, bi >= 0 ? (uint32_t)bi : EFM_NONE);
    return EFFAD_OK;
}

static void put_name(uint8_t *dst, const char *s, size_t n)
{
    memset(dst, 0, n);
    if (!s) return;
    size_t len = strlen(s);
    if (len >= n) { s += len - (n - 1); len = n - 1; }   /* keep the tail: ONNX names differ at the end */
    memcpy(dst, s, len);
}

effad_status efm_write(const mnet *m, const efm_write_options *opt,
                       uint8_t **out, size_t *out_bytes, effad_error *e)
{
    writer w = { 0, 0, 0, e };
    effad_status s = EFFAD_OK;
    uint8_t hdr[EFM_HEADER_BYTES];
    memset(hdr, 0, sizeof hdr);
    size_t blocks_bytes = (size_t)m->n_blocks * EFM_BLOCK_BYTES;
    uint8_t *blocks = calloc(blocks_bytes ? blocks_bytes : 1, 1);
    uint8_t *buf = 0;
    if (!blocks) return effad_fail(e, EFFAD_ERR_NOMEM, "out of memory");

    if ((s = put_conv(&w, hdr + EFM_H_STEM, m->stem, 0))) goto done;
    if ((s = put_conv(&w, hdr + EFM_H_HEAD, m->head, 0))) goto done;
    int has_se = 0;
    for (int i = 0; i < m->n_blocks; i++) {
        const mblock *b = &m->blocks[i];
        uint8_t *p = blocks + (size_t)i * EFM_BLOCK_BYTES;
        le_put_u32(p + EFM_B_STAGE, (uint32_t)b->stage); le_put_u32(p + EFM_B_SKIP, (uint32_t)b->skip);
        le_put_u32(p + EFM_B_IN_C, (uint32_t)b->in_c);   le_put_u32(p + EFM_B_MID_C, (uint32_t)b->mid_c);
        le_put_u32(p + EFM_B_OUT_C, (uint32_t)b->out_c); le_put_u32(p + EFM_B_SE_C, (uint32_t)b->se_c);
        has_se |= b->se_c > 0;
        if ((s = put_conv(&w, p + EFM_B_EXPAND, b->expand, 0)) || (s = put_conv(&w, p + EFM_B_DW, b->dw, 0)) ||
            (s = put_conv(&w, p + EFM_B_SE_REDUCE, b->se_reduce, 1)) || (s = put_conv(&w, p + EFM_B_SE_EXPAND, b->se_expand, 1)) ||
            (s = put_conv(&w, p + EFM_B_PROJECT, b->project, 0)))
            goto done;
    }

    size_t blocks_off = EFM_HEADER_BYTES;
    size_t tensors_off = blocks_off + blocks_bytes;
    size_t taps_off = tensors_off + (size_t)w.n * EFM_TENSOR_BYTES;
    size_t data_off = (taps_off + (size_t)m->n_taps * EFM_TAP_BYTES + EFM_ALIGN - 1) & ~(size_t)(EFM_ALIGN - 1);
    size_t total = data_off;
    for (int i = 0; i < w.n; i++) total += ((size_t)w.t[i].count * 4u + EFM_ALIGN - 1) & ~(size_t)(EFM_ALIGN - 1);
    buf = calloc(total, 1);
    if (!buf) { s = effad_fail(e, EFFAD_ERR_NOMEM, "out of memory for a %zu-byte model", total); goto done; }

    memcpy(buf + blocks_off, blocks, blocks_bytes);
    size_t at = data_off;
    for (int i = 0; i < w.n; i++) {
        uint8_t *t = buf + tensors_off + (size_t)i * EFM_TENSOR_BYTES;
        le_put_u32(t + EFM_T_DTYPE, EFM_F32);
        le_put_u32(t + EFM_T_NDIM, (uint32_t)w.t[i].ndim);
        for (int d = 0; d < 4; d++) le_put_u32(t + EFM_T_DIMS + 4 * d, d < w.t[i].ndim ? w.t[i].dims[d] : 0);
        le_put_u64(t + EFM_T_OFFSET, at);
        le_put_u64(t + EFM_T_BYTES, (uint64_t)w.t[i].count * 4u);
        le_put_u32(t + EFM_T_QSCALE, EFM_NONE);
        le_put_u32(t + EFM_T_QZERO, EFM_NONE);
        for (uint32_t k = 0; k < w.t[i].count; k++) le_put_f32(buf + at + 4u * k, w.t[i].data[k]);
        at += ((size_t)w.t[i].count * 4u + EFM_ALIGN - 1) & ~(size_t)(EFM_ALIGN - 1);
    }
    for (int t = 0; t < m->n_taps; t++) {
        uint8_t *p = buf + taps_off + (size_t)t * EFM_TAP_BYTES;
        le_put_u32(p + EFM_P_AT, (uint32_t)m->taps[t].at);
        le_put_u32(p + EFM_P_POOLED, (uint32_t)m->taps[t].pooled);
        le_put_u32(p + EFM_P_CHANNELS, (uint32_t)m->taps[t].channels);
        put_name(p + EFM_P_NAME, m->taps[t].name, EFM_NAME_BYTES);
        put_name(p + EFM_P_NODE, m->taps[t].node, EFM_NAME_BYTES);
    }

    const effad_variant *v = variant_identify(m->n_blocks, m->stem->cout, m->head ? m->head->cout : 0, has_se);
    memcpy(hdr + EFM_H_MAGIC, EFM_MAGIC, 8);
    le_put_u32(hdr + EFM_H_VERSION, EFM_VERSION);
    le_put_u32(hdr + EFM_H_HEADER_BYTES, EFM_HEADER_BYTES);
    le_put_u64(hdr + EFM_H_FILE_BYTES, total);
    le_put_u32(hdr + EFM_H_FAMILY, EFM_FAMILY_EFFICIENTNET);
    le_put_u32(hdr + EFM_H_FLAGS, m->head ? 1u : 0u);
    put_name(hdr + EFM_H_VARIANT, v ? v->name : "custom", 16);
    le_put_u32(hdr + EFM_H_IN_C, 3);
    le_put_u32(hdr + EFM_H_IN_C + 4, (uint32_t)m->in_h);
    le_put_u32(hdr + EFM_H_IN_C + 8, (uint32_t)m->in_w);
    le_put_u32(hdr + EFM_H_RESIZE, EFM_RESIZE_UNSPECIFIED);
    for (int i = 0; i < 3; i++) {
        le_put_f32(hdr + EFM_H_MEAN + 4 * i, opt->mean[i]);
        le_put_f32(hdr + EFM_H_STD + 4 * i, opt->std[i]);
    }
    le_put_u32(hdr + EFM_H_N_BLOCKS, (uint32_t)m->n_blocks);
    le_put_u32(hdr + EFM_H_N_BLOCKS + 4, (uint32_t)m->n_stages);
    le_put_u32(hdr + EFM_H_N_BLOCKS + 8, (uint32_t)w.n);
    le_put_u32(hdr + EFM_H_N_BLOCKS + 12, (uint32_t)m->n_taps);
    le_put_u64(hdr + EFM_H_BLOCKS_OFF, blocks_off);
    le_put_u64(hdr + EFM_H_BLOCKS_OFF + 8, tensors_off);
    le_put_u64(hdr + EFM_H_BLOCKS_OFF + 16, taps_off);
    le_put_u64(hdr + EFM_H_BLOCKS_OFF + 24, data_off);
    put_name(hdr + EFM_H_SOURCE, opt->source, EFM_NAME_BYTES);
    put_name(hdr + EFM_H_TAP_RULE, m->tap_rule, 16);
    le_put_u64(hdr + EFM_H_PAYLOAD_HASH, effad_hash64(buf + EFM_HEADER_BYTES, total - EFM_HEADER_BYTES, 0));
    le_put_u64(hdr + EFM_H_HEADER_HASH, effad_hash64(hdr, EFM_HEADER_BYTES, 0));
    memcpy(buf, hdr, EFM_HEADER_BYTES);
    *out = buf; *out_bytes = total;
    buf = 0;
done:
    for (int i = 0; i < w.n; i++) free(w.t[i].data);
    free(w.t); free(blocks); free(buf);
    return s;
}
