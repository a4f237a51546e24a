/*
 * onnx.h -- an ONNX model decoded into plain C structs.
 *
 * Written from the wire format described by onnx.proto (ModelProto,
 * GraphProto, NodeProto, AttributeProto, TensorProto, ValueInfoProto,
 * OperatorSetIdProto); no protobuf library, no generated code. Only the
 * fields effad uses are kept; unknown fields are skipped as the protobuf
 * wire format allows. Everything a model owns lives in its own allocations,
 * released by onnx_model_free(). This is host-side code (the converter and
 * the conformance runner), so it may use malloc; it never prints.
 */
#ifndef EFFAD_ONNX_H
#define EFFAD_ONNX_H

#include <stddef.h>
#include <stdint.h>
#include "effad.h"

/* TensorProto.DataType values (onnx.proto). */
typedef enum onnx_dtype {
    ONNX_UNDEFINED = 0, ONNX_FLOAT = 1, ONNX_UINT8 = 2, ONNX_INT8 = 3,
    ONNX_UINT16 = 4, ONNX_INT16 = 5, ONNX_INT32 = 6, ONNX_INT64 = 7,
    ONNX_STRING = 8, ONNX_BOOL = 9, ONNX_FLOAT16 = 10, ONNX_DOUBLE = 11,
    ONNX_UINT32 = 12, ONNX_UINT64 = 13, ONNX_COMPLEX64 = 14,
    ONNX_COMPLEX128 = 15, ONNX_BFLOAT16 = 16
} onnx_dtype;

#define ONNX_MAX_DIMS 8

/* A decoded tensor. data holds count elements in native byte order with
 * the C type of its dtype: float, double, int8_t, uint8_t, int16_t,
 * uint16_t, int32_t, int64_t, uint32_t, uint64_t, and uint8_t (0/1) for
 * BOOL; FLOAT16/BFLOAT16 as their raw uint16_t bits. STRING and complex
 * tensors keep dtype and dims but data == NULL (nothing in effad uses them;
 * whoever meets one refuses it by name). count is the product of dims
 * (1 for a scalar, ndim == 0). */
typedef struct onnx_tensor {
    char *name;
    onnx_dtype dtype;
    int ndim;
    int64_t dims[ONNX_MAX_DIMS];
    size_t count;
    void *data;
} onnx_tensor;

typedef enum onnx_attr_type {
    ONNX_ATTR_UNDEFINED = 0, ONNX_ATTR_FLOAT = 1, ONNX_ATTR_INT = 2,
    ONNX_ATTR_STRING = 3, ONNX_ATTR_TENSOR = 4, ONNX_ATTR_GRAPH = 5,
    ONNX_ATTR_FLOATS = 6, ONNX_ATTR_INTS = 7, ONNX_ATTR_STRINGS = 8,
    ONNX_ATTR_TENSORS = 9, ONNX_ATTR_GRAPHS = 10
} onnx_attr_type;

typedef struct onnx_attr {
    char *name;
    onnx_attr_type type;
    float f;                 /* FLOAT  */
    int64_t i;               /* INT    */
    char *s; size_t s_len;   /* STRING (NUL-terminated as well)            */
    onnx_tensor *t;          /* TENSOR */
    int n;                   /* FLOATS / INTS: element count               */
    float *floats;
    int64_t *ints;
    /* GRAPH(S), STRINGS, TENSORS: only the type is kept; users refuse them. */
} onnx_attr;

typedef struct onnx_node {
    char *name, *op_type, *domain;   /* never NULL; "" when absent          */
    int n_in, n_out;
    char **in, **out;                /* "" marks an omitted optional input   */
    int n_attr;
    onnx_attr *attr;
} onnx_node;

/* A graph input/output/value_info: name plus tensor type when present.
 * dims[i] < 0 is a symbolic or unknown dimension (dim_param kept). */
typedef struct onnx_value {
    char *name;
    onnx_dtype dtype;                /* ONNX_UNDEFINED when no type given    */
    int ndim;                        /* -1 when the shape is absent          */
    int64_t dims[ONNX_MAX_DIMS];
    char *dim_param[ONNX_MAX_DIMS];  /* NULL unless the dim is symbolic      */
} onnx_value;

typedef struct onnx_opset { char *domain; int64_t version; } onnx_opset;

typedef struct onnx_model {
    int64_t ir_version;
    char *producer_name, *producer_version, *graph_name;
    int n_opset;        onnx_opset *opset;
    int n_node;         onnx_node *node;
    int n_init;         onnx_tensor *init;     /* initializers */
    int n_input;        onnx_value *input;     /* may include initializers */
    int n_output;       onnx_value *output;
    int n_value_info;   onnx_value *value_info;
} onnx_model;

/* Decodes a serialised ModelProto. On failure m is left empty (safe to
 * free) and e says what was wrong and where (message field path and byte
 * offset, e.g. "graph.node[12].attribute[0]: truncated varint at byte 4711").
 * Refused with a message: external-data tensors, sparse initializers,
 * nested graphs used by nodes we read (If/Loop bodies are kept as type only),
 * dims beyond ONNX_MAX_DIMS, tensors whose data length disagrees with dims. */
effad_status onnx_model_read(const uint8_t *bytes, size_t n, onnx_model *m, effad_error *e);
void onnx_model_free(onnx_model *m);

/* Frees what one node owns (for code that edits a model in place). */
void onnx_node_free(onnx_node *nd);

/* Decodes one serialised TensorProto (the test_data_set_N/NAME.pb files). */
effad_status onnx_tensor_read(const uint8_t *bytes, size_t n, onnx_tensor *t, effad_error *e);
void onnx_tensor_free(onnx_tensor *t);

/* Lookups; NULL / default when absent. */
const onnx_attr *onnx_node_attr(const onnx_node *node, const char *name);
int64_t onnx_attr_int(const onnx_node *node, const char *name, int64_t dflt);
float onnx_attr_float(const onnx_node *node, const char *name, float dflt);
/* The default opset version for domain ("" or "ai.onnx"), or -1. */
int64_t onnx_opset_version(const onnx_model *m, const char *domain);
const char *onnx_dtype_name(onnx_dtype t);
/* Size in bytes of one element as stored in onnx_tensor.data, 0 if none. */
size_t onnx_dtype_size(onnx_dtype t);

#endif /* EFFAD_ONNX_H */
