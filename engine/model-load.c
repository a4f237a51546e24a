/* Loading an .efm: validate everything, then hand out views into the bytes.
 *
 * The file is untrusted input. The records are decoded by the shared codec
 * (efm-codec.c) and every check below exists so that no later access can
 * fall outside the buffer or disagree with a shape; a failure names the
 * field and the values, which is what a user needs to tell a truncated
 * download from a model made by another version. The limits are the
 * EFM_MAX_* of efm-format.h, which the converter checks before writing. */
#include <math.h>
#include "effad.h"
#include "efm-codec.h"
#include "le.h"
#include "q8.h"

_Static_assert(EFM_MAX_BLOCKS == EFFAD_MAX_BLOCKS && EFM_MAX_TAPS == EFFAD_MAX_TAPS, "format and API limits agree");
_Static_assert((int)EFFAD_PAD_EXPLICIT == (int)EFM_PAD_EXPLICIT && (int)EFFAD_PAD_SYMMETRIC == (int)EFM_PAD_SYMMETRIC &&
               (int)EFFAD_PAD_TF_SAME == (int)EFM_PAD_TF_SAME, "padding mode values agree");
_Static_assert((int)EFFAD_F32 == EFM_F32 && (int)EFFAD_S8 == EFM_S8 && (int)EFFAD_S32 == EFM_S32 &&
               (int)EFFAD_U8 == EFM_U8 && (int)EFFAD_S16 == EFM_S16, "dtype values agree");

typedef struct loader {
    effad_model *m;
    const uint8_t *p;
    size_t n;
    uint32_t version;
    uint64_t tensors_off;
    uint32_t n_tensors;
    effad_error *e;
} loader;

static effad_status bad(loader *L, const char *fmt, const char *what, long long a, long long b)
{
    return effad_fail(L->e, EFFAD_ERR_FORMAT, fmt, what, a, b);
}

/* [off, off+len) inside the file, without overflow. */
static int in_file(const loader *L, uint64_t off, uint64_t len)
{
    return off <= L->n && len <= L->n - off;
}

static void tensor_rec(const loader *L, uint32_t idx, efm_tensor_rec *t)
{
    efm_tensor_decode(L->p + L->tensors_off + (uint64_t)idx * EFM_TENSOR_BYTES, L->version, t);
}

/* Tensor idx as an array of exactly `count` elements of dtype. */
static effad_status tensor_view(loader *L, uint32_t idx, uint32_t dtype, long long count, const char *what,
                                const void **out)
{
    if (idx >= L->n_tensors)
        return bad(L, "%s: tensor index %lld out of range (%lld tensors)", what, idx, L->n_tensors);
    efm_tensor_rec t;
    tensor_rec(L, idx, &t);
    if (t.dtype != dtype)
        return bad(L, "%s: tensor has dtype %lld, expected %lld", what, t.dtype, dtype);
    if (t.bytes != (uint64_t)count * efm_dtype_bytes(dtype))
        return bad(L, "%s: tensor holds %lld elements, the layer needs %lld", what,
                   (long long)(t.bytes / efm_dtype_bytes(dtype)), count);
    *out = L->p + t.offset;
    return EFFAD_OK;
}

/* The weights of a conv: float32, or (version 2) int8 with per-output-
 * channel scales, each finite and positive. */
static effad_status read_weights(loader *L, uint32_t idx, long long count, int cout, const char *what, effad_tensor *w)
{
    if (idx >= L->n_tensors)
        return bad(L, "%s: tensor index %lld out of range (%lld tensors)", what, idx, L->n_tensors);
    efm_tensor_rec t;
    tensor_rec(L, idx, &t);
    w->dtype = (effad_dtype)t.dtype;
    w->scale = 0;
    w->zero_point = 0;
    if (t.dtype == EFM_F32) {
        if (L->version >= 2 && t.qscale != EFM_NONE)
            return bad(L, "%s: float32 weights with a quantisation scale (tensor %lld)", what, t.qscale, 0);
        return tensor_view(L, idx, EFM_F32, count, what, &w->data);
    }
    if (t.dtype != EFM_S8 || L->version < 2)
        return bad(L, "%s: weights of dtype %lld (float32 or int8 expected)", what, t.dtype, 0);
    if (t.qzero != 0) return bad(L, "%s: int8 weights with zero point %lld (symmetric expected)", what, t.qzero, 0);
    effad_status s = tensor_view(L, idx, EFM_S8, count, what, &w->data);
    if (s) return s;
    const void *sc;
    if ((s = tensor_view(L, t.qscale, EFM_F32, cout, "weight scales", &sc))) { effad_error_prefix(L->e, what); return s; }
    w->scale = sc;
    for (int c = 0; c < cout; c++) {
        const float v = le_f32((const uint8_t *)sc + 4 * c);
        if (!(v > 0.0f) || !isfinite(v)) return bad(L, "%s: weight scale of channel %lld is not a positive number", what, c, 0);
    }
    return EFFAD_OK;
}

static effad_status read_qtype(loader *L, uint32_t dtype, float scale, int32_t zero, const char *what,
                               const char *side, effad_qtype *q)
{
    q->dtype = (effad_dtype)dtype;
    q->scale = scale;
    q->zero_point = zero;
    if (dtype == EFM_F32) { q->scale = 0; q->zero_point = 0; return EFFAD_OK; }
    if (dtype != EFM_U8 && dtype != EFM_S16)
        return effad_fail(L->e, EFFAD_ERR_FORMAT, "%s: %s activation of dtype %u (float32, uint8 or int16 expected)", what,
                          side, dtype);
    if (dtype == EFM_S16 && (!(scale > 0.0f) || !isfinite(scale) || zero != 0))
        return effad_fail(L->e, EFFAD_ERR_FORMAT, "%s: %s int16 activation scale %g / zero point %d invalid (zero point "
                          "must be 0)", what, side, (double)scale, (int)zero);
    if (!(scale > 0.0f) || !isfinite(scale) || zero < 0 || zero > 255)
        return effad_fail(L->e, EFFAD_ERR_FORMAT, "%s: %s activation scale %g / zero point %d invalid", what, side,
                          (double)scale, (int)zero);
    return EFFAD_OK;
}

/* se: a squeeze-excite half, float32 activations whatever its weights. */
static effad_status read_conv(loader *L, const efm_conv_rec *c, const char *what, int se, effad_conv *cv)
{
    cv->kh = (int)c->kh;             cv->kw = (int)c->kw;
    cv->stride_h = (int)c->stride_h; cv->stride_w = (int)c->stride_w;
    cv->dil_h = (int)c->dil_h;       cv->dil_w = (int)c->dil_w;
    cv->pad_top = (int)c->pad_t;     cv->pad_left = (int)c->pad_l;
    cv->pad_bottom = (int)c->pad_b;  cv->pad_right = (int)c->pad_r;
    cv->pad_mode = (int)c->pad_mode;
    cv->groups = (int)c->groups;
    cv->cin = (int)c->cin;           cv->cout = (int)c->cout;
    cv->act = (int)c->act;
    cv->act_a = c->act_a;            cv->act_b = c->act_b;
    memset(&cv->w, 0, sizeof cv->w);
    memset(&cv->b, 0, sizeof cv->b);
    memset(&cv->in_q, 0, sizeof cv->in_q);
    memset(&cv->out_q, 0, sizeof cv->out_q);
    cv->in_q.dtype = cv->out_q.dtype = EFFAD_F32;
    if (c->w == EFM_NONE) return EFFAD_OK;

    /* unsigned compares catch negative values read from u32 fields too */
    if (c->kh - 1u >= (unsigned)EFM_MAX_KERNEL || c->kw - 1u >= (unsigned)EFM_MAX_KERNEL)
        return bad(L, "%s: kernel %lldx%lld outside 1..15", what, c->kh, c->kw);
    if (c->stride_h - 1u >= (unsigned)EFM_MAX_STRIDE || c->stride_w - 1u >= (unsigned)EFM_MAX_STRIDE ||
        c->dil_h - 1u >= (unsigned)EFM_MAX_STRIDE || c->dil_w - 1u >= (unsigned)EFM_MAX_STRIDE)
        return bad(L, "%s: stride %lld or dilation %lld outside 1..8", what, c->stride_h, c->dil_h);
    if (c->pad_t > (unsigned)EFM_MAX_PAD || c->pad_l > (unsigned)EFM_MAX_PAD ||
        c->pad_b > (unsigned)EFM_MAX_PAD || c->pad_r > (unsigned)EFM_MAX_PAD)
        return bad(L, "%s: padding %lld/%lld too large", what, c->pad_t, c->pad_b);
    if (c->pad_mode > EFM_PAD_TF_SAME)
        return bad(L, "%s: unknown padding mode %lld", what, c->pad_mode, 0);
    if (c->cin - 1u >= (unsigned)EFM_MAX_CHANNELS || c->cout - 1u >= (unsigned)EFM_MAX_CHANNELS)
        return bad(L, "%s: channels %lld -> %lld out of range", what, c->cin, c->cout);
    if (c->groups < 1 || c->cin % c->groups || c->cout % c->groups)
        return bad(L, "%s: %lld groups do not divide %lld channels", what, c->groups, c->cin);
    if (c->act > EFFAD_ACT_HARDSWISH)
        return bad(L, "%s: unknown activation %lld", what, c->act, 0);

    effad_status s;
    if ((s = read_qtype(L, c->in_dtype, c->in_scale, c->in_zero, what, "input", &cv->in_q)) ||
        (s = read_qtype(L, c->out_dtype, c->out_scale, c->out_zero, what, "output", &cv->out_q)))
        return s;
    long long count = (long long)cv->kh * cv->kw * (cv->cin / cv->groups) * cv->cout;
    if ((s = read_weights(L, c->w, count, cv->cout, what, &cv->w))) return s;
    /* int8 weights with float32 activations are a weight-only layer: the
     * engine dequantises them once and runs the float32 kernels (run.h,
     * run_is_wq); squeeze-excite is always that when its weights are int8 */
    if (se ? cv->in_q.dtype != EFFAD_F32 || cv->out_q.dtype != EFFAD_F32
                    : cv->w.dtype == EFFAD_F32 && cv->in_q.dtype != EFFAD_F32)
        return effad_fail(L->e, EFFAD_ERR_FORMAT, "%s: %s", what, se ? "squeeze-excite activations must be float32"
                          : "float32 weights need a float32 input");
    /* the kernels write their input's type: the output buffer is sized by it */
    if (!se && cv->out_q.dtype != cv->in_q.dtype)
        return effad_fail(L->e, EFFAD_ERR_FORMAT, "%s: input and output activations of different types (%s, %s)", what,
                          effad_dtype_name(cv->in_q.dtype), effad_dtype_name(cv->out_q.dtype));
    L->m->n_params += count;
    L->m->quantised |= cv->w.dtype == EFFAD_S8;
    L->m->act16 |= cv->in_q.dtype == EFFAD_S16;
    if (c->b != EFM_NONE) {
        cv->b.dtype = EFFAD_F32;
        if ((s = tensor_view(L, c->b, EFM_F32, cv->cout, what, &cv->b.data))) return s;
        L->m->n_params += cv->cout;
    }
    return EFFAD_OK;
}

static effad_status check_1x1(loader *L, const effad_conv *c, int cin, int cout, const char *what, int i)
{
    if (c->kh != 1 || c->kw != 1 || c->groups != 1 || c->stride_h != 1 || c->stride_w != 1 ||
        c->pad_top || c->pad_left || c->pad_bottom || c->pad_right)
        return effad_fail(L->e, EFFAD_ERR_FORMAT, "block %d: %s must be a plain 1x1 convolution", i, what);
    if (c->cin != cin || c->cout != cout)
        return effad_fail(L->e, EFFAD_ERR_FORMAT, "block %d: %s is %d -> %d channels, the block needs %d -> %d",
                          i, what, c->cin, c->cout, cin, cout);
    return EFFAD_OK;
}

static int same_qtype(const effad_qtype *a, const effad_qtype *b)
{
    return a->dtype == b->dtype && a->scale == b->scale && a->zero_point == b->zero_point;
}

/* Between blocks (and before the head) the engine converts between any
 * two of float32, uint8 and int16 (uint8 <-> int16 through float, as a
 * QDQ graph's DequantizeLinear -> QuantizeLinear); an activation read as
 * its own type with another scale would need a requantisation the engine
 * does not do. */
static effad_status check_boundary(loader *L, const effad_qtype *have, const effad_qtype *want, const char *what, int i)
{
    if (have->dtype != want->dtype || same_qtype(have, want)) return EFFAD_OK;
    return effad_fail(L->e, EFFAD_ERR_FORMAT, "%s %d reads %s with scale %g, zero %d, but is given scale %g, zero %d",
                      what, i, effad_dtype_name(want->dtype), (double)want->scale, (int)want->zero_point, (double)have->scale, (int)have->zero_point);
}

/* A layer must read the type its producer writes. */
static effad_status check_chain(loader *L, const effad_qtype *have, const effad_conv *c, const char *what, int i)
{
    if (same_qtype(have, &c->in_q)) return EFFAD_OK;
    return effad_fail(L->e, EFFAD_ERR_FORMAT, "block %d: %s reads a %s activation (scale %g, zero %d) but is given %s "
                      "(scale %g, zero %d)", i, what, effad_dtype_name(c->in_q.dtype),
                      (double)c->in_q.scale, (int)c->in_q.zero_point, effad_dtype_name(have->dtype),
                      (double)have->scale, (int)have->zero_point);
}

/* The span of an activation around its zero point: 256 for uint8, 65536
 * for int16, 0 for float32 (no bound). */
static double q_span(const effad_qtype *q)
{
    return q->dtype == EFFAD_U8 ? 256.0 : q->dtype == EFFAD_S16 ? 65536.0 : 0.0;
}

/* c->q_bounded (ops_q8_out.bounded, ops/q8.h) for a layer with int8
 * weights between quantised activations: whether no input can take an
 * output past 2^30 steps before its rounding, res the residual added
 * after it (NULL: none). Every model the converter writes is bounded by
 * orders of magnitude; an odd or hostile one simply keeps the kernels'
 * float clamp. */
static void mark_bounded(effad_conv *c, const effad_qtype *res)
{
    c->q_bounded = 0;
    if (!c->w.data || c->w.dtype != EFFAD_S8 || !c->w.scale || !q_span(&c->in_q) || !q_span(&c->out_q) ||
        (res && !q_span(res)))
        return;
    double m = 0.0, b = 0.0;
    for (int j = 0; j < c->cout; j++) {
        const double mj = fabs((double)c->in_q.scale * c->w.scale[j]);
        m = mj > m ? mj : m;
    }
    if (c->b.data)
        for (int j = 0; j < c->cout; j++) {
            const double bj = fabs((double)((const float *)c->b.data)[j]);
            b = bj > b ? bj : b;
        }
    const ops_act act = { (ops_act_kind)c->act, c->act_a, c->act_b };
    const double taps = (double)c->kh * c->kw * (c->cin / (c->groups > 0 ? c->groups : 1));
    const double t = ops_q8_t_max(taps, q_span(&c->in_q), m, b, act, res ? q_span(res) : 0.0, res ? res->scale : 0.0f);
    c->q_bounded = ops_q8_bounded(t, 1.0f / c->out_q.scale);
}

static const char *const conv_names[EFM_BC_COUNT] = {
    "block expand", "block depthwise", "block se_reduce", "block se_expand", "block project"
};

static effad_status read_block(loader *L, const efm_block_rec *rec, int i, const effad_qtype *x_q, effad_block *blk)
{
    effad_status s;
    blk->stage = (int)rec->stage;
    blk->skip = (int)rec->skip;
    blk->in_c = (int)rec->in_c;
    blk->mid_c = (int)rec->mid_c;
    blk->out_c = (int)rec->out_c;
    blk->se_c = (int)rec->se_c;
    if (rec->in_c - 1u >= (unsigned)EFM_MAX_CHANNELS || rec->mid_c - 1u >= (unsigned)EFM_MAX_CHANNELS ||
        rec->out_c - 1u >= (unsigned)EFM_MAX_CHANNELS || rec->se_c >= (unsigned)EFM_MAX_CHANNELS)
        return effad_fail(L->e, EFFAD_ERR_FORMAT, "block %d: channel counts out of range", i);
    effad_conv *convs[EFM_BC_COUNT] = { &blk->expand, &blk->dw, &blk->se_reduce, &blk->se_expand, &blk->project };
    for (int k = 0; k < EFM_BC_COUNT; k++) {
        const int se = k == EFM_BC_SE_REDUCE || k == EFM_BC_SE_EXPAND;
        if ((s = read_conv(L, &rec->conv[k], conv_names[k], se, convs[k]))) {
            effad_error where;
            effad_fail(&where, s, "block %d", i);
            effad_error_prefix(L->e, where.msg);
            return s;
        }
    }
    if (blk->expand.w.data) {
        if ((s = check_1x1(L, &blk->expand, blk->in_c, blk->mid_c, "expand", i))) return s;
    } else if (blk->mid_c != blk->in_c) {
        return effad_fail(L->e, EFFAD_ERR_FORMAT, "block %d: no expansion but %d != %d channels", i, blk->in_c, blk->mid_c);
    }
    const effad_conv *dw = &blk->dw;
    if (!dw->w.data || dw->groups != blk->mid_c || dw->cin != blk->mid_c || dw->cout != blk->mid_c)
        return effad_fail(L->e, EFFAD_ERR_FORMAT, "block %d: depthwise layer missing or not %d-channel depthwise", i, blk->mid_c);
    /* a block is float32, int8 or weight-only throughout (squeeze-excite
     * aside): one weight type and one activation kind; the engine
     * converts between blocks of different types */
    if ((blk->expand.w.data && (blk->expand.w.dtype != dw->w.dtype ||
                                (blk->expand.in_q.dtype == EFFAD_F32) != (dw->in_q.dtype == EFFAD_F32))) ||
        (blk->project.w.data && (blk->project.w.dtype != dw->w.dtype ||
                                 (blk->project.in_q.dtype == EFFAD_F32) != (dw->in_q.dtype == EFFAD_F32))))
        return effad_fail(L->e, EFFAD_ERR_FORMAT, "block %d mixes float32, int8 and weight-only layers", i);
    if ((s = check_boundary(L, x_q, blk->expand.w.data ? &blk->expand.in_q : &dw->in_q, "block", i))) return s;
    if (blk->expand.w.data && (s = check_chain(L, &blk->expand.out_q, dw, "depthwise", i))) return s;
    if ((blk->se_reduce.w.data != 0) != (blk->se_expand.w.data != 0) || (blk->se_reduce.w.data != 0) != (blk->se_c > 0))
        return effad_fail(L->e, EFFAD_ERR_FORMAT, "block %d: squeeze-excite half present", i);
    if (blk->se_c) {
        if ((s = check_1x1(L, &blk->se_reduce, blk->mid_c, blk->se_c, "se_reduce", i)) ||
            (s = check_1x1(L, &blk->se_expand, blk->se_c, blk->mid_c, "se_expand", i)))
            return s;
        /* the gate is computed in float from the float mean of the
         * depthwise output; its two weight matrices share one type */
        if (blk->se_reduce.w.dtype != blk->se_expand.w.dtype)
            return effad_fail(L->e, EFFAD_ERR_FORMAT, "block %d: squeeze-excite mixes float32 and int8 weights", i);
    }
    if (!blk->project.w.data)
        return effad_fail(L->e, EFFAD_ERR_FORMAT, "block %d: projection missing", i);
    if ((s = check_1x1(L, &blk->project, blk->mid_c, blk->out_c, "project", i))) return s;
    /* with squeeze-excite the gated depthwise output gets its own type */
    if (!blk->se_c && (s = check_chain(L, &dw->out_q, &blk->project, "project", i))) return s;
    if (blk->se_c && blk->project.in_q.dtype != dw->out_q.dtype)
        return effad_fail(L->e, EFFAD_ERR_FORMAT, "block %d: gated depthwise output and projection input differ in type", i);
    if (blk->skip && (blk->in_c != blk->out_c || dw->stride_h != 1 || dw->stride_w != 1))
        return effad_fail(L->e, EFFAD_ERR_FORMAT, "block %d: skip connection across a shape change", i);
    return EFFAD_OK;
}

static void copy_name(char *dst, const char *src, size_t n)
{
    size_t i = 0;
    for (; i + 1 < n && src[i]; i++) dst[i] = src[i];
    dst[i] = '\0';
}

/* Byte-swaps the 4-byte tensors of a validated file in place (big-endian
 * hosts read the little-endian weights as native floats afterwards). */
static void swap_tensors(const loader *L, uint8_t *writable)
{
    for (uint32_t i = 0; i < L->n_tensors; i++) {
        efm_tensor_rec t;
        tensor_rec(L, i, &t);
        if (efm_dtype_bytes(t.dtype) != 4) continue;
        uint8_t *p = writable + t.offset;
        for (uint64_t k = 0; k < t.bytes; k += 4) {
            uint8_t a = p[k], b = p[k + 1];
            p[k] = p[k + 3]; p[k + 1] = p[k + 2]; p[k + 2] = b; p[k + 3] = a;
        }
    }
}

static effad_status load(effad_model *m, const void *bytes, size_t n, uint8_t *writable, effad_error *e)
{
    if (!m || !bytes) return effad_fail(e, EFFAD_ERR_ARG, "no model bytes");
    memset(m, 0, sizeof *m);
    loader L = { m, bytes, n, 0, 0, 0, e };
    const uint8_t *p = bytes;
    effad_status s;

    if (n < EFM_HEADER_BYTES)
        return effad_fail(e, EFFAD_ERR_FORMAT, "file is %zu bytes, too short for an .efm header (%u)", n, EFM_HEADER_BYTES);
    efm_header h;
    efm_header_decode(p, &h);
    if (memcmp(p, EFM_MAGIC, 8) != 0)
        return effad_fail(e, EFFAD_ERR_FORMAT, "not an .efm model (bad magic)");
    if (h.version < EFM_VERSION_MIN || h.version > EFM_VERSION)
        return effad_fail(e, EFFAD_ERR_UNSUPPORTED, ".efm format version %u, this build reads versions %u to %u",
                          h.version, EFM_VERSION_MIN, EFM_VERSION);
    if (h.header_bytes != EFM_HEADER_BYTES)
        return effad_fail(e, EFFAD_ERR_FORMAT, "header size %u, expected %u", h.header_bytes, EFM_HEADER_BYTES);
    if (h.file_bytes != n)
        return effad_fail(e, EFFAD_ERR_FORMAT, "file is %zu bytes but its header says %llu%s", n,
                          (unsigned long long)h.file_bytes, n < h.file_bytes ? " (truncated)" : " (trailing bytes)");
    uint8_t hdr[EFM_HEADER_BYTES];
    memcpy(hdr, p, EFM_HEADER_BYTES);
    memset(hdr + EFM_H_HEADER_HASH, 0, 8);
    if (effad_hash64(hdr, EFM_HEADER_BYTES, 0) != h.header_hash)
        return effad_fail(e, EFFAD_ERR_FORMAT, "header checksum mismatch (file corrupted)");
    m->hash = effad_hash64(p + EFM_HEADER_BYTES, n - EFM_HEADER_BYTES, 0);
    if (m->hash != h.payload_hash)
        return effad_fail(e, EFFAD_ERR_FORMAT, "payload checksum mismatch (file corrupted)");
    if (!host_is_little_endian() && !writable)
        return effad_fail(e, EFFAD_ERR_UNSUPPORTED, "big-endian host: load with effad_model_load_writable so the weights can be byte-swapped");
    if ((uintptr_t)bytes % 16u)
        return effad_fail(e, EFFAD_ERR_ARG, "model bytes must be 16-byte aligned");
    if (h.family != EFM_FAMILY_EFFICIENTNET)
        return effad_fail(e, EFFAD_ERR_UNSUPPORTED, "model family %u is not EfficientNet", h.family);

    L.version = h.version;
    m->version = (int)h.version;
    m->bytes = bytes; m->n_bytes = n;
    copy_name(m->variant, h.variant, sizeof m->variant);
    copy_name(m->source, h.source, sizeof m->source);
    copy_name(m->tap_rule, h.tap_rule, sizeof m->tap_rule);
    m->in_c = (int)h.in_c;
    m->in_h = (int)h.in_h;
    m->in_w = (int)h.in_w;
    m->resize_policy = (int)h.resize;
    for (int i = 0; i < 3; i++) {
        m->mean[i] = h.mean[i];
        m->std[i] = h.std[i];
        if (!(m->std[i] > 0.0f) || !isfinite(m->std[i]) || !isfinite(m->mean[i]))
            return effad_fail(e, EFFAD_ERR_FORMAT, "normalisation mean[%d] / std[%d] must be finite, std positive", i, i);
    }
    if (h.in_c != 3 || h.in_h - 1u >= (unsigned)EFM_MAX_INPUT || h.in_w - 1u >= (unsigned)EFM_MAX_INPUT)
        return effad_fail(e, EFFAD_ERR_FORMAT, "input %ux%ux%u is not a 3-channel image size", h.in_c, h.in_h, h.in_w);

    if (h.n_blocks > EFM_MAX_BLOCKS || h.n_taps > EFM_MAX_TAPS || h.n_tensors > EFM_MAX_TENSORS || h.n_stages > h.n_blocks)
        return effad_fail(e, EFFAD_ERR_FORMAT, "counts out of range: %u blocks, %u stages, %u tensors, %u taps",
                          h.n_blocks, h.n_stages, h.n_tensors, h.n_taps);
    if (!in_file(&L, h.blocks_off, (uint64_t)h.n_blocks * efm_block_bytes(h.version)) ||
        !in_file(&L, h.tensors_off, (uint64_t)h.n_tensors * EFM_TENSOR_BYTES) ||
        !in_file(&L, h.taps_off, (uint64_t)h.n_taps * EFM_TAP_BYTES) || !in_file(&L, h.data_off, 0))
        return effad_fail(e, EFFAD_ERR_FORMAT, "a table lies outside the file");
    L.tensors_off = h.tensors_off;
    L.n_tensors = h.n_tensors;

    for (uint32_t i = 0; i < h.n_tensors; i++) {
        efm_tensor_rec t;
        tensor_rec(&L, i, &t);
        uint64_t count = 1;
        if (t.ndim < 1 || t.ndim > 4) return effad_fail(e, EFFAD_ERR_FORMAT, "tensor %u: %u dimensions", i, t.ndim);
        for (uint32_t d = 0; d < t.ndim; d++) {
            if (t.dims[d] == 0 || t.dims[d] > EFM_MAX_DIM)
                return effad_fail(e, EFFAD_ERR_FORMAT, "tensor %u: dimension %u is %u", i, d, t.dims[d]);
            count *= t.dims[d];
            if (count > EFM_MAX_ELEMENTS) return effad_fail(e, EFFAD_ERR_FORMAT, "tensor %u: too many elements", i);
        }
        uint64_t elem = t.dtype == EFM_U8 ? 0 : efm_dtype_bytes(t.dtype);   /* uint8 is never stored */
        if (!elem) return effad_fail(e, EFFAD_ERR_FORMAT, "tensor %u: unknown dtype %u", i, t.dtype);
        if (t.bytes != count * elem)
            return effad_fail(e, EFFAD_ERR_FORMAT, "tensor %u: %llu bytes for %llu elements", i,
                              (unsigned long long)t.bytes, (unsigned long long)count);
        if (t.offset % EFM_ALIGN || t.offset < h.data_off || !in_file(&L, t.offset, t.bytes))
            return effad_fail(e, EFFAD_ERR_FORMAT, "tensor %u: data at %llu+%llu outside the data section or unaligned", i,
                              (unsigned long long)t.offset, (unsigned long long)t.bytes);
    }

    if ((s = read_conv(&L, &h.stem, "stem", 0, &m->stem))) return s;
    if (!m->stem.w.data || m->stem.cin != m->in_c)
        return effad_fail(e, EFFAD_ERR_FORMAT, "stem missing or not reading %d channels", m->in_c);
    if (m->stem.w.dtype != EFFAD_F32 || m->stem.out_q.dtype != EFFAD_F32)
        return effad_fail(e, EFFAD_ERR_FORMAT, "stem must be float32 (the first int8 block quantises its output)");
    m->has_head = (int)(h.flags & EFM_FLAG_HEAD);
    if (m->has_head) {
        if ((s = read_conv(&L, &h.head, "head", 0, &m->head))) return s;
        if (!m->head.w.data) return effad_fail(e, EFFAD_ERR_FORMAT, "head flagged but absent");
    }
    m->n_blocks = (int)h.n_blocks;
    m->n_stages = (int)h.n_stages;
    int c = m->stem.cout, stage = -1;
    effad_qtype x_q = m->stem.out_q;
    for (int i = 0; i < m->n_blocks; i++) {
        effad_block *b = &m->blocks[i];
        efm_block_rec rec;
        efm_block_decode(p + h.blocks_off + (uint64_t)i * efm_block_bytes(h.version), h.version, &rec);
        if ((s = read_block(&L, &rec, i, &x_q, b))) return s;
        if (b->in_c != c)
            return effad_fail(e, EFFAD_ERR_FORMAT, "block %d reads %d channels, its input has %d", i, b->in_c, c);
        if (b->stage < stage || b->stage > stage + 1 || b->stage >= (int)h.n_stages)
            return effad_fail(e, EFFAD_ERR_FORMAT, "block %d: stage %d out of order", i, b->stage);
        stage = b->stage;
        c = b->out_c;
        x_q = b->project.out_q;
    }
    if (m->has_head) {
        if (m->head.cin != c || m->head.kh != 1 || m->head.kw != 1 || m->head.groups != 1 || m->head.stride_h != 1)
            return effad_fail(e, EFFAD_ERR_FORMAT, "head must be a 1x1 convolution of the %d final channels", c);
        if ((s = check_boundary(&L, &x_q, &m->head.in_q, "head", 0))) return s;
    }
    if (m->quantised != ((h.flags & EFM_FLAG_QUANTISED) != 0))
        return effad_fail(e, EFFAD_ERR_FORMAT, "the quantised flag (%u) disagrees with the layers", h.flags);

    m->n_taps = (int)h.n_taps;
    for (int t = 0; t < m->n_taps; t++) {
        efm_tap_rec rec;
        efm_tap_decode(p + h.taps_off + (uint64_t)t * EFM_TAP_BYTES, &rec);
        effad_tap *tap = &m->taps[t];
        tap->at = (int)rec.at;
        tap->pooled_in_graph = (int)rec.pooled;
        tap->channels = (int)rec.channels;
        copy_name(tap->name, rec.name, EFFAD_NAME_BYTES);
        copy_name(tap->node, rec.node, EFFAD_NAME_BYTES);
        const unsigned last = (unsigned)m->n_blocks + (m->has_head ? 1u : 0u);
        if (rec.at > last)
            return effad_fail(e, EFFAD_ERR_FORMAT, "tap %d reads layer %u, the model has %u", t, rec.at, last);
        int want = tap->at == 0 ? m->stem.cout : tap->at <= m->n_blocks ? m->blocks[tap->at - 1].out_c : m->head.cout;
        if (tap->channels != want)
            return effad_fail(e, EFFAD_ERR_FORMAT, "tap %d says %d channels, its layer has %d", t, tap->channels, want);
    }

    /* A big-endian host reads the little-endian weights after swapping them
     * in place, once, after every check above has passed on the file's own
     * bytes (the scale checks read them with le_f32, before the swap). */
    if (!host_is_little_endian()) swap_tensors(&L, writable);
    /* the bounds read the scales and biases as native floats: after the
     * swap. A skip adds the block's input as the block reads it (converted
     * to its first layer's type when the previous block wrote another). */
    for (int i = 0; i < m->n_blocks; i++) {
        effad_block *b = &m->blocks[i];
        mark_bounded(&b->expand, 0);
        mark_bounded(&b->dw, 0);
        mark_bounded(&b->project, b->skip ? effad_block_in_q(b) : 0);
    }
    if (m->has_head) mark_bounded(&m->head, 0);
    return EFFAD_OK;
}

effad_status effad_model_load(effad_model *m, const void *bytes, size_t n, effad_error *e)
{
    return load(m, bytes, n, 0, e);
}

effad_status effad_model_load_writable(effad_model *m, void *bytes, size_t n, effad_error *e)
{
    return load(m, bytes, n, bytes, e);
}

static long long conv_macs(const effad_conv *c, long long out_hw)
{
    return c->w.data ? out_hw * c->kh * c->kw * (c->cin / c->groups) * c->cout : 0;
}

long long effad_stem_macs(const effad_runner *r)
{
    return conv_macs(&r->m->stem, (long long)r->stem_g.out_h * r->stem_g.out_w);
}

long long effad_block_macs(const effad_runner *r, int i)
{
    const effad_block *b = &r->m->blocks[i];
    const effad_geom *g = &r->dw_g[i];
    const long long in_hw = (long long)g->in_h * g->in_w, out_hw = (long long)g->out_h * g->out_w;
    return conv_macs(&b->expand, in_hw) + conv_macs(&b->dw, out_hw) + conv_macs(&b->se_reduce, 1) +
           conv_macs(&b->se_expand, 1) + conv_macs(&b->project, out_hw);
}

long long effad_head_macs(const effad_runner *r)
{
    return r->m->has_head ? conv_macs(&r->m->head, (long long)r->head_g.out_h * r->head_g.out_w) : 0;
}

long long effad_model_macs(const effad_model *m, int in_h, int in_w)
{
    effad_runner r;
    effad_plan_opts o = { .in_h = in_h, .in_w = in_w, .n_workers = 1, .map_taps = 0 };
    /* a plan without an arena: every layer's geometry, nothing run */
    if (effad_runner_init(&r, m, 0, &o, 0, 0, 0)) return -1;
    long long macs = effad_stem_macs(&r) + effad_head_macs(&r);
    for (int i = 0; i < m->n_blocks; i++) macs += effad_block_macs(&r, i);
    return macs;
}
