/* effad convert: ONNX EfficientNet -> .efm, written atomically. */
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "big-buffer.h"
#include "convert.h"
#include "atomic-file.h"
#include "cmd-convert-int8.h"
#include "qdq-emit.h"
#include "efm-source.h"

static int help(void)
{
    printf("usage: effad convert IN.onnx -o OUT.efm [options]\n"
           "  IN may also be a float32 .efm (e.g. the demo's), to quantise it with --int8\n"
           "  --taps auto|graph|stage-end|stage-start|every-block\n"
           "        which levels the model exposes. auto (default): the graph's own\n"
           "        outputs when they are block outputs or their pooled means (ailia's\n"
           "        mahalanobisad layout), else stage-end. stage-end: stem, the LAST\n"
           "        block of each stage, head (the paper). stage-start: stem, the FIRST\n"
           "        block of each stage, head (MahalanobisAD). every-block: the output of\n"
           "        each block, then the head's while there is room (32 levels): for\n"
           "        layer-by-layer checks of the int8 path.\n"
           "  --input-size H,W   input size when the graph's is symbolic\n"
           "  --mean a,b,c --std a,b,c   normalisation (default ImageNet)\n"
           "  --emit-qdq OUT.onnx  also write the model as an ONNX graph in the QDQ format\n"
           "                     (what ONNX Runtime runs as effad's exact int8 arithmetic;\n"
           "                     a plain float graph for a float model)\n");
    convert_int8_help(stdout);
    return 0;
}

static int parse3(const char *s, float v[3])
{
    char *end;
    for (int i = 0; i < 3; i++) {
        v[i] = strtof(s, &end);
        if (end == s || (i < 2 && *end != ',') || (i == 2 && *end)) return 0;
        s = end + 1;
    }
    return 1;
}

int cmd_convert(int argc, char **argv)
{
    const char *in = 0, *out = 0, *qdq = 0;
    convert_int8 q8;
    convert_int8_defaults(&q8);
    convert_options opt;
    memset(&opt, 0, sizeof opt);
    opt.mean[0] = 0.485f; opt.mean[1] = 0.456f; opt.mean[2] = 0.406f;
    opt.std[0] = 0.229f; opt.std[1] = 0.224f; opt.std[2] = 0.225f;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : 0;
        int r8;
        if (cli_is_help(a)) return help();
        if (cli_opt_out(a) && v) { out = v; i++; }
        else if (!strcmp(a, "--taps") && v) {
            int t = convert_taps_parse(v);
            if (t < 0) return cli_usage_error("convert", "unknown tap rule '%s'", v);
            opt.taps = (convert_taps)t; i++;
        } else if (cli_opt_input_size(a) && v) {
            if (!cli_input_size("convert", a, v, &opt.in_h, &opt.in_w)) return 2;
            i++;
        } else if ((!strcmp(a, "--mean") || !strcmp(a, "--std")) && v) {
            if (!parse3(v, a[2] == 'm' ? opt.mean : opt.std)) return cli_usage_error("convert", "bad value '%s' (want a,b,c)", v);
            opt.set_norm = 1; i++;
        } else if (!strcmp(a, "--emit-qdq") && v) { qdq = v; i++; }
        else if ((r8 = convert_int8_option(argc, argv, &i, &q8)) < 0) return 2;
        else if (r8) continue;
        else if (a[0] == '-') return cli_usage_error("convert", "unknown or incomplete option '%s'", a);
        else if (!in) in = a;
        else return cli_usage_error("convert", "unexpected argument '%s'", a);
    }
    if (!in || !out) return cli_usage_error("convert", "need IN.onnx and -o OUT.efm%s", "");
    int bad = convert_int8_check(&q8);
    if (bad) return bad;
    const char *base = strrchr(in, '/');
    opt.source = base ? base + 1 : in;

    effad_error e = { 0 };
    if (cli_check_role(in, CLI_CONVERTIBLE, "IN.onnx", "effad convert IN.onnx -o OUT.efm", &e) ||
        cli_outputs_safe(out, &in, 1, &e))
        return cli_error("convert", &e);
    effad_mapped_file f;
    uint8_t *efm = 0;
    size_t efm_bytes = 0;
    convert_report rep;
    if (effad_file_map(in, &f, &e)) return cli_error("convert", &e);
    convert_session *cs = 0;
    uint8_t *from_efm = 0;
    size_t from_efm_bytes = 0;
    effad_status s = EFFAD_OK;
    if (efm_source_is_efm(f.bytes, f.n_bytes)) s = efm_source_to_onnx(f.bytes, f.n_bytes, &opt, &from_efm, &from_efm_bytes, &e);
    if (!s) s = from_efm ? convert_open(from_efm, from_efm_bytes, &opt, &cs, &rep, &e)
                         : convert_open(f.bytes, f.n_bytes, &opt, &cs, &rep, &e);
    free(from_efm);
    size_t f32_bytes = 0;
    convert_qdq_report qrep;
    const convert_quant *imported = s ? 0 : convert_imported(cs, &qrep);
    if (imported && q8.enabled)
        s = effad_fail(&e, EFFAD_ERR_ARG, "the graph is quantised already (QuantizeLinear/DequantizeLinear): its "
                       "scales are used; leave out --int8 and --calib");
    if (!s) s = convert_write(cs, 0, &efm, &f32_bytes, &e);
    efm_bytes = f32_bytes;
    if (!s && imported) {
        free(efm);
        efm = 0;
        s = convert_write(cs, imported, &efm, &efm_bytes, &e);
        if (!s) convert_print_qdq(&qrep);
    }
    if (!s && q8.enabled) {
        /* measure the float model on the calibration images, then write
         * the int8 one from the same graph */
        static convert_quant q;
        free(efm);
        efm = 0;
        s = convert_int8_run(&q8, cs, &q, &e);
        if (!s) s = convert_write(cs, &q, &efm, &efm_bytes, &e);
    }
    convert_close(cs);
    convert_int8_close(&q8);
    effad_file_unmap(&f);
    if (s) { effad_error_prefix(&e, in); return cli_error("convert", &e); }

    /* reload what we wrote: the loader's checks are the converter's test */
    static effad_model m;
    void *aligned = big_buffer(efm_bytes);
    if (!aligned) { free(efm); e.status = EFFAD_ERR_NOMEM; strcpy(e.msg, "out of memory"); return cli_error("convert", &e); }
    /* a copy: on a big-endian host loading swaps the weights in place */
    memcpy(aligned, efm, efm_bytes);
    if ((s = effad_model_load_writable(&m, aligned, efm_bytes, &e))) {
        effad_error_prefix(&e, "internal error: converted model does not load");
        free(aligned); free(efm);
        return cli_error("convert", &e);
    }
    uint8_t *onnx = 0;
    size_t onnx_bytes = 0;
    if (qdq && (s = qdq_emit(&m, &onnx, &onnx_bytes, &e))) { free(aligned); free(efm); return cli_error("convert", &e); }
    s = atomic_file_write(out, efm, efm_bytes, &e);
    if (!s && qdq) s = atomic_file_write(qdq, onnx, onnx_bytes, &e);
    free(efm);
    free(onnx);
    if (s) { free(aligned); return cli_error("convert", &e); }
    if (qdq) printf("%s: the same model as a QDQ ONNX graph (%zu bytes)\n", qdq, onnx_bytes);
    if (q8.enabled || imported) printf("%s -> %s (%zu bytes, int8: %.1f%% of the float32 file's %zu)\n", in, out, efm_bytes,
                     100.0 * (double)efm_bytes / (double)f32_bytes, f32_bytes);
    else printf("%s -> %s (%zu bytes)\n", in, out, efm_bytes);
    info_print(stdout, &m, effad_kernels("scalar"), 0);
    if (rep.fused[0]) printf("  folded      %s\n", rep.fused);
    if (rep.ignored[0]) printf("  ignored     %s (not a block boundary: classifier)\n", rep.ignored);
    free(aligned);
    return 0;
}
