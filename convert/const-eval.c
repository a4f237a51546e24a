/* Constant folding of the small integer subgraphs exporters emit.
 *
 * PyTorch exports at opset >= 11 compute Pad amounts, Reshape targets and
 * the like through Shape / Gather / Concat / Slice / ... chains. Rather
 * than recognising one exporter's spelling, the converter evaluates any
 * node whose inputs are all known, with ONNX semantics (numpy-style
 * broadcasting, negative indices, Slice clamping). The conformance runner
 * executes the integer shape ops of ONNX's backend tests through this same
 * file, which is how its corner cases get checked. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "ctensor.h"
#include "pb-wire.h"

static const char *const foldable[] = {
    "Constant", "ConstantOfShape", "Shape", "Size", "Gather", "Concat", "Slice", "Unsqueeze",
    "Squeeze", "Reshape", "Transpose", "Cast", "Add", "Sub", "Mul", "Div", "Neg", "Abs",
    "Floor", "Ceil", "Sqrt", "Min", "Max", "Equal", "Less", "Greater", "Not", "Where", "Range",
    "Expand", "Identity", "Flatten", 0
};

int ceval_supports(const char *op)
{
    for (int i = 0; foldable[i]; i++)
        if (!strcmp(foldable[i], op)) return 1;
    return 0;
}

/* Rounds v the way storing it in dtype would. */
static double store_round(onnx_dtype t, double v)
{
    return t == ONNX_FLOAT ? (double)(float)v : v;
}

/* Wraps v into an integer dtype the way a C conversion to it would, so
 * that uint8 200 + 100 is 44 as in numpy and ONNX Runtime, not 300. */
static int64_t wrap_int(onnx_dtype t, int64_t v)
{
    switch (t) {
    case ONNX_INT8: return (int8_t)(uint8_t)v;
    case ONNX_UINT8: return (uint8_t)v;
    case ONNX_INT16: return (int16_t)(uint16_t)v;
    case ONNX_UINT16: return (uint16_t)v;
    case ONNX_INT32: return (int32_t)(uint32_t)v;
    case ONNX_UINT32: return (uint32_t)v;
    case ONNX_BOOL: return v != 0;
    default: return v;
    }
}

static effad_status need_inputs(const onnx_node *n, const ctensor *const *in, int n_in, int need, effad_error *e)
{
    if (n_in < need) return effad_fail(e, EFFAD_ERR_FORMAT, "%s needs %d inputs, has %d", n->op_type, need, n_in);
    for (int k = 0; k < need; k++)
        if (!in[k]) return effad_fail(e, EFFAD_ERR_FORMAT, "%s: input %d missing", n->op_type, k);
    return EFFAD_OK;
}

static int norm_axis(int64_t axis, int rank, int *out)
{
    if (axis < -rank || axis >= rank) return 0;
    *out = (int)(axis < 0 ? axis + rank : axis);
    return 1;
}

/* Reads a list of ints from input k (opset >= N style) or attribute name. */
static int int_list(const onnx_node *n, const ctensor *const *in, int n_in, int k, const char *attr,
                    int64_t *out, int max)
{
    if (k < n_in && in[k]) {
        if ((int)in[k]->count > max) return -1;
        for (size_t j = 0; j < in[k]->count; j++) out[j] = ctensor_get_i(in[k], j);
        return (int)in[k]->count;
    }
    const onnx_attr *a = attr ? onnx_node_attr(n, attr) : 0;
    if (!a || a->type != ONNX_ATTR_INTS) return -2;   /* absent */
    if (a->n > max) return -1;
    for (int j = 0; j < a->n; j++) out[j] = a->ints[j];
    return a->n;
}

/* Multidimensional index of flat position k in dims. */
static void unravel(size_t k, int ndim, const int64_t *dims, int64_t *idx)
{
    for (int d = ndim - 1; d >= 0; d--) {
        idx[d] = dims[d] ? (int64_t)(k % (size_t)dims[d]) : 0;
        if (dims[d]) k /= (size_t)dims[d];
    }
}

/* Flat offset in t of output index idx (rank out_nd), broadcasting. */
static size_t bcast_offset(const ctensor *t, int out_nd, const int64_t *idx)
{
    size_t off = 0;
    int shift = out_nd - t->ndim;
    for (int d = 0; d < t->ndim; d++) {
        int64_t i = t->dims[d] == 1 ? 0 : idx[d + shift];
        off = off * (size_t)t->dims[d] + (size_t)i;
    }
    return off;
}

static effad_status bcast_shape(const onnx_node *n, const ctensor *a, const ctensor *b, int *nd, int64_t *dims, effad_error *e)
{
    *nd = a->ndim > b->ndim ? a->ndim : b->ndim;
    for (int d = 0; d < *nd; d++) {
        int da = d - (*nd - a->ndim), db = d - (*nd - b->ndim);
        int64_t x = da >= 0 ? a->dims[da] : 1, y = db >= 0 ? b->dims[db] : 1;
        if (x != y && x != 1 && y != 1)
            return effad_fail(e, EFFAD_ERR_FORMAT, "%s: shapes do not broadcast (%lld vs %lld on axis %d)",
                              n->op_type, (long long)x, (long long)y, d);
        dims[d] = x == 1 ? y : x;
    }
    return EFFAD_OK;
}

typedef enum bin_op { B_ADD, B_SUB, B_MUL, B_DIV, B_MIN, B_MAX, B_EQUAL, B_LESS, B_GREATER } bin_op;

static effad_status binary(const onnx_node *n, const ctensor *a, const ctensor *b, ctensor *o, effad_error *e)
{
    const char *op = n->op_type;
    int nd; int64_t dims[ONNX_MAX_DIMS];
    effad_status s = bcast_shape(n, a, b, &nd, dims, e);
    if (s) return s;
    /* the operator is decoded once, not per element: folding may run over
     * millions of elements (ctensor.h) */
    static const char *const names[] = { "Add", "Sub", "Mul", "Div", "Min", "Max", "Equal", "Less", "Greater" };
    bin_op k_op = B_ADD;
    for (int i = 0; i < (int)(sizeof names / sizeof *names); i++) if (!strcmp(op, names[i])) k_op = (bin_op)i;
    int cmp = k_op >= B_EQUAL;
    if (a->dtype != b->dtype && !cmp)
        return effad_fail(e, EFFAD_ERR_FORMAT, "%s: input types %s and %s differ", op,
                          onnx_dtype_name(a->dtype), onnx_dtype_name(b->dtype));
    if ((s = ctensor_alloc(o, cmp ? ONNX_BOOL : a->dtype, nd, dims, e))) return s;
    /* same shapes need no index arithmetic */
    int same = a->ndim == nd && b->ndim == nd && !memcmp(a->dims, dims, sizeof(int64_t) * (size_t)nd) &&
               !memcmp(b->dims, dims, sizeof(int64_t) * (size_t)nd);
    int64_t idx[ONNX_MAX_DIMS];
    for (size_t k = 0; k < o->count; k++) {
        size_t ia = k, ib = k;
        if (!same) {
            unravel(k, nd, dims, idx);
            ia = bcast_offset(a, nd, idx);
            ib = bcast_offset(b, nd, idx);
        }
        if (ctensor_is_float(a->dtype)) {
            double x = ctensor_get_f(a, ia), y = ctensor_get_f(b, ib), r = 0;
            switch (k_op) {
            case B_ADD: r = x + y; break;
            case B_SUB: r = x - y; break;
            case B_MUL: r = x * y; break;
            case B_DIV: r = x / y; break;
            case B_MIN: r = x < y ? x : y; break;
            case B_MAX: r = x > y ? x : y; break;
            case B_EQUAL: o->i[k] = x == y; continue;
            case B_LESS: o->i[k] = x < y; continue;
            case B_GREATER: o->i[k] = x > y; continue;
            }
            o->f[k] = store_round(a->dtype, r);
        } else {
            int64_t x = ctensor_get_i(a, ia), y = ctensor_get_i(b, ib), r = 0;
            switch (k_op) {
            case B_ADD: r = (int64_t)((uint64_t)x + (uint64_t)y); break;
            case B_SUB: r = (int64_t)((uint64_t)x - (uint64_t)y); break;
            case B_MUL: r = (int64_t)((uint64_t)x * (uint64_t)y); break;
            case B_DIV:
                if (y == 0) { ctensor_free(o); return effad_fail(e, EFFAD_ERR_FORMAT, "Div: integer division by zero"); }
                r = (x == INT64_MIN && y == -1) ? x : x / y;   /* C truncation, as ONNX Runtime */
                break;
            case B_MIN: r = x < y ? x : y; break;
            case B_MAX: r = x > y ? x : y; break;
            case B_EQUAL: r = x == y; break;
            case B_LESS: r = x < y; break;
            case B_GREATER: r = x > y; break;
            }
            o->i[k] = cmp ? r : wrap_int(a->dtype, r);
        }
    }
    return EFFAD_OK;
}

static effad_status unary(const onnx_node *n, const ctensor *a, ctensor *o, effad_error *e)
{
    const char *op = n->op_type;
    effad_status s = ctensor_alloc(o, a->dtype, a->ndim, a->dims, e);
    if (s) return s;
    for (size_t k = 0; k < o->count; k++) {
        if (ctensor_is_float(a->dtype)) {
            double x = a->f[k], r = x;
            if (!strcmp(op, "Neg")) r = -x;
            else if (!strcmp(op, "Abs")) r = fabs(x);
            else if (!strcmp(op, "Floor")) r = floor(x);
            else if (!strcmp(op, "Ceil")) r = ceil(x);
            else if (!strcmp(op, "Sqrt")) r = a->dtype == ONNX_FLOAT ? (double)sqrtf((float)x) : sqrt(x);
            o->f[k] = store_round(a->dtype, r);
        } else {
            int64_t x = a->i[k], r = x;
            if (!strcmp(op, "Neg")) r = (int64_t)(0u - (uint64_t)x);
            else if (!strcmp(op, "Abs")) r = x < 0 ? (int64_t)(0u - (uint64_t)x) : x;
            else if (!strcmp(op, "Not")) r = !x;
            else if (!strcmp(op, "Sqrt")) { ctensor_free(o); return effad_fail(e, EFFAD_ERR_UNSUPPORTED, "Sqrt of integers"); }
            o->i[k] = wrap_int(a->dtype, r);
        }
    }
    return EFFAD_OK;
}

static effad_status cast(const onnx_node *n, const ctensor *a, ctensor *o, effad_error *e)
{
    onnx_dtype to = (onnx_dtype)onnx_attr_int(n, "to", 0);
    switch (to) {
    case ONNX_FLOAT: case ONNX_DOUBLE: case ONNX_INT8: case ONNX_UINT8: case ONNX_INT16: case ONNX_UINT16:
    case ONNX_INT32: case ONNX_UINT32: case ONNX_INT64: case ONNX_UINT64: case ONNX_BOOL: break;
    default: return effad_fail(e, EFFAD_ERR_UNSUPPORTED, "Cast to %s", onnx_dtype_name(to));
    }
    effad_status s = ctensor_alloc(o, to, a->ndim, a->dims, e);
    if (s) return s;
    for (size_t k = 0; k < o->count; k++) {
        if (ctensor_is_float(to)) { o->f[k] = store_round(to, ctensor_get_f(a, k)); continue; }
        int64_t v;
        if (ctensor_is_float(a->dtype)) {
            double x = a->f[k];
            if (to == ONNX_BOOL) { o->i[k] = x != 0.0; continue; }
            if (!(x > -9.2e18 && x < 9.2e18)) { ctensor_free(o); return effad_fail(e, EFFAD_ERR_FORMAT, "Cast: %g out of integer range", x); }
            v = (int64_t)x;   /* truncation toward zero */
        } else {
            v = a->i[k];
        }
        o->i[k] = wrap_int(to, v);
    }
    return EFFAD_OK;
}

/* Copies src's data into a tensor of a new shape with the same count. */
static effad_status reshaped(const ctensor *src, int nd, const int64_t *dims, ctensor *o, effad_error *e)
{
    effad_status s = ctensor_alloc(o, src->dtype, nd, dims, e);
    if (s) return s;
    if (o->count != src->count) {
        ctensor_free(o);
        return effad_fail(e, EFFAD_ERR_FORMAT, "cannot reshape %zu elements into %zu", src->count, o->count);
    }
    if (src->f) memcpy(o->f, src->f, src->count * sizeof(double));
    else memcpy(o->i, src->i, src->count * sizeof(int64_t));
    return EFFAD_OK;
}

static effad_status op_constant(const onnx_node *n, ctensor *o, effad_error *e)
{
    const onnx_attr *a = onnx_node_attr(n, "value");
    if (a && a->type == ONNX_ATTR_TENSOR && a->t) return ctensor_from_onnx(o, a->t, e);
    int64_t one = 1;
    effad_status s;
    if ((a = onnx_node_attr(n, "value_float"))) {
        if ((s = ctensor_alloc(o, ONNX_FLOAT, 0, 0, e))) return s;
        o->f[0] = a->f; return EFFAD_OK;
    }
    if ((a = onnx_node_attr(n, "value_int"))) {
        if ((s = ctensor_alloc(o, ONNX_INT64, 0, 0, e))) return s;
        o->i[0] = a->i; return EFFAD_OK;
    }
    if ((a = onnx_node_attr(n, "value_floats")) && a->type == ONNX_ATTR_FLOATS) {
        one = a->n;
        if ((s = ctensor_alloc(o, ONNX_FLOAT, 1, &one, e))) return s;
        for (int k = 0; k < a->n; k++) o->f[k] = a->floats[k];
        return EFFAD_OK;
    }
    if ((a = onnx_node_attr(n, "value_ints")) && a->type == ONNX_ATTR_INTS) {
        one = a->n;
        if ((s = ctensor_alloc(o, ONNX_INT64, 1, &one, e))) return s;
        for (int k = 0; k < a->n; k++) o->i[k] = a->ints[k];
        return EFFAD_OK;
    }
    return effad_fail(e, EFFAD_ERR_UNSUPPORTED, "Constant without a numeric value (sparse or string)");
}

static effad_status op_gather(const onnx_node *n, const ctensor *d, const ctensor *ix, ctensor *o, effad_error *e)
{
    int axis;
    if (!norm_axis(onnx_attr_int(n, "axis", 0), d->ndim, &axis))
        return effad_fail(e, EFFAD_ERR_FORMAT, "Gather: axis out of range");
    if (ctensor_is_float(ix->dtype)) return effad_fail(e, EFFAD_ERR_FORMAT, "Gather: float indices");
    int64_t dims[ONNX_MAX_DIMS]; int nd = 0;
    if (d->ndim - 1 + ix->ndim > ONNX_MAX_DIMS) return effad_fail(e, EFFAD_ERR_UNSUPPORTED, "Gather: rank too high");
    for (int k = 0; k < axis; k++) dims[nd++] = d->dims[k];
    for (int k = 0; k < ix->ndim; k++) dims[nd++] = ix->dims[k];
    for (int k = axis + 1; k < d->ndim; k++) dims[nd++] = d->dims[k];
    effad_status s = ctensor_alloc(o, d->dtype, nd, dims, e);
    if (s) return s;
    size_t outer = 1, inner = 1;
    for (int k = 0; k < axis; k++) outer *= (size_t)d->dims[k];
    for (int k = axis + 1; k < d->ndim; k++) inner *= (size_t)d->dims[k];
    int64_t len = d->dims[axis];
    size_t q = 0;
    for (size_t a = 0; a < outer; a++)
        for (size_t j = 0; j < ix->count; j++) {
            int64_t i = ix->i[j];
            if (i < -len || i >= len) { ctensor_free(o); return effad_fail(e, EFFAD_ERR_FORMAT, "Gather: index %lld out of range [-%lld, %lld)", (long long)i, (long long)len, (long long)len); }
            if (i < 0) i += len;
            for (size_t b = 0; b < inner; b++, q++) {
                size_t src = (a * (size_t)len + (size_t)i) * inner + b;
                if (o->f) o->f[q] = d->f[src]; else o->i[q] = d->i[src];
            }
        }
    return EFFAD_OK;
}

static effad_status op_concat(const onnx_node *n, const ctensor *const *in, int n_in, ctensor *o, effad_error *e)
{
    if (n_in < 1 || !in[0]) return effad_fail(e, EFFAD_ERR_FORMAT, "Concat without inputs");
    int axis;
    const ctensor *f = in[0];
    if (!norm_axis(onnx_attr_int(n, "axis", 0), f->ndim, &axis)) return effad_fail(e, EFFAD_ERR_FORMAT, "Concat: axis out of range");
    int64_t dims[ONNX_MAX_DIMS];
    memcpy(dims, f->dims, sizeof dims);
    dims[axis] = 0;
    for (int k = 0; k < n_in; k++) {
        if (!in[k] || in[k]->ndim != f->ndim || in[k]->dtype != f->dtype)
            return effad_fail(e, EFFAD_ERR_FORMAT, "Concat: input %d rank or type differs", k);
        for (int d = 0; d < f->ndim; d++)
            if (d != axis && in[k]->dims[d] != f->dims[d]) return effad_fail(e, EFFAD_ERR_FORMAT, "Concat: input %d shape differs", k);
        dims[axis] += in[k]->dims[axis];
    }
    effad_status s = ctensor_alloc(o, f->dtype, f->ndim, dims, e);
    if (s) return s;
    size_t outer = 1, inner = 1;
    for (int d = 0; d < axis; d++) outer *= (size_t)dims[d];
    for (int d = axis + 1; d < f->ndim; d++) inner *= (size_t)dims[d];
    size_t q = 0;
    for (size_t a = 0; a < outer; a++)
        for (int k = 0; k < n_in; k++) {
            size_t len = (size_t)in[k]->dims[axis] * inner;
            for (size_t j = 0; j < len; j++, q++) {
                size_t src = a * len + j;
                if (o->f) o->f[q] = in[k]->f[src]; else o->i[q] = in[k]->i[src];
            }
        }
    return EFFAD_OK;
}

static effad_status op_slice(const onnx_node *n, int64_t opset, const ctensor *const *in, int n_in, ctensor *o, effad_error *e)
{
    const ctensor *d = in[0];
    int64_t st[ONNX_MAX_DIMS], en[ONNX_MAX_DIMS], ax[ONNX_MAX_DIMS], sp[ONNX_MAX_DIMS];
    int ns, ne, na, nsp;
    if (opset >= 10) {
        ns = int_list(n, in, n_in, 1, 0, st, ONNX_MAX_DIMS);
        ne = int_list(n, in, n_in, 2, 0, en, ONNX_MAX_DIMS);
        na = int_list(n, in, n_in, 3, 0, ax, ONNX_MAX_DIMS);
        nsp = int_list(n, in, n_in, 4, 0, sp, ONNX_MAX_DIMS);
    } else {
        ns = int_list(n, in, 0, 0, "starts", st, ONNX_MAX_DIMS);
        ne = int_list(n, in, 0, 0, "ends", en, ONNX_MAX_DIMS);
        na = int_list(n, in, 0, 0, "axes", ax, ONNX_MAX_DIMS);
        nsp = -2;
    }
    if (ns < 0 || ne != ns) return effad_fail(e, EFFAD_ERR_FORMAT, "Slice: starts/ends missing or of different lengths");
    if (na == -2) { na = ns; for (int k = 0; k < ns; k++) ax[k] = k; }
    if (nsp == -2) { nsp = ns; for (int k = 0; k < ns; k++) sp[k] = 1; }
    if (na != ns || nsp != ns) return effad_fail(e, EFFAD_ERR_FORMAT, "Slice: axes/steps lengths differ from starts");
    int64_t lo[ONNX_MAX_DIMS], step[ONNX_MAX_DIMS], dims[ONNX_MAX_DIMS];
    for (int k = 0; k < d->ndim; k++) { lo[k] = 0; step[k] = 1; dims[k] = d->dims[k]; }
    for (int k = 0; k < ns; k++) {
        int a;
        if (!norm_axis(ax[k], d->ndim, &a)) return effad_fail(e, EFFAD_ERR_FORMAT, "Slice: axis %lld out of range", (long long)ax[k]);
        int64_t len = d->dims[a], s0 = st[k], e0 = en[k], p = sp[k];
        if (p == 0) return effad_fail(e, EFFAD_ERR_FORMAT, "Slice: step 0");
        if (s0 < 0) s0 += len;
        if (e0 < 0) e0 += len;
        /* the span is at most len; the step is any int64, so the count is
         * 1 + (span - 1) / |step|, which cannot overflow as span + step - 1
         * (or -INT64_MIN) would */
        uint64_t span, step_abs = p > 0 ? (uint64_t)p : 0u - (uint64_t)p;
        if (p > 0) {
            s0 = s0 < 0 ? 0 : s0 > len ? len : s0;
            e0 = e0 < 0 ? 0 : e0 > len ? len : e0;
            span = e0 > s0 ? (uint64_t)(e0 - s0) : 0;
        } else {
            s0 = s0 < 0 ? -1 : s0 > len - 1 ? len - 1 : s0;
            e0 = e0 < -1 ? -1 : e0 > len - 1 ? len - 1 : e0;
            span = s0 > e0 ? (uint64_t)(s0 - e0) : 0;
        }
        dims[a] = span ? (int64_t)(1 + (span - 1) / step_abs) : 0;
        lo[a] = s0; step[a] = p;
    }
    effad_status s = ctensor_alloc(o, d->dtype, d->ndim, dims, e);
    if (s) return s;
    int64_t idx[ONNX_MAX_DIMS];
    for (size_t q = 0; q < o->count; q++) {
        unravel(q, d->ndim, dims, idx);
        size_t off = 0;
        for (int k = 0; k < d->ndim; k++) off = off * (size_t)d->dims[k] + (size_t)(lo[k] + idx[k] * step[k]);
        if (o->f) o->f[q] = d->f[off]; else o->i[q] = d->i[off];
    }
    return EFFAD_OK;
}

static effad_status op_squeeze(const onnx_node *n, int64_t opset, const ctensor *const *in, int n_in, int unsq, ctensor *o, effad_error *e)
{
    const ctensor *d = in[0];
    int64_t axes[ONNX_MAX_DIMS];
    int na = opset >= 13 ? int_list(n, in, n_in, 1, 0, axes, ONNX_MAX_DIMS) : int_list(n, in, 0, 0, "axes", axes, ONNX_MAX_DIMS);
    if (na == -1) return effad_fail(e, EFFAD_ERR_FORMAT, "%s: too many axes", n->op_type);
    int64_t dims[ONNX_MAX_DIMS]; int nd = 0;
    if (unsq) {
        if (na < 0) return effad_fail(e, EFFAD_ERR_FORMAT, "Unsqueeze without axes");
        int rank = d->ndim + na, mark[ONNX_MAX_DIMS] = { 0 };
        if (rank > ONNX_MAX_DIMS) return effad_fail(e, EFFAD_ERR_UNSUPPORTED, "Unsqueeze: rank %d", rank);
        for (int k = 0; k < na; k++) {
            int a;
            if (!norm_axis(axes[k], rank, &a) || mark[a]) return effad_fail(e, EFFAD_ERR_FORMAT, "Unsqueeze: bad axis %lld", (long long)axes[k]);
            mark[a] = 1;
        }
        for (int k = 0, j = 0; k < rank; k++) dims[nd++] = mark[k] ? 1 : d->dims[j++];
    } else {
        int mark[ONNX_MAX_DIMS] = { 0 };
        if (na < 0) { for (int k = 0; k < d->ndim; k++) mark[k] = d->dims[k] == 1; }
        for (int k = 0; k < na; k++) {
            int a;
            if (!norm_axis(axes[k], d->ndim, &a) || d->dims[a] != 1)
                return effad_fail(e, EFFAD_ERR_FORMAT, "Squeeze: axis %lld is not of size 1", (long long)axes[k]);
            mark[a] = 1;
        }
        for (int k = 0; k < d->ndim; k++) if (!mark[k]) dims[nd++] = d->dims[k];
    }
    return reshaped(d, nd, dims, o, e);
}

static effad_status op_reshape(const onnx_node *n, const ctensor *d, const ctensor *sh, ctensor *o, effad_error *e)
{
    if ((int)sh->count > ONNX_MAX_DIMS) return effad_fail(e, EFFAD_ERR_UNSUPPORTED, "Reshape to rank %zu", sh->count);
    int allowzero = (int)onnx_attr_int(n, "allowzero", 0);
    int64_t dims[ONNX_MAX_DIMS]; int infer = -1; size_t known = 1;
    for (int k = 0; k < (int)sh->count; k++) {
        int64_t v = ctensor_get_i(sh, (size_t)k);
        if (v == 0 && !allowzero) {
            if (k >= d->ndim) return effad_fail(e, EFFAD_ERR_FORMAT, "Reshape: 0 copies a missing axis %d", k);
            v = d->dims[k];
        }
        if (v == -1) { if (infer >= 0) return effad_fail(e, EFFAD_ERR_FORMAT, "Reshape: two -1 entries"); infer = k; v = 1; }
        else if (v < 0) return effad_fail(e, EFFAD_ERR_FORMAT, "Reshape: negative size %lld", (long long)v);
        else known *= (size_t)v;
        dims[k] = v;
    }
    if (infer >= 0) {
        if (known == 0 || d->count % known) return effad_fail(e, EFFAD_ERR_FORMAT, "Reshape: cannot infer -1 for %zu elements", d->count);
        dims[infer] = (int64_t)(d->count / known);
    }
    return reshaped(d, (int)sh->count, dims, o, e);
}

static effad_status op_transpose(const onnx_node *n, const ctensor *d, ctensor *o, effad_error *e)
{
    int64_t perm[ONNX_MAX_DIMS];
    int np = int_list(n, 0, 0, 0, "perm", perm, ONNX_MAX_DIMS);
    if (np == -2) { np = d->ndim; for (int k = 0; k < np; k++) perm[k] = np - 1 - k; }
    if (np != d->ndim) return effad_fail(e, EFFAD_ERR_FORMAT, "Transpose: perm has %d entries for rank %d", np, d->ndim);
    int64_t dims[ONNX_MAX_DIMS]; int seen[ONNX_MAX_DIMS] = { 0 };
    for (int k = 0; k < np; k++) {
        if (perm[k] < 0 || perm[k] >= np || seen[perm[k]]++) return effad_fail(e, EFFAD_ERR_FORMAT, "Transpose: bad perm");
        dims[k] = d->dims[perm[k]];
    }
    effad_status s = ctensor_alloc(o, d->dtype, np, dims, e);
    if (s) return s;
    int64_t idx[ONNX_MAX_DIMS], src_idx[ONNX_MAX_DIMS];
    for (size_t q = 0; q < o->count; q++) {
        unravel(q, np, dims, idx);
        for (int k = 0; k < np; k++) src_idx[perm[k]] = idx[k];
        size_t off = 0;
        for (int k = 0; k < np; k++) off = off * (size_t)d->dims[k] + (size_t)src_idx[k];
        if (o->f) o->f[q] = d->f[off]; else o->i[q] = d->i[off];
    }
    return EFFAD_OK;
}

static effad_status op_expand(const ctensor *d, const ctensor *sh, ctensor *o, effad_error *e)
{
    ctensor shape_only;
    memset(&shape_only, 0, sizeof shape_only);
    if ((int)sh->count > ONNX_MAX_DIMS) return effad_fail(e, EFFAD_ERR_UNSUPPORTED, "Expand to rank %zu", sh->count);
    shape_only.ndim = (int)sh->count;
    for (size_t k = 0; k < sh->count; k++) shape_only.dims[k] = ctensor_get_i(sh, k);
    int nd; int64_t dims[ONNX_MAX_DIMS];
    onnx_node fake; memset(&fake, 0, sizeof fake); fake.op_type = (char *)"Expand";
    effad_status s = bcast_shape(&fake, d, &shape_only, &nd, dims, e);
    if (s) return s;
    if ((s = ctensor_alloc(o, d->dtype, nd, dims, e))) return s;
    int64_t idx[ONNX_MAX_DIMS];
    for (size_t q = 0; q < o->count; q++) {
        unravel(q, nd, dims, idx);
        size_t off = bcast_offset(d, nd, idx);
        if (o->f) o->f[q] = d->f[off]; else o->i[q] = d->i[off];
    }
    return EFFAD_OK;
}

static effad_status op_where(const onnx_node *n, const ctensor *c, const ctensor *x, const ctensor *y, ctensor *o, effad_error *e)
{
    int nd1, nd; int64_t d1[ONNX_MAX_DIMS], dims[ONNX_MAX_DIMS];
    ctensor t; memset(&t, 0, sizeof t);
    effad_status s = bcast_shape(n, c, x, &nd1, d1, e);
    if (s) return s;
    t.ndim = nd1; memcpy(t.dims, d1, sizeof d1);
    if ((s = bcast_shape(n, &t, y, &nd, dims, e))) return s;
    if (x->dtype != y->dtype) return effad_fail(e, EFFAD_ERR_FORMAT, "Where: branch types differ");
    if ((s = ctensor_alloc(o, x->dtype, nd, dims, e))) return s;
    int64_t idx[ONNX_MAX_DIMS];
    for (size_t q = 0; q < o->count; q++) {
        unravel(q, nd, dims, idx);
        const ctensor *src = ctensor_get_i(c, bcast_offset(c, nd, idx)) ? x : y;
        size_t off = bcast_offset(src, nd, idx);
        if (o->f) o->f[q] = src->f[off]; else o->i[q] = src->i[off];
    }
    return EFFAD_OK;
}

static effad_status op_range(const ctensor *a, const ctensor *b, const ctensor *c, ctensor *o, effad_error *e)
{
    if (a->count != 1 || b->count != 1 || c->count != 1) return effad_fail(e, EFFAD_ERR_FORMAT, "Range: inputs must be scalars");
    if (a->dtype != b->dtype || a->dtype != c->dtype) return effad_fail(e, EFFAD_ERR_FORMAT, "Range: input types differ");
    int64_t n;
    if (ctensor_is_float(a->dtype)) {
        double start = a->f[0], limit = b->f[0], delta = c->f[0];
        if (delta == 0) return effad_fail(e, EFFAD_ERR_FORMAT, "Range: delta 0");
        /* compared in double before any conversion: NaN or a count beyond
         * int64 would make the cast undefined */
        double nn = ceil((limit - start) / delta);
        if (!(nn <= (double)CTENSOR_MAX_ELEMENTS)) return effad_fail(e, EFFAD_ERR_UNSUPPORTED, "Range of %g elements", nn);
        n = nn > 0 ? (int64_t)nn : 0;
    } else {
        /* in integers, exactly: ceil((limit - start) / delta) on the
         * distance as an unsigned number, which always fits */
        int64_t start = a->i[0], limit = b->i[0], delta = c->i[0];
        if (delta == 0) return effad_fail(e, EFFAD_ERR_FORMAT, "Range: delta 0");
        uint64_t dist = delta > 0 ? (limit > start ? (uint64_t)limit - (uint64_t)start : 0)
                                  : (start > limit ? (uint64_t)start - (uint64_t)limit : 0);
        uint64_t step = delta > 0 ? (uint64_t)delta : 0u - (uint64_t)delta;
        uint64_t un = dist ? 1 + (dist - 1) / step : 0;
        if (un > CTENSOR_MAX_ELEMENTS) return effad_fail(e, EFFAD_ERR_UNSUPPORTED, "Range of %llu elements", (unsigned long long)un);
        n = (int64_t)un;
    }
    effad_status s = ctensor_alloc(o, a->dtype, 1, &n, e);
    if (s) return s;
    for (int64_t k = 0; k < n; k++) {
        if (o->f) o->f[k] = store_round(a->dtype, a->f[0] + (double)k * c->f[0]);
        /* start + k * delta lies between start and limit: the unsigned
         * wrap-around arithmetic lands on it exactly */
        else o->i[k] = pb_to_i64((uint64_t)a->i[0] + (uint64_t)k * (uint64_t)c->i[0]);
    }
    return EFFAD_OK;
}

effad_status ceval_node(const onnx_node *n, int64_t opset, const ctensor *const *in, int n_in,
                        ctensor *out, int n_out, effad_error *e)
{
    const char *op = n->op_type;
    effad_status s;
    if (n_out < 1) return effad_fail(e, EFFAD_ERR_FORMAT, "%s has no output", op);
    if (*n->domain && strcmp(n->domain, "ai.onnx"))
        return effad_fail(e, EFFAD_ERR_UNSUPPORTED, "operator %s from domain '%s'", op, n->domain);
    /* everything below but Constant/Shape/Size reads input data */
    int needs_data = strcmp(op, "Constant") && strcmp(op, "Shape") && strcmp(op, "Size");
    for (int k = 0; needs_data && k < n_in; k++)
        if (in[k] && !in[k]->has_data) return effad_fail(e, EFFAD_ERR_UNSUPPORTED, "%s: input %d is not constant", op, k);

    if (!strcmp(op, "Constant")) return op_constant(n, out, e);
    if (!strcmp(op, "Identity")) {
        if ((s = need_inputs(n, in, n_in, 1, e))) return s;
        return ctensor_copy(out, in[0], e);
    }
    if (!strcmp(op, "Shape") || !strcmp(op, "Size")) {
        if ((s = need_inputs(n, in, n_in, 1, e))) return s;
        const ctensor *d = in[0];
        if (!strcmp(op, "Size")) {
            if ((s = ctensor_alloc(out, ONNX_INT64, 0, 0, e))) return s;
            out->i[0] = (int64_t)d->count;
            return EFFAD_OK;
        }
        /* opset 15 start/end attributes, clamped like Slice */
        int64_t r = d->ndim, st = onnx_attr_int(n, "start", 0), en = onnx_attr_int(n, "end", r);
        if (st < 0) st += r;
        if (en < 0) en += r;
        st = st < 0 ? 0 : st > r ? r : st;
        en = en < 0 ? 0 : en > r ? r : en;
        int64_t len = en > st ? en - st : 0;
        if ((s = ctensor_alloc(out, ONNX_INT64, 1, &len, e))) return s;
        for (int64_t k = 0; k < len; k++) out->i[k] = d->dims[st + k];
        return EFFAD_OK;
    }
    if (!strcmp(op, "ConstantOfShape")) {
        if ((s = need_inputs(n, in, n_in, 1, e))) return s;
        int64_t dims[ONNX_MAX_DIMS];
        if ((int)in[0]->count > ONNX_MAX_DIMS) return effad_fail(e, EFFAD_ERR_UNSUPPORTED, "ConstantOfShape rank %zu", in[0]->count);
        for (size_t k = 0; k < in[0]->count; k++) dims[k] = ctensor_get_i(in[0], k);
        const onnx_attr *a = onnx_node_attr(n, "value");
        ctensor v; memset(&v, 0, sizeof v);
        if (a && a->type == ONNX_ATTR_TENSOR && a->t) {
            if ((s = ctensor_from_onnx(&v, a->t, e))) return s;
            if (v.count != 1) { ctensor_free(&v); return effad_fail(e, EFFAD_ERR_FORMAT, "ConstantOfShape: value must hold one element"); }
        } else if ((s = ctensor_alloc(&v, ONNX_FLOAT, 0, 0, e))) return s;
        s = ctensor_alloc(out, v.dtype, (int)in[0]->count, dims, e);
        for (size_t k = 0; !s && k < out->count; k++) { if (out->f) out->f[k] = v.f[0]; else out->i[k] = v.i[0]; }
        ctensor_free(&v);
        return s;
    }
    if (!strcmp(op, "Cast")) { if ((s = need_inputs(n, in, n_in, 1, e))) return s; return cast(n, in[0], out, e); }
    if (!strcmp(op, "Gather")) { if ((s = need_inputs(n, in, n_in, 2, e))) return s; return op_gather(n, in[0], in[1], out, e); }
    if (!strcmp(op, "Concat")) return op_concat(n, in, n_in, out, e);
    if (!strcmp(op, "Slice")) { if ((s = need_inputs(n, in, n_in, 1, e))) return s; return op_slice(n, opset, in, n_in, out, e); }
    if (!strcmp(op, "Squeeze") || !strcmp(op, "Unsqueeze")) {
        if ((s = need_inputs(n, in, n_in, 1, e))) return s;
        return op_squeeze(n, opset, in, n_in, op[0] == 'U', out, e);
    }
    if (!strcmp(op, "Reshape")) { if ((s = need_inputs(n, in, n_in, 2, e))) return s; return op_reshape(n, in[0], in[1], out, e); }
    if (!strcmp(op, "Flatten")) {
        if ((s = need_inputs(n, in, n_in, 1, e))) return s;
        /* axis lies in [-r, r]: a negative one counts from the rank r, not
         * from r + 1 (Flatten(axis=-1) keeps the last axis on the right) */
        int64_t ax = onnx_attr_int(n, "axis", 1);
        int axis = (int)(ax < 0 ? ax + in[0]->ndim : ax);
        if (ax < -in[0]->ndim || ax > in[0]->ndim) return effad_fail(e, EFFAD_ERR_FORMAT, "Flatten: axis out of range");
        int64_t dims[2] = { 1, 1 };
        for (int k = 0; k < in[0]->ndim; k++) dims[k < axis ? 0 : 1] *= in[0]->dims[k];
        return reshaped(in[0], 2, dims, out, e);
    }
    if (!strcmp(op, "Transpose")) { if ((s = need_inputs(n, in, n_in, 1, e))) return s; return op_transpose(n, in[0], out, e); }
    if (!strcmp(op, "Expand")) { if ((s = need_inputs(n, in, n_in, 2, e))) return s; return op_expand(in[0], in[1], out, e); }
    if (!strcmp(op, "Where")) { if ((s = need_inputs(n, in, n_in, 3, e))) return s; return op_where(n, in[0], in[1], in[2], out, e); }
    if (!strcmp(op, "Range")) { if ((s = need_inputs(n, in, n_in, 3, e))) return s; return op_range(in[0], in[1], in[2], out, e); }
    if (!strcmp(op, "Add") || !strcmp(op, "Sub") || !strcmp(op, "Mul") || !strcmp(op, "Div") ||
        !strcmp(op, "Equal") || !strcmp(op, "Less") || !strcmp(op, "Greater")) {
        if ((s = need_inputs(n, in, n_in, 2, e))) return s;
        return binary(n, in[0], in[1], out, e);
    }
    if (!strcmp(op, "Min") || !strcmp(op, "Max")) {   /* variadic */
        if ((s = need_inputs(n, in, n_in, 1, e))) return s;
        if ((s = ctensor_copy(out, in[0], e))) return s;
        for (int k = 1; k < n_in; k++) {
            ctensor next;
            if ((s = binary(n, out, in[k], &next, e))) { ctensor_free(out); return s; }
            ctensor_free(out);
            *out = next;
        }
        return EFFAD_OK;
    }
    if (!strcmp(op, "Neg") || !strcmp(op, "Abs") || !strcmp(op, "Floor") || !strcmp(op, "Ceil") ||
        !strcmp(op, "Sqrt") || !strcmp(op, "Not")) {
        if ((s = need_inputs(n, in, n_in, 1, e))) return s;
        return unary(n, in[0], out, e);
    }
    return effad_fail(e, EFFAD_ERR_UNSUPPORTED, "%s is not constant-foldable", op);
}
