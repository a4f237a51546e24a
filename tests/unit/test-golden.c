/*
 * test-golden.c -- effad against ONNX Runtime on the committed golden cases.
 *
 * For every directory under the root (default tests/golden; `make
 * golden-full` passes build/golden-full) that holds model.onnx, input.f32,
 * levels.f32 and levels.txt (written by tests/golden/gen.py from ORT):
 * convert model.onnx in memory, run it on every kernel path this machine
 * has, and require max|effad - ORT| / max|ORT| <= 1e-4 for each level's
 * pooled vector and, when maps.f32 exists, its full map. model-taps.onnx
 * (ORT's own pooled outputs as graph outputs) must give the same vectors
 * through the graph-output taps. The per-level figures are printed.
 */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "level-rel-error.h"
#include "test-files.h"
#include "effad.h"
#include "convert.h"
#include "dispatch.h"

#define TOL 1e-4

typedef struct level { int c, h, w; long lo, mo; } level;

static int read_levels(const char *dir, const char *file, level *lv, int max)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    char line[1024];
    int n = 0;
    while (fgets(line, sizeof line, f) && n < max) {
        if (line[0] == '#') continue;
        int idx;
        if (sscanf(line, "%d %d %d %d %ld %ld", &idx, &lv[n].c, &lv[n].h, &lv[n].w, &lv[n].lo, &lv[n].mo) == 6) n++;
    }
    fclose(f);
    return n;
}

static void check_run(const char *path, const char *label, const effad_model *m, const effad_kernel_set *k,
                      const level *lv, int n_lv, const float *input, const float *want_lv, const float *want_maps);

/* Converts onnx_file, runs it with kernels k, compares with the goldens. */
static void check_model(const char *dir, const char *onnx_file, convert_taps taps, const char *label, const effad_kernel_set *k,
                        const level *lv, int n_lv, const float *input, const float *want_lv, const float *want_maps)
{
    char path[512];
    size_t n_onnx, n_efm;
    snprintf(path, sizeof path, "%s/%s", dir, onnx_file);
    uint8_t *onnx = slurp(path, &n_onnx), *efm = 0;
    CHECK_MSG(onnx != 0, "cannot read %s", path);
    if (!onnx) return;
    effad_error e = { 0 };
    convert_options opt;
    memset(&opt, 0, sizeof opt);
    opt.taps = taps;
    effad_status s = effad_convert_onnx(onnx, n_onnx, &opt, &efm, &n_efm, 0, &e);
    free(onnx);
    CHECK_MSG(s == EFFAD_OK, "%s: convert: %s", path, e.msg);
    if (s) return;
    void *aligned = 0;
    if (posix_memalign(&aligned, 64, n_efm)) { free(efm); return; }
    memcpy(aligned, efm, n_efm);
    free(efm);
    static effad_model m;
    s = effad_model_load_writable(&m, aligned, n_efm, &e);
    CHECK_MSG(s == EFFAD_OK, "%s: load: %s", path, e.msg);
    CHECK_EQ_INT(m.n_taps, n_lv);
    if (s || m.n_taps != n_lv) { free(aligned); return; }

    check_run(path, label, &m, k, lv, n_lv, input, want_lv, want_maps);
    free(aligned);
}

/* Runs a loaded model with kernels k and compares every level with ORT's. */
static void check_run(const char *path, const char *label, const effad_model *m, const effad_kernel_set *k,
                      const level *lv, int n_lv, const float *input, const float *want_lv, const float *want_maps)
{
    size_t arena_bytes;
    effad_runner r;
    void *arena = 0;
    effad_error e = { 0 };
    /* the 1x1 weights packed once, as the pipeline runs them, and the arena
     * planned for that (EFFAD_PLAN_PREPACKED) */
    const size_t pack_bytes = effad_packed_bytes(m, k);
    const effad_plan_opts po = { .in_h = 0, .in_w = 0, .n_workers = 1,
                                 .map_taps = want_maps ? (uint32_t)((1ull << n_lv) - 1) : 0,
                                 .flags = pack_bytes ? EFFAD_PLAN_PREPACKED : 0 };
    effad_status s = effad_arena_bytes(m, k, &po, &arena_bytes, &e);
    if (!s && posix_memalign(&arena, 64, arena_bytes)) s = EFFAD_ERR_NOMEM;
    if (!s) s = effad_runner_init(&r, m, k, &po, arena, arena_bytes, &e);
    effad_packed packed;
    void *pack_buf = 0;
    if (!s && pack_bytes) {
        if (posix_memalign(&pack_buf, 64, pack_bytes)) s = EFFAD_ERR_NOMEM;
        if (!s) s = effad_pack(&packed, m, k, pack_buf, pack_bytes, 0, 0, &e);
        if (!s) r.packed = &packed;
    }
    float *pooled[EFFAD_MAX_TAPS], *maps[EFFAD_MAX_TAPS];
    long tot_lv = lv[n_lv - 1].lo + lv[n_lv - 1].c, tot_maps = lv[n_lv - 1].mo + (long)lv[n_lv - 1].c * lv[n_lv - 1].h * lv[n_lv - 1].w;
    float *got_lv = malloc(sizeof(float) * (size_t)tot_lv), *got_maps = malloc(sizeof(float) * (size_t)(tot_maps > 0 ? tot_maps : 1));
    for (int t = 0; t < n_lv; t++) {
        pooled[t] = got_lv + lv[t].lo;
        maps[t] = want_maps ? got_maps + lv[t].mo : 0;
    }
    if (!s) s = effad_run(&r, input, pooled, &e);
    CHECK_MSG(s == EFFAD_OK, "%s: run: %s", path, e.msg);
    /* the engine keeps maps HWC; ORT's are CHW */
    for (int t = 0; !s && want_maps && t < n_lv; t++) {
        int c, h, w;
        effad_tap_shape(&r, t, &c, &h, &w);
        const float *hwc = effad_tap_map(&r, t);
        CHECK_MSG(hwc != 0, "%s level %d: no map", path, t);
        if (!hwc || c != lv[t].c || h != lv[t].h || w != lv[t].w) continue;
        for (int p = 0; p < h * w; p++)
            for (int ch = 0; ch < c; ch++) maps[t][(size_t)ch * h * w + p] = hwc[(size_t)p * c + ch];
    }
    if (!s) {
        const char *dir_end = strrchr(path, '/'), *dir = path;
        char name[64];
        int len = 0;
        if (dir_end) {   /* the case directory's name, for the table */
            const char *b = dir_end;
            while (b > dir && b[-1] != '/') b--;
            len = (int)(dir_end - b) < 63 ? (int)(dir_end - b) : 63;
            memcpy(name, b, (size_t)len);
        }
        name[len] = '\0';
        printf("  %-16s %-15s %-6s", name, label, effad_kernels_name(k));
        double worst = 0;
        for (int t = 0; t < n_lv; t++) {
            int c, h, w;
            effad_tap_shape(&r, t, &c, &h, &w);
            /* a golden of pooled outputs records 1x1 maps: only channels to compare */
            int pooled_only = lv[t].h == 1 && lv[t].w == 1 && !want_maps;
            CHECK_MSG(c == lv[t].c && (pooled_only || (h == lv[t].h && w == lv[t].w)), "%s level %d: %dx%dx%d, ORT %dx%dx%d",
                      path, t, c, h, w, lv[t].c, lv[t].h, lv[t].w);
            double ev = level_error(pooled[t], want_lv + lv[t].lo, (size_t)c);
            double em = want_maps ? level_error(maps[t], want_maps + lv[t].mo, (size_t)c * h * w) : 0;
            CHECK_MSG(ev <= TOL, "%s level %d pooled: relative error %.3g > %g", path, t, ev, TOL);
            CHECK_MSG(em <= TOL, "%s level %d map: relative error %.3g > %g", path, t, em, TOL);
            double m2 = ev > em ? ev : em;
            if (m2 > worst) worst = m2;
            printf(" %.1e", m2);
        }
        printf("  worst %.1e\n", worst);
    }
    free(got_lv); free(got_maps); free(arena); free(pack_buf);
}

/* A version 1 .efm (written by the converter before version 2 existed,
 * tests/data/efm/) still loads and still gives ORT's numbers. */
static void check_version1(void)
{
    const char *dir = "tests/golden/tiny-lm-static";
    size_t n, n_in, n_lvb;
    uint8_t *bytes = slurp("tests/data/efm/v1-tiny-lm-static.efm", &n);
    float *input = slurp_f32("tests/golden/tiny-lm-static/input.f32", &n_in);
    float *want = slurp_f32("tests/golden/tiny-lm-static/levels.f32", &n_lvb);
    level lv[EFFAD_MAX_TAPS];
    int n_lv = read_levels(dir, "levels.txt", lv, EFFAD_MAX_TAPS);
    CHECK_MSG(bytes && input && want && n_lv > 0, "version 1 fixture or its goldens missing");
    void *aligned = 0;
    if (bytes && input && want && n_lv > 0 && !posix_memalign(&aligned, 64, n)) {
        memcpy(aligned, bytes, n);
        static effad_model m;
        effad_error e = { 0 };
        effad_status s = effad_model_load_writable(&m, aligned, n, &e);
        CHECK_MSG(s == EFFAD_OK && m.version == 1, "version 1 file: %s (version %d)", e.msg, m.version);
        if (!s) check_run("tests/data/efm/v1-tiny-lm-static.efm", "version 1", &m, effad_kernels(0), lv, n_lv, input,
                          want, 0);
    }
    free(aligned); free(bytes); free(input); free(want);
}

int main(int argc, char **argv)
{
    const char *root = argc > 1 ? argv[1] : "tests/golden";
    DIR *d = opendir(root);
    CHECK_MSG(d != 0, "no golden directory %s", root);
    if (!d) return check_done("golden");
    printf("golden: max|effad-ORT|/max|ORT| per level (pooled and map, whichever is worse), levels 0..8\n");
    char *names[64];
    int n_names = 0;
    struct dirent *de;
    while ((de = readdir(d)) && n_names < 64)
        if (de->d_name[0] != '.') names[n_names++] = strdup(de->d_name);
    closedir(d);
    for (int i = 0; i < n_names; i++)   /* stable order for readable output */
        for (int j = i + 1; j < n_names; j++)
            if (strcmp(names[i], names[j]) > 0) { char *t = names[i]; names[i] = names[j]; names[j] = t; }
    int cases = 0;
    for (int i = 0; i < n_names; i++) {
        char dir[512], path[600];
        snprintf(dir, sizeof dir, "%s/%s", root, names[i]);
        level lv[EFFAD_MAX_TAPS];
        int n_lv = read_levels(dir, "levels.txt", lv, EFFAD_MAX_TAPS);
        if (n_lv <= 0) continue;
        size_t n_in, n_lvb, n_maps = 0;
        snprintf(path, sizeof path, "%s/input.f32", dir);
        float *input = slurp_f32(path, &n_in);
        snprintf(path, sizeof path, "%s/levels.f32", dir);
        float *want_lv = slurp_f32(path, &n_lvb);
        snprintf(path, sizeof path, "%s/maps.f32", dir);
        float *want_maps = slurp_f32(path, &n_maps);
        CHECK_MSG(input && want_lv, "%s: input.f32 or levels.f32 missing", dir);
        if (input && want_lv) {
            cases++;
            for (int isa = 0; isa < OPS_ISA_COUNT; isa++) {
                if (!ops_isa_available((ops_isa)isa)) continue;
                const effad_kernel_set *k = ops_kernels_for((ops_isa)isa);
                check_model(dir, "model.onnx", CONVERT_TAPS_AUTO, "classifier", k, lv, n_lv, input, want_lv, want_maps);
                snprintf(path, sizeof path, "%s/model-taps.onnx", dir);
                FILE *f = fopen(path, "rb");
                if (f) { fclose(f); check_model(dir, "model-taps.onnx", CONVERT_TAPS_AUTO, "pooled-outputs", k, lv, n_lv, input, want_lv, 0); }
                /* MahalanobisAD's levels: its pooled-output graph, and the
                 * plain classifier converted with --taps stage-start */
                level ls[EFFAD_MAX_TAPS];
                int n_ls = read_levels(dir, "levels-start.txt", ls, EFFAD_MAX_TAPS);
                size_t n_start;
                snprintf(path, sizeof path, "%s/levels-start.f32", dir);
                float *want_start = n_ls > 0 ? slurp_f32(path, &n_start) : 0;
                if (want_start) {
                    check_model(dir, "model-taps-start.onnx", CONVERT_TAPS_AUTO, "start-outputs", k, ls, n_ls, input, want_start, 0);
                    check_model(dir, "model.onnx", CONVERT_TAPS_STAGE_START, "--taps start", k, ls, n_ls, input, want_start, 0);
                }
                free(want_start);
            }
        }
        free(input); free(want_lv); free(want_maps);
    }
    for (int i = 0; i < n_names; i++) free(names[i]);
    CHECK_MSG(cases > 0, "no golden case found under %s", root);
    if (argc <= 1) check_version1();
    return check_done("golden");
}
