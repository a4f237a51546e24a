/*
 * synth.c -- the synthetic inspection set (see synth.h).
 *
 * An image is built in three passes over one intensity field, in 1/16
 * grey levels (integers, so no libm or FP rounding can make two machines
 * disagree):
 *   1. texture, with this image's random phase;
 *   2. the defect, if any, drawn into the field and the mask;
 *   3. lighting (gradient + offset), noise, and a per-texture colour tint.
 * Lighting comes after the defect because a real missing patch is lit like
 * the rest of the part.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "image.h"
#include "rng.h"
#include "synth.h"
#include "atomic-file.h"

#define FX 16                 /* field units per grey level */
#define MIN_SIDE 32
#define MAX_SIDE 4096

static const char *const defect_names[SYNTH_N_DEFECTS] = { "scratch", "spot", "hole", "missing" };
static const char *const texture_names[SYNTH_N_TEXTURES] = { "fabric", "metal", "grid" };

/* Per texture: colour tint (x/256 per channel) and the flat background a
 * "missing" patch shows: the bare substrate, darker than the texture's
 * mean so that the patch reads as a hole in the surface layer. */
static const int tint[SYNTH_N_TEXTURES][3] = { { 256, 226, 184 }, { 236, 244, 256 }, { 200, 256, 210 } };
static const int flat_level[SYNTH_N_TEXTURES] = { 90, 110, 110 };

void synth_options_default(synth_options *o)
{
    memset(o, 0, sizeof *o);
    o->seed = 1;
    o->w = o->h = 128;
    o->texture = SYNTH_METAL;
    o->n_train = 60;
    o->n_test_good = 20;
    o->n_per_defect = 10;
}

const char *synth_defect_name(int defect)
{
    if (defect == SYNTH_GOOD) return "good";
    return defect >= 0 && defect < SYNTH_N_DEFECTS ? defect_names[defect] : NULL;
}

const char *synth_texture_name(int texture)
{
    return texture >= 0 && texture < SYNTH_N_TEXTURES ? texture_names[texture] : NULL;
}

int synth_texture_parse(const char *name)
{
    for (int t = 0; name && t < SYNTH_N_TEXTURES; t++)
        if (strcmp(name, texture_names[t]) == 0) return t;
    return -1;
}

/* =============================================================== textures */

/* Woven fabric: 4-pixel threads over-under in a checkerboard, each thread
 * with its own brightness, rounded across its width. */
static void tex_fabric(int *f, int w, int h, rng *r)
{
    static const int profile[4] = { 9, 15, 16, 11 };   /* /16, across a thread */
    int px = rng_int(r, 0, 63), py = rng_int(r, 0, 63);
    uint64_t salt = rng_next(r);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            int u = x + px, v = y + py, tx = u >> 2, ty = v >> 2;
            int vertical_on_top = ((tx + ty) & 1) == 0;
            int thread = vertical_on_top ? tx : ty + 4096;
            int jitter = (int)(rng_mix(salt ^ (uint64_t)thread) >> 60) - 8;     /* -8..7 levels */
            int across = profile[(vertical_on_top ? u : v) & 3];
            int level = 90 + 70 * across / 16 + jitter - (vertical_on_top ? 0 : 12);
            f[(size_t)y * w + x] = level * FX;
        }
}

/* Brushed metal: streaks along x. Each row holds random knots every 16
 * pixels, linearly interpolated; rows are then blurred [1 2 1] vertically
 * so streaks are a few pixels thick. */
static effad_status tex_metal(int *f, int w, int h, rng *r, effad_error *e)
{
    int nk = w / 16 + 2;
    int *knots = malloc(sizeof(int) * (size_t)nk * (size_t)h), *tmp = malloc(sizeof(int) * (size_t)w * (size_t)h);
    if (!knots || !tmp) { free(knots); free(tmp); return effad_fail(e, EFFAD_ERR_NOMEM, "synth: out of memory"); }
    int shift = rng_int(r, 0, 15);
    for (size_t i = 0; i < (size_t)nk * (size_t)h; i++) knots[i] = rng_int(r, -28, 28) * FX;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            int u = x + shift, k = u / 16, t = u % 16;
            const int *kr = knots + (size_t)y * nk;
            tmp[(size_t)y * w + x] = 150 * FX + (kr[k] * (16 - t) + kr[k + 1] * t) / 16;
        }
    for (int y = 0; y < h; y++) {
        const int *a = tmp + (size_t)(y > 0 ? y - 1 : y) * w, *b = tmp + (size_t)y * w,
                  *c = tmp + (size_t)(y < h - 1 ? y + 1 : y) * w;
        for (int x = 0; x < w; x++) f[(size_t)y * w + x] = (a[x] + 2 * b[x] + c[x]) / 4;
    }
    free(knots); free(tmp);
    return EFFAD_OK;
}

/* A grid: bright cells with dark 3-pixel bars every 16 pixels (a mesh, a
 * perforated plate, a PCB's copper lattice), cells slightly uneven. */
static void tex_grid(int *f, int w, int h, rng *r)
{
    int px = rng_int(r, 0, 15), py = rng_int(r, 0, 15);
    uint64_t salt = rng_next(r);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            int u = x + px, v = y + py;
            int level;
            if (u % 16 < 2 || v % 16 < 2) level = 120;
            else level = 172 + (int)(rng_mix(salt ^ (uint64_t)((u / 16) * 4099 + v / 16)) >> 61) - 4;
            f[(size_t)y * w + x] = level * FX;
        }
}

/* ================================================================ defects */

static int sign(rng *r) { return (rng_next(r) >> 63) ? 1 : -1; }

/* A straight line 2-3 pixels wide and 24-60 % of the image long, at any
 * angle: distance to the segment in exact integer arithmetic. */
static void draw_scratch(int *f, uint8_t *mask, int w, int h, rng *r)
{
    int side = w < h ? w : h;
    int lmin = side * 12 / 100, lmax = side * 30 / 100;   /* half-lengths */
    int hx = lmax, hy = 0;
    for (int tries = 0; tries < 1000; tries++) {
        int ax = rng_int(r, -lmax, lmax), ay = rng_int(r, -lmax, lmax);
        int l2 = ax * ax + ay * ay;
        if (l2 >= lmin * lmin && l2 <= lmax * lmax) { hx = ax; hy = ay; break; }
    }
    int m = 4, ahx = hx < 0 ? -hx : hx, ahy = hy < 0 ? -hy : hy;
    int cx = rng_int(r, m + ahx, w - 1 - m - ahx), cy = rng_int(r, m + ahy, h - 1 - m - ahy);
    int x0 = cx - hx, y0 = cy - hy;
    int64_t dx = 2 * (int64_t)hx, dy = 2 * (int64_t)hy, len2 = dx * dx + dy * dy;
    int hw4 = rng_int(r, 4, 9);                /* (half-width)^2 in quarter pixels^2 */
    int amp = sign(r) * rng_int(r, 70, 100) * FX;
    int bx0 = x0 < x0 + dx ? x0 : (int)(x0 + dx), bx1 = x0 > x0 + dx ? x0 : (int)(x0 + dx);
    int by0 = y0 < y0 + dy ? y0 : (int)(y0 + dy), by1 = y0 > y0 + dy ? y0 : (int)(y0 + dy);
    for (int y = by0 - 2; y <= by1 + 2; y++)
        for (int x = bx0 - 2; x <= bx1 + 2; x++) {
            if (x < 0 || y < 0 || x >= w || y >= h) continue;
            int64_t px = x - x0, py = y - y0, dot = px * dx + py * dy, in;
            if (dot <= 0) in = 4 * (px * px + py * py) <= hw4;
            else if (dot >= len2) {
                int64_t qx = px - dx, qy = py - dy;
                in = 4 * (qx * qx + qy * qy) <= hw4;
            } else {
                int64_t cr = px * dy - py * dx;
                in = 4 * cr * cr <= hw4 * len2;
            }
            if (!in) continue;
            f[(size_t)y * w + x] += amp;
            mask[(size_t)y * w + x] = 255;
        }
}

/* An elliptical stain, radii 4-9 pixels, full strength over its inner half
 * and fading to the rim. */
static void draw_spot(int *f, uint8_t *mask, int w, int h, rng *r)
{
    int rx = rng_int(r, 4, 9), ry = rng_int(r, 4, 9), m = 3;
    int cx = rng_int(r, rx + m, w - 1 - rx - m), cy = rng_int(r, ry + m, h - 1 - ry - m);
    int amp = sign(r) * rng_int(r, 55, 85) * FX;
    int64_t Q = (int64_t)rx * rx * ry * ry;
    for (int y = cy - ry; y <= cy + ry; y++)
        for (int x = cx - rx; x <= cx + rx; x++) {
            int64_t dx = x - cx, dy = y - cy, q = dx * dx * ry * ry + dy * dy * rx * rx;
            if (q >= Q) continue;
            int64_t wt = 32 * (Q - q) / Q;     /* /16, capped at 1 */
            if (wt > 16) wt = 16;
            f[(size_t)y * w + x] += (int)(amp * wt / 16);
            mask[(size_t)y * w + x] = 255;
        }
}

/* A drilled-through or punched hole: a near-black disc, radius 4-7, with
 * a 2-pixel bright burr around it. */
static void draw_hole(int *f, uint8_t *mask, int w, int h, rng *r)
{
    int rad = rng_int(r, 4, 7), outer = rad + 2, m = 3;
    int cx = rng_int(r, outer + m, w - 1 - outer - m), cy = rng_int(r, outer + m, h - 1 - outer - m);
    int dark = rng_int(r, 15, 35) * FX, rim = rng_int(r, 40, 60) * FX;
    for (int y = cy - outer; y <= cy + outer; y++)
        for (int x = cx - outer; x <= cx + outer; x++) {
            int d2 = (x - cx) * (x - cx) + (y - cy) * (y - cy);
            if (d2 > outer * outer) continue;
            if (d2 <= rad * rad) f[(size_t)y * w + x] = dark;
            else f[(size_t)y * w + x] += rim;
            mask[(size_t)y * w + x] = 255;
        }
}

/* A rectangle 12-22 % of the side in each direction where the texture is
 * gone: the bare substrate at the texture's mean level. */
static void draw_missing(int *f, uint8_t *mask, int w, int h, rng *r, synth_texture tex)
{
    int rw = rng_int(r, w * 12 / 100, w * 22 / 100), rh = rng_int(r, h * 12 / 100, h * 22 / 100), m = 3;
    int x0 = rng_int(r, m, w - m - rw), y0 = rng_int(r, m, h - m - rh);
    int level = (flat_level[tex] + rng_int(r, -8, 8)) * FX;
    for (int y = y0; y < y0 + rh; y++)
        for (int x = x0; x < x0 + rw; x++) {
            f[(size_t)y * w + x] = level;
            mask[(size_t)y * w + x] = 255;
        }
}

/* ================================================================= render */

static effad_status check_options(const synth_options *o, effad_error *e)
{
    if (!o) return effad_fail(e, EFFAD_ERR_ARG, "synth: no options");
    if (o->w < MIN_SIDE || o->h < MIN_SIDE || o->w > MAX_SIDE || o->h > MAX_SIDE)
        return effad_fail(e, EFFAD_ERR_ARG, "synth: image size %dx%d outside %d..%d", o->w, o->h, MIN_SIDE, MAX_SIDE);
    if ((unsigned)o->texture >= SYNTH_N_TEXTURES)
        return effad_fail(e, EFFAD_ERR_ARG, "synth: unknown texture %d", (int)o->texture);
    if (o->n_train < 1 || o->n_test_good < 0 || o->n_per_defect < 0 ||
        o->n_train > 999 || o->n_test_good > 999 || o->n_per_defect > 999)
        return effad_fail(e, EFFAD_ERR_ARG, "synth: counts %d train, %d test good, %d per defect outside 1..999 / 0..999",
                          o->n_train, o->n_test_good, o->n_per_defect);
    return EFFAD_OK;
}

effad_status synth_render(const synth_options *opt, synth_split split, int defect, int index,
                          uint8_t *rgb, uint8_t *mask, effad_error *e)
{
    effad_status s = check_options(opt, e);
    if (s) return s;
    if (!rgb || index < 0 || (split != SYNTH_TRAIN && split != SYNTH_TEST) ||
        defect < SYNTH_GOOD || defect >= SYNTH_N_DEFECTS || (split == SYNTH_TRAIN && defect != SYNTH_GOOD))
        return effad_fail(e, EFFAD_ERR_ARG, "synth: bad image request (split %d, defect %d, index %d)",
                          (int)split, defect, index);
    const int w = opt->w, h = opt->h;
    const size_t n = (size_t)w * (size_t)h;
    int *f = malloc(sizeof(int) * n);
    uint8_t *own_mask = mask ? NULL : malloc(n);
    if (!f || (!mask && !own_mask)) { free(f); free(own_mask); return effad_fail(e, EFFAD_ERR_NOMEM, "synth: out of memory"); }
    if (!mask) mask = own_mask;
    memset(mask, 0, n);

    /* one independent stream per image */
    uint64_t id = ((uint64_t)split << 48) ^ ((uint64_t)(defect + 1) << 40) ^ (uint64_t)index;
    rng r = rng_seeded(rng_mix(opt->seed) ^ rng_mix(id + 0x5eed));

    if (opt->texture == SYNTH_FABRIC) tex_fabric(f, w, h, &r);
    else if (opt->texture == SYNTH_GRID) tex_grid(f, w, h, &r);
    else if ((s = tex_metal(f, w, h, &r, e))) { free(f); free(own_mask); return s; }

    switch (defect) {
    case SYNTH_SCRATCH: draw_scratch(f, mask, w, h, &r); break;
    case SYNTH_SPOT:    draw_spot(f, mask, w, h, &r); break;
    case SYNTH_HOLE:    draw_hole(f, mask, w, h, &r); break;
    case SYNTH_MISSING: draw_missing(f, mask, w, h, &r, opt->texture); break;
    default: break;
    }

    /* lighting: a gradient of up to +-6 levels edge to centre, +-5 offset */
    int gx = rng_int(&r, -6, 6), gy = rng_int(&r, -6, 6), offset = rng_int(&r, -5, 5);
    const int *t = tint[opt->texture];
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            size_t i = (size_t)y * w + x;
            int v = f[i] + offset * FX + gx * FX * (2 * x - w) / w + gy * FX * (2 * y - h) / h;
            int noise = rng_int(&r, -3, 3) + rng_int(&r, -3, 3);    /* triangular, +-6 levels */
            if (v < 0) v = 0;
            for (int c = 0; c < 3; c++) {
                int p = (v * t[c] + 2048) / 4096 + noise;            /* /FX and /256 tint */
                rgb[i * 3 + c] = (uint8_t)(p < 0 ? 0 : p > 255 ? 255 : p);
            }
        }
    free(f); free(own_mask);
    return EFFAD_OK;
}

/* ================================================================= files */

/* mkdir -p, naming the directory that could not be made. */
static effad_status make_dirs(const char *path, effad_error *e)
{
    size_t n = strlen(path);
    char *p = malloc(n + 1);
    if (!p) return effad_fail(e, EFFAD_ERR_NOMEM, "synth: out of memory");
    memcpy(p, path, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (p[i] != '/' && p[i] != '\0') continue;
        char c = p[i];
        p[i] = '\0';
        if (mkdir(p, 0755) != 0 && errno != EEXIST) {
            effad_status s = effad_fail(e, EFFAD_ERR_IO, "synth: cannot create directory %s: %s", p, strerror(errno));
            free(p);
            return s;
        }
        p[i] = c;
    }
    struct stat st;
    effad_status s = EFFAD_OK;
    if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
        s = effad_fail(e, EFFAD_ERR_IO, "synth: %s is not a directory", path);
    free(p);
    return s;
}

/* 1 if dir exists and has any entry, 0 if empty or absent, -1 on error. */
static int dir_nonempty(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return errno == ENOENT ? 0 : -1;
    int found = 0;
    struct dirent *de;
    while (!found && (de = readdir(d)) != NULL)
        found = strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0;
    closedir(d);
    return found;
}

typedef struct writer {
    const char *dir;
    const synth_options *opt;
    synth_report *rep;
    uint8_t *rgb, *mask;
    char *path;
    size_t path_cap;
    effad_error *e;
} writer;

/* Atomic for readers (temp + rename) but without fsync: the set is
 * regenerated from its seed in a second, while 160 fsyncs alone took over a
 * second on an ext4 disk. */
static effad_status write_file(const char *path, const uint8_t *data, size_t n, effad_error *e)
{
    return atomic_file_write_flags(path, data, n, ATOMIC_NO_SYNC, e);
}

static effad_status write_png(writer *wr, const char *sub, const char *name, int index, const char *suffix,
                              const uint8_t *px, int channels)
{
    snprintf(wr->path, wr->path_cap, "%s/%s/%s/%03d%s.png", wr->dir, sub, name, index, suffix);
    uint8_t *png = NULL;
    size_t n = 0;
    effad_status s = image_encode_png(px, wr->opt->w, wr->opt->h, channels, &png, &n, wr->e);
    if (!s) s = write_file(wr->path, png, n, wr->e);
    free(png);
    if (!s) wr->rep->bytes_written += n;
    return s;
}

/* All images of one folder: train/good, test/good or test/<defect>. */
static effad_status write_folder(writer *wr, synth_split split, int defect, int count)
{
    const char *name = synth_defect_name(defect);
    const char *sub = split == SYNTH_TRAIN ? "train" : "test";
    effad_status s;
    snprintf(wr->path, wr->path_cap, "%s/%s/%s", wr->dir, sub, name);
    if ((s = make_dirs(wr->path, wr->e))) return s;
    if (defect != SYNTH_GOOD) {
        snprintf(wr->path, wr->path_cap, "%s/ground_truth/%s", wr->dir, name);
        if ((s = make_dirs(wr->path, wr->e))) return s;
    }
    for (int i = 0; i < count; i++) {
        if ((s = synth_render(wr->opt, split, defect, i, wr->rgb, wr->mask, wr->e))) return s;
        if ((s = write_png(wr, sub, name, i, "", wr->rgb, 3))) return s;
        if (defect != SYNTH_GOOD) {
            if ((s = write_png(wr, "ground_truth", name, i, "_mask", wr->mask, 1))) return s;
            wr->rep->n_masks++;
        }
    }
    return EFFAD_OK;
}

effad_status synth_make_dataset(const char *dir, const synth_options *opt, synth_report *rep,
                                effad_error *e)
{
    synth_report local;
    if (!rep) rep = &local;
    memset(rep, 0, sizeof *rep);
    if (!dir || !*dir) return effad_fail(e, EFFAD_ERR_ARG, "synth: no output directory");
    effad_status s = check_options(opt, e);
    if (s) return s;
    int busy = dir_nonempty(dir);
    if (busy < 0) return effad_fail(e, EFFAD_ERR_IO, "synth: cannot read directory %s: %s", dir, strerror(errno));
    if (busy && !opt->overwrite)
        return effad_fail(e, EFFAD_ERR_ARG, "synth: %s exists and is not empty; refusing to write into it "
                          "(choose a new directory or allow overwriting)", dir);
    if ((s = make_dirs(dir, e))) return s;

    writer wr = { dir, opt, rep, NULL, NULL, NULL, strlen(dir) + 64, e };
    size_t n = (size_t)opt->w * (size_t)opt->h;
    wr.rgb = malloc(n * 3);
    wr.mask = malloc(n);
    wr.path = malloc(wr.path_cap);
    if (!wr.rgb || !wr.mask || !wr.path) { s = effad_fail(e, EFFAD_ERR_NOMEM, "synth: out of memory"); goto done; }

    if ((s = write_folder(&wr, SYNTH_TRAIN, SYNTH_GOOD, opt->n_train))) goto done;
    rep->n_train = opt->n_train;
    if ((s = write_folder(&wr, SYNTH_TEST, SYNTH_GOOD, opt->n_test_good))) goto done;
    rep->n_test_good = opt->n_test_good;
    for (int d = 0; d < SYNTH_N_DEFECTS && opt->n_per_defect > 0; d++) {
        if ((s = write_folder(&wr, SYNTH_TEST, d, opt->n_per_defect))) goto done;
        rep->n_test_defect += opt->n_per_defect;
    }
done:
    free(wr.rgb); free(wr.mask); free(wr.path);
    return s;
}
