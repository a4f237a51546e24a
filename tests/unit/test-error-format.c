/*
 * test-error-format.c -- the engine's error messages (engine/error.c).
 *
 * Every error a user sees is formatted here, without stdio. Two things are
 * checked: the conversions give what the C library's snprintf gives (the
 * independent reference), and a message about a file keeps its reason
 * however long the path is -- before, a path of ~500 bytes filled the
 * 512-byte message and the reason ("truncated", "not a PNG") was cut off.
 */
#include <stdint.h>
#include "check.h"
#include "effad.h"
#include "../../src/utf8.h"

static void same_as_snprintf(void)
{
    effad_error e = { 0 };
    char want[512];
    const long long big = -9223372036854775807ll - 1;
    effad_fail(&e, EFFAD_ERR_ARG, "%d %i %u %ld %lu %lld %llu %zu %x %c %s %%", -42, 7, 4000000000u, -1l, 123ul, big,
               18446744073709551615ull, (size_t)99, 0xbeefu, 'q', "ok");
    snprintf(want, sizeof want, "%d %i %u %ld %lu %lld %llu %zu %x %c %s %%", -42, 7, 4000000000u, -1l, 123ul, big,
             18446744073709551615ull, (size_t)99, 0xbeefu, 'q', "ok");
    CHECK_MSG(!strcmp(e.msg, want), "\"%s\" vs \"%s\"", e.msg, want);
    CHECK_EQ_INT(e.status, EFFAD_ERR_ARG);
    const double g[] = { 0, 1, -1, 0.5, 1.5e-6, 123456, 1234567, 9.66236, 1e-4, 3.0e38, -2.5e-300 };
    for (size_t i = 0; i < sizeof g / sizeof g[0]; i++) {
        effad_fail(&e, EFFAD_ERR_ARG, "%g", g[i]);
        snprintf(want, sizeof want, "%g", g[i]);
        CHECK_MSG(!strcmp(e.msg, want), "%%g of %.17g: \"%s\" vs \"%s\"", g[i], e.msg, want);
    }
    effad_fail(&e, EFFAD_ERR_ARG, "%.3g", 0.012345);
    snprintf(want, sizeof want, "%.3g", 0.012345);
    CHECK_MSG(!strcmp(e.msg, want), "\"%s\" vs \"%s\"", e.msg, want);
    CHECK_EQ_INT(effad_fail(NULL, EFFAD_ERR_IO, "%s", "no error value"), EFFAD_ERR_IO);
}

/* n bytes of path: directories of 9 letters, ending in "/part.png" */
static void make_path(char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) p[i] = i % 10 == 9 ? '/' : (char)('a' + i % 10);
    memcpy(p + n - 9, "/part.png", 9);
    p[n] = '\0';
}

static size_t count(const char *s, const char *needle)
{
    size_t k = 0;
    for (const char *q = s; (q = strstr(q, needle)); q++) k++;
    return k;
}

static void long_paths_keep_the_reason(void)
{
    static char path[4200], other[4200];
    effad_error e = { 0 };
    /* up to 200 bytes a path is written whole */
    for (size_t n = 10; n <= 200; n += 19) {
        make_path(path, n);
        effad_fail(&e, EFFAD_ERR_FORMAT, "%s: not a PNG file", path);
        CHECK_EQ_INT(strlen(e.msg), n + strlen(": not a PNG file"));
        CHECK(!strncmp(e.msg, path, n));
    }
    /* beyond, its first 60 and last 137 bytes, whatever the length */
    const size_t lens[] = { 201, 480, 1000, 4095 };
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
        const size_t n = lens[i];
        make_path(path, n);
        effad_fail(&e, EFFAD_ERR_FORMAT, "%s: PNG: chunk IDAT runs past the end of the file", path);
        CHECK_MSG(strlen(e.msg) == 200 + strlen(": PNG: chunk IDAT runs past the end of the file"), "%zu: %s", n, e.msg);
        CHECK(!strncmp(e.msg, path, 60));
        CHECK(!strncmp(e.msg + 60, "...", 3));
        CHECK(!strncmp(e.msg + 63, path + n - 137, 137));
        CHECK_STR_CONTAINS(e.msg, "/part.png: PNG: chunk IDAT runs past the end of the file");
        /* two such paths in one message, and the reason still there */
        make_path(other, n);
        other[0] = 'Z';
        effad_fail(&e, EFFAD_ERR_IO, "%s: cannot rename to %s: %s", path, other, "No space left on device");
        CHECK_MSG(strstr(e.msg, ": No space left on device") != NULL, "%zu: %s", n, e.msg);
        CHECK(strstr(e.msg, "Zbcdefghi/") != NULL);
        CHECK_EQ_INT(count(e.msg, "..."), 2);
    }
}

static void utf8_is_never_cut(void)
{
    /* names in two-, three- and four-byte characters: wherever the cut
     * falls, the message stays well-formed UTF-8 (what --json needs) */
    const char *chars[] = { "\xc3\xa9", "\xe6\x97\xa5", "\xf0\x9f\x93\xb7" };
    for (int c = 0; c < 3; c++)
        for (int shift = 0; shift < 4; shift++) {
            char path[700];
            size_t n = 0;
            for (int k = 0; k < shift; k++) path[n++] = 'x';
            while (n + 4 < 600) { strcpy(path + n, chars[c]); n += strlen(chars[c]); }
            path[n] = '\0';
            effad_error e = { 0 };
            effad_fail(&e, EFFAD_ERR_FORMAT, "%s: truncated", path);
            int ok = 1;
            for (const char *q = e.msg; *q;) {
                size_t len = utf8_seq(q);
                if (!len) { ok = 0; break; }
                q += len;
            }
            CHECK_MSG(ok, "char %d shift %d: \"%s\"", c, shift, e.msg);
            CHECK_STR_CONTAINS(e.msg, "...");
            CHECK_STR_CONTAINS(e.msg, ": truncated");
            CHECK(strlen(e.msg) <= 200 + strlen(": truncated"));
            CHECK(strlen(e.msg) >= 200 - 6 + strlen(": truncated"));
        }
    /* bytes that are not UTF-8 at all pass as they are */
    char raw[300];
    memset(raw, 0xE9, 299);
    raw[299] = '\0';
    effad_error e = { 0 };
    effad_fail(&e, EFFAD_ERR_FORMAT, "%s: x", raw);
    CHECK_EQ_INT(strlen(e.msg), 200 + 3);
}

static void prefix_keeps_the_message(void)
{
    static char path[1200];
    make_path(path, 1100);
    effad_error e = { 0 };
    /* an inner message that is long already stays whole behind the prefix */
    effad_fail(&e, EFFAD_ERR_FORMAT, "block %d: expand: weight scales: %s", 12,
               "the record holds 96 values where the block has 1152 output channels");
    const size_t inner = strlen(e.msg);
    effad_error_prefix(&e, path);
    CHECK_EQ_INT(e.status, EFFAD_ERR_FORMAT);
    CHECK_EQ_INT(strlen(e.msg), 200 + 2 + inner);
    CHECK_STR_CONTAINS(e.msg, "/part.png: block 12: expand: weight scales: the record holds 96 values where the block "
                              "has 1152 output channels");
    /* prefixing again (a file within a file) shortens only the new prefix */
    effad_error_prefix(&e, "model.efm");
    CHECK(!strncmp(e.msg, "model.efm: abcdefghi/", 21));
    CHECK_EQ_INT(strlen(e.msg), strlen("model.efm: ") + 200 + 2 + inner);
    effad_error_prefix(NULL, "x");
}

int main(void)
{
    same_as_snprintf();
    long_paths_keep_the_reason();
    utf8_is_never_cut();
    prefix_keeps_the_message();
    return check_done("test-error-format");
}
