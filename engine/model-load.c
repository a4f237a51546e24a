/* Loading an .efm: validate everything, then hand out views into the bytes.
 *
 * The file is untrusted input. Each check below exists so that no later
 * access can fall outside the buffer or disagree with a shape; a failure
 * names the field and the values, which is what a user needs to tell a
 * truncated download from a model made by another version. */
#include "effad.h"
#include "efm-format.h"
#include "le.h"

#define MAX_TENSORS 8192u
#define MAX_CHANNELS 16384

typedef struct loader {
    effad_model *m;
    const uint8_t *p;
    size_t n;
    uint64_t tensors_off;
    uint32_t n_tensors;
    effad_error *e;
} loader;

static effad_status bad(loader *L, const char *fmt, const char *what, long long a, long long b)
{
    (void)L;
    return effad_fail(L->e, EFFAD_ERR_FORMAT, fmt, what, a, b);
}

/* [off, off+len) inside the file, without overflow. */
static int in_file(const loader *L, uint64_t off, uint64_t len)
{
    return off <= L->n && len <= L->n - off;
}

/* Tensor idx as a float array of exactly `count` elements. */
static effad_status tensor_f32(loader *L, uint32_t idx, long long count, const char *what, const float **out)
{
    if (idx >= L->n_tensors)
        return bad(L, "%s: tensor index %lld out of range (%lld tensors)", what, idx, L->n_tensors);
    const uint8_t *t = L->p + L->tensors_off + (uint64_t)idx * EFM_TENSOR_BYTES;
    if (le_u32(t + EFM_T_DTYPE) != EFM_F32)
        return bad(L, "%s: tensor %lld has dtype %lld, expected float32", what, idx, le_u32(t + EFM_T_DTYPE));
    uint64_t bytes = le_u64(t + EFM_T_BYTES);
    if (bytes != (uint64_t)count * 4u)
        return bad(L, "%s: tensor holds %lld floats, the layer needs %lld", what, (long long)(bytes / 4), count);
    *out = (const float *)(const void *)(L->p + le_u64(t + EFM_T_OFFSET));
    return EFFAD_OK;
}

static effad_status read_conv(loader *L, const uint8_t *c, const char *what, effad_conv *cv)
{
    cv->kh = (int)le_u32(c + EFM_C_KH);         cv->kw = (int)le_u32(c + EFM_C_KW);
    cv->stride_h = (int)le_u32(c + EFM_C_STRIDE_H); cv->stride_w = (int)le_u32(c + EFM_C_STRIDE_W);
    cv->dil_h = (int)le_u32(c + EFM_C_DIL_H);   cv->dil_w = (int)le_u32(c + EFM_C_DIL_W);
    cv->pad_top = (int)le_u32(c + EFM_C_PAD_T); cv->pad_left = (int)le_u32(c + EFM_C_PAD_L);
    cv->pad_bottom = (int)le_u32(c + EFM_C_PAD_B); cv->pad_right = (int)le_u32(c + EFM_C_PAD_R);
    cv->pad_mode = (int)le_u32(c + EFM_C_PAD_MODE);
    cv->groups = (int)le_u32(c + EFM_C_GROUPS);
    cv->cin = (int)le_u32(c + EFM_C_CIN);       cv->cout = (int)le_u32(c + EFM_C_COUT);
    cv->act = (int)le_u32(c + EFM_C_ACT);
    cv->act_a = le_f32(c + EFM_C_ACT_A);        cv->act_b = le_f32(c + EFM_C_ACT_B);
    cv->w = cv->b = 0;
    uint32_t wi = le_u32(c + EFM_C_W), bi = le_u32(c + EFM_C_B);
    if (wi == EFM_NONE) return EFFAD_OK;

    /* unsigned compares catch negative values read from u32 fields too */
    if ((unsigned)cv->kh - 1u > 14u || (unsigned)cv->kw - 1u > 14u)
        return bad(L, "%s: kernel %lldx%lld outside 1..15", what, cv->kh, cv->kw);
    if ((unsigned)cv->stride_h - 1u > 7u || (unsigned)cv->stride_w - 1u > 7u ||
        (unsigned)cv->dil_h - 1u > 7u || (unsigned)cv->dil_w - 1u > 7u)
        return bad(L, "%s: stride %lld or dilation %lld outside 1..8", what, cv->stride_h, cv->dil_h);
    if ((unsigned)cv->pad_top > 64u || (unsigned)cv->pad_left > 64u ||
        (unsigned)cv->pad_bottom > 64u || (unsigned)cv->pad_right > 64u)
        return bad(L, "%s: padding %lld/%lld too large", what, cv->pad_top, cv->pad_bottom);
    if ((unsigned)cv->pad_mode > EFM_PAD_TF_SAME)
        return bad(L, "%s: unknown padding mode %lld", what, cv->pad_mode, 0);
    if ((unsigned)cv->cin - 1u >= MAX_CHANNELS || (unsigned)cv->cout - 1u >= MAX_CHANNELS)
        return bad(L, "%s: channels %lld -> %lld out of range", what, cv->cin, cv->cout);
    if (cv->groups < 1 || cv->cin % cv->groups || cv->cout % cv->groups)
        return bad(L, "%s: %lld groups do not divide %lld channels", what, cv->groups, cv->cin);
    if ((unsigned)cv->act > EFFAD_ACT_HARDSWISH)
        return bad(L, "%s: unknown activation %lld", what, cv->act, 0);

    long long count = (long long)cv->kh * cv->kw * (cv->cin / cv->groups) * cv->cout;
    effad_status s = tensor_f32(L, wi, count, what, &cv->w);
    if (s) return s;
    L->m->n_params += count;
    if (bi != EFM_NONE) {
        if ((s = tensor_f32(L, bi, cv->cout, what, &cv->b))) return s;
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

static effad_status read_block(loader *L, const uint8_t *b, int i, effad_block *blk)
{
    effad_status s;
    blk->stage = (int)le_u32(b + EFM_B_STAGE);
    blk->skip = (int)le_u32(b + EFM_B_SKIP);
    blk->in_c = (int)le_u32(b + EFM_B_IN_C);
    blk->mid_c = (int)le_u32(b + EFM_B_MID_C);
    blk->out_c = (int)le_u32(b + EFM_B_OUT_C);
    blk->se_c = (int)le_u32(b + EFM_B_SE_C);
    if ((unsigned)blk->in_c - 1u >= MAX_CHANNELS || (unsigned)blk->mid_c - 1u >= MAX_CHANNELS ||
        (unsigned)blk->out_c - 1u >= MAX_CHANNELS || (unsigned)blk->se_c >= MAX_CHANNELS)
        return effad_fail(L->e, EFFAD_ERR_FORMAT, "block %d: channel counts out of range", i);
    if ((s = read_conv(L, b + EFM_B_EXPAND, "block expand", &blk->expand)) ||
        (s = read_conv(L, b + EFM_B_DW, "block depthwise", &blk->dw)) ||
        (s = read_conv(L, b + EFM_B_SE_REDUCE, "block se_reduce", &blk->se_reduce)) ||
        (s = read_conv(L, b + EFM_B_SE_EXPAND, "block se_expand", &blk->se_expand)) ||
        (s = read_conv(L, b + EFM_B_PROJECT, "block project", &blk->project))) {
        effad_error where;
        effad_fail(&where, s, "block %d", i);
        effad_error_prefix(L->e, where.msg);
        return s;
    }
    if (blk->expand.w) {
        if ((s = check_1x1(L, &blk->expand, blk->in_c, blk->mid_c, "expand", i))) return s;
    } else if (blk->mid_c != blk->in_c) {
        return effad_fail(L->e, EFFAD_ERR_FORMAT, "block %d: no expansion but %d != %d channels", i, blk->in_c, blk->mid_c);
    }
    const effad_conv *dw = &blk->dw;
    if (!dw->w || dw->groups != blk->mid_c || dw->cin != blk->mid_c || dw->cout != blk->mid_c)
        return effad_fail(L->e, EFFAD_ERR_FORMAT, "block %d: depthwise layer missing or not %d-channel depthwise", i, blk->mid_c);
    if ((blk->se_reduce.w != 0) != (blk->se_expand.w != 0) || (blk->se_reduce.w != 0) != (blk->se_c > 0))
        return effad_fail(L->e, EFFAD_ERR_FORMAT, "block %d: squeeze-excite half present", i);
    if (blk->se_c) {
        if ((s = check_1x1(L, &blk->se_reduce, blk->mid_c, blk->se_c, "se_reduce", i)) ||
            (s = check_1x1(L, &blk->se_expand, blk->se_c, blk->mid_c, "se_expand", i)))
            return s;
    }
    if (!blk->project.w)
        return effad_fail(L->e, EFFAD_ERR_FORMAT, "block %d: projection missing", i);
    if ((s = check_1x1(L, &blk->project, blk->mid_c, blk->out_c, "project", i))) return s;
    if (blk->skip && (blk->in_c != blk->out_c || dw->stride_h != 1 || dw->stride_w != 1))
        return effad_fail(L->e, EFFAD_ERR_FORMAT, "block %d: skip connection across a shape change", i);
    return EFFAD_OK;
}

static void read_name(char *dst, const uint8_t *src, size_t n)
{
    for (size_t i = 0; i < n; i++) dst[i] = (char)src[i];
    dst[n - 1] = '\0';
}

static effad_status load(effad_model *m, const void *bytes, size_t n, uint8_t *writable, effad_error *e)
{
    if (!m || !bytes) return effad_fail(e, EFFAD_ERR_ARG, "no model bytes");
    memset(m, 0, sizeof *m);
    loader L = { m, bytes, n, 0, 0, e };
    const uint8_t *h = bytes;
    effad_status s;

    if (n < EFM_HEADER_BYTES)
        return effad_fail(e, EFFAD_ERR_FORMAT, "file is %zu bytes, too short for an .efm header (%u)", n, EFM_HEADER_BYTES);
    if (memcmp(h + EFM_H_MAGIC, EFM_MAGIC, 8) != 0)
        return effad_fail(e, EFFAD_ERR_FORMAT, "not an .efm model (bad magic)");
    uint32_t version = le_u32(h + EFM_H_VERSION);
    if (version != EFM_VERSION)
        return effad_fail(e, EFFAD_ERR_UNSUPPORTED, ".efm format version %u, this build reads version %u", version, EFM_VERSION);
    if (le_u32(h + EFM_H_HEADER_BYTES) != EFM_HEADER_BYTES)
        return effad_fail(e, EFFAD_ERR_FORMAT, "header size %u, expected %u", le_u32(h + EFM_H_HEADER_BYTES), EFM_HEADER_BYTES);
    uint64_t file_bytes = le_u64(h + EFM_H_FILE_BYTES);
    if (file_bytes != n)
        return effad_fail(e, EFFAD_ERR_FORMAT, "file is %zu bytes but its header says %llu%s", n,
                          (unsigned long long)file_bytes, n < file_bytes ? " (truncated)" : " (trailing bytes)");
    uint8_t hdr[EFM_HEADER_BYTES];
    memcpy(hdr, h, EFM_HEADER_BYTES);
    memset(hdr + EFM_H_HEADER_HASH, 0, 8);
    if (effad_hash64(hdr, EFM_HEADER_BYTES, 0) != le_u64(h + EFM_H_HEADER_HASH))
        return effad_fail(e, EFFAD_ERR_FORMAT, "header checksum mismatch (file corrupted)");
    m->hash = effad_hash64(h + EFM_HEADER_BYTES, n - EFM_HEADER_BYTES, 0);
    if (m->hash != le_u64(h + EFM_H_PAYLOAD_HASH))
        return effad_fail(e, EFFAD_ERR_FORMAT, "payload checksum mismatch (file corrupted)");
    if (!host_is_little_endian() && !writable)
        return effad_fail(e, EFFAD_ERR_UNSUPPORTED, "big-endian host: load with effad_model_load_writable so the weights can be byte-swapped");
    if ((uintptr_t)bytes % 16u)
        return effad_fail(e, EFFAD_ERR_ARG, "model bytes must be 16-byte aligned");
    if (le_u32(h + EFM_H_FAMILY) != EFM_FAMILY_EFFICIENTNET)
        return effad_fail(e, EFFAD_ERR_UNSUPPORTED, "model family %u is not EfficientNet", le_u32(h + EFM_H_FAMILY));

    m->bytes = bytes; m->n_bytes = n;
    read_name(m->variant, h + EFM_H_VARIANT, sizeof m->variant);
    read_name(m->source, h + EFM_H_SOURCE, sizeof m->source);
    read_name(m->tap_rule, h + EFM_H_TAP_RULE, sizeof m->tap_rule);
    m->in_c = (int)le_u32(h + EFM_H_IN_C);
    m->in_h = (int)le_u32(h + EFM_H_IN_C + 4);
    m->in_w = (int)le_u32(h + EFM_H_IN_C + 8);
    m->resize_policy = (int)le_u32(h + EFM_H_RESIZE);
    for (int i = 0; i < 3; i++) {
        m->mean[i] = le_f32(h + EFM_H_MEAN + 4 * i);
        m->std[i] = le_f32(h + EFM_H_STD + 4 * i);
        if (!(m->std[i] > 0.0f) || m->mean[i] != m->mean[i])
            return effad_fail(e, EFFAD_ERR_FORMAT, "normalisation std[%d] must be positive", i);
    }
    if (m->in_c != 3 || (unsigned)m->in_h - 1u >= 8192u || (unsigned)m->in_w - 1u >= 8192u)
        return effad_fail(e, EFFAD_ERR_FORMAT, "input %dx%dx%d is not a 3-channel image size", m->in_c, m->in_h, m->in_w);

    uint32_t n_blocks = le_u32(h + EFM_H_N_BLOCKS), n_stages = le_u32(h + EFM_H_N_BLOCKS + 4);
    uint32_t n_tensors = le_u32(h + EFM_H_N_BLOCKS + 8), n_taps = le_u32(h + EFM_H_N_BLOCKS + 12);
    uint64_t blocks_off = le_u64(h + EFM_H_BLOCKS_OFF), tensors_off = le_u64(h + EFM_H_BLOCKS_OFF + 8);
    uint64_t taps_off = le_u64(h + EFM_H_BLOCKS_OFF + 16), data_off = le_u64(h + EFM_H_BLOCKS_OFF + 24);
    if (n_blocks > EFFAD_MAX_BLOCKS || n_taps > EFFAD_MAX_TAPS || n_tensors > MAX_TENSORS || n_stages > n_blocks)
        return effad_fail(e, EFFAD_ERR_FORMAT, "counts out of range: %u blocks, %u stages, %u tensors, %u taps",
                          n_blocks, n_stages, n_tensors, n_taps);
    if (!in_file(&L, blocks_off, (uint64_t)n_blocks * EFM_BLOCK_BYTES) ||
        !in_file(&L, tensors_off, (uint64_t)n_tensors * EFM_TENSOR_BYTES) ||
        !in_file(&L, taps_off, (uint64_t)n_taps * EFM_TAP_BYTES) || !in_file(&L, data_off, 0))
        return effad_fail(e, EFFAD_ERR_FORMAT, "a table lies outside the file");
    L.tensors_off = tensors_off;
    L.n_tensors = n_tensors;

    for (uint32_t i = 0; i < n_tensors; i++) {
        const uint8_t *t = h + tensors_off + (uint64_t)i * EFM_TENSOR_BYTES;
        uint64_t off = le_u64(t + EFM_T_OFFSET), len = le_u64(t + EFM_T_BYTES);
        uint32_t ndim = le_u32(t + EFM_T_NDIM);
        uint64_t count = 1;
        if (ndim < 1 || ndim > 4) return effad_fail(e, EFFAD_ERR_FORMAT, "tensor %u: %u dimensions", i, ndim);
        for (uint32_t d = 0; d < ndim; d++) {
            uint32_t dim = le_u32(t + EFM_T_DIMS + 4 * d);
            if (dim == 0 || dim > (1u << 24)) return effad_fail(e, EFFAD_ERR_FORMAT, "tensor %u: dimension %u is %u", i, d, dim);
            count *= dim;
            if (count > ((uint64_t)1 << 32)) return effad_fail(e, EFFAD_ERR_FORMAT, "tensor %u: too many elements", i);
        }
        uint32_t dtype = le_u32(t + EFM_T_DTYPE);
        uint64_t elem = dtype == EFM_F32 || dtype == EFM_S32 ? 4 : dtype == EFM_S8 ? 1 : 0;
        if (!elem) return effad_fail(e, EFFAD_ERR_FORMAT, "tensor %u: unknown dtype %u", i, dtype);
        if (len != count * elem)
            return effad_fail(e, EFFAD_ERR_FORMAT, "tensor %u: %llu bytes for %llu elements", i,
                              (unsigned long long)len, (unsigned long long)count);
        if (off % EFM_ALIGN || off < data_off || !in_file(&L, off, len))
            return effad_fail(e, EFFAD_ERR_FORMAT, "tensor %u: data at %llu+%llu outside the data section or unaligned", i,
                              (unsigned long long)off, (unsigned long long)len);
    }

    if ((s = read_conv(&L, h + EFM_H_STEM, "stem", &m->stem))) return s;
    if (!m->stem.w || m->stem.cin != m->in_c)
        return effad_fail(e, EFFAD_ERR_FORMAT, "stem missing or not reading %d channels", m->in_c);
    m->has_head = (int)(le_u32(h + EFM_H_FLAGS) & 1u);
    if (m->has_head) {
        if ((s = read_conv(&L, h + EFM_H_HEAD, "head", &m->head))) return s;
        if (!m->head.w) return effad_fail(e, EFFAD_ERR_FORMAT, "head flagged but absent");
    }
    m->n_blocks = (int)n_blocks;
    m->n_stages = (int)n_stages;
    int c = m->stem.cout, stage = -1;
    for (int i = 0; i < m->n_blocks; i++) {
        effad_block *b = &m->blocks[i];
        if ((s = read_block(&L, h + blocks_off + (uint64_t)i * EFM_BLOCK_BYTES, i, b))) return s;
        if (b->in_c != c)
            return effad_fail(e, EFFAD_ERR_FORMAT, "block %d reads %d channels, its input has %d", i, b->in_c, c);
        if (b->stage < stage || b->stage > stage + 1 || b->stage >= (int)n_stages)
            return effad_fail(e, EFFAD_ERR_FORMAT, "block %d: stage %d out of order", i, b->stage);
        stage = b->stage;
        c = b->out_c;
    }
    if (m->has_head) {
        if (m->head.cin != c || m->head.kh != 1 || m->head.kw != 1 || m->head.groups != 1 || m->head.stride_h != 1)
            return effad_fail(e, EFFAD_ERR_FORMAT, "head must be a 1x1 convolution of the %d final channels", c);
    }

    /* A big-endian host reads the little-endian weights after swapping them
     * in place, once, after every check above has passed on the file's own
     * bytes. */
    if (!host_is_little_endian()) {
        for (uint32_t i = 0; i < n_tensors; i++) {
            const uint8_t *t = h + tensors_off + (uint64_t)i * EFM_TENSOR_BYTES;
            if (le_u32(t + EFM_T_DTYPE) == EFM_S8) continue;
            uint8_t *p = writable + le_u64(t + EFM_T_OFFSET);
            for (uint64_t k = 0; k < le_u64(t + EFM_T_BYTES); k += 4) {
                uint8_t a = p[k], b = p[k + 1];
                p[k] = p[k + 3]; p[k + 1] = p[k + 2]; p[k + 2] = b; p[k + 3] = a;
            }
        }
    }

    m->n_taps = (int)n_taps;
    for (int t = 0; t < m->n_taps; t++) {
        const uint8_t *p = h + taps_off + (uint64_t)t * EFM_TAP_BYTES;
        effad_tap *tap = &m->taps[t];
        tap->at = (int)le_u32(p + EFM_P_AT);
        tap->pooled_in_graph = (int)le_u32(p + EFM_P_POOLED);
        tap->channels = (int)le_u32(p + EFM_P_CHANNELS);
        read_name(tap->name, p + EFM_P_NAME, EFFAD_NAME_BYTES);
        read_name(tap->node, p + EFM_P_NODE, EFFAD_NAME_BYTES);
        int last = m->n_blocks + (m->has_head ? 1 : 0);
        if (tap->at < 0 || tap->at > last)
            return effad_fail(e, EFFAD_ERR_FORMAT, "tap %d reads layer %d, the model has %d", t, tap->at, last);
        int want = tap->at == 0 ? m->stem.cout : tap->at <= m->n_blocks ? m->blocks[tap->at - 1].out_c : m->head.cout;
        if (tap->channels != want)
            return effad_fail(e, EFFAD_ERR_FORMAT, "tap %d says %d channels, its layer has %d", t, tap->channels, want);
    }
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
    return c->w ? out_hw * c->kh * c->kw * (c->cin / c->groups) * c->cout : 0;
}

long long effad_model_macs(const effad_model *m, int in_h, int in_w)
{
    size_t bytes;
    effad_runner r;
    /* the plan computes every layer's geometry; no arena is touched */
    if (effad_arena_bytes(m, 0, in_h, in_w, 1, &bytes, 0)) return -1;
    if (effad_runner_init(&r, m, 0, in_h, in_w, 1, 0, 0, 0)) return -1;
    long long macs = conv_macs(&m->stem, (long long)r.stem_g.out_h * r.stem_g.out_w);
    for (int i = 0; i < m->n_blocks; i++) {
        const effad_block *b = &m->blocks[i];
        const effad_geom *g = &r.dw_g[i];
        long long in_hw = (long long)g->in_h * g->in_w, out_hw = (long long)g->out_h * g->out_w;
        macs += conv_macs(&b->expand, in_hw) + conv_macs(&b->dw, out_hw) +
                conv_macs(&b->se_reduce, 1) + conv_macs(&b->se_expand, 1) + conv_macs(&b->project, out_hw);
    }
    if (m->has_head) macs += conv_macs(&m->head, (long long)r.head_g.out_h * r.head_g.out_w);
    return macs;
}
