/* Connected regions of an anomaly map and the good-image threshold; see
 * regions.h. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "rank-f32.h"
#include "regions.h"

static effad_status check_size(int w, int h, effad_error *e)
{
    if (w <= 0 || h <= 0 || (uint64_t)w * (uint64_t)h >= (1ull << 31))
        return effad_fail(e, EFFAD_ERR_ARG, "regions: map size %dx%d is invalid", w, h);
    return EFFAD_OK;
}

void region_list_free(region_list *list)
{
    if (!list) return;
    free(list->r);
    memset(list, 0, sizeof *list);
}

static effad_status push_region(region_list *list, effad_error *e)
{
    if (list->n == list->cap) {
        size_t cap = list->cap ? 2 * list->cap : 16;
        map_region *r = realloc(list->r, cap * sizeof *r);
        if (!r) return effad_fail(e, EFFAD_ERR_NOMEM, "regions: out of memory");
        list->r = r;
        list->cap = cap;
    }
    list->n++;
    return EFFAD_OK;
}

effad_status regions_find(const float *map, int w, int h, double threshold, region_list *list, effad_error *e)
{
    return regions_label(map, w, h, threshold, NULL, list, e);
}

effad_status regions_label(const float *map, int w, int h, double threshold, uint32_t *labels, region_list *list,
                           effad_error *e)
{
    list->n = 0;
    effad_status s = check_size(w, h, e);
    if (s) return s;
    size_t n = (size_t)w * (size_t)h;
    uint32_t *own = labels ? NULL : calloc(n, sizeof *own), *seen = labels ? labels : own;
    uint32_t *stack = malloc(n * sizeof *stack);
    if (!seen || !stack) { free(own); free(stack); return effad_fail(e, EFFAD_ERR_NOMEM, "regions: out of memory"); }
    if (labels) memset(labels, 0, n * sizeof *labels);
    for (size_t start = 0; start < n && !s; start++) {
        if (seen[start] || !(map[start] > threshold)) continue;
        if ((s = push_region(list, e))) break;
        uint32_t id = (uint32_t)list->n;
        map_region *r = &list->r[list->n - 1];
        r->area = 0;
        r->x0 = r->x1 = (int)(start % (size_t)w);
        r->y0 = r->y1 = (int)(start / (size_t)w);
        r->peak = map[start];
        size_t top = 0;
        stack[top++] = (uint32_t)start;
        seen[start] = id;
        while (top) {   /* flood fill over the 8 neighbours */
            uint32_t p = stack[--top];
            int x = (int)(p % (uint32_t)w), y = (int)(p / (uint32_t)w);
            r->area++;
            if (x < r->x0) r->x0 = x;
            if (x > r->x1) r->x1 = x;
            if (y < r->y0) r->y0 = y;
            if (y > r->y1) r->y1 = y;
            if (map[p] > r->peak) r->peak = map[p];
            for (int dy = -1; dy <= 1; dy++)
                for (int dx = -1; dx <= 1; dx++) {
                    int nx = x + dx, ny = y + dy;
                    if (nx < 0 || ny < 0 || nx >= w || ny >= h) continue;
                    size_t q = (size_t)ny * (size_t)w + (size_t)nx;
                    if (seen[q] || !(map[q] > threshold)) continue;
                    seen[q] = id;
                    stack[top++] = (uint32_t)q;
                }
        }
    }
    free(own);
    free(stack);
    return s;
}

size_t regions_count_at_least(const region_list *list, uint32_t min_area)
{
    size_t k = 0;
    for (size_t i = 0; i < list->n; i++) k += list->r[i].area >= min_area;
    return k;
}

/* Union-find root with path halving. */
static int32_t root(int32_t *parent, int32_t p)
{
    while (parent[p] != p) {
        parent[p] = parent[parent[p]];
        p = parent[p];
    }
    return p;
}

effad_status regions_min_threshold(const float *map, int w, int h, uint32_t min_area, double *t, effad_error *e)
{
    effad_status s = check_size(w, h, e);
    if (s) return s;
    if (min_area < 1) return effad_fail(e, EFFAD_ERR_ARG, "regions: the minimum area must be at least 1 pixel");
    size_t n = (size_t)w * (size_t)h;
    *t = -INFINITY;
    if (n < min_area) return EFFAD_OK;
    uint32_t *order = malloc(n * sizeof *order), *scratch = malloc(n * sizeof *scratch);
    int32_t *parent = malloc(n * sizeof *parent);
    uint32_t *size = malloc(n * sizeof *size);
    if (!order || !scratch || !parent || !size) {
        free(order); free(scratch); free(parent); free(size);
        return effad_fail(e, EFFAD_ERR_NOMEM, "regions: out of memory for a %dx%d map", w, h);
    }
    rank_f32_desc(map, n, order, scratch);
    for (size_t i = 0; i < n; i++) parent[i] = -1;   /* -1: not admitted yet */
    uint32_t largest = 0;
    for (size_t i = 0; i < n && largest < min_area;) {
        /* admit every pixel of this value, then look: a threshold equal
         * to the value excludes them all again */
        float v = map[order[i]];
        size_t j = i;
        for (; j < n && map[order[j]] == v; j++) {
            int32_t p = (int32_t)order[j];
            parent[p] = p;
            size[p] = 1;
            int x = p % w, y = p / w;
            for (int dy = -1; dy <= 1; dy++)
                for (int dx = -1; dx <= 1; dx++) {
                    int nx = x + dx, ny = y + dy;
                    if (nx < 0 || ny < 0 || nx >= w || ny >= h) continue;
                    int32_t q = ny * w + nx;
                    if (parent[q] < 0) continue;
                    int32_t a = root(parent, p), b = root(parent, q);
                    if (a == b) continue;
                    if (size[a] < size[b]) { int32_t tmp = a; a = b; b = tmp; }
                    parent[b] = a;
                    size[a] += size[b];
                }
            uint32_t sz = size[root(parent, p)];
            if (sz > largest) largest = sz;
        }
        if (largest >= min_area) *t = v;
        i = j;
    }
    free(order); free(scratch); free(parent); free(size);
    return EFFAD_OK;
}
