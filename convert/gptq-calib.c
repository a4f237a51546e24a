/* GPTQ codes for a network from calibration passes (gptq-calib.h). */
#include <stdlib.h>
#include <string.h>
#include "gptq-calib.h"
#include "gptq.h"

/* One layer to round: its float weights, and where its inputs come from. */
typedef struct glayer {
    int slot;
    const layer *c;             /* OIHW float weights, cout rows */
    int depthwise;
    int k;                      /* inputs per output: cin, or kh kw */
    size_t gram_doubles;
    size_t pixels;              /* of the map it reads (1x1) */
    ops_conv_geom g;            /* depthwise: the planned geometry */
    ops_hwc in;
    int out_h, out_w;
    double *h;                  /* its Gram matrices while its group runs */
} glayer;

struct gptq_calib {
    const mnet *net;
    int bits;
    glayer layers[QUANT_CODE_SLOTS];
    int n_layers;
    int group_end[QUANT_CODE_SLOTS], n_groups, current;   /* current: -1 between groups */
    glayer *by_slot[QUANT_CODE_SLOTS];   /* the current group's layers */
    const ops_f32_kernels *f;
    effad_threads *threads;
    void *gram_scratch, *round_scratch;
    int failed;                          /* a map that did not fit its layer, or a GEMM refusal */
    quant_codes *codes;
    gptq_calib_report rep;
};

/* The slot of block i's first layer: what the block's input feeds. */
static int first_slot(const mnet *m, int i)
{
    return 3 * i + (m->blocks[i].expand ? QUANT_SLOT_EXPAND : QUANT_SLOT_DW);
}

/* The layer an observed map is the input of, or -1. */
static int fed_slot(const mnet *m, effad_point at, int block)
{
    switch (at) {
    case EFFAD_AT_STEM: return first_slot(m, 0);
    case EFFAD_AT_BLOCK_OUT:
        if (block + 1 < m->n_blocks) return first_slot(m, block + 1);
        return m->head ? 3 * m->n_blocks : -1;
    case EFFAD_AT_EXPAND: return 3 * block + QUANT_SLOT_DW;
    case EFFAD_AT_DEPTHWISE: return m->blocks[block].se_c ? -1 : 3 * block + QUANT_SLOT_PROJECT;   /* else gated */
    case EFFAD_AT_GATED: return 3 * block + QUANT_SLOT_PROJECT;
    case EFFAD_AT_HEAD: return -1;
    }
    return -1;
}

void gptq_calib_observe(void *ctx, effad_point at, int block, const float *map, int h, int w, int c,
                        const float *chan_scale)
{
    gptq_calib *col = ctx;
    const int slot = fed_slot(col->net, at, block);
    glayer *l = slot >= 0 ? col->by_slot[slot] : 0;
    if (!l || col->failed) return;
    if (l->depthwise) {
        if (h != l->in.h || w != l->in.w || c != l->in.c) { col->failed = 1; return; }
        gptq_gram_dw(l->h, map, l->in, &l->g, l->out_h, l->out_w, col->threads, col->gram_scratch);
    } else {
        if (c != l->k || (size_t)h * (size_t)w != l->pixels) { col->failed = 1; return; }
        if (gptq_gram_1x1(l->h, l->k, map, l->pixels, chan_scale, col->f, col->threads, col->gram_scratch)) col->failed = 1;
    }
}

/* The layers of net in network order, with what their inputs look like
 * at r's geometry. Returns how many. */
static int list_layers(const effad_runner *r, const mnet *net, glayer *out)
{
    int n = 0;
    for (int i = 0; i < net->n_blocks; i++) {
        const mblock *b = &net->blocks[i];
        const effad_geom g = effad_block_geom(r, i);
        const effad_conv *dw = &r->m->blocks[i].dw;
        const size_t in_px = (size_t)g.in_h * g.in_w, out_px = (size_t)g.out_h * g.out_w;
        if (b->expand) {
            glayer l = { .slot = 3 * i + QUANT_SLOT_EXPAND, .c = b->expand, .k = b->expand->cin, .pixels = in_px };
            out[n++] = l;
        }
        glayer d = { .slot = 3 * i + QUANT_SLOT_DW, .c = b->dw, .depthwise = 1, .k = b->dw->kh * b->dw->kw,
                     .in = { g.in_h, g.in_w, b->mid_c }, .out_h = g.out_h, .out_w = g.out_w };
        const ops_conv_geom cg = { dw->kh, dw->kw, dw->stride_h, dw->stride_w, dw->dil_h, dw->dil_w,
                                   g.pad_top, g.pad_left, g.pad_bottom, g.pad_right };
        d.g = cg;
        out[n++] = d;
        glayer p = { .slot = 3 * i + QUANT_SLOT_PROJECT, .c = b->project, .k = b->project->cin, .pixels = out_px };
        out[n++] = p;
    }
    if (net->head) {
        const effad_geom g = effad_block_geom(r, net->n_blocks - 1);
        glayer l = { .slot = 3 * net->n_blocks, .c = net->head, .k = net->head->cin,
                     .pixels = (size_t)g.out_h * g.out_w };
        out[n++] = l;
    }
    for (int i = 0; i < n; i++)
        out[i].gram_doubles = GPTQ_TRI(out[i].k) * (size_t)(out[i].depthwise ? out[i].c->cout : 1);
    return n;
}

effad_status gptq_calib_open(gptq_calib **out, const effad_runner *r, const mnet *net, int bits, size_t budget_bytes,
                             effad_error *e)
{
    *out = 0;
    if (net->n_blocks != r->m->n_blocks) return effad_fail(e, EFFAD_ERR_MISMATCH, "GPTQ: the runner's model is not the network's");
    gptq_calib *g = calloc(1, sizeof *g);
    if (!g) return effad_fail(e, EFFAD_ERR_NOMEM, "out of memory");
    g->net = net; g->bits = bits; g->f = r->k->f32; g->threads = r->threads; g->current = -1;
    g->n_layers = list_layers(r, net, g->layers);
    const int workers = r->threads ? r->threads->n_threads : 1;
    size_t gram_scratch = 0, round_scratch = 0;
    for (int i = 0; i < g->n_layers; i++) {
        const glayer *l = &g->layers[i];
        const size_t gs = l->depthwise ? gptq_gram_dw_scratch_bytes(l->c->kh, l->c->kw, l->in.w, workers)
                                       : gptq_gram_1x1_scratch_bytes(l->k, l->pixels, workers, g->f);
        const size_t rs = gptq_round_scratch_bytes(l->c->cout, l->k, workers);
        gram_scratch = gs > gram_scratch ? gs : gram_scratch;
        round_scratch = rs > round_scratch ? rs : round_scratch;
    }
    /* consecutive layers while their matrices fit the budget (a layer
     * alone may exceed it: it then is a group of its own) */
    size_t bytes = 0;
    for (int i = 0; i < g->n_layers; i++) {
        const size_t b = sizeof(double) * g->layers[i].gram_doubles;
        if (i > 0 && bytes + b > budget_bytes) { g->group_end[g->n_groups++] = i; bytes = 0; }
        bytes += b;
        g->rep.gram_bytes = bytes > g->rep.gram_bytes ? bytes : g->rep.gram_bytes;
    }
    if (g->n_layers) g->group_end[g->n_groups++] = g->n_layers;
    g->codes = calloc(1, sizeof *g->codes);
    g->gram_scratch = malloc(gram_scratch ? gram_scratch : 1);
    g->round_scratch = malloc(round_scratch ? round_scratch : 1);
    if (!g->codes || !g->gram_scratch || !g->round_scratch) {
        gptq_calib_close(g);
        return effad_fail(e, EFFAD_ERR_NOMEM, "out of memory");
    }
    g->codes->bits = bits;
    *out = g;
    return EFFAD_OK;
}

int gptq_calib_groups(const gptq_calib *g) { return g->n_groups; }

static int group_start(const gptq_calib *g, int group) { return group ? g->group_end[group - 1] : 0; }

effad_status gptq_calib_begin(gptq_calib *g, int group, effad_error *e)
{
    if (g->current >= 0 || group < 0 || group >= g->n_groups)
        return effad_fail(e, EFFAD_ERR_ARG, "GPTQ: group %d of %d begun out of turn", group, g->n_groups);
    memset(g->by_slot, 0, sizeof g->by_slot);
    g->current = group;
    g->failed = 0;
    for (int i = group_start(g, group); i < g->group_end[group]; i++) {
        glayer *l = &g->layers[i];
        if (!(l->h = calloc(l->gram_doubles, sizeof(double))))
            return effad_fail(e, EFFAD_ERR_NOMEM, "out of memory for %zu bytes of Gram matrices",
                              sizeof(double) * l->gram_doubles);
        g->by_slot[l->slot] = l;
    }
    return EFFAD_OK;
}

/* Rounds layer l from its Gram matrices into the codes. */
static effad_status round_layer(gptq_calib *g, const glayer *l, effad_error *e)
{
    const int rows = l->c->cout;
    int8_t *q = malloc((size_t)rows * (size_t)l->k);
    float *scale = malloc(sizeof(float) * (size_t)rows);
    if (!q || !scale) { free(q); free(scale); return effad_fail(e, EFFAD_ERR_NOMEM, "out of memory"); }
    g->rep.not_factorised +=
        gptq_round(l->c->w, rows, l->k, l->h, l->depthwise, g->bits, q, scale, g->threads, g->round_scratch);
    g->codes->q[l->slot] = q;
    g->codes->scale[l->slot] = scale;
    g->rep.layers++;
    return EFFAD_OK;
}

static void free_group(gptq_calib *g)
{
    if (g->current < 0) return;
    for (int i = group_start(g, g->current); i < g->group_end[g->current]; i++) {
        free(g->layers[i].h);
        g->layers[i].h = 0;
    }
    memset(g->by_slot, 0, sizeof g->by_slot);
    g->current = -1;
}

effad_status gptq_calib_end(gptq_calib *g, effad_error *e)
{
    if (g->current < 0) return effad_fail(e, EFFAD_ERR_ARG, "GPTQ: no group to end");
    effad_status s = g->failed ? effad_fail(e, EFFAD_ERR_UNSUPPORTED, "GPTQ: a layer's input map is not what its "
                                            "geometry says") : EFFAD_OK;
    for (int i = group_start(g, g->current); i < g->group_end[g->current] && !s; i++)
        s = round_layer(g, &g->layers[i], e);
    free_group(g);
    g->rep.groups++;
    return s;
}

quant_codes *gptq_calib_take(gptq_calib *g, gptq_calib_report *rep)
{
    if (rep) *rep = g->rep;
    if (g->rep.groups < g->n_groups) return 0;
    quant_codes *c = g->codes;
    g->codes = 0;
    return c;
}

void gptq_calib_close(gptq_calib *g)
{
    if (!g) return;
    free_group(g);
    quant_codes_free(g->codes);
    free(g->gram_scratch); free(g->round_scratch);
    free(g);
}

effad_status gptq_calibrate(effad_runner *r, const mnet *net, const float *inputs, int n, size_t floats, int bits,
                            size_t budget_bytes, void (*progress)(void *ctx, const char *stage, int done, int total),
                            void *progress_ctx, quant_codes **codes, gptq_calib_report *rep, effad_error *e)
{
    *codes = 0;
    memset(rep, 0, sizeof *rep);
    gptq_calib *g;
    effad_status s = gptq_calib_open(&g, r, net, bits, budget_bytes, e);
    if (s) return s;
    const effad_observe_fn keep_fn = r->observe;
    void *const keep_ctx = r->observe_ctx;
    r->observe = gptq_calib_observe;
    r->observe_ctx = g;
    const int n_groups = gptq_calib_groups(g);
    for (int i = 0; i < n_groups && !s; i++) {
        s = gptq_calib_begin(g, i, e);
        for (int k = 0; k < n && !s; k++) {
            s = effad_run(r, inputs + (size_t)k * floats, 0, e);
            if (progress) progress(progress_ctx, "GPTQ rounding", i * n + k + 1, n_groups * n);
        }
        if (!s) s = gptq_calib_end(g, e);
    }
    r->observe = keep_fn;
    r->observe_ctx = keep_ctx;
    if (!s) *codes = gptq_calib_take(g, rep);
    gptq_calib_close(g);
    return s;
}
