/* Huffman JPEG decoding (ITU T.81): baseline, extended sequential and
 * progressive (spectral selection and successive approximation, first and
 * refinement scans of DC and AC), 8-bit, 1 or 3 components, any integral
 * sampling factors, restart intervals in every kind of scan. Every table,
 * count and length is checked before it is used. Reconstruction reproduces
 * libjpeg's defaults --
 * the integer "islow" IDCT, "fancy" triangular chroma upsampling, 16-bit
 * fixed-point YCbCr->RGB -- because PIL decodes through libjpeg and the
 * models were trained on PIL's pixels. Each piece below says which
 * libjpeg behaviour it reproduces.
 *
 * Memory: a sequential file whose first scan holds every component (what
 * cameras and encoders write) is turned into pixels as the scan goes, each
 * component kept only three MCU rows deep (the row being decoded and the
 * two the upsampler reads around the one it finishes). A progressive file
 * keeps its coefficients until the last scan, then goes through the same
 * three rows; only a sequential file with components in separate scans
 * keeps whole planes. A 48-megapixel 4:2:0 frame held 72 MB of planes
 * beside its 144 MB of pixels. */
#include <stdlib.h>
#include <string.h>
#include "big-buffer.h"
#include "exif.h"
#include "image.h"
#include "le.h"
#include "pixel-kernels.h"

/* ------------------------------------------------------------- structs */

#define FAST_BITS 10   /* Huffman lookahead: most codes, and most AC codes with their value bits */

typedef struct {
    uint8_t fast_len[1 << FAST_BITS], fast_sym[1 << FAST_BITS];   /* lookahead; len 0 = slow path */
    /* An AC code and its value bits together within FAST_BITS: the value
     * (extended) << 16 | run << 8 | bits used; 0 = take the long way */
    int32_t fast_ac[1 << FAST_BITS];
    int32_t maxcode[18];                    /* largest code of each length, -1 if none */
    int32_t valptr[17], mincode[17];
    uint8_t vals[256];
    int defined;
} jhuff;

typedef struct {
    int id, h, v, tq;
    int cw, ch;          /* real sample size: ceil(W * h / hmax) x ceil(H * v / vmax) */
    int bw, bh;          /* plane size in blocks: whole MCUs */
    uint8_t *plane;      /* bw*8 x bh*8 samples, or with ring_rows three MCU rows
                            of them in turn (plane_row) */
    int ring_rows;       /* rows of an MCU row of this component; 0: whole plane */
    int16_t *coef;       /* progressive: bw*bh blocks of 64 coefficients, zigzag order */
    uint16_t q[64];      /* its quantization table, zigzag order, latched at its first scan
                            (libjpeg's latch_quant_tables) */
    int dc_pred, td, ta, scanned, dc_done;
} jcomp;

typedef struct {
    const uint8_t *b;
    size_t n, pos;
    uint64_t buf;        /* cnt valid bits in the low end, MSB first */
    int cnt;
    size_t pad;          /* zero bytes fed at a marker or the end */
    int at_marker;
    effad_error *e;
    uint16_t qt[4][64];  /* zigzag order */
    int qt_defined[4];
    jhuff dc[4], ac[4];
    jcomp comp[3];
    int ncomp, w, h, hmax, vmax, mcux, mcuy, restart, frame, adobe, adobe_transform, jfif;
    int app1_seen, orientation;   /* the first APP1 before the scans: its EXIF orientation (exif.h) */
    int progressive, scans;
    int ss, se, ah, al;  /* the current scan's spectral selection and successive approximation */
    unsigned eobrun;     /* progressive AC: blocks left in the current end-of-band run */
    const pixel_kernels *k;   /* pixel_kernels_best(): every table gives the same bits */
    effad_image *img;    /* the output, allocated when the pixels are first known */
    int rgb;             /* three components are R, G, B, not YCbCr (set at the first scan) */
    int streamed;        /* the first scan held every component: its pixels are out */
    uint8_t *full;       /* JPEG_BAND rows of every component at full resolution */
} jdec;

/* Row r of component c's plane, whole or as a ring of MCU rows. */
static uint8_t *plane_row(const jcomp *c, int r)
{
    const size_t stride = (size_t)c->bw * 8;
    if (!c->ring_rows) return c->plane + (size_t)r * stride;
    return c->plane + ((size_t)(r / c->ring_rows % 3) * (size_t)c->ring_rows + (size_t)(r % c->ring_rows)) * stride;
}

/* The natural (row-major) position of each zigzag index, T.81 figure A.6.
 * A constant, not built on first use: decoders run on several threads at
 * once (effad fit/score --threads), and a lazily built table is a race. */
static const uint8_t zigzag[64] = {
     0,  1,  8, 16,  9,  2,  3, 10,
    17, 24, 32, 25, 18, 11,  4,  5,
    12, 19, 26, 33, 40, 48, 41, 34,
    27, 20, 13,  6,  7, 14, 21, 28,
    35, 42, 49, 56, 57, 50, 43, 36,
    29, 22, 15, 23, 30, 37, 44, 51,
    58, 59, 52, 45, 38, 31, 39, 46,
    53, 60, 61, 54, 47, 55, 62, 63,
};

/* ----------------------------------------------------------- bit input */

/* Entropy-coded bytes, with 0xFF 0x00 stuffing removed. At a marker (or
 * the end of the data) zeros are fed, as libjpeg does; a decode that
 * actually used them is reported as truncation by the caller. */
static void refill(jdec *d)
{
    /* Whole bytes at once while no 0xFF is among the next eight (a run of
     * entropy-coded data holds one rarely): the same bytes the loop below
     * would take, one at a time. */
    if (!d->at_marker && d->n - d->pos >= 8 && d->cnt <= 56) {
        const uint64_t v = be_u64(d->b + d->pos);
        /* no byte of ~v is zero <=> no byte of v is 0xFF */
        const uint64_t inv = ~v;
        if (!((inv - 0x0101010101010101u) & ~inv & 0x8080808080808080u)) {
            const int take = (64 - d->cnt) / 8;   /* 1..8 */
            d->buf = take == 8 ? v : d->buf << (8 * take) | v >> (64 - 8 * take);
            d->cnt += 8 * take;
            d->pos += (size_t)take;
            return;
        }
    }
    while (d->cnt <= 56) {
        unsigned byte = 0;
        if (!d->at_marker && d->pos < d->n) {
            byte = d->b[d->pos];
            if (byte == 0xFF) {
                size_t q = d->pos + 1;
                while (q < d->n && d->b[q] == 0xFF) q++;     /* fill bytes before a marker */
                if (q < d->n && d->b[q] == 0x00) d->pos = q + 1;
                else { d->pos = q - 1; d->at_marker = 1; byte = 0; d->pad++; }
            } else d->pos++;
        } else {
            if (!d->at_marker) d->at_marker = 1;
            d->pad++;
        }
        d->buf = d->buf << 8 | byte;
        d->cnt += 8;
    }
}

static int overrun(const jdec *d) { return d->pad * 8 > (size_t)d->cnt; }

static unsigned getbits(jdec *d, int k)
{
    if (!k) return 0;
    if (d->cnt < k) refill(d);
    d->cnt -= k;
    return (unsigned)(d->buf >> d->cnt) & ((1u << k) - 1);
}

/* F.2.2.1 EXTEND: a k-bit value below 2^(k-1) stands for a negative one. */
static int extend(unsigned v, int k)
{
    return k && v < (1u << (k - 1)) ? (int)v - (1 << k) + 1 : (int)v;
}

/* ------------------------------------------------------ Huffman tables */

/* What is wrong with a DHT table, or NULL -- checked before any table is
 * touched. libjpeg's rules (jpeg_make_d_derived_tbl): the canonical codes
 * of each length must fit in that many bits without using the all-ones
 * code, and a DC table's symbols are bit counts, at most 15. */
static const char *huff_check(const uint8_t counts[16], const uint8_t *vals, int nvals, int is_dc)
{
    int32_t code = 0;
    for (int len = 1; len <= 16; len++) {
        code += counts[len - 1];
        if (code >= (1 << len)) return "code lengths over-subscribed";
        code <<= 1;
    }
    for (int i = 0; is_dc && i < nvals; i++)
        if (vals[i] > 15) return "a DC symbol above 15";
    return NULL;
}

/* Builds a table huff_check has accepted. */
static void huff_build(jhuff *t, const uint8_t counts[16], const uint8_t *vals, int nvals)
{
    memset(t, 0, sizeof *t);
    memcpy(t->vals, vals, (size_t)nvals);
    int32_t code = 0;
    int k = 0;
    for (int len = 1; len <= 16; len++) {
        t->valptr[len] = k;
        t->mincode[len] = code;
        for (int i = 0; i < counts[len - 1]; i++, k++, code++)
            if (len <= FAST_BITS)
                for (int j = 0; j < 1 << (FAST_BITS - len); j++) {
                    const int at = (code << (FAST_BITS - len)) | j, r = vals[k] >> 4, sz = vals[k] & 15;
                    t->fast_len[at] = (uint8_t)len;
                    t->fast_sym[at] = vals[k];
                    if (sz && len + sz <= FAST_BITS) {
                        const unsigned bits = (unsigned)j >> (FAST_BITS - len - sz) & ((1u << sz) - 1);
                        t->fast_ac[at] = (int32_t)((uint32_t)extend(bits, sz) << 16) | r << 8 | (len + sz);
                    }
                }
        t->maxcode[len] = counts[len - 1] ? code - 1 : -1;
        code <<= 1;
    }
    t->maxcode[17] = 0x7FFFFFFF;
    t->defined = 1;
}

static int huff_decode(jdec *d, const jhuff *t)
{
    if (d->cnt < 16) refill(d);
    unsigned peek = (unsigned)(d->buf >> (d->cnt - FAST_BITS)) & ((1u << FAST_BITS) - 1);
    if (t->fast_len[peek]) {
        d->cnt -= t->fast_len[peek];
        return t->fast_sym[peek];
    }
    int32_t code = (int32_t)peek;
    for (int len = FAST_BITS + 1; len <= 16; len++) {
        code = code << 1 | (int32_t)((d->buf >> (d->cnt - len)) & 1);
        if (t->maxcode[len] >= 0 && code <= t->maxcode[len]) {
            d->cnt -= len;
            return t->vals[t->valptr[len] + code - t->mincode[len]];
        }
    }
    return -1;
}

/* ------------------------------------------------------------ markers */

static unsigned be16(const uint8_t *p) { return (unsigned)p[0] << 8 | p[1]; }

#define FAIL(...) effad_fail(d->e, EFFAD_ERR_FORMAT, __VA_ARGS__)

static effad_status read_dqt(jdec *d, const uint8_t *p, size_t len)
{
    while (len) {
        int pq = p[0] >> 4, tq = p[0] & 15;
        size_t need = 1 + (pq ? 128 : 64);
        if (pq > 1 || tq > 3) return FAIL("DQT: bad table %d precision %d", tq, pq);
        if (len < need) return FAIL("DQT: segment too short");
        for (int i = 0; i < 64; i++) d->qt[tq][i] = (uint16_t)(pq ? be16(p + 1 + 2 * i) : p[1 + i]);
        d->qt_defined[tq] = 1;
        p += need;
        len -= need;
    }
    return EFFAD_OK;
}

static effad_status read_dht(jdec *d, const uint8_t *p, size_t len)
{
    while (len) {
        if (len < 17) return FAIL("DHT: segment too short");
        int tc = p[0] >> 4, th = p[0] & 15, total = 0;
        if (tc > 1 || th > 3) return FAIL("DHT: bad table class %d id %d", tc, th);
        for (int i = 0; i < 16; i++) total += p[1 + i];
        if (total > 256 || (size_t)total > len - 17) return FAIL("DHT: %d codes do not fit the segment", total);
        const char *why = huff_check(p + 1, p + 17, total, !tc);
        if (why) return FAIL("DHT: %s table %d: %s", tc ? "AC" : "DC", th, why);
        huff_build(tc ? &d->ac[th] : &d->dc[th], p + 1, p + 17, total);
        p += 17 + total;
        len -= 17 + (size_t)total;
    }
    return EFFAD_OK;
}

/* left: the bytes of the file after this segment, where the scans are. */
static effad_status read_sof(jdec *d, const uint8_t *p, size_t len, size_t left)
{
    if (d->frame) return FAIL("second frame header");
    if (len < 6) return FAIL("SOF: segment too short");
    if (p[0] != 8)
        return effad_fail(d->e, EFFAD_ERR_UNSUPPORTED, "%d-bit samples (only 8-bit JPEG is supported)", p[0]);
    d->h = (int)be16(p + 1);
    d->w = (int)be16(p + 3);
    d->ncomp = p[5];
    if (d->h == 0) return effad_fail(d->e, EFFAD_ERR_UNSUPPORTED, "height defined by DNL marker");
    if (d->w == 0) return FAIL("bad dimensions %dx%d", d->w, d->h);
    if (d->ncomp != 1 && d->ncomp != 3)
        return effad_fail(d->e, EFFAD_ERR_UNSUPPORTED, "%d components (only grey and YCbCr/RGB)", d->ncomp);
    if (len < 6 + 3 * (size_t)d->ncomp) return FAIL("SOF: segment too short");
    effad_status sz = image_size_check((uint64_t)d->w, (uint64_t)d->h, d->e);
    if (sz) return sz;
    d->hmax = d->vmax = 1;
    for (int i = 0; i < d->ncomp; i++) {
        jcomp *c = &d->comp[i];
        c->id = p[6 + 3 * i];
        c->h = p[7 + 3 * i] >> 4;
        c->v = p[7 + 3 * i] & 15;
        c->tq = p[8 + 3 * i];
        if (c->h < 1 || c->h > 4 || c->v < 1 || c->v > 4 || c->tq > 3)
            return FAIL("SOF: component %d has sampling %dx%d, table %d", c->id, c->h, c->v, c->tq);
        for (int j = 0; j < i; j++)
            if (d->comp[j].id == c->id) return FAIL("SOF: duplicate component id %d", c->id);
        if (c->h > d->hmax) d->hmax = c->h;
        if (c->v > d->vmax) d->vmax = c->v;
    }
    if (d->ncomp == 1) d->comp[0].h = d->comp[0].v = d->hmax = d->vmax = 1;   /* a lone component is never subsampled */
    d->mcux = (d->w + 8 * d->hmax - 1) / (8 * d->hmax);
    d->mcuy = (d->h + 8 * d->vmax - 1) / (8 * d->vmax);
    uint64_t blocks = 0;
    for (int i = 0; i < d->ncomp; i++) {
        jcomp *c = &d->comp[i];
        if (d->hmax % c->h || d->vmax % c->v)
            return effad_fail(d->e, EFFAD_ERR_UNSUPPORTED, "non-integral sampling ratio %d:%d x %d:%d",
                              d->hmax, c->h, d->vmax, c->v);
        c->cw = (int)(((int64_t)d->w * c->h + d->hmax - 1) / d->hmax);
        c->ch = (int)(((int64_t)d->h * c->v + d->vmax - 1) / d->vmax);
        c->bw = d->mcux * c->h;
        c->bh = d->mcuy * c->v;
        blocks += (uint64_t)((c->cw + 7) / 8) * (uint64_t)((c->ch + 7) / 8);
    }
    /* Every block of every component costs at least one bit (its DC code)
     * in some scan, so a small file cannot make us allocate a large image. */
    if (blocks > (uint64_t)left * 8)
        return FAIL("SOF: %dx%d needs at least %llu bytes of scan data, the file has %zu left", d->w, d->h,
                    (unsigned long long)((blocks + 7) / 8), left);
    if (d->progressive)
        for (int i = 0; i < d->ncomp; i++) {
            jcomp *c = &d->comp[i];
            c->coef = big_zeroed((size_t)c->bw * (size_t)c->bh * 64, sizeof *c->coef);   /* huge pages: big-buffer.h */
            if (!c->coef) return effad_fail(d->e, EFFAD_ERR_NOMEM, "out of memory");
        }
    d->frame = 1;
    return EFFAD_OK;
}

/* ---------------------------------------------------------------- scans */

static effad_status decode_block(jdec *d, jcomp *c, uint8_t *dst, size_t stride)
{
    int32_t coef[64] = { 0 };
    const uint16_t *q = c->q;
    int t = huff_decode(d, &d->dc[c->td]);
    if (t < 0 || t > 11) {
        if (overrun(d)) return FAIL("entropy-coded data truncated");
        return FAIL("bad DC code in component %d", c->id);
    }
    int diff = extend(getbits(d, t), t);
    /* libjpeg's running DC is an int stored to a 16-bit coefficient; the
     * unsigned arithmetic wraps instead of overflowing on garbage. */
    c->dc_pred = (int)(int32_t)((uint32_t)c->dc_pred + (uint32_t)diff);
    coef[0] = (int16_t)(uint16_t)(uint32_t)c->dc_pred * (int32_t)q[0];
    const jhuff *ac = &d->ac[c->ta];
    for (int k = 1; k < 64;) {
        if (d->cnt < 16) refill(d);
        const int32_t f = ac->fast_ac[(d->buf >> (d->cnt - FAST_BITS)) & ((1u << FAST_BITS) - 1)];
        int run, value;
        if (f) {   /* the code and its value bits in one look: what the long way reads */
            d->cnt -= f & 255;
            run = f >> 8 & 255;
            value = (int16_t)(uint16_t)((uint32_t)f >> 16);
        } else {
            const int rs = huff_decode(d, ac);
            if (rs < 0) {
                if (overrun(d)) return FAIL("entropy-coded data truncated");
                return FAIL("bad AC code in component %d", c->id);
            }
            const int s = rs & 15;
            run = rs >> 4;
            if (!s) {
                if (run != 15) break;    /* end of block */
                k += 16;                 /* sixteen zeros */
                continue;
            }
            value = (int16_t)extend(getbits(d, s), s);
        }
        k += run;
        if (k > 63) return FAIL("AC coefficients run past 63 in component %d", c->id);
        coef[zigzag[k]] = value * (int32_t)q[k];
        k++;
    }
    if (overrun(d)) return FAIL("entropy-coded data truncated");
    d->k->idct(coef, dst, stride);
    return EFFAD_OK;
}

/* ------------------------------------------------ progressive (T.81 G.1.2) */

/* Coefficients are kept as libjpeg keeps them: 16-bit, the point transform
 * Al applied as a left shift; the arithmetic wraps as its JCOEF does. */
static int16_t coef16(int32_t v) { return (int16_t)(uint16_t)(uint32_t)v; }
static int32_t shl(int32_t v, int al) { return (int32_t)((uint32_t)v << al); }

#define TRUNCATED() FAIL("entropy-coded data truncated")

/* DC first scan (G.1.2.1): the DC difference, as in a sequential scan. */
static effad_status decode_dc_first(jdec *d, jcomp *c, int16_t *blk)
{
    int t = huff_decode(d, &d->dc[c->td]);
    if (t < 0 || t > 11) {
        if (overrun(d)) return TRUNCATED();
        return FAIL("bad DC code in component %d", c->id);
    }
    int diff = extend(getbits(d, t), t);
    c->dc_pred = (int)(int32_t)((uint32_t)c->dc_pred + (uint32_t)diff);
    blk[0] = coef16(shl(c->dc_pred, d->al));
    return overrun(d) ? TRUNCATED() : EFFAD_OK;
}

/* DC refinement (G.1.2.1): one more bit of the DC value, sent raw. */
static effad_status decode_dc_refine(jdec *d, int16_t *blk)
{
    if (getbits(d, 1)) blk[0] = coef16(blk[0] | (1 << d->al));
    return overrun(d) ? TRUNCATED() : EFFAD_OK;
}

/* AC first scan (G.1.2.2): coefficients Ss..Se of one component, with
 * end-of-band runs that span blocks (EOBRUN). */
static effad_status decode_ac_first(jdec *d, jcomp *c, int16_t *blk)
{
    if (d->eobrun) { d->eobrun--; return EFFAD_OK; }
    for (int k = d->ss; k <= d->se; k++) {
        int rs = huff_decode(d, &d->ac[c->ta]);
        if (rs < 0) {
            if (overrun(d)) return TRUNCATED();
            return FAIL("bad AC code in component %d", c->id);
        }
        int r = rs >> 4, s = rs & 15;
        if (s) {
            k += r;
            if (k > d->se) return FAIL("AC coefficients run past %d in component %d", d->se, c->id);
            blk[k] = coef16(shl(extend(getbits(d, s), s), d->al));
        } else if (r == 15) {
            k += 15;   /* sixteen zeros (ZRL); the loop steps past the last */
        } else {
            d->eobrun = (1u << r) + getbits(d, r) - 1;   /* this block ends the band, and EOBRUN more */
            break;
        }
    }
    return overrun(d) ? TRUNCATED() : EFFAD_OK;
}

/* AC refinement (G.1.2.3): a correction bit for every coefficient already
 * nonzero, and new coefficients of magnitude 1 << Al placed among the zeros. */
static void refine_bit(jdec *d, int16_t *coef)
{
    int p1 = 1 << d->al;
    if (getbits(d, 1) && !(*coef & p1)) *coef = coef16(*coef >= 0 ? *coef + p1 : *coef - p1);
}

static effad_status decode_ac_refine(jdec *d, jcomp *c, int16_t *blk)
{
    int k = d->ss;
    if (!d->eobrun) {
        for (; k <= d->se; k++) {
            int rs = huff_decode(d, &d->ac[c->ta]);
            if (rs < 0) {
                if (overrun(d)) return TRUNCATED();
                return FAIL("bad AC code in component %d", c->id);
            }
            int r = rs >> 4, s = rs & 15, v = 0;
            if (s) {
                /* libjpeg takes any other size as 1, with a warning */
                v = getbits(d, 1) ? 1 << d->al : -(1 << d->al);
            } else if (r != 15) {
                d->eobrun = 1u << r;
                if (r) d->eobrun += getbits(d, r);
                break;   /* the rest of this block is refined as part of the run */
            }
            /* skip r zero coefficients (refining the nonzero ones met on
             * the way); with s, the new coefficient goes at the next zero */
            for (; k <= d->se; k++) {
                if (blk[k]) refine_bit(d, &blk[k]);
                else if (r-- == 0) break;
            }
            if (v) {
                if (k > d->se) return FAIL("AC refinement runs past %d in component %d", d->se, c->id);
                blk[k] = coef16(v);
            }
        }
    }
    if (d->eobrun) {
        for (; k <= d->se; k++)
            if (blk[k]) refine_bit(d, &blk[k]);
        d->eobrun--;
    }
    return overrun(d) ? TRUNCATED() : EFFAD_OK;
}

/* One block of the current scan, whichever kind it is. */
static effad_status decode_unit(jdec *d, jcomp *c, int bx, int by)
{
    if (!d->progressive) return decode_block(d, c, plane_row(c, by * 8) + (size_t)bx * 8, (size_t)c->bw * 8);
    int16_t *blk = c->coef + ((size_t)by * (size_t)c->bw + (size_t)bx) * 64;
    if (d->ss == 0) return d->ah ? decode_dc_refine(d, blk) : decode_dc_first(d, c, blk);
    return d->ah ? decode_ac_refine(d, c, blk) : decode_ac_first(d, c, blk);
}

/* Consumes the RSTn marker expected after an interval (T.81 E.1.4). */
static effad_status next_restart(jdec *d, int n)
{
    if (!d->at_marker) {
        /* libjpeg skips stray bytes before the marker with a warning; a
         * valid stream never has them, so strictness costs nothing. */
        d->cnt = 0;
        while (!d->at_marker) { d->cnt = 0; refill(d); }
    }
    if (d->pos + 1 >= d->n) return FAIL("entropy-coded data truncated (no RST marker)");
    if (d->b[d->pos + 1] != 0xD0 + (n & 7))
        return FAIL("expected RST%d marker, found 0x%x", n & 7, d->b[d->pos + 1]);
    d->pos += 2;
    d->buf = 0; d->cnt = 0; d->pad = 0; d->at_marker = 0;
    for (int i = 0; i < d->ncomp; i++) d->comp[i].dc_pred = 0;
    d->eobrun = 0;   /* an end-of-band run never crosses a restart (G.1.2.2) */
    return EFFAD_OK;
}

/* T.81 B.2.3 and G.1.1.1.1: which coefficients and bits a scan carries. */
static effad_status check_progression(jdec *d, int ns)
{
    if (!d->progressive) {
        if (d->ss != 0 || d->se != 63 || d->ah != 0 || d->al != 0)
            return FAIL("SOS: spectral selection %d..%d / approximation %d,%d in a sequential scan", d->ss, d->se,
                        d->ah, d->al);
        return EFFAD_OK;
    }
    /* the rules libjpeg enforces (jdphuff.c start_pass_phuff_decoder) */
    if (d->ss > d->se || d->se > 63 || (d->ss == 0 && d->se != 0) || (d->ss != 0 && ns != 1) || d->al > 13 ||
        (d->ah != 0 && d->al != d->ah - 1))
        return FAIL("SOS: bad progression: spectral selection %d..%d, approximation %d,%d, %d components", d->ss,
                    d->se, d->ah, d->al, ns);
    return EFFAD_OK;
}

static effad_status start_stream(jdec *d);
static effad_status alloc_planes(jdec *d);
static void emit_mcu_row(jdec *d, int m);
static void skip_scan(jdec *d);

static effad_status read_scan(jdec *d, const uint8_t *p, size_t len)
{
    if (!d->frame) return FAIL("SOS before SOF");
    if (len < 1 || p[0] < 1 || p[0] > d->ncomp || len != 4 + 2 * (size_t)p[0])
        return FAIL("SOS: bad header");
    if (++d->scans > 1000) return FAIL("more than 1000 scans");
    if (d->scans == 1)
        /* libjpeg's colour-space guess (jdapimin.c), made as it makes it,
         * when its header reading stops at the first scan: JFIF means
         * YCbCr; an Adobe marker says via its transform flag; else ids
         * 'R','G','B' mean RGB and anything else YCbCr. */
        d->rgb = d->ncomp == 3 && !d->jfif &&
                 (d->adobe ? d->adobe_transform == 0
                           : (d->comp[0].id == 'R' && d->comp[1].id == 'G' && d->comp[2].id == 'B'));
    if (d->streamed) {
        /* libjpeg expects EOI here (JERR_EOI_EXPECTED; PIL refuses the
         * file), while OpenCV keeps the image the first scan made: so do
         * we, skipping this scan's data */
        skip_scan(d);
        return EFFAD_OK;
    }
    int ns = p[0];
    const uint8_t *t = p + 1 + 2 * ns;
    d->ss = t[0];
    d->se = t[1];
    d->ah = t[2] >> 4;
    d->al = t[2] & 15;
    effad_status st = check_progression(d, ns);
    if (st) return st;
    /* sequential scans use both tables; progressive DC scans the DC one
     * (refinements none), AC scans the AC one */
    int need_dc = !d->progressive || (d->ss == 0 && d->ah == 0), need_ac = !d->progressive || d->ss != 0;
    jcomp *sc[3];
    for (int i = 0; i < ns; i++) {
        int id = p[1 + 2 * i], k = 0;
        while (k < d->ncomp && d->comp[k].id != id) k++;
        if (k == d->ncomp) return FAIL("SOS: unknown component id %d", id);
        for (int j = 0; j < i; j++)
            if (sc[j] == &d->comp[k]) return FAIL("SOS: component %d twice", id);
        sc[i] = &d->comp[k];
        sc[i]->td = p[2 + 2 * i] >> 4;
        sc[i]->ta = p[2 + 2 * i] & 15;
        if ((need_dc && (sc[i]->td > 3 || !d->dc[sc[i]->td].defined)) ||
            (need_ac && (sc[i]->ta > 3 || !d->ac[sc[i]->ta].defined)))
            return FAIL("SOS: component %d uses an undefined Huffman table", id);
        if (!sc[i]->scanned) {
            if (!d->qt_defined[sc[i]->tq]) return FAIL("SOS: component %d uses an undefined quantization table", id);
            memcpy(sc[i]->q, d->qt[sc[i]->tq], sizeof sc[i]->q);
        }
        sc[i]->dc_pred = 0;
        sc[i]->scanned = 1;
        if (!d->progressive || (d->ss == 0 && d->ah == 0)) sc[i]->dc_done = 1;
    }
    d->eobrun = 0;
    const int stream = !d->progressive && d->scans == 1 && ns == d->ncomp;
    if ((st = stream ? start_stream(d) : d->progressive ? EFFAD_OK : alloc_planes(d))) return st;

    /* A single-component scan covers only that component's own blocks;
     * an interleaved one covers whole MCUs (T.81 A.2). */
    int mx = ns == 1 ? (sc[0]->cw + 7) / 8 : d->mcux, my = ns == 1 ? (sc[0]->ch + 7) / 8 : d->mcuy;
    d->buf = 0; d->cnt = 0; d->pad = 0; d->at_marker = 0;
    int64_t done = 0;
    int rst = 0;
    for (int y = 0; y < my; y++)
        for (int x = 0; x < mx; x++, done++) {
            if (d->restart && done && done % d->restart == 0 && (st = next_restart(d, rst++))) return st;
            for (int i = 0; i < ns; i++) {
                jcomp *c = sc[i];
                int bh = ns == 1 ? 1 : c->h, bv = ns == 1 ? 1 : c->v;
                for (int by = 0; by < bv; by++)
                    for (int bx = 0; bx < bh; bx++)
                        if ((st = decode_unit(d, c, x * bh + bx, y * bv + by))) return st;
            }
            /* a row of MCUs in: the row before it has all it upsamples from */
            if (stream && x == mx - 1 && y > 0) emit_mcu_row(d, y - 1);
        }
    if (stream) {
        emit_mcu_row(d, my - 1);
        d->streamed = 1;
    }
    /* Leave pos at the marker that ends the scan. */
    while (!d->at_marker) { d->cnt = 0; refill(d); }
    return EFFAD_OK;
}

/* --------------------------------------------------------- upsampling */

/* Brings rows [y0, y1) of component c to full resolution (W wide) in out,
 * row y at (y - y0) * W: each output row reads only the plane, so finish
 * makes the image a band of rows at a time. libjpeg's rules (jdsample.c):
 * 2:1 horizontally and/or vertically use the triangular "fancy" filter,
 * with the odd +7/+8 and +1/+2 biases that keep it unbiased, and edge
 * samples replicated at the component's real size; components at most
 * two samples wide and other integral ratios are replicated (box). */
static void upsample(const jdec *d, const jcomp *c, uint8_t *out, int y0, int y1)
{
    int fh = d->hmax / c->h, fv = d->vmax / c->v, W = d->w;
    /* libjpeg applies the fancy filter to h2v1 and h2v2 only when the
     * component is more than two samples wide; h1v2 always. */
    int h2v1 = fh == 2 && fv == 1 && c->cw > 2, h2v2 = fh == 2 && fv == 2 && c->cw > 2;
    int h1v2 = fh == 1 && fv == 2;
    if (h2v1) {
        for (int y = y0; y < y1; y++) {
            d->k->fancy_h2(plane_row(c, y), NULL, c->cw, out + (size_t)(y - y0) * W, W);
        }
        return;
    }
    if (h2v2 || h1v2) {
        for (int y = y0; y < y1; y++) {
            int r = y >> 1, nb = (y & 1) ? (r + 1 < c->ch ? r + 1 : r) : (r > 0 ? r - 1 : 0);
            const uint8_t *in0 = plane_row(c, r), *in1 = plane_row(c, nb);
            uint8_t *o = out + (size_t)(y - y0) * W;
            if (fh == 1) {
                int bias = (y & 1) ? 2 : 1;
                for (int x = 0; x < W; x++) o[x] = (uint8_t)((in0[x] * 3 + in1[x] + bias) >> 2);
                continue;
            }
            d->k->fancy_h2(in0, in1, c->cw, o, W);   /* the vertical pass first */
        }
        return;
    }
    for (int y = y0; y < y1; y++) {
        const uint8_t *in = plane_row(c, y / fv);
        uint8_t *o = out + (size_t)(y - y0) * W;
        if (fh == 1) memcpy(o, in, (size_t)W);   /* full resolution: most often luma */
        else
            for (int x = 0; x < W; x++) o[x] = in[x / fh];
    }
}

/* Progressive: every coefficient has arrived; dequantize and transform
 * block rows [by0, by1) of component c into its plane. */
static void idct_coefficients(const jdec *d, jcomp *c, int by0, int by1)
{
    size_t stride = (size_t)c->bw * 8;
    int32_t nat[64];
    for (int by = by0; by < by1; by++)
        for (int bx = 0; bx < c->bw; bx++) {
            const int16_t *blk = c->coef + ((size_t)by * (size_t)c->bw + (size_t)bx) * 64;
            for (int k = 0; k < 64; k++) nat[zigzag[k]] = (int32_t)blk[k] * (int32_t)c->q[k];
            d->k->idct(nat, plane_row(c, by * 8) + (size_t)bx * 8, stride);
        }
}

#define JPEG_BAND 16   /* output rows a band: full-resolution scratch of 16 x w x 3 bytes */

/* The output and the band scratch, once the pixels are about to come. */
static effad_status alloc_output(jdec *d)
{
    effad_status st = image_alloc_unzeroed(d->img, d->w, d->h, d->ncomp, 8, "JPEG", d->e);   /* emit_rows writes every row */
    if (st) return st;
    if (!(d->full = malloc((size_t)JPEG_BAND * (size_t)d->w * (size_t)d->ncomp)))
        return effad_fail(d->e, EFFAD_ERR_NOMEM, "out of memory");
    return EFFAD_OK;
}

/* Whole planes, for files whose components come in several scans. */
static effad_status alloc_planes(jdec *d)
{
    for (int i = 0; i < d->ncomp; i++) {
        jcomp *c = &d->comp[i];
        if (!c->plane && !(c->plane = big_buffer((size_t)c->bw * (size_t)c->bh * 64)))   /* huge pages: big-buffer.h */
            return effad_fail(d->e, EFFAD_ERR_NOMEM, "out of memory");
    }
    return EFFAD_OK;
}

/* Three MCU rows of each component, and the output. */
static effad_status start_stream(jdec *d)
{
    for (int i = 0; i < d->ncomp; i++) {
        jcomp *c = &d->comp[i];
        c->ring_rows = 8 * c->v;
        if (!(c->plane = malloc((size_t)c->bw * 8 * (size_t)c->ring_rows * 3)))
            return effad_fail(d->e, EFFAD_ERR_NOMEM, "out of memory");
    }
    return alloc_output(d);
}

/* Output rows [y0, y1), JPEG_BAND rows a time: every component brought to
 * full resolution, then to RGB (or grey). */
static void emit_rows(jdec *d, int y0, int y1)
{
    const size_t band_px = (size_t)JPEG_BAND * (size_t)d->w;
    for (int b0 = y0; b0 < y1; b0 += JPEG_BAND) {
        const int b1 = y1 - b0 < JPEG_BAND ? y1 : b0 + JPEG_BAND;
        const size_t npx = (size_t)(b1 - b0) * (size_t)d->w;
        for (int i = 0; i < d->ncomp; i++) upsample(d, &d->comp[i], d->full + band_px * (size_t)i, b0, b1);
        uint8_t *o = (uint8_t *)d->img->px + (size_t)b0 * (size_t)d->w * (size_t)d->ncomp;
        if (d->ncomp == 1) { memcpy(o, d->full, npx); continue; }
        const uint8_t *Y = d->full, *Cb = d->full + band_px, *Cr = d->full + 2 * band_px;
        if (d->rgb)
            for (size_t i = 0; i < npx; i++, o += 3) { o[0] = Y[i]; o[1] = Cb[i]; o[2] = Cr[i]; }
        else
            d->k->ycc_rgb(Y, Cb, Cr, npx, o);
    }
}

/* The output rows of MCU row m (its last one cut to the image). */
static void emit_mcu_row(jdec *d, int m)
{
    const int rows = 8 * d->vmax, y0 = m * rows;
    if (y0 < d->h) emit_rows(d, y0, d->h - y0 < rows ? d->h : y0 + rows);
}

/* Past a scan's entropy-coded data (restart markers included) to the
 * marker after it, or to the end. */
static void skip_scan(jdec *d)
{
    size_t q = d->pos;
    for (;;) {
        while (q < d->n && d->b[q] != 0xFF) q++;
        size_t m = q + 1;
        while (m < d->n && d->b[m] == 0xFF) m++;
        if (m >= d->n) { d->pos = d->n; return; }
        if (d->b[m] != 0x00 && (d->b[m] < 0xD0 || d->b[m] > 0xD7)) { d->pos = m - 1; return; }
        q = m + 1;
    }
}

static effad_status finish(jdec *d)
{
    for (int i = 0; i < d->ncomp; i++)
        if (!d->comp[i].dc_done)
            return FAIL("component %d has no %s", d->comp[i].id, d->progressive ? "DC scan" : "scan");
    if (d->streamed) return EFFAD_OK;
    effad_status st;
    if (d->progressive) {
        /* the coefficients to pixels an MCU row at a time, through the
         * same three-row planes as a streamed scan */
        if ((st = start_stream(d))) return st;
        for (int m = 0; m < d->mcuy; m++) {
            for (int i = 0; i < d->ncomp; i++) {
                jcomp *c = &d->comp[i];
                idct_coefficients(d, c, m * c->v, (m + 1) * c->v);
            }
            if (m > 0) emit_mcu_row(d, m - 1);
        }
        emit_mcu_row(d, d->mcuy - 1);
        return EFFAD_OK;
    }
    if ((st = alloc_output(d))) return st;
    emit_rows(d, 0, d->h);
    return EFFAD_OK;
}

/* ------------------------------------------------------------ driver */

static effad_status decode(jdec *d, effad_image *img)
{
    const uint8_t *b = d->b;
    size_t n = d->n, pos = 2;
    for (;;) {
        if (pos >= n || b[pos] != 0xFF) {
            if (pos >= n) return FAIL("truncated: no EOI marker");
            return FAIL("expected a marker at offset %zu, found 0x%x", pos, b[pos]);
        }
        while (pos < n && b[pos] == 0xFF) pos++;
        if (pos >= n) return FAIL("truncated: no EOI marker");
        int m = b[pos++];
        if (m == 0xD9) break;
        if (m == 0xD8 || m == 0x01 || (m >= 0xD0 && m <= 0xD7)) return FAIL("unexpected marker 0x%x", m);
        if (n - pos < 2) return FAIL("truncated marker segment 0x%x", m);
        size_t len = be16(b + pos);
        if (len < 2 || len > n - pos) return FAIL("marker 0x%x: segment length %zu runs past the end", m, len);
        const uint8_t *p = b + pos + 2;
        size_t plen = len - 2;
        pos += len;
        effad_status st = EFFAD_OK;
        switch (m) {
        case 0xC0: case 0xC1: case 0xC2:
            d->progressive = m == 0xC2;
            st = read_sof(d, p, plen, n - pos);
            break;
        case 0xC6: case 0xCE:
            return effad_fail(d->e, EFFAD_ERR_UNSUPPORTED, "hierarchical (differential) JPEG");
        case 0xCA:
            return effad_fail(d->e, EFFAD_ERR_UNSUPPORTED, "arithmetic-coded JPEG");
        case 0xC3: case 0xC7: case 0xCB: case 0xCF:
            return effad_fail(d->e, EFFAD_ERR_UNSUPPORTED, "lossless JPEG");
        case 0xC5: case 0xDE: case 0xDF:
            return effad_fail(d->e, EFFAD_ERR_UNSUPPORTED, "hierarchical JPEG");
        case 0xC9: case 0xCC:
            return effad_fail(d->e, EFFAD_ERR_UNSUPPORTED, "arithmetic-coded JPEG");
        case 0xC4: st = read_dht(d, p, plen); break;
        case 0xDB: st = read_dqt(d, p, plen); break;
        case 0xDD:
            if (plen != 2) return FAIL("DRI: bad length");
            d->restart = (int)be16(p);
            break;
        case 0xDA:
            d->pos = pos;
            st = read_scan(d, p, plen);
            pos = d->pos;
            break;
        case 0xE0:
            if (plen >= 5 && !memcmp(p, "JFIF", 5)) d->jfif = 1;
            break;
        case 0xE1:   /* cv2.imread reads the first APP1 only, and only as "Exif\0\0" + TIFF */
            if (!d->app1_seen++ && !d->scans && plen >= 6 && !memcmp(p, "Exif\0\0", 6))
                d->orientation = exif_orientation(p + 6, plen - 6);
            break;
        case 0xEE:
            if (plen >= 12 && !memcmp(p, "Adobe", 5)) { d->adobe = 1; d->adobe_transform = p[11]; }
            break;
        default: break;   /* APPn, COM, DNL-less others: skipped */
        }
        if (st) return st;
    }
    if (!d->frame) return FAIL("no frame header (SOF)");
    if (!d->scans) return FAIL("no scan (SOS)");
    effad_status st = finish(d);
    img->orientation = d->orientation;
    img->orientation_exif = 1;
    return st;
}

effad_status image_decode_jpeg(const uint8_t *b, size_t n, effad_image *img, effad_error *e)
{
    memset(img, 0, sizeof *img);
    if (n < 3 || b[0] != 0xFF || b[1] != 0xD8) return effad_fail(e, EFFAD_ERR_FORMAT, "JPEG: bad signature");
    jdec *d = calloc(1, sizeof *d);
    if (!d) return effad_fail(e, EFFAD_ERR_NOMEM, "JPEG: out of memory");
    d->b = b;
    d->n = n;
    d->e = e;
    d->k = pixel_kernels_best();
    d->img = img;
    effad_status st = decode(d, img);
    for (int i = 0; i < 3; i++) { free(d->comp[i].plane); free(d->comp[i].coef); }
    free(d->full);
    free(d);
    if (st) {
        image_free(img);
        effad_error_prefix(e, "JPEG");
    }
    return st;
}
