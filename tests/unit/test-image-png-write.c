/* The PNG writer: what it writes decodes back to the same pixels (through
 * our decoder; tests/check-png-writer.py checks the same files with PIL),
 * 8-bit and 16-bit (the raw anomaly maps),
 * and the write is atomic -- a failed write leaves neither a partial file
 * nor a temporary behind, a successful one replaces the old file whole. */
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>
#include "image-test-util.h"
#include "image.h"
#include "png-writer.h"

/* relative to the test program's directory, where main() goes first
 * (build/tests/png-write for the native build): the cross builds run side
 * by side and must not share the directory */
#define OUT "png-write"

static int count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return -1;
    int k = 0;
    struct dirent *de;
    while ((de = readdir(d)))
        if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) k++;   /* temporaries are dot-files: count them */
    closedir(d);
    return k;
}

static void round_trip(int w, int h, int ch, unsigned kind)
{
    size_t n = (size_t)w * h * ch;
    uint8_t *px = malloc(n);
    uint32_t s = kind * 2654435761u + 1;
    for (size_t i = 0; i < n; i++) {
        s = s * 1103515245u + 12345u;
        px[i] = kind == 0 ? (uint8_t)(s >> 16)                                   /* noise */
              : kind == 1 ? (uint8_t)((i / ch) % w * 255 / (w > 1 ? w - 1 : 1))    /* ramp */
              : (uint8_t)(((i / ch / w) / 4 + (i / ch % w) / 4) % 2 ? 200 : 30);  /* checkerboard */
    }
    char path[256];
    snprintf(path, sizeof path, OUT "/rt-%dx%d-c%d-k%u.png", w, h, ch, kind);
    effad_error e = { 0 };
    CHECK_MSG(image_write_png(path, px, w, h, ch, &e) == EFFAD_OK, "%.300s", e.msg);
    effad_image img;
    effad_status st = image_load(path, &img, &e);
    CHECK_MSG(st == EFFAD_OK, "%.300s", e.msg);
    if (st == EFFAD_OK) {
        CHECK(img.w == w && img.h == h && img.channels == ch && img.bit_depth == 8);
        CHECK_MSG(!memcmp(img.px, px, n), "%s: pixels differ after the round trip", path);
        image_free(&img);
    }
    /* the raw pixels too, for tests/check-png-writer.py */
    snprintf(path, sizeof path, OUT "/rt-%dx%d-c%d-k%u.raw", w, h, ch, kind);
    FILE *f = fopen(path, "wb");
    if (f) { fwrite(px, 1, n, f); fclose(f); }
    free(px);
}

/* 16-bit: the full range, both bytes of every sample significant. */
static void round_trip16(int w, int h, int ch)
{
    size_t n = (size_t)w * h * ch;
    uint16_t *px = malloc(n * sizeof *px);
    uint32_t s = 99u + (uint32_t)(w * 31 + ch);
    for (size_t i = 0; i < n; i++) {
        s = s * 1103515245u + 12345u;
        px[i] = i % 7 == 0 ? (uint16_t)(i * 977u) : (uint16_t)(s >> 12);
    }
    px[0] = 0xFFFF;
    char path[256];
    snprintf(path, sizeof path, OUT "/rt16-%dx%d-c%d.png", w, h, ch);
    effad_error e = { 0 };
    CHECK_MSG(image_write_png16(path, px, w, h, ch, &e) == EFFAD_OK, "%.300s", e.msg);
    effad_image img;
    effad_status st = image_load(path, &img, &e);
    CHECK_MSG(st == EFFAD_OK, "%.300s", e.msg);
    if (st == EFFAD_OK) {
        CHECK(img.w == w && img.h == h && img.channels == ch && img.bit_depth == 16);
        CHECK_MSG(!memcmp(img.px, px, n * sizeof *px), "%s: 16-bit pixels differ after the round trip", path);
        image_free(&img);
    }
    snprintf(path, sizeof path, OUT "/rt16-%dx%d-c%d.raw", w, h, ch);   /* little-endian, for PIL */
    FILE *f = fopen(path, "wb");
    for (size_t i = 0; f && i < n; i++) { fputc(px[i] & 0xff, f); fputc(px[i] >> 8, f); }
    if (f) fclose(f);
    free(px);
}

int main(int argc, char **argv)
{
    char dir[512];
    const char *slash = argc > 0 ? strrchr(argv[0], '/') : 0;
    snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash - argv[0]) : 1, slash ? argv[0] : ".");
    if (chdir(dir) != 0) { printf("test-image-png-write: cannot enter %s\n", dir); return 1; }
    mkdir(OUT, 0755);
    int dims[][2] = { { 1, 1 }, { 2, 3 }, { 17, 5 }, { 64, 48 }, { 301, 7 } };
    for (size_t d = 0; d < sizeof dims / sizeof *dims; d++)
        for (int ch = 1; ch <= 4; ch++) {
            if (ch == 2) continue;
            for (unsigned kind = 0; kind < 3; kind++) round_trip(dims[d][0], dims[d][1], ch, kind);
            round_trip16(dims[d][0], dims[d][1], ch);
        }

    effad_error e = { 0 };
    uint8_t px[12] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 };
    /* bad arguments */
    CHECK_EQ_INT(image_write_png(OUT "/bad.png", px, 2, 2, 2, &e), EFFAD_ERR_ARG);
    CHECK_HAS(e.msg, "2 channels");
    CHECK_EQ_INT(image_write_png(OUT "/bad.png", px, 0, 2, 3, &e), EFFAD_ERR_ARG);
    CHECK(access(OUT "/bad.png", F_OK) != 0);

    /* a directory that does not exist: an error naming the path, no debris */
    CHECK_EQ_INT(image_write_png(OUT "/no/such/dir/x.png", px, 2, 2, 3, &e), EFFAD_ERR_IO);
    CHECK_HAS(e.msg, OUT "/no/such/dir/x.png");

    /* the target is a directory: refused before any temporary is made
     * (a failing rename is test-gauss-file's injected fault) */
    mkdir(OUT "/atomic", 0755);
    unlink(OUT "/atomic/target.png");   /* left by an earlier run */
    mkdir(OUT "/atomic/target.png", 0755);
    CHECK_EQ_INT(count_entries(OUT "/atomic"), 1);
    CHECK_EQ_INT(image_write_png(OUT "/atomic/target.png", px, 2, 2, 3, &e), EFFAD_ERR_IO);
    CHECK_HAS(e.msg, "target.png: exists and is a directory, not a regular file");
    CHECK_EQ_INT(count_entries(OUT "/atomic"), 1);
    rmdir(OUT "/atomic/target.png");

    /* overwriting replaces the old image whole */
    CHECK(image_write_png(OUT "/atomic/target.png", px, 2, 2, 3, &e) == EFFAD_OK);
    uint8_t px2[4] = { 9, 8, 7, 6 };
    CHECK(image_write_png(OUT "/atomic/target.png", px2, 2, 2, 1, &e) == EFFAD_OK);
    CHECK_EQ_INT(count_entries(OUT "/atomic"), 1);
    effad_image img;
    CHECK(image_load(OUT "/atomic/target.png", &img, &e) == EFFAD_OK);
    CHECK(img.channels == 1 && !memcmp(img.px, px2, 4));
    image_free(&img);

    /* row by row (png-writer.h): a 16-bit map of noise, several IDAT
     * chunks, decodes back to its samples; a writer given too many rows,
     * ended too early or abandoned leaves the old file and no temporary */
    {
        const int w = 3000, h = 40;
        uint16_t *map = malloc((size_t)w * h * sizeof *map);
        uint32_t seed = 7;
        for (int i = 0; i < w * h; i++) { seed = seed * 1103515245u + 12345u; map[i] = (uint16_t)(seed >> 9); }
        png_writer pw;
        int rows_ok = png_writer_begin(&pw, OUT "/atomic/target.png", w, h, 1, 16, &e) == EFFAD_OK;
        for (int y = 0; y < h && rows_ok; y++) rows_ok = png_writer_row16(&pw, map + (size_t)y * w, &e) == EFFAD_OK;
        CHECK(rows_ok && png_writer_end(&pw, NULL, NULL, &e) == EFFAD_OK);
        size_t fn = 0;
        uint8_t *file = slurp(OUT "/atomic/target.png", &fn);
        int idats = 0;
        CHECK(file != NULL);
        for (size_t at = 8; file && at + 12 <= fn;) {
            uint32_t len = (uint32_t)file[at] << 24 | (uint32_t)file[at + 1] << 16 | (uint32_t)file[at + 2] << 8 | file[at + 3];
            idats += !memcmp(file + at + 4, "IDAT", 4);
            at += 12 + (size_t)len;
        }
        CHECK_MSG(idats > 1, "%d IDAT chunks", idats);
        free(file);
        effad_image back;
        CHECK(image_load(OUT "/atomic/target.png", &back, &e) == EFFAD_OK);
        CHECK(back.w == w && back.h == h && back.bit_depth == 16 && !memcmp(back.px, map, (size_t)w * h * 2));
        image_free(&back);

        CHECK(png_writer_begin(&pw, OUT "/atomic/target.png", 4, 2, 1, 16, &e) == EFFAD_OK);
        CHECK(png_writer_row16(&pw, map, &e) == EFFAD_OK && png_writer_row16(&pw, map, &e) == EFFAD_OK);
        CHECK_EQ_INT(png_writer_row16(&pw, map, &e), EFFAD_ERR_ARG);
        CHECK_HAS(e.msg, "more than 2 rows");
        CHECK_EQ_INT(count_entries(OUT "/atomic"), 1);
        CHECK(png_writer_begin(&pw, OUT "/atomic/target.png", 4, 5, 1, 16, &e) == EFFAD_OK);
        CHECK(png_writer_row16(&pw, map, &e) == EFFAD_OK && png_writer_row16(&pw, map, &e) == EFFAD_OK);
        CHECK_EQ_INT(png_writer_end(&pw, NULL, NULL, &e), EFFAD_ERR_ARG);
        CHECK_HAS(e.msg, "2 of 5 rows written");
        CHECK(png_writer_begin(&pw, OUT "/atomic/target.png", 4, 5, 1, 8, &e) == EFFAD_OK);
        CHECK(png_writer_row(&pw, px, &e) == EFFAD_OK);
        png_writer_abort(&pw);
        CHECK_EQ_INT(count_entries(OUT "/atomic"), 1);
        CHECK(image_load(OUT "/atomic/target.png", &back, &e) == EFFAD_OK);   /* still the noise map */
        CHECK(back.w == w && back.bit_depth == 16 && !memcmp(back.px, map, (size_t)w * h * 2));
        image_free(&back);
        CHECK_EQ_INT(png_writer_begin(&pw, OUT "/atomic/x.png", 4, 5, 2, 8, &e), EFFAD_ERR_ARG);
        CHECK_EQ_INT(png_writer_begin(&pw, OUT "/atomic/x.png", 4, 5, 1, 12, &e), EFFAD_ERR_ARG);
        CHECK_EQ_INT(count_entries(OUT "/atomic"), 1);
        free(map);
    }

    /* the in-memory encoder behind it */
    uint8_t *png;
    size_t n;
    CHECK(image_encode_png(px, 2, 2, 3, &png, &n, &e) == EFFAD_OK);
    CHECK(n > 8 && !memcmp(png, "\x89PNG", 4));
    free(png);
    return check_done("test-image-png-write");
}
