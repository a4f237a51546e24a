/*
 * test-convert-finite.c -- `effad convert` refuses a model whose weights
 * or biases are not finite, by layer and ONNX node, before anything is
 * written or rounded to int8 (convert.c, check_finite).
 *
 * Three cases edit the golden tiny model (tests/golden/tiny-tv-bn) in
 * memory: a BatchNormalization variance of -epsilon, which folding turns
 * into an infinite scale; a NaN in a convolution's weights; a NaN in a
 * BatchNormalization's shift, which becomes the folded bias. A fourth is
 * what the QDQ fuzzer found (tests/data/fuzz-regress/onnx-qdq): int8
 * weights whose scale dequantises them past the float range, to -inf;
 * the int8 rounding then divided it by an infinite scale and converted
 * the NaN to int8 (undefined behaviour in C). The model as it is must
 * convert, so the check cannot pass by refusing everything.
 */
#include <stdlib.h>
#include "check.h"
#include "convert.h"
#include "onnx-edit.h"
#include "test-files.h"

#define MODEL "tests/golden/tiny-tv-bn/model.onnx"

static float bn_epsilon(const onnx_node *bn)
{
    for (int a = 0; a < bn->n_attr; a++)
        if (!strcmp(bn->attr[a].name, "epsilon")) return bn->attr[a].f;
    return 1e-5f;
}

/* The stem's BatchNormalization: variance[2] = -epsilon. */
static int bn_variance_minus_eps(onnx_model *m)
{
    onnx_node *bn = nth_op(m, "BatchNormalization", 0);
    onnx_tensor *var = bn && bn->n_in == 5 ? init_named(m, bn->in[4]) : 0;
    if (!var || var->dtype != ONNX_FLOAT || var->count < 3) return 0;
    ((float *)var->data)[2] = -bn_epsilon(bn);
    return 1;
}

/* Block 0's first convolution (the depthwise): weight 5 = NaN. */
static int conv_weight_nan(onnx_model *m)
{
    onnx_node *conv = nth_op(m, "Conv", 1);
    onnx_tensor *w = conv && conv->n_in >= 2 ? init_named(m, conv->in[1]) : 0;
    if (!w || w->dtype != ONNX_FLOAT || w->count < 6) return 0;
    ((float *)w->data)[5] = NAN;
    return 1;
}

/* Block 0's BatchNormalization: shift (its "B" input)[1] = NaN. */
static int bn_shift_nan(onnx_model *m)
{
    onnx_node *bn = nth_op(m, "BatchNormalization", 1);
    onnx_tensor *b = bn && bn->n_in == 5 ? init_named(m, bn->in[2]) : 0;
    if (!b || b->dtype != ONNX_FLOAT || b->count < 2) return 0;
    ((float *)b->data)[1] = NAN;
    return 1;
}

static void expect(const uint8_t *bytes, size_t n, int (*edit)(onnx_model *), const char *what, const char *msg1,
                   const char *msg2)
{
    onnx_model m;
    effad_error e = { 0 };
    if (onnx_model_read(bytes, n, &m, &e)) { CHECK_MSG(0, "%s: %s", what, e.msg); return; }
    if (edit && !edit(&m)) { CHECK_MSG(0, "%s: the golden model lacks the tensor to edit", what); onnx_model_free(&m); return; }
    convert_session *cs = 0;
    const effad_status s = convert_open_model(&m, 0, &cs, 0, &e);
    if (!msg1) {
        CHECK_MSG(s == EFFAD_OK, "%s: status %d (%s)", what, (int)s, e.msg);
    } else {
        CHECK_MSG(s == EFFAD_ERR_FORMAT, "%s: status %d (%s)", what, (int)s, e.msg);
        CHECK_STR_CONTAINS(e.msg, msg1);
        CHECK_STR_CONTAINS(e.msg, msg2);
        CHECK_STR_CONTAINS(e.msg, "not a finite number");
    }
    convert_close(cs);
}

int main(void)
{
    size_t n = 0;
    uint8_t *bytes = slurp(MODEL, &n);
    CHECK(bytes != 0);
    if (bytes) {
        expect(bytes, n, 0, "the model as it is", 0, 0);
        expect(bytes, n, bn_variance_minus_eps, "variance -epsilon", "the stem (node '", "is inf");
        expect(bytes, n, conv_weight_nan, "NaN weight", "block 0 depthwise (node '", "weight 5 of 144 is nan");
        expect(bytes, n, bn_shift_nan, "NaN shift", "block 0 depthwise (node '", "bias 1 of 16 is nan");
        free(bytes);
    }
    bytes = slurp("tests/data/fuzz-regress/onnx-qdq/se-weight-dequantises-to-inf", &n);
    CHECK(bytes != 0);
    if (bytes) {
        expect(bytes, n, 0, "QDQ weights past the float range", "block 4 squeeze-excite expand (node 'b4.se_expand.conv')",
               "is -inf");
        free(bytes);
    }
    return check_done("convert-finite");
}
