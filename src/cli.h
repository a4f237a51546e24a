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

/* Exit statuses of every command (listed in each --help and the README). */
enum {
    CLI_EXIT_OK = 0,
    CLI_EXIT_ERROR = 1,       /* nothing (or nothing reliable) was done */
    CLI_EXIT_USAGE = 2,       /* bad arguments */
    CLI_EXIT_ANOMALY = 3,     /* score --fail-on-anomaly: an image is anomalous */
    CLI_EXIT_BAD_IMAGES = 4   /* score / eval: some images could not be read or
                                 decoded; the others were processed */
};

/* A growing text buffer for reports written in one piece (CSV, JSON);
 * failed is set if memory ran out, and then nothing is written. */
typedef struct cli_buf { char *p; size_t n, cap; int failed; } cli_buf;
void cli_buf_printf(cli_buf *b, const char *fmt, ...);
/* s as a JSON string, and as a CSV field (RFC 4180 quoting when needed). */
void cli_buf_json(cli_buf *b, const char *s);
void cli_buf_csv(cli_buf *b, const char *s);
void cli_buf_free(cli_buf *b);

/* The message of e without a leading "path: " (for records that name the
 * file separately). */
const char *cli_reason(const effad_error *e, const char *path);
/* v for JSON in printf format fmt (one double), or null when v is not
 * finite (JSON has no inf or nan); returns buf. */
const char *cli_json_num(char *buf, size_t n, const char *fmt, double v);
/* s as a JSON string (quotes included) to f. */
void cli_json_string(FILE *f, const char *s);

/* Prints "effad <cmd>: <message>" and returns the exit status (1, or 2 for
 * usage errors). */
int cli_error(const char *cmd, const effad_error *e);
int cli_usage_error(const char *cmd, const char *fmt, const char *arg);
/* "H,W" -> two positive ints; "a,b,c" -> three floats. 0 on failure. */
int cli_parse_hw(const char *s, int *h, int *w);
int cli_parse_int(const char *s, int lo, int hi, int *out);
/* The value v of option opt as a whole number in [lo, hi] into *out: 1;
 * else the usage error "bad OPT 'V' (a whole number from LO to HI)" on
 * stderr and 0 (the caller exits 2). */
int cli_int_option(const char *cmd, const char *opt, const char *v, int lo, int hi, int *out);
/* The kernels: EFFAD_ISA (or --isa) if set and available, else the best. */
const effad_kernel_set *cli_kernels(const char *isa_opt, effad_error *e);
/* Maps and validates an .efm; errors prefixed with the path. */
effad_status cli_load_model(const char *path, effad_mapped_file *f, effad_model *m, effad_error *e);
/* Prints the model summary shared by convert and info (src/cmd-info.c). */
void info_print(FILE *f, const effad_model *m, const effad_kernel_set *k, int verbose);
/* The options every image command shares: --threads N, --isa NAME, --quiet,
 * --pil-16bit, --opencv-16bit (how 16-bit images become 8-bit; image.h),
 * --roi X,Y,W,H (the region of interest; roi.h).
 * 1: argv[*i] was one (and *i moved past its value); 0: it was not;
 * -1: a bad value (the usage error is printed; exit 2). */
int cli_pipeline_option(const char *cmd, int argc, char **argv, int *i, pipeline_options *po, int *quiet);
/* Help lines for the 16-bit options cli_pipeline_option takes. */
#define CLI_HELP_16BIT \
    "  --pil-16bit    16-bit images as PIL's convert('RGB'): 16-bit grey clips to\n" \
    "                 white (bit-exact with the MahalanobisAD-pytorch reference)\n" \
    "  --opencv-16bit 16-bit images as cv2.imread: the high byte (gaussian-ad-mvtec)\n" \
    "  --sample-bits N  16-bit images hold N-bit samples (9..16; a 12-bit camera's\n" \
    "                 0..4095): round(v * 255 / (2^N - 1))\n" \
    "                 (default: scale to 8 bits, round(v / 257)); fit keeps the\n" \
    "                 rule in the .gauss, and score applies it\n"
/* Help lines for --roi: where it is chosen (fit, features, quantcheck) and
 * where the .gauss brings it (score, eval, calibrate). */
#define CLI_HELP_ROI \
    "  --roi X,Y,W,H  look only at this region of each image: the top-left corner and\n" \
    "                 the size in pixels, of the image as shown (after any turn); it\n" \
    "                 is cropped first, before the preset (default: the whole image)\n"
#define CLI_HELP_ROI_STORED \
    "  --roi X,Y,W,H  insist on a region of interest (refused unless the model was\n" \
    "                 fitted with it); without it, the one the .gauss holds applies\n"
/* Warnings, once per run, about what the preprocessing hides from the
 * detector: a crop that drops more than a quarter of an image, and 16-bit
 * grey clipped to white by --pil-16bit. Call after each pipeline_load_rgb. */
typedef struct cli_image_warnings { int crop, clip; } cli_image_warnings;
void cli_warn_image(const char *cmd, cli_image_warnings *wn, const pipeline *p, const char *path, int w, int h);
/* Says on stderr which preset a .gauss from an older effad holds when that
 * preset has been renamed since (gauss_model.preset_stored); else silent. */
void cli_note_renamed_preset(const char *cmd, const char *gauss_path, const gauss_model *gm);
/* Says on stderr that a 16-bit rule asked for is applied on trust: gm does
 * not record one (prep-spec.h: a file with the defaults, or from before
 * the rule was kept); else silent. */
void cli_note_rgb16_unstated(const char *cmd, const char *gauss_path, const gauss_model *gm, const pipeline_options *po);
/* Creates directory path if it does not exist; an error names it, also
 * when path exists as something other than a directory. */
effad_status cli_mkdir(const char *path, effad_error *e);
/* dir/name into out[0..n): an error naming both when it does not fit,
 * instead of a cut name that would write or read some other file. */
effad_status cli_path_join(char *out, size_t n, const char *dir, const char *name, effad_error *e);
/* The output rules (src/atomic-file.h) for a command: paths[0..n) are its
 * inputs, which no output may replace, and out (may be NULL) its output
 * file, refused now -- before any work -- if it is not a regular file or
 * is one of the inputs. */
effad_status cli_outputs_safe(const char *out, const char *const *paths, size_t n, effad_error *e);
/* The kinds of file an argument can be: everyday mistakes are swapping
 * MODEL.gauss and MODEL.efm, giving the ONNX where the .efm goes, or a
 * directory where a file goes. */
typedef enum cli_kind {
    CLI_EFM, CLI_GAUSS, CLI_ONNX, CLI_IMAGE,
    CLI_CONVERTIBLE     /* what convert reads: an ONNX file or a float32 .efm */
} cli_kind;
/* Refuses path as the argument `role` (e.g. "MODEL.efm") when it is a
 * directory or a file of another kind effad recognises, saying which
 * argument is which: usage is the command's synopsis. Anything else is
 * left to the reader of that kind. */
effad_status cli_check_role(const char *path, cli_kind want, const char *role, const char *usage, effad_error *e);

/* Prints the notes of a directory walk ("a symbolic link loop, not
 * followed") as warnings on stderr. */
struct image_list;
void cli_print_notes(const char *cmd, const struct image_list *l);
/* How the user called effad (argv[0], e.g. ./build/effad): the commands
 * the demo suggests are printed with it, so they run as printed. */
extern const char *cli_program;
/* Whether argv[i] is --help or -h. */
int cli_is_help(const char *a);

/* One spelling per option across the commands; the spellings commands had
 * before stay as aliases (the README lists them):
 *   the output        -o, --out
 *   the input size    --input-size H,W  (old: --size in bench,
 *                     --tensor-shape in features) */
int cli_opt_out(const char *a);
int cli_opt_input_size(const char *a);
/* The value of the input-size option opt (as the user spelled it): 1 and
 * *h, *w; or 0 after the usage error naming opt (exit 2). */
int cli_input_size(const char *cmd, const char *opt, const char *v, int *h, int *w);

/* What the first bytes of path say it is: 1 and *kind when effad knows the
 * kind, 0 when it cannot tell (or cannot read it). */
int cli_file_kind(const char *path, cli_kind *kind);

/* effad --version: this build, the file formats it writes and reads, the
 * kernels it would run (src/cmd-version.c). */
int cmd_version(int argc, char **argv);
/* effad info on a .gauss (src/cmd-info-gauss.c). */
int info_gauss(const char *path);

#endif
