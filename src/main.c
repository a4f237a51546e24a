/* effad -- command-line entry point. */
#include <stdio.h>
#include <string.h>

static int usage(FILE *f)
{
    fprintf(f, "usage: effad <command> [options]\n");
    return f == stderr ? 2 : 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) return usage(stderr);
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) return usage(stdout);
    fprintf(stderr, "effad: unknown command '%s'\n", argv[1]);
    return usage(stderr);
}
