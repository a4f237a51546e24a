/*
 * gauss-file.c -- the `.gauss` model file: versioned, little-endian,
 * checksummed, every size and offset validated on read.
 *
 * Layout, version 1 (all integers little-endian, doubles as their IEEE-754
 * bit pattern in a little-endian u64; encoded byte by byte so big-endian
 * hosts read and write the same bytes):
 *
 *   header, 64 bytes
 *     0  char[8] magic "EFFGAUSS"
 *     8  u32 version (1)
 *    12  u32 header bytes (64)
 *    16  u64 file bytes
 *    24  u32 CRC-32 (IEEE, as zlib) of the whole file with this field zero
 *    28  u32 number of levels
 *    32  u64 model hash (of the .efm the features came from; opaque here)
 *    40  u32 input height, 44 u32 input width, 48 u32 input channels
 *    52  u32 preset name bytes, 56 u32 tap description bytes,
 *    60  u32 image-level thresholds T
 *   preset name, tap description (no NULs), zero padding to 8 bytes
 *   T x { char[32] name, NUL-padded; f64 value }  (the first is in force)
 *   per level:
 *     u32 dim d, u32 number of thresholds t, u64 samples n,
 *     f64 Ledoit-Wolf shrinkage, u32 flags (bit 0: statistics follow,
 *     bit 1: training features follow), u32 zero
 *     t x { char[32] name, NUL-padded; f64 value }
 *     f64[d] mean
 *     f64[d(d+1)/2] Cholesky factor L, lower triangle packed by rows
 *     if flags & 1, the sufficient statistics (gauss.h):
 *       u64 n, f64 sum_y4, f64[d] shift, f64[d] sum, f64[d] sum_y2y,
 *       f64[d(d+1)/2] cross, upper triangle packed by rows
 *     if flags & 2, the training features: u64 n_f, f32[n_f * d], zero
 *       padding to 8 bytes
 *
 * The CRC covers the header too, so a flipped size field is caught before
 * it is believed; the structural checks still run, since a file can be
 * well-sealed and wrong (written by a buggy or hostile tool).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "atomic-file.h"
#include "gauss.h"

#define MAGIC "EFFGAUSS"
#define VERSION 1u
#define HEADER_BYTES GAUSS_FILE_HEADER_BYTES
#define CRC_OFFSET GAUSS_FILE_CRC_OFFSET
#define MAX_LEVELS 256u
#define MAX_STRING 65536u
#define FLAG_STATS 1u
#define FLAG_FEATURES 2u
#define MAX_FEATURE_ROWS (1u << 24)

/* ------------------------------------------------------------ CRC-32 */

/* The table is built per call (2 K steps, nothing next to a model file)
 * so there is no shared mutable state for threads to race on. */
static uint32_t crc_update(const uint32_t *table, uint32_t crc, const uint8_t *p, size_t n)
{
    crc = ~crc;
    while (n--) crc = table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
    return ~crc;
}

static uint32_t file_crc(const uint8_t *buf, size_t len)
{
    static const uint8_t zero[4];
    uint32_t table[256];
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++) c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        table[i] = c;
    }
    uint32_t c = crc_update(table, 0, buf, CRC_OFFSET);
    c = crc_update(table, c, zero, 4);
    return crc_update(table, c, buf + CRC_OFFSET + 4, len - CRC_OFFSET - 4);
}

/* ------------------------------------------------------ byte cursors */

typedef struct { uint8_t *p; size_t at, len; } writer;

static void put_u32(writer *w, uint32_t v)
{
    for (int i = 0; i < 4; i++) w->p[w->at++] = (uint8_t)(v >> (8 * i));
}

static void put_u64(writer *w, uint64_t v)
{
    for (int i = 0; i < 8; i++) w->p[w->at++] = (uint8_t)(v >> (8 * i));
}

static void put_f64(writer *w, double v)
{
    uint64_t u;
    memcpy(&u, &v, sizeof u);
    put_u64(w, u);
}

static void put_bytes(writer *w, const void *src, size_t n)
{
    if (!n) return;   /* src may be NULL then (an absent preset), and memcpy's may not */
    memcpy(w->p + w->at, src, n);
    w->at += n;
}

typedef struct { const uint8_t *p; size_t at, len; } reader;

static int have(const reader *r, uint64_t n) { return n <= r->len - r->at; }

static uint32_t get_u32(reader *r)
{
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) v |= (uint32_t)r->p[r->at++] << (8 * i);
    return v;
}

static uint64_t get_u64(reader *r)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) v |= (uint64_t)r->p[r->at++] << (8 * i);
    return v;
}

static double get_f64(reader *r)
{
    uint64_t u = get_u64(r);
    double v;
    memcpy(&v, &u, sizeof v);
    return v;
}

/* ------------------------------------------------------------ sizes */

static effad_status check_feature_rows(const gauss_model *m, effad_error *e);

static size_t pad8(size_t n) { return (n + 7) & ~(size_t)7; }

static uint64_t level_bytes(size_t d, size_t n_thresholds, int with_stats, uint64_t n_features, int with_features)
{
    uint64_t tri = (uint64_t)d * (d + 1) / 2;
    uint64_t b = 32 + n_thresholds * (GAUSS_THRESHOLD_NAME + 8) + 8 * ((uint64_t)d + tri);
    if (with_stats) b += 16 + 8 * (3 * (uint64_t)d + tri);
    if (with_features) b += 8 + ((4 * n_features * d + 7) & ~(uint64_t)7);
    return b;
}

size_t gauss_file_size(const gauss_model *m)
{
    size_t lp = m->preset ? strlen(m->preset) : 0, lt = m->taps ? strlen(m->taps) : 0;
    if (lp > MAX_STRING || lt > MAX_STRING || m->n_levels == 0 || m->n_levels > MAX_LEVELS) return 0;
    if (m->n_thresholds > GAUSS_MAX_THRESHOLDS) return 0;
    if (check_feature_rows(m, NULL)) return 0;
    uint64_t total = HEADER_BYTES + pad8(lp + lt) + m->n_thresholds * (GAUSS_THRESHOLD_NAME + 8);
    for (size_t i = 0; i < m->n_levels; i++) {
        const gauss_level *lv = &m->levels[i];
        if (lv->dim == 0 || lv->dim > GAUSS_MAX_DIM || lv->n_thresholds > GAUSS_MAX_THRESHOLDS)
            return 0;
        if (lv->stats && lv->stats->dim != lv->dim) return 0;
        if (lv->features && lv->n_features > MAX_FEATURE_ROWS) return 0;
        total += level_bytes(lv->dim, lv->n_thresholds, lv->stats != NULL, lv->n_features, lv->features != NULL);
    }
    return total > SIZE_MAX ? 0 : (size_t)total;
}

/* ------------------------------------------------------------ encode */

static void put_f32(writer *w, float v)
{
    uint32_t u;
    memcpy(&u, &v, 4);
    put_u32(w, u);
}

static void put_threshold(writer *w, const gauss_threshold *t)
{
    char name[GAUSS_THRESHOLD_NAME] = { 0 };
    size_t nl = strnlen(t->name, GAUSS_THRESHOLD_NAME - 1);
    memcpy(name, t->name, nl);
    put_bytes(w, name, GAUSS_THRESHOLD_NAME);
    put_f64(w, t->value);
}

static void put_stats(writer *w, const gauss_stats *s, size_t d)
{
    put_u64(w, s->n);
    put_f64(w, s->sum_y4);
    for (size_t j = 0; j < d; j++) put_f64(w, s->shift[j]);
    for (size_t j = 0; j < d; j++) put_f64(w, s->sum[j]);
    for (size_t j = 0; j < d; j++) put_f64(w, s->sum_y2y[j]);
    /* Samples still in the batch are folded in exactly as
     * gauss_stats_flush would, so the model can stay const. */
    for (size_t j = 0; j < d; j++)
        for (size_t k = j; k < d; k++) {
            double v = s->cross[j * d + k];
            if (s->batch_n)
                v += gauss_dot(s->batch + j * GAUSS_STATS_BATCH,
                               s->batch + k * GAUSS_STATS_BATCH, s->batch_n);
            put_f64(w, v);
        }
}


effad_status gauss_file_encode(const gauss_model *m, uint8_t *buf, size_t len, effad_error *e)
{
    size_t need = gauss_file_size(m);
    if (!need)
        return effad_fail(e, EFFAD_ERR_ARG, "model cannot be encoded (a level's size, the "
                          "thresholds or the strings are out of range)");
    if (len != need)
        return effad_fail(e, EFFAD_ERR_ARG, "encode buffer is %zu bytes, the model needs %zu",
                          len, need);
    for (size_t i = 0; i < m->n_levels; i++)
        if (!m->levels[i].mean || !m->levels[i].chol)
            return effad_fail(e, EFFAD_ERR_ARG, "level %zu has not been fitted", i);
    size_t lp = m->preset ? strlen(m->preset) : 0, lt = m->taps ? strlen(m->taps) : 0;
    writer w = { buf, 0, len };
    put_bytes(&w, MAGIC, 8);
    put_u32(&w, VERSION);
    put_u32(&w, HEADER_BYTES);
    put_u64(&w, (uint64_t)len);
    put_u32(&w, 0);                 /* CRC, sealed below */
    put_u32(&w, (uint32_t)m->n_levels);
    put_u64(&w, m->model_hash);
    put_u32(&w, m->input_h);
    put_u32(&w, m->input_w);
    put_u32(&w, m->input_c);
    put_u32(&w, (uint32_t)lp);
    put_u32(&w, (uint32_t)lt);
    put_u32(&w, (uint32_t)m->n_thresholds);
    put_bytes(&w, m->preset, lp);
    put_bytes(&w, m->taps, lt);
    while (w.at % 8) w.p[w.at++] = 0;
    for (size_t t = 0; t < m->n_thresholds; t++) put_threshold(&w, &m->thresholds[t]);

    for (size_t i = 0; i < m->n_levels; i++) {
        const gauss_level *lv = &m->levels[i];
        size_t d = lv->dim;
        const gauss_stats *s = lv->stats;
        put_u32(&w, (uint32_t)d);
        put_u32(&w, (uint32_t)lv->n_thresholds);
        put_u64(&w, lv->n);
        put_f64(&w, lv->shrinkage);
        put_u32(&w, (s ? FLAG_STATS : 0) | (lv->features ? FLAG_FEATURES : 0));
        put_u32(&w, 0);
        for (size_t t = 0; t < lv->n_thresholds; t++) put_threshold(&w, &lv->thresholds[t]);
        for (size_t j = 0; j < d; j++) put_f64(&w, lv->mean[j]);
        for (size_t j = 0; j < d; j++)
            for (size_t k = 0; k <= j; k++) put_f64(&w, lv->chol[j * d + k]);
        if (s) put_stats(&w, s, d);
        if (lv->features) {
            put_u64(&w, lv->n_features);
            for (uint64_t k = 0; k < lv->n_features * d; k++) put_f32(&w, lv->features[k]);
            while (w.at % 8) w.p[w.at++] = 0;
        }
    }
    uint32_t crc = file_crc(buf, len);
    w.at = CRC_OFFSET;
    put_u32(&w, crc);
    return EFFAD_OK;
}


effad_status gauss_file_write(const char *path, const gauss_model *m, effad_error *e)
{
    size_t len = gauss_file_size(m);
    uint8_t *buf = len ? malloc(len) : NULL;
    if (len && !buf) return effad_fail(e, EFFAD_ERR_NOMEM, "%s: no memory for %zu bytes", path, len);
    effad_status st = gauss_file_encode(m, buf, len, e);
    if (st) effad_error_prefix(e, path);
    else st = atomic_file_write(path, buf, len, e);
    free(buf);
    return st;
}

/* ------------------------------------------------------------ decode */

static effad_status bad(effad_error *e, const char *what, size_t level, size_t at)
{
    return effad_fail(e, EFFAD_ERR_FORMAT, "level %zu: %s (offset %zu)", level, what, at);
}

static char *take_string(reader *r, size_t n)
{
    char *s = malloc(n + 1);
    if (!s) return NULL;
    memcpy(s, r->p + r->at, n);
    s[n] = 0;
    r->at += n;
    return s;
}

/* A threshold record: NUL-padded non-empty name, a non-NaN value. `where`
 * says whose it is in messages ("level 3" or "image"). */
static effad_status get_threshold(reader *r, const char *where, size_t li, uint32_t t,
                                  gauss_threshold *out, effad_error *e)
{
    const uint8_t *name = r->p + r->at;
    size_t nl = strnlen((const char *)name, GAUSS_THRESHOLD_NAME);
    if (nl == 0 || nl == GAUSS_THRESHOLD_NAME)
        return effad_fail(e, EFFAD_ERR_FORMAT, "%s %zu: threshold %u has an empty or "
                          "unterminated name", where, li, t);
    for (size_t k = nl; k < GAUSS_THRESHOLD_NAME; k++)
        if (name[k]) return effad_fail(e, EFFAD_ERR_FORMAT, "%s %zu: threshold %u name "
                                       "is not NUL-padded", where, li, t);
    memcpy(out->name, name, GAUSS_THRESHOLD_NAME);
    r->at += GAUSS_THRESHOLD_NAME;
    out->value = get_f64(r);
    if (isnan(out->value))
        return effad_fail(e, EFFAD_ERR_FORMAT, "%s %zu: threshold '%s' is NaN", where, li, out->name);
    return EFFAD_OK;
}

static effad_status decode_stats(reader *r, size_t li, gauss_level *lv, uint32_t d, effad_error *e);

static effad_status decode_level(reader *r, size_t li, gauss_level *lv, effad_error *e)
{
    if (!have(r, 32)) return bad(e, "truncated level header", li, r->at);
    uint32_t d = get_u32(r), nt = get_u32(r);
    uint64_t n = get_u64(r);
    double shrinkage = get_f64(r);
    uint32_t flags = get_u32(r), zero = get_u32(r);
    if (d == 0 || d > GAUSS_MAX_DIM)
        return effad_fail(e, EFFAD_ERR_FORMAT, "level %zu: dimension %u outside 1..%u", li, d,
                          GAUSS_MAX_DIM);
    if (nt > GAUSS_MAX_THRESHOLDS)
        return effad_fail(e, EFFAD_ERR_FORMAT, "level %zu: %u thresholds, at most %u allowed",
                          li, nt, GAUSS_MAX_THRESHOLDS);
    if (flags & ~(FLAG_STATS | FLAG_FEATURES) || zero)
        return effad_fail(e, EFFAD_ERR_FORMAT, "level %zu: unknown flags %x", li, flags);
    if (!(shrinkage >= 0 && shrinkage <= 1))
        return effad_fail(e, EFFAD_ERR_FORMAT, "level %zu: shrinkage %g outside [0, 1]", li,
                          shrinkage);
    if (n == 0) return bad(e, "fitted on zero samples", li, r->at);
    if (!have(r, level_bytes(d, nt, flags & FLAG_STATS, 0, 0) - 32))
        return effad_fail(e, EFFAD_ERR_FORMAT, "level %zu: truncated: %u-dim level needs %llu "
                          "more bytes, %zu left", li, d,
                          (unsigned long long)(level_bytes(d, nt, flags & FLAG_STATS, 0, 0) - 32),
                          r->len - r->at);
    lv->dim = d;
    lv->n = n;
    lv->shrinkage = shrinkage;
    for (uint32_t t = 0; t < nt; t++) {
        effad_status st = get_threshold(r, "level", li, t, &lv->thresholds[t], e);
        if (st) return st;
    }
    lv->n_thresholds = nt;
    lv->mean = malloc((size_t)d * sizeof *lv->mean);
    lv->chol = calloc((size_t)d * d, sizeof *lv->chol);
    if (!lv->mean || !lv->chol)
        return effad_fail(e, EFFAD_ERR_NOMEM, "level %zu: no memory for %u dimensions", li, d);
    for (size_t j = 0; j < d; j++)
        if (!isfinite(lv->mean[j] = get_f64(r)))
            return effad_fail(e, EFFAD_ERR_FORMAT, "level %zu: mean[%zu] is not finite", li, j);
    for (size_t j = 0; j < d; j++)
        for (size_t k = 0; k <= j; k++) {
            double v = get_f64(r);
            if (!isfinite(v) || (k == j && !(v > 0)))
                return effad_fail(e, EFFAD_ERR_FORMAT, "level %zu: Cholesky factor entry "
                                  "(%zu, %zu) = %g is invalid", li, j, k, v);
            lv->chol[j * d + k] = v;
        }
    if (flags & FLAG_STATS) {
        effad_status st = decode_stats(r, li, lv, d, e);
        if (st) return st;
    }
    if (!(flags & FLAG_FEATURES)) return EFFAD_OK;
    if (!have(r, 8)) return bad(e, "truncated feature cache", li, r->at);
    uint64_t nf = get_u64(r);
    if (nf == 0 || nf > MAX_FEATURE_ROWS || !have(r, pad8((size_t)(4 * nf * d))))
        return effad_fail(e, EFFAD_ERR_FORMAT, "level %zu: feature cache of %llu rows does not fit",
                          li, (unsigned long long)nf);
    if (!(lv->features = malloc((size_t)(nf * d) * sizeof(float))))
        return effad_fail(e, EFFAD_ERR_NOMEM, "level %zu: no memory for the feature cache", li);
    lv->n_features = nf;
    for (uint64_t k = 0; k < nf * d; k++) {
        uint32_t u = get_u32(r);
        memcpy(&lv->features[k], &u, 4);
        if (!isfinite(lv->features[k]))
            return effad_fail(e, EFFAD_ERR_FORMAT, "level %zu: cached feature %llu is not finite", li,
                              (unsigned long long)k);
    }
    for (; r->at % 8; r->at++)
        if (r->p[r->at]) return bad(e, "nonzero padding after the feature cache", li, r->at);
    return EFFAD_OK;
}

static effad_status decode_stats(reader *r, size_t li, gauss_level *lv, uint32_t d, effad_error *e)
{
    gauss_stats *s = malloc(sizeof *s);
    if (!s) return effad_fail(e, EFFAD_ERR_NOMEM, "level %zu: no memory for statistics", li);
    effad_status st = gauss_stats_init(s, d, e);
    if (st) { free(s); return st; }
    lv->stats = s;
    s->n = get_u64(r);
    s->sum_y4 = get_f64(r);
    int finite = isfinite(s->sum_y4) && s->sum_y4 >= 0;
    for (size_t j = 0; j < d; j++) finite &= isfinite(s->shift[j] = get_f64(r));
    for (size_t j = 0; j < d; j++) finite &= isfinite(s->sum[j] = get_f64(r));
    for (size_t j = 0; j < d; j++) finite &= isfinite(s->sum_y2y[j] = get_f64(r));
    for (size_t j = 0; j < d; j++)
        for (size_t k = j; k < d; k++) finite &= isfinite(s->cross[j * d + k] = get_f64(r));
    if (!finite)
        return effad_fail(e, EFFAD_ERR_FORMAT, "level %zu: statistics hold a non-finite or "
                          "negative value", li);
    if (s->n == 0) return bad(e, "statistics of zero samples", li, r->at);
    return EFFAD_OK;
}

/* The cached features are one row per training image at every level, so
 * levels that keep them keep as many rows: the "2 x mean training score"
 * threshold reads row i of every level together. */
static effad_status check_feature_rows(const gauss_model *m, effad_error *e)
{
    const gauss_level *first = 0;
    for (size_t i = 0; i < m->n_levels; i++) {
        const gauss_level *lv = &m->levels[i];
        if (!lv->features) continue;
        if (!first) first = lv;
        else if (lv->n_features != first->n_features)
            return effad_fail(e, EFFAD_ERR_FORMAT, "level %zu keeps %llu training feature rows, an earlier level %llu",
                              i, (unsigned long long)lv->n_features, (unsigned long long)first->n_features);
    }
    return EFFAD_OK;
}

effad_status gauss_file_decode(const uint8_t *buf, size_t len, gauss_model *m, effad_error *e)
{
    memset(m, 0, sizeof *m);
    if (len < HEADER_BYTES)
        return effad_fail(e, EFFAD_ERR_FORMAT, "truncated: %zu bytes, a .gauss header is %u",
                          len, HEADER_BYTES);
    if (memcmp(buf, MAGIC, 8))
        return effad_fail(e, EFFAD_ERR_FORMAT, "not a .gauss file (bad magic)");
    reader r = { buf, 8, len };
    uint32_t version = get_u32(&r), hb = get_u32(&r);
    uint64_t fb = get_u64(&r);
    uint32_t crc = get_u32(&r);
    if (version != VERSION)
        return effad_fail(e, EFFAD_ERR_UNSUPPORTED, ".gauss version %u; this build reads "
                          "version %u", version, VERSION);
    if (hb != HEADER_BYTES)
        return effad_fail(e, EFFAD_ERR_FORMAT, "header size %u, expected %u", hb, HEADER_BYTES);
    if (fb != len)
        return effad_fail(e, EFFAD_ERR_FORMAT, "%s: header says %llu bytes, file has %zu",
                          fb > len ? "truncated" : "trailing bytes", (unsigned long long)fb, len);
    uint32_t actual = file_crc(buf, len);
    if (crc != actual)
        return effad_fail(e, EFFAD_ERR_FORMAT, "checksum mismatch (stored %x, computed %x): "
                          "the file is corrupt", crc, actual);
    uint32_t nl = get_u32(&r);
    m->model_hash = get_u64(&r);
    m->input_h = get_u32(&r);
    m->input_w = get_u32(&r);
    m->input_c = get_u32(&r);
    uint32_t lp = get_u32(&r), lt = get_u32(&r), nti = get_u32(&r);
    /* a model of no level has no score: its thresholds would be 0 / 0 */
    if (nl == 0 || nl > MAX_LEVELS || nti > GAUSS_MAX_THRESHOLDS)
        return effad_fail(e, EFFAD_ERR_FORMAT, "%u levels (1..%u) or %u image thresholds (at most %u)",
                          nl, MAX_LEVELS, nti, GAUSS_MAX_THRESHOLDS);
    if (lp > MAX_STRING || lt > MAX_STRING || !have(&r, pad8((size_t)lp + lt)))
        return effad_fail(e, EFFAD_ERR_FORMAT, "strings of %u + %u bytes do not fit", lp, lt);
    if (memchr(buf + r.at, 0, (size_t)lp + lt))
        return effad_fail(e, EFFAD_ERR_FORMAT, "preset or tap string contains a NUL byte");
    effad_status st = EFFAD_ERR_NOMEM;
    if (!(m->preset = take_string(&r, lp)) || !(m->taps = take_string(&r, lt))) goto nomem;
    for (; r.at % 8; r.at++)
        if (buf[r.at]) { st = effad_fail(e, EFFAD_ERR_FORMAT, "nonzero padding"); goto fail; }
    if (!have(&r, (uint64_t)nti * (GAUSS_THRESHOLD_NAME + 8))) {
        st = effad_fail(e, EFFAD_ERR_FORMAT, "truncated image thresholds");
        goto fail;
    }
    for (uint32_t t = 0; t < nti; t++)
        if ((st = get_threshold(&r, "image", 0, t, &m->thresholds[t], e))) goto fail;
    m->n_thresholds = nti;
    if (!(m->levels = calloc(nl, sizeof *m->levels))) goto nomem;
    m->n_levels = nl;
    for (size_t i = 0; i < nl; i++)
        if ((st = decode_level(&r, i, &m->levels[i], e))) goto fail;
    if ((st = check_feature_rows(m, e))) goto fail;
    if (r.at != len) {
        st = effad_fail(e, EFFAD_ERR_FORMAT, "%zu unexplained bytes after the last level",
                        len - r.at);
        goto fail;
    }
    return EFFAD_OK;
nomem:
    st = effad_fail(e, EFFAD_ERR_NOMEM, "no memory to decode the model");
fail:
    gauss_model_free(m);
    return st;
}

effad_status gauss_file_read(const char *path, gauss_model *m, effad_error *e)
{
    uint8_t *buf;
    size_t len;
    memset(m, 0, sizeof *m);
    effad_status st = atomic_file_read(path, &buf, &len, e);
    if (st) return st;
    st = gauss_file_decode(buf, len, m, e);
    if (st) effad_error_prefix(e, path);
    free(buf);
    return st;
}
