/*
 * ctensor.h -- constant tensors as the converter computes with them.
 *
 * Shape subgraphs mix int64, int32, float and bool; rather than one code
 * path per type, values live either as int64 (integers and bool) or as
 * double (floating types), tagged with their ONNX dtype. Float32 results
 * are rounded back to float after every operation so that folded values
 * equal what a float32 runtime computes.
 */
#ifndef EFFAD_CTENSOR_H
#define EFFAD_CTENSOR_H

#include "onnx.h"

typedef struct ctensor {
    onnx_dtype dtype;
    int ndim;
    int64_t dims[ONNX_MAX_DIMS];
    size_t count;
    int64_t *i;      /* integer and bool dtypes */
    double *f;       /* FLOAT, DOUBLE, FLOAT16 (as values) */
    int has_data;    /* 0: only the shape is known (e.g. a network activation) */
} ctensor;

/* What the converter materialises is bounded, so that a small ONNX file
 * cannot make it allocate gigabytes (a ConstantOfShape of [2^20, 2^20] is
 * a dozen bytes):
 *   - a dimension is 0 .. CTENSOR_MAX_DIM, and the product of the non-zero
 *     dimensions of a shape at most CTENSOR_MAX_SHAPE_ELEMENTS, so that
 *     any product or sum of dimensions fits int64 with room to spare;
 *   - a tensor with data holds at most CTENSOR_MAX_ELEMENTS elements,
 *     8 bytes each (int64 or double): 128 MiB. The largest EfficientNet
 *     weight (B7's 2560 x 1000 classifier) is 2.6 M elements;
 *   - the tensors constant folding computes in one graph total at most
 *     CTENSOR_MAX_FOLDED_ELEMENTS, or twice the elements of the graph's own
 *     initializers when that is more (weights that pass through Identity
 *     or Transpose nodes): graph.c keeps the count.
 * Beyond these limits the converter refuses the model with a message. */
#define CTENSOR_MAX_DIM ((int64_t)INT32_MAX)
#define CTENSOR_MAX_SHAPE_ELEMENTS ((int64_t)1 << 40)
#define CTENSOR_MAX_ELEMENTS ((size_t)1 << 24)
#define CTENSOR_MAX_FOLDED_ELEMENTS ((size_t)1 << 25)

int ctensor_is_float(onnx_dtype t);
/* Whether dims is a shape within the limits above; *count receives the
 * element count (0 if a dimension is 0). */
int ctensor_shape_ok(int ndim, const int64_t *dims, size_t *count);
/* Allocates storage for the given shape (within CTENSOR_MAX_ELEMENTS;
 * EFFAD_ERR_UNSUPPORTED otherwise); count computed. */
effad_status ctensor_alloc(ctensor *t, onnx_dtype dtype, int ndim, const int64_t *dims, effad_error *e);
void ctensor_free(ctensor *t);
effad_status ctensor_from_onnx(ctensor *t, const onnx_tensor *src, effad_error *e);
effad_status ctensor_copy(ctensor *dst, const ctensor *src, effad_error *e);
/* Element k as double / int64 whatever the storage. */
double ctensor_get_f(const ctensor *t, size_t k);
int64_t ctensor_get_i(const ctensor *t, size_t k);
/* Float32 copy of the data (malloc'd), for weights. */
float *ctensor_to_f32(const ctensor *t);

/* Evaluates one node whose inputs are all constants (in[k] == NULL for an
 * omitted optional input; for Shape/Size only the dims of in[0] are read).
 * opset is the default-domain opset of the model (attributes vs inputs for
 * Slice, Squeeze, Unsqueeze, ...). out[0..n_out) receive fresh tensors.
 * EFFAD_ERR_UNSUPPORTED means "not a constant-foldable op here". */
effad_status ceval_node(const onnx_node *node, int64_t opset, const ctensor *const *in, int n_in,
                        ctensor *out, int n_out, effad_error *e);
/* Whether ceval_node knows op_type (used to decide what to fold). */
int ceval_supports(const char *op_type);

#endif
