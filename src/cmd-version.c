/* effad --version / effad version: what a bug report needs -- the build,
 * the file formats it writes and reads, and the kernels it picks here. */
#include <stdlib.h>
#include "cli.h"
#include "efm-format.h"
#include "gauss-format.h"
#include "image.h"
#include "pixel-kernels.h"
#include "version.h"

int cmd_version(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (cli_is_help(argv[i])) {
            printf("usage: effad --version   (or: effad version)\n"
                   "  Prints effad's version, the .efm and .gauss format versions it writes\n"
                   "  and reads, the kernel path it selects on this CPU, and every path this CPU runs\n"
                   "  (EFFAD_ISA=NAME forces one of them); and the table the image decoders and\n"
                   "  resamplers run on (the same bits on every one).\n");
            return 0;
        }
        return cli_usage_error("version", "unexpected argument '%s'", argv[i]);
    }
    effad_error e = { 0 };
    const effad_kernel_set *k = cli_kernels(NULL, &e);
    printf("effad %s\n", EFFAD_VERSION);
    printf("  .efm    writes version %u, reads %u to %u\n", EFM_VERSION, EFM_VERSION_MIN, EFM_VERSION);
    printf("  .gauss  writes version %u (%u with anomaly maps), reads %u to %u\n", GAUSS_FILE_VERSION,
           GAUSS_FILE_VERSION_MAPS, GAUSS_FILE_OLDEST_VERSION, GAUSS_FILE_VERSION_MAPS);
    const char *forced = getenv("EFFAD_ISA");
    if (k) printf("  kernels %s%s\n", effad_kernels_name(k), forced && *forced ? " (EFFAD_ISA)" : "");
    else printf("  kernels none: %s\n", e.msg);
    /* the names EFFAD_ISA takes here */
    printf("  this CPU runs:");
    for (size_t i = 0; effad_kernels_at(i); i++) {
        const char *name = effad_kernels_name(effad_kernels_at(i));
        if (effad_kernels(name)) printf(" %s", name);
    }
    printf("\n");
    printf("  images  %s\n", pixel_kernels_best()->name);
    uint64_t max;
    image_limit_source why;
    effad_error le = { 0 };
    if (image_max_pixels(&max, &why, &le)) {
        printf("  largest image: %s\n", le.msg);
    } else {
        const char *by = why == IMAGE_LIMIT_ENV      ? "EFFAD_MAX_PIXELS"
                         : why == IMAGE_LIMIT_MEMORY ? "an eighth of this machine's memory"
                                                     : "the build's limit";
        printf("  largest image %.1f megapixels (%s)\n", (double)max / 1e6, by);
    }
    return k ? 0 : 1;
}
