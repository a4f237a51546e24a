/*
 * test-golden-int8.c -- effad's int8 forward pass against ONNX Runtime
 * running the QDQ graph `effad convert --emit-qdq` wrote for it.
 *
 * For every case directory under the root (default tests/int8; `make
 * golden-int8` passes build/golden-int8) with a golden.txt written by
 * tests/int8/gen.py:
 *   - "forced" lines: ORT ran one block (or the head) alone on effad's own
 *     output of the level before; effad's map of the level must be within
 *     one quantisation step of ORT's on >= 99.9 % of the elements (levels
 *     that stay float32: within 1e-4 of the map's largest value), and its
 *     pooled vector within one step of the mean of ORT's map. Only when
 *     this kernel path produced the very map ORT was fed (its checksum):
 *     the float stem and squeeze-excite round differently on each ISA, a
 *     value near a rounding boundary then lands one step away, and deep
 *     networks carry such flips on -- ORT's answer is for the other input.
 *     The levels compared per path are counted; the path the goldens were
 *     made with compares them all;
 *   - "chained" lines: ORT ran the whole graph; the share of elements
 *     within one step is printed per level, not asserted (see gen.py on
 *     how rounding flips compound through a deep network);
 *   - qdq_emit on the committed .efm reproduces the committed qdq.onnx
 *     byte for byte (the graph the goldens came from is the graph the
 *     emitter writes today).
 * Every kernel table this machine runs is checked (the int8 kernels equal
 * the scalar ones bit for bit; the float stem and squeeze-excite differ in
 * the last bits, well inside a step).
 */
#include <dirent.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "test-files.h"
#include "effad.h"
#include "dispatch.h"
#include "qdq-emit.h"

#define SHARE 0.999        /* of the elements within one step */
#define FLOAT_TOL 1e-4     /* float32 levels: of the map's largest |value| */

typedef struct model_file {
    char name[64];
    void *bytes;
    effad_model m;
} model_file;

/* The element type of tap t's level. */
static effad_qtype tap_type(const effad_model *m, int t)
{
    const int at = m->taps[t].at;
    if (at == 0) return m->stem.out_q;
    if (at <= m->n_blocks) return m->blocks[at - 1].project.out_q;
    return m->head.out_q;
}

/* Every level's map (CHW, tap order, concatenated) and pooled vector. */
static int run_maps(const effad_model *m, const effad_kernel_set *k, const float *input, float **maps, size_t *map_off,
                    float *pooled_all)
{
    effad_error e = { 0 };
    const effad_plan_opts po = { .n_workers = 1, .map_taps = (uint32_t)((1ull << m->n_taps) - 1) };
    size_t bytes;
    void *arena = 0;
    effad_runner r;
    effad_status s = effad_arena_bytes(m, k, &po, &bytes, &e);
    if (!s && posix_memalign(&arena, 64, bytes)) s = EFFAD_ERR_NOMEM;
    if (!s) s = effad_runner_init(&r, m, k, &po, arena, bytes, &e);
    float *pooled[EFFAD_MAX_TAPS];
    size_t off = 0, total = 0;
    for (int t = 0; t < m->n_taps; t++) { pooled[t] = pooled_all + off; off += (size_t)m->taps[t].channels; }
    if (!s) s = effad_run(&r, input, pooled, &e);
    CHECK_MSG(s == EFFAD_OK, "run: %s", e.msg);
    if (s) { free(arena); return 0; }
    for (int t = 0; t < m->n_taps; t++) {
        int c, h, w;
        effad_tap_shape(&r, t, &c, &h, &w);
        map_off[t] = total;
        total += (size_t)c * h * w;
    }
    map_off[m->n_taps] = total;
    *maps = malloc(sizeof(float) * total);
    for (int t = 0; t < m->n_taps && *maps; t++) {
        int c, h, w;
        effad_tap_shape(&r, t, &c, &h, &w);
        const float *hwc = effad_tap_map(&r, t);
        for (int p = 0; p < h * w; p++)
            for (int ch = 0; ch < c; ch++) (*maps)[map_off[t] + (size_t)ch * h * w + p] = hwc[(size_t)p * c + ch];
    }
    free(arena);
    return *maps != 0;
}

typedef struct agreement { double share, max_steps; size_t n; } agreement;

/* got vs want (n values of a level of type q): share within one step. */
static agreement agree(const float *got, const float *want, size_t n, const effad_qtype *q)
{
    double big = 0;
    for (size_t i = 0; i < n; i++) big = fabs(want[i]) > big ? fabs(want[i]) : big;
    const double step = q->dtype != EFFAD_F32 ? q->scale : FLOAT_TOL * (big > 0 ? big : 1);
    agreement a = { 0, 0, n };
    size_t ok = 0;
    for (size_t i = 0; i < n; i++) {
        const double d = fabs((double)got[i] - want[i]) / step;
        ok += d <= 1.001;   /* one step, give or take the rounding of two dequantised values */
        if (d > a.max_steps || d != d) a.max_steps = d != d ? INFINITY : d;
    }
    a.share = n ? (double)ok / (double)n : 1.0;
    return a;
}

static model_file *model_of(model_file *files, int *n_files, const char *dir, const char *name)
{
    for (int i = 0; i < *n_files; i++)
        if (!strcmp(files[i].name, name)) return &files[i];
    if (*n_files == 4) return 0;
    model_file *f = &files[*n_files];
    char path[700];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    size_t n = 0;
    uint8_t *raw = slurp(path, &n);
    CHECK_MSG(raw != 0, "cannot read %s", path);
    if (!raw) return 0;
    if (posix_memalign(&f->bytes, 64, n)) { free(raw); return 0; }
    memcpy(f->bytes, raw, n);
    free(raw);
    effad_error e = { 0 };
    CHECK_MSG(effad_model_load_writable(&f->m, f->bytes, n, &e) == EFFAD_OK, "%s: %s", path, e.msg);
    if (e.status) { free(f->bytes); return 0; }
    snprintf(f->name, sizeof f->name, "%s", name);
    (*n_files)++;
    return f;
}

/* gen.py's checksum(): sum of w_i * (2i + 1) mod 2^64 over the bit
 * patterns of the map's floats in C x H x W order. */
static uint64_t checksum(const float *x, size_t n)
{
    uint64_t sum = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t w;
        memcpy(&w, &x[i], 4);
        sum += (uint64_t)w * (2 * (uint64_t)i + 1);
    }
    return sum;
}

/* qdq_emit(model) == the committed graph. */
static void check_emit(const char *dir, const char *efm_name, const effad_model *m)
{
    char path[700];
    const char *qdq = !strcmp(efm_name, "model.efm") ? "qdq.onnx" : "qdq-stage.onnx";
    snprintf(path, sizeof path, "%s/%s", dir, qdq);
    size_t n = 0, n2 = 0;
    uint8_t *want = slurp(path, &n), *got = 0;
    effad_error e = { 0 };
    CHECK_MSG(want != 0, "cannot read %s", path);
    CHECK_MSG(qdq_emit(m, &got, &n2, &e) == EFFAD_OK, "%s: qdq_emit: %s", dir, e.msg);
    CHECK_MSG(want && got && n == n2 && !memcmp(want, got, n),
              "%s: qdq_emit no longer writes the committed graph (%zu vs %zu bytes): re-run tests/int8/gen.py", path, n2, n);
    free(want); free(got);
}

static void check_case(const char *dir)
{
    char path[700], line[1024];
    snprintf(path, sizeof path, "%s/golden.txt", dir);
    FILE *f = fopen(path, "r");
    if (!f) return;
    snprintf(path, sizeof path, "%s/input.f32", dir);
    size_t n_in = 0;
    float *input = slurp_f32(path, &n_in);
    CHECK_MSG(input != 0, "cannot read %s", path);
    model_file *files = calloc(4, sizeof *files);
    int n_files = 0;
    const char *base = strrchr(dir, '/') ? strrchr(dir, '/') + 1 : dir;
    for (size_t ti = 0; ops_kernels_at(ti) && input; ti++) {   /* every table this CPU runs, variants too */
        const effad_kernel_set *k = ops_kernels_at(ti);
        if (!ops_kernels_run(k)) continue;
        const int first = ti == 0;   /* the scalar table: the one that checks the files themselves */
        rewind(f);
        float *maps[4] = { 0 }, *pooled[4] = { 0 };
        size_t off[4][EFFAD_MAX_TAPS + 1];
        double worst = 1.0;
        int forced = 0, skipped = 0;
        while (fgets(line, sizeof line, f)) {
            char kind[16], efm[64], file[128], tin_s[16], sum_s[32] = "-";
            int tout = 0;
            if (line[0] == '#' || sscanf(line, "%15s %63s %15s", kind, efm, tin_s) != 3) continue;
            const int is_forced = !strcmp(kind, "forced");
            if (is_forced ? sscanf(line, "%*s %*s %*s %d %127s %31s", &tout, file, sum_s) < 2
                          : sscanf(line, "%*s %*s %*s %127s", file) != 1) continue;
            model_file *mf = model_of(files, &n_files, dir, efm);
            if (!mf) continue;
            const int mi = (int)(mf - files);
            const effad_model *m = &mf->m;
            if (!maps[mi]) {
                size_t total = 0;
                for (int t = 0; t < m->n_taps; t++) total += (size_t)m->taps[t].channels;
                pooled[mi] = malloc(sizeof(float) * (total + 1));
                if (!run_maps(m, k, input, &maps[mi], off[mi], pooled[mi])) continue;
                if (first) check_emit(dir, efm, m);
            }
            snprintf(path, sizeof path, "%s/%s", dir, file);
            size_t nb = 0;
            float *want = slurp_f32(path, &nb);
            CHECK_MSG(want != 0, "cannot read %s", path);
            if (!want) continue;
            if (is_forced) {
                CHECK_MSG(tout >= 0 && tout < m->n_taps && nb == 4 * (off[mi][tout + 1] - off[mi][tout]),
                          "%s: level %d: %zu bytes", path, tout, nb);
                if (!(tout >= 0 && tout < m->n_taps) || nb != 4 * (off[mi][tout + 1] - off[mi][tout])) { free(want); continue; }
                const int tin = atoi(tin_s);
                if (tin >= 0 && tin < m->n_taps && strcmp(sum_s, "-")) {
                    const uint64_t want_sum = strtoull(sum_s, 0, 16);
                    if (checksum(maps[mi] + off[mi][tin], off[mi][tin + 1] - off[mi][tin]) != want_sum) {
                        skipped++;
                        free(want);
                        continue;
                    }
                }
                const effad_qtype q = tap_type(m, tout);
                const size_t n = off[mi][tout + 1] - off[mi][tout], c = (size_t)m->taps[tout].channels, hw = n / c;
                agreement a = agree(maps[mi] + off[mi][tout], want, n, &q);
                /* pooled: effad's exact mean against the mean of ORT's map */
                size_t p_off = 0;
                for (int t = 0; t < tout; t++) p_off += (size_t)m->taps[t].channels;
                float *mean = malloc(sizeof(float) * c);
                for (size_t ch = 0; ch < c && mean; ch++) {
                    double s = 0;
                    for (size_t p = 0; p < hw; p++) s += want[ch * hw + p];
                    mean[ch] = (float)(s / (double)hw);
                }
                agreement ap = mean ? agree(pooled[mi] + p_off, mean, c, &q) : a;
                free(mean);
                CHECK_MSG(a.share >= SHARE, "%s %s: level %d (%s): %.4f%% within one step, worst %.2f steps", base,
                          k->name, tout, efm, 100 * a.share, a.max_steps);
                CHECK_MSG(ap.share == 1.0, "%s %s: level %d pooled: worst %.2f steps", base, k->name,
                          tout, ap.max_steps);
                worst = a.share < worst ? a.share : worst;
                forced++;
            } else if (first) {
                CHECK_MSG(nb == 4 * off[mi][m->n_taps], "%s: %zu bytes", path, nb);
                if (nb != 4 * off[mi][m->n_taps]) { free(want); continue; }
                printf("  %-14s chained (%s), share within one step per level:", base, efm);
                for (int t = 0; t < m->n_taps; t++) {
                    const effad_qtype q = tap_type(m, t);
                    agreement a = agree(maps[mi] + off[mi][t], want + off[mi][t], off[mi][t + 1] - off[mi][t], &q);
                    printf(" %.4f", a.share);
                }
                printf("\n");
            }
            free(want);
        }
        printf("  %-14s %-6s %d levels, each block alone: worst share within one step %.5f", base,
               k->name, forced, worst);
        if (skipped) printf(" (%d levels not compared: this path's input map differs from ORT's)", skipped);
        printf("\n");
        CHECK_MSG(forced > 0, "%s: no forced level checked", dir);
        for (int i = 0; i < 4; i++) { free(maps[i]); free(pooled[i]); }
    }
    for (int i = 0; i < n_files; i++) free(files[i].bytes);
    free(files);
    free(input);
    fclose(f);
}

int main(int argc, char **argv)
{
    const char *root = argc > 1 ? argv[1] : "tests/int8";
    printf("golden int8: effad against ONNX Runtime on the emitted QDQ graphs under %s\n", root);
    DIR *d = opendir(root);
    CHECK_MSG(d != 0, "cannot open %s", root);
    int cases = 0;
    if (d) {
        struct dirent *de;
        char names[64][256];
        int n = 0;
        while ((de = readdir(d)) && n < 64)
            if (de->d_name[0] != '.') snprintf(names[n++], sizeof names[0], "%s", de->d_name);
        closedir(d);
        /* readdir's order is the filesystem's: sort for a stable log */
        for (int i = 1; i < n; i++)
            for (int j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
                char t[256];
                memcpy(t, names[j], sizeof t); memcpy(names[j], names[j - 1], sizeof t); memcpy(names[j - 1], t, sizeof t);
            }
        for (int i = 0; i < n; i++) {
            char dir[700], probe[800];
            snprintf(dir, sizeof dir, "%s/%s", root, names[i]);
            snprintf(probe, sizeof probe, "%s/golden.txt", dir);
            FILE *g = fopen(probe, "r");
            if (!g) continue;
            fclose(g);
            cases++;
            check_case(dir);
        }
    }
    CHECK_MSG(cases > 0, "no int8 golden case under %s", root);
    return check_done("golden-int8");
}
