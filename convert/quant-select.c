/* int8 calibration chosen by measurement (quant-select.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "quant-select.h"
#include "level-error.h"
#include "quant.h"
#include "gptq-calib.h"

const float quant_headrooms[QUANT_N_HEADROOMS] = { 1.0f, 1.25f, 1.5f, 2.0f, 3.0f, 4.0f, 6.0f };

/* One .efm written, loaded and planned, ready to run inputs. */
typedef struct model_run {
    uint8_t *efm;
    effad_model *m;
    void *arena;
    effad_runner r;
} model_run;

typedef struct selector {
    const convert_session *cs;
    const quant_inputs *in;
    const quant_select_options *o;
    const effad_kernel_set *k;
    int n_blocks, has_head, n_units, n_points;
    int n_taps;
    size_t tap_off[EFFAD_MAX_TAPS + 1];      /* level t: [tap_off[t], tap_off[t + 1]) of a row */
    float *ref, *lv;                         /* n_measure rows of float / candidate levels */
    float *mean, *sigma;                     /* one row each: the good images' moments per feature */
    calib_hist hist;
    quant_range cand[CALIB_MAX_POINTS][CALIB_N_METHODS];
    uint8_t method[CALIB_MAX_POINTS];
    uint8_t unit[EFFAD_MAX_BLOCKS + 1];      /* the current choice: QUANT_UNIT_* per unit */
    quant_select_report *rep;
    effad_error *e;
} selector;

static void model_close(model_run *mr)
{
    free(mr->efm); free(mr->m); free(mr->arena);
    memset(mr, 0, sizeof *mr);
}

static effad_status model_open(selector *s, const convert_quant *q, uint32_t flags, model_run *mr)
{
    memset(mr, 0, sizeof *mr);
    size_t n = 0, arena_bytes = 0;
    effad_status st = convert_write(s->cs, q, &mr->efm, &n, s->e);
    if (st) return st;
    mr->m = malloc(sizeof *mr->m);
    if (!mr->m) { model_close(mr); return effad_fail(s->e, EFFAD_ERR_NOMEM, "out of memory"); }
    /* efm_write's buffer comes from malloc: aligned enough to load in place */
    if ((st = effad_model_load_writable(mr->m, mr->efm, n, s->e))) { model_close(mr); return st; }
    const effad_plan_opts po = { .n_workers = s->o->threads ? s->o->threads->n_threads : 1, .flags = flags };
    if ((st = effad_arena_bytes(mr->m, s->k, &po, &arena_bytes, s->e))) { model_close(mr); return st; }
    if (posix_memalign(&mr->arena, 64, arena_bytes)) {
        mr->arena = 0;
        model_close(mr);
        return effad_fail(s->e, EFFAD_ERR_NOMEM, "out of memory for a %zu-byte arena", arena_bytes);
    }
    if ((st = effad_runner_init(&mr->r, mr->m, s->k, &po, mr->arena, arena_bytes, s->e))) { model_close(mr); return st; }
    mr->r.threads = s->o->threads;
    return EFFAD_OK;
}

/* Runs n inputs; out (may be NULL) gets each one's pooled levels as a row. */
static effad_status model_levels(selector *s, model_run *mr, const float *inputs, int n, float *out)
{
    for (int i = 0; i < n; i++) {
        float *pooled[EFFAD_MAX_TAPS];
        for (int t = 0; t < s->n_taps; t++) pooled[t] = out ? out + (size_t)i * s->tap_off[s->n_taps] + s->tap_off[t] : 0;
        effad_status st = effad_run(&mr->r, inputs + (size_t)i * s->in->floats, out ? pooled : 0, s->e);
        if (st) return st;
    }
    return EFFAD_OK;
}

/* The error of quantisation q: its levels against float32's on the
 * measurement images, relative to each image's distance from the good
 * images (level_error_relative), mean over the levels; err_defective (may
 * be NULL): the same over the defective images. */
static effad_status error_of(selector *s, const convert_quant *q, const char *stage, int done, int total,
                             double *err, double *err_defective, long long *file_bytes)
{
    model_run mr;
    effad_status st = model_open(s, q, 0, &mr);
    if (!st && file_bytes) *file_bytes = (long long)mr.m->n_bytes;
    if (!st) st = model_levels(s, &mr, s->in->measure, s->in->n_measure, s->lv);
    model_close(&mr);
    if (st) return st;
    s->rep->passes += s->in->n_measure;
    const size_t row = s->tap_off[s->n_taps];
    const int nd = s->in->n_measure_defective, from = s->in->n_measure - nd;
    double sum = 0, sum_d = 0;
    int used = 0;
    for (int t = 0; t < s->n_taps; t++) {
        if (s->rep->level_still[t]) continue;
        used++;
        const size_t dim = s->tap_off[t + 1] - s->tap_off[t], at = s->tap_off[t];
        sum += level_error_relative(s->ref + at, s->lv + at, (size_t)s->in->n_measure, dim, row, s->mean + at,
                                    s->sigma + at);
        if (err_defective && nd > 0)
            sum_d += level_error_relative(s->ref + (size_t)from * row + at, s->lv + (size_t)from * row + at, (size_t)nd,
                                          dim, row, s->mean + at, s->sigma + at);
    }
    *err = sum / used;
    if (err_defective) *err_defective = nd > 0 ? sum_d / used : 0;
    if (s->o->progress) s->o->progress(s->o->progress_ctx, stage, done, total);
    return EFFAD_OK;
}

/* The quantisation with every point at its chosen method, ranges widened
 * by headroom, each unit as unit[] says (QUANT_UNIT_*). */
static void fill_quant(const selector *s, float headroom, const uint8_t *unit, convert_quant *q)
{
    memset(q, 0, sizeof *q);
    q->weight_bits = s->o->weight_bits;
    q->weight_round = s->o->weight_round;
    q->act_bits = s->o->act_bits;
    q->act16_widen = headroom < CONVERT_HEADROOM_16 ? CONVERT_HEADROOM_16 / headroom : 1.0f;
    q->n_blocks = s->n_blocks;
    for (int p = 0; p < s->n_points; p++) {
        const quant_range r = s->cand[p][s->method[p]];
        quant_range *d = calib_point_range(q, p);
        d->lo = r.lo * headroom;
        d->hi = r.hi * headroom;
    }
    for (int i = 0; i < s->n_blocks; i++) q->block_int8[i] = unit[i];
    q->head_int8 = s->has_head ? unit[s->n_blocks] : QUANT_UNIT_FLOAT;
}

/* Unit u alone in int8. */
static void only(int u, uint8_t *unit)
{
    memset(unit, QUANT_UNIT_FLOAT, EFFAD_MAX_BLOCKS + 1);
    unit[u] = QUANT_UNIT_INT8;
}

/* The points unit u decides: a block's own layer outputs (block 0 also its
 * input, the stem's output); the head its output. */
static int unit_points(const selector *s, int u, int *pts)
{
    int n = 0;
    if (u == s->n_blocks) { pts[n++] = s->n_points - 1; return n; }
    if (u == 0) pts[n++] = 0;
    for (int k = CALIB_EXPAND; k <= CALIB_OUT; k++) {
        const int p = 1 + 4 * u + k;
        if (s->rep->observed[p]) pts[n++] = p;
    }
    return n;
}

static int same_type(const selector *s, quant_range a, quant_range b)
{
    effad_qtype x = quant_qtype(a, s->o->act_bits), y = quant_qtype(b, s->o->act_bits);
    return x.scale == y.scale && x.zero_point == y.zero_point;
}

/* Stage 1: per point, the method whose network output is closest. */
static effad_status choose_methods(selector *s, float headroom)
{
    int total = 0, done = 0;
    for (int u = 0; u < s->n_units; u++) {
        int pts[5];
        total += 1 + (CALIB_N_METHODS - 1) * unit_points(s, u, pts);
    }
    for (int u = 0; u < s->n_units; u++) {
        int pts[5];
        const int np = unit_points(s, u, pts);
        uint8_t int8[EFFAD_MAX_BLOCKS + 1];
        only(u, int8);
        convert_quant q;
        fill_quant(s, headroom, int8, &q);
        double best;
        effad_status st = error_of(s, &q, "range per tensor", ++done, total, &best, 0, 0);
        if (st) return st;
        for (int k = 0; k < np; k++) {
            const int p = pts[k], current = s->method[p];
            for (int m = 0; m < CALIB_N_METHODS; m++) {
                if (m == current) continue;
                done++;
                if (same_type(s, s->cand[p][m], s->cand[p][s->method[p]])) continue;   /* same bits: nothing to measure */
                const int keep = s->method[p];
                s->method[p] = (uint8_t)m;
                fill_quant(s, headroom, int8, &q);
                double err;
                if ((st = error_of(s, &q, "range per tensor", done, total, &err, 0, 0))) return st;
                if (err < best) best = err;
                else s->method[p] = (uint8_t)keep;
            }
        }
    }
    return EFFAD_OK;
}

static int cmp_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Each unit alone in int8 at the final ranges: its error, and the bytes
 * keeping it float32 adds. */
static effad_status measure_units(selector *s, float headroom)
{
    quant_select_report *rep = s->rep;
    double sorted[EFFAD_MAX_BLOCKS + 1];
    for (int u = 0; u < s->n_units; u++) {
        uint8_t one[EFFAD_MAX_BLOCKS + 1];
        convert_quant q;
        only(u, one);
        fill_quant(s, headroom, one, &q);
        long long bytes;
        effad_status st = error_of(s, &q, "error per block", u + 1, s->n_units, &rep->unit_error[u], 0, &bytes);
        if (st) return st;
        rep->unit_bytes[u] = rep->float_bytes - bytes;
        sorted[u] = rep->unit_error[u];
    }
    rep->units_measured = 1;
    qsort(sorted, (size_t)s->n_units, sizeof *sorted, cmp_double);
    rep->median_unit_error = s->n_units % 2 ? sorted[s->n_units / 2]
                                            : 0.5 * (sorted[s->n_units / 2 - 1] + sorted[s->n_units / 2]);
    return EFFAD_OK;
}

/* Stage 3: units above the median error stay float32 in order of error
 * per byte while the budget lasts. */
/* The bytes of the file the current choice writes. */
static effad_status file_bytes(selector *s, float headroom, long long *bytes)
{
    convert_quant q;
    fill_quant(s, headroom, s->unit, &q);
    uint8_t *efm = 0;
    size_t n = 0;
    effad_status st = convert_write(s->cs, &q, &efm, &n, s->e);
    free(efm);
    *bytes = (long long)n;
    return st;
}

static effad_status choose_float(selector *s, float headroom)
{
    quant_select_report *rep = s->rep;
    effad_status st = measure_units(s, headroom);
    if (!st) st = file_bytes(s, headroom, &rep->base_bytes);
    if (st) return st;
    double budget = (double)s->o->float_budget * (double)rep->float_bytes;
    if (s->o->max_size > 0) {
        const double room = (double)s->o->max_size * (double)rep->float_bytes - (double)rep->base_bytes;
        if (room < budget) budget = room > 0 ? room : 0;
    }
    rep->float_budget_bytes = (long long)budget;
    double spent = 0;
    for (;;) {
        int pick = -1;
        double pick_rate = 0;
        for (int u = 0; u < s->n_units; u++) {
            if (s->unit[u] != QUANT_UNIT_INT8 || !(rep->unit_error[u] > rep->median_unit_error)) continue;
            if (spent + (double)rep->unit_bytes[u] > budget) continue;
            const double rate = rep->unit_error[u] / (double)(rep->unit_bytes[u] > 0 ? rep->unit_bytes[u] : 1);
            if (pick < 0 || rate > pick_rate) { pick = u; pick_rate = rate; }
        }
        if (pick < 0) return EFFAD_OK;
        s->unit[pick] = QUANT_UNIT_FLOAT;
        rep->unit_float[pick] = QUANT_BY_MEASURE;
        spent += (double)rep->unit_bytes[pick];
    }
}

/* One kind of unit stage 3a/3b may turn an int8 unit into, its budget in
 * MACs and the report's arrays for it. */
typedef struct on_top {
    int kind;                 /* QUANT_UNIT_INT16 or QUANT_UNIT_WEIGHTS */
    float budget_frac;        /* of the network's MACs */
    uint8_t *chosen, *tried;
    double *before, *after;
    double spent;
} on_top;

/* Stages 3a and 3b: the int8 units at or above the median error, worst
 * first, each tried as every kind whose budget still has room for it, on
 * top of the current choice; the kind with the least error (the first
 * listed on a tie: 16x8, the faster) is kept when it cuts the whole
 * network's error by QUANT_WEIGHTS_GAIN. Both kinds remove most of an
 * int8 unit's error, and which removes more varies from network to
 * network (measured, quant-select.h), so neither is tried alone first. */
static effad_status choose_on_top(selector *s, float headroom, on_top *kinds, int n_kinds)
{
    quant_select_report *rep = s->rep;
    effad_status st;
    if (!rep->units_measured && (st = measure_units(s, headroom))) return st;
    double widest = 0;
    for (int k = 0; k < n_kinds; k++)
        if ((double)kinds[k].budget_frac > widest) widest = (double)kinds[k].budget_frac;
    int order[EFFAD_MAX_BLOCKS + 1], n = 0;
    for (int u = 0; u < s->n_units; u++)
        if (s->unit[u] == QUANT_UNIT_INT8 && rep->unit_error[u] >= rep->median_unit_error &&
            (double)rep->unit_macs[u] <= widest * (double)rep->macs)
            order[n++] = u;
    if (!n) return EFFAD_OK;
    for (int i = 1; i < n; i++)   /* by error, descending; ties keep the unit order */
        for (int j = i; j > 0 && rep->unit_error[order[j]] > rep->unit_error[order[j - 1]]; j--) {
            const int t = order[j]; order[j] = order[j - 1]; order[j - 1] = t;
        }
    static const char stage[] = "16x8 or weight-only";
    const int total = 1 + n * n_kinds;
    int done = 1;
    double best;
    convert_quant q;
    fill_quant(s, headroom, s->unit, &q);
    if ((st = error_of(s, &q, stage, done, total, &best, 0, 0))) return st;
    for (int i = 0; i < n; i++) {
        const int u = order[i];
        int pick = -1;
        double pick_err = INFINITY;
        for (int k = 0; k < n_kinds; k++) {
            on_top *t = &kinds[k];
            done++;
            if (t->spent + (double)rep->unit_macs[u] > (double)t->budget_frac * (double)rep->macs) continue;
            s->unit[u] = (uint8_t)t->kind;
            fill_quant(s, headroom, s->unit, &q);
            double err;
            if ((st = error_of(s, &q, stage, done, total, &err, 0, 0))) return st;
            t->tried[u] = 1;
            t->before[u] = best;
            t->after[u] = err;
            if (err < pick_err) { pick = k; pick_err = err; }
        }
        if (pick >= 0 && pick_err <= (1.0 - QUANT_WEIGHTS_GAIN) * best) {
            s->unit[u] = (uint8_t)kinds[pick].kind;
            kinds[pick].chosen[u] = QUANT_BY_MEASURE;
            kinds[pick].spent += (double)rep->unit_macs[u];
            best = pick_err;
        } else s->unit[u] = QUANT_UNIT_INT8;
    }
    return EFFAD_OK;
}

/* Each unit's multiply-accumulates at the geometry r was planned for, and
 * the network's. */
static void count_macs(selector *s, const effad_model *m, const effad_runner *r)
{
    quant_select_report *rep = s->rep;
    for (int i = 0; i < m->n_blocks; i++) rep->unit_macs[i] = effad_block_macs(r, i);
    if (m->has_head) rep->unit_macs[m->n_blocks] = effad_head_macs(r);
    rep->stem_macs = effad_stem_macs(r);
    rep->macs = effad_model_macs(m, 0, 0);
}

/* Two observers on one pass: the calibration's and GPTQ's (which
 * gathers a group of its Gram matrices in each of the calibration's own
 * passes over the images, gptq-calib.h). */
typedef struct observers { effad_observe_fn a, b; void *a_ctx, *b_ctx; } observers;

static void observe_both(void *ctx, effad_point at, int block, const float *map, int h, int w, int c,
                         const float *chan_scale)
{
    const observers *o = ctx;
    o->a(o->a_ctx, at, block, map, h, w, c, chan_scale);
    o->b(o->b_ctx, at, block, map, h, w, c, chan_scale);
}

/* One float pass over the calibration images with observer fn (NULL:
 * none but GPTQ's), and GPTQ's group `group` gathered in it when g has
 * that group. */
static effad_status calib_pass(selector *s, model_run *mr, effad_observe_fn fn, void *ctx, gptq_calib *g, int group,
                               float *levels)
{
    observers both = { fn, gptq_calib_observe, ctx, g };
    const int with_gptq = g && group < gptq_calib_groups(g);
    mr->r.observe = !with_gptq ? fn : fn ? observe_both : gptq_calib_observe;
    mr->r.observe_ctx = !with_gptq ? ctx : fn ? (void *)&both : (void *)g;
    effad_status st = with_gptq ? gptq_calib_begin(g, group, s->e) : EFFAD_OK;
    if (!st) st = model_levels(s, mr, s->in->calib, s->in->n_calib, levels);
    if (!st && with_gptq) st = gptq_calib_end(g, s->e);
    s->rep->passes += s->in->n_calib;
    return st;
}

/* GPTQ's groups not gathered in the calibration's passes, then its codes
 * into the session for every write that follows. */
static effad_status finish_gptq(selector *s, convert_session *cs, model_run *mr, gptq_calib *g, int from)
{
    static const char stage[] = "GPTQ rounding";
    const int n_groups = gptq_calib_groups(g), extra = n_groups > from ? n_groups - from : 0;
    effad_status st = EFFAD_OK;
    for (int i = from; i < n_groups && !st; i++) {
        st = calib_pass(s, mr, 0, 0, g, i, 0);
        if (s->o->progress) s->o->progress(s->o->progress_ctx, stage, i - from + 1, extra);
    }
    if (st) return st;
    gptq_calib_report gr;
    convert_set_codes(cs, gptq_calib_take(g, &gr));
    s->rep->gptq_layers = gr.layers;
    s->rep->gptq_groups = gr.groups;
    s->rep->gptq_passes = extra;
    s->rep->gptq_not_factorised = gr.not_factorised;
    return EFFAD_OK;
}

effad_status quant_select(convert_session *cs, const quant_inputs *in, const quant_select_options *o,
                          convert_quant *q, quant_select_report *rep, effad_error *e)
{
    memset(rep, 0, sizeof *rep);
    if (in->n_calib < 1 || in->n_measure < 1)
        return effad_fail(e, EFFAD_ERR_ARG, "calibration needs at least one image (%d) and one to measure on (%d)",
                          in->n_calib, in->n_measure);
    selector *s = calloc(1, sizeof *s);
    if (!s) return effad_fail(e, EFFAD_ERR_NOMEM, "out of memory");
    s->cs = cs; s->in = in; s->o = o; s->rep = rep; s->e = e;
    s->k = o->k ? o->k : effad_kernels(0);
    s->n_blocks = convert_n_blocks(cs);
    s->has_head = convert_has_head(cs);
    s->n_units = s->n_blocks + (s->has_head ? 1 : 0);
    s->n_points = CALIB_POINTS(s->n_blocks);
    rep->n_points = s->n_points;
    rep->n_units = s->n_units;
    model_run mr;
    effad_status st;

    /* the float model: ranges, then histograms, over the calibration
     * images, and the weights' rounding from its activations */
    static calib cal;
    gptq_calib *gc = 0;
    convert_set_codes(cs, 0);   /* a previous selection's: this one decides */
    if ((st = model_open(s, 0, EFFAD_PLAN_UNFUSED, &mr))) goto done;
    if (o->weight_round == QUANT_ROUND_GPTQ &&
        (st = gptq_calib_open(&gc, &mr.r, convert_network(cs), o->weight_bits, GPTQ_BUDGET_BYTES, e))) {
        model_close(&mr);
        goto done;
    }
    s->n_taps = mr.m->n_taps;
    for (int t = 0; t < s->n_taps; t++) s->tap_off[t + 1] = s->tap_off[t] + (size_t)mr.m->taps[t].channels;
    calib_init(&cal, mr.m);
    const size_t row = s->tap_off[s->n_taps];
    float *calib_levels = malloc(sizeof(float) * row * (size_t)in->n_calib);
    s->mean = malloc(sizeof(float) * row);
    s->sigma = malloc(sizeof(float) * row);
    st = calib_levels && s->mean && s->sigma ? calib_pass(s, &mr, calib_observe, &cal, gc, 0, calib_levels)
                                  : effad_fail(e, EFFAD_ERR_NOMEM, "out of memory");
    int varying = 0;
    rep->n_levels = s->n_taps;
    for (int t = 0; t < s->n_taps && !st; t++) {
        const int v = level_moments(calib_levels + s->tap_off[t], (size_t)in->n_calib, s->tap_off[t + 1] - s->tap_off[t],
                                    row, s->mean + s->tap_off[t], s->sigma + s->tap_off[t]);
        rep->level_still[t] = (uint8_t)!v;
        varying += v;
    }
    free(calib_levels);
    /* with no level that varies there is nothing to measure an error
     * against (every figure would be a rounding over zero) */
    const char *src = in->source ? in->source : "", *sep = in->source ? ": " : "";
    if (!st && varying == 0)
        st = in->n_calib < 2
                 ? effad_fail(e, EFFAD_ERR_ARG, "%s%sone calibration image cannot show how the features vary between "
                              "images, which the int8 error is measured against: give at least two different good "
                              "images of the part", src, sep)
                 : effad_fail(e, EFFAD_ERR_ARG, "%s%sthe %d calibration images give the same features at every level "
                              "(they differ by at most %g of the features' size), so the int8 error cannot be "
                              "measured: calibrate on different good images of the part", src, sep, in->n_calib,
                              LEVEL_STILL);
    if (!st) st = calib_hist_init(&s->hist, &cal, e);
    if (!st) st = calib_pass(s, &mr, calib_hist_observe, &s->hist, gc, 1, 0);
    if (!st && gc) st = finish_gptq(s, cs, &mr, gc, 2);
    gptq_calib_close(gc);
    model_close(&mr);
    if (st) goto done;
    for (int p = 0; p < s->n_points; p++) {
        rep->observed[p] = s->hist.span[p].lo <= s->hist.span[p].hi;
        for (int m = 0; m < CALIB_N_METHODS; m++) s->cand[p][m] = calib_hist_range(&s->hist, p, (calib_method)m);
        s->method[p] = (uint8_t)(o->method >= 0 ? o->method : CALIB_MSE);
    }

    /* the float levels the int8 ones are measured against */
    s->ref = malloc(sizeof(float) * row * (size_t)in->n_measure);
    s->lv = malloc(sizeof(float) * row * (size_t)in->n_measure);
    if (!s->ref || !s->lv) { st = effad_fail(e, EFFAD_ERR_NOMEM, "out of memory"); goto done; }
    if ((st = model_open(s, 0, 0, &mr))) goto done;
    rep->float_bytes = (long long)mr.m->n_bytes;
    count_macs(s, mr.m, &mr.r);
    st = model_levels(s, &mr, in->measure, in->n_measure, s->ref);
    model_close(&mr);
    if (st) goto done;

    /* 1. a range method per point */
    const float stage_headroom = o->headroom > 0 ? o->headroom : 1.5f;
    if (o->method < 0 && (st = choose_methods(s, stage_headroom))) goto done;

    /* 2. the headroom, whole network in int8 */
    uint8_t all[EFFAD_MAX_BLOCKS + 1];
    memset(all, QUANT_UNIT_INT8, sizeof all);
    convert_quant cq;
    if (o->headroom > 0) rep->headroom_chosen = o->headroom;
    else {
        double best = INFINITY;
        int worse = 0;
        for (int h = 0; h < QUANT_N_HEADROOMS && worse < 2; h++) {
            fill_quant(s, quant_headrooms[h], all, &cq);
            if ((st = error_of(s, &cq, "headroom", h + 1, QUANT_N_HEADROOMS, &rep->headroom_error[h], 0, 0))) goto done;
            rep->headroom[h] = quant_headrooms[h];
            rep->n_headrooms = h + 1;
            if (rep->headroom_error[h] < best) { best = rep->headroom_error[h]; rep->headroom_chosen = quant_headrooms[h]; worse = 0; }
            else worse++;
        }
    }

    /* 3. the units that stay float32, 3a. those that get int16
     * activations, 3b. those that become weight-only */
    for (int u = 0; u < s->n_units; u++) {
        const int a16 = o->act16[u] && o->act_bits != 16;
        s->unit[u] = o->keep_float[u] ? QUANT_UNIT_FLOAT : a16 ? QUANT_UNIT_INT16
                   : o->weight_only[u] ? QUANT_UNIT_WEIGHTS : QUANT_UNIT_INT8;
        rep->unit_float[u] = o->keep_float[u] ? QUANT_BY_REQUEST : 0;
        rep->unit_act16[u] = s->unit[u] == QUANT_UNIT_INT16 ? QUANT_BY_REQUEST : 0;
        rep->unit_weights[u] = s->unit[u] == QUANT_UNIT_WEIGHTS ? QUANT_BY_REQUEST : 0;
    }
    if (o->float_budget > 0 && (st = choose_float(s, rep->headroom_chosen))) goto done;
    on_top kinds[2];
    int n_kinds = 0;
    if (o->act16_budget > 0 && o->act_bits != 16)
        kinds[n_kinds++] = (on_top){ QUANT_UNIT_INT16, o->act16_budget, rep->unit_act16, rep->act16_tried,
                                     rep->act16_error_before, rep->act16_error_after, 0 };
    if (o->weight_only_budget > 0)
        kinds[n_kinds++] = (on_top){ QUANT_UNIT_WEIGHTS, o->weight_only_budget, rep->unit_weights, rep->weights_tried,
                                     rep->weights_error_before, rep->weights_error_after, 0 };
    if (n_kinds && (st = choose_on_top(s, rep->headroom_chosen, kinds, n_kinds))) goto done;

    /* the result, and the old default for comparison */
    fill_quant(s, rep->headroom_chosen, s->unit, q);
    if ((st = error_of(s, q, "final", 1, 2, &rep->error_final, &rep->error_final_defective, 0))) goto done;
    rep->error_baseline = rep->error_baseline_defective = NAN;
    if (o->method < 0 || !(o->headroom > 0)) {
        uint8_t keep[CALIB_MAX_POINTS];
        memcpy(keep, s->method, sizeof keep);
        memset(s->method, CALIB_MINMAX, sizeof s->method);
        fill_quant(s, 1.5f, all, &cq);
        memcpy(s->method, keep, sizeof keep);
        if ((st = error_of(s, &cq, "final", 2, 2, &rep->error_baseline, &rep->error_baseline_defective, 0))) goto done;
    }
    for (int p = 0; p < s->n_points; p++) {
        rep->method[p] = s->method[p];
        if (rep->observed[p]) rep->method_count[s->method[p]]++;
    }
done:
    calib_hist_free(&s->hist);
    free(s->ref); free(s->lv); free(s->mean); free(s->sigma);
    free(s);
    return st;
}
