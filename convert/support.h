/*
 * support.h -- the one place that says whether effad runs an ONNX node.
 *
 * The converter's lowering (convert/lower.c) refuses a model with the
 * reason given here, and the conformance runner (tests/onnx-backend-check.c)
 * prints SKIP with the same reason, so that every skipped backend test is a
 * refusal a user would also see from `effad convert`.
 */
#ifndef EFFAD_SUPPORT_H
#define EFFAD_SUPPORT_H

#include "graph.h"

/* Whether op_type (default domain) is one effad computes at all: the float
 * kernels' operators plus what the constant evaluator folds. */
int convert_op_known(const char *op_type);

/* Whether op_type runs on the float32 kernels of ops/ (rather than being
 * folded or evaluated by convert/const-eval.c). */
int convert_op_float_kernel(const char *op_type);

/* Whether input k of op_type is a parameter the converter needs constant
 * (weights, pads, axes, bounds), as opposed to an activation. */
int convert_input_is_param(const char *op_type, int k);

/* EFFAD_OK when effad executes node n as written, else EFFAD_ERR_UNSUPPORTED
 * with the reason (naming the attribute or input) in why. in[k] describes
 * input k: NULL when omitted; dtype ONNX_UNDEFINED when its type is not
 * known; has_data when it is a constant. */
effad_status convert_node_supported(const onnx_node *n, int64_t opset, const ctensor *const *in, int n_in,
                                    effad_error *why);

/* EFFAD_OK when graph input in is a tensor effad can bind. */
effad_status convert_graph_input_supported(const onnx_value *in, effad_error *why);

/* The same for node ni of a built graph; the message names the node. */
effad_status convert_graph_node_supported(const graph *g, int ni, effad_error *why);

#endif
