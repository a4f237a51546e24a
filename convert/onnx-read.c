/* ONNX messages (onnx.proto, IR version 3 to 8) decoded from the wire into
 * the structs of onnx.h.
 *
 * Every message is read in two passes over its bytes: the first counts the
 * repeated fields (and learns names and types that may come later on the
 * wire than the data they govern), the second allocates exactly and fills.
 * Counts are bounded by the input size, so a hostile file cannot make us
 * allocate more than a small multiple of its own length. Arrays are
 * calloc'd and their counts set before they are filled, so that whatever a
 * failure leaves behind is freed by the ordinary free functions. */
#include <stdlib.h>
#include <string.h>
#include "onnx.h"
#include "pb-wire.h"

/* ------------------------------------------------------ errors and paths */

/* The field path of the message being read ("graph.node[12] (Conv_34)"),
 * grown on the way down and cut back on the way up, so every error can say
 * where it happened without any unwinding code. */
typedef struct rd {
    const uint8_t *buf;
    effad_error *e;
    const char *root;
    char path[200];
    size_t path_len;
} rd;

static void path_put(rd *c, char ch)
{
    if (c->path_len + 1 < sizeof c->path) { c->path[c->path_len++] = ch; c->path[c->path_len] = '\0'; }
}

static void path_puts(rd *c, const char *s, size_t max)
{
    size_t i = 0;
    for (; s[i] && i < max; i++) path_put(c, s[i]);
    if (s[i]) { path_put(c, '.'); path_put(c, '.'); path_put(c, '.'); }
}

static size_t path_push(rd *c, const char *seg, long idx, const char *name)
{
    size_t old = c->path_len;
    if (c->path_len) path_put(c, '.');
    path_puts(c, seg, 64);
    if (idx >= 0) {
        char digits[24]; int n = 0;
        unsigned long v = (unsigned long)idx;
        do { digits[n++] = (char)('0' + v % 10); v /= 10; } while (v);
        path_put(c, '[');
        while (n) path_put(c, digits[--n]);
        path_put(c, ']');
    }
    /* Names are what people search their exporter's output for; a long
     * one is cut so that the message itself still fits. */
    if (name && *name) { path_put(c, ' '); path_put(c, '('); path_puts(c, name, 48); path_put(c, ')'); }
    return old;
}

static void path_pop(rd *c, size_t old)
{
    c->path_len = old;
    c->path[old] = '\0';
}

/* Called with the status effad_fail() returned, to put the path in front. */
static effad_status blame(rd *c, effad_status st)
{
    effad_error_prefix(c->e, c->path_len ? c->path : c->root);
    return st;
}

static effad_status wire_fail(rd *c, pb_status st, size_t at)
{
    return blame(c, effad_fail(c->e, EFFAD_ERR_FORMAT, "%s at byte %zu", pb_status_text(st), at));
}

static effad_status nomem(rd *c)
{
    return blame(c, effad_fail(c->e, EFFAD_ERR_NOMEM, "out of memory"));
}

/* A field whose wire type its declared type cannot take is corruption, not
 * an unknown extension, so it is refused rather than skipped. */
static effad_status want(rd *c, const pb_field *f, pb_wire w, const char *what)
{
    if (f->wire == w) return EFFAD_OK;
    return blame(c, effad_fail(c->e, EFFAD_ERR_FORMAT, "%s (field %u) has wire type %u, expected %u at byte %zu",
                               what, (unsigned)f->num, (unsigned)f->wire, (unsigned)w, f->at));
}

static effad_status open_scalars(rd *c, const pb_reader *r, const pb_field *f, pb_wire elem,
                                 const char *what, pb_scalars *s)
{
    pb_status st = pb_scalars_open(r, f, elem, s);
    if (st == PB_ERR_WIRE_MISMATCH)
        return blame(c, effad_fail(c->e, EFFAD_ERR_FORMAT, "%s (field %u) has wire type %u, expected %u or 2 at byte %zu",
                                   what, (unsigned)f->num, (unsigned)f->wire, (unsigned)elem, f->at));
    return st ? wire_fail(c, st, s->err_at) : EFFAD_OK;
}

/* ------------------------------------------------------------- strings */

static char *dup_bytes(const uint8_t *p, size_t n)
{
    char *s = malloc(n + 1);
    if (!s) return NULL;
    if (n) memcpy(s, p, n);
    s[n] = '\0';
    return s;
}

/* Singular fields: the last occurrence wins, as protobuf specifies. */
static effad_status set_str(rd *c, const pb_field *f, char **dst, const char *what)
{
    effad_status st = want(c, f, PB_WIRE_LEN, what);
    if (st) return st;
    char *s = dup_bytes(c->buf + f->data, f->len);
    if (!s) return nomem(c);
    free(*dst);
    *dst = s;
    return EFFAD_OK;
}

/* onnx.h promises "" rather than NULL for absent names. */
static effad_status fill_empty(rd *c, char **s)
{
    if (!*s && !(*s = dup_bytes(NULL, 0))) return nomem(c);
    return EFFAD_OK;
}

/* The last value of string field num, read before the real pass so that
 * errors inside a message can already name it. Wire errors are left for
 * the real pass to report. */
static const uint8_t *peek_str(const pb_reader *msg, uint32_t num, size_t *len)
{
    pb_reader r = *msg;
    pb_field f;
    const uint8_t *found = NULL;
    while (pb_next(&r, &f) == PB_OK)
        if (f.num == num && f.wire == PB_WIRE_LEN) { found = r.buf + f.data; *len = f.len; }
    return found;
}

static size_t push_named(rd *c, const pb_reader *msg, uint32_t name_field, const char *seg, long idx)
{
    char name[49];
    size_t len = 0;
    const uint8_t *p = peek_str(msg, name_field, &len);
    if (len > sizeof name - 1) len = sizeof name - 1;
    if (p) memcpy(name, p, len);
    name[p ? len : 0] = '\0';
    return path_push(c, seg, idx, name);
}

/* --------------------------------------------------------------- dtypes */

const char *onnx_dtype_name(onnx_dtype t)
{
    switch (t) {
    case ONNX_UNDEFINED: return "UNDEFINED";
    case ONNX_FLOAT: return "FLOAT";
    case ONNX_UINT8: return "UINT8";
    case ONNX_INT8: return "INT8";
    case ONNX_UINT16: return "UINT16";
    case ONNX_INT16: return "INT16";
    case ONNX_INT32: return "INT32";
    case ONNX_INT64: return "INT64";
    case ONNX_STRING: return "STRING";
    case ONNX_BOOL: return "BOOL";
    case ONNX_FLOAT16: return "FLOAT16";
    case ONNX_DOUBLE: return "DOUBLE";
    case ONNX_UINT32: return "UINT32";
    case ONNX_UINT64: return "UINT64";
    case ONNX_COMPLEX64: return "COMPLEX64";
    case ONNX_COMPLEX128: return "COMPLEX128";
    case ONNX_BFLOAT16: return "BFLOAT16";
    }
    return "UNKNOWN";
}

size_t onnx_dtype_size(onnx_dtype t)
{
    switch (t) {
    case ONNX_UINT8: case ONNX_INT8: case ONNX_BOOL: return 1;
    case ONNX_UINT16: case ONNX_INT16: case ONNX_FLOAT16: case ONNX_BFLOAT16: return 2;
    case ONNX_FLOAT: case ONNX_INT32: case ONNX_UINT32: return 4;
    case ONNX_INT64: case ONNX_DOUBLE: case ONNX_UINT64: return 8;
    default: return 0;
    }
}

/* Bytes per element in raw_data, which unlike onnx_dtype_size() counts the
 * types whose data we do not keep. */
static size_t raw_size(onnx_dtype t)
{
    switch (t) {
    case ONNX_COMPLEX64: return 8;
    case ONNX_COMPLEX128: return 16;
    default: return onnx_dtype_size(t);
    }
}

/* ------------------------------------------------------------- tensors */

enum { F_FLOAT = 4, F_INT32 = 5, F_STRING = 6, F_INT64 = 7, F_RAW = 9, F_DOUBLE = 10, F_UINT64 = 11 };

static const char *data_field_name(uint32_t num)
{
    switch (num) {
    case F_FLOAT: return "float_data";
    case F_INT32: return "int32_data";
    case F_STRING: return "string_data";
    case F_INT64: return "int64_data";
    case F_RAW: return "raw_data";
    case F_DOUBLE: return "double_data";
    case F_UINT64: return "uint64_data";
    }
    return "?";
}

/* Which typed field onnx.proto says carries each dtype, and how many of
 * its elements make one tensor element. */
static uint32_t typed_field(onnx_dtype t, size_t *per_elem)
{
    *per_elem = 1;
    switch (t) {
    case ONNX_FLOAT: return F_FLOAT;
    case ONNX_COMPLEX64: *per_elem = 2; return F_FLOAT;
    case ONNX_INT32: case ONNX_INT16: case ONNX_INT8: case ONNX_UINT16: case ONNX_UINT8:
    case ONNX_BOOL: case ONNX_FLOAT16: case ONNX_BFLOAT16: return F_INT32;
    case ONNX_STRING: return F_STRING;
    case ONNX_INT64: return F_INT64;
    case ONNX_DOUBLE: return F_DOUBLE;
    case ONNX_COMPLEX128: *per_elem = 2; return F_DOUBLE;
    case ONNX_UINT32: case ONNX_UINT64: return F_UINT64;
    default: return 0;
    }
}

static void put_elem(void *data, size_t i, size_t size, uint64_t bits)
{
    uint8_t *p = (uint8_t *)data + i * size;
    switch (size) {
    case 1: { uint8_t v = (uint8_t)bits; memcpy(p, &v, 1); break; }
    case 2: { uint16_t v = (uint16_t)bits; memcpy(p, &v, 2); break; }
    case 4: { uint32_t v = (uint32_t)bits; memcpy(p, &v, 4); break; }
    default: memcpy(p, &bits, 8); break;
    }
}

typedef struct tensor_scan {
    int64_t data_type;
    size_t n_typed[12];             /* elements seen per data field number */
    int have_raw;
    size_t raw_at, raw_len;
    int external;
    const uint8_t *location; size_t location_len;
    size_t at;
} tensor_scan;

static void find_location(const pb_reader *r, const pb_field *entry, tensor_scan *ts)
{
    pb_reader sub = pb_sub(r, entry);
    pb_field f;
    const uint8_t *key = NULL, *val = NULL;
    size_t key_len = 0, val_len = 0;
    while (pb_next(&sub, &f) == PB_OK) {
        if (f.wire != PB_WIRE_LEN) continue;
        if (f.num == 1) { key = r->buf + f.data; key_len = f.len; }
        if (f.num == 2) { val = r->buf + f.data; val_len = f.len; }
    }
    if (key && val && key_len == 8 && !memcmp(key, "location", 8)) { ts->location = val; ts->location_len = val_len; }
}

/* Pass 1: everything but the element values. */
static effad_status tensor_scan_fields(rd *c, pb_reader r, onnx_tensor *t, tensor_scan *ts)
{
    pb_field f;
    pb_status ps;
    effad_status st;
    while ((ps = pb_next(&r, &f)) == PB_OK) {
        switch (f.num) {
        case 1: {
            pb_scalars s;
            if ((st = open_scalars(c, &r, &f, PB_WIRE_VARINT, "dims", &s))) return st;
            for (size_t i = 0; i < s.count; i++) {
                if (t->ndim == ONNX_MAX_DIMS)
                    return blame(c, effad_fail(c->e, EFFAD_ERR_UNSUPPORTED, "more than %d dims at byte %zu",
                                               ONNX_MAX_DIMS, f.at));
                t->dims[t->ndim++] = pb_to_i64(pb_scalars_next(&s));
            }
            break;
        }
        case 2:
            if ((st = want(c, &f, PB_WIRE_VARINT, "data_type"))) return st;
            ts->data_type = pb_to_i32(f.u);
            break;
        case F_FLOAT: case F_INT32: case F_INT64: case F_DOUBLE: case F_UINT64: {
            pb_wire elem = f.num == F_FLOAT ? PB_WIRE_I32 : f.num == F_DOUBLE ? PB_WIRE_I64 : PB_WIRE_VARINT;
            pb_scalars s;
            if ((st = open_scalars(c, &r, &f, elem, data_field_name(f.num), &s))) return st;
            ts->n_typed[f.num] += s.count;
            break;
        }
        case F_STRING:
            if ((st = want(c, &f, PB_WIRE_LEN, "string_data"))) return st;
            ts->n_typed[F_STRING]++;
            break;
        case 8:
            if ((st = set_str(c, &f, &t->name, "name"))) return st;
            break;
        case F_RAW:
            if ((st = want(c, &f, PB_WIRE_LEN, "raw_data"))) return st;
            ts->have_raw = 1; ts->raw_at = f.data; ts->raw_len = f.len;
            break;
        case 13:
            if ((st = want(c, &f, PB_WIRE_LEN, "external_data"))) return st;
            ts->external = 1;
            find_location(&r, &f, ts);
            break;
        case 14:
            if ((st = want(c, &f, PB_WIRE_VARINT, "data_location"))) return st;
            if (f.u == 1) ts->external = 1;
            break;
        default:
            break;
        }
    }
    return ps == PB_END ? EFFAD_OK : wire_fail(c, ps, r.err_at);
}

static effad_status bad_tensor(rd *c, effad_status status, const onnx_tensor *t, const tensor_scan *ts,
                               const char *what)
{
    return blame(c, effad_fail(c->e, status, "tensor '%s': %s (tensor at byte %zu)",
                               t->name ? t->name : "", what, ts->at));
}

/* Pass 2 for the typed fields: the values of field num, converted to the
 * dtype, range-checked where int32_data carries a narrower type. */
static effad_status tensor_fill_typed(rd *c, pb_reader r, onnx_tensor *t, uint32_t num)
{
    size_t size = onnx_dtype_size(t->dtype), i = 0;
    pb_field f;
    while (pb_next(&r, &f) == PB_OK) {
        if (f.num != num) continue;
        pb_scalars s;
        pb_wire elem = num == F_FLOAT ? PB_WIRE_I32 : num == F_DOUBLE ? PB_WIRE_I64 : PB_WIRE_VARINT;
        effad_status st = open_scalars(c, &r, &f, elem, data_field_name(num), &s);
        if (st) return st;
        for (size_t k = 0; k < s.count && i < t->count; k++, i++) {
            uint64_t u = pb_scalars_next(&s);
            int64_t lo = 0, hi = 0;
            switch (t->dtype) {
            case ONNX_INT8: lo = INT8_MIN; hi = INT8_MAX; break;
            case ONNX_INT16: lo = INT16_MIN; hi = INT16_MAX; break;
            case ONNX_UINT8: hi = UINT8_MAX; break;
            case ONNX_UINT16: case ONNX_FLOAT16: case ONNX_BFLOAT16: hi = UINT16_MAX; break;
            case ONNX_UINT32: hi = UINT32_MAX; break;
            default: lo = 1; break;     /* no check */
            }
            if (t->dtype == ONNX_BOOL) {
                u = pb_to_i32(u) != 0;   /* as numpy's astype(bool) reads it */
            } else if (num == F_INT32 && lo <= hi) {
                int64_t v = pb_to_i32(u);
                if (v < lo || v > hi)
                    return blame(c, effad_fail(c->e, EFFAD_ERR_FORMAT,
                                               "tensor '%s': int32_data[%zu] = %lld does not fit %s at byte %zu",
                                               t->name, i, (long long)v, onnx_dtype_name(t->dtype), f.at));
                u = (uint64_t)v;
            } else if (num == F_UINT64 && lo <= hi && u > (uint64_t)hi) {
                return blame(c, effad_fail(c->e, EFFAD_ERR_FORMAT,
                                           "tensor '%s': uint64_data[%zu] = %llu does not fit %s at byte %zu",
                                           t->name, i, (unsigned long long)u, onnx_dtype_name(t->dtype), f.at));
            }
            put_elem(t->data, i, size, u);
        }
    }
    return EFFAD_OK;
}

/* raw_data is little-endian by definition; assembling each element from
 * its bytes keeps a big-endian host right without a byte-order test. */
static void tensor_fill_raw(const uint8_t *raw, onnx_tensor *t)
{
    size_t size = onnx_dtype_size(t->dtype);
    for (size_t i = 0; i < t->count; i++) {
        uint64_t bits = 0;
        for (size_t b = 0; b < size; b++) bits |= (uint64_t)raw[i * size + b] << (8 * b);
        if (t->dtype == ONNX_BOOL) bits = bits != 0;
        put_elem(t->data, i, size, bits);
    }
}

static effad_status tensor_decode(rd *c, pb_reader r, onnx_tensor *t)
{
    tensor_scan ts;
    memset(&ts, 0, sizeof ts);
    ts.at = r.pos;
    effad_status st = tensor_scan_fields(c, r, t, &ts);
    if (st) return st;
    if ((st = fill_empty(c, &t->name))) return st;

    if (ts.external) {
        char where[80];
        size_t n = ts.location_len < sizeof where - 1 ? ts.location_len : sizeof where - 1;
        if (ts.location) memcpy(where, ts.location, n);
        where[ts.location ? n : 0] = '\0';
        return blame(c, effad_fail(c->e, EFFAD_ERR_UNSUPPORTED,
                                   "tensor '%s' keeps its data in an external file ('%s'); effad reads only "
                                   "self-contained models (save with all tensors embedded)", t->name, where));
    }
    if (ts.data_type <= 0 || ts.data_type > ONNX_BFLOAT16)
        return bad_tensor(c, ts.data_type == 0 ? EFFAD_ERR_FORMAT : EFFAD_ERR_UNSUPPORTED, t, &ts,
                          ts.data_type == 0 ? "data_type is missing" : "data_type not known to this reader");
    t->dtype = (onnx_dtype)ts.data_type;

    /* The element count, refusing the products that would overflow before
     * anyone multiplies them by an element size. */
    size_t count = 1;
    for (int d = 0; d < t->ndim; d++) {
        if (t->dims[d] < 0) return bad_tensor(c, EFFAD_ERR_FORMAT, t, &ts, "negative dimension");
        uint64_t dim = (uint64_t)t->dims[d];
        if (dim && count > SIZE_MAX / 16 / dim)
            return bad_tensor(c, EFFAD_ERR_FORMAT, t, &ts, "dims multiply to more elements than memory holds");
        count *= (size_t)dim;
    }
    t->count = count;

    size_t per_elem;
    uint32_t want_field = typed_field(t->dtype, &per_elem);
    uint32_t used = 0;
    int n_sources = ts.have_raw;
    for (uint32_t k = 0; k < 12; k++) {
        if (!ts.n_typed[k]) continue;
        if (k != want_field)
            return blame(c, effad_fail(c->e, EFFAD_ERR_FORMAT, "tensor '%s': %s given for a %s tensor (tensor at byte %zu)",
                                       t->name, data_field_name(k), onnx_dtype_name(t->dtype), ts.at));
        used = k;
        n_sources++;
    }
    if (n_sources > 1)
        return blame(c, effad_fail(c->e, EFFAD_ERR_FORMAT, "tensor '%s': both raw_data and %s given (tensor at byte %zu)",
                                   t->name, data_field_name(used), ts.at));
    if (ts.have_raw) {
        if (t->dtype == ONNX_STRING) return bad_tensor(c, EFFAD_ERR_FORMAT, t, &ts, "STRING data in raw_data");
        if (ts.raw_len != count * raw_size(t->dtype))
            return blame(c, effad_fail(c->e, EFFAD_ERR_FORMAT,
                                       "tensor '%s': dims give %zu elements of %s but raw_data holds %zu bytes (tensor at byte %zu)",
                                       t->name, count, onnx_dtype_name(t->dtype), ts.raw_len, ts.at));
    } else {
        size_t have = used ? ts.n_typed[used] : 0;
        if (have != count * per_elem)
            return blame(c, effad_fail(c->e, EFFAD_ERR_FORMAT,
                                       "tensor '%s': dims give %zu elements but %s holds %zu values (tensor at byte %zu)",
                                       t->name, count, data_field_name(want_field), have, ts.at));
    }

    size_t size = onnx_dtype_size(t->dtype);
    if (!size) return EFFAD_OK;               /* STRING, complex: type only */
    /* Never NULL for a numeric dtype, even with no elements, so that users
     * may test data to tell kept tensors from type-only ones. */
    if (!(t->data = malloc(count ? count * size : 1))) return nomem(c);
    if (ts.have_raw) { tensor_fill_raw(c->buf + ts.raw_at, t); return EFFAD_OK; }
    return tensor_fill_typed(c, r, t, used);
}

void onnx_tensor_free(onnx_tensor *t)
{
    if (!t) return;
    free(t->name);
    free(t->data);
    memset(t, 0, sizeof *t);
}

effad_status onnx_tensor_read(const uint8_t *bytes, size_t n, onnx_tensor *t, effad_error *e)
{
    if (!t) return effad_fail(e, EFFAD_ERR_ARG, "onnx_tensor_read: no tensor to fill");
    memset(t, 0, sizeof *t);
    if (!bytes && n) return effad_fail(e, EFFAD_ERR_ARG, "onnx_tensor_read: no bytes");
    rd c = { bytes, e, "tensor", "", 0 };
    pb_reader r = pb_reader_init(bytes, n);
    size_t old = push_named(&c, &r, 8, "tensor", -1);
    effad_status st = tensor_decode(&c, r, t);
    path_pop(&c, old);
    if (st) onnx_tensor_free(t);
    return st;
}

/* ---------------------------------------------------------- attributes */

/* Bit per value field, to infer the type that files from before
 * AttributeProto.type existed (IR version 1) leave out. */
enum {
    A_F = 1 << 2, A_I = 1 << 3, A_S = 1 << 4, A_T = 1 << 5, A_G = 1 << 6, A_FLOATS = 1 << 7,
    A_INTS = 1 << 8, A_STRINGS = 1 << 9, A_TENSORS = 1 << 10, A_GRAPHS = 1 << 11,
    A_SPARSE = 1 << 22, A_TP = 1 << 14, A_SPARSES = 1 << 23, A_TPS = 1 << 15
};

static int64_t attr_type_of(uint32_t seen)
{
    switch (seen) {
    case A_F: return ONNX_ATTR_FLOAT;
    case A_I: return ONNX_ATTR_INT;
    case A_S: return ONNX_ATTR_STRING;
    case A_T: return ONNX_ATTR_TENSOR;
    case A_G: return ONNX_ATTR_GRAPH;
    case A_FLOATS: return ONNX_ATTR_FLOATS;
    case A_INTS: return ONNX_ATTR_INTS;
    case A_STRINGS: return ONNX_ATTR_STRINGS;
    case A_TENSORS: return ONNX_ATTR_TENSORS;
    case A_GRAPHS: return ONNX_ATTR_GRAPHS;
    case A_SPARSE: return 11;    /* SPARSE_TENSOR, TYPE_PROTO(S): onnx.proto */
    case A_SPARSES: return 12;   /* values beyond onnx_attr_type, kept as   */
    case A_TP: return 13;        /* numbers so a user's switch refuses them */
    case A_TPS: return 14;
    }
    return ONNX_ATTR_UNDEFINED;
}

static effad_status attr_decode(rd *c, pb_reader r, onnx_attr *a)
{
    pb_field f;
    pb_status ps;
    effad_status st;
    uint32_t seen = 0;
    int64_t type = 0;
    int have_type = 0;
    size_t n_floats = 0, n_ints = 0;
    pb_reader all = r;

    while ((ps = pb_next(&r, &f)) == PB_OK) {
        if (f.num < 32 && (A_F | A_I | A_S | A_T | A_G | A_FLOATS | A_INTS | A_STRINGS | A_TENSORS | A_GRAPHS |
                           A_SPARSE | A_TP | A_SPARSES | A_TPS) & (1u << f.num))
            seen |= 1u << f.num;
        switch (f.num) {
        case 1: if ((st = set_str(c, &f, &a->name, "name"))) return st; break;
        case 2:
            if ((st = want(c, &f, PB_WIRE_I32, "f"))) return st;
            { uint32_t bits = (uint32_t)f.u; memcpy(&a->f, &bits, 4); }
            break;
        case 3:
            if ((st = want(c, &f, PB_WIRE_VARINT, "i"))) return st;
            a->i = pb_to_i64(f.u);
            break;
        case 4: {
            if ((st = want(c, &f, PB_WIRE_LEN, "s"))) return st;
            char *s = dup_bytes(c->buf + f.data, f.len);
            if (!s) return nomem(c);
            free(a->s);
            a->s = s; a->s_len = f.len;
            break;
        }
        case 5: {
            if ((st = want(c, &f, PB_WIRE_LEN, "t"))) return st;
            if (a->t)
                return blame(c, effad_fail(c->e, EFFAD_ERR_FORMAT, "attribute tensor t given twice at byte %zu", f.at));
            if (!(a->t = calloc(1, sizeof *a->t))) return nomem(c);
            pb_reader sub = pb_sub(&r, &f);
            size_t old = push_named(c, &sub, 8, "t", -1);
            st = tensor_decode(c, sub, a->t);
            path_pop(c, old);
            if (st) return st;
            break;
        }
        case 7: case 8: {
            pb_scalars s;
            if ((st = open_scalars(c, &r, &f, f.num == 7 ? PB_WIRE_I32 : PB_WIRE_VARINT,
                                   f.num == 7 ? "floats" : "ints", &s))) return st;
            *(f.num == 7 ? &n_floats : &n_ints) += s.count;
            break;
        }
        case 6: case 9: case 10: case 11: case 14: case 15: case 22: case 23:
            /* Kept as their type only (onnx.h); their bytes are skipped. */
            if ((st = want(c, &f, PB_WIRE_LEN, "value"))) return st;
            break;
        case 20:
            if ((st = want(c, &f, PB_WIRE_VARINT, "type"))) return st;
            type = pb_to_i64(f.u);
            have_type = 1;
            break;
        default: break;
        }
    }
    if (ps != PB_END) return wire_fail(c, ps, r.err_at);
    if ((st = fill_empty(c, &a->name))) return st;

    if (!have_type || type == ONNX_ATTR_UNDEFINED) {
        type = attr_type_of(seen);
        if (seen && type == ONNX_ATTR_UNDEFINED)
            return blame(c, effad_fail(c->e, EFFAD_ERR_FORMAT,
                                       "attribute '%s' has no type and sets more than one value (at byte %zu)",
                                       a->name, all.pos));
    } else if (type < 0 || type > 14) {
        return blame(c, effad_fail(c->e, EFFAD_ERR_FORMAT, "attribute '%s' has unknown type %lld (at byte %zu)",
                                   a->name, (long long)type, all.pos));
    }
    a->type = (onnx_attr_type)type;

    /* Only the list the type names is kept: the two share the count n. */
    if (a->type == ONNX_ATTR_STRING && !a->s) {
        if (!(a->s = dup_bytes(NULL, 0))) return nomem(c);
    }
    size_t n = a->type == ONNX_ATTR_FLOATS ? n_floats : a->type == ONNX_ATTR_INTS ? n_ints : 0;
    if (a->type != ONNX_ATTR_FLOATS && a->type != ONNX_ATTR_INTS) return EFFAD_OK;
    if (n > (size_t)INT32_MAX)
        return blame(c, effad_fail(c->e, EFFAD_ERR_FORMAT, "attribute '%s' has too many values", a->name));
    a->n = (int)n;
    if (a->type == ONNX_ATTR_FLOATS ? !(a->floats = malloc(n ? n * sizeof *a->floats : 1))
                                    : !(a->ints = malloc(n ? n * sizeof *a->ints : 1)))
        return nomem(c);
    uint32_t num = a->type == ONNX_ATTR_FLOATS ? 7 : 8;
    size_t i = 0;
    r = all;
    while (pb_next(&r, &f) == PB_OK) {
        if (f.num != num) continue;
        pb_scalars s;
        if ((st = open_scalars(c, &r, &f, num == 7 ? PB_WIRE_I32 : PB_WIRE_VARINT, "list", &s))) return st;
        for (size_t k = 0; k < s.count && i < n; k++, i++) {
            uint64_t u = pb_scalars_next(&s);
            if (num == 8) { a->ints[i] = pb_to_i64(u); continue; }
            uint32_t bits = (uint32_t)u;
            memcpy(&a->floats[i], &bits, 4);
        }
    }
    return EFFAD_OK;
}

static void attr_free(onnx_attr *a)
{
    free(a->name);
    free(a->s);
    if (a->t) { onnx_tensor_free(a->t); free(a->t); }
    free(a->floats);
    free(a->ints);
}

/* --------------------------------------------------------------- nodes */

static effad_status count_field(rd *c, pb_reader r, uint32_t num, const char *what, int *n)
{
    pb_field f;
    pb_status ps;
    size_t count = 0;
    while ((ps = pb_next(&r, &f)) == PB_OK) {
        if (f.num != num) continue;
        effad_status st = want(c, &f, PB_WIRE_LEN, what);
        if (st) return st;
        count++;
    }
    if (ps != PB_END) return wire_fail(c, ps, r.err_at);
    if (count > (size_t)INT32_MAX / 2)
        return blame(c, effad_fail(c->e, EFFAD_ERR_UNSUPPORTED, "more than 2^30 %s", what));
    *n = (int)count;
    return EFFAD_OK;
}

/* Allocates a zeroed array of n items, so that a failure while filling it
 * leaves entries the free functions can walk. */
static effad_status alloc_array(rd *c, void **p, int n, size_t size)
{
    *p = NULL;
    if (!n) return EFFAD_OK;
    if (!(*p = calloc((size_t)n, size))) return nomem(c);
    return EFFAD_OK;
}

static effad_status node_decode(rd *c, pb_reader r, onnx_node *nd)
{
    effad_status st;
    int n_in, n_out, n_attr;
    if ((st = count_field(c, r, 1, "input", &n_in)) || (st = count_field(c, r, 2, "output", &n_out)) ||
        (st = count_field(c, r, 5, "attribute", &n_attr)))
        return st;
    if ((st = alloc_array(c, (void **)&nd->in, n_in, sizeof *nd->in))) return st;
    nd->n_in = n_in;
    if ((st = alloc_array(c, (void **)&nd->out, n_out, sizeof *nd->out))) return st;
    nd->n_out = n_out;
    if ((st = alloc_array(c, (void **)&nd->attr, n_attr, sizeof *nd->attr))) return st;
    nd->n_attr = n_attr;

    pb_field f;
    int i_in = 0, i_out = 0, i_attr = 0;
    while (pb_next(&r, &f) == PB_OK) {
        st = EFFAD_OK;
        switch (f.num) {
        case 1: st = set_str(c, &f, &nd->in[i_in++], "input"); break;
        case 2: st = set_str(c, &f, &nd->out[i_out++], "output"); break;
        case 3: st = set_str(c, &f, &nd->name, "name"); break;
        case 4: st = set_str(c, &f, &nd->op_type, "op_type"); break;
        case 7: st = set_str(c, &f, &nd->domain, "domain"); break;
        case 5: {
            pb_reader sub = pb_sub(&r, &f);
            size_t old = push_named(c, &sub, 1, "attribute", i_attr);
            st = attr_decode(c, sub, &nd->attr[i_attr++]);
            path_pop(c, old);
            break;
        }
        default: break;
        }
        if (st) return st;
    }
    if ((st = fill_empty(c, &nd->name)) || (st = fill_empty(c, &nd->op_type)) || (st = fill_empty(c, &nd->domain)))
        return st;
    return EFFAD_OK;
}

void onnx_node_free(onnx_node *nd)
{
    free(nd->name); free(nd->op_type); free(nd->domain);
    for (int i = 0; i < nd->n_in; i++) free(nd->in[i]);
    for (int i = 0; i < nd->n_out; i++) free(nd->out[i]);
    for (int i = 0; i < nd->n_attr; i++) attr_free(&nd->attr[i]);
    free(nd->in); free(nd->out); free(nd->attr);
}

/* --------------------------------------------------------- value infos */

static effad_status dtype_of(rd *c, const pb_field *f, onnx_dtype *t)
{
    effad_status st = want(c, f, PB_WIRE_VARINT, "elem_type");
    if (st) return st;
    int32_t v = pb_to_i32(f->u);
    if (v < 0 || v > ONNX_BFLOAT16)
        return blame(c, effad_fail(c->e, EFFAD_ERR_UNSUPPORTED, "elem_type %d not known to this reader at byte %zu",
                                   (int)v, f->at));
    *t = (onnx_dtype)v;
    return EFFAD_OK;
}

/* TensorShapeProto.Dimension: a value, a symbol, or neither (unknown). */
static effad_status dim_decode(rd *c, pb_reader r, onnx_value *v, int d)
{
    pb_field f;
    pb_status ps;
    effad_status st;
    while ((ps = pb_next(&r, &f)) == PB_OK) {
        if (f.num == 1) {
            if ((st = want(c, &f, PB_WIRE_VARINT, "dim_value"))) return st;
            int64_t x = pb_to_i64(f.u);
            v->dims[d] = x < 0 ? -1 : x;
            free(v->dim_param[d]);
            v->dim_param[d] = NULL;
        } else if (f.num == 2) {
            if ((st = set_str(c, &f, &v->dim_param[d], "dim_param"))) return st;
            v->dims[d] = -1;
        }
    }
    return ps == PB_END ? EFFAD_OK : wire_fail(c, ps, r.err_at);
}

static effad_status shape_decode(rd *c, pb_reader r, onnx_value *v)
{
    pb_field f;
    pb_status ps;
    effad_status st;
    for (int d = 0; d < v->ndim; d++) { free(v->dim_param[d]); v->dim_param[d] = NULL; }
    v->ndim = 0;
    while ((ps = pb_next(&r, &f)) == PB_OK) {
        if (f.num != 1) continue;
        if ((st = want(c, &f, PB_WIRE_LEN, "dim"))) return st;
        if (v->ndim == ONNX_MAX_DIMS)
            return blame(c, effad_fail(c->e, EFFAD_ERR_UNSUPPORTED, "more than %d dims at byte %zu",
                                       ONNX_MAX_DIMS, f.at));
        int d = v->ndim++;
        v->dims[d] = -1;
        size_t old = path_push(c, "dim", d, NULL);
        st = dim_decode(c, pb_sub(&r, &f), v, d);
        path_pop(c, old);
        if (st) return st;
    }
    return ps == PB_END ? EFFAD_OK : wire_fail(c, ps, r.err_at);
}

/* TypeProto.Tensor; sequence, map and optional types leave the value
 * untyped, which users refuse. */
static effad_status type_decode(rd *c, pb_reader r, onnx_value *v)
{
    pb_field f, g;
    pb_status ps;
    effad_status st;
    while ((ps = pb_next(&r, &f)) == PB_OK) {
        if (f.num != 1) continue;
        if ((st = want(c, &f, PB_WIRE_LEN, "tensor_type"))) return st;
        pb_reader t = pb_sub(&r, &f);
        while ((ps = pb_next(&t, &g)) == PB_OK) {
            if (g.num == 1 && (st = dtype_of(c, &g, &v->dtype))) return st;
            if (g.num == 2) {
                if ((st = want(c, &g, PB_WIRE_LEN, "shape"))) return st;
                if ((st = shape_decode(c, pb_sub(&t, &g), v))) return st;
            }
        }
        if (ps != PB_END) return wire_fail(c, ps, t.err_at);
    }
    return ps == PB_END ? EFFAD_OK : wire_fail(c, ps, r.err_at);
}

static effad_status value_decode(rd *c, pb_reader r, onnx_value *v)
{
    pb_field f;
    pb_status ps;
    effad_status st;
    v->ndim = -1;
    while ((ps = pb_next(&r, &f)) == PB_OK) {
        if (f.num == 1 && (st = set_str(c, &f, &v->name, "name"))) return st;
        if (f.num == 2) {
            if ((st = want(c, &f, PB_WIRE_LEN, "type"))) return st;
            if ((st = type_decode(c, pb_sub(&r, &f), v))) return st;
        }
    }
    if (ps != PB_END) return wire_fail(c, ps, r.err_at);
    return fill_empty(c, &v->name);
}

static void value_free(onnx_value *v)
{
    free(v->name);
    for (int d = 0; d < ONNX_MAX_DIMS; d++) free(v->dim_param[d]);
}

/* --------------------------------------------------------- graph, model */

static effad_status graph_decode(rd *c, pb_reader r, onnx_model *m)
{
    effad_status st;
    pb_field f;
    pb_status ps;
    pb_reader scan = r;
    while ((ps = pb_next(&scan, &f)) == PB_OK)
        if (f.num == 15) {
            size_t old = path_push(c, "sparse_initializer", 0, NULL);
            st = blame(c, effad_fail(c->e, EFFAD_ERR_UNSUPPORTED,
                                     "sparse initializers are not supported (at byte %zu)", f.at));
            path_pop(c, old);
            return st;
        }
    if (ps != PB_END) return wire_fail(c, ps, scan.err_at);

    int n_node, n_init, n_input, n_output, n_vi;
    if ((st = count_field(c, r, 1, "node", &n_node)) || (st = count_field(c, r, 5, "initializer", &n_init)) ||
        (st = count_field(c, r, 11, "input", &n_input)) || (st = count_field(c, r, 12, "output", &n_output)) ||
        (st = count_field(c, r, 13, "value_info", &n_vi)))
        return st;
    if ((st = alloc_array(c, (void **)&m->node, n_node, sizeof *m->node))) return st;
    m->n_node = n_node;
    if ((st = alloc_array(c, (void **)&m->init, n_init, sizeof *m->init))) return st;
    m->n_init = n_init;
    if ((st = alloc_array(c, (void **)&m->input, n_input, sizeof *m->input))) return st;
    m->n_input = n_input;
    if ((st = alloc_array(c, (void **)&m->output, n_output, sizeof *m->output))) return st;
    m->n_output = n_output;
    if ((st = alloc_array(c, (void **)&m->value_info, n_vi, sizeof *m->value_info))) return st;
    m->n_value_info = n_vi;

    int i_node = 0, i_init = 0, i_input = 0, i_output = 0, i_vi = 0;
    while (pb_next(&r, &f) == PB_OK) {
        pb_reader sub = pb_sub(&r, &f);
        size_t old = c->path_len;
        st = EFFAD_OK;
        switch (f.num) {
        case 1:
            old = push_named(c, &sub, 3, "node", i_node);
            st = node_decode(c, sub, &m->node[i_node++]);
            break;
        case 2: st = set_str(c, &f, &m->graph_name, "name"); break;
        case 5:
            old = push_named(c, &sub, 8, "initializer", i_init);
            st = tensor_decode(c, sub, &m->init[i_init++]);
            break;
        case 11:
            old = push_named(c, &sub, 1, "input", i_input);
            st = value_decode(c, sub, &m->input[i_input++]);
            break;
        case 12:
            old = push_named(c, &sub, 1, "output", i_output);
            st = value_decode(c, sub, &m->output[i_output++]);
            break;
        case 13:
            old = push_named(c, &sub, 1, "value_info", i_vi);
            st = value_decode(c, sub, &m->value_info[i_vi++]);
            break;
        default: break;
        }
        path_pop(c, old);
        if (st) return st;
    }
    return fill_empty(c, &m->graph_name);
}

static effad_status opset_decode(rd *c, pb_reader r, onnx_opset *o)
{
    pb_field f;
    pb_status ps;
    effad_status st;
    while ((ps = pb_next(&r, &f)) == PB_OK) {
        if (f.num == 1 && (st = set_str(c, &f, &o->domain, "domain"))) return st;
        if (f.num == 2) {
            if ((st = want(c, &f, PB_WIRE_VARINT, "version"))) return st;
            o->version = pb_to_i64(f.u);
        }
    }
    if (ps != PB_END) return wire_fail(c, ps, r.err_at);
    return fill_empty(c, &o->domain);
}

static effad_status model_decode(rd *c, pb_reader r, onnx_model *m)
{
    effad_status st;
    int n_graph, n_opset;
    if ((st = count_field(c, r, 7, "graph", &n_graph)) || (st = count_field(c, r, 8, "opset_import", &n_opset)))
        return st;
    /* protobuf would merge two graphs; no exporter writes that, so two
     * mean a damaged or concatenated file. */
    if (n_graph != 1)
        return blame(c, effad_fail(c->e, EFFAD_ERR_FORMAT, n_graph ? "more than one graph" : "no graph"));
    if ((st = alloc_array(c, (void **)&m->opset, n_opset, sizeof *m->opset))) return st;
    m->n_opset = n_opset;

    pb_field f;
    int i_opset = 0;
    while (pb_next(&r, &f) == PB_OK) {
        size_t old = c->path_len;
        st = EFFAD_OK;
        switch (f.num) {
        case 1:
            if ((st = want(c, &f, PB_WIRE_VARINT, "ir_version"))) return st;
            m->ir_version = pb_to_i64(f.u);
            break;
        case 2: st = set_str(c, &f, &m->producer_name, "producer_name"); break;
        case 3: st = set_str(c, &f, &m->producer_version, "producer_version"); break;
        case 7:
            old = path_push(c, "graph", -1, NULL);
            st = graph_decode(c, pb_sub(&r, &f), m);
            break;
        case 8:
            old = path_push(c, "opset_import", i_opset, NULL);
            st = opset_decode(c, pb_sub(&r, &f), &m->opset[i_opset++]);
            break;
        default: break;
        }
        path_pop(c, old);
        if (st) return st;
    }
    if ((st = fill_empty(c, &m->producer_name)) || (st = fill_empty(c, &m->producer_version))) return st;
    return EFFAD_OK;
}

void onnx_model_free(onnx_model *m)
{
    if (!m) return;
    free(m->producer_name); free(m->producer_version); free(m->graph_name);
    for (int i = 0; i < m->n_opset; i++) free(m->opset[i].domain);
    for (int i = 0; i < m->n_node; i++) onnx_node_free(&m->node[i]);
    for (int i = 0; i < m->n_init; i++) onnx_tensor_free(&m->init[i]);
    for (int i = 0; i < m->n_input; i++) value_free(&m->input[i]);
    for (int i = 0; i < m->n_output; i++) value_free(&m->output[i]);
    for (int i = 0; i < m->n_value_info; i++) value_free(&m->value_info[i]);
    free(m->opset); free(m->node); free(m->init); free(m->input); free(m->output); free(m->value_info);
    memset(m, 0, sizeof *m);
}

effad_status onnx_model_read(const uint8_t *bytes, size_t n, onnx_model *m, effad_error *e)
{
    if (!m) return effad_fail(e, EFFAD_ERR_ARG, "onnx_model_read: no model to fill");
    memset(m, 0, sizeof *m);
    if (!bytes && n) return effad_fail(e, EFFAD_ERR_ARG, "onnx_model_read: no bytes");
    rd c = { bytes, e, "model", "", 0 };
    effad_status st = model_decode(&c, pb_reader_init(bytes, n), m);
    if (st) onnx_model_free(m);
    return st;
}

/* ------------------------------------------------------------- lookups */

const onnx_attr *onnx_node_attr(const onnx_node *node, const char *name)
{
    if (!node || !name) return NULL;
    for (int i = 0; i < node->n_attr; i++)
        if (node->attr[i].name && !strcmp(node->attr[i].name, name)) return &node->attr[i];
    return NULL;
}

int64_t onnx_attr_int(const onnx_node *node, const char *name, int64_t dflt)
{
    const onnx_attr *a = onnx_node_attr(node, name);
    return a && a->type == ONNX_ATTR_INT ? a->i : dflt;
}

float onnx_attr_float(const onnx_node *node, const char *name, float dflt)
{
    const onnx_attr *a = onnx_node_attr(node, name);
    return a && a->type == ONNX_ATTR_FLOAT ? a->f : dflt;
}

/* "" and "ai.onnx" name the same default domain (onnx.proto, opset_import). */
static int is_default_domain(const char *d)
{
    return !d || !*d || !strcmp(d, "ai.onnx");
}

int64_t onnx_opset_version(const onnx_model *m, const char *domain)
{
    if (!m) return -1;
    for (int i = 0; i < m->n_opset; i++) {
        const char *d = m->opset[i].domain;
        if (is_default_domain(domain) ? is_default_domain(d) : (d && !strcmp(d, domain))) return m->opset[i].version;
    }
    return -1;
}
