/* Collecting a command's images, with "-" for a list on stdin; see
 * input-list.h. */
#include <stdlib.h>
#include <string.h>
#include "input-list.h"

/* One argument: its images, each remembering the argument. */
static effad_status add_arg(input_list *in, const char *arg, effad_error *e)
{
    size_t before = in->images.n;
    effad_status s = dataset_collect(&in->images, &arg, 1, e);
    if (s) return s;
    char **o = realloc(in->origin, (in->images.n ? in->images.n : 1) * sizeof *o);
    if (!o) return effad_fail(e, EFFAD_ERR_NOMEM, "out of memory listing images");
    in->origin = o;
    for (size_t i = before; i < in->images.n; i++, in->n_origin++)
        if (!(o[i] = strdup(arg))) return effad_fail(e, EFFAD_ERR_NOMEM, "out of memory listing images");
    return EFFAD_OK;
}

/* Every line of f as an argument. */
static effad_status add_lines(input_list *in, FILE *f, effad_error *e)
{
    char *line = NULL;
    size_t cap = 0, n_paths = 0;
    ssize_t len;
    effad_status s = EFFAD_OK;
    while (!s && (len = getline(&line, &cap, f)) >= 0) {
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r')) line[--len] = '\0';
        if (!len) continue;
        s = add_arg(in, line, e);
        n_paths++;
    }
    free(line);
    if (!s && ferror(f)) s = effad_fail(e, EFFAD_ERR_IO, "-: cannot read the list of images from standard input");
    if (!s && !n_paths) s = effad_fail(e, EFFAD_ERR_ARG, "-: standard input listed no images (one path per line)");
    return s;
}

effad_status input_list_collect(input_list *in, const char *const *args, int n_args, FILE *stdin_file,
                                effad_error *e)
{
    memset(in, 0, sizeof *in);
    int stdin_read = 0;
    for (int i = 0; i < n_args; i++) {
        effad_status s;
        if (!strcmp(args[i], "-")) {
            if (stdin_read++) return effad_fail(e, EFFAD_ERR_ARG, "-: standard input can be read only once");
            s = add_lines(in, stdin_file, e);
        } else {
            s = add_arg(in, args[i], e);
        }
        if (s) return s;
    }
    return EFFAD_OK;
}

void input_list_free(input_list *in)
{
    for (size_t i = 0; i < in->n_origin; i++) free(in->origin[i]);
    free(in->origin);
    dataset_free(&in->images);
    memset(in, 0, sizeof *in);
}
