/*
 * replay.c -- a main() for the fuzz harnesses without libFuzzer, so that
 * `make test` (any C compiler) and `make asan` run every harness on its
 * regression files and seeds:
 *
 *     replay-<name> PATH...
 *
 * Each PATH is a file or a directory (its regular files, in name order,
 * not recursing; names starting with '.' or ending in ".md" are skipped).
 * Every input passes through LLVMFuzzerTestOneInput once; a harness that
 * finds a broken rule aborts, which fails the run. Prints the usual
 * "<name>: N passed, 0 failed" line (tests/run-tests.sh adds it up), where
 * N is the number of inputs replayed. A PATH that does not exist is a
 * failure: a regression directory that moved must not pass silently.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int replayed, failed;

static int run_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) { fprintf(stderr, "FAIL replay: cannot open %s\n", path); failed++; return 0; }
    size_t cap = 1 << 16, n = 0;
    uint8_t *buf = malloc(cap);
    while (buf) {
        n += fread(buf + n, 1, cap - n, f);
        if (n < cap) break;
        uint8_t *q = realloc(buf, cap *= 2);
        if (!q) { free(buf); buf = 0; }
        else buf = q;
    }
    int err = ferror(f);
    fclose(f);
    if (!buf || err) { fprintf(stderr, "FAIL replay: cannot read %s\n", path); free(buf); failed++; return 0; }
    /* an exact-size copy, so that ASan sees a read past the input's end */
    uint8_t *exact = malloc(n ? n : 1);
    if (!exact) { free(buf); failed++; return 0; }
    memcpy(exact, buf, n);
    free(buf);
    LLVMFuzzerTestOneInput(exact, n);
    free(exact);
    replayed++;
    return 1;
}

static int skipped_name(const char *name)
{
    size_t len = strlen(name);
    return name[0] == '.' || (len >= 3 && !strcmp(name + len - 3, ".md"));
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void run_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) { fprintf(stderr, "FAIL replay: cannot open directory %s\n", dir); failed++; return; }
    char **names = 0;
    size_t n = 0, cap = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (skipped_name(de->d_name)) continue;
        if (n == cap) {
            char **q = realloc(names, (cap = cap ? 2 * cap : 64) * sizeof *q);
            if (!q) break;
            names = q;
        }
        if (!(names[n] = strdup(de->d_name))) break;
        n++;
    }
    closedir(d);
    if (n) qsort(names, n, sizeof *names, by_name);
    for (size_t i = 0; i < n; i++) {
        char path[4096];
        struct stat st;
        if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, names[i]) < sizeof path && stat(path, &st) == 0 &&
            S_ISREG(st.st_mode))
            run_file(path);
        free(names[i]);
    }
    free(names);
}

int main(int argc, char **argv)
{
    const char *name = strrchr(argv[0], '/');
    name = name ? name + 1 : argv[0];
    for (int i = 1; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) != 0) { fprintf(stderr, "FAIL replay: %s does not exist\n", argv[i]); failed++; }
        else if (S_ISDIR(st.st_mode)) run_dir(argv[i]);
        else run_file(argv[i]);
    }
    printf("%s: %d passed, %d failed\n", name, replayed, failed);
    return failed ? 1 : 0;
}
