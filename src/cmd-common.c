/* Shared plumbing of the effad subcommands. */
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "cli.h"

int cli_error(const char *cmd, const effad_error *e)
{
    fprintf(stderr, "effad %s: %s\n", cmd, e && e->msg[0] ? e->msg : "failed");
    return 1;
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
    effad_status s = effad_file_map(path, f, e);
    if (s) return s;
    if ((s = effad_model_load_writable(m, (void *)f->bytes, f->n_bytes, e))) {
        effad_error_prefix(e, path);
        effad_file_unmap(f);
    }
    return s;
}

void *cli_arena(size_t bytes)
{
    void *p = 0;
    if (posix_memalign(&p, 64, bytes ? bytes : 64)) return 0;
    return p;
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
    if (!strcmp(a, "--pil-16bit") || !strcmp(a, "--opencv-16bit")) {
        image_rgb_rule r = a[2] == 'p' ? IMAGE_RGB_PIL : IMAGE_RGB_OPENCV;
        if (po->rgb16 != IMAGE_RGB_SCALE && po->rgb16 != r) {
            cli_usage_error(cmd, "%s", "--pil-16bit and --opencv-16bit exclude each other");
            return -1;
        }
        po->rgb16 = r;
        return 1;
    }
    if (!strcmp(a, "--threads") && v) {
        if (!cli_parse_int(v, 1, 256, &po->threads)) { cli_usage_error(cmd, "bad --threads '%s'", v); return -1; }
        (*i)++;
        return 1;
    }
    return 0;
}

effad_status cli_mkdir(const char *path, effad_error *e)
{
    if (mkdir(path, 0755) != 0 && errno != EEXIST)
        return effad_fail(e, EFFAD_ERR_IO, "%s: cannot create directory: %s", path, strerror(errno));
    return EFFAD_OK;
}

void cli_warn_image(const char *cmd, cli_image_warnings *wn, const pipeline *p, const char *path, int w, int h)
{
    double box[4], kept = 1;
    if (!wn->crop && preprocess_crop_in_source(&p->prep, w, h, box, &kept, NULL) == EFFAD_OK && kept < 0.75) {
        wn->crop = 1;
        fprintf(stderr, "effad %s: warning: preset '%s' sees only the centre %.0fx%.0f pixels of %s (%dx%d): "
                "%.0f%% of the image is never looked at, and defects there go unseen; '--preprocess %s' keeps "
                "the whole image (warned once per run)\n", cmd, p->prep.name, box[2] - box[0], box[3] - box[1], path, w,
                h, 100.0 * (1 - kept), preprocess_uncropped_preset());
    }
    if (!wn->clip && p->last_clipped) {
        wn->clip = 1;
        fprintf(stderr, "effad %s: warning: --pil-16bit clips %zu of the %zu pixels of the 16-bit grey image %s to white "
                "(255), as PIL's convert('RGB') does; without it effad scales 16-bit values to 8 bits, "
                "round(v / 257) (warned once per run)\n", cmd, p->last_clipped, (size_t)w * (size_t)h, path);
    }
}

void cli_note_renamed_preset(const char *cmd, const char *gauss_path, const gauss_model *gm)
{
    if (gm->preset_stored)
        fprintf(stderr, "effad %s: note: %s was written by an older effad under the preset name '%s'; "
                "it holds what is now called '%s'\n", cmd, gauss_path, gm->preset_stored, gm->preset);
}
