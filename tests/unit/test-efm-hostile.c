/*
 * test-efm-hostile.c -- the .efm loader and the converter against bad input.
 *
 * A model converted from a committed golden ONNX is truncated at many
 * lengths, has single bits flipped, and is "forged": fields changed and both
 * hashes recomputed, so that only the loader's own checks stand between the
 * bytes and the kernels. Every case must be refused with a message, and a
 * forged-but-accepted file must still run without touching memory it does
 * not own (ASan in `make asan`). The converter gets truncated and corrupted
 * ONNX bytes and graphs that are not EfficientNets.
 */
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "test-files.h"
#include "effad.h"
#include "efm-codec.h"
#include "le.h"
#include "convert.h"

static uint64_t rng = 0x9E3779B97F4A7C15ull;
static uint64_t next(void) { rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17; return rng; }

/* Recomputes both hashes so that only the structural checks can refuse. */
static void reseal(uint8_t *b, size_t n)
{
    le_put_u64(b + EFM_H_FILE_BYTES, n);
    le_put_u64(b + EFM_H_PAYLOAD_HASH, effad_hash64(b + EFM_HEADER_BYTES, n - EFM_HEADER_BYTES, 0));
    memset(b + EFM_H_HEADER_HASH, 0, 8);
    le_put_u64(b + EFM_H_HEADER_HASH, effad_hash64(b, EFM_HEADER_BYTES, 0));
}

static effad_model model;

static effad_status load(const uint8_t *src, size_t n, effad_error *e)
{
    void *buf = 0;
    if (posix_memalign(&buf, 64, n ? n : 1)) return EFFAD_ERR_NOMEM;
    memcpy(buf, src, n);
    e->msg[0] = '\0';
    effad_status s = effad_model_load_writable(&model, buf, n, e);
    if (s == EFFAD_OK) {   /* accepted: it must also run safely */
        size_t bytes;
        effad_runner r;
        void *arena = 0;
        const effad_plan_opts all_maps = { .in_h = 0, .in_w = 0, .n_workers = 1, .map_taps = (uint32_t)((1ull << model.n_taps) - 1) };
        if (!effad_arena_bytes(&model, 0, &all_maps, &bytes, e) && !posix_memalign(&arena, 64, bytes) &&
            !effad_runner_init(&r, &model, 0, &all_maps, arena, bytes, e)) {
            float *in = calloc((size_t)3 * model.in_h * model.in_w, sizeof(float));
            effad_run(&r, in, 0, e);
            free(in);
        }
        free(arena);
    }
    free(buf);
    return s;
}

typedef struct forge { const char *what; size_t off; int width; uint64_t value; const char *expect; } forge;

/* Offset of field `field` of conv `which` of block i. */
static size_t conv_field(const uint8_t *efm, int i, int which, uint32_t field)
{
    const uint32_t v = le_u32(efm + EFM_H_VERSION);
    return le_u64(efm + EFM_H_BLOCKS_OFF) + (size_t)i * efm_block_bytes(v) + efm_block_conv_at(v, which) + field;
}

/* The quantised records of a 16x8 model (block 0 float, the rest int16
 * activations): forged types the kernels could not run safely -- an int16
 * output written over a uint8-sized buffer, a zero point the 16x8 kernels
 * ignore, a uint8 block fed int16 -- are refused. */
static void forge_q16(void)
{
    size_t n = 0;
    uint8_t *efm = slurp("tests/int8/tiny-tv-fold-a16/model.efm", &n);
    if (!efm) return;
    uint8_t *buf = malloc(n);
    effad_error e = { 0 };
    memcpy(buf, efm, n);
    CHECK_MSG(load(buf, n, &e) == EFFAD_OK, "the 16x8 model: %s", e.msg);
    CHECK_EQ_INT(model.blocks[2].dw.in_q.dtype, EFFAD_S16);
    const forge cases[] = {
        { "int16 zero point", conv_field(efm, 2, EFM_BC_DW, EFM_C_IN_ZERO), 4, 3, "zero point must be 0" },
        { "int16 in, uint8 out", conv_field(efm, 2, EFM_BC_DW, EFM_C_OUT_DTYPE), 4, EFM_U8, "different types" },
        { "uint8 in, int16 out", conv_field(efm, 2, EFM_BC_DW, EFM_C_IN_DTYPE), 4, EFM_U8, "different types" },
        { "int16 scale", conv_field(efm, 2, EFM_BC_PROJECT, EFM_C_OUT_SCALE), 4, 0xff800000u, "scale" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const forge *f = &cases[i];
        memcpy(buf, efm, n);
        le_put_u32(buf + f->off, (uint32_t)f->value);
        reseal(buf, n);
        CHECK_MSG(load(buf, n, &e) != EFFAD_OK, "forged %s accepted", f->what);
        CHECK_MSG(strstr(e.msg, f->expect) != 0, "forged %s: message '%s' lacks '%s'", f->what, e.msg, f->expect);
    }
    /* block 2 made uint8 throughout (zero points 0 are valid uint8 ones):
     * consistent inside, and block 1 hands it int16 -- a boundary the
     * engine converts (through float), as between float32 and int8 */
    memcpy(buf, efm, n);
    const int convs[] = { EFM_BC_EXPAND, EFM_BC_DW, EFM_BC_PROJECT };
    for (int k = 0; k < 3; k++) {
        le_put_u32(buf + conv_field(efm, 2, convs[k], EFM_C_IN_DTYPE), EFM_U8);
        le_put_u32(buf + conv_field(efm, 2, convs[k], EFM_C_OUT_DTYPE), EFM_U8);
    }
    reseal(buf, n);
    CHECK_MSG(load(buf, n, &e) == EFFAD_OK, "a uint8 block after an int16 one: %s", e.msg);
    CHECK_EQ_INT(model.blocks[2].dw.in_q.dtype, EFFAD_U8);
    /* but an int16 block read with another scale than its producer wrote
     * would need a requantisation the engine does not do */
    memcpy(buf, efm, n);
    le_put_u32(buf + conv_field(efm, 2, EFM_BC_EXPAND, EFM_C_IN_SCALE), 0x3f800000u);   /* 1.0f */
    reseal(buf, n);
    CHECK_MSG(load(buf, n, &e) != EFFAD_OK, "an int16 block read at another scale accepted");
    CHECK_STR_CONTAINS(e.msg, "reads int16 with scale 1");
    free(buf);
    free(efm);
}

int main(void)
{
    size_t n_onnx, n;
    uint8_t *onnx = slurp("tests/golden/tiny-tv-bn/model.onnx", &n_onnx), *efm = 0;
    CHECK(onnx != 0);
    if (!onnx) return check_done("efm-hostile");
    effad_error e = { 0 };
    CHECK_EQ_INT(effad_convert_onnx(onnx, n_onnx, 0, &efm, &n, 0, &e), EFFAD_OK);
    CHECK_EQ_INT(load(efm, n, &e), EFFAD_OK);

    /* truncation: every length below 4 KiB, then a stride through the rest */
    int refused = 0, total = 0;
    for (size_t len = 0; len < n; len += len < 4096 ? 1 : 331) {
        effad_status s = load(efm, len, &e);
        total++;
        if (s != EFFAD_OK && e.msg[0]) refused++;
    }
    CHECK_EQ_INT(refused, total);
    CHECK_EQ_INT(load(efm, n - 1, &e), EFFAD_ERR_FORMAT);
    CHECK_STR_CONTAINS(e.msg, "truncated");
    printf("efm truncations: %d of %d refused\n", refused, total);

    /* single bit flips anywhere: the hashes catch every one */
    uint8_t *buf = malloc(n);
    refused = 0;
    for (int i = 0; i < 3000; i++) {
        memcpy(buf, efm, n);
        size_t at = (size_t)(next() % n);
        buf[at] ^= (uint8_t)(1u << (next() % 8));
        if (load(buf, n, &e) != EFFAD_OK && e.msg[0]) refused++;
    }
    CHECK_EQ_INT(refused, 3000);
    printf("efm bit flips: %d of 3000 refused\n", refused);
    memcpy(buf, efm, n);
    buf[n / 2] ^= 1;
    CHECK_EQ_INT(load(buf, n, &e), EFFAD_ERR_FORMAT);
    CHECK_STR_CONTAINS(e.msg, "checksum");
    memcpy(buf, efm, n);
    buf[EFM_H_VARIANT] ^= 1;
    CHECK_EQ_INT(load(buf, n, &e), EFFAD_ERR_FORMAT);
    CHECK_STR_CONTAINS(e.msg, "header checksum");

    /* forged: resealed after a change, so the structural checks must refuse */
    size_t blocks_off = le_u64(efm + EFM_H_BLOCKS_OFF), tensors_off = le_u64(efm + EFM_H_BLOCKS_OFF + 8);
    size_t taps_off = le_u64(efm + EFM_H_BLOCKS_OFF + 16);
    const forge cases[] = {
        { "version", EFM_H_VERSION, 4, EFM_VERSION + 1, "version 3" },
        { "version 0", EFM_H_VERSION, 4, 0, "version 0" },
        { "magic", EFM_H_MAGIC, 4, 0x21212121, "magic" },
        { "block count", EFM_H_N_BLOCKS, 4, 100000, "counts out of range" },
        { "tensor count", EFM_H_N_BLOCKS + 8, 4, 0xFFFFFFFFu, "counts out of range" },
        { "blocks offset", EFM_H_BLOCKS_OFF, 8, (uint64_t)1 << 40, "outside the file" },
        { "taps offset", EFM_H_BLOCKS_OFF + 16, 8, 0xFFFFFFFFFFFFFF00ull, "outside the file" },
        { "input size", EFM_H_IN_C + 4, 4, 0, "input" },
        { "stem kernel", EFM_H_STEM + EFM_C_KH, 4, 0, "kernel" },
        { "stem stride", EFM_H_STEM + EFM_C_STRIDE_H, 4, 0, "stride" },
        { "stem weights", EFM_H_STEM + EFM_C_W, 4, 999999, "out of range" },
        { "stem channels", EFM_H_STEM + EFM_C_COUT, 4, 17, "elements" },
        { "stem input dtype", EFM_H_STEM_Q, 4, 9, "dtype 9" },
        { "stem uint8 input, float weights", EFM_H_STEM_Q, 4, EFM_U8, "scale" },
        { "quantised flag", EFM_H_FLAGS, 4, EFM_FLAG_HEAD | EFM_FLAG_QUANTISED, "quantised flag" },
        { "block 0 in_c", blocks_off + EFM_B_IN_C, 4, 99, "99 != 16 channels" },
        { "block 0 skip", blocks_off + EFM_B_SKIP, 4, 1, "skip" },
        { "block 1 stage", blocks_off + efm_block_bytes(EFM_VERSION) + EFM_B_STAGE, 4, 5, "stage" },
        { "block 0 dw groups", blocks_off + efm_block_conv_at(EFM_VERSION, EFM_BC_DW) + EFM_C_GROUPS, 4, 1, "depthwise" },
        { "block 0 activation", blocks_off + efm_block_conv_at(EFM_VERSION, EFM_BC_DW) + EFM_C_ACT, 4, 77, "activation" },
        { "block 0 dw output dtype", blocks_off + efm_block_conv_at(EFM_VERSION, EFM_BC_DW) + EFM_C_OUT_DTYPE, 4,
          EFM_S32, "output activation of dtype 3" },
        { "tensor 0 offset", tensors_off + EFM_T_OFFSET, 8, 12345, "tensor 0" },
        { "tensor 0 bytes", tensors_off + EFM_T_BYTES, 8, 1ull << 60, "tensor 0" },
        { "tensor 0 ndim", tensors_off + EFM_T_NDIM, 4, 9, "tensor 0" },
        { "tensor 0 dtype", tensors_off + EFM_T_DTYPE, 4, 42, "tensor 0" },
        { "tap 0 position", taps_off + EFM_P_AT, 4, 1000, "tap 0" },
        { "tap 0 channels", taps_off + EFM_P_CHANNELS, 4, 3, "tap 0" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const forge *f = &cases[i];
        /* an empty expectation would accept any message, even none */
        CHECK_MSG(f->expect[0], "forged %s: no expected message", f->what);
        memcpy(buf, efm, n);
        if (f->width == 4) le_put_u32(buf + f->off, (uint32_t)f->value);
        else le_put_u64(buf + f->off, f->value);
        if (strcmp(f->what, "magic") != 0) reseal(buf, n);
        effad_status s = load(buf, n, &e);
        CHECK_MSG(s != EFFAD_OK, "forged %s accepted", f->what);
        CHECK_MSG(strstr(e.msg, f->expect) != 0, "forged %s: message '%s' lacks '%s'", f->what, e.msg, f->expect);
    }
    /* trailing garbage is refused too: the size is part of the contract */
    uint8_t *longer = calloc(n + 64, 1);
    memcpy(longer, efm, n);
    CHECK(load(longer, n + 64, &e) == EFFAD_ERR_FORMAT);
    CHECK_STR_CONTAINS(e.msg, "trailing");
    free(longer);

    /* the converter: truncated and corrupted ONNX never crash */
    int conv_ok = 0, conv_refused = 0;
    for (size_t len = 0; len < n_onnx; len += 1 + len / 16) {
        uint8_t *out = 0;
        size_t out_n;
        e.msg[0] = '\0';
        effad_status s = effad_convert_onnx(onnx, len, 0, &out, &out_n, 0, &e);
        if (s) { conv_refused++; CHECK_MSG(e.msg[0] != 0, "refusal without a message at length %zu", len); }
        else conv_ok++;
        free(out);
    }
    CHECK_EQ_INT(conv_ok, 0);
    uint8_t *cor = malloc(n_onnx);
    int flips_ok = 0, flips_refused = 0;
    for (int i = 0; i < 400; i++) {
        memcpy(cor, onnx, n_onnx);
        for (int k = 0; k < 4; k++) cor[next() % n_onnx] = (uint8_t)next();
        uint8_t *out = 0;
        size_t out_n;
        e.msg[0] = '\0';
        if (effad_convert_onnx(cor, n_onnx, 0, &out, &out_n, 0, &e)) { flips_refused++; CHECK(e.msg[0] != 0); }
        else {
            flips_ok++;   /* a corruption that still converts must give a loadable model */
            effad_status s = load(out, out_n, &e);
            CHECK_MSG(s == EFFAD_OK, "converted corrupt ONNX does not load: %s", e.msg);
        }
        free(out);
    }
    printf("onnx truncations: %d refused; corruptions: %d refused, %d still convert (and load)\n",
           conv_refused, flips_refused, flips_ok);
    free(cor);

    /* graphs that are not EfficientNets are refused by name */
    size_t n_relu;
    uint8_t *relu = slurp("tests/data/onnx/all-fields.onnx", &n_relu);
    if (relu) {
        uint8_t *out = 0;
        size_t out_n;
        CHECK(effad_convert_onnx(relu, n_relu, 0, &out, &out_n, 0, &e) != EFFAD_OK);
        CHECK(e.msg[0] != 0);
        printf("non-EfficientNet graph: %s\n", e.msg);
        free(relu);
        free(out);
    }
    free(buf); free(efm); free(onnx);
    forge_q16();
    return check_done("efm-hostile");
}
