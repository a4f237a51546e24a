/*
 * gauss-file.c -- the `.gauss` model file: versioned, little-endian,
 * checksummed, every size and offset validated on read.
 *
 * Layout, version 2 (all integers little-endian, doubles as their IEEE-754
 * bit pattern in a little-endian u64; encoded byte by byte so big-endian
 * hosts read and write the same bytes):
 *
 *   header, 64 bytes
 *     0  char[8] magic "EFFGAUSS"
 *     8  u32 version (2; 1 is read too: the same layout, but written
 *        before the presets were renamed -- preprocess_preset_renamed()
 *        maps its preset name to today's, see gauss_model.preset_stored)
 *    12  u32 header bytes (64)
 *    16  u64 file bytes
 *    24  u32 CRC-32 (IEEE, as zlib) of the whole file with this field zero
 *    28  u32 number of levels
 *    32  u64 model hash (of the .efm the features came from; opaque here)
 *    40  u32 input height, 44 u32 input width, 48 u32 input channels
 *    52  u32 preset name bytes, 56 u32 tap description bytes,
 *    60  u32 image-level thresholds T
 *   preset name, tap description (no NULs), zero padding to 8 bytes; the
 *     preset name may carry the region of interest and the 16-bit rule,
 *     "ailia;roi=X,Y,W,H;rgb16=pil" (prep-spec.h; only written when they
 *     are not the defaults, so files with the defaults read in builds that
 *     predate them, and those refuse the others as an unknown preset
 *     instead of preprocessing the images otherwise)
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
 * Version 3 is version 2 followed by the per-location map Gaussians
 * (gauss-maps-file.c describes the section). A model without maps is
 * written as version 2, so builds that predate the maps keep reading it;
 * versions 1 to 3 are read.
 *
 * A model that aligns its images (fit --align, align.h; the preset string
 * says ";align=R" after its region) ends with the template, after the
 * levels and any map section:
 *   u32 width, u32 height (the region's), u32 range R, u32 zero,
 *   u8[width * height] grey values, zero padding to 8 bytes
 * Builds before it refuse the file by the preset string's key.
 *
 * The CRC covers the header too, so a flipped size field is caught before
 * it is believed; the structural checks still run, since a file can be
 * well-sealed and wrong (written by a buggy or hostile tool). Both run in
 * gauss-format.c, which the in-place reader (gauss-view.c) shares.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "align.h"
#include "atomic-file.h"
#include "big-buffer.h"
#include "checksum.h"
#include "gauss-codec.h"
#include "gauss-format.h"
#include "gauss.h"
#include "preprocess.h"
#include "prep-spec.h"

/* ------------------------------------------------------------ sizes */

static size_t pad8(size_t n) { return (n + 7) & ~(size_t)7; }

/* The preset string as stored: the name, then the region of interest and
 * the 16-bit rule when they are not the defaults (prep-spec.h); suffix
 * gets the part after the name. */
static size_t stored_preset_bytes(const gauss_model *m, char suffix[PREP_SPEC_SUFFIX_BYTES])
{
    prep_spec_suffix(&m->roi, m->align ? m->align->range : 0, m->rgb16, suffix);
    return (m->preset ? strlen(m->preset) : 0) + strlen(suffix);
}

static uint64_t level_bytes(size_t d, size_t n_thresholds, int with_stats, uint64_t n_features, int with_features)
{
    uint64_t tri = (uint64_t)d * (d + 1) / 2;
    uint64_t b = 32 + n_thresholds * (GAUSS_THRESHOLD_NAME + 8) + 8 * ((uint64_t)d + tri);
    if (with_stats) b += 16 + 8 * (3 * (uint64_t)d + tri);
    if (with_features) b += 8 + ((4 * n_features * d + 7) & ~(uint64_t)7);
    return b;
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

size_t gauss_file_size(const gauss_model *m)
{
    char suffix[PREP_SPEC_SUFFIX_BYTES];
    size_t lp = stored_preset_bytes(m, suffix), lt = m->taps ? strlen(m->taps) : 0;
    if (lp > GAUSS_FILE_MAX_STRING || lt > GAUSS_FILE_MAX_STRING || m->n_levels == 0 || m->n_levels > GAUSS_FILE_MAX_LEVELS)
        return 0;
    if (check_feature_rows(m, NULL)) return 0;
    if (m->n_thresholds > GAUSS_MAX_THRESHOLDS) return 0;
    uint64_t total = GAUSS_FILE_HEADER_BYTES + pad8(lp + lt) + m->n_thresholds * (GAUSS_THRESHOLD_NAME + 8);
    for (size_t i = 0; i < m->n_levels; i++) {
        const gauss_level *lv = &m->levels[i];
        if (lv->dim == 0 || lv->dim > GAUSS_MAX_DIM || lv->n_thresholds > GAUSS_MAX_THRESHOLDS)
            return 0;
        if (lv->stats && lv->stats->dim != lv->dim) return 0;
        if (lv->features && lv->n_features > GAUSS_FILE_MAX_FEATURE_ROWS) return 0;
        total += level_bytes(lv->dim, lv->n_thresholds, lv->stats != NULL, lv->n_features, lv->features != NULL);
    }
    if (m->maps) {
        uint64_t mb = gauss_maps_section_bytes(m->maps);
        if (!mb) return 0;
        total += mb;
    }
    if (m->align) {
        if (m->align->w != m->roi.w || m->align->h != m->roi.h) return 0;
        total += 16 + pad8((size_t)m->align->w * (size_t)m->align->h);
    }
    return total > SIZE_MAX ? 0 : (size_t)total;
}

/* ------------------------------------------------------------ encode */

static void put_threshold(writer *w, const gauss_threshold *t)
{
    char name[GAUSS_THRESHOLD_NAME] = { 0 };
    size_t nl = strnlen(t->name, GAUSS_THRESHOLD_NAME - 1);
    memcpy(name, t->name, nl);
    put_bytes(w, name, GAUSS_THRESHOLD_NAME);
    put_f64(w, t->value);
}

void gauss_codec_put_stats(writer *w, const gauss_stats *s)
{
    const size_t d = s->dim;
    put_u64(w, s->n);
    put_f64(w, s->sum_y4);
    put_f64s(w, s->shift, d);
    put_f64s(w, s->sum, d);
    put_f64s(w, s->sum_y2y, d);
    /* Samples still in the batch are folded in exactly as
     * gauss_stats_flush would, so the model can stay const. */
    if (!s->batch_n) put_f64s(w, s->cross, gauss_tri(d));   /* the file's order is the memory's */
    for (size_t j = 0; j < d && s->batch_n; j++)
        for (size_t k = j; k < d; k++)
            put_f64(w, s->cross[gauss_upper(d, j) + k] + gauss_dot(s->batch + j * GAUSS_STATS_BATCH,
                                                                   s->batch + k * GAUSS_STATS_BATCH, s->batch_n));
}

int gauss_codec_get_stats(reader *r, gauss_stats *s)
{
    size_t d = s->dim;
    s->n = get_u64(r);
    s->sum_y4 = get_f64(r);
    int ok = isfinite(s->sum_y4) && s->sum_y4 >= 0 && s->n > 0;
    for (size_t j = 0; j < d; j++) ok &= isfinite(s->shift[j] = get_f64(r));
    for (size_t j = 0; j < d; j++) ok &= isfinite(s->sum[j] = get_f64(r));
    for (size_t j = 0; j < d; j++) ok &= isfinite(s->sum_y2y[j] = get_f64(r));
    for (size_t j = 0; j < gauss_tri(d); j++) ok &= isfinite(s->cross[j] = get_f64(r));
    return ok;
}

int gauss_codec_check_stats(reader *r, size_t d, uint64_t *n)
{
    *n = get_u64(r);
    const double y4 = get_f64(r);
    int ok = isfinite(y4) && y4 >= 0 && *n > 0;
    for (uint64_t v = 0; v < 3 * (uint64_t)d + (uint64_t)d * (d + 1) / 2; v++) ok &= isfinite(get_f64(r));
    return ok;
}

/* The encoded size of m, or a message on why it cannot be encoded. */
static effad_status encodable(const gauss_model *m, size_t *len, effad_error *e)
{
    *len = gauss_file_size(m);
    if (!*len)
        return effad_fail(e, EFFAD_ERR_ARG, "model cannot be encoded (a level's size, the "
                          "thresholds or the strings are out of range)");
    for (size_t i = 0; i < m->n_levels; i++)
        if (!m->levels[i].mean || !m->levels[i].chol)
            return effad_fail(e, EFFAD_ERR_ARG, "level %zu has not been fitted", i);
    return EFFAD_OK;
}

/* The len bytes of the file, CRC field zero, through w. */
static void encode(writer *w, const gauss_model *m, size_t len)
{
    char suffix[PREP_SPEC_SUFFIX_BYTES];
    size_t lp = stored_preset_bytes(m, suffix), lt = m->taps ? strlen(m->taps) : 0;
    put_bytes(w, GAUSS_FILE_MAGIC, 8);
    put_u32(w, m->maps ? GAUSS_FILE_VERSION_MAPS : GAUSS_FILE_VERSION);
    put_u32(w, GAUSS_FILE_HEADER_BYTES);
    put_u64(w, (uint64_t)len);
    put_u32(w, 0);                 /* CRC, sealed by the caller */
    put_u32(w, (uint32_t)m->n_levels);
    put_u64(w, m->model_hash);
    put_u32(w, m->input_h);
    put_u32(w, m->input_w);
    put_u32(w, m->input_c);
    put_u32(w, (uint32_t)lp);
    put_u32(w, (uint32_t)lt);
    put_u32(w, (uint32_t)m->n_thresholds);
    put_bytes(w, m->preset, lp - strlen(suffix));
    put_bytes(w, suffix, strlen(suffix));
    put_bytes(w, m->taps, lt);
    put_pad8(w);
    for (size_t t = 0; t < m->n_thresholds; t++) put_threshold(w, &m->thresholds[t]);

    for (size_t i = 0; i < m->n_levels; i++) {
        const gauss_level *lv = &m->levels[i];
        size_t d = lv->dim;
        const gauss_stats *s = lv->stats;
        put_u32(w, (uint32_t)d);
        put_u32(w, (uint32_t)lv->n_thresholds);
        put_u64(w, lv->n);
        put_f64(w, lv->shrinkage);
        put_u32(w, (s ? GAUSS_LEVEL_HAS_STATS : 0) | (lv->features ? GAUSS_LEVEL_HAS_FEATURES : 0));
        put_u32(w, 0);
        for (size_t t = 0; t < lv->n_thresholds; t++) put_threshold(w, &lv->thresholds[t]);
        put_f64s(w, lv->mean, d);
        put_f64s(w, lv->chol, gauss_tri(d));
        if (s) gauss_codec_put_stats(w, s);
        if (lv->features) {
            put_u64(w, lv->n_features);
            put_f32s(w, lv->features, (size_t)lv->n_features * d);
            put_pad8(w);
        }
    }
    if (m->maps) gauss_maps_section_put(w, m->maps);
    if (m->align) {
        const align_template *t = m->align;
        put_u32(w, (uint32_t)t->w);
        put_u32(w, (uint32_t)t->h);
        put_u32(w, (uint32_t)t->range);
        put_u32(w, 0);
        put_bytes(w, t->grey, (size_t)t->w * (size_t)t->h);
        put_pad8(w);
    }
}

effad_status gauss_file_encode(const gauss_model *m, uint8_t *buf, size_t len, effad_error *e)
{
    size_t need;
    effad_status st = encodable(m, &need, e);
    if (st) return st;
    if (len != need)
        return effad_fail(e, EFFAD_ERR_ARG, "encode buffer is %zu bytes, the model needs %zu",
                          len, need);
    writer w = { .p = buf, .len = len };
    encode(&w, m, len);
    if (w.failed || w.at != len)   /* gauss_file_size and encode disagree: a bug, never a file */
        return effad_fail(e, EFFAD_ERR_ARG, "encoded %zu bytes of %zu", w.at, len);
    w.at = GAUSS_FILE_CRC_OFFSET;
    put_u32(&w, gauss_file_crc(buf, len));
    return EFFAD_OK;
}

/* The streamed write: each full buffer is appended to the temp file and
 * added to the CRC, which the header gets once everything is out (its
 * field went out as zero, as the CRC counts it). A whole-file buffer was
 * 16 MB of fresh memory for a B0 fit, cleared page by page by the kernel
 * (~25 ms in the 2-vCPU VM, a tenth of the fit's two-thread tail). */
typedef struct file_sink {
    atomic_out out;
    uint32_t crc;
    effad_error err;
} file_sink;

static int to_file(writer *w)
{
    file_sink *f = w->ctx;
    f->crc = crc32_update(f->crc, w->p, w->at);
    return atomic_file_append(&f->out, w->p, w->at, &f->err) != EFFAD_OK;
}

effad_status gauss_file_write_chunked(const char *path, const gauss_model *m, size_t chunk, effad_error *e)
{
    size_t len;
    effad_status st = encodable(m, &len, e);
    if (st) { effad_error_prefix(e, path); return st; }
    if (chunk < 8) return effad_fail(e, EFFAD_ERR_ARG, "%s: write buffer of %zu bytes (8 or more)", path, chunk);
    if (chunk > len) chunk = len;
    uint8_t *buf = malloc(chunk);
    if (!buf) return effad_fail(e, EFFAD_ERR_NOMEM, "%s: no memory for %zu bytes", path, chunk);
    file_sink f = { .crc = 0 };
    if ((st = atomic_file_begin(&f.out, path, 0, e))) { free(buf); return st; }
    writer w = { .p = buf, .len = chunk, .sink = to_file, .ctx = &f };
    encode(&w, m, len);
    writer_drain(&w);
    free(buf);
    if (w.failed) { atomic_file_abort(&f.out); *e = f.err; return e->status; }
    if (w.drained != len) {   /* gauss_file_size and encode disagree: a bug, never a file */
        atomic_file_abort(&f.out);
        return effad_fail(e, EFFAD_ERR_ARG, "%s: encoded %llu bytes of %zu", path, (unsigned long long)w.drained, len);
    }
    uint8_t crc[4];
    writer cw = { .p = crc, .len = 4 };
    put_u32(&cw, f.crc);
    if ((st = atomic_file_patch(&f.out, GAUSS_FILE_CRC_OFFSET, crc, 4, e))) return st;
    return atomic_file_commit(&f.out, e);
}

effad_status gauss_file_write(const char *path, const gauss_model *m, effad_error *e)
{
    return gauss_file_write_chunked(path, m, GAUSS_FILE_WRITE_CHUNK, e);
}

/* ------------------------------------------------------------ decode */

/* The bytes are validated by gauss-format.c (the checks the in-place
 * reader gauss-view.c shares); what follows only copies them out. */

static char *dup_string(const char *p, size_t n)
{
    char *s = malloc(n + 1);
    if (!s) return NULL;
    memcpy(s, p, n);
    s[n] = 0;
    return s;
}

static void copy_thresholds(const uint8_t *p, uint32_t n, gauss_threshold *out)
{
    for (uint32_t t = 0; t < n; t++, p += GAUSS_FILE_THRESHOLD_BYTES) {
        memcpy(out[t].name, p, GAUSS_THRESHOLD_NAME);
        out[t].value = gauss_le_f64(p + GAUSS_THRESHOLD_NAME);
    }
}

static effad_status copy_stats(const uint8_t *p, size_t li, gauss_level *lv, size_t d, effad_error *e)
{
    gauss_stats *s = malloc(sizeof *s);
    if (!s) return effad_fail(e, EFFAD_ERR_NOMEM, "level %zu: no memory for statistics", li);
    effad_status st = gauss_stats_init(s, d, e);
    if (st) { free(s); return st; }
    lv->stats = s;
    s->n = le_u64(p);
    s->sum_y4 = gauss_le_f64(p + 8);
    p += 16;
    for (size_t j = 0; j < d; j++, p += 8) s->shift[j] = gauss_le_f64(p);
    for (size_t j = 0; j < d; j++, p += 8) s->sum[j] = gauss_le_f64(p);
    for (size_t j = 0; j < d; j++, p += 8) s->sum_y2y[j] = gauss_le_f64(p);
    for (size_t j = 0; j < gauss_tri(d); j++, p += 8) s->cross[j] = gauss_le_f64(p);
    return EFFAD_OK;
}

static effad_status copy_level(const gauss_file_level *r, size_t li, gauss_level *lv, unsigned flags, effad_error *e)
{
    size_t d = r->dim;
    lv->dim = d;
    lv->n = r->n;
    lv->shrinkage = r->shrinkage;
    copy_thresholds(r->thresholds, r->n_thresholds, lv->thresholds);
    lv->n_thresholds = r->n_thresholds;
    lv->mean = malloc(d * sizeof *lv->mean);
    lv->chol = big_buffer(gauss_tri(d) * sizeof *lv->chol);
    if (!lv->mean || !lv->chol)
        return effad_fail(e, EFFAD_ERR_NOMEM, "level %zu: no memory for %zu dimensions", li, d);
    for (size_t j = 0; j < d; j++) lv->mean[j] = gauss_le_f64(r->mean + 8 * j);
    for (size_t j = 0; j < gauss_tri(d); j++) lv->chol[j] = gauss_le_f64(r->chol + 8 * j);
    if (flags & GAUSS_READ_NO_LEVEL_STATS) return EFFAD_OK;
    if (r->stats) {
        effad_status st = copy_stats(r->stats, li, lv, d, e);
        if (st) return st;
    }
    if (!r->features) return EFFAD_OK;
    size_t count = (size_t)r->n_features * d;
    if (!(lv->features = big_buffer(count * sizeof(float))))
        return effad_fail(e, EFFAD_ERR_NOMEM, "level %zu: no memory for the feature cache", li);
    lv->n_features = r->n_features;
    for (size_t k = 0; k < count; k++) lv->features[k] = le_f32(r->features + 4 * k);
    return EFFAD_OK;
}

/* The alignment template that ends a file whose preset string says
 * ";align=R": the region's size, that range, the grey values. */
static effad_status get_align(const uint8_t *buf, size_t len, size_t *at, const prep_spec *spec, gauss_model *m,
                              effad_error *e)
{
    reader r = { buf, *at, len };
    if (!have(&r, 16)) return effad_fail(e, EFFAD_ERR_FORMAT, "the alignment section is cut short");
    const uint32_t w = get_u32(&r), h = get_u32(&r), range = get_u32(&r), zero = get_u32(&r);
    if (w != (uint32_t)spec->roi.w || h != (uint32_t)spec->roi.h || range != (uint32_t)spec->align || zero)
        return effad_fail(e, EFFAD_ERR_FORMAT, "the alignment template is %ux%u +-%u, the preset string says %dx%d +-%d",
                          w, h, range, spec->roi.w, spec->roi.h, spec->align);
    const uint64_t n = (uint64_t)w * h;
    if (!have(&r, n) || !have(&r, pad8((size_t)n)))
        return effad_fail(e, EFFAD_ERR_FORMAT, "the alignment template's %llu bytes run past the end",
                          (unsigned long long)n);
    if (!(m->align = calloc(1, sizeof *m->align))) return effad_fail(e, EFFAD_ERR_NOMEM, "no memory to decode the model");
    effad_error why = { 0 };
    effad_status st = align_template_from_grey(m->align, buf + r.at, (int)w, (int)h, (int)range, &why);
    if (st == EFFAD_ERR_NOMEM) return effad_fail(e, st, "%s", why.msg);
    if (st) return effad_fail(e, EFFAD_ERR_FORMAT, "the alignment template: %s", why.msg);
    for (size_t i = (size_t)n; i < pad8((size_t)n); i++)
        if (buf[r.at + i]) return effad_fail(e, EFFAD_ERR_FORMAT, "the alignment template's padding is not zero");
    *at = r.at + pad8((size_t)n);
    return EFFAD_OK;
}

effad_status gauss_file_decode_flags(const uint8_t *buf, size_t len, gauss_model *m, unsigned flags, effad_error *e)
{
    memset(m, 0, sizeof *m);
    gauss_file_header h;
    effad_status st = gauss_file_check_header(buf, len, &h, e);
    if (st) return st;
    m->model_hash = h.model_hash;
    m->input_h = h.input_h;
    m->input_w = h.input_w;
    m->input_c = h.input_c;
    if (!(m->preset = dup_string(h.preset, (uint32_t)h.spec.name_len)) || !(m->taps = dup_string(h.taps, h.taps_len)))
        goto nomem;
    m->roi = h.spec.roi;
    m->rgb16 = h.spec.rgb16;
    /* a version 1 file names its preset by the old names (preprocess.h) */
    const char *renamed = preprocess_preset_renamed(h.version, m->preset);
    if (renamed) {
        char *now = dup_string(renamed, (uint32_t)strlen(renamed));
        if (!now) goto nomem;
        m->preset_stored = m->preset;
        m->preset = now;
    }
    copy_thresholds(h.thresholds, h.n_thresholds, m->thresholds);
    m->n_thresholds = h.n_thresholds;
    if (h.n_levels && !(m->levels = calloc(h.n_levels, sizeof *m->levels))) goto nomem;
    m->n_levels = h.n_levels;
    size_t at = h.levels_at;
    int have_rows = 0;           /* a level so far kept training features, */
    uint64_t rows = 0;           /* this many rows */
    for (size_t i = 0; i < h.n_levels; i++) {
        gauss_file_level r;
        if ((st = gauss_file_check_level(buf, len, at, i, &r, e)) || (st = copy_level(&r, i, &m->levels[i], flags, e)))
            goto fail;
        /* on the records, not the copies: checked even when not copied */
        if (r.features && have_rows && r.n_features != rows) {
            st = effad_fail(e, EFFAD_ERR_FORMAT, "level %zu keeps %llu training feature rows, an earlier level %llu", i,
                            (unsigned long long)r.n_features, (unsigned long long)rows);
            goto fail;
        }
        if (r.features && !have_rows) { have_rows = 1; rows = r.n_features; }
        at = r.end;
    }
    if (h.version == GAUSS_FILE_VERSION_MAPS) {   /* the per-location Gaussians (gauss-maps-file.c) */
        reader mr = { buf, at, len };
        if (!(m->maps = calloc(1, sizeof *m->maps))) goto nomem;
        if ((st = gauss_maps_section_get(&mr, m->maps, !(flags & GAUSS_READ_NO_MAP_STATS), e))) goto fail;
        at = mr.at;
    }
    if (h.spec.align && (st = get_align(buf, len, &at, &h.spec, m, e))) goto fail;
    if (at != len) {
        st = effad_fail(e, EFFAD_ERR_FORMAT, "%zu unexplained bytes after the last level", len - at);
        goto fail;
    }
    return EFFAD_OK;
nomem:
    st = effad_fail(e, EFFAD_ERR_NOMEM, "no memory to decode the model");
fail:
    gauss_model_free(m);
    return st;
}

effad_status gauss_file_decode(const uint8_t *buf, size_t len, gauss_model *m, effad_error *e)
{
    return gauss_file_decode_flags(buf, len, m, 0, e);
}

effad_status gauss_file_read(const char *path, gauss_model *m, effad_error *e)
{
    return gauss_file_read_flags(path, m, 0, e);
}

effad_status gauss_file_read_flags(const char *path, gauss_model *m, unsigned flags, effad_error *e)
{
    const uint8_t *buf;
    size_t len;
    memset(m, 0, sizeof *m);
    effad_status st = atomic_file_map(path, &buf, &len, e);
    if (st) return st;
    st = gauss_file_decode_flags(buf, len, m, flags, e);
    if (st) effad_error_prefix(e, path);
    atomic_file_unmap(buf, len);
    return st;
}
