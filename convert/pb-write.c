/* The protobuf wire format, encoded (protobuf.dev/programming-guides/encoding). */
#include <stdlib.h>
#include <string.h>
#include "pb-write.h"
#include "le.h"

void pb_buf_free(pb_buf *b)
{
    free(b->p);
    memset(b, 0, sizeof *b);
}

static int reserve(pb_buf *b, size_t more)
{
    if (b->failed) return 0;
    if (more > SIZE_MAX - b->n) { b->failed = 1; return 0; }
    if (b->n + more <= b->cap) return 1;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->n + more) {
        if (cap > SIZE_MAX / 2) { b->failed = 1; return 0; }
        cap *= 2;
    }
    uint8_t *p = realloc(b->p, cap);
    if (!p) { b->failed = 1; return 0; }
    b->p = p;
    b->cap = cap;
    return 1;
}

void pb_put_raw(pb_buf *b, const void *data, size_t len)
{
    if (!len || !reserve(b, len)) return;
    memcpy(b->p + b->n, data, len);
    b->n += len;
}

static void put_uvarint(pb_buf *b, uint64_t v)
{
    uint8_t tmp[10];
    size_t n = 0;
    do {
        tmp[n] = (uint8_t)(v & 0x7f);
        v >>= 7;
        if (v) tmp[n] |= 0x80;
        n++;
    } while (v);
    pb_put_raw(b, tmp, n);
}

static void put_key(pb_buf *b, uint32_t num, unsigned wire)
{
    put_uvarint(b, (uint64_t)num << 3 | wire);
}

void pb_put_varint(pb_buf *b, uint32_t num, int64_t v)
{
    put_key(b, num, 0);
    put_uvarint(b, (uint64_t)v);   /* conversion to unsigned is modular: two's complement */
}

void pb_put_f32(pb_buf *b, uint32_t num, float v)
{
    uint8_t tmp[4];
    le_put_f32(tmp, v);
    put_key(b, num, 5);
    pb_put_raw(b, tmp, 4);
}

void pb_put_bytes(pb_buf *b, uint32_t num, const void *data, size_t len)
{
    put_key(b, num, 2);
    put_uvarint(b, len);
    pb_put_raw(b, data, len);
}

void pb_put_str(pb_buf *b, uint32_t num, const char *s)
{
    pb_put_bytes(b, num, s, strlen(s));
}

void pb_put_msg(pb_buf *b, uint32_t num, const pb_buf *msg)
{
    if (msg->failed) { b->failed = 1; return; }
    pb_put_bytes(b, num, msg->p, msg->n);
}

void pb_put_packed_varints(pb_buf *b, uint32_t num, const int64_t *v, size_t n)
{
    pb_buf body = { 0 };
    for (size_t i = 0; i < n; i++) put_uvarint(&body, (uint64_t)v[i]);
    pb_put_msg(b, num, &body);
    pb_buf_free(&body);
}

void pb_put_packed_f32(pb_buf *b, uint32_t num, const float *v, size_t n)
{
    put_key(b, num, 2);
    put_uvarint(b, 4 * (uint64_t)n);
    if (!reserve(b, 4 * n)) return;
    for (size_t i = 0; i < n; i++) le_put_f32(b->p + b->n + 4 * i, v[i]);
    b->n += 4 * n;
}
