/* effad convert --int8: options, calibration, report (cmd-convert-int8.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "cmd-convert-int8.h"
#include "level-error.h"
#include "quant.h"

void convert_int8_defaults(convert_int8 *c)
{
    memset(c, 0, sizeof *c);
    c->co.preset = "ailia";
    c->co.n_measure = 4;
    c->co.select.weight_bits = 8;
    c->co.select.weight_round = -1;   /* by the width: convert_int8_run */
    c->co.select.act_bits = 8;
    c->co.select.method = -1;
    c->co.select.headroom = 0.0f;
    c->co.select.float_budget = 0.02f;
    c->co.select.max_size = 0.30f;
    c->co.select.weight_only_budget = 0.15f;
    c->co.select.act16_budget = 0.50f;
    c->threads = 1;
}

void convert_int8_help(FILE *f)
{
    fprintf(f,
            "  --int8             post-training quantisation: int8 weights (per output\n"
            "                     channel), uint8 activations calibrated on --calib\n"
            "  --calib DIR        good images to calibrate on (as fit would read them)\n"
            "  --calib-n N        at most N of them (default all)\n"
            "  --preprocess P     their preprocessing preset (default ailia)\n"
            "  --roi X,Y,W,H      their region of interest, as fit --roi (default: the\n"
            "                     whole image)\n"
            "  --pil-16bit, --opencv-16bit, --sample-bits N\n"
            "                     16-bit images read as fit reads them with these\n"
            "                     (default: scaled, round(v / 257))\n"
            "  --fast             the fastest int8 model that still keeps the measured\n"
            "                     error down: no float32 or weight-only blocks; int16\n"
            "                     activations (16x8, 8-bit weights) for the blocks where\n"
            "                     int8 hurts most, wherever that cuts the error by 1 %%;\n"
            "                     6-bit weights elsewhere; i.e.\n"
            "                     --weight-bits 6 --float-budget 0 --weight-only-budget 0\n"
            "                     --act16-budget 100 (options after it override)\n"
            "  --calib-method auto|minmax|percentile|mse\n"
            "                     each activation's range; auto (default): whichever of\n"
            "                     the three gives the least measured output error\n"
            "  --headroom H|auto  ranges widened H times beyond what was chosen; auto\n"
            "                     (default): the factor of 1, 1.25, 1.5, 2, 3, 4, 6 with\n"
            "                     the least error on good and defective images\n"
            "  --float-budget P   blocks may stay float32 where int8 hurts most per byte,\n"
            "                     adding at most P %% of the float32 file (default 2;\n"
            "                     0: every block int8)\n"
            "  --max-size P       ... and only while the int8 file stays within P %% of\n"
            "                     the float32 file (default 30; 0: no cap)\n"
            "  --keep-float LIST  blocks that stay float32 whatever is measured: indices\n"
            "                     and 'head', comma-separated (e.g. 0,1,head)\n"
            "  --weight-only-budget P\n"
            "                     int8 blocks where int8 hurts most may become weight-only\n"
            "                     (int8 weights, float32 activations) when that cuts the\n"
            "                     measured error by 1 %%, over at most P %% of the MACs\n"
            "                     (default 15; 0: none chosen by measurement)\n"
            "  --weight-only LIST blocks that are weight-only whatever is measured, as\n"
            "                     --keep-float's LIST\n"
            "  --act16-budget P   int8 blocks where int8 hurts most may get int16\n"
            "                     activations (16x8) when that cuts the measured error by\n"
            "                     1 %%, over at most P %% of the MACs (default 50; 0:\n"
            "                     none chosen by measurement); each such block is tried\n"
            "                     both ways, 16x8 and weight-only, the better kept\n"
            "  --act16 LIST       blocks whose activations are int16 instead of uint8\n"
            "                     (16x8, as --act-bits 16, the rest of the model uint8;\n"
            "                     ranges x%g), as --keep-float's LIST\n"
            "  --measure N        measure the error on N of the good images and N\n"
            "                     defective ones (default 4)\n"
            "  --defects DIR      defective images to measure on (default: synthetic\n"
            "                     defects painted onto good ones)\n"
            "  --weight-bits 8|7|6  int8 weight range (default 8; 7 or 6 for x86 CPUs\n"
            "                     without VNNI: see the README, \"int8\")\n"
            "  --weight-round gptq|nearest\n"
            "                     int8 weights rounded so that each layer's outputs on the\n"
            "                     calibration images stay closest to float32's (gptq:\n"
            "                     GPTQ's error compensation; the default at 6 bits), or\n"
            "                     each weight to its nearest step (nearest; the default\n"
            "                     at 7 and 8)\n"
            "  --act-bits 8|16    activations uint8 (default) or int16 (TFLite's 16x8:\n"
            "                     int8 weights, 2 bytes per activation, ranges wide\n"
            "                     enough for defects; --headroom defaults to x%g)\n"
            "  --threads N, --isa NAME, --quiet   for the calibration's forward passes\n",
            (double)CONVERT_HEADROOM_16, (double)CONVERT_HEADROOM_16);
}

/* "0,3,head" -> flags per unit (blocks, then the head at EFFAD_MAX_BLOCKS
 * until the block count is known: convert_int8_run moves it). */
static int parse_units(const char *s, uint8_t *units)
{
    memset(units, 0, EFFAD_MAX_BLOCKS + 1);
    char buf[512];
    if (strlen(s) >= sizeof buf) return 0;
    strcpy(buf, s);
    for (char *tok = strtok(buf, ","); tok; tok = strtok(0, ",")) {
        int b;
        if (!strcmp(tok, "head")) units[EFFAD_MAX_BLOCKS] = 1;
        else if (cli_parse_int(tok, 0, EFFAD_MAX_BLOCKS - 1, &b)) units[b] = 1;
        else return 0;
    }
    return 1;
}

/* Option a's value v, a percentage from 0 to max, as a fraction into
 * *dst; 0 (after the usage message) when it is not one. */
static int parse_percent(const char *a, const char *v, double max, float *dst)
{
    double f;
    if (!cli_parse_double(v, &f) || f < 0.0 || f > max) {
        char msg[160];
        snprintf(msg, sizeof msg, "bad %s '%.80s' (0 to %g %%)", a, v, max);
        cli_usage_error("convert", "%s", msg);
        return 0;
    }
    *dst = (float)(f / 100.0);
    return 1;
}

int convert_int8_option(int argc, char **argv, int *i, convert_int8 *c)
{
    const char *a = argv[*i], *v = *i + 1 < argc ? argv[*i + 1] : 0;
    calib_images_options *co = &c->co;
    if (!strcmp(a, "--int8")) { c->enabled = 1; return 1; }
    if (!strcmp(a, "--quiet")) { c->quiet = 1; return 1; }
    if (!strcmp(a, "--fast")) {
        /* as fast as the int8 kernels run: no float32 or weight-only
         * block, 16x8 (8-bit weights) wherever it is measured to cut the
         * error, narrow weights elsewhere (quant-select.h, models/int8.md) */
        c->fast = 1;
        co->select.weight_bits = 6;
        co->select.float_budget = 0.0f;
        co->select.weight_only_budget = 0.0f;
        co->select.act16_budget = 1.0f;
        return 1;
    }
    if (!strcmp(a, "--roi") || !strcmp(a, "--sample-bits") || !strcmp(a, "--pil-16bit") || !strcmp(a, "--opencv-16bit")) {
        /* the calibration images read as fit reads them */
        int quiet = 0;
        const int r = cli_pipeline_option("convert", argc, argv, i, &c->images, &quiet);
        co->roi = c->images.roi;
        co->rgb16 = c->images.rgb16;
        return r;
    }
    if (!v) return 0;
    if (!strcmp(a, "--calib")) co->dir = v;
    else if (!strcmp(a, "--preprocess")) co->preset = v;
    else if (!strcmp(a, "--defects")) co->defects_dir = v;
    else if (!strcmp(a, "--isa")) c->isa = v;
    else if (!strcmp(a, "--calib-n")) {
        if (!cli_int_option("convert", "--calib-n", v, 1, 1 << 30, &co->max_images)) return -1;
    } else if (!strcmp(a, "--measure")) {
        if (!cli_int_option("convert", "--measure", v, 1, 1000, &co->n_measure)) return -1;
    } else if (!strcmp(a, "--threads")) {
        if (!cli_int_option("convert", "--threads", v, 1, 256, &c->threads)) return -1;
    } else if (!strcmp(a, "--act-bits")) {
        if (strcmp(v, "8") && strcmp(v, "16")) { cli_usage_error("convert", "bad --act-bits '%s' (8 or 16)", v); return -1; }
        co->select.act_bits = atoi(v);
    } else if (!strcmp(a, "--weight-bits")) {
        if (!cli_parse_int(v, 6, 8, &co->select.weight_bits)) { cli_usage_error("convert", "bad --weight-bits '%s' (6, 7 or 8)", v); return -1; }
    } else if (!strcmp(a, "--weight-round")) {
        const int r = quant_round_parse(v);
        if (r < 0) { cli_usage_error("convert", "bad --weight-round '%s' (gptq or nearest)", v); return -1; }
        co->select.weight_round = r;
    } else if (!strcmp(a, "--float-budget")) {
        if (!parse_percent(a, v, 1000.0, &co->select.float_budget)) return -1;
    } else if (!strcmp(a, "--max-size")) {
        if (!parse_percent(a, v, 100.0, &co->select.max_size)) return -1;
    } else if (!strcmp(a, "--weight-only-budget")) {
        if (!parse_percent(a, v, 100.0, &co->select.weight_only_budget)) return -1;
    } else if (!strcmp(a, "--act16-budget")) {
        if (!parse_percent(a, v, 100.0, &co->select.act16_budget)) return -1;
    } else if (!strcmp(a, "--keep-float") || !strcmp(a, "--weight-only") || !strcmp(a, "--act16")) {
        uint8_t *units = !strcmp(a, "--keep-float") ? co->select.keep_float
                       : !strcmp(a, "--weight-only") ? co->select.weight_only : co->select.act16;
        if (!parse_units(v, units)) {
            char msg[192];
            snprintf(msg, sizeof msg, "bad %s '%.80s' (block indices and 'head', comma-separated)", a, v);
            cli_usage_error("convert", "%s", msg);
            return -1;
        }
    } else if (!strcmp(a, "--calib-method")) {
        int m = strcmp(v, "auto") ? calib_method_parse(v) : -1;
        if (m < 0 && strcmp(v, "auto")) { cli_usage_error("convert", "unknown --calib-method '%s' (auto, minmax, percentile, mse)", v); return -1; }
        co->select.method = m;
    } else if (!strcmp(a, "--headroom")) {
        double hr = 0;
        if (strcmp(v, "auto") && (!cli_parse_double(v, &hr) || hr < 1.0 || hr > 1000.0)) {
            cli_usage_error("convert", "bad --headroom '%s' (1 to 1000, or auto)", v);
            return -1;
        }
        co->select.headroom = (float)hr;
    } else return 0;
    (*i)++;
    return 1;
}

int convert_int8_check(const convert_int8 *c)
{
    if (c->enabled != (c->co.dir != 0)) return cli_usage_error("convert", "--int8 and --calib DIR go together%s", "");
    if (c->fast && !c->enabled) return cli_usage_error("convert", "--fast is a choice of --int8's%s", "");
    return 0;
}

/* ------------------------------------------------------------ progress */

typedef struct progress { cli_progress p; const char *stage; int quiet; } progress;

static void on_pass(void *ctx, const char *stage, int done, int total)
{
    progress *pr = ctx;
    if (pr->stage != stage) {
        if (pr->stage) cli_progress_end(&pr->p);
        pr->stage = stage;
        cli_progress_start(&pr->p, stage, (size_t)total, pr->quiet);
    }
    cli_progress_step(&pr->p, (size_t)done);
}

/* -------------------------------------------------------------- report */

/* "  float32     block 3: " (or "the head: "), then "as asked (OPTION)"
 * when the caller named the unit; 1 when the choice was measured (the
 * caller prints its figures). */
static int unit_line(const char *kind, int u, int n_blocks, int why, const char *option)
{
    if (u == n_blocks) printf("  %-11s the head: ", kind);
    else printf("  %-11s block %d: ", kind, u);
    if (why == QUANT_BY_REQUEST) printf("as asked (%s)", option);
    return why == QUANT_BY_MEASURE;
}

/* The units stage 3a/3b made `kind` (16x8 or weight-only, with `acts`
 * activations), each with its figures; "none" when show_none and there
 * are none; then those tried as `kind` but not kept. Returns how many
 * (the head included) and adds their MACs to *macs. */
static int print_on_top(const quant_select_report *r, int n_blocks, const char *kind, const char *option,
                        const uint8_t *chosen, const uint8_t *tried, const double *before, const double *after,
                        const char *acts, const char *other, float budget, int show_none, long long *macs)
{
    int n = 0, n_tried = 0;
    for (int u = 0; u < r->n_units; u++) {
        n_tried += tried[u] && !chosen[u];
        if (!chosen[u]) continue;
        n++;
        *macs += r->unit_macs[u];
        if (unit_line(kind, u, n_blocks, chosen[u], option))
            printf("alone in int8 its error is %.3g (median %.3g); %s took the error %.3g -> %.3g", r->unit_error[u],
                   r->median_unit_error, kind, before[u], after[u]);
        printf("; %s activations over %.1f%% of the MACs\n", acts, 100.0 * (double)r->unit_macs[u] / (double)r->macs);
    }
    if (!n && show_none) printf("  %-11s none (budget %g%% of the MACs)\n", kind, 100.0 * (double)budget);
    if (n_tried) {
        printf("  %-11s tried, not kept (gained under %g%%, or less than %s):", kind, 100.0 * QUANT_WEIGHTS_GAIN, other);
        for (int u = 0; u < r->n_units; u++)
            if (tried[u] && !chosen[u])
                printf(" %s%d %.3g -> %.3g", u == n_blocks ? "head" : "b", u == n_blocks ? 0 : u, before[u], after[u]);
        printf("\n");
    }
    return n;
}

static void print_report(const convert_int8 *c, const calib_images_report *ir, const quant_select_report *r,
                         int n_blocks, double seconds)
{
    const quant_select_options *o = &c->co.select;
    char roi[ROI_TEXT_BYTES];
    roi_format(&c->co.roi, roi, sizeof roi);
    printf("int8 calibration: %d images of %s (%s preprocessing%s%s); error measured on %d good and %d defective "
           "images (%s); %lld forward passes, %.1f s\n", ir->n_calib, c->co.dir, c->co.preset,
           roi[0] ? " of the region " : "", roi, ir->n_measure_good,
           ir->n_measure_defective, ir->painted ? "synthetic defects painted on good ones" : c->co.defects_dir,
           r->passes, seconds);
    int n_still = 0;
    for (int t = 0; t < r->n_levels; t++) n_still += r->level_still[t];
    if (n_still) {
        printf("  levels     ");
        for (int t = 0; t < r->n_levels; t++)
            if (r->level_still[t]) printf(" %d", t);
        printf(": the same on every calibration image (within %g of their size), so left out of every error below;\n"
               "              more varied good images of the part would let %s count\n", LEVEL_STILL,
               n_still > 1 ? "them" : "it");
    }
    if (r->gptq_layers) {
        printf("  weights     %d-bit, rounded by GPTQ: %d layers (squeeze-excite to nearest), their inputs gathered "
               "in %d group%s", o->weight_bits, r->gptq_layers, r->gptq_groups, r->gptq_groups == 1 ? "" : "s");
        if (r->gptq_passes) printf(", %d in passes of their own", r->gptq_passes);
        if (r->gptq_not_factorised) printf(", %d left to nearest (non-finite activations)", r->gptq_not_factorised);
        printf("\n");
    } else printf("  weights     %d-bit, rounded to nearest\n", o->weight_bits);
    int any_act16 = 0;
    for (int u = 0; u < r->n_units; u++) any_act16 += r->unit_act16[u] != 0;
    if (any_act16 && o->weight_bits < 8)
        printf("              16x8 blocks: 8-bit, rounded to nearest (their kernels multiply int16 pairs, no faster for "
               "fewer bits)\n");
    int seen = 0;
    for (int m = 0; m < CALIB_N_METHODS; m++) seen += r->method_count[m];
    printf("  ranges      %s: minmax %d, percentile %d, mse %d of %d activation points\n",
           o->method < 0 ? "by measured output error" : "as asked", r->method_count[CALIB_MINMAX],
           r->method_count[CALIB_PERCENTILE], r->method_count[CALIB_MSE], seen);
    if (r->n_headrooms) {
        printf("  headroom   ");
        for (int h = 0; h < r->n_headrooms; h++)
            printf(" x%g %.4g%s", (double)r->headroom[h], r->headroom_error[h], r->headroom[h] == r->headroom_chosen ? " <-" : "");
        printf(" (error on good and defective images)\n");
    } else printf("  headroom    x%g (as asked)\n", (double)r->headroom_chosen);
    if (r->units_measured) {
        printf("  per block   each alone in int8, median error %.3g:", r->median_unit_error);
        for (int u = 0; u < r->n_units; u++) {
            if (u % 8 == 0) printf("\n             ");
            printf(" %s%d %.3g", u == n_blocks ? "head" : "b", u == n_blocks ? 0 : u, r->unit_error[u]);
        }
        printf("\n");
    }
    if (r->units_measured && o->float_budget > 0)
        printf("  float32     budget %lld bytes: %g%% of the float32 file%s\n", r->float_budget_bytes,
               100.0 * (double)o->float_budget,
               (double)r->float_budget_bytes < (double)o->float_budget * (double)r->float_bytes - 0.5
                   ? ", less what the int8 file may still grow (--max-size)" : "");
    int n_float = 0;
    for (int u = 0; u < r->n_units; u++) {
        if (!r->unit_float[u]) continue;
        n_float++;
        if (unit_line("float32", u, n_blocks, r->unit_float[u], "--keep-float"))
            printf("alone in int8 its error is %.3g (median %.3g); float32 adds %lld bytes (%.2f%% of the float32 file)",
                   r->unit_error[u], r->median_unit_error, r->unit_bytes[u],
                   100.0 * (double)r->unit_bytes[u] / (double)r->float_bytes);
        printf("\n");
    }
    if (!n_float) printf("  float32     none (budget %g%% of the float32 file)\n", 100.0 * (double)o->float_budget);
    long long macs_weights = 0, macs_act16 = 0;
    const int n_weights = print_on_top(r, n_blocks, "weight-only", "--weight-only", r->unit_weights, r->weights_tried,
                                       r->weights_error_before, r->weights_error_after, "float32", "16x8",
                                       o->weight_only_budget, 1, &macs_weights);
    const int n_act16 = print_on_top(r, n_blocks, "16x8", "--act16", r->unit_act16, r->act16_tried, r->act16_error_before,
                                     r->act16_error_after, "int16", "weight-only", o->act16_budget,
                                     o->act_bits != 16 && o->act16_budget > 0, &macs_act16);
    const int has_head = r->n_units > n_blocks, head_float = has_head && r->unit_float[n_blocks],
              head_weights = has_head && r->unit_weights[n_blocks], head_act16 = has_head && r->unit_act16[n_blocks];
    printf("  blocks      %d int8, ", n_blocks - (n_float - head_float) - (n_weights - head_weights) - (n_act16 - head_act16));
    if (n_act16) printf("%d 16x8, ", n_act16 - head_act16);
    printf("%d weight-only, %d float32; head %s\n", n_weights - head_weights, n_float - head_float,
           !has_head ? "none" : head_float ? "float32" : head_weights ? "weight-only" : head_act16 ? "16x8" : "int8");
    /* what the choice costs in speed: the stem, float32 and weight-only
     * units run the float32 kernels, so int8's speed-up reaches only the rest */
    long long macs_float = 0;
    for (int u = 0; u < r->n_units; u++)
        if (r->unit_float[u]) macs_float += r->unit_macs[u];
    if (r->macs > 0) {
        const double pc = 100.0 / (double)r->macs, stem = (double)r->stem_macs;
        const double on_float = stem + (double)(macs_float + macs_weights);
        printf("  speed       float32 kernels run %.1f%% of the MACs (stem %.1f%%, float32 blocks %.1f%%, weight-only "
               "%.1f%%), ", pc * on_float, pc * stem, pc * (double)macs_float, pc * (double)macs_weights);
        if (macs_act16) printf("16x8 kernels %.1f%%, ", pc * (double)macs_act16);
        printf("int8 kernels %.1f%%\n", 100.0 - pc * (on_float + (double)macs_act16));
    }
    printf("  error       %.4g on all, %.4g on the defective images", r->error_final, r->error_final_defective);
    if (!isnan(r->error_baseline))
        printf("; min/max x1.5 everywhere: %.4g, %.4g", r->error_baseline, r->error_baseline_defective);
    printf("\n");
    printf("              (each level's int8 - float32 distance over the image's distance from the good images,\n"
           "               both in units of each feature's std over the good images, squared; mean over levels)\n");
}

/* A --keep-float or --weight-only list against the model: the head's
 * flag to its unit, and no block past the last. */
static effad_status place_units(uint8_t *units, const char *option, const convert_session *cs, effad_error *e)
{
    const int n_blocks = convert_n_blocks(cs);
    const uint8_t head = units[EFFAD_MAX_BLOCKS];
    for (int b = n_blocks; b < EFFAD_MAX_BLOCKS; b++)
        if (units[b]) return effad_fail(e, EFFAD_ERR_ARG, "%s %d: the model has %d blocks (0..%d)", option, b, n_blocks, n_blocks - 1);
    if (head && !convert_has_head(cs)) return effad_fail(e, EFFAD_ERR_ARG, "%s head: the model has no head", option);
    units[EFFAD_MAX_BLOCKS] = 0;
    units[n_blocks] = head;
    return EFFAD_OK;
}

effad_status convert_int8_run(convert_int8 *c, convert_session *cs, convert_quant *q, effad_error *e)
{
    const effad_kernel_set *k = cli_kernels(c->isa, e);
    if (!k) return e->status;
#ifdef EFFAD_HAVE_THREADS
    if (c->threads > 1 && !c->pool && !(c->pool = effad_threads_create(c->threads, e))) return e->status;
#else
    if (c->threads > 1) return effad_fail(e, EFFAD_ERR_UNSUPPORTED, "--threads %d: built without threads (THREADS=0)", c->threads);
#endif
    progress pr;
    memset(&pr, 0, sizeof pr);
    pr.quiet = c->quiet;
    c->co.select.k = k;
    c->co.select.threads = c->pool;
    c->co.select.progress = on_pass;
    c->co.select.progress_ctx = &pr;
    const int n_blocks = convert_n_blocks(cs);
    quant_select_options *o = &c->co.select;
    effad_status s;
    if ((s = place_units(o->keep_float, "--keep-float", cs, e)) || (s = place_units(o->weight_only, "--weight-only", cs, e)) ||
        (s = place_units(o->act16, "--act16", cs, e)))
        return s;
    for (int u = 0; u <= n_blocks; u++) {
        const char *what = u == n_blocks ? "head" : "block";
        const int at = u == n_blocks ? 0 : u;
        if (o->keep_float[u] + o->weight_only[u] + o->act16[u] > 1)
            return effad_fail(e, EFFAD_ERR_ARG, "%s and %s both name %s %d",
                              o->keep_float[u] ? "--keep-float" : "--weight-only", o->act16[u] ? "--act16" : "--weight-only",
                              what, at);
        if (o->act16[u] && o->act_bits == 16)
            return effad_fail(e, EFFAD_ERR_ARG, "--act16 names %s %d, but --act-bits 16 gives every block int16 activations "
                              "already", what, at);
    }
    /* 16-bit activations: the auto headroom's candidates (1 to 6) are 8-bit
     * choices, a trade between clipping and resolution that 16 bits do not
     * have to make (see CONVERT_HEADROOM_16) */
    if (c->co.select.act_bits == 16 && c->co.select.headroom == 0.0f) c->co.select.headroom = CONVERT_HEADROOM_16;
    /* 16x8 units take 8-bit weights whatever --weight-bits says
     * (quant_unit_weight_bits): with every unit 16x8 a narrower width
     * would only be a GPTQ pass whose codes no unit uses */
    if (c->co.select.act_bits == 16 && c->co.select.weight_bits < 8)
        return effad_fail(e, EFFAD_ERR_ARG, "%d-bit weights (--weight-bits%s) with --act-bits 16: 16x8 blocks take "
                          "8-bit weights (their kernels multiply int16 pairs, no faster for narrower weights)",
                          c->co.select.weight_bits, c->fast ? " or --fast" : "");
    /* GPTQ by default where it was measured to pay: at 6 bits rounding to
     * nearest left 5 of the demo sets of seeds 1-10 under Spearman 0.99
     * and GPTQ none; at 7 and 8 bits the two were level within the
     * seed-to-seed noise of convert's measured choices (demo seeds 1-10
     * and brushed metal seeds 21-24, 2026-12-05; models/int8.md), and GPTQ costs
     * B4 ~30 s of convert. */
    if (c->co.select.weight_round < 0)
        c->co.select.weight_round = c->co.select.weight_bits <= 6 ? QUANT_ROUND_GPTQ : QUANT_ROUND_NEAREST;
    static quant_select_report rep;
    calib_images_report ir;
    const double t0 = cli_now();
    s = calibrate_images(cs, &c->co, q, &rep, &ir, e);
    if (pr.stage) cli_progress_end(&pr.p);
    if (!s) print_report(c, &ir, &rep, n_blocks, cli_now() - t0);
    return s;
}

void convert_int8_close(convert_int8 *c)
{
#ifdef EFFAD_HAVE_THREADS
    if (c->pool) effad_threads_destroy(c->pool);
#endif
    c->pool = 0;
}

void convert_print_qdq(const convert_qdq_report *r)
{
    printf("int8 from the graph's QuantizeLinear/DequantizeLinear nodes (no calibration): %d blocks int8, %d weight-only, "
           "%d float32, head %s\n", r->int8_blocks, r->weight_only_blocks, r->float_blocks,
           r->head_int8 == QUANT_UNIT_INT8 ? "int8" : r->head_int8 == QUANT_UNIT_INT16 ? "16x8"
           : r->head_int8 == QUANT_UNIT_WEIGHTS ? "weight-only" : "float32");
    printf("  taken       %d of %d Q/DQ pairs (effad's activation points), %d of %d int8 weight tensors\n", r->n_act_used,
           r->n_act, r->n_weight_used, r->n_weight);
    if (r->n_act > r->n_act_used)
        printf("  float       %d pairs mark tensors effad computes in float: inside a layer's epilogue (before its\n"
               "              activation), around squeeze-excite, on the image input\n", r->n_act - r->n_act_used);
    if (r->stem_weights) printf("  stem        runs float32, its int8 weights dequantised\n");
}
