/*
 * map-features.h -- the per-location vectors of the map Gaussians
 * (gauss-maps.h) from the network's level maps.
 *
 * Each chosen level's h x w x c map (effad_tap_map, HWC) is brought to the
 * grid, the levels are concatenated channel-wise in their order, and the
 * kept channels are gathered:
 *   - a level larger than the grid is averaged over PyTorch's
 *     adaptive_avg_pool2d bins (rows floor(i h / gh) .. ceil((i + 1) h / gh));
 *   - a smaller one is repeated, PyTorch's F.interpolate(mode='nearest')
 *     (row floor(i * (float)(h / gh)), in float32 as PyTorch computes it),
 *     which is how PaDiM and anomalib bring deeper layers up to the first
 *     layer's size;
 *   - each axis on its own, so a level may be pooled along one and
 *     repeated along the other.
 * The kept channels are all of them, or (PaDiM's random dimension
 * reduction) dim of them drawn without replacement by a seeded partial
 * Fisher-Yates shuffle of 0 .. total_c - 1 with engine/rng.h's splitmix64
 * (j = i + rng_next() % (total_c - i) for i < dim), then sorted.
 *
 * Defaults, for a model that runs at in_h x in_w:
 *   grid   ceil(in_h / 8) x ceil(in_w / 8), the size of the stride-8 level
 *          (28 x 28 at 224) -- PaDiM's grid is its first layer's size;
 *          stride 8 keeps a B0 model near 30 MB;
 *   levels every level at stride 8 or finer (map_default_levels says why).
 */
#ifndef EFFAD_MAP_FEATURES_H
#define EFFAD_MAP_FEATURES_H

#include "effad.h"
#include "gauss-maps.h"

/* One level's h x w x c map (HWC) brought to a gh x gw grid as described
 * above: out[(y * gw + x) * out_stride + ch] for ch < c; acc: c doubles. */
void map_resample_level(const float *map, int h, int w, int c, int gh, int gw, float *out, size_t out_stride,
                        double *acc);

/* idx[0..n) <- 0..n-1, then the first k entries shuffled in: for i < k,
 * swap idx[i] with idx[i + rng_next() % (n - i)] (engine/rng.h stream of
 * seed). k == n leaves the order alone. The channel subset and the
 * held-out images (maps-fit.c) are both drawn this way. */
void map_partial_shuffle(uint32_t *idx, uint32_t n, uint32_t k, uint64_t seed);

/* The taps whose full maps the runner must keep for m. */
uint32_t map_taps_mask(const gauss_maps *m);

/* The default levels: see the comment at its definition (map-features.c),
 * which records how it was chosen. */
int map_default_levels(const effad_runner *r, uint32_t *tap, int max);

/* Fills m's layout: levels from "i,j,..." (NULL: the default), grid
 * (0: the default), dims (0: every channel; else a seeded subset). The
 * runner only needs to be planned (geometry), not to have maps. */
effad_status map_layout_choose(gauss_maps *m, const effad_runner *r, const char *levels, int grid_h, int grid_w,
                               int dims, uint64_t seed, effad_error *e);

/* Checks that m's levels exist in the model behind r with its channels. */
effad_status map_layout_check(const gauss_maps *m, const effad_runner *r, effad_error *e);

/* Assembles one image's vectors (locations x dim) from the maps the
 * runner kept in its last pass. */
typedef struct map_assembler {
    const gauss_maps *m;
    int tap_h[EFFAD_MAX_TAPS], tap_w[EFFAD_MAX_TAPS];
    float *concat;            /* locations x total_c, when a subset is kept */
    double *acc;              /* the widest level's channels */
} map_assembler;

effad_status map_assembler_init(map_assembler *a, const gauss_maps *m, const effad_runner *r, effad_error *e);
effad_status map_assemble(const map_assembler *a, const effad_runner *r, float *vectors, effad_error *e);
void map_assembler_free(map_assembler *a);

#endif
