/* effad calibrate: choose the pixel threshold of a model's anomaly maps on
 * good images, as `fit --maps --holdout` does on its held-out ones. */
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "cli-maps.h"
#include "input-list.h"

static int help(void)
{
    printf("usage: effad calibrate MODEL.gauss MODEL.efm GOOD_IMAGE_OR_DIR... [-o OUT.gauss] [options]\n"
           "  Chooses the pixel threshold of the anomaly maps (a model fitted with --maps) on\n"
           "  good images the fit did not see: the smallest value at which none of them has\n"
           "  a connected region (8-connectivity) of at least --min-area pixels above it.\n"
           "  Writes MODEL.gauss in place (atomically) unless -o/--out is given. '-' reads\n"
           "  more images from stdin, one path per line.\n"
           "  --min-area A   a defect is a region of at least A pixels (default %d)\n"
           CLI_HELP_ROI_STORED
           "  --threads N, --isa NAME, --quiet\n", MAPS_DEFAULT_MIN_AREA);
    return 0;
}

int cmd_calibrate(int argc, char **argv)
{
    const char *gauss_path = 0, *model = 0, *out = 0, *inputs[256];
    int n_inputs = 0, quiet = 0, min_area = MAPS_DEFAULT_MIN_AREA;
    pipeline_options po = { .threads = 1 };
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : 0;
        if (cli_is_help(a)) return help();
        int common = cli_pipeline_option("calibrate", argc, argv, &i, &po, &quiet);
        if (common < 0) return 2;
        if (common) continue;
        if (cli_opt_out(a) && v) { out = v; i++; }
        else if (!strcmp(a, "--min-area") && v) {
            if (!cli_int_option("calibrate", "--min-area", v, 1, 1 << 30, &min_area)) return 2;
            i++;
        }
        else if (a[0] == '-' && a[1]) return cli_usage_error("calibrate", "unknown or incomplete option '%s'", a);
        else if (!gauss_path) gauss_path = a;
        else if (!model) model = a;
        else if (n_inputs < 256) inputs[n_inputs++] = a;
        else return cli_usage_error("calibrate", "too many inputs%s", "");
    }
    if (!gauss_path || !model || !n_inputs)
        return cli_usage_error("calibrate", "need MODEL.gauss, MODEL.efm and good images or directories%s", "");

    effad_error e = { 0 };
    detector d;
    input_list in;
    memset(&in, 0, sizeof in);
    if (detector_open(&d, gauss_path, model, po, &e)) return cli_error("calibrate", &e);
    cli_note_rgb16_unstated("calibrate", gauss_path, &d.gm, &po);
    int rc = 1;
    if (!d.gm.maps) { effad_fail(&e, EFFAD_ERR_ARG, "%s has no anomaly maps (fit it with --maps)", gauss_path); goto done; }
    if (input_list_collect(&in, inputs, n_inputs, stdin, &e) ||
        maps_calibrate(d.gm.maps, &d.p, (const char *const *)in.images.path, in.images.n, (uint32_t)min_area, &e) ||
        gauss_file_write(out ? out : gauss_path, &d.gm, &e))
        goto done;
    printf("%s: pixel threshold %.6g (no region of %d+ pixels in %zu good images) -> %s\n", gauss_path,
           d.gm.maps->threshold, min_area, in.images.n, out ? out : gauss_path);
    rc = 0;
done:
    if (rc) cli_error("calibrate", &e);
    input_list_free(&in);
    detector_close(&d);
    return rc;
}
