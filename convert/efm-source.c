/* A float32 .efm as the converter's input (efm-source.h). */
#include <stdlib.h>
#include <string.h>
#include "efm-source.h"
#include "efm-format.h"
#include "qdq-emit.h"

int efm_source_is_efm(const uint8_t *bytes, size_t n)
{
    return n >= 8 && !memcmp(bytes, EFM_MAGIC, 8);
}

effad_status efm_source_to_onnx(const uint8_t *efm, size_t n, convert_options *opt, uint8_t **onnx,
                                size_t *onnx_bytes, effad_error *e)
{
    *onnx = 0; *onnx_bytes = 0;
    void *copy = 0;
    effad_model *m = malloc(sizeof *m);
    if (!m || posix_memalign(&copy, 64, n ? n : 1)) { free(m); return effad_fail(e, EFFAD_ERR_NOMEM, "out of memory"); }
    memcpy(copy, efm, n);
    effad_status s = effad_model_load_writable(m, copy, n, e);
    if (!s && m->quantised)
        s = effad_fail(e, EFFAD_ERR_UNSUPPORTED, "an int8 model: convert its float32 original (or its ONNX) instead");
    if (!s) s = qdq_emit(m, onnx, onnx_bytes, e);
    if (!s) {
        opt->taps = CONVERT_TAPS_GRAPH;
        opt->in_h = opt->in_w = 0;
        if (!opt->set_norm) {
            memcpy(opt->mean, m->mean, sizeof opt->mean);
            memcpy(opt->std, m->std, sizeof opt->std);
            opt->set_norm = 1;
        }
    }
    free(copy); free(m);
    return s;
}
