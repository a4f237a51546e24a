/*
 * test-const-eval.c -- regressions found by ONNX's backend tests in the
 * constant evaluator (convert/const-eval.c).
 */
#include <stdlib.h>
#include "check.h"
#include "ctensor.h"

static onnx_node node(const char *op, onnx_attr *attr, int n_attr)
{
    onnx_node n;
    memset(&n, 0, sizeof n);
    n.op_type = (char *)op; n.name = (char *)""; n.domain = (char *)"";
    n.attr = attr; n.n_attr = n_attr;
    return n;
}

/* test_flatten_negative_axis*: axis -k counts from the rank r, so
 * Flatten(axis=-1) of 2x3x4x5 is 24 x 5 (it once gave 120 x 1). */
static void test_flatten_negative_axis(void)
{
    int64_t dims[4] = { 2, 3, 4, 5 };
    ctensor x, y;
    CHECK_EQ_INT(ctensor_alloc(&x, ONNX_FLOAT, 4, dims, 0), EFFAD_OK);
    static const int64_t want[5][2] = { { 1, 120 }, { 2, 60 }, { 6, 20 }, { 24, 5 }, { 0, 0 } };
    for (int ax = -4; ax <= -1; ax++) {
        onnx_attr a; memset(&a, 0, sizeof a);
        a.name = (char *)"axis"; a.type = ONNX_ATTR_INT; a.i = ax;
        onnx_node n = node("Flatten", &a, 1);
        const ctensor *in[1] = { &x };
        effad_error e;
        CHECK_EQ_INT(ceval_node(&n, 13, in, 1, &y, 1, &e), EFFAD_OK);
        CHECK_EQ_INT(y.dims[0], want[ax + 4][0]);
        CHECK_EQ_INT(y.dims[1], want[ax + 4][1]);
        ctensor_free(&y);
    }
    onnx_attr a; memset(&a, 0, sizeof a);
    a.name = (char *)"axis"; a.type = ONNX_ATTR_INT; a.i = -5;
    onnx_node n = node("Flatten", &a, 1);
    const ctensor *in[1] = { &x };
    effad_error e;
    CHECK_EQ_INT(ceval_node(&n, 13, in, 1, &y, 1, &e), EFFAD_ERR_FORMAT);
    ctensor_free(&x);
}

/* Integer arithmetic wraps in the operands' dtype, as in numpy and ORT. */
static void test_integer_wrap(void)
{
    int64_t one = 1;
    ctensor a, b, y;
    CHECK_EQ_INT(ctensor_alloc(&a, ONNX_UINT8, 1, &one, 0), EFFAD_OK);
    CHECK_EQ_INT(ctensor_alloc(&b, ONNX_UINT8, 1, &one, 0), EFFAD_OK);
    a.i[0] = 200; b.i[0] = 100;
    const ctensor *in[2] = { &a, &b };
    effad_error e;
    static const char *const ops[3] = { "Add", "Sub", "Mul" };
    static const int64_t want_ab[3] = { 44, 100, 32 }, want_ba[3] = { 44, 156, 32 };
    for (int k = 0; k < 3; k++) {
        onnx_node n = node(ops[k], 0, 0);
        CHECK_EQ_INT(ceval_node(&n, 13, in, 2, &y, 1, &e), EFFAD_OK);
        CHECK_MSG(y.i[0] == want_ab[k], "%s: %lld", ops[k], (long long)y.i[0]);
        ctensor_free(&y);
        const ctensor *rev[2] = { &b, &a };
        CHECK_EQ_INT(ceval_node(&n, 13, rev, 2, &y, 1, &e), EFFAD_OK);
        CHECK_MSG(y.i[0] == want_ba[k], "%s reversed: %lld", ops[k], (long long)y.i[0]);
        ctensor_free(&y);
    }
    a.dtype = b.dtype = ONNX_INT8; a.i[0] = 100; b.i[0] = 100;
    onnx_node n = node("Add", 0, 0);
    CHECK_EQ_INT(ceval_node(&n, 13, in, 2, &y, 1, &e), EFFAD_OK);
    CHECK_EQ_INT(y.i[0], -56);
    ctensor_free(&y);
    ctensor_free(&a); ctensor_free(&b);
}

int main(void)
{
    test_flatten_negative_axis();
    test_integer_wrap();
    return check_done("test-const-eval");
}
