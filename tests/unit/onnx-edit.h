/* onnx-edit.h -- finding what to edit in a decoded ONNX model, for tests
 * that break a good model in memory and check the converter's refusal. */
#ifndef EFFAD_TEST_ONNX_EDIT_H
#define EFFAD_TEST_ONNX_EDIT_H

#include <string.h>
#include "onnx.h"

/* The initializer called name, or NULL. */
static inline onnx_tensor *init_named(onnx_model *m, const char *name)
{
    for (int i = 0; i < m->n_init; i++)
        if (!strcmp(m->init[i].name, name)) return &m->init[i];
    return 0;
}

/* The nth node (from 0) of an op type, or NULL. */
static inline onnx_node *nth_op(onnx_model *m, const char *op, int nth)
{
    for (int i = 0; i < m->n_node; i++)
        if (!strcmp(m->node[i].op_type, op) && nth-- == 0) return &m->node[i];
    return 0;
}

#endif
