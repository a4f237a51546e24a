/* The reader over every model.onnx and *.pb of onnx's own backend test
 * data (Debian package libonnx-testdata): each must decode into something
 * sane or be refused with a message. Some .pb files there are not
 * TensorProtos at all (SequenceProto, OptionalProto, MapProto); reading
 * them as tensors must still end in one of those two outcomes. */
#include <dirent.h>
#include <sys/stat.h>
#include "check.h"
#include "onnx-sane.h"

#define CORPUS "/usr/include/onnx/backend/test/data"

typedef struct tally { int ok, refused, unreadable; } tally;
static tally models, tensors;
static int shown;

static int ends_with(const char *s, const char *tail)
{
    size_t n = strlen(s), k = strlen(tail);
    return n >= k && !strcmp(s + n - k, tail);
}

static void read_one(const char *path, int is_model)
{
    size_t n;
    uint8_t *b = sane_read_file(path, &n);
    tally *t = is_model ? &models : &tensors;
    if (!b) { t->unreadable++; return; }
    effad_error e = { 0, "" };
    effad_status st;
    const char *why = NULL;
    int empty_after_fail = 1;
    if (is_model) {
        onnx_model m;
        st = onnx_model_read(b, n, &m, &e);
        if (st == EFFAD_OK) why = sane_model(&m);
        else empty_after_fail = sane_is_empty_model(&m);
        onnx_model_free(&m);
    } else {
        onnx_tensor x;
        st = onnx_tensor_read(b, n, &x, &e);
        if (st == EFFAD_OK) why = sane_tensor(&x);
        else empty_after_fail = sane_is_empty_tensor(&x);
        onnx_tensor_free(&x);
    }
    free(b);
    if (st == EFFAD_OK) {
        CHECK_MSG(!why, "%s: %s", path, why ? why : "");
        t->ok++;
        return;
    }
    CHECK_MSG(e.msg[0] && e.status == st && empty_after_fail, "%s: refused without a message or left dirty", path);
    t->refused++;
    /* A few refusals, to see what kind of thing the reader turns down. */
    if (is_model && shown++ < 4) printf("  refused %s: %.160s\n", path + strlen(CORPUS) + 1, e.msg);
}

static void walk(const char *dir, int depth)
{
    DIR *d = opendir(dir);
    if (!d || depth > 8) { if (d) closedir(d); return; }
    struct dirent *ent;
    while ((ent = readdir(d))) {
        if (ent->d_name[0] == '.') continue;
        char path[1024];
        int len = snprintf(path, sizeof path, "%s/%s", dir, ent->d_name);
        if (len < 0 || (size_t)len >= sizeof path) continue;
        struct stat sb;
        if (stat(path, &sb)) continue;
        if (S_ISDIR(sb.st_mode)) walk(path, depth + 1);
        else if (!strcmp(ent->d_name, "model.onnx")) read_one(path, 1);
        else if (ends_with(ent->d_name, ".pb")) read_one(path, 0);
    }
    closedir(d);
}

int main(void)
{
    DIR *d = opendir(CORPUS);
    if (!d) {
        return check_skip("test-onnx-read-corpus", CORPUS " not found (apt-get install libonnx-testdata)");
    }
    closedir(d);
    walk(CORPUS, 0);
    printf("corpus: %d model.onnx decoded, %d refused; %d .pb decoded, %d refused; %d unreadable\n", models.ok,
           models.refused, tensors.ok, tensors.refused, models.unreadable + tensors.unreadable);
    CHECK(models.ok > 0);
    CHECK(tensors.ok > 0);
    CHECK_EQ_INT(models.unreadable + tensors.unreadable, 0);
    return check_done("test-onnx-read-corpus");
}
