/* Images that state an orientation (tests/gen-orient-goldens.py): each
 * loaded under both rules of image.h against what the readers that rule
 * stands for make of it -- IMAGE_ORIENT_EXIF against cv2.imread (which
 * turns JPEG and PNG by their EXIF and TIFF by its tag), IMAGE_ORIENT_TIFF
 * against PIL's Image.open(...).convert('RGB') and against
 * cv2.imdecode(IMREAD_UNCHANGED) (which turn only TIFF) -- pixel for
 * pixel, the measured quirks of cv2's EXIF reading included; and the EXIF
 * parser itself on every prefix of a block, both byte orders. */
#include <stdlib.h>
#include "exif.h"
#include "image-test-util.h"
#include "image.h"

#define DIR "tests/data/images/orient/"

/* "<w> <h>\n" and the RGB bytes, as the generator writes them. */
static int golden(const char *path, int *w, int *h, uint8_t **px)
{
    size_t n;
    uint8_t *b = slurp(path, &n);
    if (!b) return 0;
    char *end;
    *w = (int)strtol((char *)b, &end, 10);
    *h = (int)strtol(end, &end, 10);
    size_t at = (size_t)(end - (char *)b) + 1;
    int ok = *end == '\n' && *w > 0 && *h > 0 && n - at == (size_t)*w * *h * 3;
    *px = ok ? malloc(n - at) : NULL;
    if (ok) memcpy(*px, b + at, n - at);
    free(b);
    return ok;
}

static void check_file(const char *name)
{
    static const struct { image_orient_rule rule; const char *ext; } readers[] = {
        { IMAGE_ORIENT_EXIF, ".cv2" }, { IMAGE_ORIENT_TIFF, ".pil" }, { IMAGE_ORIENT_TIFF, ".cv2u" } };
    for (int r = 0; r < 3; r++) {
        char path[512], gpath[512];
        snprintf(path, sizeof path, DIR "%s", name);
        snprintf(gpath, sizeof gpath, DIR "%s%s", name, readers[r].ext);
        int gw, gh, w, h;
        uint8_t *want, *rgb = NULL;
        effad_error e = { 0 };
        if (!golden(gpath, &gw, &gh, &want)) { CHECK_MSG(0, "%s: no golden", gpath); continue; }
        effad_status s = image_load_rgb8(path, IMAGE_RGB_SCALE, readers[r].rule, &rgb, &w, &h, NULL, &e);
        CHECK_MSG(s == EFFAD_OK, "%s: %.300s", path, e.msg);
        if (!s) {
            int same = w == gw && h == gh && !memcmp(rgb, want, (size_t)w * h * 3);
            CHECK_MSG(same, "%s as %s: effad %dx%d, the reader %dx%d%s", name, readers[r].ext + 1, w, h, gw, gh,
                      w == gw && h == gh ? ", pixels differ" : "");
        }
        free(rgb);
        free(want);
    }
}

/* Every prefix of a block is refused or read, never read past; the
 * orientation word in either byte order. */
static void check_parser(void)
{
    static const uint8_t le[] = { 'I', 'I', 42, 0, 8, 0, 0, 0, 2, 0,
                                  0x00, 0x01, 3, 0, 1, 0, 0, 0, 5, 0, 0, 0,        /* ImageWidth */
                                  0x12, 0x01, 3, 0, 1, 0, 0, 0, 6, 0, 0, 0,        /* Orientation 6 */
                                  0, 0, 0, 0 };
    static const uint8_t be[] = { 'M', 'M', 0, 42, 0, 0, 0, 8, 0, 1,
                                  0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 8, 0, 0, 0, 0, 0, 0, 0, 0 };
    CHECK_EQ_INT(exif_orientation(le, sizeof le), 6);
    CHECK_EQ_INT(exif_orientation(be, sizeof be), 8);
    int early = 0;
    for (size_t n = 0; n < 34; n++) early |= exif_orientation(le, n) != 0;   /* its entry ends at byte 34 */
    CHECK_MSG(!early, "an orientation read from a block cut short");
    for (size_t n = 0; n < 22; n++) early |= exif_orientation(be, n) != 0;
    CHECK_MSG(!early, "a big-endian orientation read from a block cut short");
    uint8_t bad[sizeof le];
    memcpy(bad, le, sizeof le);
    bad[4] = 0xF0;                    /* the first IFD far past the end */
    CHECK_EQ_INT(exif_orientation(bad, sizeof bad), 0);
    memcpy(bad, le, sizeof le);
    bad[8] = 0xFF; bad[9] = 0xFF;     /* 65535 entries claimed */
    CHECK_EQ_INT(exif_orientation(bad, sizeof bad), 6);   /* found before the claim runs out */
    bad[22] = 0x13;                   /* ... and without the tag, the claim stops at the end */
    CHECK_EQ_INT(exif_orientation(bad, sizeof bad), 0);
    CHECK_EQ_INT(exif_orientation(NULL, 0), 0);
}

int main(int argc, char **argv)
{
    (void)argc; (void)argv;
    size_t n;
    uint8_t *raw = slurp(DIR "index.txt", &n);
    char *index = raw ? calloc(n + 1, 1) : NULL;
    CHECK_MSG(index != NULL, "no " DIR "index.txt (tests/gen-orient-goldens.py)");
    if (index) memcpy(index, raw, n);
    free(raw);
    int files = 0;
    for (char *line = index ? strtok(index, "\n") : NULL; line; line = strtok(NULL, "\n"), files++)
        check_file(line);
    CHECK_MSG(files >= 30, "only %d images listed", files);
    free(index);
    check_parser();
    return check_done("test-image-orient");
}
