/* DEFLATE decoding (RFC 1951) in a zlib wrapper (RFC 1950), validating
 * everything the formats constrain: block types, code-length sets,
 * symbol ranges, back-reference distances and the output size. */
#include <stdlib.h>
#include <string.h>
#include "checksum.h"
#include "le.h"
#include "lz-copy.h"
#include "zlib.h"

/* ------------------------------------------------------------ bit input */

/* The hot loop keeps the bit buffer in a local struct; these must be
 * inlined into it for the compiler to keep its fields in registers. */
#if defined(__GNUC__)
#define INFLATE_INLINE static inline __attribute__((always_inline))
#define INFLATE_NOINLINE static __attribute__((noinline))
#else
#define INFLATE_INLINE static inline
#define INFLATE_NOINLINE static
#endif

/* DEFLATE packs bits LSB first. Past the end of the input we feed zero
 * bytes and count them, so the hot path never tests for the end; a decode
 * that actually consumed one of those bits is reported as truncation.
 * The input may come in pieces (a PNG's IDAT chunks, read where they lie
 * in the file instead of joined into a copy of it): p[0..n) is the piece
 * at hand, and next() hands the one after it when it runs out. */
typedef struct {
    const uint8_t *p;
    size_t n, pos;
    uint64_t buf;
    int cnt;
    size_t pad;
    zlib_next_fn next;   /* NULL: p is all there is */
    void *next_ctx;
} bitin;

/* The next non-empty piece, {0, 0} when there is none. By value: a
 * pointer to the hot loop's local bitin would keep it out of registers. */
typedef struct { const uint8_t *p; size_t n; } piece;
INFLATE_NOINLINE piece next_piece(zlib_next_fn next, void *ctx)
{
    piece q = { 0, 0 };
    while (next(ctx, &q.p, &q.n))
        if (q.n) return q;
    return (piece){ 0, 0 };
}

/* Tops the buffer up to at least 56 bits. Away from the end, eight bytes
 * in one load: the bytes counted go in at cnt, and the bits of the next
 * ones above them are the same bits the next load puts there, so they may
 * stay (OR-ing equal bits changes nothing). pos counts the bytes counted
 * in, as the byte loop does, so a stored block can hand back cnt / 8. */
INFLATE_INLINE void refill(bitin *b)
{
    if (b->n - b->pos >= 8) {
        b->buf |= le_u64(b->p + b->pos) << b->cnt;
        b->pos += (size_t)(63 - b->cnt) >> 3;
        b->cnt |= 56;
        return;
    }
    while (b->cnt <= 56) {
        uint64_t byte = 0;
        if (b->pos == b->n && b->next) {   /* this piece is used up */
            const piece q = next_piece(b->next, b->next_ctx);
            if (q.n) { b->p = q.p; b->n = q.n; b->pos = 0; }
            else b->next = 0;
        }
        if (b->pos < b->n) byte = b->p[b->pos++];
        else b->pad++;
        b->buf |= byte << b->cnt;
        b->cnt += 8;
    }
}

INFLATE_INLINE int overrun(const bitin *b) { return b->pad && b->pad * 8 > (size_t)b->cnt; }

/* k bits, the buffer holding at least k. */
INFLATE_INLINE uint32_t take_bits(bitin *b, int k)
{
    uint32_t v = (uint32_t)(b->buf & ((1ull << k) - 1));
    b->buf >>= k;
    b->cnt -= k;
    return v;
}

static uint32_t getbits(bitin *b, int k)
{
    if (b->cnt < k) refill(b);
    return take_bits(b, k);
}

/* -------------------------------------------------------- Huffman codes */

#define FAST_BITS 10
#define MAX_BITS 15

/* fast[] resolves codes of up to FAST_BITS bits in one lookup (entry =
 * symbol | length << 9; 0 = longer code or no code); longer codes walk the
 * canonical ordering (count[] per length, sym[] sorted by code). */
typedef struct {
    uint16_t fast[1 << FAST_BITS];
    uint16_t count[MAX_BITS + 1];
    uint16_t sym[288];   /* >= the largest alphabet, 288 literal/length symbols */
} huff;

typedef enum { CODE_LITLEN, CODE_DIST, CODE_CLEN } code_kind;

/* Returns NULL or what is wrong with the set of code lengths. Over-
 * subscribed sets are never decodable. Incomplete sets are refused too,
 * except a single one-bit code, which RFC 1951 section 3.2.7 explicitly
 * allows for distances (and encoders also emit for literal/length). */
static const char *huff_build(huff *h, const uint8_t *lens, int n, code_kind kind)
{
    memset(h, 0, sizeof *h);
    for (int s = 0; s < n; s++) h->count[lens[s]]++;
    h->count[0] = 0;
    int left = 1, used = 0, maxlen = 0;
    for (int len = 1; len <= MAX_BITS; len++) {
        left <<= 1;
        left -= h->count[len];
        if (left < 0) return "over-subscribed code lengths";
        used += h->count[len];
        if (h->count[len]) maxlen = len;
    }
    if (left > 0 && used > 0 && (kind == CODE_CLEN || !(used == 1 && maxlen == 1)))
        return "incomplete code lengths";
    if (used == 0 && kind == CODE_CLEN) return "empty code-length code";

    uint16_t offs[MAX_BITS + 2];
    offs[1] = 0;
    for (int len = 1; len <= MAX_BITS; len++) offs[len + 1] = (uint16_t)(offs[len] + h->count[len]);
    uint32_t next_code[MAX_BITS + 1], code = 0;
    for (int len = 1; len <= MAX_BITS; len++) {
        next_code[len] = code;
        code = (code + h->count[len]) << 1;
    }
    for (int s = 0; s < n; s++) {
        int len = lens[s];
        if (!len) continue;
        h->sym[offs[len]++] = (uint16_t)s;
        uint32_t c = next_code[len]++;
        if (len > FAST_BITS) continue;
        uint32_t rev = 0;
        for (int i = 0; i < len; i++) rev |= ((c >> i) & 1u) << (len - 1 - i);
        for (uint32_t j = rev; j < (1u << FAST_BITS); j += 1u << len)
            h->fast[j] = (uint16_t)(s | len << 9);
    }
    return NULL;
}

/* A code longer than FAST_BITS (decode_sym), from the buffer's bits:
 * the symbol | its length << 9, or -1 for a bit pattern that is no code.
 * Canonical codes of one length are consecutive integers, so walking the
 * lengths while accumulating the code finds the symbol. */
static int decode_long(uint64_t buf, const huff *h)
{
    int code = 0, first = 0, index = 0;
    for (int len = 1; len <= MAX_BITS; len++) {
        code |= (int)((buf >> (len - 1)) & 1);
        int count = h->count[len];
        if (code - first < count) return h->sym[index + code - first] | len << 9;
        index += count;
        first = (first + count) << 1;
        code <<= 1;
    }
    return -1;
}

/* The symbol, or -1 for a bit pattern that is no code; the buffer holding
 * at least MAX_BITS. */
INFLATE_INLINE int decode_sym(bitin *b, const huff *h)
{
    int f = h->fast[b->buf & ((1u << FAST_BITS) - 1)];
    if (!f && (f = decode_long(b->buf, h)) < 0) return -1;
    int len = f >> 9;
    b->buf >>= len;
    b->cnt -= len;
    return f & 511;
}

static int huff_decode(bitin *b, const huff *h)
{
    if (b->cnt < MAX_BITS) refill(b);
    return decode_sym(b, h);
}

/* ------------------------------------------------------------- inflate */

/* The order code-length code lengths are sent in (RFC 1951 3.2.7). */
static const uint8_t clen_order[19] = { 16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15 };

typedef struct {
    bitin in;
    uint8_t *out;
    size_t cap, len;
    huff lit, dist;
    /* lit.fast's literals alone: the code's length << 8 | the byte, 0 for
     * anything else -- one test a literal in a run of them */
    uint16_t lit_only[1 << FAST_BITS];
    effad_error *e;
} inflater;

static void build_lit_only(inflater *z)
{
    for (int i = 0; i < 1 << FAST_BITS; i++) {
        const int f = z->lit.fast[i];
        z->lit_only[i] = (uint16_t)(f && (f & 511) < 256 ? (f >> 9) << 8 | (f & 255) : 0);
    }
}

#define TRUNC(z) effad_fail((z)->e, EFFAD_ERR_FORMAT, "deflate data truncated")

static effad_status read_dynamic(inflater *z)
{
    bitin *b = &z->in;
    int hlit = (int)getbits(b, 5) + 257, hdist = (int)getbits(b, 5) + 1, hclen = (int)getbits(b, 4) + 4;
    if (hlit > 286 || hdist > 30)
        return effad_fail(z->e, EFFAD_ERR_FORMAT, "deflate: %d literal/length or %d distance codes (max 286/30)",
                          hlit, hdist);
    uint8_t lens[286 + 30] = { 0 };
    for (int i = 0; i < hclen; i++) lens[clen_order[i]] = (uint8_t)getbits(b, 3);
    if (overrun(b)) return TRUNC(z);
    huff clen;
    const char *why = huff_build(&clen, lens, 19, CODE_CLEN);
    if (why) return effad_fail(z->e, EFFAD_ERR_FORMAT, "deflate: code-length code: %s", why);
    memset(lens, 0, sizeof lens);
    for (int i = 0; i < hlit + hdist;) {
        int sym = huff_decode(b, &clen);
        if (overrun(b)) return TRUNC(z);
        if (sym < 0) return effad_fail(z->e, EFFAD_ERR_FORMAT, "deflate: invalid code-length code");
        if (sym < 16) { lens[i++] = (uint8_t)sym; continue; }
        int rep, val = 0;
        if (sym == 16) {
            if (i == 0) return effad_fail(z->e, EFFAD_ERR_FORMAT, "deflate: repeat with no previous length");
            val = lens[i - 1];
            rep = 3 + (int)getbits(b, 2);
        } else if (sym == 17) rep = 3 + (int)getbits(b, 3);
        else rep = 11 + (int)getbits(b, 7);
        if (i + rep > hlit + hdist)
            return effad_fail(z->e, EFFAD_ERR_FORMAT, "deflate: code lengths overrun the %d declared", hlit + hdist);
        while (rep--) lens[i++] = (uint8_t)val;
    }
    if (overrun(b)) return TRUNC(z);
    if (lens[256] == 0) return effad_fail(z->e, EFFAD_ERR_FORMAT, "deflate: no end-of-block code");
    if ((why = huff_build(&z->lit, lens, hlit, CODE_LITLEN)))
        return effad_fail(z->e, EFFAD_ERR_FORMAT, "deflate: literal/length code: %s", why);
    if ((why = huff_build(&z->dist, lens + hlit, hdist, CODE_DIST)))
        return effad_fail(z->e, EFFAD_ERR_FORMAT, "deflate: distance code: %s", why);
    build_lit_only(z);
    return EFFAD_OK;
}

static void build_fixed(inflater *z)
{
    uint8_t lens[288];
    for (int i = 0; i < 144; i++) lens[i] = 8;
    for (int i = 144; i < 256; i++) lens[i] = 9;
    for (int i = 256; i < 280; i++) lens[i] = 7;
    for (int i = 280; i < 288; i++) lens[i] = 8;
    huff_build(&z->lit, lens, 288, CODE_LITLEN);
    build_lit_only(z);
    /* 32 five-bit codes make a complete set; 30 and 31 are refused when
     * decoded, as RFC 1951 says they never occur. */
    for (int i = 0; i < 32; i++) lens[i] = 5;
    huff_build(&z->dist, lens, 32, CODE_DIST);
}

/* Bits one literal/length symbol and its match can take: a 15-bit code,
 * 5 extra bits, a 15-bit distance code, 13 extra bits. One refill to this
 * at the top of each symbol serves the whole match. */
#define SYMBOL_BITS (15 + 5 + 15 + 13)

/* The block's symbols. The bit buffer and the output position live in
 * locals for the loop: every output byte is a store through a uint8_t
 * pointer, which may alias anything, so in z they were written back and
 * read again around each one. */
static effad_status inflate_codes(inflater *z)
{
    bitin bl = z->in, *const b = &bl;
    uint8_t *const out = z->out;
    const size_t cap = z->cap;
    size_t n = z->len;
    effad_status st = EFFAD_OK;
    for (;;) {
        if (b->cnt < SYMBOL_BITS) refill(b);
        int sym = decode_sym(b, &z->lit);
        if (overrun(b)) { st = TRUNC(z); break; }
        if ((unsigned)sym < 256) {
            if (n == cap) goto too_much;
            out[n++] = (uint8_t)sym;
            /* Literals come in runs where an image is noisy: the next one
             * from the bits left, when its code is in the fast table.
             * Away from the input's end and the output's (no padding bits
             * in the buffer, room for more literals than it holds bits),
             * without testing for either. */
            if (!b->pad && cap - n >= 64) {
                while (b->cnt >= FAST_BITS) {
                    const unsigned g = z->lit_only[b->buf & ((1u << FAST_BITS) - 1)];
                    if (!g) break;
                    b->buf >>= g >> 8;
                    b->cnt -= (int)(g >> 8);
                    out[n++] = (uint8_t)g;
                }
                continue;
            }
            while (b->cnt >= FAST_BITS) {
                const int f = z->lit.fast[b->buf & ((1u << FAST_BITS) - 1)];
                if (!f || (f & 511) >= 256) break;
                b->buf >>= f >> 9;
                b->cnt -= f >> 9;
                if (overrun(b)) { st = TRUNC(z); goto done; }
                if (n == cap) goto too_much;
                out[n++] = (uint8_t)(f & 511);
            }
            continue;
        }
        if (sym == 256) break;
        if (sym < 0 || sym > 285) {
            st = effad_fail(z->e, EFFAD_ERR_FORMAT, "deflate: invalid literal/length code");
            break;
        }
        sym -= 257;
        size_t len = zlib_len_base[sym] + take_bits(b, zlib_len_extra[sym]);
        int dsym = decode_sym(b, &z->dist);
        if (dsym < 0 || dsym > 29) {
            st = overrun(b) ? TRUNC(z) : effad_fail(z->e, EFFAD_ERR_FORMAT, "deflate: invalid distance code");
            break;
        }
        size_t dist = zlib_dist_base[dsym] + take_bits(b, zlib_dist_extra[dsym]);
        if (overrun(b)) { st = TRUNC(z); break; }
        if (dist > n) {
            st = effad_fail(z->e, EFFAD_ERR_FORMAT, "deflate: distance %zu too far back (%zu bytes out)", dist, n);
            break;
        }
        if (len > cap - n) goto too_much;
        lz_copy(out + n, dist, len, cap - n);
        n += len;
    }
done:
    z->in = bl;
    z->len = n;
    return st;
too_much:
    z->in = bl;
    z->len = n;
    return effad_fail(z->e, EFFAD_ERR_FORMAT, "deflate: more data than the expected %zu bytes", cap);
}

/* A stored block's len bytes to out: the whole bytes still in the bit
 * buffer first, then straight from the pieces. 0 when the input ends
 * first. */
static int copy_stored(bitin *b, uint8_t *out, size_t len)
{
    size_t i = 0;
    for (; i < len && b->cnt >= 8; i++) out[i] = (uint8_t)take_bits(b, 8);
    if (overrun(b)) return 0;   /* a byte taken was padding: the input ended */
    if (i == len) return 1;
    /* the buffer is empty; bits above cnt belong to bytes from pos on,
     * which the copy now takes, so they go */
    b->buf = 0;
    b->cnt = 0;
    while (i < len) {
        if (b->pos == b->n) {
            const piece q = b->next ? next_piece(b->next, b->next_ctx) : (piece){ 0, 0 };
            if (!q.n) return 0;
            b->p = q.p; b->n = q.n; b->pos = 0;
        }
        size_t k = b->n - b->pos < len - i ? b->n - b->pos : len - i;
        memcpy(out + i, b->p + b->pos, k);
        b->pos += k;
        i += k;
    }
    return 1;
}

effad_status zlib_inflate_pieces(const uint8_t *in, size_t n, zlib_next_fn next, void *next_ctx, uint8_t *out,
                                 size_t out_bytes, effad_error *e)
{
    inflater *z = malloc(sizeof *z);
    if (!z) return effad_fail(e, EFFAD_ERR_NOMEM, "out of memory");
    memset(z, 0, sizeof *z);
    z->in.p = in;
    z->in.n = n;
    z->in.next = next;
    z->in.next_ctx = next_ctx;
    z->out = out;
    z->cap = out_bytes;
    z->e = e;
    bitin *b = &z->in;
    effad_status st = EFFAD_OK;
    const unsigned cmf = getbits(b, 8), flg = getbits(b, 8);
    if (overrun(b)) st = effad_fail(e, EFFAD_ERR_FORMAT, "zlib stream truncated");
    else if ((cmf & 15) != 8 || (cmf >> 4) > 7)
        st = effad_fail(e, EFFAD_ERR_FORMAT, "bad zlib header: method %u, window 2^%u (need deflate, <= 2^15)",
                        cmf & 15, (cmf >> 4) + 8);
    else if ((cmf * 256 + flg) % 31)
        st = effad_fail(e, EFFAD_ERR_FORMAT, "bad zlib header: check bits wrong (0x%x 0x%x)", cmf, flg);
    else if (flg & 0x20) st = effad_fail(e, EFFAD_ERR_FORMAT, "bad zlib header: preset dictionary not allowed");
    int final = 0;
    while (!final && st == EFFAD_OK) {
        final = (int)getbits(b, 1);
        int type = (int)getbits(b, 2);
        if (overrun(b)) { st = TRUNC(z); break; }
        if (type == 0) {
            getbits(b, b->cnt & 7);   /* to a byte boundary */
            const unsigned len = getbits(b, 16), nlen = getbits(b, 16);
            if (overrun(b)) { st = TRUNC(z); break; }
            if ((len ^ 0xFFFF) != nlen) {
                st = effad_fail(e, EFFAD_ERR_FORMAT, "deflate: stored block length %u does not match its complement", len);
                break;
            }
            if (len > z->cap - z->len) {
                st = effad_fail(e, EFFAD_ERR_FORMAT, "deflate: more data than the expected %zu bytes", z->cap);
                break;
            }
            if (!copy_stored(b, z->out + z->len, len)) { st = TRUNC(z); break; }
            z->len += len;
        } else if (type == 1) {
            build_fixed(z);
            st = inflate_codes(z);
        } else if (type == 2) {
            st = read_dynamic(z);
            if (st == EFFAD_OK) st = inflate_codes(z);
        } else {
            st = effad_fail(e, EFFAD_ERR_FORMAT, "deflate: invalid block type 3");
        }
    }
    if (st == EFFAD_OK && z->len != z->cap)
        st = effad_fail(e, EFFAD_ERR_FORMAT, "deflate data ended after %zu of the expected %zu bytes",
                        z->len, z->cap);
    if (st == EFFAD_OK) {
        getbits(b, b->cnt & 7);
        uint32_t want = 0;
        for (int i = 0; i < 4; i++) want = want << 8 | getbits(b, 8);
        if (overrun(b)) st = effad_fail(e, EFFAD_ERR_FORMAT, "zlib stream truncated before its Adler-32");
        else {
            uint32_t got = adler32_update(1, out, out_bytes);
            if (got != want)
                st = effad_fail(e, EFFAD_ERR_FORMAT, "zlib Adler-32 mismatch (stored 0x%x, computed 0x%x)",
                                (unsigned)want, (unsigned)got);
        }
    }
    free(z);
    return st;
}

effad_status zlib_inflate(const uint8_t *in, size_t n, uint8_t *out, size_t out_bytes, effad_error *e)
{
    return zlib_inflate_pieces(in, n, 0, 0, out, out_bytes, e);
}
