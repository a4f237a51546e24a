/*
 * fw-assets.c -- the host side of the firmware build: makes, from our own
 * code, the files tests/cross/firmware/firmware.sh embeds and the header
 * that sizes the firmware's static buffers.
 *
 *   fw-assets model HW OUT.efm
 *       the demo EfficientNet (convert/demo-model.c, seed 2020) with a
 *       native input of HW x HW: the model `effad demo` uses, smaller
 *       input, same weights
 *   fw-assets model-int8 HW OUT.efm CALIB.f32...
 *   fw-assets model-int16 HW OUT.efm CALIB.f32...
 *   fw-assets model-w8 HW OUT.efm CALIB.f32...
 *   fw-assets model-mx HW OUT.efm CALIB.f32...
 *       the same network quantised: int8 weights and uint8 activations
 *       whose ranges are calibrated by running the float model over the
 *       CALIB tensors (good training images, made by `tensor`) with the
 *       calibration observer, widened by the converter's default headroom
 *       -- the steps of `effad convert --int8 --calib`, applied to the demo
 *       network (which comes from no ONNX file); model-int16 the same
 *       with int16 activations at ranges x64 (`--act-bits 16`'s defaults);
 *       model-w8 with every other block weight-only, model-mx with every
 *       other block 16x8 in a uint8 model (`--act16`)
 *   fw-assets dataset DIR
 *       the synthetic metal set of `effad demo` (src/synth.c), with 2 good
 *       and 1 of each defect in test/
 *   fw-assets tensor MODEL.efm PRESET IMAGE OUT.f32
 *       IMAGE decoded and preprocessed exactly as `effad fit/score` do with
 *       PRESET (pipeline.c), as the 1x3xHxW float32 LE tensor that
 *       `effad features --tensor` reads and the firmware runs
 *   fw-assets sizes MODEL.efm MODEL.gauss OUT.h
 *       FW_ARENA_BYTES (effad_arena_bytes with the scalar kernels, which
 *       are what a Cortex-M runs: with the DSP extension its int8 GEMM and
 *       depthwise differ, their buffer needs do not), FW_IMAGE_FLOATS, FW_LEVEL_FLOATS (all
 *       taps' pooled vectors) and FW_GAUSS_WORK_DOUBLES (the largest
 *       level, through gauss_view_open), for the firmware's static buffers;
 *       the firmware checks each again at run time
 *
 * Every output is written atomically; an error names the file and exits 1.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "atomic-file.h"
#include "calibrate.h"
#include "demo-model.h"
#include "gauss-view.h"
#include "le.h"
#include "pipeline.h"
#include "quant.h"
#include "synth.h"

static int usage(void)
{
    fprintf(stderr, "usage: fw-assets model HW OUT.efm\n"
                    "       fw-assets model-int8 HW OUT.efm CALIB.f32...\n"
                    "       fw-assets model-int16 HW OUT.efm CALIB.f32...\n"
                    "       fw-assets model-w8 HW OUT.efm CALIB.f32...\n"
                    "       fw-assets model-mx HW OUT.efm CALIB.f32...\n"
                    "       fw-assets dataset DIR\n"
                    "       fw-assets tensor MODEL.efm PRESET IMAGE OUT.f32\n"
                    "       fw-assets sizes MODEL.efm MODEL.gauss OUT.h\n");
    return 2;
}

static int fail(const effad_error *e)
{
    fprintf(stderr, "fw-assets: %s\n", e->msg);
    return 1;
}

static effad_status demo_options(const char *hw_arg, demo_model_options *o, effad_error *e)
{
    char *end;
    long hw = strtol(hw_arg, &end, 10);
    if (*end || hw < 32 || hw > 1024) return effad_fail(e, EFFAD_ERR_ARG, "input size '%s': want 32..1024", hw_arg);
    demo_model_options_default(o);
    o->in_h = o->in_w = (int)hw;
    return EFFAD_OK;
}

static effad_status write_model(const demo_model_options *o, const char *out, effad_error *e)
{
    uint8_t *efm = 0;
    size_t n = 0;
    effad_status s = demo_model_build(o, &efm, &n, e);
    if (!s) s = atomic_file_write(out, efm, n, e);
    free(efm);
    return s;
}

static effad_status make_model(const char *hw_arg, const char *out, effad_error *e)
{
    demo_model_options o;
    effad_status s = demo_options(hw_arg, &o, e);
    return s ? s : write_model(&o, out, e);
}

/* One 1x3xHxW float32 LE tensor file into chw (n floats). */
static effad_status read_tensor(const char *path, float *chw, size_t n, effad_error *e)
{
    effad_mapped_file f;
    effad_status s = effad_file_map(path, &f, e);
    if (s) return s;
    if (f.n_bytes != 4 * n) s = effad_fail(e, EFFAD_ERR_FORMAT, "%s: %zu bytes, want %zu (3x%zu floats)", path, f.n_bytes, 4 * n, n / 3);
    for (size_t i = 0; !s && i < n; i++) chw[i] = le_f32(f.bytes + 4 * i);
    effad_file_unmap(&f);
    return s;
}

/* Ranges measured by the float model's forward passes over the tensors
 * (an unfused plan: the observer sees every activation point), then the
 * int8 file written from the same network with them. */
/* weight_only: every other block (1, 3, ...) and the head weight-only
 * (int8 weights, float32 activations) among uint8 ones. */
/* other: what the odd blocks (and the head) become instead of uint8 int8:
 * QUANT_UNIT_INT8 (none), QUANT_UNIT_WEIGHTS or QUANT_UNIT_INT16 (16x8
 * blocks in a uint8 model: every boundary the engine converts). */
static effad_status make_int8_model(const char *hw_arg, const char *out, char **tensors, int n_tensors, int act_bits,
                                    int other, effad_error *e)
{
    demo_model_options o;
    static effad_model m;
    static calib cal;
    static convert_quant q;
    uint8_t *efm = 0;
    void *arena = 0;
    float *chw = 0;
    size_t n = 0, need = 0;
    effad_runner r;
    const effad_plan_opts po = { .n_workers = 1, .flags = EFFAD_PLAN_UNFUSED };
    effad_status s = demo_options(hw_arg, &o, e);
    if (!s) s = demo_model_build(&o, &efm, &n, e);
    if (!s) s = effad_model_load(&m, efm, n, e);
    if (!s) s = effad_arena_bytes(&m, effad_kernels("scalar"), &po, &need, e);
    if (!s && (posix_memalign(&arena, 64, need) || !(chw = malloc(sizeof(float) * 3 * (size_t)m.in_h * m.in_w))))
        s = effad_fail(e, EFFAD_ERR_NOMEM, "out of memory");
    if (!s) s = effad_runner_init(&r, &m, effad_kernels("scalar"), &po, arena, need, e);
    if (!s) {
        calib_init(&cal, &m);
        r.observe = calib_observe;
        r.observe_ctx = &cal;
    }
    for (int i = 0; !s && i < n_tensors; i++) {
        s = read_tensor(tensors[i], chw, (size_t)3 * m.in_h * m.in_w, e);
        if (!s && (s = effad_run(&r, chw, 0, e))) effad_error_prefix(e, tensors[i]);
    }
    if (!s) {
        /* effad convert's defaults: headroom 1.5 (x64 for int16 activations), 8-bit weights */
        const float headroom = act_bits == 16 ? CONVERT_HEADROOM_16 : 1.5f;
        calib_quant(&cal, headroom, 8, &q);
        q.act_bits = act_bits;
        q.act16_widen = CONVERT_HEADROOM_16 / headroom;   /* the 16x8 blocks' ranges, as convert's */
        for (int i = 1; other != QUANT_UNIT_INT8 && i < q.n_blocks; i += 2) q.block_int8[i] = (uint8_t)other;
        if (other != QUANT_UNIT_INT8 && q.head_int8) q.head_int8 = other;
        o.quant = &q;
        s = write_model(&o, out, e);
    }
    if (!s) printf("fw-assets: %s: int8%s, calibrated on %d tensors\n", out,
                   act_bits == 16 ? " (int16 activations)" : other == QUANT_UNIT_WEIGHTS ? " with weight-only blocks"
                   : other == QUANT_UNIT_INT16 ? " with 16x8 blocks" : "", n_tensors);
    free(efm); free(arena); free(chw);
    return s;
}

static effad_status make_dataset(const char *dir, effad_error *e)
{
    synth_options o;
    synth_options_default(&o);
    o.n_test_good = 2;
    o.n_per_defect = 1;
    o.overwrite = 1;
    return synth_make_dataset(dir, &o, NULL, e);
}

static effad_status make_tensor(const char *model, const char *preset, const char *image, const char *out,
                                effad_error *e)
{
    pipeline p;
    pipeline_options po = { .preset = preset, .isa = "scalar", .threads = 1 };
    effad_status s = pipeline_open(&p, model, &po, e);
    if (s) return s;
    uint8_t *rgb = 0, *bytes = 0;
    void *scratch = 0;
    int w, h;
    size_t n = (size_t)3 * p.model.in_h * p.model.in_w;
    if ((s = pipeline_load_rgb(&p, image, &rgb, &w, &h, e))) goto done;
    size_t scratch_bytes = preprocess_scratch_bytes(&p.prep, w, h);
    scratch = malloc(scratch_bytes ? scratch_bytes : 1);
    bytes = malloc(4 * n);
    if (!scratch || !bytes) { s = effad_fail(e, EFFAD_ERR_NOMEM, "out of memory"); goto done; }
    if ((s = preprocess_run(&p.prep, rgb, w, h, p.input, scratch, scratch_bytes, e))) {
        effad_error_prefix(e, image);
        goto done;
    }
    for (size_t i = 0; i < n; i++) le_put_f32(bytes + 4 * i, p.input[i]);
    s = atomic_file_write(out, bytes, 4 * n, e);
done:
    free(rgb); free(scratch); free(bytes);
    pipeline_close(&p);
    return s;
}

static effad_status make_sizes(const char *model, const char *gauss, const char *out, effad_error *e)
{
    effad_mapped_file mf, gf;
    static effad_model m;
    effad_status s = effad_file_map(model, &mf, e);
    if (s) return s;
    if ((s = effad_model_load_writable(&m, (void *)mf.bytes, mf.n_bytes, e))) {
        effad_error_prefix(e, model);
        effad_file_unmap(&mf);
        return s;
    }
    size_t arena = 0, level_floats = 0;
    s = effad_arena_bytes(&m, effad_kernels("scalar"), NULL, &arena, e);
    for (int t = 0; t < m.n_taps; t++) level_floats += (size_t)m.taps[t].channels;
    size_t image_floats = (size_t)3 * m.in_h * m.in_w;
    uint32_t max_dim = 0;
    if (!s && !(s = effad_file_map(gauss, &gf, e))) {
        static gauss_view v;
        if ((s = gauss_view_open(&v, gf.bytes, gf.n_bytes, e)) || (s = gauss_view_check_model(&v, &m, e)))
            effad_error_prefix(e, gauss);
        max_dim = v.max_dim;
        effad_file_unmap(&gf);
    }
    effad_file_unmap(&mf);
    if (s) return s;
    char text[1024];
    int len = snprintf(text, sizeof text,
                       "/* made by fw-assets from %s and %s; do not edit */\n"
                       "#define FW_ARENA_BYTES %zu\n"
                       "#define FW_IMAGE_FLOATS %zu\n"
                       "#define FW_LEVEL_FLOATS %zu\n"
                       "#define FW_GAUSS_WORK_DOUBLES %u\n",
                       model, gauss, arena, image_floats, level_floats, max_dim);
    if (len < 0 || (size_t)len >= sizeof text) return effad_fail(e, EFFAD_ERR_ARG, "%s: paths too long", out);
    return atomic_file_write(out, text, (size_t)len, e);
}

int main(int argc, char **argv)
{
    effad_error e = { 0 };
    effad_status s;
    if (argc < 2) return usage();
    const char *cmd = argv[1];
    if (!strcmp(cmd, "model") && argc == 4) s = make_model(argv[2], argv[3], &e);
    else if (!strcmp(cmd, "model-int8") && argc >= 5)
        s = make_int8_model(argv[2], argv[3], argv + 4, argc - 4, 8, QUANT_UNIT_INT8, &e);
    else if (!strcmp(cmd, "model-int16") && argc >= 5)
        s = make_int8_model(argv[2], argv[3], argv + 4, argc - 4, 16, QUANT_UNIT_INT8, &e);
    else if (!strcmp(cmd, "model-w8") && argc >= 5)
        s = make_int8_model(argv[2], argv[3], argv + 4, argc - 4, 8, QUANT_UNIT_WEIGHTS, &e);
    else if (!strcmp(cmd, "model-mx") && argc >= 5)
        s = make_int8_model(argv[2], argv[3], argv + 4, argc - 4, 8, QUANT_UNIT_INT16, &e);
    else if (!strcmp(cmd, "dataset") && argc == 3) s = make_dataset(argv[2], &e);
    else if (!strcmp(cmd, "tensor") && argc == 6) s = make_tensor(argv[2], argv[3], argv[4], argv[5], &e);
    else if (!strcmp(cmd, "sizes") && argc == 5) s = make_sizes(argv[2], argv[3], argv[4], &e);
    else return usage();
    return s ? fail(&e) : 0;
}
