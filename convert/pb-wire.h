/*
 * pb-wire.h -- the protobuf wire format, read one field at a time.
 *
 * A pb_reader is a window [pos, end) over one buffer. A sub-message gets a
 * window of its own over the same buffer, so every offset reported is
 * counted from the start of the file: what someone holding a hex dump of
 * a broken model needs. Nothing here allocates, and nothing reads outside
 * its window. Groups (wire types 3 and 4, deprecated since proto2 and
 * never used by onnx.proto) are refused rather than skipped.
 */
#ifndef EFFAD_PB_WIRE_H
#define EFFAD_PB_WIRE_H

#include <stddef.h>
#include <stdint.h>

typedef enum pb_wire {
    PB_WIRE_VARINT = 0, PB_WIRE_I64 = 1, PB_WIRE_LEN = 2,
    PB_WIRE_SGROUP = 3, PB_WIRE_EGROUP = 4, PB_WIRE_I32 = 5
} pb_wire;

typedef enum pb_status {
    PB_OK = 0,
    PB_END,                  /* pb_next: no more fields (not an error)     */
    PB_ERR_VARINT_TRUNCATED,
    PB_ERR_VARINT_OVERFLOW,  /* more than 10 bytes, or bits beyond 64      */
    PB_ERR_FIXED_TRUNCATED,
    PB_ERR_LEN_TRUNCATED,    /* a length that runs past the window         */
    PB_ERR_GROUP,
    PB_ERR_WIRE_TYPE,        /* 6 or 7: not a wire type at all             */
    PB_ERR_FIELD_NUMBER,     /* 0, or above 2^29 - 1                       */
    PB_ERR_PACKED_SIZE,      /* packed fixed-width data of a ragged length */
    PB_ERR_WIRE_MISMATCH     /* a wire type the field's type cannot take   */
} pb_status;

typedef struct pb_reader {
    const uint8_t *buf;      /* the whole input; offsets count from here   */
    size_t pos, end;
    size_t err_at;           /* where the last error was found             */
} pb_reader;

typedef struct pb_field {
    uint32_t num;
    pb_wire wire;
    size_t at;               /* offset of the field's key                  */
    uint64_t u;              /* VARINT value, or I32 / I64 bits            */
    size_t data, len;        /* LEN payload: offset and length in bytes    */
} pb_field;

pb_reader pb_reader_init(const uint8_t *buf, size_t n);
/* The window of a LEN field's payload, as a reader of its own. */
pb_reader pb_sub(const pb_reader *r, const pb_field *f);
/* Reads the next field, payload included, so an unknown field is skipped
 * by simply ignoring it. PB_END when the window is exhausted. */
pb_status pb_next(pb_reader *r, pb_field *f);
pb_status pb_varint(pb_reader *r, uint64_t *v);
const char *pb_status_text(pb_status s);

/* The elements of one occurrence of a repeated scalar field, which a
 * writer may send packed (one LEN field) or unpacked (one field each);
 * parsers must accept both whatever the .proto says. elem is the wire type
 * of one element: VARINT, I32 or I64. Opening validates the whole payload,
 * so pb_scalars_next() cannot fail afterwards. */
typedef struct pb_scalars {
    pb_reader r;             /* the packed payload                         */
    int packed;
    pb_wire elem;
    size_t count;
    size_t taken;
    uint64_t one;            /* the value of an unpacked element           */
    size_t err_at;
} pb_scalars;

pb_status pb_scalars_open(const pb_reader *r, const pb_field *f, pb_wire elem, pb_scalars *s);
uint64_t pb_scalars_next(pb_scalars *s);

/* Two's-complement reinterpretations, done arithmetically because a plain
 * cast of an out-of-range value is implementation-defined in C. */
int64_t pb_to_i64(uint64_t u);
int32_t pb_to_i32(uint64_t u);   /* the low 32 bits, as protobuf's int32 */

#endif /* EFFAD_PB_WIRE_H */
