/* The ONNX reader against fixtures written by tests/gen-onnx-fixtures.py:
 * decoded values against the .expect files onnx itself produced, every
 * truncation and many corruptions of each fixture, and the refusals that
 * must say exactly what is wrong. */
#include <stdlib.h>
#include "check.h"
#include "onnx-sane.h"
#include "onnx.h"

#define DATA "tests/data/onnx/"

/* ----------------------------------------------------- the .expect files */

/* Whitespace-separated words; "~" is the empty string and %XX a byte. */
typedef struct words { const char *p; char w[200]; } words;

static const char *word(words *ws)
{
    while (*ws->p == ' ' || *ws->p == '\n') ws->p++;
    size_t n = 0;
    while (*ws->p && *ws->p != ' ' && *ws->p != '\n') {
        char c = *ws->p++;
        if (c == '%' && ws->p[0] && ws->p[1]) {
            char hex[3] = { ws->p[0], ws->p[1], 0 };
            c = (char)strtol(hex, NULL, 16);
            ws->p += 2;
        }
        if (n + 1 < sizeof ws->w) ws->w[n++] = c;
    }
    ws->w[n] = '\0';
    if (!strcmp(ws->w, "~")) ws->w[0] = '\0';
    return ws->w;
}

static long long word_i(words *ws) { return strtoll(word(ws), NULL, 10); }
static unsigned long long word_u(words *ws) { return strtoull(word(ws), NULL, 10); }

static void expect_word(words *ws, const char *kw)
{
    const char *w = word(ws);
    CHECK_MSG(!strcmp(w, kw), "expect file: \"%s\" where \"%s\" belongs", w, kw);
}

/* One element as the script wrote it: floats as their bits, integers as
 * two's complement in 64 bits. */
static unsigned long long elem_key(const onnx_tensor *t, size_t i)
{
    const void *d = t->data;
    switch (t->dtype) {
    case ONNX_FLOAT: { uint32_t b; memcpy(&b, (const float *)d + i, 4); return b; }
    case ONNX_DOUBLE: { uint64_t b; memcpy(&b, (const double *)d + i, 8); return b; }
    case ONNX_INT8: return (uint64_t)(int64_t)((const int8_t *)d)[i];
    case ONNX_INT16: return (uint64_t)(int64_t)((const int16_t *)d)[i];
    case ONNX_INT32: return (uint64_t)(int64_t)((const int32_t *)d)[i];
    case ONNX_INT64: return (uint64_t)((const int64_t *)d)[i];
    case ONNX_UINT8: case ONNX_BOOL: return ((const uint8_t *)d)[i];
    case ONNX_UINT16: case ONNX_FLOAT16: case ONNX_BFLOAT16: return ((const uint16_t *)d)[i];
    case ONNX_UINT32: return ((const uint32_t *)d)[i];
    case ONNX_UINT64: return ((const uint64_t *)d)[i];
    default: return 0;
    }
}

static void check_tensor(words *ws, const onnx_tensor *t)
{
    CHECK_MSG(!strcmp(word(ws), t->name), "tensor name %s vs %s", ws->w, t->name);
    const char *name = t->name;
    CHECK_MSG(word_i(ws) == t->dtype, "%s: dtype %s", name, onnx_dtype_name(t->dtype));
    int ndim = (int)word_i(ws);
    CHECK_MSG(ndim == t->ndim, "%s: ndim %d vs %d", name, t->ndim, ndim);
    for (int d = 0; d < ndim; d++) {
        long long v = word_i(ws);
        CHECK_MSG(d < t->ndim && v == t->dims[d], "%s: dims[%d]", name, d);
    }
    CHECK_MSG(word_u(ws) == t->count, "%s: count %zu", name, t->count);
    size_t n = (size_t)word_u(ws);
    CHECK_MSG(n == 0 || t->data, "%s: no data", name);
    int bad = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned long long want = word_u(ws);
        if (t->data && i < t->count && elem_key(t, i) != want && bad++ < 3)
            CHECK_MSG(0, "%s[%zu]: %llu, want %llu", name, i, elem_key(t, i), want);
    }
    if (!bad) CHECK(1);
}

static void check_attr(words *ws, const onnx_attr *a)
{
    expect_word(ws, "attr");
    CHECK_MSG(!strcmp(word(ws), a->name), "attr %s vs %s", ws->w, a->name);
    long long type = word_i(ws);
    CHECK_MSG(type == a->type, "attr %s: type %d, want %lld", a->name, (int)a->type, type);
    switch (type) {
    case ONNX_ATTR_FLOAT: {
        uint32_t b; memcpy(&b, &a->f, 4);
        CHECK_MSG(word_u(ws) == b, "attr %s: f", a->name);
        break;
    }
    case ONNX_ATTR_INT: CHECK_MSG(word_u(ws) == (uint64_t)a->i, "attr %s: i = %lld", a->name, (long long)a->i); break;
    case ONNX_ATTR_STRING: {
        CHECK_MSG(a->s && !strcmp(word(ws), a->s), "attr %s: s", a->name);
        CHECK_EQ_INT(word_u(ws), a->s_len);
        break;
    }
    case ONNX_ATTR_TENSOR:
        CHECK(a->t != NULL);
        if (a->t) check_tensor(ws, a->t);
        break;
    case ONNX_ATTR_FLOATS: case ONNX_ATTR_INTS: {
        long long n = word_i(ws);
        CHECK_MSG(n == a->n, "attr %s: n = %d, want %lld", a->name, a->n, n);
        for (long long i = 0; i < n; i++) {
            unsigned long long want = word_u(ws), got = 0;
            if (i >= a->n) continue;
            if (type == ONNX_ATTR_INTS) got = (uint64_t)a->ints[i];
            else { uint32_t b; memcpy(&b, &a->floats[i], 4); got = b; }
            CHECK_MSG(got == want, "attr %s[%lld]: %llu, want %llu", a->name, i, got, want);
        }
        break;
    }
    default: break;
    }
}

static void check_value(words *ws, const onnx_value *v)
{
    expect_word(ws, "value");
    CHECK_MSG(!strcmp(word(ws), v->name), "value %s vs %s", ws->w, v->name);
    CHECK_MSG(word_i(ws) == v->dtype, "value %s: dtype", v->name);
    int ndim = (int)word_i(ws);
    CHECK_MSG(ndim == v->ndim, "value %s: ndim %d, want %d", v->name, v->ndim, ndim);
    for (int d = 0; d < ndim && d < ONNX_MAX_DIMS; d++) {
        const char *w = word(ws);
        if (w[0] == '@') CHECK_MSG(v->dims[d] < 0 && v->dim_param[d] && !strcmp(v->dim_param[d], w + 1),
                                   "value %s: dim %d should be symbol %s", v->name, d, w + 1);
        else if (w[0] == '?') CHECK_MSG(v->dims[d] < 0 && !v->dim_param[d], "value %s: dim %d unknown", v->name, d);
        else CHECK_MSG(v->dims[d] == strtoll(w, NULL, 10) && !v->dim_param[d], "value %s: dim %d", v->name, d);
    }
}

static void check_model(words *ws, const onnx_model *m)
{
    expect_word(ws, "ir_version");
    CHECK_EQ_INT(word_i(ws), m->ir_version);
    expect_word(ws, "producer");
    CHECK_MSG(!strcmp(word(ws), m->producer_name), "producer_name %s", m->producer_name);
    CHECK_MSG(!strcmp(word(ws), m->producer_version), "producer_version %s", m->producer_version);
    expect_word(ws, "graph");
    CHECK_MSG(!strcmp(word(ws), m->graph_name), "graph name %s", m->graph_name);
    expect_word(ws, "opsets");
    CHECK_EQ_INT(word_i(ws), m->n_opset);
    for (int i = 0; i < m->n_opset; i++) {
        expect_word(ws, "opset");
        CHECK_MSG(!strcmp(word(ws), m->opset[i].domain), "opset %d domain %s", i, m->opset[i].domain);
        long long version = word_i(ws);
        CHECK_EQ_INT(version, m->opset[i].version);
        /* The lookup answers with the same number, "" and "ai.onnx" alike. */
        CHECK_EQ_INT(onnx_opset_version(m, m->opset[i].domain), version);
        if (!*m->opset[i].domain) CHECK_EQ_INT(onnx_opset_version(m, "ai.onnx"), version);
    }
    CHECK_EQ_INT(onnx_opset_version(m, "no.such.domain"), -1);

    expect_word(ws, "nodes");
    CHECK_EQ_INT(word_i(ws), m->n_node);
    for (int i = 0; i < m->n_node; i++) {
        const onnx_node *nd = &m->node[i];
        expect_word(ws, "node");
        CHECK_MSG(!strcmp(word(ws), nd->name), "node %d name %s", i, nd->name);
        CHECK_MSG(!strcmp(word(ws), nd->op_type), "node %d op_type %s", i, nd->op_type);
        CHECK_MSG(!strcmp(word(ws), nd->domain), "node %d domain %s", i, nd->domain);
        CHECK_EQ_INT(word_i(ws), nd->n_in);
        for (int k = 0; k < nd->n_in; k++) CHECK_MSG(!strcmp(word(ws), nd->in[k]), "node %d in[%d]", i, k);
        CHECK_EQ_INT(word_i(ws), nd->n_out);
        for (int k = 0; k < nd->n_out; k++) CHECK_MSG(!strcmp(word(ws), nd->out[k]), "node %d out[%d]", i, k);
        CHECK_EQ_INT(word_i(ws), nd->n_attr);
        for (int k = 0; k < nd->n_attr; k++) {
            const onnx_attr *a = &nd->attr[k];
            check_attr(ws, a);
            CHECK(onnx_node_attr(nd, a->name) == a || onnx_node_attr(nd, a->name)->name == a->name ||
                  !strcmp(onnx_node_attr(nd, a->name)->name, a->name));
            if (a->type == ONNX_ATTR_INT) CHECK_EQ_INT(onnx_attr_int(nd, a->name, 99), a->i);
            if (a->type == ONNX_ATTR_FLOAT) CHECK(onnx_attr_float(nd, a->name, 99.0f) == a->f);
            if (a->type != ONNX_ATTR_INT) CHECK_EQ_INT(onnx_attr_int(nd, a->name, 99), 99);
            if (a->type != ONNX_ATTR_FLOAT) CHECK(onnx_attr_float(nd, a->name, 0.75f) == 0.75f);
        }
        CHECK(onnx_node_attr(nd, "no_such_attribute") == NULL);
        CHECK_EQ_INT(onnx_attr_int(nd, "no_such_attribute", -3), -3);
    }
    expect_word(ws, "inits");
    CHECK_EQ_INT(word_i(ws), m->n_init);
    for (int i = 0; i < m->n_init; i++) {
        expect_word(ws, "init");
        check_tensor(ws, &m->init[i]);
    }
    const char *kw[3] = { "inputs", "outputs", "value_infos" };
    const onnx_value *lists[3] = { m->input, m->output, m->value_info };
    int counts[3] = { m->n_input, m->n_output, m->n_value_info };
    for (int l = 0; l < 3; l++) {
        expect_word(ws, kw[l]);
        CHECK_EQ_INT(word_i(ws), counts[l]);
        for (int i = 0; i < counts[l]; i++) check_value(ws, &lists[l][i]);
    }
    CHECK_MSG(!*word(ws), "expect file has more: %s", ws->w);
}

static char *read_text(const char *path)
{
    size_t n;
    uint8_t *b = sane_read_file(path, &n);
    if (!b) return NULL;
    char *s = realloc(b, n + 1);
    if (!s) { free(b); return NULL; }
    s[n] = '\0';
    return s;
}

static void test_all_fields(void)
{
    size_t n;
    uint8_t *bytes = sane_read_file(DATA "all-fields.onnx", &n);
    char *expect = read_text(DATA "all-fields.expect");
    CHECK_MSG(bytes && expect, "fixtures missing: run /usr/bin/python3 tests/gen-onnx-fixtures.py");
    if (!bytes || !expect) { free(bytes); free(expect); return; }
    onnx_model m;
    effad_error e = { 0, "" };
    effad_status st = onnx_model_read(bytes, n, &m, &e);
    CHECK_MSG(st == EFFAD_OK, "%s", e.msg);
    if (st == EFFAD_OK) {
        const char *why = sane_model(&m);
        CHECK_MSG(!why, "%s", why ? why : "");
        words ws = { expect, "" };
        check_model(&ws, &m);
    }
    onnx_model_free(&m);
    CHECK(sane_is_empty_model(&m));
    onnx_model_free(&m);   /* twice is harmless */
    free(bytes);
    free(expect);
}

static void test_tensor_pb(void)
{
    size_t n;
    uint8_t *bytes = sane_read_file(DATA "tensor.pb", &n);
    char *expect = read_text(DATA "tensor.expect");
    CHECK(bytes && expect);
    if (bytes && expect) {
        onnx_tensor t;
        effad_error e = { 0, "" };
        CHECK_MSG(onnx_tensor_read(bytes, n, &t, &e) == EFFAD_OK, "%s", e.msg);
        words ws = { expect, "" };
        check_tensor(&ws, &t);
        onnx_tensor_free(&t);
    }
    free(bytes);
    free(expect);
}

static void test_dtypes(void)
{
    CHECK_EQ_INT(onnx_dtype_size(ONNX_FLOAT), sizeof(float));
    CHECK_EQ_INT(onnx_dtype_size(ONNX_DOUBLE), sizeof(double));
    CHECK_EQ_INT(onnx_dtype_size(ONNX_BOOL), 1);
    CHECK_EQ_INT(onnx_dtype_size(ONNX_FLOAT16), 2);
    CHECK_EQ_INT(onnx_dtype_size(ONNX_INT64), 8);
    CHECK_EQ_INT(onnx_dtype_size(ONNX_STRING), 0);
    CHECK_EQ_INT(onnx_dtype_size(ONNX_COMPLEX64), 0);
    CHECK_EQ_INT(onnx_dtype_size((onnx_dtype)99), 0);
    CHECK(!strcmp(onnx_dtype_name(ONNX_BFLOAT16), "BFLOAT16"));
    CHECK(!strcmp(onnx_dtype_name((onnx_dtype)99), "UNKNOWN"));
    CHECK(onnx_node_attr(NULL, "x") == NULL);
    CHECK_EQ_INT(onnx_opset_version(NULL, ""), -1);
}

/* ------------------------------------------- the real backend test data */

#define RELU_DIR "/usr/include/onnx/backend/test/data/node/test_relu/test_data_set_0/"

static void test_relu_pb(void)
{
    size_t n_in, n_out;
    uint8_t *in = sane_read_file(RELU_DIR "input_0.pb", &n_in);
    uint8_t *out = sane_read_file(RELU_DIR "output_0.pb", &n_out);
    if (!in || !out) {
        printf("note: %s not found (package libonnx-testdata); relu .pb check skipped\n", RELU_DIR);
        free(in); free(out);
        return;
    }
    onnx_tensor x, y;
    effad_error e = { 0, "" };
    CHECK_MSG(onnx_tensor_read(in, n_in, &x, &e) == EFFAD_OK, "%s", e.msg);
    CHECK_MSG(onnx_tensor_read(out, n_out, &y, &e) == EFFAD_OK, "%s", e.msg);
    CHECK_EQ_INT(x.dtype, ONNX_FLOAT);
    CHECK_EQ_INT(x.count, 60);                 /* 3x4x5 in onnx's test_relu */
    CHECK(x.count == y.count && x.ndim == y.ndim);
    /* The two files agree with each other only if both were read right. */
    int bad = 0;
    for (size_t i = 0; x.data && y.data && i < x.count && i < y.count; i++) {
        float a = ((float *)x.data)[i], b = ((float *)y.data)[i];
        if (b != (a > 0 ? a : 0.0f)) bad++;
    }
    CHECK_EQ_INT(bad, 0);
    onnx_tensor_free(&x);
    onnx_tensor_free(&y);
    free(in); free(out);
}

/* --------------------------------------------- malformed input, en masse */

typedef struct fuzz_tally { int ok, refused, insane, silent, dirty; } fuzz_tally;

static void decode_once(const uint8_t *b, size_t n, int as_tensor, fuzz_tally *tally)
{
    effad_error e = { 0, "" };
    const char *why = NULL;
    effad_status st;
    if (as_tensor) {
        onnx_tensor t;
        st = onnx_tensor_read(b, n, &t, &e);
        if (st == EFFAD_OK) why = sane_tensor(&t);
        else if (!sane_is_empty_tensor(&t)) tally->dirty++;
        onnx_tensor_free(&t);
    } else {
        onnx_model m;
        st = onnx_model_read(b, n, &m, &e);
        if (st == EFFAD_OK) why = sane_model(&m);
        else if (!sane_is_empty_model(&m)) tally->dirty++;
        onnx_model_free(&m);
    }
    if (st == EFFAD_OK && why) { tally->insane++; fprintf(stderr, "insane decode: %s\n", why); }
    else if (st == EFFAD_OK) tally->ok++;
    else if (!e.msg[0] || e.status != st) tally->silent++;
    else tally->refused++;
}

static void fuzz_file(const char *name, int as_tensor)
{
    char path[256];
    snprintf(path, sizeof path, DATA "%s", name);
    size_t n;
    uint8_t *orig = sane_read_file(path, &n);
    CHECK_MSG(orig != NULL, "missing %s", path);
    if (!orig) return;
    fuzz_tally prefix = { 0 }, flip = { 0 };
    /* Each prefix in its own exact-size buffer, so ASan sees a read one
     * byte past the end. */
    for (size_t len = 0; len < n; len++) {
        uint8_t *b = malloc(len ? len : 1);
        if (!b) break;
        memcpy(b, orig, len);
        decode_once(b, len, as_tensor, &prefix);
        free(b);
    }
    /* Every byte with a few bits flipped, and every byte's low three bits
     * (the wire type, where the byte is a key) set to each value. */
    static const uint8_t masks[] = { 0x01, 0x02, 0x40, 0x80, 0xff };
    uint8_t *b = malloc(n);
    for (size_t i = 0; b && i < n; i++) {
        for (size_t k = 0; k < sizeof masks + 8; k++) {
            memcpy(b, orig, n);
            b[i] = k < sizeof masks ? (uint8_t)(orig[i] ^ masks[k]) : (uint8_t)((orig[i] & ~7u) | (k - sizeof masks));
            if (b[i] == orig[i]) continue;
            decode_once(b, n, as_tensor, &flip);
        }
    }
    free(b);
    free(orig);
    printf("%s: %zu prefixes (%d decode, %d refused); %d corruptions (%d decode, %d refused)\n", name, n,
           prefix.ok, prefix.refused, flip.ok + flip.refused + flip.insane + flip.silent + flip.dirty, flip.ok,
           flip.refused);
    CHECK_MSG(prefix.insane + prefix.silent + prefix.dirty == 0, "%s prefixes: %d insane, %d silent, %d dirty", name,
              prefix.insane, prefix.silent, prefix.dirty);
    CHECK_MSG(flip.insane + flip.silent + flip.dirty == 0, "%s flips: %d insane, %d silent, %d dirty", name,
              flip.insane, flip.silent, flip.dirty);
    CHECK_MSG(prefix.refused > 0, "%s: no prefix was refused", name);
}

/* ----------------------------------------------- refusals, one by one */

static void expect_refusal(const char *what, effad_status st, effad_status want_st, const effad_error *e,
                           const char *want1, const char *want2)
{
    /* Shorter than check.h's message buffer, which -Wformat-truncation minds. */
    char msg[400];
    memcpy(msg, e->msg, sizeof msg - 1);
    msg[sizeof msg - 1] = '\0';
    CHECK_MSG(st == want_st, "%s: status %s (%s)", what, effad_status_name(st), msg);
    CHECK_STR_CONTAINS(msg, want1);
    if (want2) CHECK_STR_CONTAINS(msg, want2);
}

static void refuse_file(const char *name, effad_status want_st, const char *want1, const char *want2)
{
    char path[256];
    snprintf(path, sizeof path, DATA "%s", name);
    size_t n;
    uint8_t *b = sane_read_file(path, &n);
    CHECK_MSG(b != NULL, "missing %s", path);
    if (!b) return;
    onnx_model m;
    effad_error e = { 0, "" };
    effad_status st = onnx_model_read(b, n, &m, &e);
    expect_refusal(name, st, want_st, &e, want1, want2);
    CHECK(sane_is_empty_model(&m));
    onnx_model_free(&m);
    free(b);
}

/* A protobuf writer small enough to build each broken message by hand. */
typedef struct pb_out { uint8_t b[256]; size_t n; } pb_out;

static void out_varint(pb_out *o, uint64_t v)
{
    do { o->b[o->n++] = (uint8_t)((v & 0x7f) | (v > 0x7f ? 0x80 : 0)); v >>= 7; } while (v);
}
static void out_key(pb_out *o, uint32_t num, int wire) { out_varint(o, (uint64_t)num << 3 | (unsigned)wire); }
static void out_int(pb_out *o, uint32_t num, int64_t v) { out_key(o, num, 0); out_varint(o, (uint64_t)v); }
static void out_bytes(pb_out *o, uint32_t num, const void *p, size_t n)
{
    out_key(o, num, 2); out_varint(o, n); memcpy(o->b + o->n, p, n); o->n += n;
}
static void out_str(pb_out *o, uint32_t num, const char *s) { out_bytes(o, num, s, strlen(s)); }
static void out_msg(pb_out *o, uint32_t num, const pb_out *m) { out_bytes(o, num, m->b, m->n); }

static effad_status read_model(const pb_out *o, effad_error *e)
{
    onnx_model m;
    effad_status st = onnx_model_read(o->b, o->n, &m, e);
    if (st) CHECK(sane_is_empty_model(&m));
    onnx_model_free(&m);
    return st;
}

/* A model whose one graph holds the given initializer. */
static effad_status read_with_init(const pb_out *tensor, effad_error *e)
{
    pb_out g = { .n = 0 }, m = { .n = 0 };
    out_msg(&g, 5, tensor);
    out_int(&m, 1, 8);
    out_msg(&m, 7, &g);
    return read_model(&m, e);
}

static void test_refusals(void)
{
    refuse_file("external.onnx", EFFAD_ERR_UNSUPPORTED, "graph.initializer[0] (k): tensor 'k'", "'weights.bin'");
    refuse_file("sparse.onnx", EFFAD_ERR_UNSUPPORTED, "graph.sparse_initializer[0]", "sparse initializers");
    refuse_file("mismatch.onnx", EFFAD_ERR_FORMAT, "initializer[0] (k)", "dims give 6 elements but float_data holds 5");
    refuse_file("mismatch-raw.onnx", EFFAD_ERR_FORMAT, "tensor 'k'", "raw_data holds 20 bytes");

    effad_error e = { 0, "" };
    effad_status st;
    pb_out o = { .n = 0 };
    /* ir_version as an eleven-byte varint. */
    out_key(&o, 1, 0);
    for (int i = 0; i < 10; i++) o.b[o.n++] = 0xff;
    o.b[o.n++] = 0x01;
    st = read_model(&o, &e);
    expect_refusal("varint overflow", st, EFFAD_ERR_FORMAT, &e, "model: varint longer than 64 bits at byte 1", NULL);

    /* A graph whose length runs past the end of the file. */
    o.n = 0;
    out_int(&o, 1, 8);
    out_key(&o, 7, 2);
    out_varint(&o, 50);
    o.b[o.n++] = 0x0a;
    st = read_model(&o, &e);
    expect_refusal("length past end", st, EFFAD_ERR_FORMAT, &e, "model: truncated length-delimited field at byte 2", NULL);

    /* Deep inside: a string attribute whose length overshoots its own
     * message (though not the file), named by its full path. */
    pb_out a = { .n = 0 }, nd = { .n = 0 }, g = { .n = 0 };
    out_str(&a, 1, "pads");
    size_t s_at = a.n;
    out_key(&a, 4, 2); out_varint(&a, 9); a.b[a.n++] = 'x';
    out_str(&nd, 3, "Conv_34");
    out_str(&nd, 4, "Conv");
    out_msg(&nd, 5, &a);
    o.n = 0;
    out_int(&o, 1, 8);
    size_t g_at = o.n;
    out_str(&g, 2, "g");
    size_t nd_key_at = g.n;
    out_msg(&g, 1, &nd);
    out_msg(&o, 7, &g);
    /* Counted by hand: graph key and length, node key and length, the two
     * strings before the attribute, the attribute's key and length. */
    size_t want_at = g_at + 2 + nd_key_at + 2 + (2 + 7) + (2 + 4) + 2 + s_at;
    char want[128];
    snprintf(want, sizeof want, "graph.node[0] (Conv_34).attribute[0] (pads): truncated length-delimited field at byte %zu",
             want_at);
    st = read_model(&o, &e);
    expect_refusal("nested truncation", st, EFFAD_ERR_FORMAT, &e, want, NULL);

    /* No graph at all, and two. */
    o.n = 0;
    out_int(&o, 1, 8);
    st = read_model(&o, &e);
    expect_refusal("no graph", st, EFFAD_ERR_FORMAT, &e, "no graph", NULL);
    g.n = 0;
    out_str(&g, 2, "g");
    out_msg(&o, 7, &g);
    out_msg(&o, 7, &g);
    st = read_model(&o, &e);
    expect_refusal("two graphs", st, EFFAD_ERR_FORMAT, &e, "more than one graph", NULL);

    /* A group, deprecated in proto2 and never written by onnx. */
    o.n = 0;
    out_key(&o, 9, 3);
    out_key(&o, 9, 4);
    st = read_model(&o, &e);
    expect_refusal("group", st, EFFAD_ERR_FORMAT, &e, "group wire type", "at byte 0");

    /* A known field in a wire type its type cannot have. */
    pb_out t = { .n = 0 };
    out_int(&t, 8, 5);
    st = read_with_init(&t, &e);
    expect_refusal("wire mismatch", st, EFFAD_ERR_FORMAT, &e, "graph.initializer[0]: name (field 8) has wire type 0", NULL);

    /* Tensors: the ways dims, dtype and data can disagree. */
    t.n = 0;
    for (int i = 0; i < 9; i++) out_int(&t, 1, 1);
    out_int(&t, 2, ONNX_FLOAT);
    out_str(&t, 8, "w9");
    st = read_with_init(&t, &e);
    expect_refusal("nine dims", st, EFFAD_ERR_UNSUPPORTED, &e, "initializer[0] (w9)", "more than 8 dims");

    t.n = 0;
    out_int(&t, 1, 2);
    out_str(&t, 8, "nodtype");
    out_int(&t, 7, 1); out_int(&t, 7, 2);
    st = read_with_init(&t, &e);
    expect_refusal("no data_type", st, EFFAD_ERR_FORMAT, &e, "tensor 'nodtype': data_type is missing", NULL);

    t.n = 0;
    out_int(&t, 1, 2);
    out_int(&t, 2, ONNX_FLOAT);
    out_str(&t, 8, "wrongfield");
    out_int(&t, 7, 1); out_int(&t, 7, 2);
    st = read_with_init(&t, &e);
    expect_refusal("wrong field", st, EFFAD_ERR_FORMAT, &e, "tensor 'wrongfield': int64_data given for a FLOAT tensor", NULL);

    t.n = 0;
    out_int(&t, 1, 1);
    out_int(&t, 2, ONNX_INT64);
    out_str(&t, 8, "both");
    out_int(&t, 7, 1);
    out_bytes(&t, 9, "\1\0\0\0\0\0\0\0", 8);
    st = read_with_init(&t, &e);
    expect_refusal("raw and typed", st, EFFAD_ERR_FORMAT, &e, "tensor 'both': both raw_data and int64_data", NULL);

    t.n = 0;
    out_int(&t, 1, 2);
    out_int(&t, 2, ONNX_INT8);
    out_str(&t, 8, "i8");
    out_int(&t, 5, 1); out_int(&t, 5, 300);
    st = read_with_init(&t, &e);
    expect_refusal("int8 range", st, EFFAD_ERR_FORMAT, &e, "tensor 'i8': int32_data[1] = 300 does not fit INT8", NULL);

    t.n = 0;
    out_int(&t, 1, -3);
    out_int(&t, 2, ONNX_FLOAT);
    out_str(&t, 8, "neg");
    st = read_with_init(&t, &e);
    expect_refusal("negative dim", st, EFFAD_ERR_FORMAT, &e, "tensor 'neg': negative dimension", NULL);

    t.n = 0;
    out_int(&t, 1, (int64_t)1 << 40); out_int(&t, 1, (int64_t)1 << 40);
    out_int(&t, 2, ONNX_FLOAT);
    out_str(&t, 8, "huge");
    st = read_with_init(&t, &e);
    expect_refusal("dims overflow", st, EFFAD_ERR_FORMAT, &e, "tensor 'huge': dims multiply", NULL);

    t.n = 0;
    out_int(&t, 1, 2);
    out_int(&t, 2, 77);
    out_str(&t, 8, "future");
    st = read_with_init(&t, &e);
    expect_refusal("unknown dtype", st, EFFAD_ERR_UNSUPPORTED, &e, "tensor 'future': data_type not known", NULL);

    /* An attribute without a type that sets two values cannot be typed. */
    a.n = 0;
    out_str(&a, 1, "twice");
    out_int(&a, 3, 1);
    a.b[a.n++] = 0x15; a.b[a.n++] = 0; a.b[a.n++] = 0; a.b[a.n++] = 0; a.b[a.n++] = 0;
    nd.n = 0;
    out_msg(&nd, 5, &a);
    g.n = 0;
    out_msg(&g, 1, &nd);
    o.n = 0;
    out_msg(&o, 7, &g);
    st = read_model(&o, &e);
    expect_refusal("ambiguous attribute", st, EFFAD_ERR_FORMAT, &e, "graph.node[0].attribute[0] (twice)",
                   "has no type and sets more than one value");

    /* The same refusal reaches onnx_tensor_read's callers, rooted there. */
    onnx_tensor tt;
    t.n = 0;
    out_int(&t, 1, 1);
    out_int(&t, 2, ONNX_FLOAT);
    out_str(&t, 8, "ext");
    out_int(&t, 14, 1);
    st = onnx_tensor_read(t.b, t.n, &tt, &e);
    expect_refusal("tensor external", st, EFFAD_ERR_UNSUPPORTED, &e, "tensor (ext): tensor 'ext' keeps its data in an external file", NULL);
    CHECK(sane_is_empty_tensor(&tt));
    st = onnx_tensor_read(NULL, 5, &tt, &e);
    CHECK_EQ_INT(st, EFFAD_ERR_ARG);
    st = onnx_model_read(NULL, 0, NULL, NULL);
    CHECK_EQ_INT(st, EFFAD_ERR_ARG);
}

int main(void)
{
    test_dtypes();
    test_all_fields();
    test_tensor_pb();
    test_relu_pb();
    test_refusals();
    fuzz_file("all-fields.onnx", 0);
    fuzz_file("tensor.pb", 1);
    fuzz_file("external.onnx", 0);
    fuzz_file("mismatch.onnx", 0);
    return check_done("test-onnx-read");
}
