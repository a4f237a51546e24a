/*
 * main.c -- effad on a microcontroller: the firmware `make firmware-test`
 * runs under QEMU (Cortex-M7 on MPS2 AN500, Cortex-M4F on AN386).
 *
 * The model, the fitted .gauss and the test images are read-only bytes in
 * flash (assets.S); all working memory is static, the arena sized at build
 * time by the engine's own query (fw-sizes.h, from fw-assets) and checked
 * again here. Nothing is allocated and nothing is opened: the only I/O is
 * the semihosting console. Per image it prints each level vector's error
 * against the host's `effad features` output for the same tensor, then the
 * anomaly score (also as its exact bits) and the verdict, which
 * compare.py holds against the host's `effad score`. The same source
 * runs a float32 or an int8 model: the engine reads which from the file.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "board.h"
#include "effad.h"
#include "fw-sizes.h"
#include "gauss-view.h"
#include "level-rel-error.h"
#include "semihost.h"

/* assets.S */
extern const uint8_t fw_model[], fw_model_end[], fw_gauss[], fw_gauss_end[];
extern const float fw_images[], fw_images_end[];

/* ============== the embedding example (README.md "Embedding" quotes it) */

static _Alignas(64) uint8_t arena[FW_ARENA_BYTES] __attribute__((section(".noinit")));
static size_t arena_need;     /* the engine's own figure, checked against it */
static effad_model model;
static effad_runner runner;
static gauss_view gauss;      /* gauss_view_open(&gauss, fw_gauss, ...) at boot */

/* Every engine call of the firmware. On first use: the model validated in
 * place in flash, the arena checked, the pass planned. Then one forward
 * pass; levels (n_levels floats) receives every tap's pooled vector, in
 * tap order. */
static effad_status run_network(const float *image_chw, float *levels, size_t n_levels, effad_error *e)
{
    static int planned;
    float *pooled[EFFAD_MAX_TAPS];
    size_t at = 0;
    if (!planned) {
        if (effad_model_load(&model, fw_model, (size_t)(fw_model_end - fw_model), e) ||
            effad_arena_bytes(&model, effad_kernels(NULL), NULL, &arena_need, e)) return e->status;
        if (arena_need > sizeof arena)
            return effad_fail(e, EFFAD_ERR_NOMEM, "arena %zu bytes, the model needs %zu", sizeof arena, arena_need);
        if (effad_runner_init(&runner, &model, effad_kernels(NULL), NULL, arena, sizeof arena, e)) return e->status;
        planned = 1;
    }
    for (int t = 0; t < model.n_taps; at += (size_t)model.taps[t++].channels) pooled[t] = levels + at;
    if (at > n_levels) return effad_fail(e, EFFAD_ERR_NOMEM, "the levels are %zu floats, not %zu", at, n_levels);
    return effad_run(&runner, image_chw, pooled, e);
}

/* One image: its levels, their Mahalanobis score under the fitted
 * Gaussians, and the verdict against the threshold in force. */
static effad_status detect(const float *image_chw, float *levels, double *score, int *anomalous, effad_error *e)
{
    static double work[FW_GAUSS_WORK_DOUBLES];
    const float *tap[EFFAD_MAX_TAPS];
    if (run_network(image_chw, levels, FW_LEVEL_FLOATS, e) || gauss_view_check_model(&gauss, &model, e))
        return e->status;
    if (gauss.max_dim > FW_GAUSS_WORK_DOUBLES) return effad_fail(e, EFFAD_ERR_NOMEM, "scoring work too small");
    for (int t = 0, at = 0; t < model.n_taps; at += model.taps[t++].channels) tap[t] = levels + at;
    *score = gauss_view_score(&gauss, tap, NULL, work);
    *anomalous = *score >= gauss.threshold;
    return EFFAD_OK;
}

/* ================================================= the test harness */

/* printf for the console through the engine's own freestanding formatter
 * (effad_fail's %s %d %zu %llx %.Ng subset): newlib's stdio would bring
 * its buffers, and with them malloc. */
#define say(...) do { effad_error line_; effad_fail(&line_, EFFAD_OK, __VA_ARGS__); semihost_write(line_.msg); } while (0)

int main(void)
{
    static float levels[FW_LEVEL_FLOATS];
    effad_error e = { 0 };
    const size_t record = FW_IMAGE_FLOATS + FW_LEVEL_FLOATS;
    size_t floats = (size_t)(fw_images_end - fw_images), n_images = floats / record;
    if (!n_images || floats % record) {
        say("effad firmware: images.bin: %zu floats is not a whole number of %zu-float records\n", floats, record);
        return 1;
    }
    if (gauss_view_open(&gauss, fw_gauss, (size_t)(fw_gauss_end - fw_gauss), &e) ||
        (!gauss.has_threshold && effad_fail(&e, EFFAD_ERR_FORMAT, "no image threshold in force"))) {
        say("effad firmware: model.gauss: %s\n", e.msg);
        return 1;
    }
    /* each record's tensor is the input the .gauss was fitted at (and
     * detect checks that the model runs at it) */
    if ((size_t)gauss.input_c * gauss.input_h * gauss.input_w != FW_IMAGE_FLOATS) {
        say("effad firmware: images.bin holds %zu-float tensors, the .gauss was fitted at %ux%ux%u\n",
            (size_t)FW_IMAGE_FLOATS, gauss.input_c, gauss.input_h, gauss.input_w);
        return 1;
    }
    say("effad firmware: %zu test images, .gauss of %zu levels, threshold %s = %.9g\n", n_images,
        gauss.n_levels, gauss.threshold_name, gauss.threshold);

    for (size_t i = 0; i < n_images; i++) {
        const float *image = fw_images + i * record, *host = image + FW_IMAGE_FLOATS;
        double score, worst = 0;
        int anomalous = 0;
        if (detect(image, levels, &score, &anomalous, &e)) {
            say("effad firmware: image %zu: %s\n", i, e.msg);
            return 1;
        }
        say("image %zu level-errors", i);
        for (int t = 0, at = 0; t < model.n_taps; at += model.taps[t++].channels) {
            double err = level_error(levels + at, host + at, (size_t)model.taps[t].channels);
            if (!(err <= worst)) worst = err;
            say(" %.3g", err);
        }
        uint64_t bits;
        memcpy(&bits, &score, sizeof bits);
        say(" max %.3g\nimage %zu score %.9g bits %llx threshold %.9g verdict %s\n", worst, i, score,
            (unsigned long long)bits, gauss.threshold, anomalous ? "anomaly" : "ok");
    }
    size_t ram = board_static_ram_bytes(), stack = board_stack_high_water_bytes();
    say("scored %zu images; arena %zu bytes (the engine asks %zu); static RAM %zu bytes (arena included); "
        "stack high-water %zu of %zu bytes; RAM in use %zu bytes; %s model, kernels %s\n",
        n_images, sizeof arena, arena_need, ram, stack, board_stack_bytes(), ram + stack,
        model.quantised ? "int8" : "float32", effad_kernels_name(effad_kernels(NULL)));
    return 0;
}
