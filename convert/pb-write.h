/*
 * pb-write.h -- the protobuf wire format, written one field at a time:
 * the other half of pb-wire.h.
 *
 * A pb_buf is a growable byte buffer. A nested message is built in a
 * pb_buf of its own and appended to its parent with pb_put_msg, which
 * knows its length by then: no two-pass sizing. An allocation failure
 * sets `failed` and turns every later call into a no-op, so a writer
 * checks once, at the end.
 */
#ifndef EFFAD_PB_WRITE_H
#define EFFAD_PB_WRITE_H

#include <stddef.h>
#include <stdint.h>

typedef struct pb_buf {
    uint8_t *p;
    size_t n, cap;
    int failed;
} pb_buf;

void pb_buf_free(pb_buf *b);
/* Raw bytes, no key: for assembling a buffer from finished parts. */
void pb_put_raw(pb_buf *b, const void *data, size_t len);

/* field num as a VARINT (int32/int64/enum/bool: negative values as their
 * 64-bit two's complement, as protobuf does for int32 and int64). */
void pb_put_varint(pb_buf *b, uint32_t num, int64_t v);
/* field num as a 4-byte little-endian float (wire type I32). */
void pb_put_f32(pb_buf *b, uint32_t num, float v);
/* field num as LEN: bytes, a string (without its NUL), a finished message. */
void pb_put_bytes(pb_buf *b, uint32_t num, const void *data, size_t len);
void pb_put_str(pb_buf *b, uint32_t num, const char *s);
void pb_put_msg(pb_buf *b, uint32_t num, const pb_buf *msg);
/* repeated scalars, packed into one LEN field. */
void pb_put_packed_varints(pb_buf *b, uint32_t num, const int64_t *v, size_t n);
void pb_put_packed_f32(pb_buf *b, uint32_t num, const float *v, size_t n);

#endif /* EFFAD_PB_WRITE_H */
