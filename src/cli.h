/* cli.h -- what the effad subcommands share: option parsing, error exit,
 * kernel choice. Only the CLI includes this; the library never prints. */
#ifndef EFFAD_CLI_H
#define EFFAD_CLI_H

#include <stdio.h>
#include "effad.h"
#include "pipeline.h"
#include "gauss.h"

typedef int (*cli_cmd_fn)(int argc, char **argv);

int cmd_convert(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_features(int argc, char **argv);
int cmd_fit(int argc, char **argv);
int cmd_score(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_merge(int argc, char **argv);
int cmd_demo(int argc, char **argv);
int cmd_calibrate(int argc, char **argv);
int cmd_quantcheck(int argc, char **argv);

/* Progress on stderr: a live line with rate and ETA on a terminal, a line
 * per 10% otherwise; quiet suppresses it. */
typedef struct cli_progress { const char *what; size_t total, last_pct; double t0; int tty, quiet; } cli_progress;
void cli_progress_start(cli_progress *p, const char *what, size_t total, int quiet);
void cli_progress_step(cli_progress *p, size_t done);
void cli_progress_end(cli_progress *p);
double cli_now(void);
int cli_parse_double(const char *s, double *out);
int cmd_bench(int argc, char **argv);

/* Prints "effad <cmd>: <message>" and returns the exit status (1, or 2 for
 * usage errors). */
int cli_error(const char *cmd, const effad_error *e);
int cli_usage_error(const char *cmd, const char *fmt, const char *arg);
/* "H,W" -> two positive ints; "a,b,c" -> three floats. 0 on failure. */
int cli_parse_hw(const char *s, int *h, int *w);
int cli_parse_int(const char *s, int lo, int hi, int *out);
/* The kernels: EFFAD_ISA (or --isa) if set and available, else the best. */
const effad_kernel_set *cli_kernels(const char *isa_opt, effad_error *e);
/* Maps and validates an .efm; errors prefixed with the path. */
effad_status cli_load_model(const char *path, effad_mapped_file *f, effad_model *m, effad_error *e);
/* Allocates a 64-byte aligned arena (free with free()). */
void *cli_arena(size_t bytes);
/* Prints the model summary shared by convert and info (src/cmd-info.c). */
void info_print(FILE *f, const effad_model *m, const effad_kernel_set *k, int verbose);
/* The options every image command shares: --threads N, --isa NAME, --quiet,
 * --pil-16bit, --opencv-16bit (how 16-bit images become 8-bit; image.h).
 * 1: argv[*i] was one (and *i moved past its value); 0: it was not;
 * -1: a bad value (the usage error is printed; exit 2). */
int cli_pipeline_option(const char *cmd, int argc, char **argv, int *i, pipeline_options *po, int *quiet);
/* Help lines for the 16-bit options cli_pipeline_option takes. */
#define CLI_HELP_16BIT \
    "  --pil-16bit    16-bit images as PIL's convert('RGB'): 16-bit grey clips to\n" \
    "                 white (bit-exact with the MahalanobisAD-pytorch reference)\n" \
    "  --opencv-16bit 16-bit images as cv2.imread: the high byte (gaussian-ad-mvtec)\n" \
    "                 (default: scale to 8 bits, round(v / 257))\n"
/* Warnings, once per run, about what the preprocessing hides from the
 * detector: a crop that drops more than a quarter of an image, and 16-bit
 * grey clipped to white by --pil-16bit. Call after each pipeline_load_rgb. */
typedef struct cli_image_warnings { int crop, clip; } cli_image_warnings;
void cli_warn_image(const char *cmd, cli_image_warnings *wn, const pipeline *p, const char *path, int w, int h);
/* Says on stderr which preset a .gauss from an older effad holds when that
 * preset has been renamed since (gauss_model.preset_stored); else silent. */
void cli_note_renamed_preset(const char *cmd, const char *gauss_path, const gauss_model *gm);
/* Creates directory path if it does not exist; an error names it. */
effad_status cli_mkdir(const char *path, effad_error *e);
/* Whether argv[i] is --help or -h. */
int cli_is_help(const char *a);

#endif
