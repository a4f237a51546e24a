/* Figure names (src/figure-names.h): the path relative to the argument,
 * more parent directories only when two images would share a name, never a
 * name outside the output directory, and a refusal naming both images when
 * nothing tells them apart. The shell test tests/sh/cli-consistent.sh
 * drives the same rules through `effad score --save`. */
#include <stdlib.h>
#include "check.h"
#include "figure-names.h"

/* n images: paths[i] listed from the argument origins[i]. */
static effad_status names_of(const char *const *paths, const char *const *origins, size_t n, char ***names,
                             effad_error *e)
{
    input_list in;
    memset(&in, 0, sizeof in);
    in.images.n = in.n_origin = n;
    in.images.path = (char **)paths;
    in.origin = (char **)origins;
    return figure_names_make(&in, names, e);
}

static void expect(const char *const *paths, const char *const *origins, size_t n, const char *const *want)
{
    char **names = NULL;
    effad_error e = { 0 };
    CHECK_MSG(names_of(paths, origins, n, &names, &e) == EFFAD_OK, "%s", e.msg);
    for (size_t i = 0; names && i < n; i++) CHECK_MSG(!strcmp(names[i], want[i]), "%s -> '%s', want '%s'", paths[i], names[i], want[i]);
    figure_names_free(names, n);
}

int main(void)
{
    {   /* a directory argument: the relative path, subdirectories kept */
        const char *p[] = { "data/test/good/000.png", "data/test/hole/000.png", "data/test/hole/deep/1.tiff" };
        const char *o[] = { "data/test", "data/test", "data/test/" };
        const char *w[] = { "good/000", "hole/000", "hole/deep/1" };
        expect(p, o, 3, w);
    }
    {   /* file arguments: the file name, parents only as far as needed */
        const char *p[] = { "a/x/000.png", "b/x/000.png", "c/y/001.png" };
        const char *w[] = { "a/x/000", "b/x/000", "c/y/001" };
        expect(p, p, 3, w);
        const char *p2[] = { "/abs/dir/p.png", "q.jpg" };
        const char *w2[] = { "p", "q" };
        expect(p2, p2, 2, w2);
    }
    {   /* two directory arguments holding the same relative path */
        const char *p[] = { "one/good/0.png", "two/good/0.png" };
        const char *o[] = { "one", "two" };
        const char *w[] = { "one/good/0", "two/good/0" };
        expect(p, o, 2, w);
    }
    {   /* ".." never leaves the output directory; "." disappears */
        const char *p[] = { "../q/p.png", "q/p.png", "./r/./s.png" };
        const char *w[] = { "__/q/p", "q/p", "r/s" };   /* every name gets the same extra parents */
        expect(p, p, 3, w);
        const char *p2[] = { "../x.png" };
        const char *w2[] = { "x" };
        expect(p2, p2, 1, w2);
    }
    {   /* only the last dot is the extension; a leading one is the name */
        const char *p[] = { "d/v1.2/img.final.png", "d/.hidden" };
        const char *o[] = { "d", "d" };
        const char *w[] = { "v1.2/img.final", ".hidden" };
        expect(p, o, 2, w);
    }
    {   /* the same path twice (spelled differently): refused, naming both */
        const char *p[] = { "a/p.png", "./a/p.png" };
        char **names = NULL;
        effad_error e = { 0 };
        CHECK(names_of(p, p, 2, &names, &e) == EFFAD_ERR_ARG);
        CHECK_STR_CONTAINS(e.msg, "a/p.png and ./a/p.png would write figures of the same name (a/p)");
        CHECK(names == NULL);
    }
    return check_done("test-figure-names");
}
