/* DEFLATE encoding (RFC 1951) in a zlib wrapper (RFC 1950) for the PNG
 * writer: one fixed-Huffman block, matches found by a single-probe hash of
 * the next three bytes. Roughly half the ratio of a real encoder on
 * photographs and far better than stored blocks on flat masks -- the
 * outputs here are heatmaps and overlays, where that is plenty. */
#include <stdlib.h>
#include <string.h>
#include "checksum.h"
#include "zlib.h"

typedef zlib_bits bitout;

static void put_bits(bitout *o, uint32_t v, int k)
{
    o->buf |= (uint64_t)v << o->cnt;
    o->cnt += k;
    while (o->cnt >= 8) {
        o->p[o->len++] = (uint8_t)o->buf;
        o->buf >>= 8;
        o->cnt -= 8;
    }
}

/* Huffman codes are defined MSB first but DEFLATE's bit stream is LSB
 * first, so codes go out reversed. */
static void put_code(bitout *o, uint32_t code, int len)
{
    uint32_t rev = 0;
    for (int i = 0; i < len; i++) rev |= ((code >> i) & 1u) << (len - 1 - i);
    put_bits(o, rev, len);
}

/* The fixed literal/length code of RFC 1951 3.2.6. */
static void put_litlen(bitout *o, int sym)
{
    if (sym < 144) put_code(o, 0x30u + (uint32_t)sym, 8);
    else if (sym < 256) put_code(o, 0x190u + (uint32_t)(sym - 144), 9);
    else if (sym < 280) put_code(o, (uint32_t)(sym - 256), 7);
    else put_code(o, 0xC0u + (uint32_t)(sym - 280), 8);
}


static void put_match(bitout *o, size_t len, size_t dist)
{
    int ls = 28;
    while (zlib_len_base[ls] > len) ls--;
    put_litlen(o, 257 + ls);
    put_bits(o, (uint32_t)(len - zlib_len_base[ls]), zlib_len_extra[ls]);
    int ds = 29;
    while (zlib_dist_base[ds] > dist) ds--;
    put_code(o, (uint32_t)ds, 5);
    put_bits(o, (uint32_t)(dist - zlib_dist_base[ds]), zlib_dist_extra[ds]);
}

#define HASH_BITS 15
#define WINDOW 32768
#define MAX_MATCH 258

static uint32_t hash3(const uint8_t *p)
{
    uint32_t v = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16;
    return (v * 2654435761u) >> (32 - HASH_BITS);
}

/* The input is kept in buf from WINDOW bytes behind the next byte to
 * encode; a byte is encoded only once MAX_MATCH bytes follow it (or at the
 * end), so every match is the one the whole input in memory would give:
 * the stream is the same bytes however the input is cut. */
#define BUF_CAP (4 * WINDOW)
#define OUT_CAP ((size_t)1 << 16)

static effad_status flush_out(zlib_stream *z, effad_error *e)
{
    effad_status s = z->o.len ? z->put(z->ctx, z->o.p, z->o.len, e) : EFFAD_OK;
    z->o.len = 0;
    return s;
}

/* Encodes from z->at up to stream offset `end` (exclusive); n: the
 * stream's length so far, the limit of a match. */
static effad_status encode(zlib_stream *z, uint64_t end, uint64_t n, effad_error *e)
{
    const uint8_t *in = z->buf - z->buf_start;   /* in[i]: the byte at stream offset i */
    uint64_t i = z->at;
    effad_status s = EFFAD_OK;
    while (i < end && !s) {
        size_t best = 0, dist = 0;
        if (n - i >= 3 && i <= INT32_MAX) {
            uint32_t h = hash3(in + i);
            int64_t cand = z->head[h];
            z->head[h] = (int64_t)i;
            if (cand >= 0 && i - (uint64_t)cand <= WINDOW) {
                size_t max = n - i < MAX_MATCH ? (size_t)(n - i) : MAX_MATCH, k = 0;
                while (k < max && in[(uint64_t)cand + k] == in[i + k]) k++;
                if (k >= 3) { best = k; dist = (size_t)(i - (uint64_t)cand); }
            }
        }
        if (best) {
            put_match(&z->o, best, dist);
            i += best;
        } else {
            put_litlen(&z->o, in[i]);
            i++;
        }
        if (z->o.len >= OUT_CAP) s = flush_out(z, e);
    }
    z->at = i;
    return s;
}

effad_status zlib_stream_begin(zlib_stream *z, zlib_put_fn put, void *ctx, effad_error *e)
{
    memset(z, 0, sizeof *z);
    z->put = put;
    z->ctx = ctx;
    z->adler = 1;
    z->buf = malloc(BUF_CAP);
    z->head = malloc(sizeof *z->head << HASH_BITS);
    z->o.p = malloc(OUT_CAP + 64);
    if (!z->buf || !z->head || !z->o.p) {
        zlib_stream_free(z);
        return effad_fail(e, EFFAD_ERR_NOMEM, "deflate: out of memory");
    }
    for (size_t i = 0; i < (size_t)1 << HASH_BITS; i++) z->head[i] = -1;
    z->o.p[z->o.len++] = 0x78;   /* deflate, 32 KiB window */
    z->o.p[z->o.len++] = 0x01;   /* no dictionary, "fastest" level; 0x7801 % 31 == 0 */
    put_bits(&z->o, 1, 1);       /* final block */
    put_bits(&z->o, 1, 2);       /* fixed Huffman */
    return EFFAD_OK;
}

effad_status zlib_stream_write(zlib_stream *z, const void *data, size_t n, effad_error *e)
{
    const uint8_t *p = data;
    effad_status s = EFFAD_OK;
    z->adler = adler32_update(z->adler, p, n);
    while (n && !s) {
        if (z->buf_n == BUF_CAP) {   /* keep the window behind the next byte to encode */
            uint64_t keep_from = z->at > WINDOW ? z->at - WINDOW : 0;
            size_t drop = (size_t)(keep_from - z->buf_start);
            memmove(z->buf, z->buf + drop, z->buf_n - drop);
            z->buf_n -= drop;
            z->buf_start = keep_from;
        }
        size_t take = BUF_CAP - z->buf_n < n ? BUF_CAP - z->buf_n : n;
        memcpy(z->buf + z->buf_n, p, take);
        z->buf_n += take;
        p += take;
        n -= take;
        uint64_t have = z->buf_start + z->buf_n;
        if (have > MAX_MATCH) s = encode(z, have - MAX_MATCH, have, e);
    }
    if (s) zlib_stream_free(z);
    return s;
}

effad_status zlib_stream_end(zlib_stream *z, effad_error *e)
{
    uint64_t n = z->buf_start + z->buf_n;
    effad_status s = encode(z, n, n, e);
    if (!s) {
        put_litlen(&z->o, 256);
        if (z->o.cnt) put_bits(&z->o, 0, 8 - z->o.cnt);
        for (int k = 3; k >= 0; k--) z->o.p[z->o.len++] = (uint8_t)(z->adler >> (8 * k));
        s = flush_out(z, e);
    }
    zlib_stream_free(z);
    return s;
}

void zlib_stream_free(zlib_stream *z)
{
    free(z->buf);
    free(z->head);
    free(z->o.p);
    z->buf = NULL;
    z->head = NULL;
    z->o.p = NULL;
}

typedef struct { uint8_t *p; size_t len, cap; } mem_out;

static effad_status to_memory(void *ctx, const uint8_t *p, size_t n, effad_error *e)
{
    mem_out *m = ctx;
    if (n > m->cap - m->len) return effad_fail(e, EFFAD_ERR_ARG, "deflate: output past its bound");
    memcpy(m->p + m->len, p, n);
    m->len += n;
    return EFFAD_OK;
}

effad_status zlib_deflate(const uint8_t *in, size_t n, uint8_t **out, size_t *out_bytes, effad_error *e)
{
    *out = NULL;
    *out_bytes = 0;
    /* Worst case: every byte a 9-bit literal, plus header, EOB, Adler. */
    if (n > (SIZE_MAX - 64) / 9 * 8) return effad_fail(e, EFFAD_ERR_ARG, "deflate: input too large");
    mem_out m = { NULL, 0, n / 8 * 9 + n % 8 * 2 + 64 };
    if (!(m.p = malloc(m.cap))) return effad_fail(e, EFFAD_ERR_NOMEM, "deflate: out of memory for %zu bytes", m.cap);
    zlib_stream z;
    effad_status s = zlib_stream_begin(&z, to_memory, &m, e);
    if (!s) s = zlib_stream_write(&z, in, n, e);
    if (!s) s = zlib_stream_end(&z, e);
    if (s) { free(m.p); return s; }
    *out = m.p;
    *out_bytes = m.len;
    return EFFAD_OK;
}
