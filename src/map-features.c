/* Per-location vectors from the level maps; see map-features.h. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "detector.h"
#include "map-features.h"
#include "rng.h"

uint32_t map_taps_mask(const gauss_maps *m)
{
    uint32_t mask = 0;
    for (uint32_t i = 0; i < m->n_taps; i++) mask |= 1u << m->tap[i];
    return mask;
}

static int ceil_div(int a, int b) { return (a + b - 1) / b; }

/*
 * The default levels: every level at stride 8 or finer (its map at least
 * the default grid's size): B0's stem and stages 1-3, stage-end or
 * stage-start taps alike (32 + 16 + 24 + 40 = 112 channels).
 *
 * Chosen by pixel AUROC / PRO on `effad demo`'s set (demo model, 16 x 16
 * grid, eps covariance; LW within 0.003 of it everywhere):
 *   levels 0,1,2,3  0.980 / 0.946     levels 2,3,4    0.937 / 0.828
 *   levels 1,2,3    0.976 / 0.932     levels 1,2,3,4  0.945 / 0.845
 *   levels 2,3      0.972 / 0.923     levels 3,4      0.929 / 0.807
 *   level  2        0.985 / 0.955     levels 2,3,5    0.835 / 0.564
 *   level  3        0.967 / 0.912     levels 2,3,4,5  0.842 / 0.586
 * Every stride-16 level costs accuracy, and the more so the deeper: their
 * blocks' squeeze-excite gates are computed from the whole image, so a
 * defect shifts the features everywhere, and their receptive fields spread
 * it further. A single fine level localises best here, but PaDiM's point is
 * the mix of scales (a pretrained network's deeper levels carry the
 * semantics random weights lack), so the default keeps every level down to
 * the grid's resolution and lets --map-levels choose otherwise.
 */
int map_default_levels(const effad_runner *r, uint32_t *tap, int max)
{
    int gh = ceil_div(r->in_h, 8), gw = ceil_div(r->in_w, 8), n = 0;
    for (int t = 0; t < r->m->n_taps && n < max; t++) {
        int c, h, w;
        effad_tap_shape(r, t, &c, &h, &w);
        if (h >= gh && w >= gw) tap[n++] = (uint32_t)t;
    }
    return n;
}

effad_status map_layout_choose(gauss_maps *m, const effad_runner *r, const char *levels, int grid_h, int grid_w,
                               int dims, uint64_t seed, effad_error *e)
{
    memset(m, 0, sizeof *m);
    if (levels) {
        level_sel sel;
        effad_status s = level_sel_parse(levels, r->m->n_taps, &sel, e);
        if (s) { effad_error_prefix(e, "--map-levels"); return s; }
        for (int i = 0; i < sel.n; i++) m->tap[i] = (uint32_t)sel.tap[i];
        m->n_taps = (uint32_t)sel.n;
    } else {
        m->n_taps = (uint32_t)map_default_levels(r, m->tap, EFFAD_MAX_TAPS);
        if (!m->n_taps)
            return effad_fail(e, EFFAD_ERR_UNSUPPORTED, "the model has no level at stride 8 or finer for the "
                              "default map levels: give --map-levels");
    }
    for (uint32_t i = 0; i < m->n_taps; i++) {
        int c, h, w;
        effad_tap_shape(r, (int)m->tap[i], &c, &h, &w);
        m->tap_c[i] = (uint32_t)c;
        m->total_c += (uint32_t)c;
    }
    m->grid_h = (uint32_t)(grid_h > 0 ? grid_h : ceil_div(r->in_h, 8));
    m->grid_w = (uint32_t)(grid_w > 0 ? grid_w : ceil_div(r->in_w, 8));
    if (m->grid_h > MAPS_MAX_GRID || m->grid_w > MAPS_MAX_GRID)
        return effad_fail(e, EFFAD_ERR_ARG, "map grid %ux%u: at most %u per side", m->grid_h, m->grid_w, MAPS_MAX_GRID);
    if (dims < 0 || (uint32_t)dims > m->total_c)
        return effad_fail(e, EFFAD_ERR_ARG, "--map-dims %d: the chosen levels have %u channels", dims, m->total_c);
    if (m->total_c > MAPS_MAX_DIM && (!dims || dims > (int)MAPS_MAX_DIM))
        return effad_fail(e, EFFAD_ERR_ARG, "the chosen levels have %u channels, at most %u per location: "
                          "choose fewer levels or --map-dims", m->total_c, MAPS_MAX_DIM);
    m->dim = dims ? (uint32_t)dims : m->total_c;
    m->dims_seed = dims ? seed : 0;
    uint32_t *perm = malloc(m->total_c * sizeof *perm);
    if (!perm) return effad_fail(e, EFFAD_ERR_NOMEM, "out of memory");
    map_partial_shuffle(perm, m->total_c, m->dim, m->dims_seed);
    /* ascending, so the vector keeps the levels' order (insertion sort: dim is small) */
    for (uint32_t i = 1; i < m->dim; i++)
        for (uint32_t k = i; k > 0 && perm[k - 1] > perm[k]; k--) { uint32_t t = perm[k]; perm[k] = perm[k - 1]; perm[k - 1] = t; }
    m->channel = perm;
    return EFFAD_OK;
}

void map_partial_shuffle(uint32_t *idx, uint32_t n, uint32_t k, uint64_t seed)
{
    for (uint32_t i = 0; i < n; i++) idx[i] = i;
    if (k == n) return;   /* everything, in order */
    rng g = rng_seeded(seed);
    for (uint32_t i = 0; i < k; i++) {
        uint32_t j = i + (uint32_t)(rng_next(&g) % (n - i));
        uint32_t t = idx[i]; idx[i] = idx[j]; idx[j] = t;
    }
}

effad_status map_layout_check(const gauss_maps *m, const effad_runner *r, effad_error *e)
{
    for (uint32_t i = 0; i < m->n_taps; i++) {
        if ((int)m->tap[i] >= r->m->n_taps)
            return effad_fail(e, EFFAD_ERR_MISMATCH, "the maps use level %u; the model has %d levels", m->tap[i], r->m->n_taps);
        int c, h, w;
        effad_tap_shape(r, (int)m->tap[i], &c, &h, &w);
        if ((uint32_t)c != m->tap_c[i])
            return effad_fail(e, EFFAD_ERR_MISMATCH, "map level %u has %u channels, the model's has %d", m->tap[i], m->tap_c[i], c);
    }
    return EFFAD_OK;
}

effad_status map_assembler_init(map_assembler *a, const gauss_maps *m, const effad_runner *r, effad_error *e)
{
    memset(a, 0, sizeof *a);
    a->m = m;
    effad_status s = map_layout_check(m, r, e);
    if (s) return s;
    for (uint32_t i = 0; i < m->n_taps; i++) {
        int c;
        effad_tap_shape(r, (int)m->tap[i], &c, &a->tap_h[i], &a->tap_w[i]);
    }
    uint32_t widest = 0;
    for (uint32_t i = 0; i < m->n_taps; i++) if (m->tap_c[i] > widest) widest = m->tap_c[i];
    if (!(a->acc = malloc(widest * sizeof *a->acc)) ||
        (m->dim != m->total_c && !(a->concat = malloc(gauss_maps_locations(m) * m->total_c * sizeof *a->concat)))) {
        map_assembler_free(a);
        return effad_fail(e, EFFAD_ERR_NOMEM, "out of memory for the map vectors");
    }
    return EFFAD_OK;
}

void map_assembler_free(map_assembler *a)
{
    if (!a) return;
    free(a->concat);
    free(a->acc);
    a->concat = 0;
    a->acc = 0;
}

/* Source span [lo, hi) along one axis for grid index i: an adaptive
 * average-pool bin when shrinking, PyTorch's nearest index when growing. */
static void span(int i, int src, int grid, int *lo, int *hi)
{
    if (src >= grid) {
        *lo = (int)(((long long)i * src) / grid);
        *hi = (int)(((long long)(i + 1) * src + grid - 1) / grid);
        return;
    }
    float scale = (float)src / (float)grid;
    int k = (int)floorf((float)i * scale);
    *lo = k < src - 1 ? k : src - 1;
    *hi = *lo + 1;
}

void map_resample_level(const float *map, int h, int w, int c, int gh, int gw, float *out, size_t out_stride,
                        double *acc)
{
    for (int gy = 0; gy < gh; gy++) {
        int y0, y1;
        span(gy, h, gh, &y0, &y1);
        for (int gx = 0; gx < gw; gx++) {
            int x0, x1;
            span(gx, w, gw, &x0, &x1);
            float *dst = out + ((size_t)gy * gw + gx) * out_stride;
            if (y1 - y0 == 1 && x1 - x0 == 1) {   /* the common case: one source pixel */
                memcpy(dst, map + ((size_t)y0 * w + x0) * c, (size_t)c * sizeof *dst);
                continue;
            }
            memset(acc, 0, (size_t)c * sizeof *acc);
            for (int y = y0; y < y1; y++)
                for (int x = x0; x < x1; x++) {
                    const float *src = map + ((size_t)y * w + x) * c;
                    for (int ch = 0; ch < c; ch++) acc[ch] += src[ch];
                }
            double inv = 1.0 / ((double)(y1 - y0) * (x1 - x0));
            for (int ch = 0; ch < c; ch++) dst[ch] = (float)(acc[ch] * inv);
        }
    }
}

effad_status map_assemble(const map_assembler *a, const effad_runner *r, float *vectors, effad_error *e)
{
    const gauss_maps *m = a->m;
    float *dst = a->concat ? a->concat : vectors;
    size_t off = 0;
    for (uint32_t t = 0; t < m->n_taps; t++) {
        const float *map = effad_tap_map(r, (int)m->tap[t]);
        if (!map) return effad_fail(e, EFFAD_ERR_ARG, "the runner kept no map of level %u", m->tap[t]);
        map_resample_level(map, a->tap_h[t], a->tap_w[t], (int)m->tap_c[t], (int)m->grid_h, (int)m->grid_w,
                           dst + off, m->total_c, a->acc);
        off += m->tap_c[t];
    }
    if (a->concat)
        for (size_t l = 0; l < gauss_maps_locations(m); l++)
            for (uint32_t k = 0; k < m->dim; k++) vectors[l * m->dim + k] = a->concat[l * m->total_c + m->channel[k]];
    return EFFAD_OK;
}
