/* effad -- command-line entry point: dispatch to a subcommand. */
#include <errno.h>
#include <string.h>
#ifdef __GLIBC__
#include <malloc.h>   /* mallopt */
#endif
#include "cli.h"
#include "atomic-file.h"

static const struct { const char *name; cli_cmd_fn fn; const char *what; } commands[] = {
    { "demo",     cmd_demo,     "the offline default: synthetic parts, a deterministic model, fit, eval" },
    { "convert",  cmd_convert,  "ONNX EfficientNet -> .efm flat model" },
    { "info",     cmd_info,     "describe an .efm (blocks, taps, MACs, arena) or a .gauss (levels, thresholds, maps)" },
    { "features", cmd_features, "run the network on images or a raw tensor, write the level vectors" },
    { "fit",      cmd_fit,      "learn what good parts look like: train images -> .gauss" },
    { "score",    cmd_score,    "score images: combined and per-level distances, verdict" },
    { "eval",     cmd_eval,     "AUROC per defect type on an MVTec-AD layout (pixel AUROC, PRO with maps)" },
    { "merge",    cmd_merge,    "add up the statistics of several fits and refit" },
    { "calibrate", cmd_calibrate, "choose the anomaly maps' pixel threshold on good images" },
    { "quantcheck", cmd_quantcheck, "int8 against float32: level errors, score correlation, AUROC" },
    { "bench",    cmd_bench,    "time inferences (median/min/mean), per-layer profile with --layers" },
    { "version",  cmd_version,  "effad's version, the file formats it reads and writes, the kernels (--version)" },
};

static int usage(FILE *f)
{
    fprintf(f, "usage: effad <command> [options]   (effad <command> --help for its options)\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].what);
    fprintf(f, "\nenvironment:\n  EFFAD_ISA=NAME   force a kernel path, as --version names it: scalar, avx2, avx2-vnni,\n"
               "                   avx512, avx512-vnni, neon, neon-dotprod (avx2: no VNNI even where the CPU has it)\n");
    return f == stderr ? 2 : 0;
}

/* A command's output to a redirected standard output (`score --csv >
 * scores.csv`) sits in stdio's buffer until the end, so a full disk or a
 * closed descriptor shows only when it is flushed: the command fails then
 * (1), rather than exit 0 -- or 3 and 4, whose verdicts a script would
 * read from the table -- over a truncated one. 1 and 2 have said what
 * went wrong already. */
static int flushed(const char *cmd, int rc)
{
    errno = 0;
    const int failed = fflush(stdout) != 0 || ferror(stdout);
    if (failed && rc != 1 && rc != 2) {
        if (errno) fprintf(stderr, "effad %s: standard output: write failed: %s\n", cmd, strerror(errno));
        else fprintf(stderr, "effad %s: standard output: write failed\n", cmd);
        return 1;
    }
    return rc;
}

int main(int argc, char **argv)
{
    if (argc > 0 && argv[0] && argv[0][0]) cli_program = argv[0];
#ifdef __GLIBC__
    /* per-image buffers (file bytes, decoded pixels, resize scratch: 0.1 to
     * 1 MB each) stay in the heap when freed instead of going back to the
     * OS: glibc maps each one afresh otherwise, and first touches of pages
     * cost 5-20 us each in a VM (fit: 120 page faults per image) */
    mallopt(M_MMAP_THRESHOLD, 64 << 20);
    mallopt(M_TRIM_THRESHOLD, 256 << 20);
#endif
    /* an interrupted write leaves no temp file behind (atomic-file.h) */
    atomic_file_cleanup_on_signals();
    if (argc < 2) return usage(stderr);
    if (cli_is_help(argv[1]) || !strcmp(argv[1], "help")) return flushed("help", usage(stdout));
    if (!strcmp(argv[1], "--version")) return flushed("--version", cmd_version(argc - 1, argv + 1));
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(argv[1], commands[i].name)) return flushed(commands[i].name, commands[i].fn(argc - 1, argv + 1));
    fprintf(stderr, "effad: unknown command '%s'\n", argv[1]);
    return usage(stderr);
}
