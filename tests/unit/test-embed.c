/*
 * test-embed.c -- the embedding example of effad.h, compiled and run.
 *
 * What firmware does: the model is a byte array it was given (here built
 * by the demo-model builder, standing in for flash), all working memory is
 * one static arena, and only effad.h is used on the inference side. The
 * test checks that the arena figure is exact (one byte less is refused),
 * that a misaligned arena is refused, and that runs leave no state behind.
 * That the engine allocates nothing is proven elsewhere: `make baremetal`
 * finds no malloc among the symbols ops/ and engine/ need.
 */
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "effad.h"
#include "demo-model.h"

#define ARENA_BYTES (4u << 20)
static _Alignas(64) uint8_t arena[ARENA_BYTES];
static _Alignas(64) uint8_t flash[4u << 20];   /* "the model in flash" */
static effad_model model;
static effad_runner runner;
static uint8_t *pristine;   /* the model as shipped; flash is reloaded from it */

/* A big-endian host byte-swaps the weights in place when it loads them
 * (effad_model_load_writable), so every load starts from the shipped bytes. */
static effad_status load_model(effad_model *m, uint8_t *buf, size_t n, effad_error *err)
{
    memcpy(buf, pristine, n);
    return effad_model_load_writable(m, buf, n, err);
}

/* ---- the example: effad.h only ---------------------------------------- */
static int run_embedded(uint8_t *efm, size_t n, const float *image_chw, float *levels_out, size_t *arena_used,
                        effad_error *err)
{
    if (load_model(&model, (uint8_t *)efm, n, err)) return -1;
    const effad_kernel_set *k = effad_kernels(NULL);
    size_t need;
    if (effad_arena_bytes(&model, k, NULL, &need, err)) return -1;   /* native size, one thread */
    *arena_used = need;
    if (effad_runner_init(&runner, &model, k, NULL, arena, sizeof arena, err)) return -1;
    float *pooled[EFFAD_MAX_TAPS];
    size_t off = 0;
    for (int t = 0; t < model.n_taps; t++) { pooled[t] = levels_out + off; off += (size_t)model.taps[t].channels; }
    return effad_run(&runner, image_chw, pooled, err) ? -1 : 0;
}
/* ------------------------------------------------------------------------ */

int main(void)
{
    uint8_t *efm = 0;
    size_t n = 0;
    effad_error e = { 0 };
    CHECK_EQ_INT(demo_model_build(0, &efm, &n, &e), EFFAD_OK);
    CHECK(n <= sizeof flash);
    if (!efm || n > sizeof flash) return check_done("embed");
    pristine = efm;

    static _Alignas(64) uint8_t probe_buf[sizeof flash];
    effad_model probe;
    CHECK_EQ_INT(load_model(&probe, probe_buf, n, &e), EFFAD_OK);
    size_t npx = (size_t)3 * probe.in_h * probe.in_w;
    float *image = malloc(sizeof(float) * npx), levels[4096], again[4096];
    for (size_t i = 0; i < npx; i++) image[i] = (float)((int)(i * 2654435761u % 2001) - 1000) / 1000.0f;

    size_t used = 0;
    CHECK_MSG(run_embedded(flash, n, image, levels, &used, &e) == 0, "%s", e.msg);
    printf("embed: model %zu bytes, arena %zu bytes, kernels %s\n", n, used, effad_kernels_name(effad_kernels(NULL)));
    CHECK(used > 0 && used <= ARENA_BYTES);

    /* the arena figure is exact: one byte less is refused, with a message */
    effad_runner r2;
    CHECK_EQ_INT(effad_runner_init(&r2, &probe, effad_kernels(NULL), NULL, arena, used - 1, &e), EFFAD_ERR_NOMEM);
    CHECK_STR_CONTAINS(e.msg, "arena");
    /* a misaligned arena is refused too */
    CHECK_EQ_INT(effad_runner_init(&r2, &probe, effad_kernels(NULL), NULL, arena + 4, used, &e), EFFAD_ERR_ARG);

    /* running again gives the same bits: no state survives between runs */
    size_t used2;
    CHECK(run_embedded(flash, n, image, again, &used2, &e) == 0);
    size_t total = 0;
    for (int t = 0; t < model.n_taps; t++) total += (size_t)model.taps[t].channels;
    CHECK(memcmp(levels, again, total * sizeof(float)) == 0);

    /* unknown kernel names give NULL, scalar always exists */
    CHECK(effad_kernels("mmx") == 0);
    CHECK(effad_kernels("scalar") != 0);
    free(image);
    free(pristine);
    return check_done("embed");
}
