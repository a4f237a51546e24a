/* fuzz-onnx.c -- the converter from bytes in memory: the protobuf decoder
 * and ONNX reader (convert/pb-wire.c, convert/onnx-read.c), the graph and
 * its constant evaluator (graph.c, const-eval.c), lowering, fusion, the
 * EfficientNet matcher and the .efm writer -- everything `effad convert`
 * runs on a file.
 *
 * What the converter writes, its own loader must take: a model that
 * converts but does not load is a bug (one the audit found), and so is one
 * whose plan refuses the input size recorded in it. The loaded model then
 * runs once at a small size (fuzz-model.h). The bytes are also read as a
 * single TensorProto, the other ONNX message we parse (test data sets).
 *
 * The tap rule comes from the input's length, so that one corpus exercises
 * all four without a byte that would make the seeds invalid ONNX. */
#include "fuzz-model.h"
#include "convert.h"
#include "onnx.h"

static void load_what_was_written(const uint8_t *efm, size_t n)
{
    uint8_t *bytes = fuzz_aligned_copy(efm, n);
    effad_model *m = malloc(sizeof *m);
    if (!bytes || !m) { free(bytes); free(m); return; }
    effad_error e = { 0 };
    effad_status s = effad_model_load_writable(m, bytes, n, &e);
    if (s) fuzz_fail("a converted model loads", e.msg);
    effad_runner geometry;
    const effad_plan_opts native = { .n_workers = 1 };
    s = effad_runner_init(&geometry, m, 0, &native, 0, 0, &e);
    if (s) fuzz_fail("a converted model plans at its own input size", e.msg);
    fuzz_run_model(m);
    free(m);
    free(bytes);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    convert_options opt;
    memset(&opt, 0, sizeof opt);
    opt.taps = (convert_taps)(size % 4);
    opt.source = "fuzz.onnx";
    uint8_t *efm = 0;
    size_t n = 0;
    convert_report rep;
    effad_error e = { 0 };
    effad_status s = effad_convert_onnx(data, size, &opt, &efm, &n, &rep, &e);
    fuzz_refusal(s, &e);
    if (s == EFFAD_OK) {
        if (!efm || !n) fuzz_fail("a conversion produces bytes", 0);
        load_what_was_written(efm, n);
    } else if (efm) {
        fuzz_fail("a failed conversion leaves no output", e.msg);
    }
    free(efm);

    onnx_tensor t;
    s = onnx_tensor_read(data, size, &t, &e);
    fuzz_refusal(s, &e);
    if (s == EFFAD_OK) onnx_tensor_free(&t);
    return 0;
}
