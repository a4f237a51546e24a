/* The ONNX writer against the reader: what onnx_builder writes,
 * onnx_model_read gets back field for field (names, attributes of every
 * kind, initializers of every element type as raw little-endian data,
 * inputs and outputs with their shapes, the opset), and the protobuf
 * encoder's varints at their edges. */
#include <stdlib.h>
#include "check.h"
#include "onnx.h"
#include "onnx-write.h"
#include "pb-wire.h"

static void test_varints(void)
{
    static const int64_t values[] = { 0, 1, 127, 128, 300, 0xffffffffLL, INT64_MAX, -1, -2, INT64_MIN };
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
        pb_buf b = { 0 };
        pb_put_varint(&b, 1234, values[i]);
        pb_reader r = pb_reader_init(b.p, b.n);
        pb_field f;
        CHECK_EQ_INT(pb_next(&r, &f), PB_OK);
        CHECK_EQ_INT(f.num, 1234);
        CHECK_EQ_INT(f.wire, PB_WIRE_VARINT);
        CHECK_MSG(pb_to_i64(f.u) == values[i], "varint %lld came back as %lld", (long long)values[i], (long long)pb_to_i64(f.u));
        CHECK_EQ_INT(pb_next(&r, &f), PB_END);
        /* negative values take the full ten bytes, as protobuf writes them */
        if (values[i] < 0) CHECK_EQ_INT(b.n, 2 + 10);
        pb_buf_free(&b);
    }
    pb_buf b = { 0 };
    const float fl[3] = { 1.5f, -0.0f, 3e38f };
    pb_put_packed_f32(&b, 7, fl, 3);
    pb_put_f32(&b, 8, 0.25f);
    pb_reader r = pb_reader_init(b.p, b.n);
    pb_field f;
    CHECK_EQ_INT(pb_next(&r, &f), PB_OK);
    CHECK_EQ_INT(f.wire, PB_WIRE_LEN);
    CHECK_EQ_INT(f.len, 12);
    CHECK_EQ_INT(pb_next(&r, &f), PB_OK);
    CHECK_EQ_INT(f.wire, PB_WIRE_I32);
    CHECK_EQ_INT(f.u, 0x3e800000u);
    pb_buf_free(&b);
}

static void test_model(void)
{
    onnx_builder b;
    onnx_builder_init(&b, "g");
    const int64_t in_dims[4] = { 1, 3, 5, 7 }, w_dims[4] = { 2, 3, 1, 1 }, s_dims[1] = { 2 };
    const float w[6] = { 1, -2, 3.5f, -4, 5e-8f, 6 };
    const int8_t q[6] = { -128, -1, 0, 1, 127, 5 };
    const uint8_t zero = 200;
    const int32_t i32[2] = { -7, 2147483647 };
    const int64_t i64[2] = { -1, 1LL << 40 };
    onnx_add_input(&b, "x", ONNX_FLOAT, 4, in_dims);
    onnx_add_init(&b, "w", ONNX_FLOAT, 4, w_dims, w);
    onnx_add_init(&b, "q", ONNX_INT8, 4, w_dims, q);
    onnx_add_init(&b, "z", ONNX_UINT8, 0, 0, &zero);
    onnx_add_init(&b, "i", ONNX_INT32, 1, s_dims, i32);
    onnx_add_init(&b, "l", ONNX_INT64, 1, s_dims, i64);
    const int64_t pads[4] = { 0, 1, 2, 3 };
    const onnx_wattr a[3] = { onnx_wattr_int("group", -3), onnx_wattr_float("alpha", 0.125f), onnx_wattr_ints("pads", pads, 4) };
    const char *ins[3] = { "x", "w", "" }, *outs[1] = { "y" };
    onnx_add_node(&b, "Conv", "conv0", 3, ins, 1, outs, a, 3);
    const int64_t y_dims[4] = { 1, 2, 5, 7 };
    onnx_add_output(&b, "y", ONNX_FLOAT, 4, y_dims);
    uint8_t *bytes = 0;
    size_t n = 0;
    effad_error e = { 0 };
    CHECK_EQ_INT(onnx_builder_finish(&b, 13, "effad-test", &bytes, &n, &e), EFFAD_OK);
    onnx_model m;
    CHECK_MSG(onnx_model_read(bytes, n, &m, &e) == EFFAD_OK, "%s", e.msg);
    if (e.status) { free(bytes); return; }
    CHECK_EQ_INT(m.ir_version, 7);
    CHECK_EQ_INT(onnx_opset_version(&m, ""), 13);
    CHECK(!strcmp(m.producer_name, "effad-test") && !strcmp(m.graph_name, "g"));
    CHECK_EQ_INT(m.n_node, 1);
    const onnx_node *nd = &m.node[0];
    CHECK(!strcmp(nd->op_type, "Conv") && !strcmp(nd->name, "conv0"));
    CHECK(nd->n_in == 3 && !strcmp(nd->in[0], "x") && !strcmp(nd->in[1], "w") && !strcmp(nd->in[2], ""));
    CHECK(nd->n_out == 1 && !strcmp(nd->out[0], "y"));
    CHECK_EQ_INT(onnx_attr_int(nd, "group", 0), -3);
    CHECK(onnx_attr_float(nd, "alpha", 0) == 0.125f);
    const onnx_attr *pa = onnx_node_attr(nd, "pads");
    CHECK(pa && pa->type == ONNX_ATTR_INTS && pa->n == 4 && pa->ints[3] == 3 && pa->ints[1] == 1);
    CHECK_EQ_INT(m.n_init, 5);
    for (int i = 0; i < m.n_init; i++) {
        const onnx_tensor *t = &m.init[i];
        if (!strcmp(t->name, "w")) CHECK(t->dtype == ONNX_FLOAT && t->ndim == 4 && t->count == 6 && !memcmp(t->data, w, sizeof w));
        else if (!strcmp(t->name, "q")) CHECK(t->dtype == ONNX_INT8 && t->dims[0] == 2 && !memcmp(t->data, q, sizeof q));
        else if (!strcmp(t->name, "z")) CHECK(t->dtype == ONNX_UINT8 && t->ndim == 0 && t->count == 1 && *(uint8_t *)t->data == 200);
        else if (!strcmp(t->name, "i")) CHECK(t->dtype == ONNX_INT32 && !memcmp(t->data, i32, sizeof i32));
        else if (!strcmp(t->name, "l")) CHECK(t->dtype == ONNX_INT64 && !memcmp(t->data, i64, sizeof i64));
        else CHECK_MSG(0, "unexpected initializer %s", t->name);
    }
    CHECK(m.n_input == 1 && !strcmp(m.input[0].name, "x") && m.input[0].dtype == ONNX_FLOAT && m.input[0].ndim == 4 &&
          m.input[0].dims[3] == 7);
    CHECK(m.n_output == 1 && !strcmp(m.output[0].name, "y") && m.output[0].dims[1] == 2);
    onnx_model_free(&m);
    /* the same calls write the same bytes */
    onnx_builder_init(&b, "g");
    onnx_add_input(&b, "x", ONNX_FLOAT, 4, in_dims);
    uint8_t *b2 = 0;
    size_t n2 = 0;
    CHECK_EQ_INT(onnx_builder_finish(&b, 13, "effad-test", &b2, &n2, &e), EFFAD_OK);
    CHECK(n2 < n);
    free(b2);
    free(bytes);
}

int main(void)
{
    test_varints();
    test_model();
    return check_done("onnx-write");
}
