/* effad convert: ONNX EfficientNet -> .efm, written atomically. */
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "convert.h"
#include "atomic-file.h"

static int help(void)
{
    printf("usage: effad convert IN.onnx -o OUT.efm [options]\n"
           "  --taps auto|graph|stage-end|stage-start\n"
           "        which levels the model exposes. auto (default): the graph's own\n"
           "        outputs when they are block outputs or their pooled means (ailia's\n"
           "        mahalanobisad layout), else stage-end. stage-end: stem, the LAST\n"
           "        block of each stage, head (the paper). stage-start: stem, the FIRST\n"
           "        block of each stage, head (MahalanobisAD).\n"
           "  --input-size H,W   input size when the graph's is symbolic\n"
           "  --mean a,b,c --std a,b,c   normalisation (default ImageNet)\n");
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
    const char *in = 0, *out = 0;
    convert_options opt;
    memset(&opt, 0, sizeof opt);
    opt.mean[0] = 0.485f; opt.mean[1] = 0.456f; opt.mean[2] = 0.406f;
    opt.std[0] = 0.229f; opt.std[1] = 0.224f; opt.std[2] = 0.225f;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : 0;
        if (cli_is_help(a)) return help();
        if (!strcmp(a, "-o") && v) { out = v; i++; }
        else if (!strcmp(a, "--taps") && v) {
            int t = convert_taps_parse(v);
            if (t < 0) return cli_usage_error("convert", "unknown tap rule '%s'", v);
            opt.taps = (convert_taps)t; i++;
        } else if (!strcmp(a, "--input-size") && v) {
            if (!cli_parse_hw(v, &opt.in_h, &opt.in_w)) return cli_usage_error("convert", "bad --input-size '%s' (want H,W)", v);
            i++;
        } else if ((!strcmp(a, "--mean") || !strcmp(a, "--std")) && v) {
            if (!parse3(v, a[2] == 'm' ? opt.mean : opt.std)) return cli_usage_error("convert", "bad value '%s' (want a,b,c)", v);
            opt.set_norm = 1; i++;
        } else if (a[0] == '-') return cli_usage_error("convert", "unknown or incomplete option '%s'", a);
        else if (!in) in = a;
        else return cli_usage_error("convert", "unexpected argument '%s'", a);
    }
    if (!in || !out) return cli_usage_error("convert", "need IN.onnx and -o OUT.efm%s", "");
    const char *base = strrchr(in, '/');
    opt.source = base ? base + 1 : in;

    effad_error e = { 0 };
    if (cli_check_role(in, CLI_ONNX, "IN.onnx", "effad convert IN.onnx -o OUT.efm", &e) ||
        cli_outputs_safe(out, &in, 1, &e))
        return cli_error("convert", &e);
    effad_mapped_file f;
    uint8_t *efm = 0;
    size_t efm_bytes = 0;
    convert_report rep;
    if (effad_file_map(in, &f, &e)) return cli_error("convert", &e);
    effad_status s = effad_convert_onnx(f.bytes, f.n_bytes, &opt, &efm, &efm_bytes, &rep, &e);
    effad_file_unmap(&f);
    if (s) { effad_error_prefix(&e, in); return cli_error("convert", &e); }

    /* reload what we wrote: the loader's checks are the converter's test */
    static effad_model m;
    void *aligned = cli_arena(efm_bytes);
    if (!aligned) { free(efm); e.status = EFFAD_ERR_NOMEM; strcpy(e.msg, "out of memory"); return cli_error("convert", &e); }
    /* a copy: on a big-endian host loading swaps the weights in place */
    memcpy(aligned, efm, efm_bytes);
    if ((s = effad_model_load_writable(&m, aligned, efm_bytes, &e))) {
        effad_error_prefix(&e, "internal error: converted model does not load");
        free(aligned); free(efm);
        return cli_error("convert", &e);
    }
    s = atomic_file_write(out, efm, efm_bytes, &e);
    free(efm);
    if (s) { free(aligned); return cli_error("convert", &e); }
    printf("%s -> %s (%zu bytes)\n", in, out, efm_bytes);
    info_print(stdout, &m, ops_kernels_for(OPS_ISA_SCALAR), 0);
    if (rep.fused[0]) printf("  folded      %s\n", rep.fused);
    if (rep.ignored[0]) printf("  ignored     %s (not a block boundary: classifier)\n", rep.ignored);
    free(aligned);
    return 0;
}
