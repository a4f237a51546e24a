/* The converter pipeline, one stage after the other. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "onnx.h"
#include "graph.h"
#include "layers.h"
#include "fuse.h"
#include "match.h"
#include "efm-write.h"
#include "qdq-import.h"
#include "quant.h"

int convert_taps_parse(const char *s)
{
    if (!strcmp(s, "auto")) return CONVERT_TAPS_AUTO;
    if (!strcmp(s, "graph") || !strcmp(s, "graph-outputs")) return CONVERT_TAPS_GRAPH;
    if (!strcmp(s, "stage-end")) return CONVERT_TAPS_STAGE_END;
    if (!strcmp(s, "stage-start")) return CONVERT_TAPS_STAGE_START;
    if (!strcmp(s, "every-block")) return CONVERT_TAPS_EVERY_BLOCK;
    return -1;
}

/* "BatchNormalization x49, Pad x16": what fusion removed, for the report. */
static void count_fused(const layer_net *net, char *out, size_t n)
{
    const char *kinds[] = { "BatchNormalization", "Pad", "Sigmoid", "Mul", "Relu", "Clip", "Dropout", "Identity", 0 };
    size_t len = 0;
    out[0] = '\0';
    for (int k = 0; kinds[k]; k++) {
        int c = 0;
        for (int i = 0; i < net->n; i++)
            if (net->l[i].dead && !strcmp(net->g->om->node[net->l[i].node].op_type, kinds[k])) c++;
        if (c && len < n) len += (size_t)snprintf(out + len, n - len, "%s%s x%d", len ? ", " : "", kinds[k], c);
    }
}

/* Every weight and bias the model will hold is finite. A NaN or an
 * infinity in the graph, or one that folding a BatchNormalization (a
 * variance of -epsilon) or a constant made, would otherwise reach the
 * float .efm as features that are NaN on every image, and the int8
 * rounding as an out-of-range conversion (undefined in C); here it is one
 * message naming the layer and its ONNX node. */
static effad_status check_layer_finite(const graph *g, const layer *c, const char *what, effad_error *e)
{
    if (!c) return EFFAD_OK;
    const size_t n = layer_weight_count(c);
    const char *node = g->om->node[c->node].name;
    for (size_t i = 0; c->w && i < n; i++)
        if (!isfinite(c->w[i]))
            return effad_fail(e, EFFAD_ERR_FORMAT, "%s (node '%s'): weight %zu of %zu is %g, not a finite number (in "
                              "the graph, or made by folding its BatchNormalization or constants)", what, node, i, n,
                              (double)c->w[i]);
    for (int o = 0; c->b && o < c->cout; o++)
        if (!isfinite(c->b[o]))
            return effad_fail(e, EFFAD_ERR_FORMAT, "%s (node '%s'): bias %d of %d is %g, not a finite number (in the "
                              "graph, or made by folding its BatchNormalization or constants)", what, node, o, c->cout,
                              (double)c->b[o]);
    return EFFAD_OK;
}

static effad_status check_finite(const graph *g, const mnet *m, effad_error *e)
{
    char what[64];
    effad_status s = check_layer_finite(g, m->stem, "the stem", e);
    for (int i = 0; !s && i < m->n_blocks; i++) {
        const mblock *b = &m->blocks[i];
        const layer *parts[5] = { b->expand, b->dw, b->se_reduce, b->se_expand, b->project };
        static const char *const names[5] = { "expand", "depthwise", "squeeze-excite reduce", "squeeze-excite expand",
                                              "project" };
        for (int k = 0; !s && k < 5; k++) {
            snprintf(what, sizeof what, "block %d %s", i, names[k]);
            s = check_layer_finite(g, parts[k], what, e);
        }
    }
    return s ? s : check_layer_finite(g, m->head, "the head", e);
}

/* The parsed and matched graph, kept so that one conversion can be
 * written many times (float, then int8 with different ranges). */
struct convert_session {
    onnx_model om;
    graph g;
    layer_net net;
    mnet m;
    efm_write_options wo;
    char source[EFFAD_NAME_BYTES];
    qdq_import qi;                /* a QDQ input's scales and int8 weights */
    convert_quant imported;
    convert_qdq_report qrep;
    quant_codes *codes;           /* int8 weights rounded ahead (GPTQ), or NULL */
};

effad_status convert_open(const uint8_t *onnx, size_t onnx_bytes, const convert_options *opt, convert_session **out,
                          convert_report *report, effad_error *e)
{
    onnx_model om;
    *out = 0;
    effad_status s = onnx_model_read(onnx, onnx_bytes, &om, e);
    return s ? s : convert_open_model(&om, opt, out, report, e);
}

effad_status convert_open_model(onnx_model *om, const convert_options *opt, convert_session **out,
                                convert_report *report, effad_error *e)
{
    static const convert_options defaults = { .taps = CONVERT_TAPS_AUTO };
    if (!opt) opt = &defaults;
    *out = 0;
    convert_session *cs = calloc(1, sizeof *cs);
    if (!cs) { onnx_model_free(om); return effad_fail(e, EFFAD_ERR_NOMEM, "out of memory"); }
    cs->om = *om;
    memset(om, 0, sizeof *om);
    effad_status s;
    if ((s = qdq_strip(&cs->om, &cs->qi, e))) goto fail;
    graph_options gopt = { opt->in_h, opt->in_w, 0 };
    if ((s = graph_build(&cs->g, &cs->om, &gopt, e))) goto fail;
    if ((s = layers_lower(&cs->net, &cs->g, e))) goto fail;
    layers_fuse(&cs->net);
    if ((s = match_efficientnet(&cs->net, opt->taps, &cs->m, e))) goto fail;
    if ((s = check_finite(&cs->g, &cs->m, e))) goto fail;
    if (cs->qi.found && (s = qdq_map(&cs->qi, &cs->m, &cs->g, &cs->imported, &cs->qrep, e))) goto fail;
    const efm_write_options wo = { { 0.485f, 0.456f, 0.406f }, { 0.229f, 0.224f, 0.225f }, 0, 0, 0 };
    cs->wo = wo;
    if (opt->set_norm) { memcpy(cs->wo.mean, opt->mean, sizeof cs->wo.mean); memcpy(cs->wo.std, opt->std, sizeof cs->wo.std); }
    snprintf(cs->source, sizeof cs->source, "%s", opt->source ? opt->source : "");
    cs->wo.source = opt->source ? cs->source : 0;
    if (report) {
        memset(report, 0, sizeof *report);
        report->n_blocks = cs->m.n_blocks;
        report->n_stages = cs->m.n_stages;
        report->n_taps = cs->m.n_taps;
        count_fused(&cs->net, report->fused, sizeof report->fused);
        snprintf(report->ignored, sizeof report->ignored, "%s", cs->m.ignored);
    }
    *out = cs;
    return EFFAD_OK;
fail:
    convert_close(cs);
    return s;
}

effad_status convert_write(const convert_session *cs, const convert_quant *quant, uint8_t **efm, size_t *efm_bytes,
                           effad_error *e)
{
    if (!efm || !efm_bytes) return effad_fail(e, EFFAD_ERR_ARG, "no output buffer");
    *efm = 0; *efm_bytes = 0;
    efm_write_options wo = cs->wo;
    wo.quant = quant;
    wo.codes = cs->codes;
    return efm_write(&cs->m, &wo, efm, efm_bytes, e);
}

const convert_quant *convert_imported(const convert_session *cs, convert_qdq_report *rep)
{
    if (rep) *rep = cs->qrep;
    return cs->qi.found ? &cs->imported : 0;
}

void convert_set_codes(convert_session *cs, quant_codes *codes)
{
    if (cs->codes != codes) quant_codes_free(cs->codes);
    cs->codes = codes;
}

const mnet *convert_network(const convert_session *cs) { return &cs->m; }

int convert_n_blocks(const convert_session *cs) { return cs->m.n_blocks; }
int convert_has_head(const convert_session *cs) { return cs->m.head != 0; }

void convert_close(convert_session *cs)
{
    if (!cs) return;
    layers_free(&cs->net);
    graph_free(&cs->g);
    onnx_model_free(&cs->om);
    qdq_import_free(&cs->qi);
    quant_codes_free(cs->codes);
    free(cs);
}

effad_status effad_convert_onnx(const uint8_t *onnx, size_t onnx_bytes, const convert_options *opt,
                                uint8_t **efm, size_t *efm_bytes, convert_report *report, effad_error *e)
{
    if (!efm || !efm_bytes) return effad_fail(e, EFFAD_ERR_ARG, "no output buffer");
    *efm = 0; *efm_bytes = 0;
    convert_session *cs;
    effad_status s = convert_open(onnx, onnx_bytes, opt, &cs, report, e);
    if (s) return s;
    const convert_quant *q = opt && opt->quant ? opt->quant : convert_imported(cs, 0);
    s = convert_write(cs, q, efm, efm_bytes, e);
    convert_close(cs);
    return s;
}
