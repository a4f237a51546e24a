/*
 * gauss-view.c -- the `.gauss` file validated and scored in place (see
 * gauss-view.h; the layout is documented in gauss-file.c).
 *
 * Every check gauss_file_decode makes is made here too, in the same order
 * and with the same words, so a file one reader refuses the other refuses:
 * the host test (tests/unit/test-gauss-view.c) feeds both the same
 * truncations and corruptions. Nothing is copied; a level keeps pointers
 * to its mean and its packed Cholesky factor, and the statistics and
 * training features that follow are validated and skipped.
 */
#include <math.h>
#include <string.h>
#include "checksum.h"
#include "gauss-format.h"
#include "gauss-view.h"
#include "gauss.h"
#include "le.h"

/* ------------------------------------------------------ byte cursor */

typedef struct cursor { const uint8_t *p; size_t at, len; } cursor;

static int have(const cursor *c, uint64_t n) { return n <= c->len - c->at; }

static double le_f64(const uint8_t *p)
{
    uint64_t u = le_u64(p);
    double v;
    memcpy(&v, &u, sizeof v);
    return v;
}

static uint32_t take_u32(cursor *c) { c->at += 4; return le_u32(c->p + c->at - 4); }
static uint64_t take_u64(cursor *c) { c->at += 8; return le_u64(c->p + c->at - 8); }
static double take_f64(cursor *c) { c->at += 8; return le_f64(c->p + c->at - 8); }

/* Index of the first non-finite one of count doubles at p, or count. */
static uint64_t first_nonfinite(const uint8_t *p, uint64_t count)
{
    for (uint64_t i = 0; i < count; i++)
        if (!isfinite(le_f64(p + 8 * i))) return i;
    return count;
}

static size_t pad8(size_t n) { return (n + 7) & ~(size_t)7; }

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

static effad_status check_features(cursor *c, size_t li, uint32_t d, effad_error *e)
{
    if (!have(c, 8))
        return effad_fail(e, EFFAD_ERR_FORMAT, "level %zu: truncated feature cache (offset %zu)", li, c->at);
    uint64_t nf = take_u64(c);
    /* in 64 bits: 4 * nf * d can pass 4 GB, which a 32-bit size_t would wrap */
    if (nf == 0 || nf > GAUSS_FILE_MAX_FEATURE_ROWS || !have(c, (4 * nf * d + 7) & ~(uint64_t)7))
        return effad_fail(e, EFFAD_ERR_FORMAT, "level %zu: feature cache of %llu rows does not fit",
                          li, (unsigned long long)nf);
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

static effad_status open_level(cursor *c, size_t li, gauss_view_level *lv, effad_error *e)
{
    if (!have(c, 32))
        return effad_fail(e, EFFAD_ERR_FORMAT, "level %zu: truncated level header (offset %zu)", li, c->at);
    uint32_t d = take_u32(c), nt = take_u32(c);
    uint64_t n = take_u64(c);
    double shrinkage = take_f64(c);
    uint32_t flags = take_u32(c), zero = take_u32(c);
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
        return effad_fail(e, EFFAD_ERR_FORMAT, "level %zu: fitted on zero samples (offset %zu)", li, c->at);
    uint64_t tri = (uint64_t)d * (d + 1) / 2;
    uint64_t need = (uint64_t)nt * (GAUSS_THRESHOLD_NAME + 8) + 8 * ((uint64_t)d + tri);
    if (flags & GAUSS_LEVEL_HAS_STATS) need += 16 + 8 * (3 * (uint64_t)d + tri);
    if (!have(c, need))
        return effad_fail(e, EFFAD_ERR_FORMAT, "level %zu: truncated: %u-dim level needs %llu "
                          "more bytes, %zu left", li, d, (unsigned long long)need, c->len - c->at);
    effad_status st = check_thresholds(c, nt, "level", li, e);
    if (st) return st;

    lv->dim = d;
    lv->n = n;
    lv->shrinkage = shrinkage;
    lv->mean = c->p + c->at;
    uint64_t bad = first_nonfinite(lv->mean, d);
    if (bad < d)
        return effad_fail(e, EFFAD_ERR_FORMAT, "level %zu: mean[%llu] is not finite", li,
                          (unsigned long long)bad);
    c->at += 8 * (size_t)d;
    lv->chol = c->p + c->at;
    for (size_t j = 0; j < d; j++)
        for (size_t k = 0; k <= j; k++) {
            double v = take_f64(c);
            if (!isfinite(v) || (k == j && !(v > 0)))
                return effad_fail(e, EFFAD_ERR_FORMAT, "level %zu: Cholesky factor entry "
                                  "(%zu, %zu) = %g is invalid", li, j, k, v);
        }
    if ((flags & GAUSS_LEVEL_HAS_STATS) && (st = check_stats(c, li, d, e))) return st;
    if ((flags & GAUSS_LEVEL_HAS_FEATURES) && (st = check_features(c, li, d, e))) return st;
    return EFFAD_OK;
}

/* ---------------------------------------------------- tap description */

/* "<tap rule>:<i>,<j>,..." (level_sel_format) or "<tap rule>:all": which
 * model tap each level scores. */
static effad_status parse_taps(gauss_view *v, const char *s, size_t len, effad_error *e)
{
    const char *colon = memchr(s, ':', len), *end = s + len;
    if (!colon) return effad_fail(e, EFFAD_ERR_FORMAT, "no level description (tap list)");
    v->tap_rule = s;
    v->tap_rule_len = (size_t)(colon - s);
    const char *p = colon + 1;
    if (end - p == 3 && !memcmp(p, "all", 3)) {
        for (size_t l = 0; l < v->n_levels; l++) v->levels[l].tap = (int)l;
        return EFFAD_OK;
    }
    size_t l = 0;
    while (p < end) {
        if (l == v->n_levels || *p < '0' || *p > '9')
            return effad_fail(e, EFFAD_ERR_FORMAT, "tap list: expected %zu comma-separated tap "
                              "numbers", v->n_levels);
        int t = 0;
        while (p < end && *p >= '0' && *p <= '9') {
            t = t * 10 + (*p++ - '0');
            if (t >= EFFAD_MAX_TAPS)
                return effad_fail(e, EFFAD_ERR_FORMAT, "tap list: a tap number above %d",
                                  EFFAD_MAX_TAPS - 1);
        }
        for (size_t k = 0; k < l; k++)
            if (v->levels[k].tap == t) return effad_fail(e, EFFAD_ERR_FORMAT, "tap list: tap %d twice", t);
        v->levels[l++].tap = t;
        if (p < end && (*p++ != ',' || p == end))
            return effad_fail(e, EFFAD_ERR_FORMAT, "tap list: expected a comma-separated list");
    }
    if (l != v->n_levels)
        return effad_fail(e, EFFAD_ERR_FORMAT, "tap list names %zu taps for %zu levels", l, v->n_levels);
    return EFFAD_OK;
}

/* ------------------------------------------------------------- open */

static uint32_t file_crc(const uint8_t *buf, size_t len)
{
    static const uint8_t zero[4];
    uint32_t c = crc32_update(0, buf, GAUSS_FILE_CRC_OFFSET);
    c = crc32_update(c, zero, 4);
    return crc32_update(c, buf + GAUSS_FILE_CRC_OFFSET + 4, len - GAUSS_FILE_CRC_OFFSET - 4);
}

static effad_status open_checked(gauss_view *v, const uint8_t *buf, size_t len, effad_error *e)
{
    if (len < GAUSS_FILE_HEADER_BYTES)
        return effad_fail(e, EFFAD_ERR_FORMAT, "truncated: %zu bytes, a .gauss header is %u",
                          len, GAUSS_FILE_HEADER_BYTES);
    if (memcmp(buf, GAUSS_FILE_MAGIC, 8))
        return effad_fail(e, EFFAD_ERR_FORMAT, "not a .gauss file (bad magic)");
    cursor c = { buf, 8, len };
    uint32_t version = take_u32(&c), hb = take_u32(&c);
    uint64_t fb = take_u64(&c);
    uint32_t crc = take_u32(&c);
    /* A new version (e.g. one with per-location maps) plugs in here: its
     * header checks below stay shared, and open_level dispatches on the
     * version for the level records. Until then, any other version is
     * refused rather than half-understood. */
    if (version != GAUSS_FILE_VERSION)
        return effad_fail(e, EFFAD_ERR_UNSUPPORTED, ".gauss version %u; this build reads "
                          "version %u", version, GAUSS_FILE_VERSION);
    if (hb != GAUSS_FILE_HEADER_BYTES)
        return effad_fail(e, EFFAD_ERR_FORMAT, "header size %u, expected %u", hb, GAUSS_FILE_HEADER_BYTES);
    if (fb != len)
        return effad_fail(e, EFFAD_ERR_FORMAT, "%s: header says %llu bytes, file has %zu",
                          fb > len ? "truncated" : "trailing bytes", (unsigned long long)fb, len);
    uint32_t actual = file_crc(buf, len);
    if (crc != actual)
        return effad_fail(e, EFFAD_ERR_FORMAT, "checksum mismatch (stored %x, computed %x): "
                          "the file is corrupt", crc, actual);
    uint32_t nl = take_u32(&c);
    v->model_hash = take_u64(&c);
    v->input_h = take_u32(&c);
    v->input_w = take_u32(&c);
    v->input_c = take_u32(&c);
    uint32_t lp = take_u32(&c), lt = take_u32(&c), nti = take_u32(&c);
    if (nl > GAUSS_FILE_MAX_LEVELS || nti > GAUSS_MAX_THRESHOLDS)
        return effad_fail(e, EFFAD_ERR_FORMAT, "%u levels (at most %u) or %u image thresholds (at most %u)",
                          nl, GAUSS_FILE_MAX_LEVELS, nti, GAUSS_MAX_THRESHOLDS);
    if (nl == 0) return effad_fail(e, EFFAD_ERR_FORMAT, "no levels: nothing to score with");
    if (nl > GAUSS_VIEW_MAX_LEVELS)
        return effad_fail(e, EFFAD_ERR_UNSUPPORTED, "%u levels; a model has at most %d taps", nl,
                          GAUSS_VIEW_MAX_LEVELS);
    v->n_levels = nl;
    if (lp > GAUSS_FILE_MAX_STRING || lt > GAUSS_FILE_MAX_STRING || !have(&c, pad8((size_t)lp + lt)))
        return effad_fail(e, EFFAD_ERR_FORMAT, "strings of %u + %u bytes do not fit", lp, lt);
    if (memchr(buf + c.at, 0, (size_t)lp + lt))
        return effad_fail(e, EFFAD_ERR_FORMAT, "preset or tap string contains a NUL byte");
    v->preset = (const char *)buf + c.at;
    v->preset_len = lp;
    v->combine_mean = gauss_preset_combines_by_mean(v->preset, lp);
    effad_status st = parse_taps(v, (const char *)buf + c.at + lp, lt, e);
    if (st) return st;
    for (c.at += (size_t)lp + lt; c.at % 8; c.at++)
        if (buf[c.at]) return effad_fail(e, EFFAD_ERR_FORMAT, "nonzero padding");
    if (!have(&c, (uint64_t)nti * (GAUSS_THRESHOLD_NAME + 8)))
        return effad_fail(e, EFFAD_ERR_FORMAT, "truncated image thresholds");
    if (nti) {
        v->has_threshold = 1;
        v->threshold_name = (const char *)buf + c.at;
        v->threshold = le_f64(buf + c.at + GAUSS_THRESHOLD_NAME);
    }
    if ((st = check_thresholds(&c, nti, "image", 0, e))) return st;
    for (size_t l = 0; l < nl; l++) {
        if ((st = open_level(&c, l, &v->levels[l], e))) return st;
        if (v->levels[l].dim > v->max_dim) v->max_dim = v->levels[l].dim;
    }
    if (c.at != len)
        return effad_fail(e, EFFAD_ERR_FORMAT, "%zu unexplained bytes after the last level", len - c.at);
    v->bytes = buf;
    v->n_bytes = len;
    return EFFAD_OK;
}

effad_status gauss_view_open(gauss_view *v, const void *bytes, size_t n_bytes, effad_error *e)
{
    memset(v, 0, sizeof *v);
    if (!bytes) return effad_fail(e, EFFAD_ERR_ARG, "no .gauss bytes");
    effad_status st = open_checked(v, bytes, n_bytes, e);
    if (st) memset(v, 0, sizeof *v);
    return st;
}

/* --------------------------------------------------- against a model */

effad_status gauss_view_check_model(const gauss_view *v, const effad_model *m, effad_error *e)
{
    size_t rl = strlen(m->tap_rule);
    if (v->tap_rule_len != rl || memcmp(v->tap_rule, m->tap_rule, rl)) {
        char rule[32];   /* effad_fail has no %.*s */
        size_t n = v->tap_rule_len < sizeof rule - 1 ? v->tap_rule_len : sizeof rule - 1;
        memcpy(rule, v->tap_rule, n);
        rule[n] = 0;
        return effad_fail(e, EFFAD_ERR_MISMATCH, "fitted on '%s' taps, the model has '%s' taps", rule,
                          m->tap_rule);
    }
    if (v->model_hash != m->hash)
        return effad_fail(e, EFFAD_ERR_MISMATCH, "fitted with a different model (hash %llx; this "
                          "model is %llx)", (unsigned long long)v->model_hash, (unsigned long long)m->hash);
    if (v->input_h != (uint32_t)m->in_h || v->input_w != (uint32_t)m->in_w)
        return effad_fail(e, EFFAD_ERR_MISMATCH, "fitted at %ux%u, the model runs at %dx%d",
                          v->input_h, v->input_w, m->in_h, m->in_w);
    for (size_t l = 0; l < v->n_levels; l++) {
        int t = v->levels[l].tap;
        if (t >= m->n_taps)
            return effad_fail(e, EFFAD_ERR_MISMATCH, "level %zu scores tap %d; the model has %d taps",
                              l, t, m->n_taps);
        if (v->levels[l].dim != (uint32_t)m->taps[t].channels)
            return effad_fail(e, EFFAD_ERR_MISMATCH, "level %zu has %u features, the model's tap %d has %d",
                              l, v->levels[l].dim, t, m->taps[t].channels);
    }
    return EFFAD_OK;
}

/* ------------------------------------------------------------ scoring */

double gauss_view_distance(const gauss_view_level *lv, const float *x, double *work)
{
    /* z = L^-1 (x - mean) by forward substitution; distance^2 = |z|^2.
     * Row i of the packed factor starts i(i+1)/2 entries in. */
    double *z = work, r = 0;
    const uint8_t *row = lv->chol;
    for (size_t i = 0; i < lv->dim; i++) {
        double s = (double)x[i] - le_f64(lv->mean + 8 * i);
        for (size_t k = 0; k < i; k++) s -= le_f64(row + 8 * k) * z[k];
        z[i] = s / le_f64(row + 8 * i);
        r += z[i] * z[i];
        row += 8 * (i + 1);
    }
    return sqrt(r);
}

double gauss_view_score(const gauss_view *v, const float *const *tap_vectors, double *level_distances,
                        double *work)
{
    double total = 0;
    for (size_t l = 0; l < v->n_levels; l++) {
        double dl = gauss_view_distance(&v->levels[l], tap_vectors[v->levels[l].tap], work);
        if (level_distances) level_distances[l] = dl;
        total += dl;
    }
    return v->combine_mean ? total / (double)v->n_levels : total;
}

int gauss_preset_combines_by_mean(const char *preset, size_t len)
{
    return len == 5 && !memcmp(preset, "paper", 5);
}
