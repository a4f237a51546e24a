/*
 * ops.h -- leaf compute kernels of effad (float32, batch 1, HWC layout).
 *
 * Layout: every activation is H x W x C, channels innermost ("NHWC" with
 * N = 1). Channels-last makes a 1x1 convolution a plain GEMM
 * (pixels x in_c) * (in_c x out_c), and lets depthwise kernels vectorise
 * across channels; the engine converts the caller's CHW tensor once at the
 * input and transposes feature maps back to CHW only when a caller asks.
 *
 * Rules of this directory (CMSIS-NN style): no allocation, no I/O, no
 * globals that change after start-up. Every kernel returns an ops_status;
 * a kernel that needs scratch memory has a *_scratch_bytes() companion and
 * takes the scratch from the caller. The functions declared here are the
 * plain-C references (files ops/f32-*-scalar.c); SIMD variants live in
 * ops/x86 and ops/arm, are reached through the table in ops/dispatch.h, and
 * are tested against these.
 *
 * Weight layouts (chosen by the converter, documented in engine/efm_format.h):
 *   conv      [kh][kw][in_c / groups][out_c]          ("HWIO")
 *   depthwise [kh][kw][c]
 *   1x1/GEMM  [in_c][out_c]  (row-major K x N)
 */
#ifndef EFFAD_OPS_H
#define EFFAD_OPS_H

#include <stddef.h>
#include <stdint.h>

typedef enum ops_status {
    OPS_OK = 0,
    OPS_ERR_ARG = -1,          /* shapes or pointers that cannot be right */
    OPS_ERR_UNSUPPORTED = -2   /* valid, but this kernel does not do it   */
} ops_status;

/* Activation applied in a kernel's epilogue, after bias. */
typedef enum ops_act_kind {
    OPS_ACT_NONE = 0,
    OPS_ACT_RELU,
    OPS_ACT_CLIP,         /* min(max(x, lo), hi): ReLU6 and ONNX Clip      */
    OPS_ACT_SIGMOID,
    OPS_ACT_SWISH,        /* x * sigmoid(x), a.k.a. SiLU                   */
    OPS_ACT_HARDSIGMOID,  /* max(0, min(1, alpha*x + beta))                */
    OPS_ACT_HARDSWISH     /* x * max(0, min(1, x/6 + 1/2))                 */
} ops_act_kind;

typedef struct ops_act {
    ops_act_kind kind;
    float a, b;           /* CLIP: lo, hi.  HARDSIGMOID: alpha, beta.      */
} ops_act;

typedef struct ops_hwc { int h, w, c; } ops_hwc;

/* Convolution geometry. Pads may be asymmetric (ONNX pads, TF "same"). */
typedef struct ops_conv_geom {
    int kh, kw;
    int stride_h, stride_w;
    int dil_h, dil_w;
    int pad_top, pad_left, pad_bottom, pad_right;
} ops_conv_geom;

/* Output size of a convolution along one axis; < 1 means no valid output. */
int ops_conv_out_dim(int in, int k, int stride, int dil, int pad_lo, int pad_hi);
/* TensorFlow's "same" padding along one axis (ceil(in / stride) outputs,
 * the odd pixel of padding at the end): the one implementation of the rule
 * that the converter's matcher, the demo model and the memory plan share.
 * Returns the output size. */
int ops_tf_same_pad(int in, int k, int stride, int dil, int *pad_lo, int *pad_hi);

/* ---- activations ------------------------------------------------------ */

float ops_act_apply1(float x, ops_act act);             /* scalar oracle */
ops_status f32_act_scalar(float *x, size_t n, ops_act act);

/* ---- general convolution (the stem; grouped conv for conformance) ------ *
 * out[oy][ox][co] = act(bias[co] + sum in[iy][ix][ci] * w[ky][kx][ci'][co])
 * Rows [row_begin, row_end) of the output are produced, so that a thread
 * pool can split the work by output row without changing any result.
 * The input is HWC when in_plane is 0, else planar (the caller's CHW
 * image): channel ci's rows of in_dims.w floats start in_plane floats
 * after channel ci - 1's. The stem reads the image where it lies, so the
 * pass makes no HWC copy of it (ops_conv_in_steps).                      */
typedef struct ops_conv_args {
    const float *in;  ops_hwc in_dims;
    const float *w;   const float *bias;   /* bias may be NULL */
    ops_conv_geom g;  int groups;
    ops_act act;
    float *out;       ops_hwc out_dims;
    int row_begin, row_end;
    size_t in_plane;                       /* 0: HWC; else CHW, this plane stride */
} ops_conv_args;
ops_status f32_conv_hwc_scalar(const ops_conv_args *a);

/* Element steps of the input between rows, columns and channels: element
 * (iy, ix, ci) is in[iy * row + ix * col + ci * chan]. */
typedef struct ops_conv_steps { size_t row, col, chan; } ops_conv_steps;
static inline ops_conv_steps ops_conv_in_steps(const ops_conv_args *a)
{
    const size_t w = (size_t)a->in_dims.w, c = (size_t)a->in_dims.c;
    ops_conv_steps s = { w * c, c, 1 };
    if (a->in_plane) { s.row = w; s.col = 1; s.chan = a->in_plane; }
    return s;
}
/* Whether a planar input's planes hold their h x w (else OPS_ERR_ARG). */
static inline int ops_conv_plane_ok(const ops_conv_args *a)
{
    return !a->in_plane || a->in_plane >= (size_t)a->in_dims.h * (size_t)a->in_dims.w;
}

/* ---- depthwise convolution (groups == channels, multiplier 1) ----------- *
 * chan_sum, when not NULL, receives (+=) the per-channel sum of the output
 * rows produced: squeeze-excite and feature taps pool while the map is
 * still in cache.
 *
 * in_ring == 0: in holds the whole input, row iy at in + iy * w * c.
 * in_ring  > 0: in holds only a ring of in_ring rows, row iy in slot
 * iy % in_ring; the caller keeps the rows that output rows [row_begin,
 * row_end) read in their slots. This lets the engine expand a block's input
 * a few rows at a time, just ahead of the depthwise pass, so the expanded
 * map (tens of MB on the first blocks of B4) never leaves L2. Kernels
 * address input rows only through ops_dw_in_row().                       */
typedef struct ops_dwconv_args {
    const float *in;  ops_hwc in_dims;
    const float *w;   const float *bias;   /* w: [kh][kw][c] */
    ops_conv_geom g;
    ops_act act;
    float *out;       ops_hwc out_dims;
    int row_begin, row_end;
    float *chan_sum;                       /* [c] or NULL */
    int in_ring;                           /* 0, or rows in the ring */
} ops_dwconv_args;
ops_status f32_dwconv_hwc_scalar(const ops_dwconv_args *a);

/* Start of input row iy (0 <= iy < in_dims.h). */
static inline const float *ops_dw_in_row(const ops_dwconv_args *a, int iy)
{
    const size_t slot = a->in_ring > 0 ? (size_t)(iy % a->in_ring) : (size_t)iy;
    return a->in + slot * (size_t)a->in_dims.w * (size_t)a->in_dims.c;
}

/* ---- GEMM with conv epilogue (every 1x1 convolution) ------------------- *
 * c[i][j] = act(bias[j] + sum_k a[i][k] * a_scale[k] * b[k][j]) + res[i][j]
 * a_scale (squeeze-excite gate folded into the projection), bias and res
 * may each be NULL. Strides are in elements. The order of the k-sum is the
 * kernel's own; results agree with the reference to float rounding.       */
typedef struct ops_gemm_args {
    size_t m, n, k;
    const float *a;        size_t a_stride;
    const float *a_scale;
    const float *b;        size_t b_stride;
    const float *bias;
    ops_act act;
    const float *res;      size_t res_stride;
    float *c;              size_t c_stride;
    /* B already packed by the table's gemm_pack (a_scale folded in), or
     * NULL. Packing once per layer instead of once per call matters when
     * a layer is split across threads: every row chunk would repack B.
     * With it, b may be NULL (a weight-only layer keeps no float copy of
     * the weights its packed panels were made from). */
    const float *b_packed;
} ops_gemm_args;

size_t     f32_gemm_buffer_size_scalar(size_t m, size_t n, size_t k);
ops_status f32_gemm_scalar(const ops_gemm_args *a, void *scratch);

/* ---- squeeze-excite gate ------------------------------------------------ *
 * From the spatial mean of the depthwise output, computes the per-channel
 * gate  g = gate_act(w2 * act(w1 * mean + b1) + b2).
 * w1: [rc][c] (reduce), w2: [c][rc] (expand). scratch: rc floats.        */
typedef struct ops_se_args {
    const float *mean; int c, rc;
    const float *w1, *b1; ops_act act;
    const float *w2, *b2; ops_act gate_act;
    float *gate;
    float *scratch;
} ops_se_args;
ops_status f32_se_gate_scalar(const ops_se_args *a);

/* ---- pooling ------------------------------------------------------------ */
/* out[c] = mean over the hw pixels of in[p][c] */
ops_status f32_mean_hw_scalar(const float *in, size_t hw, size_t c, float *out);

/* ---- elementwise binary with broadcasting (ONNX Add/Sub/Mul/Div) ------- *
 * out[i] = a[ia] op b[ib] over an index space of up to OPS_MAX_RANK dims;
 * a stride of 0 repeats an operand along that axis (numpy broadcasting).
 * The engine folds its own Add and Mul into GEMM epilogues; this kernel is
 * for graphs that keep them (and the conformance runner).                */
#define OPS_MAX_RANK 8
typedef enum ops_binary_op { OPS_BIN_ADD, OPS_BIN_SUB, OPS_BIN_MUL, OPS_BIN_DIV } ops_binary_op;
typedef struct ops_binary_args {
    ops_binary_op op;
    int rank;
    size_t dims[OPS_MAX_RANK];
    const float *a; size_t a_stride[OPS_MAX_RANK];   /* in elements */
    const float *b; size_t b_stride[OPS_MAX_RANK];
    float *out;                                      /* dense, row-major */
} ops_binary_args;
ops_status f32_binary_scalar(const ops_binary_args *a);

/* ---- constant padding / cropping (ONNX Pad, mode "constant") ----------- *
 * out has in_dims[d] + pad_lo[d] + pad_hi[d] along each axis; a negative
 * pad crops. Cells that fall outside the input get value.               */
typedef struct ops_pad_args {
    int rank;
    const float *in;  size_t in_dims[OPS_MAX_RANK];
    long pad_lo[OPS_MAX_RANK], pad_hi[OPS_MAX_RANK];
    float value;
    float *out;
} ops_pad_args;
ops_status f32_pad_scalar(const ops_pad_args *a);

#endif /* EFFAD_OPS_H */
