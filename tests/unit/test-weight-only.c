/*
 * test-weight-only.c -- weight-only units (int8 weights, float32
 * activations) from the converter's side, on the committed tiny model:
 *   - asked for (--weight-only): the written .efm passes the loader; the
 *     block's expand, depthwise and projection hold int8 weights with
 *     float32 activations, its squeeze-excite int8 weights, its
 *     neighbours stay int8 with uint8 activations; the head likewise;
 *   - measured (stage 3b): a unit was kept exactly when the whole
 *     network's error dropped by QUANT_WEIGHTS_GAIN, each trial starts
 *     from the error the last kept one left, the final error is that one,
 *     the kept units' MACs fit the budget; the units' MACs add up to less
 *     than the network's (the stem's are left); with 3-bit weights, whose
 *     rounding float activations do not undo, some units are tried and
 *     left int8; budget 0: no stage, nothing measured;
 *   - --emit-qdq: the weight-only block's weights come through
 *     DequantizeLinear from int8, none of its activations through
 *     QuantizeLinear (its int8 neighbour's output still does); imported
 *     back, it is weight-only again with the very same weights.
 */
#include <math.h>
#include <stdlib.h>
#include "check.h"
#include "efm-copy.h"
#include "select-fixture.h"
#include "qdq-emit.h"
#include "onnx.h"

enum { WO_BLOCK = 1 };   /* the tiny model's block 1 has an expansion and squeeze-excite */

static int weight_only(const effad_conv *c)
{
    return c->w.dtype == EFFAD_S8 && c->in_q.dtype == EFFAD_F32 && c->out_q.dtype == EFFAD_F32;
}

/* Fixed ranges (no range or headroom search: fewer passes), no float32
 * budget: stage 3b must then measure the units itself. */
static void fixed_options(quant_select_options *o)
{
    memset(o, 0, sizeof *o);
    o->weight_bits = 8;
    o->act_bits = 8;
    o->method = CALIB_MINMAX;
    o->headroom = 1.5f;
}

/* Block WO_BLOCK and the head asked weight-only; *efm the written model. */
static void test_asked(select_fixture *f, uint8_t **efm, size_t *n)
{
    quant_select_options o;
    fixed_options(&o);
    const int nb = convert_n_blocks(f->cs);
    o.weight_only[WO_BLOCK] = 1;
    o.weight_only[nb] = 1;
    static convert_quant q;
    static quant_select_report r;
    effad_error e = { 0 };
    CHECK_MSG(quant_select(f->cs, &f->in, &o, &q, &r, &e) == EFFAD_OK, "%s", e.msg);
    CHECK_EQ_INT(q.block_int8[WO_BLOCK], QUANT_UNIT_WEIGHTS);
    CHECK_EQ_INT(q.head_int8, QUANT_UNIT_WEIGHTS);
    CHECK_EQ_INT(q.block_int8[WO_BLOCK + 1], QUANT_UNIT_INT8);
    CHECK(r.unit_weights[WO_BLOCK] == QUANT_BY_REQUEST && r.unit_weights[nb] == QUANT_BY_REQUEST);
    /* budget 0: stage 3b did not run, and nothing else measured the units */
    int tried = 0;
    for (int u = 0; u < r.n_units; u++) tried += r.weights_tried[u] + (r.unit_weights[u] == QUANT_BY_MEASURE);
    CHECK(!tried && !r.units_measured);
    CHECK_MSG(convert_write(f->cs, &q, efm, n, &e) == EFFAD_OK, "%s", e.msg);
    static effad_model m;
    void *a = *efm ? efm_load_copy(*efm, *n, &m) : 0;
    if (!a) return;
    const effad_block *b = &m.blocks[WO_BLOCK], *next = &m.blocks[WO_BLOCK + 1];
    CHECK(b->expand.w.data && b->se_c > 0);
    CHECK(weight_only(&b->expand) && weight_only(&b->dw) && weight_only(&b->project));
    CHECK(b->se_reduce.w.dtype == EFFAD_S8 && b->se_expand.w.dtype == EFFAD_S8);
    CHECK(next->dw.w.dtype == EFFAD_S8 && next->dw.in_q.dtype == EFFAD_U8 && next->project.out_q.dtype == EFFAD_U8);
    CHECK(m.blocks[0].project.out_q.dtype == EFFAD_U8);
    CHECK(m.has_head && weight_only(&m.head) && m.quantised);
    free(a);
}

static int unit_type(const convert_quant *q, int u)
{
    return u < q->n_blocks ? q->block_int8[u] : q->head_int8;
}

/* Stage 3b's decisions against the errors it reports. */
static void test_measured(select_fixture *f, float budget, int weight_bits)
{
    quant_select_options o;
    fixed_options(&o);
    o.weight_only_budget = budget;
    o.weight_bits = weight_bits;
    static convert_quant q;
    static quant_select_report r;
    effad_error e = { 0 };
    CHECK_MSG(quant_select(f->cs, &f->in, &o, &q, &r, &e) == EFFAD_OK, "%s", e.msg);
    CHECK(r.units_measured && r.macs > 0);
    long long unit_sum = 0, spent = 0;
    for (int u = 0; u < r.n_units; u++) unit_sum += r.unit_macs[u];
    CHECK_MSG(unit_sum > 0 && unit_sum < r.macs, "units %lld of %lld MACs", unit_sum, r.macs);   /* the stem's are left */
    /* in the order stage 3b tries them: by error alone in int8, descending */
    int order[EFFAD_MAX_BLOCKS + 1], n_tried = 0, n_kept = 0;
    for (int u = 0; u < r.n_units; u++)
        if (r.weights_tried[u]) order[n_tried++] = u;
    for (int i = 1; i < n_tried; i++)
        for (int j = i; j > 0 && r.unit_error[order[j]] > r.unit_error[order[j - 1]]; j--) {
            const int t = order[j]; order[j] = order[j - 1]; order[j - 1] = t;
        }
    double best = NAN;
    for (int i = 0; i < n_tried; i++) {
        const int u = order[i];
        CHECK_MSG(r.unit_error[u] >= r.median_unit_error, "unit %d tried below the median", u);
        if (i) CHECK_NEAR(r.weights_error_before[u], best, 0);
        const int kept = r.weights_error_after[u] <= (1.0 - QUANT_WEIGHTS_GAIN) * r.weights_error_before[u];
        CHECK_MSG(kept == (r.unit_weights[u] == QUANT_BY_MEASURE), "unit %d: %.4g -> %.4g, kept %d", u,
                  r.weights_error_before[u], r.weights_error_after[u], r.unit_weights[u]);
        CHECK_EQ_INT(unit_type(&q, u) == QUANT_UNIT_WEIGHTS, kept);
        best = kept ? r.weights_error_after[u] : r.weights_error_before[u];
        if (kept) { spent += r.unit_macs[u]; n_kept++; }
        printf("  budget %g%%, %d-bit weights: unit %d (alone %.4g): %.4g -> %.4g%s\n", 100.0 * budget, weight_bits, u, r.unit_error[u],
               r.weights_error_before[u], r.weights_error_after[u], kept ? " kept" : "");
    }
    for (int u = 0; u < r.n_units; u++)
        if (!r.weights_tried[u]) CHECK_MSG(unit_type(&q, u) != QUANT_UNIT_WEIGHTS, "unit %d weight-only untried", u);
    CHECK_MSG((double)spent <= (double)budget * (double)r.macs, "%lld of %lld MACs weight-only", spent, r.macs);
    if (n_tried) CHECK_NEAR(r.error_final, best, 0);   /* the choice written is the last one measured */
    if (budget >= 1.0f) CHECK_MSG(n_tried > 0 && n_kept > 0, "%d tried, %d kept", n_tried, n_kept);
    if (weight_bits < 8) CHECK_MSG(n_kept < n_tried, "%d-bit weights: all %d tried kept", weight_bits, n_tried);
}

/* ------------------------------------------------------------ QDQ */

static const onnx_node *node_named(const onnx_model *m, const char *name)
{
    for (int i = 0; i < m->n_node; i++)
        if (!strcmp(m->node[i].name, name)) return &m->node[i];
    return 0;
}

static const onnx_node *producer(const onnx_model *m, const char *value)
{
    for (int i = 0; i < m->n_node; i++)
        for (int k = 0; k < m->node[i].n_out; k++)
            if (!strcmp(m->node[i].out[k], value)) return &m->node[i];
    return 0;
}

static const onnx_tensor *init_named(const onnx_model *m, const char *name)
{
    for (int i = 0; i < m->n_init; i++)
        if (!strcmp(m->init[i].name, name)) return &m->init[i];
    return 0;
}

/* Conv `name` reads int8 weights through DequantizeLinear; *float_in: its
 * input is not a DequantizeLinear's output. */
static int conv_dq_weights(const onnx_model *m, const char *name, int *float_in)
{
    const onnx_node *c = node_named(m, name);
    if (!c || c->n_in < 2) return 0;
    const onnx_node *dq = producer(m, c->in[1]), *in = producer(m, c->in[0]);
    *float_in = !in || strcmp(in->op_type, "DequantizeLinear");
    const onnx_tensor *w = dq && !strcmp(dq->op_type, "DequantizeLinear") ? init_named(m, dq->in[0]) : 0;
    return w && w->dtype == ONNX_INT8;
}

static int same_weights(const effad_conv *a, const effad_conv *b)
{
    const size_t count = (size_t)a->cout * (size_t)(a->cin / a->groups) * (size_t)a->kh * (size_t)a->kw;
    return a->w.dtype == EFFAD_S8 && b->w.dtype == EFFAD_S8 && a->cout == b->cout && !memcmp(a->w.data, b->w.data, count) &&
           !memcmp(a->w.scale, b->w.scale, sizeof(float) * (size_t)a->cout);
}

static void test_qdq(const uint8_t *efm, size_t n)
{
    static effad_model m, back;
    void *a = efm_load_copy(efm, n, &m);
    uint8_t *onnx = 0;
    size_t n_onnx = 0;
    effad_error e = { 0 };
    CHECK_MSG(a && qdq_emit(&m, &onnx, &n_onnx, &e) == EFFAD_OK, "%s", e.msg);
    onnx_model om;
    if (!onnx || onnx_model_read(onnx, n_onnx, &om, &e)) { CHECK_MSG(0, "%s", e.msg); free(a); free(onnx); return; }
    int float_in = 0, n_q = 0, n_q_here = 0;
    CHECK(conv_dq_weights(&om, "b1.expand.conv", &float_in));   /* its input: block 0's uint8 output */
    CHECK(conv_dq_weights(&om, "b1.dw.conv", &float_in) && float_in);
    CHECK(conv_dq_weights(&om, "b1.project.conv", &float_in) && float_in);
    CHECK(conv_dq_weights(&om, "head.conv", &float_in) && !float_in);   /* its input: block 8's uint8 output */
    CHECK(conv_dq_weights(&om, "b2.dw.conv", &float_in) && !float_in);   /* int8 block 2: uint8 input */
    for (int i = 0; i < om.n_node; i++) {
        if (strcmp(om.node[i].op_type, "QuantizeLinear")) continue;
        n_q++;
        n_q_here += !strncmp(om.node[i].name, "b1.", 3) || !strncmp(om.node[i].name, "head.", 5);
    }
    CHECK_MSG(n_q > 5 && n_q_here == 0, "%d QuantizeLinear, %d of them in the weight-only units", n_q, n_q_here);
    CHECK(node_named(&om, "b0.out.q") != 0);
    onnx_model_free(&om);

    /* read back: weight-only again, the same weights */
    convert_session *cs = 0;
    const effad_status s = convert_open(onnx, n_onnx, 0, &cs, 0, &e);
    CHECK_MSG(s == EFFAD_OK, "%s", e.msg);
    convert_qdq_report r;
    const convert_quant *q = cs ? convert_imported(cs, &r) : 0;
    CHECK(q && r.weight_only_blocks == 1 && r.int8_blocks == m.n_blocks - 1 && r.head_int8 == QUANT_UNIT_WEIGHTS);
    if (q) CHECK_EQ_INT(q->block_int8[WO_BLOCK], QUANT_UNIT_WEIGHTS);
    uint8_t *efm2 = 0;
    size_t n2 = 0;
    if (q) CHECK_MSG(convert_write(cs, q, &efm2, &n2, &e) == EFFAD_OK, "%s", e.msg);
    void *b = efm2 ? efm_load_copy(efm2, n2, &back) : 0;
    if (b) {
        const effad_block *x = &m.blocks[WO_BLOCK], *y = &back.blocks[WO_BLOCK];
        CHECK(weight_only(&y->expand) && weight_only(&y->dw) && weight_only(&y->project) && weight_only(&back.head));
        CHECK(same_weights(&x->expand, &y->expand) && same_weights(&x->dw, &y->dw) &&
              same_weights(&x->project, &y->project) && same_weights(&m.head, &back.head));
    }
    free(b); free(efm2);
    convert_close(cs);
    free(a); free(onnx);
}

int main(void)
{
    select_fixture f;
    if (!select_fixture_open(&f)) return check_done("weight-only");
    uint8_t *efm = 0;
    size_t n = 0;
    test_asked(&f, &efm, &n);
    test_measured(&f, 1.0f, 8);
    test_measured(&f, 0.15f, 8);
    test_measured(&f, 1.0f, 3);   /* rounding 3-bit weights outweighs the activations': some tried, left int8 */
    if (efm) test_qdq(efm, n);
    free(efm);
    select_fixture_close(&f);
    return check_done("weight-only");
}
