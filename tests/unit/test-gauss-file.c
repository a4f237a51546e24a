/*
 * test-gauss-file.c -- the .gauss file: round trip, every truncation and
 * every single-bit flip refused, well-sealed but invalid files refused with
 * a message naming the problem, and atomic replacement under injected
 * failures (including a process that dies before the rename).
 */
#include <dirent.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "atomic-file.h"
#include "align.h"
#include "check.h"
#include "gauss-golden.h"
#include "gauss-file-test.h"
#include "gauss-format.h"
#include "gauss.h"

static void fill_stats(gauss_stats *s, size_t d, size_t n, unsigned seed)
{
    effad_error e;
    float *x = malloc(d * sizeof *x);
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < d; j++) {
            seed = seed * 1103515245u + 12345u;
            x[j] = (float)((seed >> 8) % 1000) / 100.0f + (float)j + (float)(i % 3) * (float)j;
        }
        gauss_stats_add(s, x, &e);
    }
    free(x);
}

/* Two levels: one keeping its statistics, with samples still pending in
 * the batch; one without. */
static void make_model(gauss_model *m, unsigned seed)
{
    effad_error e;
    memset(m, 0, sizeof *m);
    m->model_hash = 0x0123456789abcdefull ^ seed;
    m->input_h = 380; m->input_w = 380; m->input_c = 3;
    m->preset = strdup("paper-b4");
    m->taps = strdup("stem,stage1.last,stage2.last,head");
    m->n_levels = 2;
    m->levels = calloc(2, sizeof *m->levels);
    static const size_t dims[2] = { 5, 3 };
    for (int l = 0; l < 2; l++) {
        gauss_stats *s = malloc(sizeof *s);
        gauss_stats_init(s, dims[l], &e);
        fill_stats(s, dims[l], 37, seed + (unsigned)l);
        gauss_level_fit(&m->levels[l], s, NULL, &e);
        if (l == 0) {
            /* statistics grew after the fit, and 3 samples sit in the batch */
            fill_stats(s, dims[l], 3, seed + 99);
            m->levels[l].stats = s;
        }
        else { gauss_stats_free(s); free(s); }
        gauss_level_set_threshold(&m->levels[l], "chi2-3sigma",
                                  chi2_threshold(p_from_sigma(3), (double)dims[l]), &e);
    }
    gauss_level_set_threshold(&m->levels[1], "train-2x-mean", 4.5, &e);
}

static uint8_t *encode(const gauss_model *m, size_t *len)
{
    effad_error e;
    *len = gauss_file_size(m);
    uint8_t *buf = malloc(*len);
    CHECK(gauss_file_encode(m, buf, *len, &e) == EFFAD_OK);
    return buf;
}

static int same_bytes(const void *a, const void *b, size_t n) { return !memcmp(a, b, n); }

static void check_round_trip(void)
{
    gauss_model m, r;
    effad_error e;
    make_model(&m, 1);
    CHECK(m.levels[0].stats->batch_n == 3);
    size_t len;
    uint8_t *buf = encode(&m, &len);
    CHECK(gauss_file_decode(buf, len, &r, &e) == EFFAD_OK);
    CHECK(r.model_hash == m.model_hash && r.input_h == 380 && r.input_c == 3);
    CHECK(!strcmp(r.preset, "paper-b4") && !strcmp(r.taps, m.taps));
    CHECK_EQ_INT(r.n_levels, 2);
    for (int l = 0; l < 2; l++) {
        gauss_level *a = &m.levels[l], *b = &r.levels[l];
        size_t d = a->dim;
        CHECK(b->dim == d && b->n == 37 && b->shrinkage == a->shrinkage);
        CHECK(same_bytes(a->mean, b->mean, d * sizeof *a->mean));
        CHECK(same_bytes(a->chol, b->chol, gauss_tri(d) * sizeof *a->chol));
        CHECK_EQ_INT(b->n_thresholds, a->n_thresholds);
        double v;
        CHECK(gauss_level_threshold(b, "chi2-3sigma", &v) == 0 && v == a->thresholds[0].value);
    }
    CHECK(r.levels[1].stats == NULL);
    double v;
    CHECK(gauss_level_threshold(&r.levels[1], "train-2x-mean", &v) == 0 && v == 4.5);
    CHECK(gauss_level_threshold(&r.levels[1], "nope", &v) == -1);

    CHECK(r.levels[0].stats->n == 40);

    /* re-encoding the decoded model gives the same bytes (pending batch
     * samples were folded in exactly as a flush does) */
    size_t len2;
    uint8_t *buf2 = encode(&r, &len2);
    CHECK(len2 == len && same_bytes(buf, buf2, len));

    /* the kept statistics refit exactly like the originals */
    gauss_level refit = { 0 }, orig = { 0 };
    CHECK(gauss_level_fit(&refit, r.levels[0].stats, NULL, &e) == EFFAD_OK);
    CHECK(gauss_level_fit(&orig, m.levels[0].stats, NULL, &e) == EFFAD_OK);
    CHECK(refit.n == 40 && same_bytes(refit.chol, orig.chol, gauss_tri(5) * sizeof *refit.chol));
    CHECK(refit.shrinkage == orig.shrinkage);
    gauss_level_free(&refit);
    gauss_level_free(&orig);

    CHECK(m.levels[0].stats->batch_n == 0);   /* the fit flushed it */
    free(buf2);
    buf2 = encode(&m, &len2);
    CHECK(len2 == len && same_bytes(buf, buf2, len));
    CHECK(crc32_bitwise((const uint8_t *)"123456789", 9) == 0xCBF43926u);
    uint8_t *copy = malloc(len);
    memcpy(copy, buf, len);
    reseal(copy, len);
    CHECK_MSG(same_bytes(copy, buf, len), "file CRC is not the standard CRC-32");
    free(copy);

    /* every prefix is refused */
    size_t bad_prefix = 0;
    for (size_t n = 0; n < len; n++) {
        gauss_model t;
        if (gauss_file_decode(buf, n, &t, &e) != EFFAD_ERR_FORMAT) bad_prefix++;
        if (n == 10 || n == len - 1) CHECK_ERR_HAS(e, "truncated");
    }
    CHECK_MSG(bad_prefix == 0, "%zu of %zu prefixes accepted", bad_prefix, len);

    /* every single-bit flip is refused */
    size_t bad_flip = accepted_bit_flips(buf, len);
    CHECK_MSG(bad_flip == 0, "%zu of %zu bit flips accepted", bad_flip, len * 8);
    printf("file: %zu bytes; %zu prefixes and %zu bit flips all refused\n", len, len, len * 8);

    free(buf); free(buf2);
    gauss_model_free(&m);
    gauss_model_free(&r);
}

/* Well-sealed (valid CRC) files with invalid contents. */
typedef struct { const char *what; size_t off; int width; uint64_t value; const char *expect; effad_status st; } tamper;

static void check_tampered(void)
{
    gauss_model m;
    effad_error e;
    make_model(&m, 2);
    size_t len;
    uint8_t *buf = encode(&m, &len);
    size_t lv0 = 64 + ((strlen(m.preset) + strlen(m.taps) + 7) & ~(size_t)7);
    double bad_shrink = 1.5, nan = NAN, neg = -1.0;
    uint64_t u_shrink, u_nan, u_neg;
    memcpy(&u_shrink, &bad_shrink, 8); memcpy(&u_nan, &nan, 8); memcpy(&u_neg, &neg, 8);
    size_t thr0 = lv0 + 32, mean0 = thr0 + 40;    /* level 0 has one threshold */
    size_t chol0 = mean0 + 5 * 8;
    const tamper cases[] = {
        { "version", 8, 4, 4, "version 4", EFFAD_ERR_UNSUPPORTED },
        { "version 0", 8, 4, 0, "version 0", EFFAD_ERR_UNSUPPORTED },
        { "header size", 12, 4, 72, "header size", EFFAD_ERR_FORMAT },
        { "level count", 28, 4, 3, "level 2", EFFAD_ERR_FORMAT },
        { "level count huge", 28, 4, 100000, "levels", EFFAD_ERR_FORMAT },
        { "no level", 28, 4, 0, "0 levels", EFFAD_ERR_FORMAT },
        { "preset length", 52, 4, 1u << 30, "strings", EFFAD_ERR_FORMAT },
        { "image thresholds", 60, 4, 1000, "image thresholds", EFFAD_ERR_FORMAT },
        { "dim 0", lv0, 4, 0, "dimension 0", EFFAD_ERR_FORMAT },
        { "dim huge", lv0, 4, GAUSS_MAX_DIM + 1, "dimension", EFFAD_ERR_FORMAT },
        { "dim larger than file", lv0, 4, 4000, "truncated", EFFAD_ERR_FORMAT },
        { "thresholds", lv0 + 4, 4, GAUSS_MAX_THRESHOLDS + 1, "thresholds", EFFAD_ERR_FORMAT },
        { "samples", lv0 + 8, 8, 0, "zero samples", EFFAD_ERR_FORMAT },
        { "shrinkage", lv0 + 16, 8, u_shrink, "shrinkage", EFFAD_ERR_FORMAT },
        { "flags", lv0 + 24, 4, 6, "flags", EFFAD_ERR_FORMAT },
        { "threshold name", thr0, 1, 0, "empty", EFFAD_ERR_FORMAT },
        { "threshold padding", thr0 + 30, 1, 'x', "NUL-padded", EFFAD_ERR_FORMAT },
        { "threshold NaN", thr0 + 32, 8, u_nan, "NaN", EFFAD_ERR_FORMAT },
        { "mean NaN", mean0 + 8, 8, u_nan, "mean[1]", EFFAD_ERR_FORMAT },
        { "Cholesky pivot", chol0, 8, u_neg, "(0, 0)", EFFAD_ERR_FORMAT },
        { "stats n", chol0 + 15 * 8, 8, 0, "zero samples", EFFAD_ERR_FORMAT },
        { "stats y4", chol0 + 16 * 8, 8, u_neg, "statistics", EFFAD_ERR_FORMAT },
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const tamper *t = &cases[i];
        uint8_t *b = malloc(len);
        memcpy(b, buf, len);
        if (t->width == 1) b[t->off] = (uint8_t)t->value;
        else if (t->width == 4) put32(b + t->off, (uint32_t)t->value);
        else put64(b + t->off, t->value);
        reseal(b, len);
        gauss_model r;
        effad_status st = gauss_file_decode(b, len, &r, &e);
        CHECK_MSG(st == t->st, "%s: status %d", t->what, (int)st);
        CHECK_MSG(strstr(e.msg, t->expect) != NULL, "%s: message \"%.300s\"", t->what, e.msg);
        if (st == EFFAD_OK) gauss_model_free(&r);
        free(b);
    }

    /* trailing bytes, with the size field and CRC made consistent */
    uint8_t *b = malloc(len + 8);
    memcpy(b, buf, len);
    memset(b + len, 0, 8);
    put64(b + 16, len + 8);
    reseal(b, len + 8);
    gauss_model r;
    CHECK(gauss_file_decode(b, len + 8, &r, &e) == EFFAD_ERR_FORMAT);
    CHECK_ERR_HAS(e, "unexplained bytes");
    /* and a size field that disagrees with the file */
    CHECK(gauss_file_decode(b, len, &r, &e) == EFFAD_ERR_FORMAT);
    memcpy(b, "EFFGAUSX", 8);
    CHECK(gauss_file_decode(b, len + 8, &r, &e) == EFFAD_ERR_FORMAT);
    CHECK_ERR_HAS(e, "magic");
    free(b);

    /* a model that cannot be encoded */
    gauss_level keep = m.levels[1];
    m.levels[1].mean = NULL;
    size_t n2 = gauss_file_size(&m);
    uint8_t *b2 = malloc(n2);
    CHECK(gauss_file_encode(&m, b2, n2, &e) == EFFAD_ERR_ARG);
    CHECK_ERR_HAS(e, "level 1");
    CHECK(gauss_file_encode(&m, b2, n2 - 1, &e) == EFFAD_ERR_ARG);
    m.levels[1] = keep;
    free(b2);
    /* training features are a row per image at every level: 2 rows at one
     * level and 3 at the other cannot be scored together (the decoder
     * refuses such a file: tests/data/fuzz-regress/gauss/) */
    m.levels[0].features = calloc(5 * 2, sizeof(float)); m.levels[0].n_features = 2;
    m.levels[1].features = calloc(3 * 3, sizeof(float)); m.levels[1].n_features = 3;
    CHECK_EQ_INT(gauss_file_size(&m), 0);
    m.levels[1].n_features = 2;
    CHECK(gauss_file_size(&m) > 0);
    free(buf);
    gauss_model_free(&m);
}

static size_t count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    size_t n = 0;
    struct dirent *de;
    while (d && (de = readdir(d)))
        if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) n++;
    if (d) closedir(d);
    return n;
}

/* Training-feature rows: n x d floats counting up from `from`. */
static float *feature_rows(size_t n, size_t d, float from)
{
    float *f = malloc(n * d * sizeof *f);
    for (size_t i = 0; i < n * d; i++) f[i] = from + (float)i;
    return f;
}

/* GAUSS_READ_SCORING leaves out the level statistics and the feature cache
 * and copies the Gaussians bit for bit; the checks on what it leaves out
 * (here: levels keeping different numbers of feature rows) still run. */
static void check_scoring_read(void)
{
    gauss_model m, full, scoring;
    effad_error e;
    make_model(&m, 5);
    m.levels[0].features = feature_rows(2, 5, 0.5f);
    m.levels[1].features = feature_rows(2, 3, 100.5f);
    m.levels[0].n_features = m.levels[1].n_features = 2;
    size_t len;
    uint8_t *buf = encode(&m, &len);
    CHECK(gauss_file_decode_flags(buf, len, &full, 0, &e) == EFFAD_OK);
    CHECK(gauss_file_decode_flags(buf, len, &scoring, GAUSS_READ_SCORING, &e) == EFFAD_OK);
    CHECK(full.levels[0].stats && full.levels[0].features && full.levels[1].features);
    for (size_t l = 0; l < 2; l++) {
        const gauss_level *a = &full.levels[l], *b = &scoring.levels[l];
        CHECK(b->stats == NULL && b->features == NULL && b->n_features == 0);
        CHECK(b->dim == a->dim && b->n == a->n && b->shrinkage == a->shrinkage);
        CHECK(same_bytes(a->mean, b->mean, a->dim * sizeof *a->mean));
        CHECK(same_bytes(a->chol, b->chol, gauss_tri(a->dim) * sizeof *a->chol));
        CHECK(b->n_thresholds == a->n_thresholds && same_bytes(a->thresholds, b->thresholds, sizeof a->thresholds));
    }
    gauss_model_free(&full);
    gauss_model_free(&scoring);

    /* the same levels, level 1 keeping 3 rows: the writer refuses to make
     * such a file, so it is spliced from two that it did make */
    gauss_model m3;
    make_model(&m3, 5);
    m3.levels[1].features = feature_rows(3, 3, 7.5f);
    m3.levels[1].n_features = 3;
    size_t len3;
    uint8_t *buf3 = encode(&m3, &len3);
    gauss_file_header h, h3;
    gauss_file_level r0, r0b;
    CHECK(gauss_file_check_header(buf, len, &h, &e) == EFFAD_OK && gauss_file_check_header(buf3, len3, &h3, &e) == EFFAD_OK);
    CHECK(gauss_file_check_level(buf, len, h.levels_at, 0, &r0, &e) == EFFAD_OK);
    CHECK(gauss_file_check_level(buf3, len3, h3.levels_at, 0, &r0b, &e) == EFFAD_OK);
    const size_t tail = len3 - r0b.end, spliced_len = r0.end + tail;
    uint8_t *spliced = malloc(spliced_len);
    memcpy(spliced, buf, r0.end);
    memcpy(spliced + r0.end, buf3 + r0b.end, tail);
    put64(spliced + GAUSS_FILE_SIZE_OFFSET, spliced_len);
    reseal(spliced, spliced_len);
    const unsigned flags[2] = { 0, GAUSS_READ_SCORING };
    for (int f = 0; f < 2; f++) {
        gauss_model t;
        CHECK(gauss_file_decode_flags(spliced, spliced_len, &t, flags[f], &e) == EFFAD_ERR_FORMAT);
        CHECK_ERR_HAS(e, "level 1 keeps 3 training feature rows, an earlier level 2");
    }
    free(spliced); free(buf3); free(buf);
    gauss_model_free(&m3);
    gauss_model_free(&m);
}

static void remove_all(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    char p[512];
    while (d && (de = readdir(d)))
        if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) {
            snprintf(p, sizeof p, "%s/%s", dir, de->d_name);
            unlink(p);
        }
    if (d) closedir(d);
    rmdir(dir);
}

static int file_equals(const char *path, const uint8_t *want, size_t len)
{
    uint8_t *got;
    size_t n;
    effad_error e;
    if (atomic_file_read(path, &got, &n, &e)) return 0;
    int same = n == len && !memcmp(got, want, len);
    free(got);
    return same;
}

/* A fresh directory (dir, a mkdtemp template) and path = dir/name in it;
 * 0, with a failed check, when none can be made. */
static int temp_dir(char *dir, char *path, size_t n, const char *name)
{
    if (!mkdtemp(dir)) { CHECK_MSG(0, "mkdtemp failed"); return 0; }
    snprintf(path, n, "%s/%s", dir, name);
    return 1;
}

static void check_atomic(void)
{
    char dir[] = "/tmp/effad-gauss-XXXXXX", path[256];
    if (!temp_dir(dir, path, sizeof path, "model.gauss")) return;
    effad_error e;
    gauss_model a, b, r;
    make_model(&a, 10);
    make_model(&b, 20);
    size_t la, lb;
    uint8_t *ba = encode(&a, &la), *bb = encode(&b, &lb);

    CHECK(gauss_file_write(path, &a, &e) == EFFAD_OK);
    CHECK(file_equals(path, ba, la));
    struct stat sb;
    CHECK(stat(path, &sb) == 0 && (sb.st_mode & 0777) == 0644);
    CHECK(gauss_file_read(path, &r, &e) == EFFAD_OK);
    CHECK(r.model_hash == a.model_hash);
    gauss_model_free(&r);

    /* failures after the temp file was written: old file intact, temp gone */
    static const atomic_fault faults[] = { ATOMIC_FAULT_FAIL_AFTER_WRITE, ATOMIC_FAULT_FAIL_RENAME };
    for (size_t i = 0; i < 2; i++) {
        atomic_file_inject_fault(faults[i]);
        CHECK(gauss_file_write(path, &b, &e) == EFFAD_ERR_IO);
        CHECK_ERR_HAS(e, "model.gauss");
        CHECK(file_equals(path, ba, la));
        CHECK_EQ_INT(count_entries(dir), 1);
    }

    /* a process killed between writing the temp file and the rename */
    pid_t pid = fork();
    if (pid == 0) {
        effad_error ce;
        atomic_file_inject_fault(ATOMIC_FAULT_EXIT_BEFORE_RENAME);
        gauss_file_write(path, &b, &ce);
        _exit(0);   /* not reached */
    }
    int status = 0;
    waitpid(pid, &status, 0);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 70);
    CHECK(file_equals(path, ba, la));
    CHECK(gauss_file_read(path, &r, &e) == EFFAD_OK);
    gauss_model_free(&r);
    CHECK_EQ_INT(count_entries(dir), 2);     /* the stray temp, beside it */

    /* and an ordinary write replaces it */
    CHECK(gauss_file_write(path, &b, &e) == EFFAD_OK);
    CHECK(file_equals(path, bb, lb));

    /* a damaged file on disk names itself */
    uint8_t *half = malloc(lb);
    memcpy(half, bb, lb);
    CHECK(atomic_file_write(path, half, lb / 2, &e) == EFFAD_OK);
    CHECK(gauss_file_read(path, &r, &e) == EFFAD_ERR_FORMAT);
    CHECK_ERR_HAS(e, "model.gauss: truncated");
    free(half);

    char missing[300];
    snprintf(missing, sizeof missing, "%s/none/x.gauss", dir);
    CHECK(gauss_file_read(missing, &r, &e) == EFFAD_ERR_IO);
    CHECK_ERR_HAS(e, "none/x.gauss");
    CHECK(gauss_file_write(missing, &a, &e) == EFFAD_ERR_IO);
    CHECK(gauss_file_read(dir, &r, &e) == EFFAD_ERR_IO);
    CHECK_ERR_HAS(e, "is a directory, not a file");

    /* the mapping reader (gauss_file_read's) sees what the copying one does */
    const uint8_t *mapped;
    size_t mapped_len;
    CHECK(atomic_file_map(path, &mapped, &mapped_len, &e) == EFFAD_OK);
    CHECK(mapped_len == lb / 2 && same_bytes(mapped, bb, lb / 2));
    atomic_file_unmap(mapped, mapped_len);
    CHECK(atomic_file_write(path, bb, 0, &e) == EFFAD_OK);
    CHECK(atomic_file_map(path, &mapped, &mapped_len, &e) == EFFAD_OK && mapped_len == 0 && mapped);
    atomic_file_unmap(mapped, mapped_len);
    CHECK(gauss_file_read(path, &r, &e) == EFFAD_ERR_FORMAT);
    CHECK_ERR_HAS(e, "model.gauss: truncated");
    CHECK(atomic_file_map(missing, &mapped, &mapped_len, &e) == EFFAD_ERR_IO && !mapped && !mapped_len);
    CHECK_ERR_HAS(e, "none/x.gauss: cannot open");
    CHECK(atomic_file_map(dir, &mapped, &mapped_len, &e) == EFFAD_ERR_IO);
    CHECK_ERR_HAS(e, "is a directory, not a file");

    remove_all(dir);
    free(ba); free(bb);
    gauss_model_free(&a);
    gauss_model_free(&b);
}

/* The streamed atomic write on its own: pieces and a patch make the file;
 * a patch past what was written, or a use after the end, is refused, and
 * a refused or abandoned write leaves the old file and no temp. */
static void check_atomic_stream(void)
{
    char dir[] = "/tmp/effad-atomic-XXXXXX", path[256];
    if (!temp_dir(dir, path, sizeof path, "out.bin")) return;
    effad_error e;
    atomic_out o;
    CHECK(atomic_file_begin(&o, path, 0, &e) == EFFAD_OK);
    CHECK_EQ_INT(count_entries(dir), 1);   /* the temp only */
    CHECK(atomic_file_append(&o, "hello ", 6, &e) == EFFAD_OK);
    CHECK(atomic_file_append(&o, "world", 5, &e) == EFFAD_OK);
    CHECK(atomic_file_patch(&o, 0, "J", 1, &e) == EFFAD_OK);
    CHECK(atomic_file_patch(&o, 10, "D", 1, &e) == EFFAD_OK);
    CHECK(atomic_file_commit(&o, &e) == EFFAD_OK);
    CHECK(file_equals(path, (const uint8_t *)"Jello worlD", 11));
    CHECK(atomic_file_append(&o, "x", 1, &e) == EFFAD_ERR_ARG);
    CHECK_ERR_HAS(e, "out.bin: written to after the write ended");
    atomic_file_abort(&o);   /* after the end: nothing to do */
    CHECK(file_equals(path, (const uint8_t *)"Jello worlD", 11));

    CHECK(atomic_file_begin(&o, path, 0, &e) == EFFAD_OK);
    CHECK(atomic_file_append(&o, "abc", 3, &e) == EFFAD_OK);
    CHECK(atomic_file_patch(&o, 2, "xy", 2, &e) == EFFAD_ERR_ARG);
    CHECK_ERR_HAS(e, "out.bin: patch of 2 bytes at 2 is past the 3 written");
    CHECK_EQ_INT(count_entries(dir), 1);   /* the temp went with the refusal */
    CHECK(atomic_file_commit(&o, &e) == EFFAD_ERR_ARG);
    CHECK(file_equals(path, (const uint8_t *)"Jello worlD", 11));

    CHECK(atomic_file_begin(&o, path, 0, &e) == EFFAD_OK);
    CHECK(atomic_file_append(&o, "abc", 3, &e) == EFFAD_OK);
    atomic_file_abort(&o);
    atomic_file_abort(&o);
    CHECK_EQ_INT(count_entries(dir), 1);
    CHECK(file_equals(path, (const uint8_t *)"Jello worlD", 11));

    CHECK(atomic_file_begin(&o, dir, 0, &e) == EFFAD_ERR_IO);   /* a directory is refused before any temp */
    CHECK_EQ_INT(count_entries(dir), 1);
    remove_all(dir);
}

/* The streamed write (gauss_file_write_chunked) gives the bytes of the
 * whole-buffer encoder whatever its buffer: one byte short of a value, a
 * value split across buffers, a pad across them, one buffer for all. A
 * level keeps training features whose byte count is not a multiple of 8,
 * so a pad is written mid-stream. A write that fails mid-stream (the file
 * size limit) leaves the old file and no temp. */
static void check_streamed_write(void)
{
    char dir[] = "/tmp/effad-gauss-XXXXXX", path[256];
    if (!temp_dir(dir, path, sizeof path, "model.gauss")) return;
    effad_error e;
    gauss_model m;
    make_model(&m, 30);
    gauss_level *lv = &m.levels[1];
    lv->n_features = 5;
    lv->features = malloc(sizeof(float) * 5 * lv->dim);
    for (size_t i = 0; i < 5 * lv->dim; i++) lv->features[i] = (float)i * 0.25f - 1.0f;
    size_t len;
    uint8_t *want = encode(&m, &len);
    CHECK(len % 8 == 0 && (4 * 5 * lv->dim) % 8 != 0);
    const size_t chunks[] = { 8, 9, 13, 24, 100, len - 1, len, len + 100, GAUSS_FILE_WRITE_CHUNK };
    for (size_t k = 0; k < sizeof chunks / sizeof chunks[0]; k++) {
        CHECK_MSG(gauss_file_write_chunked(path, &m, chunks[k], &e) == EFFAD_OK, "chunk %zu: %.200s", chunks[k], e.msg);
        CHECK_MSG(file_equals(path, want, len), "chunk %zu: not the encoder's bytes", chunks[k]);
        CHECK_EQ_INT(count_entries(dir), 1);
    }
    CHECK(gauss_file_write_chunked(path, &m, 7, &e) == EFFAD_ERR_ARG);
    CHECK_ERR_HAS(e, "model.gauss: write buffer of 7 bytes");

    /* a limit on file size: the first buffers go out, a later one fails */
    gauss_model other;
    make_model(&other, 31);
    pid_t pid = fork();
    if (pid == 0) {
        effad_error ce;
        struct rlimit rl = { 256, 256 };
        signal(SIGXFSZ, SIG_IGN);
        if (setrlimit(RLIMIT_FSIZE, &rl)) _exit(3);
        effad_status st = gauss_file_write_chunked(path, &other, 64, &ce);
        _exit(st == EFFAD_ERR_IO && strstr(ce.msg, "model.gauss: write failed") ? 0 : 1);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    CHECK_MSG(WIFEXITED(status) && WEXITSTATUS(status) == 0, "mid-stream failure: status %d", status);
    CHECK(file_equals(path, want, len));
    CHECK_EQ_INT(count_entries(dir), 1);

    remove_all(dir);
    free(want);
    gauss_model_free(&other);
    gauss_model_free(&m);
}

/* A version-1 file (effad before the presets were renamed) still loads,
 * under today's name of the preset it holds, and says what it stored. */
static void check_version1_presets(void)
{
    static const struct { const char *stored; unsigned version; const char *now; int renamed; } cases[] = {
        { "ailia", 1, "mahalanobisad", 1 },   /* the torchvision rounding was called "ailia" */
        { "ailia-floor", 1, "ailia", 1 },
        { "paper", 1, "paper", 0 },
        { "ailia", 2, "ailia", 0 },           /* today's files mean today's names */
        { "mahalanobisad", 2, "mahalanobisad", 0 },
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        gauss_model m, r;
        effad_error e;
        make_model(&m, 5);
        free(m.preset);
        m.preset = strdup(cases[k].stored);
        size_t len;
        uint8_t *buf = encode(&m, &len);
        CHECK_EQ_INT(buf[8], 2);   /* written as version 2 */
        put32(buf + 8, cases[k].version);
        reseal(buf, len);
        CHECK_MSG(gauss_file_decode(buf, len, &r, &e) == EFFAD_OK, "%s v%u: %.200s", cases[k].stored,
                  cases[k].version, e.msg);
        CHECK_MSG(r.preset && !strcmp(r.preset, cases[k].now), "%s v%u read as %s", cases[k].stored,
                  cases[k].version, r.preset ? r.preset : "(null)");
        if (cases[k].renamed) CHECK(r.preset_stored && !strcmp(r.preset_stored, cases[k].stored));
        else CHECK(r.preset_stored == NULL);
        /* written back, it is a version-2 file under the new name */
        size_t len2;
        uint8_t *buf2 = encode(&r, &len2);
        gauss_model r2;
        CHECK(gauss_file_decode(buf2, len2, &r2, &e) == EFFAD_OK && !strcmp(r2.preset, cases[k].now) &&
              r2.preset_stored == NULL);
        gauss_model_free(&r2);
        free(buf2);
        gauss_model_free(&r);
        gauss_model_free(&m);
        free(buf);
    }
}

/* An aligning model (fit --align): the template ends the file after the
 * levels; read back bit for bit and written again to the same bytes;
 * every prefix refused; well-sealed but wrong sections refused by name. */
static void check_align_section(void)
{
    gauss_model m, r;
    effad_error e;
    make_model(&m, 5);
    m.roi = (image_roi){ 3, 4, 13, 7 };
    uint8_t grey[13 * 7];
    for (int i = 0; i < 13 * 7; i++) grey[i] = (uint8_t)(i * 37 % 251);
    m.align = calloc(1, sizeof *m.align);
    CHECK(align_template_from_grey(m.align, grey, 13, 7, 9, &e) == EFFAD_OK);
    size_t len;
    uint8_t *buf = encode(&m, &len);
    CHECK(len % 8 == 0);
    CHECK_MSG(gauss_file_decode(buf, len, &r, &e) == EFFAD_OK, "%s", e.msg);
    CHECK(r.align && r.align->range == 9 && r.align->w == 13 && r.align->h == 7 &&
          !memcmp(r.align->grey, grey, sizeof grey));
    size_t len2;
    uint8_t *again = encode(&r, &len2);
    CHECK(len2 == len && same_bytes(again, buf, len));
    CHECK(accepted_prefixes(buf, len) == 0);
    gauss_model_free(&r);
    free(again);
    /* the section: u32 w, h, range, zero, then the grey values, padded */
    const size_t sec = len - 16 - ((13 * 7 + 7) & ~(size_t)7);
    const struct { const char *what; size_t off; uint32_t v; const char *msg; } cases[] = {
        { "width", sec, 12, "the alignment template is 12x7 +-9, the preset string says 13x7 +-9" },
        { "range", sec + 8, 8, "+-8" },
        { "zero", sec + 12, 1, "13x7 +-9" },
        { "flat", sec + 16, 0xFFFFFFFFu, "" },
        { "padding", len - 1, 1, "padding is not zero" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        uint8_t *b = malloc(len);
        memcpy(b, buf, len);
        if (!strcmp(cases[i].what, "flat")) memset(b + sec + 16, 42, 13 * 7);   /* one grey value: unmatchable */
        else if (!strcmp(cases[i].what, "padding")) b[cases[i].off] = (uint8_t)cases[i].v;
        else put32(b + cases[i].off, cases[i].v);
        reseal(b, len);
        CHECK_MSG(gauss_file_decode(b, len, &r, &e) == EFFAD_ERR_FORMAT, "%s accepted", cases[i].what);
        CHECK_STR_CONTAINS(e.msg, strcmp(cases[i].what, "flat") ? cases[i].msg : "one grey value");
        free(b);
    }
    /* the key without the section (the file cut before it), the section
     * after a file without the key */
    align_template_free(m.align); free(m.align); m.align = NULL;
    size_t plain_len;
    uint8_t *plain = encode(&m, &plain_len);
    uint8_t *cut = malloc(len);
    memcpy(cut, buf, sec);
    put64(cut + 16, sec);                           /* the file's size field */
    reseal(cut, sec);
    CHECK(gauss_file_decode(cut, sec, &r, &e) == EFFAD_ERR_FORMAT);
    CHECK_STR_CONTAINS(e.msg, "alignment section is cut short");
    uint8_t *extra = malloc(len);
    memcpy(extra, plain, plain_len);
    memcpy(extra + plain_len, buf + sec, len - sec);
    put64(extra + 16, len);
    reseal(extra, len);
    CHECK(gauss_file_decode(extra, len, &r, &e) == EFFAD_ERR_FORMAT);
    CHECK_STR_CONTAINS(e.msg, "unexplained bytes");
    free(cut); free(extra); free(plain); free(buf);
    gauss_model_free(&m);
}

int main(void)
{
    check_align_section();
    check_round_trip();
    check_tampered();
    check_scoring_read();
    check_version1_presets();
    check_atomic();
    check_atomic_stream();
    check_streamed_write();
    return check_done("test-gauss-file");
}
