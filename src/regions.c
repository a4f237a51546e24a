/* Connected regions of an anomaly map and the good-image threshold; see
 * regions.h. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
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

/* regions_find works on runs -- the stretches of defective pixels in a
 * row -- not on pixels: a run is joined (union-find) to the runs of the
 * row above that it touches, 8-connected, so that it needs memory for the
 * runs and two rows of them, not the 8 bytes a pixel that labelling costs
 * (384 MB for a 48-megapixel map). An anomaly map is a blurred map
 * brought up bilinearly, so a row crosses the threshold a few times and
 * runs are few. Sets are numbered in raster order of their runs, and the
 * smaller number stays the root, so a region's root is its first run and
 * the regions come out in scipy.ndimage.label's order. */
typedef struct run_set {
    uint32_t parent, area;
    int x0, y0, x1, y1;
    float peak;
} run_set;

typedef struct row_run { int x0, x1; uint32_t set; } row_run;

static uint32_t set_root(run_set *s, uint32_t i)
{
    while (s[i].parent != i) {
        s[i].parent = s[s[i].parent].parent;
        i = s[i].parent;
    }
    return i;
}

static void set_union(run_set *s, uint32_t a, uint32_t b)
{
    a = set_root(s, a);
    b = set_root(s, b);
    if (a == b) return;
    if (b < a) { uint32_t t = a; a = b; b = t; }
    run_set *r = &s[a], *o = &s[b];
    o->parent = a;
    r->area += o->area;
    if (o->x0 < r->x0) r->x0 = o->x0;
    if (o->x1 > r->x1) r->x1 = o->x1;
    if (o->y0 < r->y0) r->y0 = o->y0;
    if (o->y1 > r->y1) r->y1 = o->y1;
    if (o->peak > r->peak) r->peak = o->peak;
}

effad_status regions_find(const float *map, int w, int h, double threshold, region_list *list, effad_error *e)
{
    list->n = 0;
    effad_status s = check_size(w, h, e);
    if (s) return s;
    size_t row_cap = (size_t)w / 2 + 1, n_sets = 0, cap_sets = 0;
    row_run *above = malloc(row_cap * sizeof *above), *here = malloc(row_cap * sizeof *here);
    run_set *set = NULL;
    size_t n_above = 0;
    if (!above || !here) s = effad_fail(e, EFFAD_ERR_NOMEM, "regions: out of memory");
    for (int y = 0; y < h && !s; y++) {
        const float *row = map + (size_t)y * (size_t)w;
        size_t n_here = 0, j = 0;
        for (int x = 0; x < w && !s;) {
            if (!(row[x] > threshold)) { x++; continue; }
            int a = x;
            float peak = row[x];
            for (x++; x < w && row[x] > threshold; x++) if (row[x] > peak) peak = row[x];
            if (n_sets == cap_sets) {
                size_t cap = cap_sets ? 2 * cap_sets : 256;
                run_set *more = cap < UINT32_MAX ? realloc(set, cap * sizeof *more) : NULL;
                if (!more) { s = effad_fail(e, EFFAD_ERR_NOMEM, "regions: out of memory"); break; }
                set = more;
                cap_sets = cap;
            }
            uint32_t id = (uint32_t)n_sets++;
            set[id] = (run_set){ id, (uint32_t)(x - a), a, y, x - 1, y, peak };
            here[n_here++] = (row_run){ a, x - 1, id };
            /* the runs above that touch [a - 1, x]: those ending left of
             * a - 1 touch no later run of this row either */
            while (j < n_above && above[j].x1 < a - 1) j++;
            for (size_t k = j; k < n_above && above[k].x0 <= x; k++) set_union(set, above[k].set, id);
        }
        row_run *t = above; above = here; here = t;
        n_above = n_here;
    }
    for (size_t i = 0; i < n_sets && !s; i++) {
        if (set[i].parent != i) continue;
        if ((s = push_region(list, e))) break;
        const run_set *r = &set[i];
        list->r[list->n - 1] = (map_region){ r->area, r->x0, r->y0, r->x1, r->y1, r->peak };
    }
    free(above);
    free(here);
    free(set);
    return s;
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

/* A float's place in float order as an unsigned integer, and back:
 * consecutive keys are consecutive floats (-0 and +0 two keys). */
static uint32_t order_key(float v)
{
    uint32_t u;
    memcpy(&u, &v, sizeof u);
    return u & 0x80000000u ? ~u : u | 0x80000000u;
}

static float key_value(uint32_t k)
{
    uint32_t u = k & 0x80000000u ? k & 0x7fffffffu : ~k;
    float v;
    memcpy(&v, &u, sizeof v);
    return v;
}

/* The area of the largest region of {map > t}. */
static effad_status largest_area(const float *map, int w, int h, float t, region_list *rl, uint32_t *largest,
                                 effad_error *e)
{
    effad_status s = regions_find(map, w, h, t, rl, e);
    *largest = 0;
    for (size_t i = 0; !s && i < rl->n; i++) if (rl->r[i].area > *largest) *largest = rl->r[i].area;
    return s;
}

/* The largest region's area only falls as t rises and changes only at
 * the map's values, so the answer is the smallest float t where it is
 * below min_area: a bisection over the floats between the map's least and
 * greatest values, at most 32 labellings of runs (regions_find), instead
 * of ranking every pixel -- which took 16 bytes a pixel, 768 MB for a
 * 48-megapixel map. The least such t is the left end of a step, so a map
 * value (tests/unit/test-maps-regions.c holds it to scipy's scan over
 * every distinct value). */
effad_status regions_min_threshold(const float *map, int w, int h, uint32_t min_area, double *t, effad_error *e)
{
    effad_status s = check_size(w, h, e);
    if (s) return s;
    if (min_area < 1) return effad_fail(e, EFFAD_ERR_ARG, "regions: the minimum area must be at least 1 pixel");
    size_t n = (size_t)w * (size_t)h;
    *t = -INFINITY;
    if (n < min_area) return EFFAD_OK;
    float lo_v = INFINITY, hi_v = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        if (map[i] < lo_v) lo_v = map[i];
        if (map[i] > hi_v) hi_v = map[i];
    }
    if (!(lo_v <= hi_v)) return EFFAD_OK;   /* no pixel is a number: none is ever defective */
    region_list rl = { 0 };
    uint32_t largest;
    /* everything admitted, and still too small: no threshold is needed */
    if ((s = largest_area(map, w, h, -INFINITY, &rl, &largest, e)) || largest < min_area) {
        region_list_free(&rl);
        return s;
    }
    /* at hi_v nothing is above: the answer is at most there */
    uint32_t lo = order_key(lo_v), hi = order_key(hi_v);
    while (lo < hi && !s) {
        uint32_t mid = lo + (hi - lo) / 2;
        if ((s = largest_area(map, w, h, key_value(mid), &rl, &largest, e))) break;
        if (largest < min_area) hi = mid;
        else lo = mid + 1;
    }
    region_list_free(&rl);
    float v = key_value(hi);
    if (!s) *t = v == 0 ? 0.0 : v;   /* -0 and +0 admit the same pixels: +0, the map's value */
    return s;
}
