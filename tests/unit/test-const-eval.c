/*
 * test-const-eval.c -- regressions found by ONNX's backend tests and by the
 * fuzzer (tests/fuzz/fuzz-onnx.c) in the constant evaluator
 * (convert/const-eval.c) and its limits (convert/ctensor.h).
 */
#include <math.h>
#include <stdint.h>
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

static void scalar_i64(ctensor *t, int64_t v)
{
    CHECK_EQ_INT(ctensor_alloc(t, ONNX_INT64, 0, 0, 0), EFFAD_OK);
    t->i[0] = v;
}

/* A dozen bytes must not allocate gigabytes: ConstantOfShape [2^20, 2^20]
 * (what the fuzzer first found: a 256 GiB calloc) and a shape whose zero
 * hides huge other dimensions are refused by the limits, with a message. */
static void test_size_limits(void)
{
    int64_t two = 2;
    ctensor shape, y;
    effad_error e = { 0 };
    CHECK_EQ_INT(ctensor_alloc(&shape, ONNX_INT64, 1, &two, 0), EFFAD_OK);
    shape.i[0] = shape.i[1] = (int64_t)1 << 20;
    onnx_node n = node("ConstantOfShape", 0, 0);
    const ctensor *in[1] = { &shape };
    CHECK_EQ_INT(ceval_node(&n, 13, in, 1, &y, 1, &e), EFFAD_ERR_UNSUPPORTED);
    CHECK_STR_CONTAINS(e.msg, "constant tensor too large");
    shape.i[0] = 4096; shape.i[1] = 4096;      /* 2^24 elements: the largest allowed */
    CHECK_EQ_INT(ceval_node(&n, 13, in, 1, &y, 1, &e), EFFAD_OK);
    CHECK_EQ_INT(y.count, (int64_t)CTENSOR_MAX_ELEMENTS);
    ctensor_free(&y);
    shape.i[0] = 0; shape.i[1] = (int64_t)1 << 62;   /* 0 elements, but no sane shape */
    CHECK_EQ_INT(ceval_node(&n, 13, in, 1, &y, 1, &e), EFFAD_ERR_UNSUPPORTED);
    ctensor_free(&shape);
    int64_t dims[3] = { 0, INT32_MAX, INT32_MAX };
    CHECK(!ctensor_shape_ok(3, dims, 0));
    dims[2] = 512;
    size_t count = 1;
    CHECK(ctensor_shape_ok(3, dims, &count));
    CHECK_EQ_INT(count, 0);
}

/* Steps and bounds anywhere in int64: counts come out exact, without the
 * signed overflow of span + step - 1 or of -INT64_MIN. */
static void test_int64_extremes(void)
{
    int64_t five = 5, one = 1;
    ctensor data, st, en, ax, sp, y;
    effad_error e = { 0 };
    CHECK_EQ_INT(ctensor_alloc(&data, ONNX_INT64, 1, &five, 0), EFFAD_OK);
    for (int k = 0; k < 5; k++) data.i[k] = 10 + k;
    CHECK_EQ_INT(ctensor_alloc(&st, ONNX_INT64, 1, &one, 0), EFFAD_OK);
    CHECK_EQ_INT(ctensor_alloc(&en, ONNX_INT64, 1, &one, 0), EFFAD_OK);
    CHECK_EQ_INT(ctensor_alloc(&ax, ONNX_INT64, 1, &one, 0), EFFAD_OK);
    CHECK_EQ_INT(ctensor_alloc(&sp, ONNX_INT64, 1, &one, 0), EFFAD_OK);
    const ctensor *in[5] = { &data, &st, &en, &ax, &sp };
    onnx_node n = node("Slice", 0, 0);
    struct { int64_t start, end, step; int count; int64_t first; } cases[] = {
        { 1, INT64_MAX, INT64_MAX, 1, 11 },    /* numpy: x[1::huge] = [11] */
        { -1, INT64_MIN, INT64_MIN, 1, 14 },   /* x[-1::-huge] = [14] */
        { INT64_MAX, INT64_MIN, -1, 5, 14 },   /* the whole of it, reversed */
        { INT64_MIN, INT64_MAX, 2, 3, 10 },
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        st.i[0] = cases[c].start; en.i[0] = cases[c].end; ax.i[0] = 0; sp.i[0] = cases[c].step;
        CHECK_EQ_INT(ceval_node(&n, 13, in, 5, &y, 1, &e), EFFAD_OK);
        CHECK_MSG(y.count == (size_t)cases[c].count && y.i[0] == cases[c].first, "Slice case %zu: %zu elements, first %lld",
                  c, y.count, (long long)(y.count ? y.i[0] : -1));
        ctensor_free(&y);
    }
    ctensor_free(&data); ctensor_free(&st); ctensor_free(&en); ctensor_free(&ax); ctensor_free(&sp);

    ctensor a, b, d;
    onnx_node r = node("Range", 0, 0);
    const ctensor *rin[3] = { &a, &b, &d };
    scalar_i64(&a, INT64_MAX - 2); scalar_i64(&b, INT64_MAX); scalar_i64(&d, 1);
    CHECK_EQ_INT(ceval_node(&r, 13, rin, 3, &y, 1, &e), EFFAD_OK);
    CHECK(y.count == 2 && y.i[0] == INT64_MAX - 2 && y.i[1] == INT64_MAX - 1);
    ctensor_free(&y);
    a.i[0] = INT64_MIN; b.i[0] = INT64_MAX; d.i[0] = INT64_MAX;   /* 3 elements, the last INT64_MAX - 1 */
    CHECK_EQ_INT(ceval_node(&r, 13, rin, 3, &y, 1, &e), EFFAD_OK);
    CHECK(y.count == 3 && y.i[2] == INT64_MAX - 1);
    ctensor_free(&y);
    a.i[0] = 0; b.i[0] = INT64_MAX; d.i[0] = 1;                   /* 2^63 - 1 elements */
    CHECK_EQ_INT(ceval_node(&r, 13, rin, 3, &y, 1, &e), EFFAD_ERR_UNSUPPORTED);
    CHECK_STR_CONTAINS(e.msg, "Range of 9223372036854775807 elements");
    ctensor_free(&a); ctensor_free(&b); ctensor_free(&d);
    ctensor fa, fb, fd;
    CHECK_EQ_INT(ctensor_alloc(&fa, ONNX_FLOAT, 0, 0, 0), EFFAD_OK);
    CHECK_EQ_INT(ctensor_alloc(&fb, ONNX_FLOAT, 0, 0, 0), EFFAD_OK);
    CHECK_EQ_INT(ctensor_alloc(&fd, ONNX_FLOAT, 0, 0, 0), EFFAD_OK);
    fa.f[0] = 0; fb.f[0] = 1e300; fd.f[0] = 1e-300;                 /* a count beyond int64, and NaN */
    const ctensor *fin[3] = { &fa, &fb, &fd };
    CHECK_EQ_INT(ceval_node(&r, 13, fin, 3, &y, 1, &e), EFFAD_ERR_UNSUPPORTED);
    fb.f[0] = NAN;
    CHECK_EQ_INT(ceval_node(&r, 13, fin, 3, &y, 1, &e), EFFAD_ERR_UNSUPPORTED);
    ctensor_free(&fa); ctensor_free(&fb); ctensor_free(&fd);
}

int main(void)
{
    test_flatten_negative_axis();
    test_integer_wrap();
    test_size_limits();
    test_int64_extremes();
    return check_done("test-const-eval");
}
