/* effad merge: add up the sufficient statistics of several fits (split
 * across processes or machines) and refit, without re-running the network. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "cli-maps.h"
#include "detector.h"

static int help(void)
{
    printf("usage: effad merge A.gauss B.gauss... -o OUT.gauss [--sigma N] [--threshold V]\n"
           "  All inputs must come from the same model, preprocessing and levels, and\n"
           "  hold their sufficient statistics. The merged Gaussians equal one fit on all\n"
           "  the images; thresholds are recomputed (2 x mean training score only when\n"
           "  every input kept its training features). One input: a refit, e.g. with\n"
           "  another --sigma. Anomaly maps (fit --maps) are merged the same way; their\n"
           "  pixel threshold is dropped (effad calibrate chooses one for the merged model).\n");
    return 0;
}

static int same_str(const char *a, const char *b) { return !strcmp(a ? a : "", b ? b : ""); }

int cmd_merge(int argc, char **argv)
{
    const char *out = 0, *in[64];
    int n_in = 0;
    double sigma = 3.0, explicit_th = NAN;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : 0;
        if (cli_is_help(a)) return help();
        if (!strcmp(a, "-o") && v) { out = v; i++; }
        else if (!strcmp(a, "--sigma") && v) { if (!cli_parse_double(v, &sigma) || !(sigma > 0 && sigma < 38)) return cli_usage_error("merge", "bad --sigma '%s'", v); i++; }
        else if (!strcmp(a, "--threshold") && v) { if (!cli_parse_double(v, &explicit_th)) return cli_usage_error("merge", "bad --threshold '%s'", v); i++; }
        else if (a[0] == '-') return cli_usage_error("merge", "unknown or incomplete option '%s'", a);
        else if (n_in < 64) in[n_in++] = a;
        else return cli_usage_error("merge", "too many inputs%s", "");
    }
    if (!n_in || !out) return cli_usage_error("merge", "need input .gauss files and -o OUT.gauss%s", "");

    effad_error e = { 0 };
    gauss_model acc, next;
    memset(&acc, 0, sizeof acc);
    memset(&next, 0, sizeof next);
    int rc = 1;
    if (gauss_file_read(in[0], &acc, &e)) return cli_error("merge", &e);
    for (size_t l = 0; l < acc.n_levels; l++)
        if (!acc.levels[l].stats) { effad_fail(&e, EFFAD_ERR_ARG, "%s has no sufficient statistics to merge", in[0]); goto done; }
    for (int k = 1; k < n_in; k++) {
        if (gauss_file_read(in[k], &next, &e)) goto done;
        if (next.model_hash != acc.model_hash || !same_str(next.preset, acc.preset) || !same_str(next.taps, acc.taps) ||
            next.n_levels != acc.n_levels) {
            effad_fail(&e, EFFAD_ERR_MISMATCH, "%s and %s were fitted with different models, preprocessing or levels "
                       "(%016llx %s %s vs %016llx %s %s)", in[0], in[k], (unsigned long long)acc.model_hash, acc.preset,
                       acc.taps, (unsigned long long)next.model_hash, next.preset, next.taps);
            goto done;
        }
        if (merge_maps_add(&acc, &next, in[0], in[k], &e)) goto done;
        for (size_t l = 0; l < acc.n_levels; l++) {
            gauss_level *a = &acc.levels[l], *b = &next.levels[l];
            if (!b->stats) { effad_fail(&e, EFFAD_ERR_ARG, "%s has no sufficient statistics to merge", in[k]); goto done; }
            if (gauss_stats_merge(a->stats, b->stats, &e)) { effad_error_prefix(&e, in[k]); goto done; }
            if (a->features && b->features) {   /* keep the training features together */
                float *f = realloc(a->features, sizeof(float) * a->dim * (size_t)(a->n_features + b->n_features));
                if (!f) { effad_fail(&e, EFFAD_ERR_NOMEM, "out of memory"); goto done; }
                memcpy(f + a->dim * a->n_features, b->features, sizeof(float) * a->dim * b->n_features);
                a->features = f;
                a->n_features += b->n_features;
            } else {
                free(a->features);
                a->features = 0;
                a->n_features = 0;
            }
        }
        gauss_model_free(&next);
    }
    for (size_t l = 0; l < acc.n_levels; l++)
        if (gauss_level_fit(&acc.levels[l], acc.levels[l].stats, &e)) goto done;
    acc.n_thresholds = 0;
    if (detector_thresholds(&acc, sigma, explicit_th, &e)) goto done;
    if (acc.maps && !acc.maps->stats) { effad_fail(&e, EFFAD_ERR_ARG, "%s was fitted with --no-map-stats: its maps cannot be refitted", in[0]); goto done; }
    if (merge_maps_refit(&acc, stdout, &e) || gauss_file_write(out, &acc, &e)) goto done;
    printf("merged %d file%s: %llu images -> %s\n", n_in, n_in > 1 ? "s" : "", (unsigned long long)acc.levels[0].n, out);
    for (size_t t = 0; t < acc.n_thresholds; t++)
        printf("  threshold %-14s %.6g%s\n", acc.thresholds[t].name, acc.thresholds[t].value, t ? "" : "  (in force)");
    rc = 0;
done:
    if (rc) cli_error("merge", &e);
    gauss_model_free(&acc);
    gauss_model_free(&next);
    return rc;
}
