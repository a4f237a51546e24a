/*
 * test-wq-engine.c -- weight-only layers (int8 weights, float32
 * activations: engine/run.h, run_is_wq) end to end on the committed golden
 * models, independently of the converter's choices: an int8 .efm written
 * from a calibration is edited record by record into weight-only blocks,
 * and its float32 original is edited into the reference -- every weight
 * of those blocks replaced by q * scale from the int8 file.
 *
 * - the weight-only model runs the reference's arithmetic: its levels
 *   equal the reference's up to the rounding of the squeeze-excite gate,
 *   which both int8 and weight-only blocks compute from int8 weights (q8
 *   se_gate: the scale after the sum), the reference from dequantised ones
 *   (measured: 3e-6 to 9e-6 of the largest level), and are far closer to
 *   it than to the float32 original (2e-2) or to the int8 model (6e-2 to
 *   0.45);
 * - every table, thread count, fusion rule and pre-packed or not gives
 *   the bits of that table's one-thread pass;
 * - the arena holds a float copy of each weight-only depthwise layer and
 *   one region the widest weight-only 1x1 layer fits, refilled per layer
 *   (none in a pre-packed plan whose table packs: the packed copy is
 *   read);
 * - a block mixing weight-only and int8 layers, and float32 weights read
 *   with a uint8 input, are refused by name.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "efm-copy.h"
#include "test-files.h"
#include "effad.h"
#include "efm-codec.h"
#include "le.h"
#include "convert.h"
#include "calibrate.h"
#include "dispatch.h"
#include "plan.h"

static uint32_t seed = 77;
static float noise(void)
{
    seed = seed * 1664525u + 1013904223u;
    return (float)((int)(seed >> 9) - (1 << 22)) / (float)(1 << 22);
}

static const plan_fuse_rule fuse_never = { (size_t)-1, 0, 0, 0 };
static const plan_fuse_rule fuse_always = { 0, (size_t)-1, (size_t)-1, (size_t)-1 };

/* One pass into out (all levels); flags EFFAD_PLAN_PREPACKED packs m for k
 * first. wq_bytes (may be NULL): the plan's weight-only region. */
static int run(const effad_model *m, const effad_kernel_set *k, effad_threads *t, const plan_fuse_rule *rule,
               uint32_t flags, const float *in, float *out, size_t *wq_bytes)
{
    effad_error e = { 0 };
    const effad_plan_opts po = { .n_workers = t ? 3 : 1, .flags = flags };
    size_t bytes, pb = 0;
    void *arena = 0, *pbuf = 0;
    effad_runner r;
    static effad_packed pk;
    effad_status s = plan_arena_bytes(m, k, &po, rule, &bytes, &e);
    if (!s && posix_memalign(&arena, 64, bytes)) s = EFFAD_ERR_NOMEM;
    if (!s) s = plan_runner_init(&r, m, k, &po, rule, arena, bytes, &e);
    if (!s && (flags & EFFAD_PLAN_PREPACKED)) {
        pb = effad_packed_bytes(m, k);
        if (posix_memalign(&pbuf, 64, pb ? pb : 64)) s = EFFAD_ERR_NOMEM;
        if (!s) s = effad_pack(&pk, m, k, pbuf, pb, 0, 0, &e);
        r.packed = &pk;
    }
    if (!s) {
        float *pooled[EFFAD_MAX_TAPS];
        size_t off = 0;
        for (int i = 0; i < m->n_taps; i++) { pooled[i] = out + off; off += (size_t)m->taps[i].channels; }
        r.threads = t;
        s = effad_run(&r, in, pooled, &e);
        if (wq_bytes) *wq_bytes = r.wq_bytes;
    }
    CHECK_MSG(s == EFFAD_OK, "run (%s): %s", effad_kernels_name(k), e.msg);
    free(arena); free(pbuf);
    return s == EFFAD_OK;
}

/* The conv records of an .efm image that may be weight-only: 1 + 3 per
 * block (expand, dw, project) + head, read and written in place. */
typedef struct efm_edit {
    uint8_t *buf; size_t n;
    efm_header h;
    efm_block_rec *blocks;
} efm_edit;

static int edit_open(efm_edit *ed, uint8_t *buf, size_t n)
{
    ed->buf = buf; ed->n = n;
    efm_header_decode(buf, &ed->h);
    ed->blocks = calloc(ed->h.n_blocks + 1, sizeof *ed->blocks);
    if (!ed->blocks) return 0;
    for (uint32_t i = 0; i < ed->h.n_blocks; i++)
        efm_block_decode(buf + ed->h.blocks_off + (size_t)i * efm_block_bytes(ed->h.version), ed->h.version,
                         &ed->blocks[i]);
    return 1;
}

static void edit_close(efm_edit *ed)
{
    for (uint32_t i = 0; i < ed->h.n_blocks; i++)
        efm_block_encode(&ed->blocks[i], ed->buf + ed->h.blocks_off + (size_t)i * efm_block_bytes(ed->h.version));
    memcpy(ed->h.magic, EFM_MAGIC, 8);   /* decoded as a string: 7 chars and a NUL */
    efm_header_encode(&ed->h, ed->buf);
    efm_seal(ed->buf, ed->n);
    free(ed->blocks);
}

static efm_tensor_rec tensor_at(const efm_edit *ed, uint32_t i)
{
    efm_tensor_rec t;
    efm_tensor_decode(ed->buf + ed->h.tensors_off + (size_t)i * EFM_TENSOR_BYTES, ed->h.version, &t);
    return t;
}

static void float_acts(efm_conv_rec *c)
{
    c->in_dtype = c->out_dtype = EFM_F32;
    c->in_scale = c->out_scale = 0.0f;
    c->in_zero = c->out_zero = 0;
}

/* Conv slot s of an edited file (plan.h's numbering), or NULL if absent. */
static efm_conv_rec *conv_slot(efm_edit *ed, int s)
{
    const int nb = (int)ed->h.n_blocks;
    efm_conv_rec *c = s == 0 ? &ed->h.stem : s == 1 + 3 * nb ? &ed->h.head
                    : &ed->blocks[(s - 1) / 3].conv[(s - 1) % 3 == 0 ? EFM_BC_EXPAND
                                                    : (s - 1) % 3 == 1 ? EFM_BC_DW : EFM_BC_PROJECT];
    return c->w == EFM_NONE ? 0 : c;
}

/* The reference's weights of conv slot s: q * scale from the int8 file,
 * written over the float file's (same shape and layout). Returns the
 * weight count, 0 when the slot is not int8 in q8. */
static size_t dequantise_into(efm_edit *f32, efm_edit *q8, int s)
{
    efm_conv_rec *cq = conv_slot(q8, s), *cf = conv_slot(f32, s);
    if (!cq || !cf) return 0;
    const efm_tensor_rec tq = tensor_at(q8, cq->w), tf = tensor_at(f32, cf->w);
    if (tq.dtype != EFM_S8 || tf.dtype != EFM_F32 || tq.bytes * 4 != tf.bytes) return 0;
    const efm_tensor_rec ts = tensor_at(q8, tq.qscale);
    const size_t n = (size_t)tq.bytes, cout = cq->cout;
    for (size_t i = 0; i < n; i++) {
        const float v = (float)(int8_t)q8->buf[tq.offset + i] * le_f32(q8->buf + ts.offset + 4 * (i % cout));
        le_put_f32(f32->buf + tf.offset + 4 * i, v);
    }
    return n;
}

/* The same for a squeeze-excite conv (ONNX's [out][in]: one scale per
 * row), which int8 and weight-only blocks both keep in int8. */
static void dequantise_se(efm_edit *f32, efm_edit *q8, int block, int which)
{
    const efm_conv_rec *cq = &q8->blocks[block].conv[which], *cf = &f32->blocks[block].conv[which];
    if (cq->w == EFM_NONE || cf->w == EFM_NONE) return;
    const efm_tensor_rec tq = tensor_at(q8, cq->w), tf = tensor_at(f32, cf->w);
    if (tq.dtype != EFM_S8 || tf.dtype != EFM_F32 || tq.bytes * 4 != tf.bytes) return;
    const efm_tensor_rec ts = tensor_at(q8, tq.qscale);
    for (size_t i = 0; i < (size_t)tq.bytes; i++) {
        const float v = (float)(int8_t)q8->buf[tq.offset + i] * le_f32(q8->buf + ts.offset + 4 * (i / cq->cin));
        le_put_f32(f32->buf + tf.offset + 4 * i, v);
    }
}

/* Largest |a - b| over the levels, relative to the largest |b|. */
static double rel_diff(const float *a, const float *b, size_t n)
{
    double d = 0, mag = 0;
    for (size_t i = 0; i < n; i++) {
        if (fabs((double)a[i] - b[i]) > d) d = fabs((double)a[i] - b[i]);
        if (fabs((double)b[i]) > mag) mag = fabs((double)b[i]);
    }
    return mag > 0 ? d / mag : d;
}

static void check_model(const char *dir, effad_threads *pool)
{
    char path[600];
    snprintf(path, sizeof path, "%s/model.onnx", dir);
    size_t n_onnx = 0, n_in = 0, n32 = 0, n8 = 0;
    uint8_t *onnx = slurp(path, &n_onnx), *efm32 = 0, *efm8 = 0;
    snprintf(path, sizeof path, "%s/input.f32", dir);
    float *input = slurp_f32(path, &n_in);
    if (!onnx || !input) { CHECK_MSG(0, "%s: fixture missing", dir); free(onnx); free(input); return; }
    n_in /= sizeof(float);
    effad_error e = { 0 };
    convert_options opt;
    memset(&opt, 0, sizeof opt);
    CHECK_MSG(effad_convert_onnx(onnx, n_onnx, &opt, &efm32, &n32, 0, &e) == EFFAD_OK, "%s: %s", dir, e.msg);
    static effad_model m32, m8, mw, mr, mbad;
    void *b32 = efm32 ? efm_try_load_copy(efm32, n32, &m32, &e) : 0, *b8 = 0, *bw = 0, *br = 0;
    uint8_t *efmw = 0, *efmr = 0;
    float *x = malloc(sizeof(float) * n_in);
    size_t total = 0;
    for (int t = 0; b32 && t < m32.n_taps; t++) total += (size_t)m32.taps[t].channels;
    float *lv32 = malloc(sizeof(float) * (total + 1)), *lv8 = malloc(sizeof(float) * (total + 1));
    float *lvw = malloc(sizeof(float) * (total + 1)), *lvr = malloc(sizeof(float) * (total + 1));
    float *lv = malloc(sizeof(float) * (total + 1));
    if (!b32 || !x || !lv32 || !lv8 || !lvw || !lvr || !lv) { CHECK_MSG(0, "%s: setup: %s", dir, e.msg); goto out; }

    /* the int8 model: calibrated on the input and noisy copies */
    static calib cal;
    calib_init(&cal, &m32);
    const effad_plan_opts unfused = { .n_workers = 1, .flags = EFFAD_PLAN_UNFUSED };
    for (int i = 0; i < 6; i++) {
        for (size_t j = 0; j < n_in; j++) x[j] = input[j] + (i ? 0.3f * noise() : 0.0f);
        size_t bytes;
        void *arena = 0;
        effad_runner r;
        if (!effad_arena_bytes(&m32, 0, &unfused, &bytes, &e) && !posix_memalign(&arena, 64, bytes) &&
            !effad_runner_init(&r, &m32, 0, &unfused, arena, bytes, &e)) {
            r.observe = calib_observe;
            r.observe_ctx = &cal;
            CHECK(effad_run(&r, x, 0, &e) == EFFAD_OK);
        }
        free(arena);
    }
    static convert_quant q;
    calib_quant(&cal, 1.5f, 8, &q);
    opt.quant = &q;
    CHECK_MSG(effad_convert_onnx(onnx, n_onnx, &opt, &efm8, &n8, 0, &e) == EFFAD_OK, "%s: int8: %s", dir, e.msg);
    if (!efm8 || !(b8 = efm_try_load_copy(efm8, n8, &m8, &e))) { CHECK_MSG(0, "%s: int8 load: %s", dir, e.msg); goto out; }

    /* weight-only: every int8 block and the head; the reference: the float
     * file with those weights dequantised */
    efmw = malloc(n8);
    efmr = malloc(n32);
    if (!efmw || !efmr) goto out;
    memcpy(efmw, efm8, n8);
    memcpy(efmr, efm32, n32);
    efm_edit ew, e8, er;
    if (!edit_open(&ew, efmw, n8) || !edit_open(&e8, efm8, n8) || !edit_open(&er, efmr, n32)) goto out;
    const int n_slots = 2 + 3 * (int)ew.h.n_blocks;
    size_t wq_dw_floats = 0, wq_1x1_floats = 0;
    int n_wq = 0;
    for (int s = 1; s < n_slots; s++) {
        efm_conv_rec *c = conv_slot(&ew, s);
        if (!c || c->in_dtype == EFM_F32) continue;
        float_acts(c);
        const size_t nw = dequantise_into(&er, &e8, s);
        CHECK_MSG(nw > 0, "%s: slot %d has no int8 weights to dequantise", dir, s);
        const size_t f64 = (nw * 4 + 63) / 64 * 16;   /* floats in whole 64-byte lines */
        if (s != n_slots - 1 && (s - 1) % 3 == 1) wq_dw_floats += f64;
        else if (f64 > wq_1x1_floats) wq_1x1_floats = f64;
        n_wq++;
    }
    for (int i = 0; i < (int)ew.h.n_blocks; i++) {
        dequantise_se(&er, &e8, i, EFM_BC_SE_REDUCE);
        dequantise_se(&er, &e8, i, EFM_BC_SE_EXPAND);
    }
    edit_close(&ew); edit_close(&er);
    free(e8.blocks);
    CHECK_MSG(n_wq >= 3, "%s: %d weight-only layers", dir, n_wq);
    bw = efm_try_load_copy(efmw, n8, &mw, &e);
    CHECK_MSG(bw != 0, "%s: the weight-only file does not load: %s", dir, e.msg);
    br = efm_try_load_copy(efmr, n32, &mr, &e);
    CHECK_MSG(br != 0, "%s: the reference does not load: %s", dir, e.msg);
    if (!bw || !br) goto out;

    /* a held-out input */
    for (size_t j = 0; j < n_in; j++) x[j] = input[j] * 0.8f + 0.2f * noise();
    const effad_kernel_set *sc = effad_kernels("scalar");
    size_t wq_plain = 0, wq_pre = 0;
    int packing_table = 0;
    run(&m32, sc, 0, 0, 0, x, lv32, 0);
    run(&m8, sc, 0, 0, 0, x, lv8, 0);
    run(&mr, sc, 0, 0, 0, x, lvr, 0);
    run(&mw, sc, 0, 0, 0, x, lvw, &wq_plain);
    /* a copy of each depthwise layer, one region the widest 1x1 fits */
    CHECK_EQ_INT(wq_plain, (wq_dw_floats + wq_1x1_floats) * sizeof(float));
    const double to_ref = rel_diff(lvw, lvr, total), to_f32 = rel_diff(lvw, lv32, total),
                 int8_to_ref = rel_diff(lv8, lvr, total);
    printf("  %-20s %d weight-only layers: max |diff| / max |level| against the dequantised float %.2g, the float "
           "original %.2g; int8 against the dequantised float %.2g\n", strrchr(dir, '/') + 1, n_wq, to_ref, to_f32,
           int8_to_ref);
    CHECK_MSG(to_ref < 5e-5, "%s: weight-only is %.3g from float32 on its own weights", dir, to_ref);
    CHECK_MSG(to_ref * 100 < to_f32 && to_ref * 100 < int8_to_ref, "%s: weight-only (%.3g) not clearly closer to its "
              "weights' float model than the float original (%.3g) or int8 (%.3g)", dir, to_ref, to_f32, int8_to_ref);

    /* every table x fusion x pool, pre-packed or not: the bits of that
     * table's one-thread pass planned the same way (a pre-packed plan
     * scales A rather than B by the gate where A is smaller: other bits) */
    for (size_t ki = 0; effad_kernels_at(ki); ki++) {
        const effad_kernel_set *k = effad_kernels_at(ki);
        if (!effad_kernels(effad_kernels_name(k))) {
            printf("  SKIP %s: this CPU does not run it\n", effad_kernels_name(k));
            continue;
        }
        for (int pre = 0; pre < 2; pre++) {
            const uint32_t flags = pre ? EFFAD_PLAN_PREPACKED : 0;
            size_t wqb = 0;
            if (!run(&mw, k, 0, &fuse_never, flags, x, lvw, &wqb) || !run(&mr, k, 0, &fuse_never, flags, x, lvr, 0))
                continue;
            if (pre && k->f32->gemm_pack) { wq_pre = wqb; packing_table = 1; }
            /* the packed panels too hold the dequantised weights */
            const double d = rel_diff(lvw, lvr, total);
            CHECK_MSG(d < 5e-5, "%s %s, packed %d: weight-only is %.3g from float32 on its own weights", dir,
                      effad_kernels_name(k), pre, d);
            const plan_fuse_rule *rules[2] = { &fuse_never, &fuse_always };
            for (int ri = 0; ri < 2; ri++)
                for (int tp = 0; tp < (pool ? 2 : 1); tp++) {
                    if (!run(&mw, k, tp ? pool : 0, rules[ri], flags, x, lv, 0)) continue;
                    CHECK_MSG(!memcmp(lv, lvw, sizeof(float) * total), "%s %s: fusion %d, %d threads, packed %d: "
                              "not the one-thread bits", dir, effad_kernels_name(k), ri, tp ? 3 : 1, pre);
                }
        }
    }
    /* a packing table's pre-packed plan keeps only the non-1x1 copies
     * (the NEON and scalar tables read B as it lies: nothing to check) */
    if (packing_table) CHECK_EQ_INT(wq_pre, wq_dw_floats * sizeof(float));

    /* refusals: one block's depthwise int8 again while its 1x1 layers stay
     * weight-only; then float32 weights given a uint8 input */
    for (int bad = 0; bad < 2; bad++) {
        const uint8_t *src = bad ? efmr : efmw;
        const size_t nb = bad ? n32 : n8;
        uint8_t *eb = malloc(nb);
        if (!eb) break;
        memcpy(eb, src, nb);
        efm_edit ed;
        if (!edit_open(&ed, eb, nb)) { free(eb); break; }
        efm_conv_rec *dw = &ed.blocks[0].conv[EFM_BC_DW];
        dw->in_dtype = dw->out_dtype = EFM_U8;
        dw->in_scale = dw->out_scale = 0.05f;
        dw->in_zero = dw->out_zero = 3;
        edit_close(&ed);
        void *bb = efm_try_load_copy(eb, nb, &mbad, &e);
        CHECK_MSG(!bb, "%s: edit %d loaded", dir, bad);
        CHECK_STR_CONTAINS(e.msg, bad ? "float32 weights need a float32 input" : "mixes float32, int8 and weight-only");
        free(bb); free(eb);
    }
out:
    free(b32); free(b8); free(bw); free(br); free(efm32); free(efm8); free(efmw); free(efmr);
    free(onnx); free(input); free(x); free(lv32); free(lv8); free(lvw); free(lvr); free(lv);
}

int main(void)
{
    effad_threads *pool = 0;
#ifdef EFFAD_HAVE_THREADS
    effad_error e = { 0 };
    pool = effad_threads_create(3, &e);
#endif
    printf("weight-only engine: int8 weights with float32 activations against the float model of the same weights\n");
    const char *dirs[] = { "tests/golden/tiny-tv-bn", "tests/golden/tiny-lm-static", "tests/golden/tiny-lm-dynamic" };
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) check_model(dirs[i], pool);
#ifdef EFFAD_HAVE_THREADS
    effad_threads_destroy(pool);
#endif
    return check_done("wq-engine");
}
