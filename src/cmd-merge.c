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

int cmd_merge(int argc, char **argv)
{
    const char *out = 0, *in[64];
    int n_in = 0;
    double sigma = 3.0, explicit_th = NAN;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : 0;
        if (cli_is_help(a)) return help();
        if (cli_opt_out(a) && v) { out = v; i++; }
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
    for (int k = 0; k < n_in; k++)
        if (cli_check_role(in[k], CLI_GAUSS, "A.gauss", "effad merge A.gauss B.gauss... -o OUT.gauss", &e))
            return cli_error("merge", &e);
    if (cli_outputs_safe(out, in, (size_t)n_in, &e) || gauss_file_read(in[0], &acc, &e)) return cli_error("merge", &e);
    for (int k = 1; k < n_in; k++) {
        if (gauss_file_read(in[k], &next, &e) || detector_merge(&acc, in[0], &next, in[k], &e) ||
            merge_maps_add(&acc, &next, in[0], in[k], &e))
            goto done;
        gauss_model_free(&next);
    }
    if (detector_refit(&acc, sigma, explicit_th, &e)) {
        effad_error_prefix(&e, n_in == 1 ? in[0] : "the merged statistics");
        goto done;
    }
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
