/* What effad runs, decided once for the converter and the conformance
 * runner alike (see support.h). Each refusal names the attribute or input
 * that makes the node something effad does not compute. */
#include <string.h>
#include "support.h"

static const char *const float_ops[] = {
    "Conv", "BatchNormalization", "Relu", "Sigmoid", "HardSigmoid", "HardSwish", "Clip",
    "GlobalAveragePool", "ReduceMean", "Pad", "Gemm", "MatMul", "Dropout", 0
};

static int in_list(const char *const *list, const char *op)
{
    for (int i = 0; list[i]; i++)
        if (!strcmp(list[i], op)) return 1;
    return 0;
}

int convert_op_float_kernel(const char *op) { return in_list(float_ops, op); }

int convert_op_known(const char *op) { return in_list(float_ops, op) || ceval_supports(op); }

int convert_input_is_param(const char *op, int k)
{
    if (k < 1) return 0;
    static const char *const all_but_first[] = {
        "Conv", "BatchNormalization", "Clip", "Pad", "ReduceMean", "Gemm", "MatMul", "Dropout", "Slice", 0
    };
    static const char *const second[] = { "Reshape", "Squeeze", "Unsqueeze", "Expand", 0 };
    return in_list(all_but_first, op) || (k == 1 && in_list(second, op));
}

/* every refusal is EFFAD_ERR_UNSUPPORTED: the model is valid ONNX */
#define NO(...) effad_fail(why, EFFAD_ERR_UNSUPPORTED, __VA_ARGS__)

static const char *str_attr(const onnx_node *n, const char *name, const char *dflt)
{
    const onnx_attr *a = onnx_node_attr(n, name);
    return a && a->type == ONNX_ATTR_STRING && a->s ? a->s : dflt;
}

/* The dtypes convert/ctensor.h computes with. */
static int computable(onnx_dtype t)
{
    switch (t) {
    case ONNX_FLOAT: case ONNX_DOUBLE: case ONNX_INT8: case ONNX_UINT8: case ONNX_INT16: case ONNX_UINT16:
    case ONNX_INT32: case ONNX_UINT32: case ONNX_INT64: case ONNX_UINT64: case ONNX_BOOL: return 1;
    default: return 0;
    }
}

static int given(const ctensor *const *in, int n_in, int k) { return k < n_in && in[k]; }

static effad_status need_const(const onnx_node *n, const ctensor *const *in, int n_in, int k, const char *what,
                               effad_error *why)
{
    if (given(in, n_in, k) && !in[k]->has_data) return NO("%s%s is not a constant", what, n->op_type);
    return EFFAD_OK;
}

static effad_status conv_supported(const onnx_node *n, const ctensor *const *in, int n_in, effad_error *why)
{
    effad_status s;
    if (!given(in, n_in, 1)) return NO("Conv without weights");
    if ((s = need_const(n, in, n_in, 1, "weights of ", why)) || (s = need_const(n, in, n_in, 2, "bias of ", why))) return s;
    const ctensor *w = in[1];
    if (w->ndim != 4 || (given(in, n_in, 0) && in[0]->dtype && in[0]->ndim != 4))
        return NO("only 2-D convolutions on N x C x H x W are supported (kernel rank %s)",
                  w->ndim == 3 ? "1" : w->ndim == 5 ? "3" : "other");
    const char *mode = str_attr(n, "auto_pad", "NOTSET");
    if (strcmp(mode, "NOTSET") && strcmp(mode, "VALID") && strcmp(mode, "SAME_UPPER") && strcmp(mode, "SAME_LOWER"))
        return NO("auto_pad '%s' is not an ONNX padding mode", mode);
    const onnx_attr *a;
    if ((a = onnx_node_attr(n, "kernel_shape")) && (a->type != ONNX_ATTR_INTS || a->n != 2 ||
                                                    a->ints[0] != w->dims[2] || a->ints[1] != w->dims[3]))
        return NO("kernel_shape disagrees with the weights");
    static const char *const pairs[] = { "strides", "dilations", 0 };
    for (int k = 0; pairs[k]; k++)
        if ((a = onnx_node_attr(n, pairs[k])) && (a->type != ONNX_ATTR_INTS || a->n != 2 || a->ints[0] < 1 || a->ints[1] < 1))
            return NO("%s must be two positive integers", pairs[k]);
    if (!strcmp(mode, "NOTSET") && (a = onnx_node_attr(n, "pads"))) {
        if (a->type != ONNX_ATTR_INTS || a->n != 4) return NO("pads must hold four integers");
        for (int k = 0; k < 4; k++)
            if (a->ints[k] < 0) return NO("negative pads (cropping)");
    }
    return EFFAD_OK;
}

static effad_status float_op_supported(const onnx_node *n, int64_t opset, const ctensor *const *in, int n_in,
                                       effad_error *why);

effad_status convert_node_supported(const onnx_node *n, int64_t opset, const ctensor *const *in, int n_in,
                                    effad_error *why)
{
    const char *op = n->op_type;
    effad_status s;
    if (*n->domain && strcmp(n->domain, "ai.onnx"))
        return NO("operator %s from domain '%s' is not supported", op, n->domain);
    if (!convert_op_known(op)) return NO("operator %s is not supported", op);
    for (int k = 0; k < n_in; k++)
        if (in[k] && in[k]->dtype != ONNX_UNDEFINED && !computable(in[k]->dtype) &&
            !(k == 0 && (!strcmp(op, "Shape") || !strcmp(op, "Size"))))
            return NO("input '%s' is %s, a type effad does not compute with", n->in[k], onnx_dtype_name(in[k]->dtype));
    if (!strcmp(op, "Cast")) {
        onnx_dtype to = (onnx_dtype)onnx_attr_int(n, "to", 0);
        if (!computable(to)) return NO("Cast to %s", onnx_dtype_name(to));
    }
    if (!convert_op_float_kernel(op)) return EFFAD_OK;

    if ((s = float_op_supported(n, opset, in, n_in, why))) return s;
    /* checked last so that a refusal names the attribute when there is one */
    if (strcmp(op, "Dropout") && given(in, n_in, 0) && in[0]->dtype && in[0]->dtype != ONNX_FLOAT)
        return NO("input '%s' is %s; the kernels compute in float32", n->in[0], onnx_dtype_name(in[0]->dtype));
    return EFFAD_OK;
}

static effad_status float_op_supported(const onnx_node *n, int64_t opset, const ctensor *const *in, int n_in,
                                       effad_error *why)
{
    const char *op = n->op_type;
    effad_status s;
    if (!strcmp(op, "Conv")) return conv_supported(n, in, n_in, why);
    if (!strcmp(op, "BatchNormalization")) {
        if (onnx_attr_int(n, "training_mode", 0))
            return NO("training_mode=1 (batch statistics) is not inference");
        if (n->n_out > 1) return NO("outputs besides Y (running statistics) are training-only");
        if (!onnx_attr_int(n, "spatial", 1)) return NO("spatial=0 (per-pixel statistics)");
        for (int k = 1; k < 5; k++) {
            if (!given(in, n_in, k)) return NO("BatchNormalization without its four parameters");
            if ((s = need_const(n, in, n_in, k, "parameters of ", why))) return s;
        }
        return EFFAD_OK;
    }
    if (!strcmp(op, "Clip")) {
        if (opset >= 11 && ((s = need_const(n, in, n_in, 1, "min of ", why)) || (s = need_const(n, in, n_in, 2, "max of ", why))))
            return s;
        return EFFAD_OK;
    }
    if (!strcmp(op, "Pad")) {
        const char *mode = str_attr(n, "mode", "constant");
        if (strcmp(mode, "constant")) return NO("mode '%s' (only constant padding is supported)", mode);
        if (given(in, n_in, 3)) return NO("the axes input (opset 18) is not supported");
        if ((s = need_const(n, in, n_in, 1, "pads of ", why)) || (s = need_const(n, in, n_in, 2, "constant_value of ", why)))
            return s;
        if (opset >= 11 && !given(in, n_in, 1)) return NO("Pad without pads");
        return EFFAD_OK;
    }
    if (!strcmp(op, "ReduceMean")) return need_const(n, in, n_in, 1, "axes of ", why);
    if (!strcmp(op, "Dropout")) {
        /* opset 12 moved training_mode from an implied "is_test" to an input */
        if (given(in, n_in, 2)) {
            if (!in[2]->has_data) return NO("training_mode input is not a constant");
            if (in[2]->count && ctensor_get_i(in[2], 0)) return NO("training_mode=true (random dropout) is not inference");
        }
        if (opset < 7 && !onnx_attr_int(n, "is_test", 0) && onnx_node_attr(n, "is_test"))
            return NO("is_test=0 (random dropout) is not inference");
        return EFFAD_OK;
    }
    if (!strcmp(op, "Gemm")) {
        if ((s = need_const(n, in, n_in, 1, "weights of ", why)) || (s = need_const(n, in, n_in, 2, "bias of ", why))) return s;
        if ((given(in, n_in, 0) && in[0]->dtype && in[0]->ndim != 2) || (given(in, n_in, 1) && in[1]->ndim != 2))
            return NO("Gemm operands must be matrices");
        return EFFAD_OK;
    }
    if (!strcmp(op, "MatMul")) {
        for (int k = 0; k < 2; k++)
            if (given(in, n_in, k) && in[k]->dtype && in[k]->ndim < 2)
                return NO("1-D MatMul operand '%s'", n->in[k]);
        return EFFAD_OK;
    }
    return EFFAD_OK;
}

effad_status convert_graph_input_supported(const onnx_value *in, effad_error *why)
{
    /* onnx-read.c leaves dtype undefined for sequence, optional and map
     * types: values that are not one tensor */
    if (in->dtype == ONNX_UNDEFINED)
        return NO("graph input '%s' is not a tensor (sequence, optional and map inputs are not supported)", in->name);
    return EFFAD_OK;
}

effad_status convert_graph_node_supported(const graph *g, int ni, effad_error *why)
{
    const onnx_node *n = &g->om->node[ni];
    const ctensor *ins[16];
    ctensor unknown[16];
    int n_in = n->n_in < 16 ? n->n_in : 16;
    for (int k = 0; k < n_in; k++) {
        int v = g->node_in[ni][k];
        ins[k] = 0;
        if (v < 0) continue;
        if (g->val[v].known) { ins[k] = &g->val[v].t; continue; }
        memset(&unknown[k], 0, sizeof unknown[k]);   /* type and shape not inferred */
        ins[k] = &unknown[k];
    }
    effad_status s = convert_node_supported(n, g->opset, ins, n_in, why);
    if (s) {
        char label[160];
        effad_error_prefix(why, graph_node_label(g, ni, label, sizeof label));
    }
    return s;
}
