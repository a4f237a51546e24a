/* The protobuf wire reader on hand-made bytes: every wire type, the edges
 * of varints, and each way a field can run out of bytes. */
#include "check.h"
#include "pb-wire.h"

static pb_status next1(const uint8_t *b, size_t n, pb_field *f, pb_reader *r)
{
    *r = pb_reader_init(b, n);
    return pb_next(r, f);
}

static void test_varints(void)
{
    static const struct { uint8_t b[11]; size_t n; uint64_t v; } ok[] = {
        { { 0x00 }, 1, 0 },
        { { 0x7f }, 1, 127 },
        { { 0x80, 0x01 }, 2, 128 },
        { { 0xac, 0x02 }, 2, 300 },
        { { 0xff, 0xff, 0xff, 0xff, 0x0f }, 5, 0xffffffffu },
        { { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01 }, 10, UINT64_MAX },
        { { 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01 }, 10, (uint64_t)1 << 63 },
        /* Over-long but in range: protobuf parsers accept padding bytes. */
        { { 0x81, 0x80, 0x80, 0x00 }, 4, 1 },
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        pb_reader r = pb_reader_init(ok[i].b, ok[i].n);
        uint64_t v = 12345;
        CHECK_EQ_INT(pb_varint(&r, &v), PB_OK);
        CHECK_MSG(v == ok[i].v, "case %zu: %llu", i, (unsigned long long)v);
        CHECK_EQ_INT(r.pos, ok[i].n);
    }
    static const uint8_t eleven[] = { 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01 };
    static const uint8_t bit64[] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02 };
    uint64_t v;
    pb_reader r = pb_reader_init(eleven, sizeof eleven);
    CHECK_EQ_INT(pb_varint(&r, &v), PB_ERR_VARINT_OVERFLOW);
    r = pb_reader_init(bit64, sizeof bit64);
    CHECK_EQ_INT(pb_varint(&r, &v), PB_ERR_VARINT_OVERFLOW);
    CHECK_EQ_INT(r.err_at, 0);
    /* Every prefix of a long varint is truncated, never read past. */
    for (size_t n = 0; n < 10; n++) {
        r = pb_reader_init(bit64, n);
        CHECK_EQ_INT(pb_varint(&r, &v), PB_ERR_VARINT_TRUNCATED);
    }
    CHECK_EQ_INT(pb_to_i64(UINT64_MAX), -1);
    CHECK_EQ_INT(pb_to_i64((uint64_t)1 << 63), INT64_MIN);
    CHECK_EQ_INT(pb_to_i32(0xfffffffffffffffeull), -2);
    CHECK_EQ_INT(pb_to_i32(0x80000000u), INT32_MIN);
    CHECK_EQ_INT(pb_to_i32(0x17fffffffull), INT32_MAX);
}

static void test_fields(void)
{
    pb_field f;
    pb_reader r;
    static const uint8_t vi[] = { 0x08, 0x96, 0x01 };
    CHECK_EQ_INT(next1(vi, sizeof vi, &f, &r), PB_OK);
    CHECK(f.num == 1 && f.wire == PB_WIRE_VARINT && f.u == 150 && f.at == 0);
    CHECK_EQ_INT(pb_next(&r, &f), PB_END);

    static const uint8_t i32[] = { 0x15, 0x00, 0x00, 0x80, 0x3f };
    CHECK_EQ_INT(next1(i32, sizeof i32, &f, &r), PB_OK);
    CHECK(f.num == 2 && f.wire == PB_WIRE_I32 && f.u == 0x3f800000u);
    static const uint8_t i64[] = { 0x19, 1, 2, 3, 4, 5, 6, 7, 8 };
    CHECK_EQ_INT(next1(i64, sizeof i64, &f, &r), PB_OK);
    CHECK(f.num == 3 && f.wire == PB_WIRE_I64 && f.u == 0x0807060504030201ull);
    CHECK_EQ_INT(next1(i64, 8, &f, &r), PB_ERR_FIXED_TRUNCATED);
    CHECK_EQ_INT(r.err_at, 1);

    static const uint8_t len[] = { 0x22, 0x03, 'a', 'b', 'c', 0x28, 0x01 };
    CHECK_EQ_INT(next1(len, sizeof len, &f, &r), PB_OK);
    CHECK(f.num == 4 && f.wire == PB_WIRE_LEN && f.data == 2 && f.len == 3);
    CHECK_EQ_INT(pb_next(&r, &f), PB_OK);
    CHECK(f.num == 5 && f.u == 1 && f.at == 5);
    CHECK_EQ_INT(next1(len, 4, &f, &r), PB_ERR_LEN_TRUNCATED);
    CHECK_EQ_INT(r.err_at, 0);
    /* A length near 2^64 must not wrap the bounds check. */
    static const uint8_t huge[] = { 0x22, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 'x' };
    CHECK_EQ_INT(next1(huge, sizeof huge, &f, &r), PB_ERR_LEN_TRUNCATED);

    /* A sub-reader sees only its window; offsets stay absolute. */
    static const uint8_t nest[] = { 0x0a, 0x02, 0x08, 0x07, 0x10, 0x09 };
    CHECK_EQ_INT(next1(nest, sizeof nest, &f, &r), PB_OK);
    pb_reader sub = pb_sub(&r, &f);
    pb_field g;
    CHECK_EQ_INT(pb_next(&sub, &g), PB_OK);
    CHECK(g.num == 1 && g.u == 7 && g.at == 2);
    CHECK_EQ_INT(pb_next(&sub, &g), PB_END);

    static const uint8_t group[] = { 0x0b, 0x0c }, bad6[] = { 0x0e }, zero[] = { 0x00, 0x00 };
    CHECK_EQ_INT(next1(group, sizeof group, &f, &r), PB_ERR_GROUP);
    CHECK_EQ_INT(next1(group + 1, 1, &f, &r), PB_ERR_GROUP);
    CHECK_EQ_INT(next1(bad6, sizeof bad6, &f, &r), PB_ERR_WIRE_TYPE);
    CHECK_EQ_INT(next1(zero, sizeof zero, &f, &r), PB_ERR_FIELD_NUMBER);
    static const uint8_t bignum[] = { 0xf8, 0xff, 0xff, 0xff, 0x7f, 0x00 };   /* field 2^31 - 1 */
    CHECK_EQ_INT(next1(bignum, sizeof bignum, &f, &r), PB_ERR_FIELD_NUMBER);
    static const uint8_t maxnum[] = { 0xf8, 0xff, 0xff, 0xff, 0x0f, 0x00 };   /* field 2^29 - 1 */
    CHECK_EQ_INT(next1(maxnum, sizeof maxnum, &f, &r), PB_OK);
    CHECK_EQ_INT(f.num, 0x1fffffff);
    CHECK_EQ_INT(next1(vi, 0, &f, &r), PB_END);
    CHECK_STR_CONTAINS(pb_status_text(PB_ERR_LEN_TRUNCATED), "truncated length-delimited");
}

static void test_scalars(void)
{
    pb_field f;
    pb_reader r;
    pb_scalars s;
    static const uint8_t packed[] = { 0x0a, 0x05, 0x01, 0xac, 0x02, 0xff, 0x01 };
    CHECK_EQ_INT(next1(packed, sizeof packed, &f, &r), PB_OK);
    CHECK_EQ_INT(pb_scalars_open(&r, &f, PB_WIRE_VARINT, &s), PB_OK);
    CHECK_EQ_INT(s.count, 3);
    CHECK_EQ_INT(pb_scalars_next(&s), 1);
    CHECK_EQ_INT(pb_scalars_next(&s), 300);
    CHECK_EQ_INT(pb_scalars_next(&s), 255);
    CHECK_EQ_INT(pb_scalars_next(&s), 0);   /* past the end: nothing read */

    static const uint8_t badpacked[] = { 0x0a, 0x02, 0x01, 0x80 };
    CHECK_EQ_INT(next1(badpacked, sizeof badpacked, &f, &r), PB_OK);
    CHECK_EQ_INT(pb_scalars_open(&r, &f, PB_WIRE_VARINT, &s), PB_ERR_VARINT_TRUNCATED);
    CHECK_EQ_INT(s.err_at, 3);

    static const uint8_t floats[] = { 0x0a, 0x08, 0, 0, 0x80, 0x3f, 0, 0, 0, 0x40 };
    CHECK_EQ_INT(next1(floats, sizeof floats, &f, &r), PB_OK);
    CHECK_EQ_INT(pb_scalars_open(&r, &f, PB_WIRE_I32, &s), PB_OK);
    CHECK_EQ_INT(s.count, 2);
    CHECK_EQ_INT(pb_scalars_next(&s), 0x3f800000);
    CHECK_EQ_INT(pb_scalars_next(&s), 0x40000000);
    CHECK_EQ_INT(pb_scalars_open(&r, &f, PB_WIRE_I64, &s), PB_OK);
    CHECK_EQ_INT(s.count, 1);
    static const uint8_t ragged[] = { 0x0a, 0x03, 1, 2, 3 };
    CHECK_EQ_INT(next1(ragged, sizeof ragged, &f, &r), PB_OK);
    CHECK_EQ_INT(pb_scalars_open(&r, &f, PB_WIRE_I32, &s), PB_ERR_PACKED_SIZE);

    static const uint8_t one[] = { 0x08, 0x05 };
    CHECK_EQ_INT(next1(one, sizeof one, &f, &r), PB_OK);
    CHECK_EQ_INT(pb_scalars_open(&r, &f, PB_WIRE_VARINT, &s), PB_OK);
    CHECK_EQ_INT(s.count, 1);
    CHECK_EQ_INT(pb_scalars_next(&s), 5);
    CHECK_EQ_INT(pb_scalars_open(&r, &f, PB_WIRE_I32, &s), PB_ERR_WIRE_MISMATCH);
}

int main(void)
{
    test_varints();
    test_fields();
    test_scalars();
    return check_done("test-pb-wire");
}
