/* Shared plumbing of the effad subcommands. */
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "cli.h"
#include "atomic-file.h"
#include "utf8.h"
#include "dataset.h"

int cli_error(const char *cmd, const effad_error *e)
{
    fprintf(stderr, "effad %s: %s\n", cmd, e && e->msg[0] ? e->msg : "failed");
    return 1;
}

const char *cli_program = "effad";

const char *cli_reason(const effad_error *e, const char *path)
{
    size_t n = strlen(path);
    if (!strncmp(e->msg, path, n) && e->msg[n] == ':' && e->msg[n + 1] == ' ') return e->msg + n + 2;
    return e->msg[0] ? e->msg : "failed";
}

const char *cli_json_num(char *buf, size_t n, const char *fmt, double v)
{
    if (!isfinite(v)) snprintf(buf, n, "null");
    else snprintf(buf, n, fmt, v);
    return buf;
}

/* s as a JSON string literal into out (cap bytes, NUL-terminated when cap
 * > 0); returns the full length, so (0, 0) measures. The one escaper.
 * JSON text is UTF-8 (RFC 8259), and a file name need not be: each byte
 * that does not belong to a well-formed sequence (a Latin-1 name from an
 * old camera or share, say) becomes U+FFFD (utf8.h), so that every line
 * still parses; --csv keeps the name's bytes as they are. */
static size_t json_str(char *out, size_t cap, const char *s)
{
    size_t at = 0;
#define PUT(c) do { if (at + 1 < cap) out[at] = (c); at++; } while (0)
    PUT('"');
    while (*s) {
        const unsigned char c = (unsigned char)*s;
        const size_t n = utf8_seq(s);
        if (c == '"' || c == '\\') { PUT('\\'); PUT((char)c); }
        else if (c < 0x20) {
            static const char hex[] = "0123456789abcdef";
            PUT('\\'); PUT('u'); PUT('0'); PUT('0'); PUT(hex[c >> 4]); PUT(hex[c & 15]);
        } else if (!n) {
            PUT('\\'); PUT('u'); PUT('f'); PUT('f'); PUT('f'); PUT('d');
        } else
            for (size_t i = 0; i < n; i++) PUT(s[i]);
        s += n ? n : 1;
    }
    PUT('"');
#undef PUT
    if (cap) out[at < cap ? at : cap - 1] = '\0';
    return at;
}

/* Makes room for n more bytes plus a NUL. */
static int buf_room(cli_buf *b, size_t n)
{
    if (b->failed) return 0;
    if (b->n + n + 1 <= b->cap) return 1;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->n + n + 1) cap *= 2;
    char *q = realloc(b->p, cap);
    if (!q) { b->failed = 1; return 0; }
    b->p = q;
    b->cap = cap;
    return 1;
}

void cli_buf_printf(cli_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(0, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || !buf_room(b, (size_t)n)) { b->failed = 1; return; }
    va_start(ap, fmt);
    vsnprintf(b->p + b->n, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->n += (size_t)n;
}

void cli_buf_json(cli_buf *b, const char *s)
{
    size_t n = json_str(0, 0, s);
    if (!buf_room(b, n)) return;
    json_str(b->p + b->n, n + 1, s);
    b->n += n;
}

void cli_json_string(FILE *f, const char *s)
{
    cli_buf b = { 0 };
    cli_buf_json(&b, s);
    fputs(b.failed ? "\"(no memory for the string)\"" : b.p, f);
    cli_buf_free(&b);
}

void cli_buf_csv(cli_buf *b, const char *s)
{
    if (!strpbrk(s, ",\"\r\n")) { cli_buf_printf(b, "%s", s); return; }
    cli_buf_printf(b, "\"");
    for (const char *q = s; *q; q++) {
        if (*q == '"') cli_buf_printf(b, "\"\"");   /* a quote inside quotes is doubled */
        else cli_buf_printf(b, "%c", *q);
    }
    cli_buf_printf(b, "\"");
}

void cli_buf_free(cli_buf *b)
{
    free(b->p);
    memset(b, 0, sizeof *b);
}

int cli_usage_error(const char *cmd, const char *fmt, const char *arg)
{
    fprintf(stderr, "effad %s: ", cmd);
    fprintf(stderr, fmt, arg ? arg : "");
    fprintf(stderr, "\n(see 'effad %s --help')\n", cmd);
    return 2;
}

int cli_is_help(const char *a)
{
    return !strcmp(a, "--help") || !strcmp(a, "-h");
}

int cli_parse_int(const char *s, int lo, int hi, int *out)
{
    char *end;
    if (!s || !*s) return 0;
    long v = strtol(s, &end, 10);
    if (*end || v < lo || v > hi) return 0;
    *out = (int)v;
    return 1;
}

int cli_int_option(const char *cmd, const char *opt, const char *v, int lo, int hi, int *out)
{
    if (cli_parse_int(v, lo, hi, out)) return 1;
    fprintf(stderr, "effad %s: bad %s '%s' (a whole number from %d to %d)\n(see 'effad %s --help')\n", cmd, opt,
            v ? v : "", lo, hi, cmd);
    return 0;
}

int cli_parse_hw(const char *s, int *h, int *w)
{
    char buf[64];
    if (!s || strlen(s) >= sizeof buf) return 0;
    strcpy(buf, s);
    char *comma = strchr(buf, ',');
    if (!comma) comma = strchr(buf, 'x');
    if (!comma) return 0;
    *comma = '\0';
    return cli_parse_int(buf, 1, 8192, h) && cli_parse_int(comma + 1, 1, 8192, w);
}

const effad_kernel_set *cli_kernels(const char *isa_opt, effad_error *e)
{
    const effad_kernel_set *k;
    return effad_kernels_select(isa_opt ? isa_opt : getenv("EFFAD_ISA"), &k, e) ? 0 : k;
}

effad_status cli_load_model(const char *path, effad_mapped_file *f, effad_model *m, effad_error *e)
{
    effad_status s = cli_check_role(path, CLI_EFM, "MODEL.efm", "an .efm from effad convert", e);
    if (s) return s;
    s = effad_file_map(path, f, e);
    if (s) return s;
    if ((s = effad_model_load_writable(m, (void *)f->bytes, f->n_bytes, e))) {
        effad_error_prefix(e, path);
        effad_file_unmap(f);
    }
    return s;
}

double cli_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int cli_parse_double(const char *s, double *out)
{
    char *end;
    if (!s || !*s) return 0;
    *out = strtod(s, &end);
    return !*end && *out == *out;
}

void cli_progress_start(cli_progress *p, const char *what, size_t total, int quiet)
{
    p->what = what; p->total = total; p->last_pct = 0; p->t0 = cli_now();
    p->tty = isatty(2); p->quiet = quiet;
}

void cli_progress_step(cli_progress *p, size_t done)
{
    if (p->quiet || !p->total) return;
    size_t pct = done * 100 / p->total;
    /* a log gets a line per 10%, and only for runs long enough to watch */
    if (!p->tty && (cli_now() - p->t0 < 2.0 || (pct / 10 == p->last_pct / 10 && done != p->total))) return;
    p->last_pct = pct;
    double el = cli_now() - p->t0, rate = el > 0 ? (double)done / el : 0;
    double eta = rate > 0 ? (double)(p->total - done) / rate : 0;
    fprintf(stderr, "%s%s: %zu/%zu (%zu%%), %.1f/s, ETA %.0f s%s", p->tty ? "\r" : "", p->what, done, p->total, pct,
            rate, eta, p->tty ? "   " : "\n");
}

void cli_progress_end(cli_progress *p)
{
    if (p->quiet || !p->total) return;
    if (p->tty) fprintf(stderr, "\n");
}

int cli_pipeline_option(const char *cmd, int argc, char **argv, int *i, pipeline_options *po, int *quiet)
{
    const char *a = argv[*i], *v = *i + 1 < argc ? argv[*i + 1] : 0;
    if (!strcmp(a, "--quiet")) { *quiet = 1; return 1; }
    if (!strcmp(a, "--isa") && v) { po->isa = v; (*i)++; return 1; }
    const int sixteen = !strcmp(a, "--pil-16bit") || !strcmp(a, "--opencv-16bit");
    if (sixteen || (!strcmp(a, "--sample-bits") && v)) {
        int bits = 16;
        if (!sixteen && !cli_int_option(cmd, "--sample-bits", v, IMAGE_RGB_BITS_MIN, 16, &bits)) return -1;
        const image_rgb_rule r = sixteen ? (a[2] == 'p' ? IMAGE_RGB_PIL : IMAGE_RGB_OPENCV)
                                 : bits == 16 ? IMAGE_RGB_SCALE : IMAGE_RGB_BITS(bits);
        if (po->rgb16_given && po->rgb16 != r) {
            cli_usage_error(cmd, "%s", "--pil-16bit, --opencv-16bit and --sample-bits exclude each other");
            return -1;
        }
        po->rgb16 = r;
        po->rgb16_given = 1;
        if (!sixteen) (*i)++;
        return 1;
    }
    if (!strcmp(a, "--roi") && v) {
        effad_error e = { 0 };
        if (roi_parse(v, &po->roi, &e)) { cli_usage_error(cmd, "%s", e.msg); return -1; }
        po->roi_given = 1;
        (*i)++;
        return 1;
    }
    if (!strcmp(a, "--threads") && v) {
        if (!cli_int_option(cmd, "--threads", v, 1, 256, &po->threads)) return -1;
        (*i)++;
        return 1;
    }
    return 0;
}

effad_status cli_mkdir(const char *path, effad_error *e)
{
    struct stat st;
    if (mkdir(path, 0755) == 0) return EFFAD_OK;
    if (errno != EEXIST) return effad_fail(e, EFFAD_ERR_IO, "%s: cannot create directory: %s", path, strerror(errno));
    if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
        return effad_fail(e, EFFAD_ERR_IO, "%s: exists and is not a directory (an output directory goes here)", path);
    return EFFAD_OK;
}

effad_status cli_path_join(char *out, size_t n, const char *dir, const char *name, effad_error *e)
{
    int r = snprintf(out, n, "%s/%s", dir, name);
    if (r < 0 || (size_t)r >= n) return effad_fail(e, EFFAD_ERR_ARG, "%s/%s: path too long (over %zu bytes)", dir, name, n - 1);
    return EFFAD_OK;
}

void cli_warn_image(const char *cmd, cli_image_warnings *wn, const pipeline *p, const char *path, int w, int h)
{
    double box[4], kept = 1;
    if (!wn->crop && preprocess_crop_in_source(&p->prep, w, h, box, &kept, NULL) == EFFAD_OK && kept < 0.75) {
        wn->crop = 1;
        fprintf(stderr, "effad %s: warning: preset '%s' sees only the centre %.0fx%.0f pixels of %s%s (%dx%d): "
                "%.0f%% of the %s is never looked at, and defects there go unseen; '--preprocess %s' keeps "
                "the whole %s (warned once per run)\n", cmd, p->prep.name, box[2] - box[0], box[3] - box[1],
                p->roi.w ? "the region of interest of " : "", path, w, h, 100.0 * (1 - kept),
                p->roi.w ? "region" : "image", preprocess_uncropped_preset(), p->roi.w ? "region" : "image");
    }
    if (!wn->clip && p->last_clipped && p->rgb16 >= IMAGE_RGB_BITS_MIN) {
        wn->clip = 1;
        fprintf(stderr, "effad %s: warning: --sample-bits %d: %zu pixels of %s hold values above %u, clipped to 255: "
                "are its samples %d-bit? (warned once per run)\n", cmd, (int)p->rgb16, p->last_clipped, path,
                (1u << p->rgb16) - 1u, (int)p->rgb16);
    }
    if (!wn->clip && p->last_clipped) {
        wn->clip = 1;
        /* the rule ran on the whole image, before the region of interest */
        char of[64] = "";
        if (!p->roi.w) snprintf(of, sizeof of, " of the %zu", (size_t)w * (size_t)h);
        fprintf(stderr, "effad %s: warning: --pil-16bit clips %zu%s pixels of the 16-bit grey image %s to white "
                "(255), as PIL's convert('RGB') does; without it effad scales 16-bit values to 8 bits, "
                "round(v / 257) (warned once per run)\n", cmd, p->last_clipped, of, path);
    }
}

void cli_note_rgb16_unstated(const char *cmd, const char *gauss_path, const gauss_model *gm, const pipeline_options *po)
{
    if (gm->rgb16 == PREP_RGB16_NONE && po->rgb16_given && po->rgb16 != IMAGE_RGB_SCALE)
        fprintf(stderr, "effad %s: note: %s does not say how its 16-bit images were read (fitted by an older "
                "effad, or with the default); the rule given here applies\n", cmd, gauss_path);
}

void cli_note_renamed_preset(const char *cmd, const char *gauss_path, const gauss_model *gm)
{
    if (gm->preset_stored)
        fprintf(stderr, "effad %s: note: %s was written by an older effad under the preset name '%s'; "
                "it holds what is now called '%s'\n", cmd, gauss_path, gm->preset_stored, gm->preset);
}

/* What the first bytes of a file say it is; NULL when we cannot tell. */
static const char *sniff(const uint8_t *b, size_t n, cli_kind *kind)
{
    if (n >= 8 && !memcmp(b, "EFFADEFM", 8)) { *kind = CLI_EFM; return "a converted model (.efm)"; }
    if (n >= 8 && !memcmp(b, "EFFGAUSS", 8)) { *kind = CLI_GAUSS; return "a fitted model (.gauss)"; }
    *kind = CLI_IMAGE;
    if (n >= 8 && !memcmp(b, "\x89PNG\r\n\x1a\n", 8)) return "a PNG image";
    if (n >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF) return "a JPEG image";
    if (n >= 2 && b[0] == 'B' && b[1] == 'M') return "a BMP image";
    return NULL;
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && !strcmp(s + n - k, suffix);
}

int cli_file_kind(const char *path, cli_kind *kind)
{
    uint8_t b[8];
    ssize_t n = 0;
    int fd = open(path, O_RDONLY | O_NONBLOCK);
    if (fd >= 0) { n = read(fd, b, sizeof b); close(fd); }
    return n > 0 && sniff(b, (size_t)n, kind) != NULL;
}

int cli_opt_out(const char *a)
{
    return !strcmp(a, "-o") || !strcmp(a, "--out");
}

int cli_opt_input_size(const char *a)
{
    return !strcmp(a, "--input-size") || !strcmp(a, "--size") || !strcmp(a, "--tensor-shape");
}

int cli_input_size(const char *cmd, const char *opt, const char *v, int *h, int *w)
{
    char msg[64];
    if (cli_parse_hw(v, h, w)) return 1;
    snprintf(msg, sizeof msg, "bad %s '%%s' (want H,W)", opt);
    cli_usage_error(cmd, msg, v);
    return 0;
}

effad_status cli_check_role(const char *path, cli_kind want, const char *role, const char *usage, effad_error *e)
{
    struct stat st;
    if (stat(path, &st) != 0) return EFFAD_OK;    /* the reader says why it cannot open it */
    if (S_ISDIR(st.st_mode))
        return effad_fail(e, EFFAD_ERR_ARG, "%s is a directory, but %s (a file) goes there (%s)", path, role, usage);
    if (!S_ISREG(st.st_mode)) return EFFAD_OK;
    uint8_t b[8];
    ssize_t n = 0;
    int fd = open(path, O_RDONLY | O_NONBLOCK);
    if (fd >= 0) { n = read(fd, b, sizeof b); close(fd); }
    cli_kind kind = CLI_IMAGE;
    const char *what = n > 0 ? sniff(b, (size_t)n, &kind) : NULL;
    int fits = kind == want || (want == CLI_CONVERTIBLE && (kind == CLI_ONNX || kind == CLI_EFM));
    if (what && !fits)
        return effad_fail(e, EFFAD_ERR_ARG, "%s is %s, but %s goes there (%s)", path, what, role, usage);
    if (!what && want == CLI_EFM && (ends_with(path, ".onnx") || ends_with(path, ".ONNX")))
        return effad_fail(e, EFFAD_ERR_ARG, "%s looks like an ONNX model; %s goes there: convert it first (effad "
                          "convert %s -o MODEL.efm)", path, role, path);
    return EFFAD_OK;
}

void cli_print_notes(const char *cmd, const image_list *l)
{
    for (size_t i = 0; i < l->n_notes; i++) fprintf(stderr, "effad %s: warning: %s\n", cmd, l->notes[i]);
}

effad_status cli_outputs_safe(const char *out, const char *const *paths, size_t n, effad_error *e)
{
    for (size_t i = 0; i < n; i++) atomic_file_note_input(paths[i]);
    return out ? atomic_file_check_target(out, e) : EFFAD_OK;
}
