/*
 * gauss-maps-file.c -- the per-location map section of a version 2
 * `.gauss` file (gauss-file.c frames it; gauss-codec.h has the cursors).
 *
 * Layout, after the last level (every part a multiple of 8 bytes):
 *   u32 grid height, u32 grid width, u32 dim, u32 number of levels T
 *   u32 channels of the levels together, u32 covariance (0: sample + eps I,
 *   1: Ledoit-Wolf), u32 flags (bit 0: statistics follow, bit 1: a pixel
 *   threshold was calibrated), u32 minimum defect area (pixels)
 *   u64 images fitted, u64 seed of the channel subset
 *   f64 eps, f64 blur sigma (network-input pixels), f64 pixel threshold
 *   u32 held-out images the threshold was chosen on, u32 zero
 *   T x { u32 model tap, u32 its channels }
 *   u32[dim] kept channels (ascending indices into the concatenation),
 *     zero padding to 8 bytes
 *   f32[locations x dim] means, then f32[locations x dim (dim + 1) / 2]
 *     Cholesky factors, lower triangle packed by rows; zero padding to 8
 *   if flags & 1: per location, the statistics record of a level
 *     (gauss-codec.h), in row-major grid order
 *   if flags & 4: the don't-care pixels (fit --ignore): u32 width, u32
 *     height, u64 pixels set (1 .. width x height - 1), then one bit a
 *     pixel, row-major, the lowest bit first, unused bits zero; zero
 *     padding to 8 (a build before it refuses the flag)
 * locations = grid height x grid width.
 */
#include <math.h>
#include <stdlib.h>
#include "gauss-codec.h"

#define SECTION_HEAD 80u
#define FLAG_STATS 1u
#define FLAG_CALIBRATED 2u
#define FLAG_IGNORE 4u
#define MAX_SIGMA 256.0

static uint64_t pad8u(uint64_t n) { return (n + 7) & ~(uint64_t)7; }

/* Bytes of everything but the statistics. */
static uint64_t core_bytes(uint64_t locations, uint64_t dim, uint64_t n_taps)
{
    return SECTION_HEAD + 8 * n_taps + pad8u(4 * dim) + pad8u(4 * locations * (dim + dim * (dim + 1) / 2));
}

/* Bytes of the don't-care record. */
static uint64_t ignore_bytes(uint64_t w, uint64_t h) { return 16 + pad8u((w * h + 7) / 8); }

uint64_t gauss_maps_section_bytes(const gauss_maps *m)
{
    uint64_t L = gauss_maps_locations(m);
    if (!L || !m->dim || !m->n_taps || m->n_taps > EFFAD_MAX_TAPS || !m->mean || !m->chol || !m->channel) return 0;
    if (m->stats && m->stats->n_pending) return 0;   /* images not yet in the statistics: fit first */
    uint64_t b = core_bytes(L, m->dim, m->n_taps);
    if (m->stats) b += L * gauss_codec_stats_bytes(m->dim);
    if (m->ignore) b += ignore_bytes(m->ignore_w, m->ignore_h);
    return b;
}

static void put_ignore(writer *w, const gauss_maps *m)
{
    const size_t np = (size_t)m->ignore_w * m->ignore_h;
    put_u32(w, m->ignore_w);
    put_u32(w, m->ignore_h);
    put_u64(w, m->ignore_count);
    uint8_t chunk[256];
    size_t k = 0;
    for (size_t i = 0; i < np; i += 8) {
        uint8_t b = 0;
        for (size_t j = 0; j < 8 && i + j < np; j++) b |= (uint8_t)((m->ignore[i + j] != 0) << j);
        chunk[k++] = b;
        if (k == sizeof chunk) { put_bytes(w, chunk, k); k = 0; }
    }
    put_bytes(w, chunk, k);
    put_pad8(w);
}

static effad_status get_ignore(reader *r, gauss_maps *m, effad_error *e)
{
    if (!have(r, 16)) return effad_fail(e, EFFAD_ERR_FORMAT, "map section: truncated don't-care record");
    const uint32_t w = get_u32(r), h = get_u32(r);
    const uint64_t count = get_u64(r), np = (uint64_t)w * h;
    if (!w || !h || np > MAPS_MAX_IGNORE_PIXELS || !count || count >= np)
        return effad_fail(e, EFFAD_ERR_FORMAT, "map section: a don't-care mask of %ux%u with %llu pixels set", w, h,
                          (unsigned long long)count);
    if (!have(r, pad8u((np + 7) / 8))) return effad_fail(e, EFFAD_ERR_FORMAT, "map section: truncated don't-care mask");
    if (!(m->ignore = malloc((size_t)np))) return effad_fail(e, EFFAD_ERR_NOMEM, "out of memory for a %ux%u mask", w, h);
    uint64_t n = 0;
    for (uint64_t i = 0; i < np; i += 8) {
        const uint8_t b = r->p[r->at++];
        for (uint64_t j = 0; j < 8; j++) {
            const uint8_t bit = (uint8_t)(b >> j & 1);
            if (i + j < np) { m->ignore[i + j] = bit; n += bit; }
            else if (bit) return effad_fail(e, EFFAD_ERR_FORMAT, "map section: bits set past the don't-care mask");
        }
    }
    if (n != count)
        return effad_fail(e, EFFAD_ERR_FORMAT, "map section: the don't-care mask sets %llu pixels, its count says %llu",
                          (unsigned long long)n, (unsigned long long)count);
    if (!get_pad8(r)) return effad_fail(e, EFFAD_ERR_FORMAT, "map section: nonzero padding after the don't-care mask");
    m->ignore_w = w;
    m->ignore_h = h;
    m->ignore_count = count;
    return EFFAD_OK;
}

void gauss_maps_section_put(writer *w, const gauss_maps *m)
{
    size_t L = gauss_maps_locations(m), d = m->dim;
    put_u32(w, m->grid_h);
    put_u32(w, m->grid_w);
    put_u32(w, m->dim);
    put_u32(w, m->n_taps);
    put_u32(w, m->total_c);
    put_u32(w, (uint32_t)m->cov);
    put_u32(w, (m->stats ? FLAG_STATS : 0) | (m->calibrated ? FLAG_CALIBRATED : 0) | (m->ignore ? FLAG_IGNORE : 0));
    put_u32(w, m->calibrated ? m->min_area : 0);
    put_u64(w, m->n);
    put_u64(w, m->dims_seed);
    put_f64(w, m->eps);
    put_f64(w, m->sigma);
    put_f64(w, m->calibrated ? m->threshold : 0);
    put_u32(w, m->calibrated ? m->n_holdout : 0);
    put_u32(w, 0);
    for (uint32_t t = 0; t < m->n_taps; t++) { put_u32(w, m->tap[t]); put_u32(w, m->tap_c[t]); }
    for (size_t k = 0; k < d; k++) put_u32(w, m->channel[k]);
    put_pad8(w);
    for (size_t i = 0; i < L * d; i++) put_f32(w, m->mean[i]);
    for (size_t i = 0; i < L * gauss_tri(d); i++) put_f32(w, m->chol[i]);
    put_pad8(w);
    if (m->stats)
        for (size_t l = 0; l < L; l++) gauss_codec_put_stats(w, &m->stats->loc[l]);
    if (m->ignore) put_ignore(w, m);
}

static effad_status bad(effad_error *e, const char *what)
{
    return effad_fail(e, EFFAD_ERR_FORMAT, "map section: %s", what);
}

static effad_status get_layout(reader *r, gauss_maps *m, uint32_t *flags, effad_error *e)
{
    if (!have(r, SECTION_HEAD)) return bad(e, "truncated header");
    m->grid_h = get_u32(r);
    m->grid_w = get_u32(r);
    m->dim = get_u32(r);
    m->n_taps = get_u32(r);
    m->total_c = get_u32(r);
    uint32_t cov = get_u32(r);
    *flags = get_u32(r);
    m->min_area = get_u32(r);
    m->n = get_u64(r);
    m->dims_seed = get_u64(r);
    m->eps = get_f64(r);
    m->sigma = get_f64(r);
    m->threshold = get_f64(r);
    m->n_holdout = get_u32(r);
    uint32_t zero = get_u32(r);
    if (!m->grid_h || !m->grid_w || m->grid_h > MAPS_MAX_GRID || m->grid_w > MAPS_MAX_GRID)
        return effad_fail(e, EFFAD_ERR_FORMAT, "map section: grid %ux%u outside 1..%u", m->grid_h, m->grid_w, MAPS_MAX_GRID);
    if (!m->dim || m->dim > MAPS_MAX_DIM || m->dim > m->total_c)
        return effad_fail(e, EFFAD_ERR_FORMAT, "map section: dimension %u outside 1..%u (of %u channels)", m->dim,
                          MAPS_MAX_DIM, m->total_c);
    if (!m->n_taps || m->n_taps > EFFAD_MAX_TAPS)
        return effad_fail(e, EFFAD_ERR_FORMAT, "map section: %u levels, 1..%u allowed", m->n_taps, EFFAD_MAX_TAPS);
    if (cov > MAPS_COV_LW) return effad_fail(e, EFFAD_ERR_FORMAT, "map section: unknown covariance kind %u", cov);
    m->cov = (maps_cov)cov;
    if ((*flags & ~(FLAG_STATS | FLAG_CALIBRATED | FLAG_IGNORE)) || zero)
        return effad_fail(e, EFFAD_ERR_FORMAT, "map section: unknown flags %x", *flags);
    if (!m->n || (m->cov == MAPS_COV_EPS && m->n < 2))
        return effad_fail(e, EFFAD_ERR_FORMAT, "map section: fitted on %llu images", (unsigned long long)m->n);
    if (!(m->eps >= 0 && m->eps < INFINITY) || !(m->sigma >= 0 && m->sigma <= MAX_SIGMA))
        return bad(e, "eps or blur sigma out of range");
    m->calibrated = (*flags & FLAG_CALIBRATED) != 0;
    /* uncalibrated: the threshold field is +0.0 exactly, the one encoding
     * the writer gives (fuzz-gauss: -0.0 was read and rewritten as +0.0) */
    if (m->calibrated ? !(isfinite(m->threshold) && m->min_area >= 1 && m->n_holdout >= 1)
                      : (m->threshold != 0 || signbit(m->threshold) || m->min_area || m->n_holdout))
        return bad(e, "pixel threshold, minimum area or held-out count invalid");
    if (!have(r, 8ull * m->n_taps)) return bad(e, "truncated level list");
    uint64_t sum = 0, seen = 0;
    for (uint32_t t = 0; t < m->n_taps; t++) {
        m->tap[t] = get_u32(r);
        m->tap_c[t] = get_u32(r);
        if (m->tap[t] >= EFFAD_MAX_TAPS || (seen >> m->tap[t] & 1) || !m->tap_c[t] || m->tap_c[t] > MAPS_MAX_DIM * 64u)
            return effad_fail(e, EFFAD_ERR_FORMAT, "map section: level entry %u (tap %u, %u channels) is invalid", t,
                              m->tap[t], m->tap_c[t]);
        seen |= 1ull << m->tap[t];
        sum += m->tap_c[t];
    }
    if (sum != m->total_c)
        return effad_fail(e, EFFAD_ERR_FORMAT, "map section: the levels have %llu channels, the header says %u",
                          (unsigned long long)sum, m->total_c);
    return EFFAD_OK;
}

effad_status gauss_maps_section_get(reader *r, gauss_maps *m, int with_stats, effad_error *e)
{
    memset(m, 0, sizeof *m);
    uint32_t flags = 0;
    effad_status st = get_layout(r, m, &flags, e);
    if (st) return st;
    uint64_t L = gauss_maps_locations(m), d = m->dim, tri = gauss_tri(m->dim);
    uint64_t need = core_bytes(L, d, 0) - SECTION_HEAD;
    if (flags & FLAG_STATS) need += L * gauss_codec_stats_bytes(d);
    if (!have(r, need))
        return effad_fail(e, EFFAD_ERR_FORMAT, "map section: truncated: %llu locations x %llu dimensions need %llu "
                          "more bytes, %zu left", (unsigned long long)L, (unsigned long long)d,
                          (unsigned long long)need, r->len - r->at);
    m->channel = malloc(d * sizeof *m->channel);
    m->mean = malloc(L * d * sizeof *m->mean);
    m->chol = malloc(L * tri * sizeof *m->chol);
    if (!m->channel || !m->mean || !m->chol)
        return effad_fail(e, EFFAD_ERR_NOMEM, "no memory for %llu map Gaussians of %llu dimensions", (unsigned long long)L,
                          (unsigned long long)d);
    for (uint64_t k = 0; k < d; k++) {
        m->channel[k] = get_u32(r);
        if (m->channel[k] >= m->total_c || (k && m->channel[k] <= m->channel[k - 1]))
            return effad_fail(e, EFFAD_ERR_FORMAT, "map section: kept channel %llu (%u) is out of order or range",
                              (unsigned long long)k, m->channel[k]);
    }
    if (!get_pad8(r)) return bad(e, "nonzero padding after the channel list");
    for (uint64_t i = 0; i < L * d; i++)
        if (!isfinite(m->mean[i] = get_f32(r)))
            return effad_fail(e, EFFAD_ERR_FORMAT, "map section: mean %llu of location %llu is not finite",
                              (unsigned long long)(i % d), (unsigned long long)(i / d));
    for (uint64_t l = 0; l < L; l++)
        for (uint64_t j = 0; j < d; j++)
            for (uint64_t k = 0; k <= j; k++) {
                float v = m->chol[l * tri + j * (j + 1) / 2 + k] = get_f32(r);
                if (!isfinite(v) || (k == j && !(v > 0)))
                    return effad_fail(e, EFFAD_ERR_FORMAT, "map section: location %llu: Cholesky factor entry "
                                      "(%llu, %llu) = %g is invalid", (unsigned long long)l, (unsigned long long)j,
                                      (unsigned long long)k, (double)v);
            }
    if (!get_pad8(r)) return bad(e, "nonzero padding after the factors");
    if (!(flags & FLAG_STATS)) return flags & FLAG_IGNORE ? get_ignore(r, m, e) : EFFAD_OK;
    if (with_stats) {
        if (!(m->stats = calloc(1, sizeof *m->stats))) return effad_fail(e, EFFAD_ERR_NOMEM, "out of memory");
        if ((st = gauss_maps_stats_init(m->stats, (size_t)L, (size_t)d, e))) return st;
    }
    for (uint64_t l = 0; l < L; l++) {   /* their size was checked above */
        uint64_t n;
        const int ok = with_stats ? gauss_codec_get_stats(r, &m->stats->loc[l]) : gauss_codec_check_stats(r, (size_t)d, &n);
        if (with_stats) n = m->stats->loc[l].n;
        if (!ok || n != m->n)
            return effad_fail(e, EFFAD_ERR_FORMAT, "map section: the statistics of location %llu are invalid "
                              "(non-finite, negative or not of %llu images)", (unsigned long long)l,
                              (unsigned long long)m->n);
    }
    return flags & FLAG_IGNORE ? get_ignore(r, m, e) : EFFAD_OK;
}
