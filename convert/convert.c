/* The converter pipeline, one stage after the other. */
#include <stdio.h>
#include <string.h>
#include "onnx.h"
#include "graph.h"
#include "layers.h"
#include "fuse.h"
#include "match.h"
#include "efm-write.h"

int convert_taps_parse(const char *s)
{
    if (!strcmp(s, "auto")) return CONVERT_TAPS_AUTO;
    if (!strcmp(s, "graph") || !strcmp(s, "graph-outputs")) return CONVERT_TAPS_GRAPH;
    if (!strcmp(s, "stage-end")) return CONVERT_TAPS_STAGE_END;
    if (!strcmp(s, "stage-start")) return CONVERT_TAPS_STAGE_START;
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

effad_status effad_convert_onnx(const uint8_t *onnx, size_t onnx_bytes, const convert_options *opt,
                                uint8_t **efm, size_t *efm_bytes, convert_report *report, effad_error *e)
{
    static const convert_options defaults = { .taps = CONVERT_TAPS_AUTO };
    if (!opt) opt = &defaults;
    if (!efm || !efm_bytes) return effad_fail(e, EFFAD_ERR_ARG, "no output buffer");
    *efm = 0; *efm_bytes = 0;
    onnx_model om;
    graph g;
    layer_net net;
    static mnet m;   /* large (block table); the converter is not reentrant */
    memset(&g, 0, sizeof g);
    memset(&net, 0, sizeof net);
    effad_status s = onnx_model_read(onnx, onnx_bytes, &om, e);
    if (s) return s;
    graph_options gopt = { opt->in_h, opt->in_w, 0 };
    if ((s = graph_build(&g, &om, &gopt, e))) goto done;
    if ((s = layers_lower(&net, &g, e))) goto done;
    layers_fuse(&net);
    if ((s = match_efficientnet(&net, opt->taps, &m, e))) goto done;

    efm_write_options wo = { { 0.485f, 0.456f, 0.406f }, { 0.229f, 0.224f, 0.225f }, opt->source, opt->quant };
    if (opt->set_norm) { memcpy(wo.mean, opt->mean, sizeof wo.mean); memcpy(wo.std, opt->std, sizeof wo.std); }
    if ((s = efm_write(&m, &wo, efm, efm_bytes, e))) goto done;
    if (report) {
        memset(report, 0, sizeof *report);
        report->n_blocks = m.n_blocks;
        report->n_stages = m.n_stages;
        report->n_taps = m.n_taps;
        count_fused(&net, report->fused, sizeof report->fused);
        snprintf(report->ignored, sizeof report->ignored, "%s", m.ignored);
    }
done:
    layers_free(&net);
    graph_free(&g);
    onnx_model_free(&om);
    return s;
}
