/*
 * onnx-backend-check -- ONNX's own backend tests, run by effad's own code.
 *
 *   onnx-backend-check [--list] DIR...
 *
 * Each DIR is one backend test (model.onnx + test_data_set_N/{input,
 * output}_K.pb). The model is read by convert/onnx-read.c, the tensors by
 * its TensorProto decoder, the graph built and folded by convert/graph.c,
 * every node checked by convert_node_supported() (the converter's one
 * place for "supported or not") and lowered by convert/lower.c; then the
 * nodes are executed:
 *   - float operators on the ops/ kernels of the ISA chosen by EFFAD_ISA
 *     (default: the best this CPU runs), NCHW tensors turned into the
 *     engine's HWC layout around each call, weights re-laid as the .efm
 *     writer lays them;
 *   - integer and shape operators (and the float ones the evaluator knows)
 *     through ceval_node(), the converter's constant evaluator.
 * Outputs are compared with ONNX's tolerance |got - want| <= 1e-7 +
 * 1e-3 |want|, shapes and dtypes exactly. One line per directory:
 *   PASS name max_abs_err | FAIL name why | SKIP name why
 * then "N passed, N failed, N skipped"; the exit status is 1 on any FAIL.
 *
 * --list prints the directories whose model uses only operators effad
 * knows (convert_op_known), one a line: `make conformance` runs those.
 * --isas prints the ISA names this machine runs, one a line.
 */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "onnx.h"
#include "ctensor.h"
#include "graph.h"
#include "layers.h"
#include "support.h"
#include "dispatch.h"

/* ------------------------------------------------------------- kernels */

/* Kernels the dispatch table does not carry yet (general broadcasting
 * binary ops, constant Pad): the scalar reference serves every ISA until a
 * SIMD variant exists; adding one means adding a row here. */
typedef struct ext_kernels {
    ops_status (*binary)(const ops_binary_args *a);
    ops_status (*pad)(const ops_pad_args *a);
} ext_kernels;

static const ext_kernels ext_scalar = { f32_binary_scalar, f32_pad_scalar };

static const ops_kernels *K;     /* the ISA under test */
static const ext_kernels *KX;

/* -------------------------------------------------------------- files */

static uint8_t *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f) return 0;
    uint8_t *p = 0;
    long len = -1;
    if (!fseek(f, 0, SEEK_END)) len = ftell(f);
    if (len >= 0 && !fseek(f, 0, SEEK_SET)) p = malloc((size_t)len + 1);
    if (p && fread(p, 1, (size_t)len, f) != (size_t)len) { free(p); p = 0; }
    fclose(f);
    if (p) *n = (size_t)len;
    return p;
}

static effad_status read_pb(const char *path, onnx_tensor *t, effad_error *e)
{
    size_t n = 0;
    uint8_t *b = slurp(path, &n);
    memset(t, 0, sizeof *t);
    if (!b) return effad_fail(e, EFFAD_ERR_IO, "cannot read %s", path);
    effad_status s = onnx_tensor_read(b, n, t, e);
    free(b);
    if (s) effad_error_prefix(e, path);
    return s;
}

static int file_exists(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f) fclose(f);
    return f != 0;
}

/* ------------------------------------------------------------ the run */

typedef struct run {
    onnx_model om;
    graph g;
    layer_net net;
    int *node_layer;        /* per node: its layer, or -1 (folded) */
    ctensor *rv;            /* runtime value of each graph value */
    int *rv_set;
} run;

static const ctensor *value(const run *r, int v)
{
    if (v < 0) return 0;
    if (r->g.val[v].t.has_data) return &r->g.val[v].t;
    return r->rv_set[v] ? &r->rv[v] : 0;
}

static effad_status set_value(run *r, int v, ctensor *t)
{
    if (v < 0) { ctensor_free(t); return EFFAD_OK; }
    ctensor_free(&r->rv[v]);
    r->rv[v] = *t;
    r->rv_set[v] = 1;
    memset(t, 0, sizeof *t);
    return EFFAD_OK;
}

static effad_status new_f32(ctensor *t, int nd, const int64_t *dims, const float *src, effad_error *e)
{
    effad_status s = ctensor_alloc(t, ONNX_FLOAT, nd, dims, e);
    if (s) return s;
    for (size_t k = 0; k < t->count; k++) t->f[k] = src[k];
    return EFFAD_OK;
}

static effad_status kernel_fail(ops_status st, const char *what, effad_error *e)
{
    return effad_fail(e, EFFAD_ERR_ARG, "%s kernel (%s) returned %d", what, K->name, (int)st);
}

/* NCHW (one image) <-> HWC: the engine's layout around the GEMM and
 * depthwise calls, and every kernel's output. */
static void chw_to_hwc(const float *src, int c, size_t hw, float *dst)
{
    for (int ch = 0; ch < c; ch++)
        for (size_t p = 0; p < hw; p++) dst[p * (size_t)c + (size_t)ch] = src[(size_t)ch * hw + p];
}

static void hwc_to_chw(const float *src, int c, size_t hw, float *dst)
{
    for (int ch = 0; ch < c; ch++)
        for (size_t p = 0; p < hw; p++) dst[(size_t)ch * hw + p] = src[p * (size_t)c + (size_t)ch];
}

/* ------------------------------------------------------- convolution */

/* Weights re-laid as convert/efm-write.c does and the conv run on the
 * kernel the engine would pick: GEMM for 1x1, depthwise, or general. */
static effad_status exec_conv(run *r, const layer *L, const ctensor *x, ctensor *y, effad_error *e)
{
    const int n = (int)x->dims[0], c = L->cin, h = (int)x->dims[2], w = (int)x->dims[3];
    const int oh = ops_conv_out_dim(h, L->kh, L->stride_h, L->dil_h, L->pads[0], L->pads[2]);
    const int ow = ops_conv_out_dim(w, L->kw, L->stride_w, L->dil_w, L->pads[1], L->pads[3]);
    const int oc = L->cout, icg = L->cin / L->groups;
    (void)r;
    if (oh < 1 || ow < 1) return effad_fail(e, EFFAD_ERR_FORMAT, "convolution has no output pixels");
    int depthwise = L->groups == L->cin && L->cin == L->cout && L->groups > 1;
    int pointwise = L->kh == 1 && L->kw == 1 && L->groups == 1 && L->stride_h == 1 && L->stride_w == 1 &&
                    !L->pads[0] && !L->pads[1] && !L->pads[2] && !L->pads[3];
    size_t wcount = (size_t)L->kh * L->kw * icg * oc;
    float *wt = malloc(sizeof(float) * wcount);
    float *in = malloc(sizeof(float) * (size_t)h * w * c + 1);
    float *out = malloc(sizeof(float) * (size_t)oh * ow * oc + 1);
    float *xin = ctensor_to_f32(x), *res = malloc(sizeof(float) * (size_t)n * oc * oh * ow + 1);
    void *scratch = 0;
    effad_status s = EFFAD_OK;
    if (!wt || !in || !out || !xin || !res) { s = effad_fail(e, EFFAD_ERR_NOMEM, "out of memory"); goto done; }
    for (int o = 0; o < oc; o++)   /* OIHW -> HWIO; for depthwise icg == 1, so [kh][kw][c] */
        for (int ci = 0; ci < icg; ci++)
            for (int ky = 0; ky < L->kh; ky++)
                for (int kx = 0; kx < L->kw; kx++)
                    wt[(((size_t)ky * L->kw + kx) * icg + ci) * oc + o] = L->w[(((size_t)o * icg + ci) * L->kh + ky) * L->kw + kx];
    if (pointwise) {
        size_t sb = K->f32->gemm_buffer_size((size_t)h * w, (size_t)oc, (size_t)c);
        if (sb && !(scratch = malloc(sb))) { s = effad_fail(e, EFFAD_ERR_NOMEM, "out of memory"); goto done; }
    }
    ops_conv_geom geom = { L->kh, L->kw, L->stride_h, L->stride_w, L->dil_h, L->dil_w,
                           L->pads[0], L->pads[1], L->pads[2], L->pads[3] };
    for (int b = 0; b < n; b++) {
        /* the general conv reads the image where it lies, as the engine's
         * stem does (ops_conv_args.in_plane); the others take HWC */
        const float *img = xin + (size_t)b * c * h * w;
        if (pointwise || depthwise) chw_to_hwc(img, c, (size_t)h * w, in);
        ops_status st;
        if (pointwise) {
            ops_gemm_args a = { (size_t)h * w, (size_t)oc, (size_t)c, in, (size_t)c, 0, wt, (size_t)oc, L->b,
                                L->act, 0, 0, out, (size_t)oc, 0 };
            st = K->f32->gemm(&a, scratch);
        } else if (depthwise) {
            ops_dwconv_args a = { in, { h, w, c }, wt, L->b, geom, L->act, out, { oh, ow, oc }, 0, oh, 0, 0 };
            st = K->f32->dwconv(&a);
        } else {
            ops_conv_args a = { img, { h, w, c }, wt, L->b, geom, L->groups, L->act, out, { oh, ow, oc }, 0, oh,
                                (size_t)h * w };
            st = K->f32->conv(&a);
        }
        if (st) { s = kernel_fail(st, pointwise ? "gemm" : depthwise ? "dwconv" : "conv", e); goto done; }
        hwc_to_chw(out, oc, (size_t)oh * ow, res + (size_t)b * oc * oh * ow);
    }
    int64_t dims[4] = { n, oc, oh, ow };
    s = new_f32(y, 4, dims, res, e);
done:
    free(wt); free(in); free(out); free(xin); free(res); free(scratch);
    return s;
}

/* BatchNormalization as the converter folds it, y = x * scale + shift per
 * channel: a 1x1 depthwise convolution on the depthwise kernel. */
static effad_status exec_bn(const layer *L, const ctensor *x, ctensor *y, effad_error *e)
{
    if (x->ndim < 2 || x->dims[1] != L->cout) return effad_fail(e, EFFAD_ERR_FORMAT, "BatchNormalization: channels differ");
    const int n = (int)x->dims[0], c = (int)x->dims[1];
    size_t hw = x->count / ((size_t)n * (size_t)c);
    float *xin = ctensor_to_f32(x), *in = malloc(sizeof(float) * hw * c + 1), *out = malloc(sizeof(float) * hw * c + 1);
    float *sc = malloc(sizeof(float) * (size_t)c), *sh = malloc(sizeof(float) * (size_t)c);
    float *res = malloc(sizeof(float) * x->count + 1);
    effad_status s = EFFAD_OK;
    if (!xin || !in || !out || !sc || !sh || !res) { s = effad_fail(e, EFFAD_ERR_NOMEM, "out of memory"); goto done; }
    for (int k = 0; k < c; k++) { sc[k] = (float)L->bn_scale[k]; sh[k] = (float)L->bn_shift[k]; }
    ops_conv_geom geom = { 1, 1, 1, 1, 1, 1, 0, 0, 0, 0 };
    for (int b = 0; b < n; b++) {
        chw_to_hwc(xin + (size_t)b * c * hw, c, hw, in);
        ops_act none = { OPS_ACT_NONE, 0, 0 };
        ops_dwconv_args a = { in, { (int)hw, 1, c }, sc, sh, geom, none, out, { (int)hw, 1, c }, 0, (int)hw, 0, 0 };
        ops_status st = K->f32->dwconv(&a);
        if (st) { s = kernel_fail(st, "dwconv", e); goto done; }
        hwc_to_chw(out, c, hw, res + (size_t)b * c * hw);
    }
    s = new_f32(y, x->ndim, x->dims, res, e);
done:
    free(xin); free(in); free(out); free(sc); free(sh); free(res);
    return s;
}

/* ---------------------------------------------- activations, pooling */

static effad_status exec_act(const layer *L, const ctensor *x, ctensor *y, effad_error *e)
{
    float *buf = ctensor_to_f32(x);
    if (!buf) return effad_fail(e, EFFAD_ERR_NOMEM, "out of memory");
    ops_status st = K->f32->act(buf, x->count, L->act);
    effad_status s = st ? kernel_fail(st, "act", e) : new_f32(y, x->ndim, x->dims, buf, e);
    free(buf);
    return s;
}

/* Mean over the axes in mark[] (a ReduceMean, or the spatial axes of a
 * GlobalAveragePool): the data is permuted so that reduced axes come
 * first, [R][K], which is the [pixels][channels] mean_hw kernel reads. */
static effad_status exec_mean(const ctensor *x, const int *mark, int keepdims, ctensor *y, effad_error *e)
{
    int perm[ONNX_MAX_DIMS], np = 0, nd = 0;
    int64_t dims[ONNX_MAX_DIMS];
    size_t rn = 1, kn = 1;
    for (int d = 0; d < x->ndim; d++) if (mark[d]) { perm[np++] = d; rn *= (size_t)x->dims[d]; }
    for (int d = 0; d < x->ndim; d++) if (!mark[d]) { perm[np++] = d; kn *= (size_t)x->dims[d]; }
    for (int d = 0; d < x->ndim; d++) { if (!mark[d]) dims[nd++] = x->dims[d]; else if (keepdims) dims[nd++] = 1; }
    if (!rn) return effad_fail(e, EFFAD_ERR_UNSUPPORTED, "mean over an empty axis");
    float *in = malloc(sizeof(float) * x->count + 1), *out = malloc(sizeof(float) * kn + 1);
    effad_status s = EFFAD_OK;
    if (!in || !out) { s = effad_fail(e, EFFAD_ERR_NOMEM, "out of memory"); goto done; }
    size_t stride[ONNX_MAX_DIMS], idx[ONNX_MAX_DIMS] = { 0 };
    for (int d = x->ndim - 1, acc = 1; d >= 0; d--) { stride[d] = (size_t)acc; acc *= (int)x->dims[d]; }
    for (size_t q = 0; q < x->count; q++) {   /* q walks the permuted order */
        size_t off = 0;
        for (int k = 0; k < x->ndim; k++) off += idx[k] * stride[perm[k]];
        in[q] = (float)x->f[off];
        for (int k = x->ndim - 1; k >= 0; k--) { if (++idx[k] < (size_t)x->dims[perm[k]]) break; idx[k] = 0; }
    }
    ops_status st = K->f32->mean_hw(in, rn, kn, out);
    s = st ? kernel_fail(st, "mean_hw", e) : new_f32(y, nd, dims, out, e);
done:
    free(in); free(out);
    return s;
}

static effad_status exec_reduce_mean(const run *r, int ni, const ctensor *x, ctensor *y, effad_error *e)
{
    const onnx_node *n = &r->om.node[ni];
    int mark[ONNX_MAX_DIMS] = { 0 }, na = 0;
    const onnx_attr *a = onnx_node_attr(n, "axes");
    const ctensor *t = n->n_in > 1 ? value(r, r->g.node_in[ni][1]) : 0;
    int64_t axes[ONNX_MAX_DIMS];
    if (a && a->type == ONNX_ATTR_INTS && a->n <= ONNX_MAX_DIMS) { na = a->n; for (int k = 0; k < na; k++) axes[k] = a->ints[k]; }
    else if (t && t->count <= ONNX_MAX_DIMS) { na = (int)t->count; for (int k = 0; k < na; k++) axes[k] = ctensor_get_i(t, (size_t)k); }
    for (int k = 0; k < na; k++) {
        int64_t ax = axes[k] < 0 ? axes[k] + x->ndim : axes[k];
        if (ax < 0 || ax >= x->ndim) return effad_fail(e, EFFAD_ERR_FORMAT, "ReduceMean: axis %lld out of range", (long long)axes[k]);
        mark[ax] = 1;
    }
    if (!na) for (int k = 0; k < x->ndim; k++) mark[k] = 1;   /* no axes: reduce all */
    return exec_mean(x, mark, (int)onnx_attr_int(n, "keepdims", 1), y, e);
}

static effad_status exec_pad(const layer *L, const ctensor *x, ctensor *y, effad_error *e)
{
    ops_pad_args a;
    memset(&a, 0, sizeof a);
    a.rank = x->ndim;
    if (L->pad_n != 2 * x->ndim) return effad_fail(e, EFFAD_ERR_FORMAT, "Pad: %d pads for rank %d", L->pad_n, x->ndim);
    int64_t dims[ONNX_MAX_DIMS];
    size_t count = 1;
    for (int d = 0; d < x->ndim; d++) {
        a.in_dims[d] = (size_t)x->dims[d];
        a.pad_lo[d] = (long)L->pad_all[d];
        a.pad_hi[d] = (long)L->pad_all[d + x->ndim];
        dims[d] = x->dims[d] + L->pad_all[d] + L->pad_all[d + x->ndim];
        if (dims[d] < 0) return effad_fail(e, EFFAD_ERR_FORMAT, "Pad crops axis %d below zero", d);
        count *= (size_t)dims[d];
    }
    a.value = L->pad_value;
    float *in = ctensor_to_f32(x), *out = malloc(sizeof(float) * count + 1);
    a.in = in; a.out = out;
    effad_status s = EFFAD_OK;
    ops_status st;
    if (!in || !out) s = effad_fail(e, EFFAD_ERR_NOMEM, "out of memory");
    else if ((st = KX->pad(&a))) s = kernel_fail(st, "pad", e);
    else s = new_f32(y, x->ndim, dims, out, e);
    free(in); free(out);
    return s;
}

/* -------------------------------------------------- binary, GEMM, MatMul */

/* numpy broadcasting of a and b: output dims and per-operand strides. */
static int broadcast(const ctensor *a, const ctensor *b, int *nd, int64_t *dims, size_t *sa, size_t *sb)
{
    *nd = a->ndim > b->ndim ? a->ndim : b->ndim;
    size_t acc_a = 1, acc_b = 1;
    for (int d = *nd - 1; d >= 0; d--) {
        int da = d - (*nd - a->ndim), db = d - (*nd - b->ndim);
        int64_t x = da >= 0 ? a->dims[da] : 1, y = db >= 0 ? b->dims[db] : 1;
        if (x != y && x != 1 && y != 1) return 0;
        dims[d] = x == 1 ? y : x;
        sa[d] = x == 1 ? 0 : acc_a;
        sb[d] = y == 1 ? 0 : acc_b;
        acc_a *= (size_t)x; acc_b *= (size_t)y;
    }
    return 1;
}

static effad_status exec_binary(const char *op, const ctensor *a, const ctensor *b, ctensor *y, effad_error *e)
{
    ops_binary_args g;
    memset(&g, 0, sizeof g);
    int64_t dims[ONNX_MAX_DIMS];
    if (!broadcast(a, b, &g.rank, dims, g.a_stride, g.b_stride))
        return effad_fail(e, EFFAD_ERR_FORMAT, "%s: shapes do not broadcast", op);
    size_t count = 1;
    for (int d = 0; d < g.rank; d++) { g.dims[d] = (size_t)dims[d]; count *= g.dims[d]; }
    g.op = !strcmp(op, "Add") ? OPS_BIN_ADD : !strcmp(op, "Sub") ? OPS_BIN_SUB : !strcmp(op, "Mul") ? OPS_BIN_MUL : OPS_BIN_DIV;
    float *fa = ctensor_to_f32(a), *fb = ctensor_to_f32(b), *out = malloc(sizeof(float) * count + 1);
    g.a = fa; g.b = fb; g.out = out;
    effad_status s;
    ops_status st;
    if (!fa || !fb || !out) s = effad_fail(e, EFFAD_ERR_NOMEM, "out of memory");
    else if ((st = KX->binary(&g))) s = kernel_fail(st, "binary", e);
    else s = new_f32(y, g.rank, dims, out, e);
    free(fa); free(fb); free(out);
    return s;
}

/* One GEMM call: c[m][n] = sum a[m][k] b[k][n] (+ bias[n]) (+ res[m][n]). */
static effad_status gemm_call(size_t m, size_t n, size_t k, const float *a, const float *b, const float *bias,
                              const float *res, float *c, effad_error *e)
{
    size_t sb = K->f32->gemm_buffer_size(m, n, k);
    void *scratch = sb ? malloc(sb) : 0;
    if (sb && !scratch) return effad_fail(e, EFFAD_ERR_NOMEM, "out of memory");
    ops_act none = { OPS_ACT_NONE, 0, 0 };
    ops_gemm_args g = { m, n, k, a, k, 0, b, n, bias, none, res, n, c, n, 0 };
    ops_status st = K->f32->gemm(&g, scratch);
    free(scratch);
    return st ? kernel_fail(st, "gemm", e) : EFFAD_OK;
}

/* Gemm: transposes and alpha go into the re-laid operands (alpha into the
 * weights, as a converter folds it); beta * C becomes the GEMM's bias when
 * C is a row vector, its residual input otherwise. */
static effad_status exec_gemm(const onnx_node *n, const ctensor *A, const ctensor *B, const ctensor *C, ctensor *y, effad_error *e)
{
    int ta = (int)onnx_attr_int(n, "transA", 0), tb = (int)onnx_attr_int(n, "transB", 0);
    float alpha = onnx_attr_float(n, "alpha", 1.0f), beta = onnx_attr_float(n, "beta", 1.0f);
    size_t M = (size_t)(ta ? A->dims[1] : A->dims[0]), Kd = (size_t)(ta ? A->dims[0] : A->dims[1]);
    size_t N = (size_t)(tb ? B->dims[0] : B->dims[1]);
    if ((size_t)(tb ? B->dims[1] : B->dims[0]) != Kd) return effad_fail(e, EFFAD_ERR_FORMAT, "Gemm: inner dimensions differ");
    float *a = malloc(sizeof(float) * M * Kd + 1), *b = malloc(sizeof(float) * Kd * N + 1);
    float *bias = 0, *res = 0, *c = malloc(sizeof(float) * M * N + 1);
    effad_status s = EFFAD_OK;
    if (!a || !b || !c) { s = effad_fail(e, EFFAD_ERR_NOMEM, "out of memory"); goto done; }
    for (size_t i = 0; i < M; i++)
        for (size_t k = 0; k < Kd; k++) a[i * Kd + k] = (float)A->f[ta ? k * M + i : i * Kd + k];
    for (size_t k = 0; k < Kd; k++)
        for (size_t j = 0; j < N; j++) b[k * N + j] = alpha * (float)B->f[tb ? j * Kd + k : k * N + j];
    if (C) {
        int64_t md[2] = { (int64_t)M, (int64_t)N };
        ctensor full; memset(&full, 0, sizeof full);
        full.ndim = 2; full.dims[0] = md[0]; full.dims[1] = md[1];
        int nd; int64_t dims[ONNX_MAX_DIMS]; size_t sc[ONNX_MAX_DIMS], sf[ONNX_MAX_DIMS];
        if (!broadcast(C, &full, &nd, dims, sc, sf) || nd != 2 || dims[0] != md[0] || dims[1] != md[1]) {
            s = effad_fail(e, EFFAD_ERR_FORMAT, "Gemm: C does not broadcast to %zu x %zu", M, N);
            goto done;
        }
        int row = sc[0] == 0;   /* one value per output column */
        float *t = malloc(sizeof(float) * (row ? N : M * N) + 1);
        if (!t) { s = effad_fail(e, EFFAD_ERR_NOMEM, "out of memory"); goto done; }
        for (size_t i = 0; i < (row ? 1 : M); i++)
            for (size_t j = 0; j < N; j++) t[i * N + j] = beta * (float)C->f[i * sc[0] + j * sc[1]];
        if (row) bias = t; else res = t;
    }
    if ((s = gemm_call(M, N, Kd, a, b, bias, res, c, e))) goto done;
    int64_t dims[2] = { (int64_t)M, (int64_t)N };
    s = new_f32(y, 2, dims, c, e);
done:
    free(a); free(b); free(c); free(bias); free(res);
    return s;
}

/* MatMul: numpy matmul semantics, one GEMM per (broadcast) batch entry. */
static effad_status exec_matmul(const ctensor *A, const ctensor *B, ctensor *y, effad_error *e)
{
    size_t M = (size_t)A->dims[A->ndim - 2], Kd = (size_t)A->dims[A->ndim - 1], N = (size_t)B->dims[B->ndim - 1];
    if ((size_t)B->dims[B->ndim - 2] != Kd) return effad_fail(e, EFFAD_ERR_FORMAT, "MatMul: inner dimensions differ");
    ctensor ab, bb;   /* batch shapes only */
    memset(&ab, 0, sizeof ab); memset(&bb, 0, sizeof bb);
    ab.ndim = A->ndim - 2; memcpy(ab.dims, A->dims, sizeof(int64_t) * (size_t)ab.ndim);
    bb.ndim = B->ndim - 2; memcpy(bb.dims, B->dims, sizeof(int64_t) * (size_t)bb.ndim);
    int nd; int64_t dims[ONNX_MAX_DIMS]; size_t sa[ONNX_MAX_DIMS], sb[ONNX_MAX_DIMS];
    if (!broadcast(&ab, &bb, &nd, dims, sa, sb) || nd + 2 > ONNX_MAX_DIMS)
        return effad_fail(e, EFFAD_ERR_FORMAT, "MatMul: batch shapes do not broadcast");
    size_t batches = 1;
    for (int d = 0; d < nd; d++) batches *= (size_t)dims[d];
    float *fa = ctensor_to_f32(A), *fb = ctensor_to_f32(B), *c = malloc(sizeof(float) * batches * M * N + 1);
    effad_status s = EFFAD_OK;
    if (!fa || !fb || !c) { s = effad_fail(e, EFFAD_ERR_NOMEM, "out of memory"); goto done; }
    for (size_t q = 0; q < batches && !s; q++) {
        size_t oa = 0, ob = 0, rest = q;
        for (int d = nd - 1; d >= 0; d--) {
            size_t i = rest % (size_t)dims[d];
            rest /= (size_t)dims[d];
            oa += i * sa[d]; ob += i * sb[d];
        }
        s = gemm_call(M, N, Kd, fa + oa * M * Kd, fb + ob * Kd * N, 0, 0, c + q * M * N, e);
    }
    if (!s) {
        dims[nd] = (int64_t)M; dims[nd + 1] = (int64_t)N;
        s = new_f32(y, nd + 2, dims, c, e);
    }
done:
    free(fa); free(fb); free(c);
    return s;
}

/* ----------------------------------------------------------- one node */

static effad_status exec_node(run *r, int ni, effad_error *e)
{
    const onnx_node *n = &r->om.node[ni];
    const char *op = n->op_type;
    const int *iv = r->g.node_in[ni], *ov = r->g.node_out[ni];
    if (n->n_out >= 1 && ov[0] >= 0 && r->g.val[ov[0]].t.has_data) return EFFAD_OK;   /* folded */
    const ctensor *in[16];
    if (n->n_in > 16) return effad_fail(e, EFFAD_ERR_UNSUPPORTED, "%d inputs", n->n_in);
    for (int k = 0; k < n->n_in; k++) {
        in[k] = value(r, iv[k]);
        if (iv[k] >= 0 && !in[k]) return effad_fail(e, EFFAD_ERR_ARG, "input '%s' was never computed", n->in[k]);
    }
    const layer *L = r->node_layer[ni] >= 0 ? &r->net.l[r->node_layer[ni]] : 0;
    ctensor y;
    memset(&y, 0, sizeof y);
    effad_status s;
    int is_f32 = n->n_in > 0 && in[0] && in[0]->dtype == ONNX_FLOAT;

    if (!strcmp(op, "Conv") && L && L->kind == L_CONV) s = exec_conv(r, L, in[0], &y, e);
    else if (!strcmp(op, "BatchNormalization") && L && L->kind == L_BN) s = exec_bn(L, in[0], &y, e);
    else if (L && L->kind == L_ACT) s = exec_act(L, in[0], &y, e);
    else if (!strcmp(op, "Pad") && L && L->kind == L_PAD) s = exec_pad(L, in[0], &y, e);
    else if (!strcmp(op, "GlobalAveragePool")) {
        int mark[ONNX_MAX_DIMS] = { 0 };
        for (int d = 2; d < in[0]->ndim; d++) mark[d] = 1;
        s = exec_mean(in[0], mark, 1, &y, e);
    }
    else if (!strcmp(op, "ReduceMean")) s = exec_reduce_mean(r, ni, in[0], &y, e);
    else if (!strcmp(op, "Gemm")) s = exec_gemm(n, in[0], in[1], n->n_in > 2 ? in[2] : 0, &y, e);
    else if (!strcmp(op, "MatMul")) s = exec_matmul(in[0], in[1], &y, e);
    else if (is_f32 && n->n_in == 2 && in[1] && in[1]->dtype == ONNX_FLOAT &&
             (!strcmp(op, "Add") || !strcmp(op, "Sub") || !strcmp(op, "Mul") || !strcmp(op, "Div")))
        s = exec_binary(op, in[0], in[1], &y, e);
    else if (!strcmp(op, "Dropout")) {
        /* inference: the identity, and a mask of all true */
        if ((s = ctensor_copy(&y, in[0], e))) return s;
        if (n->n_out > 1 && ov[1] >= 0) {
            ctensor mask;
            if ((s = ctensor_alloc(&mask, ONNX_BOOL, in[0]->ndim, in[0]->dims, e))) { ctensor_free(&y); return s; }
            for (size_t k = 0; k < mask.count; k++) mask.i[k] = 1;
            set_value(r, ov[1], &mask);
        }
    }
    else if (ceval_supports(op)) {
        if (n->n_out != 1) return effad_fail(e, EFFAD_ERR_UNSUPPORTED, "%s with %d outputs", op, n->n_out);
        s = ceval_node(n, r->g.opset, in, n->n_in, &y, 1, e);
    }
    else return effad_fail(e, EFFAD_ERR_ARG, "no way to run %s", op);
    if (s) { ctensor_free(&y); return s; }
    return set_value(r, ov[0], &y);
}

/* --------------------------------------------------------- comparison */

/* Compares got with the expected tensor: dtype and shape exactly, values
 * with ONNX's tolerance (integers exactly). */
static int compare(const char *name, const ctensor *got, const onnx_tensor *want, double *max_err, char *why, size_t nwhy)
{
    if (got->dtype != want->dtype) {
        snprintf(why, nwhy, "output '%s' is %s, expected %s", name, onnx_dtype_name(got->dtype), onnx_dtype_name(want->dtype));
        return 0;
    }
    int same = got->ndim == want->ndim;
    for (int d = 0; same && d < got->ndim; d++) same = got->dims[d] == want->dims[d];
    if (!same) {
        char a[128] = "", b[128] = "";
        size_t la = 0, lb = 0;
        for (int d = 0; d < got->ndim && la < sizeof a; d++) la += (size_t)snprintf(a + la, sizeof a - la, "%s%lld", d ? "x" : "", (long long)got->dims[d]);
        for (int d = 0; d < want->ndim && lb < sizeof b; d++) lb += (size_t)snprintf(b + lb, sizeof b - lb, "%s%lld", d ? "x" : "", (long long)want->dims[d]);
        snprintf(why, nwhy, "output '%s' has shape [%s], expected [%s]", name, a, b);
        return 0;
    }
    ctensor w;
    effad_error e;
    if (ctensor_from_onnx(&w, want, &e)) { snprintf(why, nwhy, "expected '%s': %s", name, e.msg); return 0; }
    int ok = 1;
    for (size_t k = 0; k < w.count && ok; k++) {
        if (!ctensor_is_float(w.dtype)) {
            if (ctensor_get_i(got, k) != w.i[k]) {
                snprintf(why, nwhy, "output '%s'[%zu] = %lld, expected %lld", name, k, (long long)ctensor_get_i(got, k), (long long)w.i[k]);
                ok = 0;
            }
            continue;
        }
        double g = ctensor_get_f(got, k), x = w.f[k];
        if (isnan(x) && isnan(g)) continue;
        if (isinf(x) && g == x) continue;
        double d = fabs(g - x);
        if (!(d <= 1e-7 + 1e-3 * fabs(x))) {
            snprintf(why, nwhy, "output '%s'[%zu] = %.9g, expected %.9g", name, k, g, x);
            ok = 0;
        }
        if (d > *max_err) *max_err = d;
    }
    ctensor_free(&w);
    return ok;
}

/* ------------------------------------------------------ one test dir */

enum { R_PASS, R_FAIL, R_SKIP };

/* Graph inputs that only ever feed parameter positions (weights, pads,
 * axes, bounds) become initializers: the converter sees them as the
 * constants they are in a real model. */
static int input_is_param(const onnx_model *om, const char *name)
{
    int uses = 0;
    for (int i = 0; i < om->n_node; i++)
        for (int k = 0; k < om->node[i].n_in; k++)
            if (!strcmp(om->node[i].in[k], name)) {
                if (!convert_input_is_param(om->node[i].op_type, k)) return 0;
                uses++;
            }
    return uses > 0;
}

static int is_initializer(const onnx_model *om, const char *name)
{
    for (int i = 0; i < om->n_init; i++)
        if (!strcmp(om->init[i].name, name)) return 1;
    return 0;
}

static void run_free(run *r)
{
    if (r->rv) for (int v = 0; v < r->g.n_val; v++) ctensor_free(&r->rv[v]);
    free(r->rv); free(r->rv_set); free(r->node_layer);
    layers_free(&r->net);
    graph_free(&r->g);
    onnx_model_free(&r->om);
    memset(r, 0, sizeof *r);
}

static int status_kind(effad_status s) { return s == EFFAD_ERR_UNSUPPORTED ? R_SKIP : R_FAIL; }

static int run_set(const uint8_t *model, size_t model_bytes, const char *set, double *max_err, char *why, size_t nwhy)
{
    run r;
    effad_error e;
    effad_status s;
    int result = R_PASS;
    memset(&r, 0, sizeof r);
    memset(&e, 0, sizeof e);
    if ((s = onnx_model_read(model, model_bytes, &r.om, &e))) { snprintf(why, nwhy, "model.onnx: %s", e.msg); return R_FAIL; }

    /* inputs: input_K.pb is the K-th graph input that is not an initializer */
    onnx_tensor *feeds = calloc((size_t)r.om.n_input + 1, sizeof *feeds);
    int *runtime = calloc((size_t)r.om.n_input + 1, sizeof *runtime);
    int n_feed = 0;
    if (!feeds || !runtime) { snprintf(why, nwhy, "out of memory"); result = R_FAIL; goto done; }
    for (int i = 0; i < r.om.n_input; i++) {
        const char *name = r.om.input[i].name;
        if (is_initializer(&r.om, name)) continue;
        if ((s = convert_graph_input_supported(&r.om.input[i], &e))) { snprintf(why, nwhy, "%s", e.msg); result = status_kind(s); goto done; }
        char path[1024];
        snprintf(path, sizeof path, "%s/input_%d.pb", set, n_feed);
        if ((s = read_pb(path, &feeds[n_feed], &e))) { snprintf(why, nwhy, "%s", e.msg); result = R_FAIL; goto done; }
        runtime[n_feed] = !input_is_param(&r.om, name);
        free(feeds[n_feed].name);
        feeds[n_feed].name = strdup(name);
        if (!feeds[n_feed].name) { snprintf(why, nwhy, "out of memory"); result = R_FAIL; goto done; }
        n_feed++;
    }
    /* parameters move into the initializer list (ownership included) */
    onnx_tensor *init = realloc(r.om.init, sizeof *init * (size_t)(r.om.n_init + n_feed + 1));
    if (!init) { snprintf(why, nwhy, "out of memory"); result = R_FAIL; goto done; }
    r.om.init = init;
    for (int k = 0; k < n_feed; k++)
        if (!runtime[k]) { r.om.init[r.om.n_init++] = feeds[k]; memset(&feeds[k], 0, sizeof feeds[k]); }

    graph_options gopt = { 0, 0, 1 };
    if ((s = graph_build(&r.g, &r.om, &gopt, &e))) { snprintf(why, nwhy, "%s", e.msg); result = status_kind(s); goto done; }
    for (int ni = 0; ni < r.om.n_node; ni++) {
        int ov = r.om.node[ni].n_out ? r.g.node_out[ni][0] : -1;
        if (ov >= 0 && r.g.val[ov].t.has_data) continue;   /* folded: checked by ceval_node itself */
        if ((s = convert_graph_node_supported(&r.g, ni, &e))) { snprintf(why, nwhy, "%s", e.msg); result = status_kind(s); goto done; }
    }
    if ((s = layers_lower(&r.net, &r.g, &e))) { snprintf(why, nwhy, "%s", e.msg); result = status_kind(s); goto done; }
    r.node_layer = malloc(sizeof(int) * (size_t)(r.om.n_node + 1));
    r.rv = calloc((size_t)r.g.n_val + 1, sizeof *r.rv);
    r.rv_set = calloc((size_t)r.g.n_val + 1, sizeof *r.rv_set);
    if (!r.node_layer || !r.rv || !r.rv_set) { snprintf(why, nwhy, "out of memory"); result = R_FAIL; goto done; }
    for (int ni = 0; ni < r.om.n_node; ni++) r.node_layer[ni] = -1;
    for (int i = 0; i < r.net.n; i++) r.node_layer[r.net.l[i].node] = i;
    for (int k = 0; k < n_feed; k++) {
        if (!runtime[k]) continue;
        int v = graph_find(&r.g, feeds[k].name);
        ctensor t;
        if ((s = ctensor_from_onnx(&t, &feeds[k], &e))) { snprintf(why, nwhy, "input %s", e.msg); result = status_kind(s); goto done; }
        set_value(&r, v, &t);
    }
    for (int ni = 0; ni < r.om.n_node; ni++) {
        if ((s = exec_node(&r, ni, &e))) {
            char label[160];
            snprintf(why, nwhy, "%s: %s", graph_node_label(&r.g, ni, label, sizeof label), e.msg);
            result = R_FAIL;
            goto done;
        }
    }
    for (int o = 0; o < r.om.n_output; o++) {
        char path[1024];
        onnx_tensor want;
        snprintf(path, sizeof path, "%s/output_%d.pb", set, o);
        if ((s = read_pb(path, &want, &e))) { snprintf(why, nwhy, "%s", e.msg); result = R_FAIL; goto done; }
        const ctensor *got = value(&r, graph_find(&r.g, r.om.output[o].name));
        int ok = got ? compare(r.om.output[o].name, got, &want, max_err, why, nwhy) : 0;
        if (!got) snprintf(why, nwhy, "output '%s' was never computed", r.om.output[o].name);
        onnx_tensor_free(&want);
        if (!ok) { result = R_FAIL; goto done; }
    }
done:
    for (int k = 0; feeds && k < n_feed; k++) onnx_tensor_free(&feeds[k]);
    free(feeds); free(runtime);
    run_free(&r);
    return result;
}

static int run_dir(const char *dir, double *max_err, char *why, size_t nwhy)
{
    char path[1024];
    size_t n = 0;
    snprintf(path, sizeof path, "%s/model.onnx", dir);
    uint8_t *model = slurp(path, &n);
    if (!model) { snprintf(why, nwhy, "cannot read %s", path); return R_FAIL; }
    int result = R_PASS, sets = 0;
    for (int k = 0; result == R_PASS; k++, sets++) {
        snprintf(path, sizeof path, "%s/test_data_set_%d", dir, k);
        char probe[1100];
        snprintf(probe, sizeof probe, "%s/output_0.pb", path);
        if (!file_exists(probe)) break;
        result = run_set(model, n, path, max_err, why, nwhy);
    }
    if (result == R_PASS && !sets) { snprintf(why, nwhy, "no test_data_set_0"); result = R_FAIL; }
    free(model);
    return result;
}

/* Whether every operator of dir's model is one effad knows. */
static int dir_selected(const char *dir)
{
    char path[1024];
    size_t n = 0;
    snprintf(path, sizeof path, "%s/model.onnx", dir);
    uint8_t *b = slurp(path, &n);
    if (!b) return 0;
    onnx_model om;
    effad_error e;
    int ok = !onnx_model_read(b, n, &om, &e) && om.n_node > 0;
    for (int i = 0; ok && i < om.n_node; i++)
        ok = (!*om.node[i].domain || !strcmp(om.node[i].domain, "ai.onnx")) && convert_op_known(om.node[i].op_type);
    onnx_model_free(&om);
    free(b);
    return ok;
}

/* --------------------------------------------------------------- main */

static const char *base_name(const char *p)
{
    size_t len = strlen(p);
    while (len > 1 && p[len - 1] == '/') len--;
    const char *s = p + len;
    while (s > p && s[-1] != '/') s--;
    static char buf[512];
    snprintf(buf, sizeof buf, "%.*s", (int)(p + len - s), s);
    return buf;
}

static int usage(void)
{
    fprintf(stderr,
            "usage: onnx-backend-check [--list | --isas] DIR...\n"
            "  DIR     an ONNX backend test directory (model.onnx, test_data_set_N/)\n"
            "  --list  print the DIRs whose operators effad knows, run nothing\n"
            "  --isas  print the kernel ISAs this machine runs, one a line\n"
            "  EFFAD_ISA=scalar|avx2|avx512|neon picks the kernels (default: the best)\n");
    return 2;
}

int main(int argc, char **argv)
{
    if (argc < 2) return usage();
    if (!strcmp(argv[1], "--isas")) {
        for (int i = 0; i < OPS_ISA_COUNT; i++)
            if (ops_isa_available((ops_isa)i)) printf("%s\n", ops_isa_name((ops_isa)i));
        return 0;
    }
    if (!strcmp(argv[1], "--list")) {
        for (int i = 2; i < argc; i++)
            if (dir_selected(argv[i])) printf("%s\n", argv[i]);
        return 0;
    }
    if (argv[1][0] == '-') return usage();
    ops_isa isa = ops_isa_best();
    const char *env = getenv("EFFAD_ISA");
    if (env && *env) {
        int p = ops_isa_parse(env);
        if (p < 0 || !ops_isa_available((ops_isa)p)) {
            fprintf(stderr, "onnx-backend-check: EFFAD_ISA=%s is not available on this machine\n", env);
            return 2;
        }
        isa = (ops_isa)p;
    }
    K = ops_kernels_for(isa);
    KX = &ext_scalar;
    printf("# isa %s\n", K->name);
    int counts[3] = { 0, 0, 0 };
    for (int i = 1; i < argc; i++) {
        double max_err = 0;
        char why[600] = "";
        int r = run_dir(argv[i], &max_err, why, sizeof why);
        counts[r]++;
        if (r == R_PASS) printf("PASS %s %.3g\n", base_name(argv[i]), max_err);
        else printf("%s %s %s\n", r == R_FAIL ? "FAIL" : "SKIP", base_name(argv[i]), why);
    }
    printf("%d passed, %d failed, %d skipped\n", counts[R_PASS], counts[R_FAIL], counts[R_SKIP]);
    return counts[R_FAIL] ? 1 : 0;
}
