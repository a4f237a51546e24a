/* fuzz-efm.c -- the .efm loader (engine/model-load.c), then, for a model it
 * accepts, the memory plan and one forward pass at a small input size.
 *
 * The two hashes would refuse nearly every mutation before the structural
 * checks, so the bytes are loaded twice: as they are (the hash checks),
 * then "resealed" -- size and both hashes recomputed, as a hostile tool
 * would -- so that only the validator stands between the bytes and the
 * kernels. A model the validator accepts must plan and run without
 * touching memory it does not own; the plan may refuse an input size. */
#include "fuzz-model.h"
#include "efm-format.h"
#include "le.h"

static void reseal(uint8_t *b, size_t n)
{
    le_put_u64(b + EFM_H_FILE_BYTES, n);
    le_put_u64(b + EFM_H_PAYLOAD_HASH, effad_hash64(b + EFM_HEADER_BYTES, n - EFM_HEADER_BYTES, 0));
    memset(b + EFM_H_HEADER_HASH, 0, 8);
    le_put_u64(b + EFM_H_HEADER_HASH, effad_hash64(b, EFM_HEADER_BYTES, 0));
}

static void load(uint8_t *bytes, size_t size)
{
    effad_model *m = malloc(sizeof *m);
    if (!m) return;
    effad_error e = { 0 };
    effad_status s = effad_model_load_writable(m, bytes, size, &e);
    fuzz_refusal(s, &e);
    if (s == EFFAD_OK) fuzz_run_model(m);
    free(m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *bytes = fuzz_aligned_copy(data, size);
    if (!bytes) return 0;
    load(bytes, size);
    if (size >= EFM_HEADER_BYTES) {
        memcpy(bytes, data, size);   /* a big-endian load swaps in place */
        reseal(bytes, size);
        load(bytes, size);
    }
    free(bytes);
    return 0;
}
