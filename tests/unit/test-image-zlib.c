/* Our inflate and deflate: round trips, and each way a stream can be
 * wrong (RFC 1950/1951) producing its own error rather than a crash or a
 * silent mis-decode. */
#include "image-test-util.h"
#include "checksum.h"
#include "zlib.h"

typedef struct { uint8_t b[256]; size_t len; int cnt; } bw;

static void bits(bw *w, unsigned v, int k)   /* LSB first, as DEFLATE packs them */
{
    for (int i = 0; i < k; i++, w->cnt++) {
        if (w->cnt % 8 == 0) w->b[w->len++] = 0;
        w->b[w->len - 1] |= (uint8_t)(((v >> i) & 1) << (w->cnt % 8));
    }
}

static effad_status inflate_into(const uint8_t *z, size_t n, size_t cap, effad_error *e)
{
    uint8_t *out = malloc(cap ? cap : 1);
    effad_status st = zlib_inflate(z, n, out, cap, e);
    free(out);
    return st;
}

/* CRC-32 one bit at a time, as ISO 3309 / the PNG spec define it: the
 * reference for the eight-table (slicing) version in checksum.c. */
static uint32_t crc_bitwise(const uint8_t *p, size_t n)
{
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++) c = (c & 1) ? (c >> 1) ^ 0xEDB88320u : c >> 1;
    }
    return c ^ 0xFFFFFFFFu;
}

/* Adler-32 as RFC 1950 defines it, both sums reduced after every byte. */
static uint32_t adler_bytewise(uint32_t adler, const uint8_t *p, size_t n)
{
    uint32_t a = adler & 0xFFFF, b = adler >> 16;
    for (size_t i = 0; i < n; i++) {
        a = (a + p[i]) % 65521;
        b = (b + a) % 65521;
    }
    return b << 16 | a;
}

static void round_trip(const uint8_t *data, size_t n, const char *what)
{
    uint8_t *z, *back = malloc(n ? n : 1);
    size_t zn;
    effad_error e = { 0 };
    CHECK(zlib_deflate(data, n, &z, &zn, &e) == EFFAD_OK);
    effad_status st = zlib_inflate(z, zn, back, n, &e);
    CHECK_MSG(st == EFFAD_OK && (n == 0 || !memcmp(back, data, n)), "%s (%zu bytes): %.200s", what, n, e.msg);
    printf("  deflate %-12s %8zu -> %8zu bytes\n", what, n, zn);
    /* every proper prefix is an error, never a crash */
    int prefix_ok = 1;
    for (size_t k = 0; k < zn; k += (zn > 4000 ? zn / 61 : 1))
        if (zlib_inflate(z, k, back, n, &e) == EFFAD_OK) prefix_ok = 0;
    CHECK_MSG(prefix_ok, "%s: a truncated stream was accepted", what);
    /* and asking for one byte less is refused as too much data */
    if (n) {
        CHECK_EQ_INT(zlib_inflate(z, zn, back, n - 1, &e), EFFAD_ERR_FORMAT);
        CHECK_HAS(e.msg, "more data than the expected");
    }
    free(z);
    free(back);
}

typedef struct { uint8_t *p; size_t len, cap; int calls; } sink;

static effad_status collect(void *ctx, const uint8_t *p, size_t n, effad_error *e)
{
    (void)e;
    sink *k = ctx;
    if (k->len + n > k->cap) {
        k->cap = 2 * (k->len + n);
        k->p = realloc(k->p, k->cap);
    }
    memcpy(k->p + k->len, p, n);
    k->len += n;
    k->calls++;
    return EFFAD_OK;
}

static effad_status refuse(void *ctx, const uint8_t *p, size_t n, effad_error *e)
{
    (void)ctx; (void)p; (void)n;
    return effad_fail(e, EFFAD_ERR_IO, "sink full");
}

/* The stream given in pieces of every size -- single bytes, pieces
 * straddling the 258-byte lookahead and the 32 KiB window, megabytes at
 * once -- is the same bytes as the input in one piece, and a sink's
 * failure comes back from write or end. */
static void pieces(const uint8_t *data, size_t n, const char *what)
{
    uint8_t *whole;
    size_t wn;
    effad_error e = { 0 };
    CHECK(zlib_deflate(data, n, &whole, &wn, &e) == EFFAD_OK);
    static const size_t cut[] = { 1, 7, 257, 259, 4096, 32767, 65537, 1 << 20 };
    uint32_t seed = 99;
    for (size_t c = 0; c <= sizeof cut / sizeof *cut; c++) {
        sink k = { 0 };
        zlib_stream z;
        CHECK(zlib_stream_begin(&z, collect, &k, &e) == EFFAD_OK);
        int written = 1;
        for (size_t at = 0; at < n && written;) {
            seed = seed * 1103515245u + 12345u;
            size_t m = c < sizeof cut / sizeof *cut ? cut[c] : 1 + (seed >> 8) % 70000;   /* last: random */
            if (m > n - at) m = n - at;
            written = zlib_stream_write(&z, data + at, m, &e) == EFFAD_OK;
            at += m;
        }
        CHECK(written);
        CHECK(written && zlib_stream_end(&z, &e) == EFFAD_OK);
        CHECK_MSG(k.len == wn && !memcmp(k.p, whole, wn), "%s in pieces of %zu: %zu bytes, whole %zu", what,
                  c < sizeof cut / sizeof *cut ? cut[c] : 0, k.len, wn);
        CHECK(wn < 2 * 65536 || k.calls > 1);   /* handed on as it is made, not at the end */
        free(k.p);
    }
    zlib_stream z;
    CHECK(zlib_stream_begin(&z, refuse, NULL, &e) == EFFAD_OK);
    effad_status st = zlib_stream_write(&z, data, n, &e);
    if (!st) st = zlib_stream_end(&z, &e);
    CHECK_EQ_INT(st, EFFAD_ERR_IO);
    CHECK_HAS(e.msg, "sink full");
    free(whole);
}

/* Input pieces for zlib_inflate_pieces: the stream cut at `cuts`, with an
 * empty piece between every two (skipped, as PNG's empty IDATs are). */
typedef struct { const uint8_t *z; size_t n, at; const size_t *len; size_t k, nlen; int empty; } cutter;
static int next_cut(void *ctx, const uint8_t **p, size_t *len)
{
    cutter *c = ctx;
    if (c->at >= c->n) return 0;
    if ((c->empty = !c->empty)) { *p = c->z + c->at; *len = 0; return 1; }
    size_t m = c->len[c->k++ % c->nlen];
    if (m > c->n - c->at) m = c->n - c->at;
    *p = c->z + c->at;
    *len = m;
    c->at += m;
    return 1;
}

/* The zlib stream z[0..zn) of `want` (n bytes) inflated from pieces --
 * every size 1..19 in turn, single bytes, and sizes from the seed -- gives
 * the same bytes as whole, and every stream cut short in pieces is refused
 * as truncated, never read past. */
static void inflate_in_pieces(const uint8_t *z, size_t zn, const uint8_t *want, size_t n, const char *what)
{
    uint8_t *out = malloc(n + 1);
    effad_error e = { 0 };
    size_t sizes[64];
    uint32_t seed = 7;
    for (int plan = 0; plan < 4; plan++) {
        size_t nlen;
        if (plan == 0) { for (nlen = 0; nlen < 19; nlen++) sizes[nlen] = nlen + 1; }
        else if (plan == 1) { sizes[0] = 1; nlen = 1; }
        else {
            for (nlen = 0; nlen < 64; nlen++) {
                seed = seed * 1103515245u + 12345u;
                sizes[nlen] = 1 + (seed >> 8) % (plan == 2 ? 40 : 9000);
            }
        }
        for (size_t first = 0; first < 3 && first <= zn; first++) {
            cutter c = { z, zn, first, sizes, 0, nlen, 0 };
            memset(out, 0xAB, n + 1);
            effad_status st = zlib_inflate_pieces(z, first, next_cut, &c, out, n, &e);
            CHECK_MSG(st == EFFAD_OK && !memcmp(out, want, n), "%s: plan %d, first piece %zu: %.200s", what, plan,
                      first, e.msg);
        }
        /* cut short: a prefix of the stream in the same pieces */
        int refused = 1;
        for (size_t keep = 0; keep < zn; keep += zn > 3000 ? zn / 37 + 1 : 1) {
            cutter c = { z, keep, 0, sizes, 0, nlen, 0 };
            if (zlib_inflate_pieces(NULL, 0, next_cut, &c, out, n, &e) == EFFAD_OK) refused = 0;
        }
        CHECK_MSG(refused, "%s: plan %d: a truncated stream in pieces was accepted", what, plan);
    }
    free(out);
}

/* The IDAT data of a PNG fixture, joined: streams zlib itself made, with
 * stored, fixed and dynamic blocks. */
static uint8_t *fixture_idat(const char *name, size_t *zn)
{
    size_t n, first;
    uint8_t *b = slurp(name, &n), *z = b ? png_idat_joined(b, n, zn, &first) : NULL;
    if (!b) *zn = 0;
    free(b);
    return z;
}

int main(void)
{
    effad_error e = { 0 };
    uint32_t seed = 12345;
    size_t n = 300000;
    uint8_t *buf = calloc(n, 1);

    round_trip(buf, 0, "empty");
    buf[0] = 42;
    round_trip(buf, 1, "one byte");
    for (size_t i = 0; i < n; i++) { seed = seed * 1103515245u + 12345u; buf[i] = (uint8_t)(seed >> 16); }
    round_trip(buf, 100000, "random");
    memset(buf, 7, n);
    round_trip(buf, n, "constant");   /* distance-1 overlapping copies, 258-byte matches */
    for (size_t i = 0; i < n; i++) buf[i] = (uint8_t)((i * i / 977) ^ (i % 13 ? 0 : (i >> 5)));
    round_trip(buf, n, "patterned");
    pieces(buf, n, "patterned");
    memset(buf, 7, n);
    pieces(buf, n, "constant");
    for (size_t i = 0; i < n; i++) { seed = seed * 1103515245u + 12345u; buf[i] = (uint8_t)(seed >> 16); }
    pieces(buf, 70000, "random");
    pieces(buf, 0, "empty");

    /* inflating from pieces: our fixed-block streams, and zlib's own */
    for (size_t i = 0; i < n; i++) buf[i] = (uint8_t)((i * i / 977) ^ (i % 13 ? 0 : (i >> 5)));
    {
        uint8_t *z;
        size_t zn;
        CHECK(zlib_deflate(buf, 20000, &z, &zn, &e) == EFFAD_OK);
        inflate_in_pieces(z, zn, buf, 20000, "patterned");
        free(z);
        static const char *const zlib_made[] = { IMAGE_FIXTURES "png-stored.png", IMAGE_FIXTURES "png-fixed.png",
                                                 IMAGE_FIXTURES "png-c2-d8.png" };
        for (int f = 0; f < 3; f++) {
            z = fixture_idat(zlib_made[f], &zn);
            uint8_t *raw = malloc(1 << 22);
            size_t rn = 0;
            /* the raw size: the largest the whole stream inflates into */
            for (size_t lo = 1, hi = (size_t)1 << 22; lo <= hi;) {
                size_t mid = lo + (hi - lo) / 2;
                effad_status st = zlib_inflate(z, zn, raw, mid, &e);
                if (st == EFFAD_OK) { rn = mid; break; }
                if (strstr(e.msg, "more data than")) lo = mid + 1;
                else hi = mid - 1;
            }
            CHECK_MSG(rn > 0, "%s: no size inflates", zlib_made[f]);
            if (rn) inflate_in_pieces(z, zn, raw, rn, zlib_made[f]);
            free(raw);
            free(z);
        }
    }

    /* a hand-built stored block */
    const uint8_t hello[] = { 0x78, 0x01, 0x01, 5, 0, 0xFA, 0xFF, 'h', 'e', 'l', 'l', 'o', 0, 0, 0, 0 };
    uint8_t s[sizeof hello];
    memcpy(s, hello, sizeof s);
    uint32_t a = adler32_update(1, (const uint8_t *)"hello", 5);
    for (int i = 0; i < 4; i++) s[12 + i] = (uint8_t)(a >> (24 - 8 * i));
    uint8_t out[5];
    CHECK(zlib_inflate(s, sizeof s, out, 5, &e) == EFFAD_OK && !memcmp(out, "hello", 5));
    s[5] ^= 1;
    CHECK_EQ_INT(inflate_into(s, sizeof s, 5, &e), EFFAD_ERR_FORMAT);
    CHECK_HAS(e.msg, "does not match its complement");
    s[5] ^= 1;
    s[15] ^= 0x40;
    CHECK_EQ_INT(inflate_into(s, sizeof s, 5, &e), EFFAD_ERR_FORMAT);
    CHECK_HAS(e.msg, "Adler-32 mismatch");
    s[15] ^= 0x40;

    /* zlib header checks */
    const uint8_t bad_check[] = { 0x78, 0x02, 0x03, 0x00 };
    CHECK_EQ_INT(inflate_into(bad_check, 4, 0, &e), EFFAD_ERR_FORMAT);
    CHECK_HAS(e.msg, "check bits");
    const uint8_t bad_method[] = { 0x77, 0x00 };
    CHECK_EQ_INT(inflate_into(bad_method, 2, 0, &e), EFFAD_ERR_FORMAT);
    CHECK_HAS(e.msg, "bad zlib header: method 7");
    const uint8_t dict[] = { 0x78, 0xBB, 0, 0, 0, 0 };   /* 0x78BB % 31 == 0, FDICT set */
    CHECK_EQ_INT(inflate_into(dict, sizeof dict, 0, &e), EFFAD_ERR_FORMAT);
    CHECK_HAS(e.msg, "preset dictionary");

    /* block type 3 */
    bw w = { { 0x78, 0x01 }, 2, 16 };
    bits(&w, 1, 1); bits(&w, 3, 2);
    CHECK_EQ_INT(inflate_into(w.b, w.len + 8, 10, &e), EFFAD_ERR_FORMAT);
    CHECK_HAS(e.msg, "invalid block type 3");

    /* fixed block opening with a back-reference: nothing to refer to */
    w = (bw){ { 0x78, 0x01 }, 2, 16 };
    bits(&w, 1, 1); bits(&w, 1, 2);
    bits(&w, 0x40, 7);  /* symbol 257 (length 3) is the 7-bit code 0000001, sent reversed */
    bits(&w, 0, 5);     /* distance code 0: distance 1 */
    bits(&w, 0, 7);
    CHECK_EQ_INT(inflate_into(w.b, w.len + 8, 10, &e), EFFAD_ERR_FORMAT);
    CHECK_HAS(e.msg, "distance 1 too far back");

    /* fixed block using distance symbol 30, which does not exist */
    w = (bw){ { 0x78, 0x01 }, 2, 16 };
    bits(&w, 1, 1); bits(&w, 1, 2);
    bits(&w, 0x0C, 8); bits(&w, 0x0C, 8);   /* two literals (codes reversed: 0x30 -> 00001100) */
    bits(&w, 0x40, 7); bits(&w, 0x0F, 5);   /* length 3, distance symbol 30 (11110 reversed) */
    CHECK_EQ_INT(inflate_into(w.b, w.len + 8, 10, &e), EFFAD_ERR_FORMAT);
    CHECK_HAS(e.msg, "invalid distance code");

    /* dynamic block whose code-length code is over-subscribed */
    w = (bw){ { 0x78, 0x01 }, 2, 16 };
    bits(&w, 1, 1); bits(&w, 2, 2);
    bits(&w, 0, 5); bits(&w, 0, 5); bits(&w, 15, 4);
    for (int i = 0; i < 19; i++) bits(&w, 1, 3);
    CHECK_EQ_INT(inflate_into(w.b, w.len + 8, 10, &e), EFFAD_ERR_FORMAT);
    CHECK_HAS(e.msg, "code-length code: over-subscribed");

    /* ... and one whose code-length code is incomplete */
    w = (bw){ { 0x78, 0x01 }, 2, 16 };
    bits(&w, 1, 1); bits(&w, 2, 2);
    bits(&w, 0, 5); bits(&w, 0, 5); bits(&w, 0, 4);
    bits(&w, 2, 3); bits(&w, 2, 3); bits(&w, 2, 3); bits(&w, 0, 3);   /* three 2-bit codes of four */
    CHECK_EQ_INT(inflate_into(w.b, w.len + 8, 10, &e), EFFAD_ERR_FORMAT);
    CHECK_HAS(e.msg, "code-length code: incomplete");

    /* too many literal/length codes declared */
    w = (bw){ { 0x78, 0x01 }, 2, 16 };
    bits(&w, 1, 1); bits(&w, 2, 2);
    bits(&w, 30, 5); bits(&w, 0, 5); bits(&w, 0, 4);
    CHECK_EQ_INT(inflate_into(w.b, w.len + 8, 10, &e), EFFAD_ERR_FORMAT);
    CHECK_HAS(e.msg, "287 literal/length");

    /* random garbage after a valid header: errors, never crashes */
    int accepted = 0;
    uint8_t junk[600], outbuf[4096];
    for (int t = 0; t < 3000; t++) {
        junk[0] = 0x78; junk[1] = 0x9C;
        for (size_t i = 2; i < sizeof junk; i++) { seed = seed * 1103515245u + 12345u; junk[i] = (uint8_t)(seed >> 16); }
        if (zlib_inflate(junk, sizeof junk, outbuf, sizeof outbuf, &e) == EFFAD_OK) accepted++;
    }
    CHECK_EQ_INT(accepted, 0);

    /* checksums against known values */
    CHECK_EQ_INT(crc32_update(0, (const uint8_t *)"123456789", 9), 0xCBF43926u);
    CHECK_EQ_INT(adler32_update(1, (const uint8_t *)"Wikipedia", 9), 0x11E60398u);
    /* every length across the eight-byte steps, from every alignment, fed
     * whole and in two pieces split anywhere */
    for (int len = 0; len <= 67; len++)
        for (int off = 0; off < 8; off++) {
            const uint8_t *p = junk + 2 + off;
            uint32_t want = crc_bitwise(p, (size_t)len);
            CHECK_EQ_INT(crc32_update(0, p, (size_t)len), want);
            for (int cut = 0; cut <= len; cut += 5)
                CHECK_EQ_INT(crc32_update(crc32_update(0, p, (size_t)cut), p + cut, (size_t)(len - cut)), want);
        }
    /* Adler-32 over the eight- and sixteen-byte steps (adler32-simd.h) and the 5552-byte runs, all
     * bytes 0xFF (the largest sums) and random, whole and in pieces */
    {
        const size_t big = 3 * 5552 + 77;
        uint8_t *ad = malloc(big);
        CHECK(ad != NULL);
        for (int fill = 0; ad && fill < 2; fill++) {
            for (size_t i = 0; i < big; i++) { seed = seed * 1103515245u + 12345u; ad[i] = fill ? (uint8_t)(seed >> 16) : 0xFF; }
            for (size_t len = 0; len <= big; len += len < 40 ? 1 : 997)
                CHECK_EQ_INT(adler32_update(1, ad, len), adler_bytewise(1, ad, len));
            CHECK_EQ_INT(adler32_update(adler32_update(1, ad, 5551), ad + 5551, big - 5551), adler_bytewise(1, ad, big));
        }
        free(ad);
    }
    free(buf);
    return check_done("test-image-zlib");
}
