/*
 * demo-model.c -- the deterministic demo EfficientNet (see demo-model.h).
 *
 * Builds the same structures the ONNX path ends in -- layers with OIHW
 * float weights, an mnet block table, stage-end taps -- and hands them to
 * efm_write, so there is one writer and one format.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "demo-model.h"
#include "efm-format.h"
#include "efm-write.h"
#include "rng.h"

/* ================================================================ the net */

/* EfficientNet-B0's stages (Tan & Le 2019, table 1: kernel sizes, strides)
 * at half its widths, expansion 4 instead of 6 and 10 blocks instead of
 * 16: 15.6 M multiply-adds at 128 x 128, so the demo's 120 images run in
 * about 2 s on one core with the scalar kernels. The full B0 depth at
 * these widths (34 M) detected no better on the synthetic set. */
typedef struct stage_def { int expand, k, stride, out_c, repeats; } stage_def;
static const stage_def stages[] = {
    { 1, 3, 1,   8, 1 },
    { 4, 3, 2,  12, 1 },
    { 4, 5, 2,  20, 1 },
    { 4, 3, 2,  40, 2 },
    { 4, 5, 1,  56, 2 },
    { 4, 5, 2,  96, 2 },
    { 4, 3, 1, 160, 1 },
};
#define N_STAGES ((int)(sizeof stages / sizeof stages[0]))
#define STEM_C 16
#define HEAD_C 320

/* Weight variance = gain / fan_in. Without BatchNorm nothing re-normalises
 * the activations, so each gain undoes what its layer takes away:
 *   before swish: E[swish(x)^2] is about 0.36 Var(x) for centred x, so
 *     about 1/0.36 holds the variance on the way in;
 *   depthwise: fan_in is only k*k and neighbouring inputs are correlated,
 *     so a smaller gain;
 *   project (linear): the SE gate (sigmoid, about 0.5) halves its input's
 *     scale and gain 4 restores it; on a skip block the residual branch
 *     is kept at 1/8 of that so the sum grows slowly over the repeats;
 *   SE expand feeds a sigmoid: gain 1 keeps the gates spread around 0.5.
 * Measured on the synthetic textures (test-synth prints it), the level RMS
 * falls gently from about 0.35 at the stem to 0.03 at the head: no BN-free
 * net holds it flat for every input, and the Gaussian is scale-invariant;
 * what must not happen is the exponential blow-up or collapse that gains
 * a third higher or lower already produce (measured: head RMS 9000 or
 * 0.007). */
#define GAIN_SWISH     4.0f
#define GAIN_DW        2.5f
#define GAIN_PROJECT   4.0f
#define GAIN_RESIDUAL  0.5f
#define GAIN_GATE      1.0f
#define BIAS_RANGE     0.01f

/* ================================================================ builder */

#define MAX_LAYERS (2 + 5 * EFFAD_MAX_BLOCKS)

typedef struct builder {
    rng r;
    int tf_same;
    layer *l;
    int n;
    effad_error *e;
} builder;

/* A k x k convolution on an in_h x in_w map with uniform weights of
 * variance gain / fan_in (U(-a, a) has variance a^2 / 3) and small biases.
 * NULL when out of memory. */
static layer *conv(builder *b, int cin, int cout, int k, int stride, int groups,
                   ops_act_kind act, float gain, int in_h, int in_w)
{
    if (b->n == MAX_LAYERS) return NULL;
    layer *c = &b->l[b->n++];
    memset(c, 0, sizeof *c);
    c->kind = L_CONV;
    c->node = -1; c->in0 = c->in1 = c->out = -1;
    c->cin = cin; c->cout = cout; c->kh = c->kw = k; c->groups = groups;
    c->stride_h = c->stride_w = stride; c->dil_h = c->dil_w = 1;
    c->act.kind = act;
    if (b->tf_same) {
        /* pads as TensorFlow's "same" at the native size, like a lukemelas
         * export; the engine recomputes them at other sizes */
        ops_tf_same_pad(in_h, k, stride, 1, &c->pads[0], &c->pads[2]);
        ops_tf_same_pad(in_w, k, stride, 1, &c->pads[1], &c->pads[3]);
        c->pad_mode = EFM_PAD_TF_SAME;
    } else {
        c->pads[0] = c->pads[1] = c->pads[2] = c->pads[3] = k / 2;
        c->pad_mode = EFM_PAD_SYMMETRIC;
    }
    int fan_in = cin / groups * k * k;
    size_t count = (size_t)cout * (size_t)(cin / groups) * (size_t)k * (size_t)k;
    c->w = malloc(sizeof(float) * count);
    c->b = malloc(sizeof(float) * (size_t)cout);
    if (!c->w || !c->b) return NULL;
    /* Platforms differ in how they evaluate float expressions (s390x:
     * FLT_EVAL_METHOD 1, in double). So the scale is computed in double
     * and rounded once, and each weight is a product of two floats, which
     * is exact in double and so rounds the same either way. */
    float a = (float)sqrt(3.0 * (double)gain / (double)fan_in);
    for (size_t i = 0; i < count; i++) c->w[i] = (2.0f * rng_unit(&b->r) - 1.0f) * a;
    /* the cast matters: with FLT_EVAL_METHOD 1 (s390x) the constant 0.01f
     * may be evaluated as the double 0.01, which changed an ulp of every
     * bias before it was there */
    for (int i = 0; i < cout; i++) c->b[i] = (2.0f * rng_unit(&b->r) - 1.0f) * (float)BIAS_RANGE;
    return c;
}

static void free_layers(builder *b)
{
    for (int i = 0; i < b->n; i++) { free(b->l[i].w); free(b->l[i].b); }
    free(b->l);
}

void demo_model_options_default(demo_model_options *o)
{
    memset(o, 0, sizeof *o);
    o->seed = DEMO_MODEL_SEED;
    o->in_h = o->in_w = DEMO_MODEL_HW;
}

static const char *const tap_names[] = { "stem", "stage1", "stage2", "stage3", "stage4",
                                         "stage5", "stage6", "stage7", "head" };

effad_status demo_model_build(const demo_model_options *opt, uint8_t **efm, size_t *efm_bytes,
                              effad_error *e)
{
    demo_model_options def;
    if (!opt) { demo_model_options_default(&def); opt = &def; }
    if (!efm || !efm_bytes) return effad_fail(e, EFFAD_ERR_ARG, "demo model: no output");
    *efm = NULL; *efm_bytes = 0;
    int H = opt->in_h ? opt->in_h : DEMO_MODEL_HW, W = opt->in_w ? opt->in_w : DEMO_MODEL_HW;
    if (H < 32 || W < 32 || H > 4096 || W > 4096)
        return effad_fail(e, EFFAD_ERR_ARG, "demo model: input %dx%d outside 32..4096", H, W);

    builder b = { rng_seeded(opt->seed), opt->tf_same != 0, calloc(MAX_LAYERS, sizeof(layer)), 0, e };
    mnet *m = calloc(1, sizeof *m);
    effad_status s = EFFAD_OK;
    if (!b.l || !m) { s = effad_fail(e, EFFAD_ERR_NOMEM, "demo model: out of memory"); goto done; }

#define NEED(x) do { if (!(x)) { s = effad_fail(e, EFFAD_ERR_NOMEM, "demo model: out of memory"); goto done; } } while (0)
    int h = H, w = W, c = STEM_C;
    NEED(m->stem = conv(&b, 3, STEM_C, 3, 2, 1, OPS_ACT_SWISH, GAIN_SWISH, h, w));
    h = (h + 1) / 2; w = (w + 1) / 2;     /* stride 2 with k/2 or "same" pads */
    for (int st = 0; st < N_STAGES; st++) {
        const stage_def *sd = &stages[st];
        for (int rep = 0; rep < sd->repeats; rep++) {
            mblock *blk = &m->blocks[m->n_blocks++];
            int stride = rep == 0 ? sd->stride : 1;
            blk->stage = st;
            blk->in_c = c;
            blk->mid_c = c * sd->expand;
            blk->out_c = sd->out_c;
            blk->se_c = c / 4 > 0 ? c / 4 : 1;     /* B0: 0.25 of the block input */
            blk->skip = stride == 1 && c == sd->out_c;
            blk->out_val = -1;
            if (sd->expand != 1)
                NEED(blk->expand = conv(&b, c, blk->mid_c, 1, 1, 1, OPS_ACT_SWISH, GAIN_SWISH, h, w));
            NEED(blk->dw = conv(&b, blk->mid_c, blk->mid_c, sd->k, stride, blk->mid_c, OPS_ACT_SWISH, GAIN_DW, h, w));
            h = (h + stride - 1) / stride; w = (w + stride - 1) / stride;
            NEED(blk->se_reduce = conv(&b, blk->mid_c, blk->se_c, 1, 1, 1, OPS_ACT_SWISH, GAIN_SWISH, 1, 1));
            NEED(blk->se_expand = conv(&b, blk->se_c, blk->mid_c, 1, 1, 1, OPS_ACT_SIGMOID, GAIN_GATE, 1, 1));
            NEED(blk->project = conv(&b, blk->mid_c, blk->out_c, 1, 1, 1, OPS_ACT_NONE,
                                     blk->skip ? GAIN_RESIDUAL : GAIN_PROJECT, h, w));
            c = sd->out_c;
        }
    }
    NEED(m->head = conv(&b, c, HEAD_C, 1, 1, 1, OPS_ACT_SWISH, GAIN_SWISH, h, w));
#undef NEED
    m->n_stages = N_STAGES;
    m->in_h = H; m->in_w = W;

    /* the paper's levels: stem, the last block of each stage, head */
    m->tap_rule = "stage-end";
    m->taps[m->n_taps++] = (mtap){ 0, 0, STEM_C, tap_names[0], "" };
    for (int st = 0, i = 0; st < N_STAGES; st++) {
        while (i + 1 < m->n_blocks && m->blocks[i + 1].stage == st) i++;
        m->taps[m->n_taps++] = (mtap){ i + 1, 0, m->blocks[i].out_c, tap_names[st + 1], "" };
        i++;
    }
    m->taps[m->n_taps++] = (mtap){ m->n_blocks + 1, 0, HEAD_C, tap_names[N_STAGES + 1], "" };

    char source[EFFAD_NAME_BYTES];
    snprintf(source, sizeof source, "effad demo (deterministic weights, seed %llu)",
             (unsigned long long)opt->seed);
    efm_write_options wo = { { 0.485f, 0.456f, 0.406f }, { 0.229f, 0.224f, 0.225f }, source, opt->quant, 0 };
    s = efm_write(m, &wo, efm, efm_bytes, e);
done:
    free(m);
    if (b.l) free_layers(&b);
    return s;
}
