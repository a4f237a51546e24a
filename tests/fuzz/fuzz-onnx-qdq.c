/*
 * fuzz-onnx-qdq.c -- libFuzzer harness for the QDQ import: bytes -> ONNX
 * reader -> qdq_strip (Q/DQ pairs and int8 weights out of the graph) ->
 * graph, lowering, matching -> qdq_map (onto the activation points and
 * layers) -> the .efm writer with the imported quantisation, whose output
 * the loader must accept. Any crash, sanitizer report or leak is a bug;
 * refusals are fine.
 *
 * Built with the harness and the converter instrumented, against the
 * plain objects `make` leaves in build/ (the kernels need no coverage,
 * and instrumenting the SIMD files takes clang many minutes):
 *   make
 *   clang -g -O1 -std=c11 -D_POSIX_C_SOURCE=200809L -fsanitize=fuzzer,address,undefined \
 *       -Iengine -Iops -Iconvert tests/fuzz/fuzz-onnx-qdq.c $(find convert -name '*.c') \
 *       $(find build/ops build/engine -name '*.o' ! -name '*pthread*') -lm -o build/fuzz-onnx-qdq
 *   build/fuzz-onnx-qdq -max_len=400000 CORPUS SEEDS
 *
 * The seeds worth starting from: the .onnx files of tests/int8/ort-qdq
 * (ONNX Runtime's layout) and the qdq.onnx of each tests/int8 case
 * (effad's own).
 */
#include <stdint.h>
#include <stdlib.h>
#include "convert.h"
#include "onnx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    onnx_model om;
    effad_error e = { 0 };
    if (onnx_model_read(data, size, &om, &e)) return 0;
    convert_session *cs = 0;
    if (convert_open_model(&om, 0, &cs, 0, &e)) return 0;
    const convert_quant *q = convert_imported(cs, 0);
    uint8_t *efm = 0;
    size_t n = 0;
    if (!convert_write(cs, q, &efm, &n, &e)) {
        /* the writer runs the loader on what it wrote; load it once more
         * as a user would */
        static effad_model m;
        void *copy = 0;
        if (!posix_memalign(&copy, 64, n)) {
            for (size_t i = 0; i < n; i++) ((uint8_t *)copy)[i] = efm[i];
            if (effad_model_load_writable(&m, copy, n, &e)) abort();
            free(copy);
        }
    }
    free(efm);
    convert_close(cs);
    return 0;
}
