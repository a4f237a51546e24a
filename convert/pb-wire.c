/* The protobuf wire format (protobuf.dev/programming-guides/encoding),
 * decoded with every byte bounds-checked against the reader's window. */
#include "pb-wire.h"

pb_reader pb_reader_init(const uint8_t *buf, size_t n)
{
    pb_reader r = { buf, 0, buf ? n : 0, 0 };
    return r;
}

pb_reader pb_sub(const pb_reader *r, const pb_field *f)
{
    pb_reader s = { r->buf, f->data, f->data + f->len, 0 };
    return s;
}

pb_status pb_varint(pb_reader *r, uint64_t *v)
{
    size_t start = r->pos;
    uint64_t x = 0;
    for (int i = 0; i < 10; i++) {
        if (r->pos >= r->end) { r->err_at = start; return PB_ERR_VARINT_TRUNCATED; }
        uint8_t b = r->buf[r->pos++];
        /* The tenth byte carries bit 63 only; anything more is a value no
         * 64-bit field can hold, not something to wrap silently. */
        if (i == 9 && b > 1) break;
        x |= (uint64_t)(b & 0x7f) << (7 * i);
        if (!(b & 0x80)) { *v = x; return PB_OK; }
    }
    r->err_at = start;
    return PB_ERR_VARINT_OVERFLOW;
}

static pb_status fixed(pb_reader *r, int n_bytes, uint64_t *v)
{
    if (r->end - r->pos < (size_t)n_bytes) { r->err_at = r->pos; return PB_ERR_FIXED_TRUNCATED; }
    uint64_t x = 0;
    for (int i = 0; i < n_bytes; i++) x |= (uint64_t)r->buf[r->pos + (size_t)i] << (8 * i);
    r->pos += (size_t)n_bytes;
    *v = x;
    return PB_OK;
}

pb_status pb_next(pb_reader *r, pb_field *f)
{
    if (r->pos >= r->end) return PB_END;
    f->at = r->pos;
    f->u = 0; f->data = 0; f->len = 0;
    uint64_t key;
    pb_status st = pb_varint(r, &key);
    if (st) return st;
    if ((key >> 3) == 0 || (key >> 3) > 0x1fffffff) { r->err_at = f->at; return PB_ERR_FIELD_NUMBER; }
    f->num = (uint32_t)(key >> 3);
    f->wire = (pb_wire)(key & 7);
    switch (f->wire) {
    case PB_WIRE_VARINT: return pb_varint(r, &f->u);
    case PB_WIRE_I64: return fixed(r, 8, &f->u);
    case PB_WIRE_I32: return fixed(r, 4, &f->u);
    case PB_WIRE_LEN: {
        uint64_t len;
        if ((st = pb_varint(r, &len))) return st;
        if (len > r->end - r->pos) { r->err_at = f->at; return PB_ERR_LEN_TRUNCATED; }
        f->data = r->pos;
        f->len = (size_t)len;
        r->pos += (size_t)len;
        return PB_OK;
    }
    case PB_WIRE_SGROUP: case PB_WIRE_EGROUP:
        r->err_at = f->at;
        return PB_ERR_GROUP;
    }
    r->err_at = f->at;
    return PB_ERR_WIRE_TYPE;
}

const char *pb_status_text(pb_status s)
{
    switch (s) {
    case PB_OK: return "ok";
    case PB_END: return "end of message";
    case PB_ERR_VARINT_TRUNCATED: return "truncated varint";
    case PB_ERR_VARINT_OVERFLOW: return "varint longer than 64 bits";
    case PB_ERR_FIXED_TRUNCATED: return "truncated fixed-width field";
    case PB_ERR_LEN_TRUNCATED: return "truncated length-delimited field";
    case PB_ERR_GROUP: return "group wire type (deprecated, not supported)";
    case PB_ERR_WIRE_TYPE: return "invalid wire type";
    case PB_ERR_FIELD_NUMBER: return "invalid field number";
    case PB_ERR_PACKED_SIZE: return "packed field length not a multiple of its element size";
    case PB_ERR_WIRE_MISMATCH: return "wire type does not match the field";
    }
    return "unknown wire error";
}

pb_status pb_scalars_open(const pb_reader *r, const pb_field *f, pb_wire elem, pb_scalars *s)
{
    pb_reader none = { r->buf, 0, 0, 0 };
    s->r = none; s->packed = 0; s->elem = elem; s->count = 0; s->taken = 0; s->one = 0; s->err_at = 0;
    if (f->wire == elem && elem != PB_WIRE_LEN) {
        s->count = 1;
        s->one = f->u;
        return PB_OK;
    }
    if (f->wire != PB_WIRE_LEN) { s->err_at = f->at; return PB_ERR_WIRE_MISMATCH; }
    s->r = pb_sub(r, f);
    s->packed = 1;
    switch (elem) {
    case PB_WIRE_I32: case PB_WIRE_I64: {
        size_t size = elem == PB_WIRE_I32 ? 4 : 8;
        if (f->len % size) { s->err_at = f->at; return PB_ERR_PACKED_SIZE; }
        s->count = f->len / size;
        return PB_OK;
    }
    case PB_WIRE_VARINT: {
        pb_reader scan = s->r;
        uint64_t v;
        while (scan.pos < scan.end) {
            pb_status st = pb_varint(&scan, &v);
            if (st) { s->err_at = scan.err_at; return st; }
            s->count++;
        }
        return PB_OK;
    }
    default:
        s->err_at = f->at;
        return PB_ERR_WIRE_MISMATCH;
    }
}

uint64_t pb_scalars_next(pb_scalars *s)
{
    uint64_t v = 0;
    if (s->taken >= s->count) return 0;
    s->taken++;
    if (!s->packed) return s->one;
    switch (s->elem) {
    case PB_WIRE_I32: (void)fixed(&s->r, 4, &v); break;
    case PB_WIRE_I64: (void)fixed(&s->r, 8, &v); break;
    default: (void)pb_varint(&s->r, &v); break;
    }
    return v;
}

int64_t pb_to_i64(uint64_t u)
{
    if (u <= (uint64_t)INT64_MAX) return (int64_t)u;
    return -(int64_t)(~u) - 1;
}

int32_t pb_to_i32(uint64_t u)
{
    uint32_t low = (uint32_t)u;
    if (low <= (uint32_t)INT32_MAX) return (int32_t)low;
    return -(int32_t)(~low) - 1;
}
