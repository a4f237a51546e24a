/* effad info: what a firmware author or a user needs to know about an .efm. */
#include <stdlib.h>
#include <string.h>
#include "cli.h"

static const char *act_name(int a)
{
    static const char *const n[] = { "none", "relu", "clip", "sigmoid", "swish", "hardsigmoid", "hardswish" };
    return a >= 0 && a <= 6 ? n[a] : "?";
}

static const char *pad_name(int p)
{
    return p == EFFAD_PAD_TF_SAME ? "tf-same" : p == EFFAD_PAD_SYMMETRIC ? "symmetric" : "explicit";
}

static void print_thousands(FILE *f, long long v)
{
    char buf[32], out[48];
    int n = snprintf(buf, sizeof buf, "%lld", v), o = 0;
    for (int i = 0; i < n; i++) {
        out[o++] = buf[i];
        if (buf[i] != '-' && (n - 1 - i) % 3 == 0 && i != n - 1) out[o++] = ',';
    }
    out[o] = '\0';
    fputs(out, f);
}

static const char *tap_where(const effad_model *m, int at, char *buf, size_t n)
{
    if (at == 0) snprintf(buf, n, "stem");
    else if (at <= m->n_blocks) snprintf(buf, n, "block %d (stage %d)", at - 1, m->blocks[at - 1].stage + 1);
    else snprintf(buf, n, "head");
    return buf;
}

void info_print(FILE *f, const effad_model *m, const effad_kernel_set *k, int verbose)
{
    size_t arena = 0;
    effad_runner r;
    /* as fit and score plan it: with the 1x1 weights packed apart */
    const size_t packed = effad_packed_bytes(m, k);
    const effad_plan_opts po = { .n_workers = 1, .flags = packed ? EFFAD_PLAN_PREPACKED : 0 };
    effad_arena_bytes(m, k, &po, &arena, 0);
    effad_runner_init(&r, m, k, 0, 0, 0, 0);
    fprintf(f, "  variant     %s, input %dx%dx%d, %d blocks in %d stages, head %s\n", m->variant, m->in_c, m->in_h,
            m->in_w, m->n_blocks, m->n_stages, m->has_head ? "1x1 conv" : "none");
    if (m->source[0]) fprintf(f, "  source      %s\n", m->source);
    fprintf(f, "  normalise   mean %.4g %.4g %.4g, std %.4g %.4g %.4g\n", m->mean[0], m->mean[1], m->mean[2],
            m->std[0], m->std[1], m->std[2]);
    fprintf(f, "  padding     %s\n", pad_name(m->stem.pad_mode));
    fprintf(f, "  parameters  "); print_thousands(f, m->n_params); fputc('\n', f);
    fprintf(f, "  MACs        "); print_thousands(f, effad_model_macs(m, 0, 0));
    fprintf(f, " at %dx%d\n", m->in_h, m->in_w);
    fprintf(f, "  arena       "); print_thousands(f, (long long)arena);
    /* an int8 model's activations: uint8, int16 (16x8) or, with --act16
     * blocks, both */
    int any_u8 = m->has_head && m->head.in_q.dtype == EFFAD_U8;
    for (int i = 0; i < m->n_blocks; i++) any_u8 |= m->blocks[i].dw.in_q.dtype == EFFAD_U8;
    fprintf(f, " bytes (one thread, %s kernels%s)\n", k ? effad_kernels_name(k) : "scalar",
            !m->quantised ? "" : !m->act16 ? ", int8 model" : any_u8 ? ", int8 model, uint8 and int16 activations"
                                                                     : ", int8 model, int16 activations");
    if (packed) {
        fprintf(f, "  packed      "); print_thousands(f, (long long)packed);
        fprintf(f, " bytes (the 1x1 weights laid out once for these kernels)\n");
    }
    fprintf(f, "  model hash  %016llx\n", (unsigned long long)m->hash);
    if (verbose) {
        /* fused: expand and depthwise run together through a ring of rows
         * (engine/plan.h) at the native size */
        /* type: float32, int8 (uint8 activations), 16x8 (int16 ones) or
         * w8 (weight-only: int8 weights, float32 activations) */
        fprintf(f, "  blocks:\n    %-3s %-5s %-6s %-3s %-5s %-11s %-4s %-4s %-6s %-7s %s\n", "#", "stage", "kernel", "s", "exp",
                "channels", "se", "skip", "act", "type", "fused");
        for (int i = 0; i < m->n_blocks; i++) {
            const effad_block *b = &m->blocks[i];
            char ch[32];
            snprintf(ch, sizeof ch, "%d->%d", b->in_c, b->out_c);
            const char *type = b->dw.w.dtype != EFFAD_S8 ? "float32" : b->dw.in_q.dtype == EFFAD_F32 ? "w8"
                               : b->dw.in_q.dtype == EFFAD_S16 ? "16x8" : "int8";
            fprintf(f, "    %-3d %-5d %dx%-4d %-3d %-5.3g %-11s %-4d %-4s %-6s %-7s %s\n", i, b->stage + 1, b->dw.kh,
                    b->dw.kw, b->dw.stride_h, (double)b->mid_c / b->in_c, ch, b->se_c, b->skip ? "yes" : "no",
                    act_name(b->dw.act), type, effad_block_fused(&r, i) ? "yes" : "no");
        }
    }
    fprintf(f, "  levels (%s):\n", m->tap_rule);
    for (int t = 0; t < m->n_taps; t++) {
        char where[48];
        int c, h, w;
        effad_tap_shape(&r, t, &c, &h, &w);
        fprintf(f, "    %2d  %-18s %5d x %3d x %-3d %s  <- %s%s%s\n", t, tap_where(m, m->taps[t].at, where, sizeof where),
                c, h, w, m->taps[t].pooled_in_graph ? "pooled" : "map   ", m->taps[t].name,
                m->taps[t].node[0] ? " from node " : "", m->taps[t].node);
    }
}

int cmd_info(int argc, char **argv)
{
    const char *path = 0, *isa = 0;
    for (int i = 1; i < argc; i++) {
        if (cli_is_help(argv[i])) {
            printf("usage: effad info MODEL.efm [--isa NAME]  (NAME: a kernel path, see effad --help)\n"
                   "       effad info MODEL.gauss\n"
                   "  An .efm: validates the model and prints its variant, input size, normalisation,\n"
                   "  block table (with the blocks whose expand runs fused with the depthwise\n"
                   "  conv), parameters, MACs, the arena bytes one forward pass needs,\n"
                   "  the kernel path that will run, and every level (tap) with its ONNX source.\n"
                   "  A .gauss: its preset, the model hash and input size it was fitted with,\n"
                   "  every level (tap, dimension, shrinkage, samples), the training count, the\n"
                   "  thresholds (the one in force first), the anomaly maps if any, file size.\n"
                   "  Which one it is comes from the file's first bytes, not its name.\n");
            return 0;
        }
        if (!strcmp(argv[i], "--isa") && i + 1 < argc) isa = argv[++i];
        else if (argv[i][0] == '-') return cli_usage_error("info", "unknown option '%s'", argv[i]);
        else if (!path) path = argv[i];
        else return cli_usage_error("info", "unexpected argument '%s'", argv[i]);
    }
    if (!path) return cli_usage_error("info", "no model given%s", "");
    cli_kind kind;
    if (cli_file_kind(path, &kind) && kind == CLI_GAUSS) return info_gauss(path);
    effad_error e = { 0 };
    const effad_kernel_set *k = cli_kernels(isa, &e);
    if (!k) return cli_error("info", &e);
    effad_mapped_file f;
    static effad_model m;
    if (cli_load_model(path, &f, &m, &e)) return cli_error("info", &e);
    printf("%s\n", path);
    info_print(stdout, &m, k, 1);
    printf("  kernels     %s\n", effad_kernels_name(k));
    effad_file_unmap(&f);
    return 0;
}
