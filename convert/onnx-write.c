/* ONNX ModelProto, encoded (onnx-write.h). Field numbers from onnx.proto:
 *   ModelProto      ir_version 1, producer_name 2, graph 7, opset_import 8
 *   OperatorSetId   domain 1, version 2
 *   GraphProto      node 1, name 2, initializer 5, input 11, output 12
 *   NodeProto       input 1, output 2, name 3, op_type 4, attribute 5
 *   AttributeProto  name 1, f 2, i 3, ints 8, type 20
 *   TensorProto     dims 1, data_type 2, name 8, raw_data 9
 *   ValueInfoProto  name 1, type 2; TypeProto tensor_type 1;
 *   TypeProto.Tensor elem_type 1, shape 2; TensorShapeProto dim 1;
 *   Dimension       dim_value 1                                      */
#include <stdlib.h>
#include <string.h>
#include "onnx-write.h"
#include "le.h"

void onnx_builder_init(onnx_builder *b, const char *graph_name)
{
    memset(b, 0, sizeof *b);
    size_t n = strlen(graph_name) + 1;
    b->name = malloc(n);
    if (b->name) memcpy(b->name, graph_name, n);
    else b->nodes.failed = 1;
}

void onnx_builder_free(onnx_builder *b)
{
    pb_buf_free(&b->nodes); pb_buf_free(&b->inits); pb_buf_free(&b->inputs); pb_buf_free(&b->outputs);
    free(b->name);
    memset(b, 0, sizeof *b);
}

/* A ValueInfoProto as field num (GraphProto input 11, output 12). */
static void add_value(pb_buf *list, uint32_t num, const char *name, onnx_dtype t, int ndim, const int64_t *dims)
{
    pb_buf shape = { 0 }, tensor = { 0 }, type = { 0 }, vi = { 0 };
    for (int d = 0; d < ndim; d++) {
        pb_buf dim = { 0 };
        pb_put_varint(&dim, 1, dims[d]);
        pb_put_msg(&shape, 1, &dim);
        pb_buf_free(&dim);
    }
    pb_put_varint(&tensor, 1, t);
    pb_put_msg(&tensor, 2, &shape);
    pb_put_msg(&type, 1, &tensor);
    pb_put_str(&vi, 1, name);
    pb_put_msg(&vi, 2, &type);
    pb_put_msg(list, num, &vi);
    pb_buf_free(&shape); pb_buf_free(&tensor); pb_buf_free(&type); pb_buf_free(&vi);
}

void onnx_add_input(onnx_builder *b, const char *name, onnx_dtype t, int ndim, const int64_t *dims)
{
    add_value(&b->inputs, 11, name, t, ndim, dims);
}

void onnx_add_output(onnx_builder *b, const char *name, onnx_dtype t, int ndim, const int64_t *dims)
{
    add_value(&b->outputs, 12, name, t, ndim, dims);
}

void onnx_add_init(onnx_builder *b, const char *name, onnx_dtype t, int ndim, const int64_t *dims, const void *data)
{
    size_t count = 1;
    for (int d = 0; d < ndim; d++) count *= (size_t)dims[d];
    const size_t size = onnx_dtype_size(t);
    pb_buf tp = { 0 };
    for (int d = 0; d < ndim; d++) pb_put_varint(&tp, 1, dims[d]);
    pb_put_varint(&tp, 2, t);
    pb_put_str(&tp, 8, name);
    uint8_t *raw = malloc(count * size + 1);
    if (!raw) { b->inits.failed = 1; pb_buf_free(&tp); return; }
    const uint8_t *src = data;
    for (size_t k = 0; k < count; k++) {
        /* native -> little-endian, element by element */
        uint64_t u = 0;
        if (size == 1) u = src[k];
        else if (size == 2) { uint16_t v; memcpy(&v, src + 2 * k, 2); u = v; }
        else if (size == 4) { uint32_t v; memcpy(&v, src + 4 * k, 4); u = v; }
        else if (size == 8) memcpy(&u, src + 8 * k, 8);
        for (size_t i = 0; i < size; i++) raw[k * size + i] = (uint8_t)(u >> (8 * i));
    }
    pb_put_bytes(&tp, 9, raw, count * size);
    free(raw);
    pb_put_msg(&b->inits, 5, &tp);
    pb_buf_free(&tp);
}

void onnx_add_node(onnx_builder *b, const char *op_type, const char *name, int n_in, const char *const *in,
                   int n_out, const char *const *out, const onnx_wattr *attr, int n_attr)
{
    pb_buf nd = { 0 };
    for (int i = 0; i < n_in; i++) pb_put_str(&nd, 1, in[i]);
    for (int i = 0; i < n_out; i++) pb_put_str(&nd, 2, out[i]);
    pb_put_str(&nd, 3, name);
    pb_put_str(&nd, 4, op_type);
    for (int i = 0; i < n_attr; i++) {
        pb_buf a = { 0 };
        pb_put_str(&a, 1, attr[i].name);
        switch (attr[i].type) {
        case ONNX_ATTR_FLOAT: pb_put_f32(&a, 2, attr[i].f); break;
        case ONNX_ATTR_INT: pb_put_varint(&a, 3, attr[i].i); break;
        case ONNX_ATTR_INTS: pb_put_packed_varints(&a, 8, attr[i].ints, (size_t)attr[i].n); break;
        default: a.failed = 1; break;
        }
        pb_put_varint(&a, 20, attr[i].type);
        pb_put_msg(&nd, 5, &a);
        pb_buf_free(&a);
    }
    pb_put_msg(&b->nodes, 1, &nd);
    pb_buf_free(&nd);
    b->n_nodes++;
}

effad_status onnx_builder_finish(onnx_builder *b, int64_t opset, const char *producer, uint8_t **out,
                                 size_t *out_bytes, effad_error *e)
{
    *out = 0; *out_bytes = 0;
    pb_buf graph = { 0 }, model = { 0 }, ops = { 0 };
    pb_put_raw(&graph, b->nodes.p, b->nodes.n);
    if (b->name) pb_put_str(&graph, 2, b->name);
    pb_put_raw(&graph, b->inits.p, b->inits.n);
    pb_put_raw(&graph, b->inputs.p, b->inputs.n);
    pb_put_raw(&graph, b->outputs.p, b->outputs.n);
    pb_put_varint(&model, 1, opset >= 21 ? 10 : 7);   /* opset 21 came with IR version 10 */
    pb_put_str(&model, 2, producer);
    pb_put_msg(&model, 7, &graph);
    pb_put_str(&ops, 1, "");
    pb_put_varint(&ops, 2, opset);
    pb_put_msg(&model, 8, &ops);
    const int failed = b->nodes.failed || b->inits.failed || b->inputs.failed || b->outputs.failed || graph.failed ||
                       model.failed;
    onnx_builder_free(b);
    pb_buf_free(&graph);
    pb_buf_free(&ops);
    if (failed) { pb_buf_free(&model); return effad_fail(e, EFFAD_ERR_NOMEM, "out of memory writing ONNX"); }
    *out = model.p;
    *out_bytes = model.n;
    return EFFAD_OK;
}
