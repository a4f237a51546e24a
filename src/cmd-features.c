/* effad features: the network on an already-preprocessed tensor.
 * This is the path the golden tests use, so anyone can check any ONNX
 * file against ONNX Runtime the same way. */
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "atomic-file.h"
#include "le.h"

static int help(void)
{
    printf("usage: effad features MODEL.efm --tensor IN.f32 -o OUT.f32 [options]\n"
           "  IN.f32 is a 1x3xHxW float32 little-endian tensor, already normalised.\n"
           "  OUT.f32 receives the spatially averaged vector of every level,\n"
           "  concatenated in level order (effad info lists them), float32 LE.\n"
           "  --maps              write the full maps instead (each C x H x W, level order)\n"
           "  --tensor-shape H,W  input size other than the model's native one\n"
           "  --isa NAME          force a kernel path (also EFFAD_ISA)\n");
    return 0;
}

int cmd_features(int argc, char **argv)
{
    const char *model = 0, *tensor = 0, *out = 0, *isa = 0;
    int maps = 0, h = 0, w = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : 0;
        if (cli_is_help(a)) return help();
        if (!strcmp(a, "--tensor") && v) { tensor = v; i++; }
        else if (cli_opt_out(a) && v) { out = v; i++; }
        else if (!strcmp(a, "--isa") && v) { isa = v; i++; }
        else if (!strcmp(a, "--maps")) maps = 1;
        else if (!strcmp(a, "--tensor-shape") && v) {
            if (!cli_parse_hw(v, &h, &w)) return cli_usage_error("features", "bad --tensor-shape '%s' (want H,W)", v);
            i++;
        } else if (a[0] == '-') return cli_usage_error("features", "unknown or incomplete option '%s'", a);
        else if (!model) model = a;
        else return cli_usage_error("features", "unexpected argument '%s'", a);
    }
    if (!model || !tensor || !out) return cli_usage_error("features", "need MODEL.efm, --tensor IN.f32 and -o OUT.f32%s", "");

    effad_error e = { 0 };
    const char *inputs[2] = { model, tensor };
    if (cli_outputs_safe(out, inputs, 2, &e)) return cli_error("features", &e);
    const effad_kernel_set *k = cli_kernels(isa, &e);
    if (!k) return cli_error("features", &e);
    effad_mapped_file mf, tf;
    static effad_model m;
    if (cli_load_model(model, &mf, &m, &e)) return cli_error("features", &e);
    if (!h) { h = m.in_h; w = m.in_w; }
    int rc = 1;
    void *arena = 0;
    float *input = 0, *outbuf = 0;
    uint8_t *bytes = 0;
    if (effad_file_map(tensor, &tf, &e)) goto fail;
    size_t want = (size_t)3 * h * w * sizeof(float);
    if (tf.n_bytes != want) {
        effad_fail(&e, EFFAD_ERR_MISMATCH, "%s: %zu bytes, but a 1x3x%dx%d float32 tensor is %zu bytes%s", tensor,
                   tf.n_bytes, h, w, want, h == m.in_h && w == m.in_w ? " (--tensor-shape H,W for another size)" : "");
        effad_file_unmap(&tf);
        goto fail;
    }
    input = malloc(want);
    if (!input) { effad_fail(&e, EFFAD_ERR_NOMEM, "out of memory"); effad_file_unmap(&tf); goto fail; }
    for (size_t i = 0; i < want / 4; i++) input[i] = le_f32(tf.bytes + 4 * i);
    effad_file_unmap(&tf);

    size_t arena_bytes;
    effad_runner r;
    const effad_plan_opts po = { .in_h = h, .in_w = w, .n_workers = 1, .map_taps = maps ? (uint32_t)((1ull << m.n_taps) - 1) : 0 };
    if (effad_arena_bytes(&m, k, &po, &arena_bytes, &e)) goto fail;
    if (!(arena = cli_arena(arena_bytes))) { effad_fail(&e, EFFAD_ERR_NOMEM, "out of memory for the arena"); goto fail; }
    if (effad_runner_init(&r, &m, k, &po, arena, arena_bytes, &e)) goto fail;

    float *ptrs[EFFAD_MAX_TAPS];
    size_t total = 0, off[EFFAD_MAX_TAPS];
    for (int t = 0; t < m.n_taps; t++) {
        int c, th, tw;
        effad_tap_shape(&r, t, &c, &th, &tw);
        off[t] = total;
        total += maps ? (size_t)c * th * tw : (size_t)c;
    }
    if (!(outbuf = malloc(total * sizeof(float) + 1))) { effad_fail(&e, EFFAD_ERR_NOMEM, "out of memory"); goto fail; }
    for (int t = 0; t < m.n_taps; t++) ptrs[t] = outbuf + off[t];
    if (effad_run(&r, input, maps ? 0 : ptrs, &e)) goto fail;
    /* --maps writes each level C x H x W, the layout ONNX tools compare */
    for (int t = 0; maps && t < m.n_taps; t++) {
        int c, th, tw;
        effad_tap_shape(&r, t, &c, &th, &tw);
        const float *hwc = effad_tap_map(&r, t);
        for (int p = 0; p < th * tw; p++)
            for (int ch = 0; ch < c; ch++) ptrs[t][(size_t)ch * th * tw + p] = hwc[(size_t)p * c + ch];
    }

    if (!(bytes = malloc(total * 4 + 1))) { effad_fail(&e, EFFAD_ERR_NOMEM, "out of memory"); goto fail; }
    for (size_t i = 0; i < total; i++) le_put_f32(bytes + 4 * i, outbuf[i]);
    if (atomic_file_write(out, bytes, total * 4, &e)) goto fail;
    rc = 0;
fail:
    if (rc) cli_error("features", &e);
    free(bytes); free(outbuf); free(input); free(arena);
    effad_file_unmap(&mf);
    return rc;
}
