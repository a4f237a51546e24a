/* DEFLATE encoding (RFC 1951) in a zlib wrapper (RFC 1950) for the PNG
 * writer: one fixed-Huffman block, matches found by a single-probe hash of
 * the next three bytes. Roughly half the ratio of a real encoder on
 * photographs and far better than stored blocks on flat masks -- the
 * outputs here are heatmaps and overlays, where that is plenty. */
#include <stdlib.h>
#include <string.h>
#include "checksum.h"
#include "zlib.h"

typedef struct {
    uint8_t *p;
    size_t len;
    uint64_t buf;
    int cnt;
} bitout;

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

effad_status zlib_deflate(const uint8_t *in, size_t n, uint8_t **out, size_t *out_bytes, effad_error *e)
{
    *out = NULL;
    *out_bytes = 0;
    /* Worst case: every byte a 9-bit literal, plus header, EOB, Adler. */
    if (n > (SIZE_MAX - 64) / 9 * 8) return effad_fail(e, EFFAD_ERR_ARG, "deflate: input too large");
    size_t cap = n / 8 * 9 + n % 8 * 2 + 64;
    bitout o = { malloc(cap), 0, 0, 0 };
    int32_t *head = malloc(sizeof(int32_t) << HASH_BITS);
    if (!o.p || !head) {
        free(o.p); free(head);
        return effad_fail(e, EFFAD_ERR_NOMEM, "deflate: out of memory for %zu bytes", cap);
    }
    for (size_t i = 0; i < (size_t)1 << HASH_BITS; i++) head[i] = -1;

    o.p[o.len++] = 0x78;   /* deflate, 32 KiB window */
    o.p[o.len++] = 0x01;   /* no dictionary, "fastest" level; 0x7801 % 31 == 0 */
    put_bits(&o, 1, 1);    /* final block */
    put_bits(&o, 1, 2);    /* fixed Huffman */
    size_t i = 0;
    while (i < n) {
        size_t best = 0, dist = 0;
        if (n - i >= 3 && i <= INT32_MAX) {
            uint32_t h = hash3(in + i);
            int32_t cand = head[h];
            head[h] = (int32_t)i;
            if (cand >= 0 && i - (size_t)cand <= WINDOW) {
                size_t max = n - i < MAX_MATCH ? n - i : MAX_MATCH, k = 0;
                while (k < max && in[(size_t)cand + k] == in[i + k]) k++;
                if (k >= 3) { best = k; dist = i - (size_t)cand; }
            }
        }
        if (best) {
            put_match(&o, best, dist);
            i += best;
        } else {
            put_litlen(&o, in[i]);
            i++;
        }
    }
    put_litlen(&o, 256);
    if (o.cnt) put_bits(&o, 0, 8 - o.cnt);
    uint32_t a = adler32_update(1, in, n);
    for (int k = 3; k >= 0; k--) o.p[o.len++] = (uint8_t)(a >> (8 * k));
    free(head);
    *out = o.p;
    *out_bytes = o.len;
    return EFFAD_OK;
}
