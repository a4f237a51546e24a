/*
 * gauss-format.c -- the `.gauss` file validated in place (gauss-format.h;
 * layout in gauss-file.c). Messages say what is wrong and where: the level,
 * the field, the offset.
 */
#include <math.h>
#include "checksum.h"
#include "gauss-format.h"
#include "gauss.h"

/* ------------------------------------------------------ byte cursor */

typedef struct cursor { const uint8_t *p; size_t at, len; } cursor;

static int have(const cursor *c, uint64_t n) { return n <= c->len - c->at; }

static uint32_t take_u32(cursor *c) { c->at += 4; return le_u32(c->p + c->at - 4); }
static uint64_t take_u64(cursor *c) { c->at += 8; return le_u64(c->p + c->at - 8); }
static double take_f64(cursor *c) { c->at += 8; return gauss_le_f64(c->p + c->at - 8); }

/* Index of the first non-finite one of count doubles at p, or count. */
static uint64_t first_nonfinite(const uint8_t *p, uint64_t count)
{
    for (uint64_t i = 0; i < count; i++)
        if (!isfinite(gauss_le_f64(p + 8 * i))) return i;
    return count;
}

static size_t pad8(size_t n) { return (n + 7) & ~(size_t)7; }

uint32_t gauss_file_crc(const uint8_t *buf, size_t len)
{
    static const uint8_t zero[4];
    uint32_t c = crc32_update(0, buf, GAUSS_FILE_CRC_OFFSET);
    c = crc32_update(c, zero, 4);
    return crc32_update(c, buf + GAUSS_FILE_CRC_OFFSET + 4, len - GAUSS_FILE_CRC_OFFSET - 4);
}

/* ------------------------------------------------------- thresholds */

/* count records of { char[32] NUL-padded non-empty name, f64 non-NaN }.
 * `whose` and li say whose they are in messages ("level 3", "image 0"). */
static effad_status check_thresholds(cursor *c, uint32_t count, const char *whose, size_t li, effad_error *e)
{
    for (uint32_t t = 0; t < count; t++) {
        const uint8_t *name = c->p + c->at;
        size_t nl = 0;
        while (nl < GAUSS_THRESHOLD_NAME && name[nl]) nl++;
        if (nl == 0 || nl == GAUSS_THRESHOLD_NAME)
            return effad_fail(e, EFFAD_ERR_FORMAT, "%s %zu: threshold %u has an empty or "
                              "unterminated name", whose, li, t);
        for (size_t k = nl; k < GAUSS_THRESHOLD_NAME; k++)
            if (name[k]) return effad_fail(e, EFFAD_ERR_FORMAT, "%s %zu: threshold %u name "
                                           "is not NUL-padded", whose, li, t);
        c->at += GAUSS_THRESHOLD_NAME;
        if (isnan(take_f64(c)))
            return effad_fail(e, EFFAD_ERR_FORMAT, "%s %zu: threshold '%s' is NaN", whose, li,
                              (const char *)name);
    }
    return EFFAD_OK;
}

/* ------------------------------------------------------------ header */

effad_status gauss_file_check_header(const uint8_t *buf, size_t len, gauss_file_header *h, effad_error *e)
{
    memset(h, 0, sizeof *h);
    if (len < GAUSS_FILE_HEADER_BYTES)
        return effad_fail(e, EFFAD_ERR_FORMAT, "truncated: %zu bytes, a .gauss header is %u",
                          len, GAUSS_FILE_HEADER_BYTES);
    if (memcmp(buf, GAUSS_FILE_MAGIC, 8))
        return effad_fail(e, EFFAD_ERR_FORMAT, "not a .gauss file (bad magic)");
    cursor c = { buf, 8, len };
    uint32_t version = take_u32(&c), hb = take_u32(&c);
    uint64_t fb = take_u64(&c);
    uint32_t crc = take_u32(&c);
    /* Versions 1 to 3 share the header and the level records; version 3
     * appends the map section after the last level, which gauss-file.c
     * decodes (gauss-maps-file.c) and the in-place reader steps over. */
    if (version < GAUSS_FILE_OLDEST_VERSION || version > GAUSS_FILE_VERSION_MAPS)
        return effad_fail(e, EFFAD_ERR_UNSUPPORTED, ".gauss version %u; this build reads "
                          "versions %u to %u", version, GAUSS_FILE_OLDEST_VERSION, GAUSS_FILE_VERSION_MAPS);
    h->version = version;
    if (hb != GAUSS_FILE_HEADER_BYTES)
        return effad_fail(e, EFFAD_ERR_FORMAT, "header size %u, expected %u", hb, GAUSS_FILE_HEADER_BYTES);
    if (fb != len)
        return effad_fail(e, EFFAD_ERR_FORMAT, "%s: header says %llu bytes, file has %zu",
                          fb > len ? "truncated" : "trailing bytes", (unsigned long long)fb, len);
    uint32_t actual = gauss_file_crc(buf, len);
    if (crc != actual)
        return effad_fail(e, EFFAD_ERR_FORMAT, "checksum mismatch (stored %x, computed %x): "
                          "the file is corrupt", crc, actual);
    h->n_levels = take_u32(&c);
    h->model_hash = take_u64(&c);
    h->input_h = take_u32(&c);
    h->input_w = take_u32(&c);
    h->input_c = take_u32(&c);
    uint32_t lp = take_u32(&c), lt = take_u32(&c), nti = take_u32(&c);
    /* a model of no level has no score: its thresholds would be 0 / 0 */
    if (h->n_levels == 0 || h->n_levels > GAUSS_FILE_MAX_LEVELS || nti > GAUSS_MAX_THRESHOLDS)
        return effad_fail(e, EFFAD_ERR_FORMAT, "%u levels (1..%u) or %u image thresholds (at most %u)",
                          h->n_levels, GAUSS_FILE_MAX_LEVELS, nti, GAUSS_MAX_THRESHOLDS);
    if (lp > GAUSS_FILE_MAX_STRING || lt > GAUSS_FILE_MAX_STRING || !have(&c, pad8((size_t)lp + lt)))
        return effad_fail(e, EFFAD_ERR_FORMAT, "strings of %u + %u bytes do not fit", lp, lt);
    if (memchr(buf + c.at, 0, (size_t)lp + lt))
        return effad_fail(e, EFFAD_ERR_FORMAT, "preset or tap string contains a NUL byte");
    h->preset = (const char *)buf + c.at;
    h->preset_len = lp;
    effad_status rs = prep_spec_split(h->preset, lp, &h->spec, e);
    if (rs) return rs;
    h->taps = h->preset + lp;
    h->taps_len = lt;
    for (c.at += (size_t)lp + lt; c.at % 8; c.at++)
        if (buf[c.at]) return effad_fail(e, EFFAD_ERR_FORMAT, "nonzero padding");
    if (!have(&c, (uint64_t)nti * GAUSS_FILE_THRESHOLD_BYTES))
        return effad_fail(e, EFFAD_ERR_FORMAT, "truncated image thresholds");
    h->thresholds = buf + c.at;
    h->n_thresholds = nti;
    effad_status st = check_thresholds(&c, nti, "image", 0, e);
    h->levels_at = c.at;
    return st;
}

/* ------------------------------------------------------------ levels */

static effad_status check_stats(cursor *c, size_t li, uint32_t d, effad_error *e)
{
    uint64_t tri = (uint64_t)d * (d + 1) / 2;
    uint64_t n = take_u64(c);
    double sum_y4 = take_f64(c);
    uint64_t count = 3 * (uint64_t)d + tri;
    int finite = isfinite(sum_y4) && sum_y4 >= 0 && first_nonfinite(c->p + c->at, count) == count;
    c->at += (size_t)(8 * count);
    if (!finite)
        return effad_fail(e, EFFAD_ERR_FORMAT, "level %zu: statistics hold a non-finite or "
                          "negative value", li);
    if (n == 0)
        return effad_fail(e, EFFAD_ERR_FORMAT, "level %zu: statistics of zero samples (offset %zu)",
                          li, c->at);
    return EFFAD_OK;
}

static effad_status check_features(cursor *c, size_t li, uint32_t d, const uint8_t **rows, uint64_t *n_rows,
                                   effad_error *e)
{
    if (!have(c, 8))
        return effad_fail(e, EFFAD_ERR_FORMAT, "level %zu: truncated feature cache (offset %zu)", li, c->at);
    uint64_t nf = take_u64(c);
    /* in 64 bits: 4 * nf * d can pass 4 GB, which a 32-bit size_t would wrap */
    if (nf == 0 || nf > GAUSS_FILE_MAX_FEATURE_ROWS || !have(c, (4 * nf * d + 7) & ~(uint64_t)7))
        return effad_fail(e, EFFAD_ERR_FORMAT, "level %zu: feature cache of %llu rows does not fit",
                          li, (unsigned long long)nf);
    *rows = c->p + c->at;
    *n_rows = nf;
    for (uint64_t k = 0; k < nf * d; k++) {
        uint32_t u = take_u32(c);
        float f;
        memcpy(&f, &u, sizeof f);
        if (!isfinite(f))
            return effad_fail(e, EFFAD_ERR_FORMAT, "level %zu: cached feature %llu is not finite", li,
                              (unsigned long long)k);
    }
    for (; c->at % 8; c->at++)
        if (c->p[c->at])
            return effad_fail(e, EFFAD_ERR_FORMAT, "level %zu: nonzero padding after the feature "
                              "cache (offset %zu)", li, c->at);
    return EFFAD_OK;
}

effad_status gauss_file_check_level(const uint8_t *buf, size_t len, size_t at, size_t li,
                                    gauss_file_level *lv, effad_error *e)
{
    memset(lv, 0, sizeof *lv);
    cursor c = { buf, at, len };
    if (at > len || !have(&c, 32))
        return effad_fail(e, EFFAD_ERR_FORMAT, "level %zu: truncated level header (offset %zu)", li, at);
    uint32_t d = take_u32(&c), nt = take_u32(&c);
    uint64_t n = take_u64(&c);
    double shrinkage = take_f64(&c);
    uint32_t flags = take_u32(&c), zero = take_u32(&c);
    if (d == 0 || d > GAUSS_MAX_DIM)
        return effad_fail(e, EFFAD_ERR_FORMAT, "level %zu: dimension %u outside 1..%u", li, d,
                          GAUSS_MAX_DIM);
    if (nt > GAUSS_MAX_THRESHOLDS)
        return effad_fail(e, EFFAD_ERR_FORMAT, "level %zu: %u thresholds, at most %u allowed",
                          li, nt, GAUSS_MAX_THRESHOLDS);
    if (flags & ~(GAUSS_LEVEL_HAS_STATS | GAUSS_LEVEL_HAS_FEATURES) || zero)
        return effad_fail(e, EFFAD_ERR_FORMAT, "level %zu: unknown flags %x", li, flags);
    if (!(shrinkage >= 0 && shrinkage <= 1))
        return effad_fail(e, EFFAD_ERR_FORMAT, "level %zu: shrinkage %g outside [0, 1]", li,
                          shrinkage);
    if (n == 0)
        return effad_fail(e, EFFAD_ERR_FORMAT, "level %zu: fitted on zero samples (offset %zu)", li, c.at);
    uint64_t tri = (uint64_t)d * (d + 1) / 2;
    uint64_t need = (uint64_t)nt * GAUSS_FILE_THRESHOLD_BYTES + 8 * ((uint64_t)d + tri);
    if (flags & GAUSS_LEVEL_HAS_STATS) need += 16 + 8 * (3 * (uint64_t)d + tri);
    if (!have(&c, need))
        return effad_fail(e, EFFAD_ERR_FORMAT, "level %zu: truncated: %u-dim level needs %llu "
                          "more bytes, %zu left", li, d, (unsigned long long)need, len - c.at);
    lv->thresholds = buf + c.at;
    effad_status st = check_thresholds(&c, nt, "level", li, e);
    if (st) return st;
    lv->dim = d;
    lv->n_thresholds = nt;
    lv->n = n;
    lv->shrinkage = shrinkage;
    lv->mean = buf + c.at;
    uint64_t bad = first_nonfinite(lv->mean, d);
    if (bad < d)
        return effad_fail(e, EFFAD_ERR_FORMAT, "level %zu: mean[%llu] is not finite", li,
                          (unsigned long long)bad);
    c.at += 8 * (size_t)d;
    lv->chol = buf + c.at;
    for (size_t j = 0; j < d; j++)
        for (size_t k = 0; k <= j; k++) {
            double v = take_f64(&c);
            if (!isfinite(v) || (k == j && !(v > 0)))
                return effad_fail(e, EFFAD_ERR_FORMAT, "level %zu: Cholesky factor entry "
                                  "(%zu, %zu) = %g is invalid", li, j, k, v);
        }
    if (flags & GAUSS_LEVEL_HAS_STATS) {
        lv->stats = buf + c.at;
        if ((st = check_stats(&c, li, d, e))) return st;
    }
    if (flags & GAUSS_LEVEL_HAS_FEATURES) {
        if ((st = check_features(&c, li, d, &lv->features, &lv->n_features, e))) return st;
    }
    lv->end = c.at;
    return EFFAD_OK;
}
