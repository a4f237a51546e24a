/*
 * onnx-write.h -- building an ONNX ModelProto: the writing half of
 * onnx.h, on the wire encoder of pb-write.h. Written from onnx.proto's
 * field numbers; no protobuf library, no generated code.
 *
 * A graph is added to node by node in topological order; initializers,
 * inputs and outputs may come at any time. Tensors are stored as
 * raw_data, little-endian whatever the host. The bytes depend only on
 * the calls made, so the same model always serialises the same way.
 *
 *   onnx_builder b;
 *   onnx_builder_init(&b, "graph name");
 *   onnx_add_input(&b, "x", ONNX_FLOAT, 4, dims);
 *   onnx_add_init_f32(&b, "w", 4, wdims, w);
 *   onnx_add_node(&b, "Conv", "conv0", 2, (const char *[]){ "x", "w" }, 1, (const char *[]){ "y" }, attrs, 2);
 *   onnx_add_output(&b, "y", ONNX_FLOAT, 4, ydims);
 *   onnx_builder_finish(&b, 13, "effad", &bytes, &n, e);   // frees the builder
 */
#ifndef EFFAD_ONNX_WRITE_H
#define EFFAD_ONNX_WRITE_H

#include "onnx.h"
#include "pb-write.h"

typedef struct onnx_builder {
    pb_buf nodes, inits, inputs, outputs;
    char *name;
    int n_nodes;
} onnx_builder;

/* One attribute of a node: INT, FLOAT or INTS. */
typedef struct onnx_wattr {
    const char *name;
    onnx_attr_type type;
    int64_t i;
    float f;
    const int64_t *ints; int n;
} onnx_wattr;

static inline onnx_wattr onnx_wattr_int(const char *name, int64_t v)
{
    onnx_wattr a = { name, ONNX_ATTR_INT, v, 0.0f, 0, 0 };
    return a;
}
static inline onnx_wattr onnx_wattr_float(const char *name, float v)
{
    onnx_wattr a = { name, ONNX_ATTR_FLOAT, 0, v, 0, 0 };
    return a;
}
static inline onnx_wattr onnx_wattr_ints(const char *name, const int64_t *v, int n)
{
    onnx_wattr a = { name, ONNX_ATTR_INTS, 0, 0.0f, v, n };
    return a;
}

void onnx_builder_init(onnx_builder *b, const char *graph_name);
void onnx_builder_free(onnx_builder *b);

void onnx_add_input(onnx_builder *b, const char *name, onnx_dtype t, int ndim, const int64_t *dims);
void onnx_add_output(onnx_builder *b, const char *name, onnx_dtype t, int ndim, const int64_t *dims);
/* An initializer of ndim dims (0: a scalar) from native values of the C
 * type of t: float (FLOAT), int8_t (INT8), uint8_t (UINT8), int32_t (INT32),
 * int64_t (INT64). */
void onnx_add_init(onnx_builder *b, const char *name, onnx_dtype t, int ndim, const int64_t *dims, const void *data);
void onnx_add_node(onnx_builder *b, const char *op_type, const char *name, int n_in, const char *const *in,
                   int n_out, const char *const *out, const onnx_wattr *attr, int n_attr);

/* Serialises the model (IR version 7, or 10 from opset 21; default-domain
 * opset `opset`) into
 * a malloc'd buffer and frees the builder, also on failure. */
effad_status onnx_builder_finish(onnx_builder *b, int64_t opset, const char *producer, uint8_t **out,
                                 size_t *out_bytes, effad_error *e);

#endif /* EFFAD_ONNX_WRITE_H */
