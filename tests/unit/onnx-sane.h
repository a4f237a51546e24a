/*
 * onnx-sane.h -- what every successful decode must look like, whatever the
 * input: the invariants onnx.h promises its users. Shared by the reader's
 * unit test and the corpus run; it also reads every element once, so that
 * AddressSanitizer sees any tensor whose data is shorter than its count.
 */
#ifndef EFFAD_ONNX_SANE_H
#define EFFAD_ONNX_SANE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "onnx.h"

/* Where the element reads go, so the compiler cannot drop them. */
static volatile uint64_t sane_sink;

static inline uint8_t *sane_read_file(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    uint8_t *buf = NULL;
    size_t cap = 0, len = 0;
    for (;;) {
        if (len == cap) {
            uint8_t *nb = realloc(buf, cap ? cap * 2 : 4096);
            if (!nb) { free(buf); fclose(f); return NULL; }
            buf = nb; cap = cap ? cap * 2 : 4096;
        }
        size_t got = fread(buf + len, 1, cap - len, f);
        len += got;
        if (!got) break;
    }
    fclose(f);
    *n = len;
    return buf;
}

/* NULL when t is sane, else what is wrong with it. */
static inline const char *sane_tensor(const onnx_tensor *t)
{
    if (!t->name) return "tensor name is NULL";
    if (t->ndim < 0 || t->ndim > ONNX_MAX_DIMS) return "tensor ndim out of range";
    size_t count = 1;
    for (int d = 0; d < t->ndim; d++) {
        if (t->dims[d] < 0) return "negative tensor dim";
        count *= (size_t)t->dims[d];
    }
    if (count != t->count) return "tensor count is not the product of dims";
    size_t size = onnx_dtype_size(t->dtype);
    if (size && !t->data) return "numeric tensor without data";
    if (!size && t->data) return "type-only tensor with data";
    for (size_t i = 0; i < count * size; i++) sane_sink ^= ((const uint8_t *)t->data)[i];
    if (t->dtype == ONNX_BOOL)
        for (size_t i = 0; i < count; i++) if (((const uint8_t *)t->data)[i] > 1) return "BOOL element not 0/1";
    return NULL;
}

static inline const char *sane_value(const onnx_value *v)
{
    if (!v->name) return "value name is NULL";
    if (v->ndim < -1 || v->ndim > ONNX_MAX_DIMS) return "value ndim out of range";
    for (int d = 0; d < v->ndim; d++) {
        if (v->dim_param[d] && v->dims[d] >= 0) return "symbolic dim with a value";
        if (v->dim_param[d] && strlen(v->dim_param[d]) > (size_t)1 << 30) return "dim_param";
    }
    return NULL;
}

static inline const char *sane_model(const onnx_model *m)
{
    const char *why;
    if (!m->producer_name || !m->producer_version || !m->graph_name) return "model string is NULL";
    if (m->n_opset < 0 || (m->n_opset && !m->opset)) return "opset array";
    for (int i = 0; i < m->n_opset; i++) if (!m->opset[i].domain) return "opset domain is NULL";
    if (m->n_node < 0 || (m->n_node && !m->node)) return "node array";
    for (int i = 0; i < m->n_node; i++) {
        const onnx_node *nd = &m->node[i];
        if (!nd->name || !nd->op_type || !nd->domain) return "node string is NULL";
        if (nd->n_in < 0 || nd->n_out < 0 || nd->n_attr < 0) return "node count negative";
        for (int k = 0; k < nd->n_in; k++) if (!nd->in[k]) return "node input is NULL";
        for (int k = 0; k < nd->n_out; k++) if (!nd->out[k]) return "node output is NULL";
        for (int k = 0; k < nd->n_attr; k++) {
            const onnx_attr *a = &nd->attr[k];
            if (!a->name) return "attribute name is NULL";
            if (a->type == ONNX_ATTR_STRING && (!a->s || strlen(a->s) > a->s_len)) return "STRING attribute";
            if (a->type == ONNX_ATTR_TENSOR && a->t && (why = sane_tensor(a->t))) return why;
            if (a->type == ONNX_ATTR_FLOATS && (a->n < 0 || !a->floats)) return "FLOATS attribute";
            if (a->type == ONNX_ATTR_INTS && (a->n < 0 || !a->ints)) return "INTS attribute";
            for (int j = 0; a->type == ONNX_ATTR_FLOATS && j < a->n; j++) sane_sink ^= (uint64_t)(a->floats[j] != 0);
            for (int j = 0; a->type == ONNX_ATTR_INTS && j < a->n; j++) sane_sink ^= (uint64_t)a->ints[j];
        }
    }
    if (m->n_init < 0 || (m->n_init && !m->init)) return "initializer array";
    for (int i = 0; i < m->n_init; i++) if ((why = sane_tensor(&m->init[i]))) return why;
    const onnx_value *lists[3] = { m->input, m->output, m->value_info };
    int counts[3] = { m->n_input, m->n_output, m->n_value_info };
    for (int l = 0; l < 3; l++) {
        if (counts[l] < 0 || (counts[l] && !lists[l])) return "value array";
        for (int i = 0; i < counts[l]; i++) if ((why = sane_value(&lists[l][i]))) return why;
    }
    return NULL;
}

/* What a failed read must leave behind: nothing at all. */
static inline int sane_is_empty_model(const onnx_model *m)
{
    onnx_model zero;
    memset(&zero, 0, sizeof zero);
    return !memcmp(m, &zero, sizeof zero);
}

static inline int sane_is_empty_tensor(const onnx_tensor *t)
{
    onnx_tensor zero;
    memset(&zero, 0, sizeof zero);
    return !memcmp(t, &zero, sizeof zero);
}

#endif /* EFFAD_ONNX_SANE_H */
