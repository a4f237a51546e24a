/* Constant tensors: storage, conversion from ONNX, element access. */
#include <stdlib.h>
#include <string.h>
#include "ctensor.h"

int ctensor_is_float(onnx_dtype t)
{
    return t == ONNX_FLOAT || t == ONNX_DOUBLE || t == ONNX_FLOAT16 || t == ONNX_BFLOAT16;
}

int ctensor_shape_ok(int ndim, const int64_t *dims, size_t *count)
{
    if (ndim < 0 || ndim > ONNX_MAX_DIMS) return 0;
    int64_t nonzero = 1;
    int zero = 0;
    for (int d = 0; d < ndim; d++) {
        if (dims[d] < 0 || dims[d] > CTENSOR_MAX_DIM) return 0;
        if (!dims[d]) { zero = 1; continue; }
        if (dims[d] > CTENSOR_MAX_SHAPE_ELEMENTS / nonzero) return 0;
        nonzero *= dims[d];
    }
    if (count) *count = zero ? 0 : (size_t)nonzero;
    return 1;
}

effad_status ctensor_alloc(ctensor *t, onnx_dtype dtype, int ndim, const int64_t *dims, effad_error *e)
{
    memset(t, 0, sizeof *t);
    if (ndim < 0 || ndim > ONNX_MAX_DIMS)
        return effad_fail(e, EFFAD_ERR_UNSUPPORTED, "tensor of rank %d", ndim);
    for (int d = 0; d < ndim; d++)
        if (dims[d] < 0) return effad_fail(e, EFFAD_ERR_FORMAT, "negative dimension %lld", (long long)dims[d]);
    size_t count;
    if (!ctensor_shape_ok(ndim, dims, &count) || count > CTENSOR_MAX_ELEMENTS)
        return effad_fail(e, EFFAD_ERR_UNSUPPORTED, "constant tensor too large (at most %zu elements, dimensions up to %lld)",
                          CTENSOR_MAX_ELEMENTS, (long long)CTENSOR_MAX_DIM);
    for (int d = 0; d < ndim; d++) t->dims[d] = dims[d];
    t->dtype = dtype;
    t->ndim = ndim;
    t->count = count;
    t->has_data = 1;
    if (ctensor_is_float(dtype)) t->f = calloc(count ? count : 1, sizeof(double));
    else t->i = calloc(count ? count : 1, sizeof(int64_t));
    if (!t->f && !t->i) return effad_fail(e, EFFAD_ERR_NOMEM, "out of memory for a %zu-element tensor", count);
    return EFFAD_OK;
}

void ctensor_free(ctensor *t)
{
    if (!t) return;
    free(t->i);
    free(t->f);
    memset(t, 0, sizeof *t);
}

effad_status ctensor_from_onnx(ctensor *t, const onnx_tensor *src, effad_error *e)
{
    effad_status s;
    if (!src->data && src->count)
        return effad_fail(e, EFFAD_ERR_UNSUPPORTED, "tensor '%s' has dtype %s, which effad does not compute with",
                          src->name ? src->name : "", onnx_dtype_name(src->dtype));
    if ((s = ctensor_alloc(t, src->dtype, src->ndim, src->dims, e))) return s;
    for (size_t k = 0; k < t->count; k++) {
        const void *p = src->data;
        switch (src->dtype) {
        case ONNX_FLOAT:  t->f[k] = ((const float *)p)[k]; break;
        case ONNX_DOUBLE: t->f[k] = ((const double *)p)[k]; break;
        case ONNX_INT8:   t->i[k] = ((const int8_t *)p)[k]; break;
        case ONNX_UINT8:  t->i[k] = ((const uint8_t *)p)[k]; break;
        case ONNX_BOOL:   t->i[k] = ((const uint8_t *)p)[k] != 0; break;
        case ONNX_INT16:  t->i[k] = ((const int16_t *)p)[k]; break;
        case ONNX_UINT16: t->i[k] = ((const uint16_t *)p)[k]; break;
        case ONNX_INT32:  t->i[k] = ((const int32_t *)p)[k]; break;
        case ONNX_UINT32: t->i[k] = ((const uint32_t *)p)[k]; break;
        case ONNX_INT64:  t->i[k] = ((const int64_t *)p)[k]; break;
        case ONNX_UINT64: t->i[k] = (int64_t)((const uint64_t *)p)[k]; break;
        default:
            ctensor_free(t);
            return effad_fail(e, EFFAD_ERR_UNSUPPORTED, "tensor '%s' has dtype %s, which effad does not compute with",
                              src->name ? src->name : "", onnx_dtype_name(src->dtype));
        }
    }
    return EFFAD_OK;
}

effad_status ctensor_copy(ctensor *dst, const ctensor *src, effad_error *e)
{
    effad_status s = ctensor_alloc(dst, src->dtype, src->ndim, src->dims, e);
    if (s) return s;
    if (src->f) memcpy(dst->f, src->f, src->count * sizeof(double));
    if (src->i) memcpy(dst->i, src->i, src->count * sizeof(int64_t));
    dst->has_data = src->has_data;
    return EFFAD_OK;
}

double ctensor_get_f(const ctensor *t, size_t k) { return t->f ? t->f[k] : (double)t->i[k]; }
int64_t ctensor_get_i(const ctensor *t, size_t k) { return t->i ? t->i[k] : (int64_t)t->f[k]; }

float *ctensor_to_f32(const ctensor *t)
{
    float *w = malloc((t->count ? t->count : 1) * sizeof(float));
    if (!w) return 0;
    for (size_t k = 0; k < t->count; k++) w[k] = (float)ctensor_get_f(t, k);
    return w;
}
