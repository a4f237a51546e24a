/*
 * gauss-view.c -- the `.gauss` file validated and scored in place (see
 * gauss-view.h; the layout is documented in gauss-file.c).
 *
 * The file is validated by gauss-format.c, the same checks
 * gauss_file_decode relies on, so a file one reader refuses the other
 * refuses with the same message; the view adds only what scoring needs (at
 * least one level, no more levels than a model has taps, a tap list it can
 * read). Nothing is copied: a level keeps pointers to its mean and its
 * packed Cholesky factor; the statistics and training features that follow
 * are validated and skipped.
 */
#include <math.h>
#include <string.h>
#include "gauss-format.h"
#include "gauss-view.h"
#include "gauss.h"

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

static effad_status open_checked(gauss_view *v, const uint8_t *buf, size_t len, effad_error *e)
{
    gauss_file_header h;
    effad_status st = gauss_file_check_header(buf, len, &h, e);
    if (st) return st;
    /* a level scores one of the model's taps: more levels than a model
     * has taps cannot be scored against any model */
    if (h.n_levels > GAUSS_VIEW_MAX_LEVELS)
        return effad_fail(e, EFFAD_ERR_UNSUPPORTED, "%u levels; a model has at most %d taps", h.n_levels,
                          GAUSS_VIEW_MAX_LEVELS);
    /* the template that ends such a file finds each image's region: work
     * for the host's image pipeline (align.h), not for a device scoring
     * what it is handed */
    if (h.spec.align)
        return effad_fail(e, EFFAD_ERR_UNSUPPORTED, "the model aligns each image (fit --align %d): fit the device's "
                          "model without --align, its region fixed", h.spec.align);
    v->n_levels = h.n_levels;
    v->model_hash = h.model_hash;
    v->input_h = h.input_h;
    v->input_w = h.input_w;
    v->input_c = h.input_c;
    v->preset = h.preset;
    v->preset_len = h.spec.name_len;
    v->roi = h.spec.roi;
    v->rgb16 = h.spec.rgb16;
    v->combine_mean = gauss_preset_combines_by_mean(h.preset, h.spec.name_len);
    if ((st = parse_taps(v, h.taps, h.taps_len, e))) return st;
    if (h.n_thresholds) {
        v->has_threshold = 1;
        v->threshold_name = (const char *)h.thresholds;
        v->threshold = gauss_le_f64(h.thresholds + GAUSS_THRESHOLD_NAME);
    }
    size_t at = h.levels_at;
    for (size_t l = 0; l < h.n_levels; l++) {
        gauss_file_level r;
        if ((st = gauss_file_check_level(buf, len, at, l, &r, e))) return st;
        v->levels[l].dim = r.dim;
        v->levels[l].n = r.n;
        v->levels[l].shrinkage = r.shrinkage;
        v->levels[l].mean = r.mean;
        v->levels[l].chol = r.chol;
        if (r.dim > v->max_dim) v->max_dim = r.dim;
        at = r.end;
    }
    /* version 3's map section follows the levels: not used here (the
     * device scores images, not maps), and checked by its CRC only */
    if (at != len && h.version != GAUSS_FILE_VERSION_MAPS)
        return effad_fail(e, EFFAD_ERR_FORMAT, "%zu unexplained bytes after the last level", len - at);
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

/* gauss_dot (gauss.h) of a little-endian row and z: the same four sums
 * in the same order, so a view scores the bits the host does. */
static double dot_le(const uint8_t *row, const double *z, size_t n)
{
    double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    size_t k = 0;
    for (; k + 4 <= n; k += 4) {
        s0 += gauss_le_f64(row + 8 * k) * z[k];
        s1 += gauss_le_f64(row + 8 * (k + 1)) * z[k + 1];
        s2 += gauss_le_f64(row + 8 * (k + 2)) * z[k + 2];
        s3 += gauss_le_f64(row + 8 * (k + 3)) * z[k + 3];
    }
    for (; k < n; k++) s0 += gauss_le_f64(row + 8 * k) * z[k];
    return (s0 + s1) + (s2 + s3);
}

double gauss_view_distance(const gauss_view_level *lv, const float *x, double *work)
{
    /* z = L^-1 (x - mean) by forward substitution, as
     * gauss_mahalanobis_chol; distance^2 = |z|^2. Row i of the packed
     * factor starts i(i+1)/2 entries in. */
    double *z = work, r = 0;
    const uint8_t *row = lv->chol;
    for (size_t i = 0; i < lv->dim; i++) {
        double s = ((double)x[i] - gauss_le_f64(lv->mean + 8 * i)) - dot_le(row, z, i);
        z[i] = s / gauss_le_f64(row + 8 * i);
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
