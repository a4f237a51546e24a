/* effad features: the level vectors of images (through a preset, as fit
 * sees them) or of an already-preprocessed tensor. The tensor path is the
 * one the golden tests use, so anyone can check any ONNX file against ONNX
 * Runtime the same way. */
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "big-buffer.h"
#include "atomic-file.h"
#include "input-list.h"
#include "le.h"

static int help(void)
{
    printf("usage: effad features MODEL.efm IMAGE_OR_DIR... [--preprocess P] [-o OUT.csv] [options]\n"
           "       effad features MODEL.efm --tensor IN.f32 -o OUT.f32 [options]\n"
           "  Images ('-': more from stdin, one path per line) go through the preset P\n"
           "  (ailia, the default, mahalanobisad or paper: see effad fit --help) as fit\n"
           "  sees them. OUT.csv (default: standard output) gets a header, then one row\n"
           "  per image: file, then every level's spatially averaged vector,\n"
           "  level_<n>_<c> for channel c of model level n (effad info lists them);\n"
           "  numbers to float32 precision (%%.9g), RFC 4180 quoting. An unreadable\n"
           "  image is an error and nothing is written.\n"
           "  IN.f32 is a 1x3xHxW float32 little-endian tensor, already normalised.\n"
           "  OUT.f32 receives the spatially averaged vector of every level,\n"
           "  concatenated in level order, float32 LE.\n"
           "  --maps              (--tensor) write the full maps instead (each C x H x W)\n"
           "  --input-size H,W    (--tensor) input size other than the model's native one\n"
           "                      (old: --tensor-shape)\n"
           "  -o, --out FILE      the output\n"
           "  --threads N, --isa NAME, --quiet\n"
           CLI_HELP_16BIT
           CLI_HELP_ROI);
    return 0;
}

/* One CSV row per image: the file, then its level vectors. */
static int features_of_images(const char *model, const char *const *inputs, int n_inputs, const char *out,
                              pipeline_options po, int quiet)
{
    effad_error e = { 0 };
    pipeline p;
    input_list in;
    cli_buf csv = { 0 };
    float *feat = 0;
    uint8_t *rgb = 0;
    int rc = 1;
    memset(&in, 0, sizeof in);
    if (cli_check_role(model, CLI_EFM, "MODEL.efm", "effad features MODEL.efm IMAGE_OR_DIR...", &e) ||
        cli_outputs_safe(out, &model, 1, &e) || pipeline_open(&p, model, &po, &e))
        return cli_error("features", &e);
    cli_image_warnings warned = { 0, 0 };
    if (input_list_collect(&in, inputs, n_inputs, stdin, &e)) goto done;
    cli_print_notes("features", &in.images);
    if (cli_outputs_safe(out, (const char *const *)in.images.path, in.images.n, &e)) goto done;
    if (!(feat = malloc(sizeof(float) * p.total_dim + 1))) { effad_fail(&e, EFFAD_ERR_NOMEM, "out of memory"); goto done; }
    cli_buf_printf(&csv, "file");
    for (int t = 0; t < p.n_levels; t++)
        for (int c = 0; c < p.level_dim[t]; c++) cli_buf_printf(&csv, ",level_%d_%d", t, c);
    cli_buf_printf(&csv, "\n");
    cli_progress prog;
    cli_progress_start(&prog, "features", in.images.n, quiet);
    for (size_t i = 0; i < in.images.n; i++) {
        const char *path = in.images.path[i];
        int w, h;
        effad_status s = pipeline_load_rgb(&p, path, &rgb, &w, &h, &e);
        if (!s) cli_warn_image("features", &warned, &p, path, w, h);
        if (!s && (s = pipeline_rgb(&p, rgb, w, h, 0, 0, feat, &e))) effad_error_prefix(&e, path);
        free(rgb); rgb = 0;
        if (s) goto done;
        cli_buf_csv(&csv, path);
        for (size_t k = 0; k < p.total_dim; k++) cli_buf_printf(&csv, ",%.9g", feat[k]);
        cli_buf_printf(&csv, "\n");
        cli_progress_step(&prog, i + 1);
    }
    cli_progress_end(&prog);
    if (csv.failed) { effad_fail(&e, EFFAD_ERR_NOMEM, "out of memory for the table"); goto done; }
    if (out && atomic_file_write(out, csv.p, csv.n, &e) != EFFAD_OK) goto done;
    if (!out) fwrite(csv.p, 1, csv.n, stdout);   /* a failure is main()'s to report */
    rc = 0;
done:
    if (rc) cli_error("features", &e);
    free(feat); free(rgb);
    cli_buf_free(&csv);
    input_list_free(&in);
    pipeline_close(&p);
    return rc;
}

int cmd_features(int argc, char **argv)
{
    const char *model = 0, *tensor = 0, *out = 0, *isa = 0, *inputs[256];
    int maps = 0, h = 0, w = 0, n_inputs = 0, quiet = 0;
    pipeline_options po = { .preset = "ailia", .threads = 1, .rgb16 = IMAGE_RGB_SCALE };
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : 0;
        if (cli_is_help(a)) return help();
        int common = cli_pipeline_option("features", argc, argv, &i, &po, &quiet);
        if (common < 0) return 2;
        if (common) continue;
        if (!strcmp(a, "--tensor") && v) { tensor = v; i++; }
        else if (cli_opt_out(a) && v) { out = v; i++; }
        else if (!strcmp(a, "--preprocess") && v) { po.preset = v; i++; }
        else if (!strcmp(a, "--maps")) maps = 1;
        else if (cli_opt_input_size(a) && v) {
            if (!cli_input_size("features", a, v, &h, &w)) return 2;
            i++;
        } else if (a[0] == '-' && a[1]) return cli_usage_error("features", "unknown or incomplete option '%s'", a);
        else if (!model) model = a;
        else if (n_inputs < 256) inputs[n_inputs++] = a;
        else return cli_usage_error("features", "too many inputs%s", "");
    }
    isa = po.isa;
    if (model && n_inputs && !tensor) {
        if (maps || h) return cli_usage_error("features", "--maps and --input-size go with --tensor%s", "");
        return features_of_images(model, inputs, n_inputs, out, po, quiet);
    }
    if (n_inputs) return cli_usage_error("features", "images and --tensor exclude each other ('%s')", inputs[0]);
    if (po.roi_given || po.rgb16_given)
        return cli_usage_error("features", "--roi and the 16-bit options read images; --tensor is %s", "already an input");
    if (!model || !tensor || !out)
        return cli_usage_error("features", "need MODEL.efm and images, or MODEL.efm, --tensor IN.f32 and -o OUT.f32%s", "");

    effad_error e = { 0 };
    const char *files[2] = { model, tensor };
    if (cli_outputs_safe(out, files, 2, &e)) return cli_error("features", &e);
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
                   tf.n_bytes, h, w, want, h == m.in_h && w == m.in_w ? " (--input-size H,W for another size)" : "");
        effad_file_unmap(&tf);
        goto fail;
    }
    input = malloc(want);
    if (!input) { effad_fail(&e, EFFAD_ERR_NOMEM, "out of memory"); effad_file_unmap(&tf); goto fail; }
    for (size_t i = 0; i < want / 4; i++) input[i] = le_f32(tf.bytes + 4 * i);
    effad_file_unmap(&tf);

    size_t arena_bytes;
    effad_runner r;
    const effad_plan_opts plan = { .in_h = h, .in_w = w, .n_workers = 1, .map_taps = maps ? (uint32_t)((1ull << m.n_taps) - 1) : 0 };
    if (effad_arena_bytes(&m, k, &plan, &arena_bytes, &e)) goto fail;
    if (!(arena = big_buffer(arena_bytes))) { effad_fail(&e, EFFAD_ERR_NOMEM, "out of memory for the arena"); goto fail; }
    if (effad_runner_init(&r, &m, k, &plan, arena, arena_bytes, &e)) goto fail;

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
