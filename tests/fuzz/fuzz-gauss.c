/* fuzz-gauss.c -- the .gauss decoder (src/gauss-file.c), then what `effad
 * merge` and `effad score` do with a model that decodes: merge it with
 * itself, refit, score.
 *
 * As for .efm, the checksum would refuse almost every mutation, so the
 * bytes are decoded as they are and again resealed (size field and CRC
 * recomputed). A model that decodes must encode back to exactly the bytes
 * it came from: the format has one encoding of each model. */
#include <math.h>
#include "fuzz.h"
#include "checksum.h"
#include "detector.h"
#include "gauss-format.h"
#include "le.h"

static void reseal(uint8_t *b, size_t n)
{
    le_put_u64(b + GAUSS_FILE_SIZE_OFFSET, n);
    memset(b + GAUSS_FILE_CRC_OFFSET, 0, 4);
    le_put_u32(b + GAUSS_FILE_CRC_OFFSET, crc32_update(0, b, n));
}

static void encode_again(const gauss_model *m, const uint8_t *expect, size_t n)
{
    effad_error e = { 0 };
    size_t len = gauss_file_size(m);
    uint8_t *buf = len ? malloc(len) : 0;
    if (!buf) fuzz_fail("a decoded model has an encoded size", 0);
    effad_status s = gauss_file_encode(m, buf, len, &e);
    if (s) fuzz_fail("a decoded model encodes", e.msg);
    if (expect && (len != n || memcmp(buf, expect, n))) fuzz_fail("decode then encode gives the same bytes", 0);
    gauss_model back;
    s = gauss_file_decode(buf, len, &back, &e);
    if (s) fuzz_fail("an encoded model decodes", e.msg);
    gauss_model_free(&back);
    free(buf);
}

static void score(const gauss_model *m)
{
    for (size_t l = 0; l < m->n_levels; l++) {
        const gauss_level *lv = &m->levels[l];
        double *work = malloc(sizeof(double) * lv->dim);
        float *x = calloc(lv->dim, sizeof(float));
        if (work && x) (void)gauss_level_score(lv, lv->features ? lv->features : x, work);
        free(work);
        free(x);
    }
}

static void merge_with_itself(const uint8_t *b, size_t n)
{
    gauss_model a, c;
    effad_error e = { 0 };
    if (gauss_file_decode(b, n, &a, &e)) return;
    if (gauss_file_decode(b, n, &c, &e)) fuzz_fail("the same bytes decode twice", e.msg);
    effad_status s = detector_merge(&a, "a", &c, "a again", &e);
    fuzz_refusal(s, &e);
    if (s == EFFAD_OK) {
        s = detector_refit(&a, 3.0, NAN, &e);
        fuzz_refusal(s, &e);
        if (s == EFFAD_OK) { score(&a); encode_again(&a, 0, 0); }
    }
    gauss_model_free(&a);
    gauss_model_free(&c);
}

/* What score and eval read (GAUSS_READ_SCORING) is refused exactly when
 * the whole file is (the checks do not depend on what is copied), and its
 * Gaussians are the whole decode's, bit for bit. */
static void decode_scoring(const uint8_t *b, size_t n, const gauss_model *full, effad_status full_status)
{
    gauss_model m;
    effad_error e = { 0 };
    effad_status s = gauss_file_decode_flags(b, n, &m, GAUSS_READ_SCORING, &e);
    fuzz_refusal(s, &e);
    if ((s == EFFAD_OK) != (full_status == EFFAD_OK)) fuzz_fail("the scoring read refuses what the full read refuses", e.msg);
    if (s) return;
    if (m.n_levels != full->n_levels) fuzz_fail("the scoring read has the full read's levels", 0);
    for (size_t l = 0; l < m.n_levels; l++) {
        const gauss_level *a = &m.levels[l], *f = &full->levels[l];
        if (a->stats || a->features) fuzz_fail("the scoring read leaves the statistics out", 0);
        if (a->dim != f->dim || memcmp(a->mean, f->mean, sizeof(double) * a->dim) ||
            memcmp(a->chol, f->chol, sizeof(double) * gauss_tri(a->dim)))
            fuzz_fail("the scoring read's Gaussians are the full read's", 0);
    }
    score(&m);
    gauss_model_free(&m);
}

static void decode(const uint8_t *b, size_t n)
{
    gauss_model m;
    effad_error e = { 0 };
    effad_status s = gauss_file_decode(b, n, &m, &e);
    fuzz_refusal(s, &e);
    decode_scoring(b, n, &m, s);
    if (s) {
        if (m.levels || m.preset || m.taps || m.n_levels) fuzz_fail("a refused model is left empty", e.msg);
        return;
    }
    score(&m);
    /* a file of today's versions comes back byte for byte; an older one
     * (version 1, a renamed preset) is rewritten in today's layout */
    uint32_t version = le_u32(b + 8);
    int current = (version == GAUSS_FILE_VERSION || version == GAUSS_FILE_VERSION_MAPS) && !m.preset_stored;
    encode_again(&m, current ? b : 0, n);
    gauss_model_free(&m);
    merge_with_itself(b, n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    decode(data, size);
    if (size < GAUSS_FILE_HEADER_BYTES) return 0;
    uint8_t *b = malloc(size);
    if (!b) return 0;
    memcpy(b, data, size);
    reseal(b, size);
    decode(b, size);
    free(b);
    return 0;
}
