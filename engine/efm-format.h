/*
 * efm-format.h -- the .efm model file, byte by byte.
 *
 * One flat file, read with one mmap (llama2.c's checkpoint idea) but with a
 * real header, so a truncated, foreign or bit-flipped file is refused with
 * a message instead of being trusted. Every field is little-endian on disk.
 * The byte layout below is used in exactly one place: the field tables of
 * engine/efm-codec.c, which both the loader and the converter's writer go
 * through, so the two cannot disagree about where a field lives; the
 * limits a loader enforces (EFM_MAX_*) are the ones the writer checks
 * before it writes.
 *
 *   offset 0            header            EFM_HEADER_BYTES
 *   header.blocks_off   block table       n_blocks  x efm_block_bytes(version)
 *   header.tensors_off  tensor directory  n_tensors x EFM_TENSOR_BYTES
 *   header.taps_off     tap table         n_taps    x EFM_TAP_BYTES
 *   header.data_off     tensor data, each tensor EFM_ALIGN-aligned
 *
 * Two 64-bit hashes (engine/hash64.c) guard the file: header_hash covers
 * the header with that field zeroed; payload_hash covers every byte after
 * the header. The payload hash doubles as the model's identity: a .gauss
 * fitted with one model refuses to score with another.
 *
 * Network description. A model is stem -> blocks -> optional head, the
 * EfficientNet/MBConv family (B0-B7, Lite0-4, and the tiny test nets):
 *   block = [expand 1x1] -> depthwise kxk -> [squeeze-excite] -> project 1x1
 *           -> [+ block input]
 * Every convolution is an efm_conv record; an absent one has w == EFM_NONE.
 * Squeeze-excite uses two conv records: se_reduce (act = its activation)
 * and se_expand (act = the gate, sigmoid). BatchNorm is already folded.
 *
 * Weight layouts, chosen for channels-last kernels (ops/ops.h):
 *   stem / general conv  [kh][kw][cin/groups][cout]
 *   depthwise            [kh][kw][c]
 *   1x1 (expand, project, head)  [cin][cout]
 *   se_reduce            [rc][c]     se_expand  [c][rc]
 *
 * Versions.
 *   1  float32 only; conv records of 80 bytes.
 *   2  typed layers: each conv record also says the type of its input and
 *      output activations (float32, or uint8 with a scale and zero point),
 *      and a weight tensor may be int8 with per-output-channel scales (a
 *      float32 tensor named by the tensor record's qscale field). Conv
 *      records are 112 bytes. A float32 model written as version 2 decodes
 *      to exactly what its version 1 file did. The loader reads both.
 *
 * Quantised layers (version 2). Activations are uint8 with a per-tensor
 * affine map real = scale * (q - zero_point); weights are int8, symmetric
 * (zero point 0), one scale per output channel; biases stay float32 (the
 * int8 kernels finish in float: acc * scale_in * scale_w[c] + bias[c],
 * activation, then quantise to the output). A layer's in_q must equal the
 * out_q of the layer that feeds it; the loader checks that chain.
 * A quantised layer may instead read and write int16 activations (dtype
 * S16, zero point 0: real = scale * q) with the same int8 weights --
 * TensorFlow Lite's 16x8 mode, for activations whose range needs more
 * than 256 levels (ops/q16.h). Its output has its input's type; between
 * blocks the engine converts between float32, uint8 and int16 (uint8 <->
 * int16 through float), so one model may mix uint8 and 16x8 blocks
 * (convert --act16). Files with S16 layers are still version 2: a reader
 * that predates them refuses the dtype by name.
 * A layer may also keep int8 weights under float32 activations (in and
 * out): weight-only, for blocks whose activations lose too much in 8 bits
 * but whose weights do not -- a quarter of the float bytes at float
 * accuracy of the activations. The engine dequantises the weights once
 * (q * scale, as ONNX's DequantizeLinear) and runs its float32 kernels. A
 * block is float32, int8 (or 16x8) or weight-only throughout; its
 * squeeze-excite weights are int8 in the last two. Still version 2: a
 * reader that predates it refuses "int8 weights need a uint8 or int16
 * input".
 *
 * Padding. pad_mode SYMMETRIC (torchvision) keeps the recorded pads at any
 * input size; TF_SAME (lukemelas/EfficientNet-PyTorch, TensorFlow) means
 * the pads were TensorFlow's "same" at the native size and are recomputed
 * for another input size (ops_tf_same_pad, the one implementation of the
 * rule); EXPLICIT keeps the recorded pads.
 */
#ifndef EFFAD_EFM_FORMAT_H
#define EFFAD_EFM_FORMAT_H

#include <stdint.h>

#define EFM_MAGIC          "EFFADEFM"
#define EFM_VERSION        2u          /* written; 1 and 2 are read */
#define EFM_VERSION_MIN    1u
#define EFM_ALIGN          64u
#define EFM_NONE           0xffffffffu
#define EFM_HEADER_BYTES   512u
#define EFM_TENSOR_BYTES   48u
#define EFM_TAP_BYTES      160u
#define EFM_NAME_BYTES     72u
#define EFM_VARIANT_BYTES  16u
#define EFM_TAP_RULE_BYTES 16u

/* Record sizes by version. */
#define EFM_CONV_BYTES_V1  80u
#define EFM_CONV_BYTES_V2  112u
#define EFM_BLOCK_HEAD_BYTES 32u
static inline uint32_t efm_conv_bytes(uint32_t version) { return version >= 2 ? EFM_CONV_BYTES_V2 : EFM_CONV_BYTES_V1; }
static inline uint32_t efm_block_bytes(uint32_t version) { return EFM_BLOCK_HEAD_BYTES + 5u * efm_conv_bytes(version); }

/* Limits: the loader refuses anything outside them and the writer checks
 * them before writing, so every file the converter writes loads. */
#define EFM_MAX_BLOCKS     96          /* = EFFAD_MAX_BLOCKS */
#define EFM_MAX_TAPS       32          /* = EFFAD_MAX_TAPS   */
#define EFM_MAX_TENSORS    8192u
#define EFM_MAX_CHANNELS   16384
#define EFM_MAX_KERNEL     15          /* kh, kw in 1..15 */
#define EFM_MAX_STRIDE     8           /* stride and dilation in 1..8 */
#define EFM_MAX_PAD        64
#define EFM_MAX_INPUT      8192        /* native input h, w in 1..8192 */
#define EFM_MAX_DIM        (1u << 24)  /* one tensor dimension */
#define EFM_MAX_ELEMENTS   ((uint64_t)1 << 32)

enum efm_family   { EFM_FAMILY_EFFICIENTNET = 1 };
/* Element types. U8 and S16 are only activation types (never a stored
 * tensor). */
enum efm_dtype    { EFM_F32 = 1, EFM_S8 = 2, EFM_S32 = 3, EFM_U8 = 4, EFM_S16 = 5 };
enum efm_pad_mode { EFM_PAD_EXPLICIT = 0, EFM_PAD_SYMMETRIC = 1, EFM_PAD_TF_SAME = 2 };
enum efm_resize   { EFM_RESIZE_UNSPECIFIED = 0, EFM_RESIZE_SHORT_SIDE_CROP = 1, EFM_RESIZE_DIRECT = 2 };
/* Where a tap reads: EFM_TAP_STEM, the output of block i (EFM_TAP_BLOCK0+i),
 * or EFM_TAP_HEAD (= EFM_TAP_BLOCK0 + n_blocks). */
enum efm_tap_at   { EFM_TAP_STEM = 0, EFM_TAP_BLOCK0 = 1 };
enum efm_flags    { EFM_FLAG_HEAD = 1u, EFM_FLAG_QUANTISED = 2u };

/* Header field offsets. */
enum efm_header_field {
    EFM_H_MAGIC = 0,            /* char[8]                              */
    EFM_H_VERSION = 8,          /* u32                                  */
    EFM_H_HEADER_BYTES = 12,    /* u32                                  */
    EFM_H_FILE_BYTES = 16,      /* u64                                  */
    EFM_H_PAYLOAD_HASH = 24,    /* u64                                  */
    EFM_H_HEADER_HASH = 32,     /* u64, of the header with this zeroed  */
    EFM_H_FAMILY = 40,          /* u32                                  */
    EFM_H_FLAGS = 44,           /* u32 efm_flags                        */
    EFM_H_VARIANT = 48,         /* char[16], NUL-padded: "b0", "custom" */
    EFM_H_IN_C = 64,            /* u32 x 3: c, h, w (native size)       */
    EFM_H_RESIZE = 76,          /* u32 efm_resize                       */
    EFM_H_MEAN = 80,            /* f32 x 3                              */
    EFM_H_STD = 92,             /* f32 x 3                              */
    EFM_H_N_BLOCKS = 104,       /* u32 x 4: blocks, stages, tensors, taps */
    EFM_H_BLOCKS_OFF = 120,     /* u64 x 4: blocks, tensors, taps, data */
    EFM_H_STEM = 152,           /* efm_conv, 80 bytes (v1 layout)       */
    EFM_H_HEAD = 152 + 80,      /* efm_conv, 80 bytes (v1 layout)       */
    EFM_H_SOURCE = 312,         /* char[EFM_NAME_BYTES]: converted from */
    EFM_H_TAP_RULE = 384,       /* char[16]: "graph-outputs", "stage-end", "stage-start" */
    EFM_H_STEM_Q = 400,         /* v2: the stem's 32 quantisation bytes (efm_conv from EFM_C_IN_DTYPE) */
    EFM_H_HEAD_Q = 432,         /* v2: the head's                       */
    EFM_H_END = 464
};

/* efm_conv record: u32 fields in this order, act params f32. Version 1
 * ends at EFM_C_RESERVED + 4; version 2 adds the quantisation fields. In
 * the header the stem and head keep the 80-byte version 1 slots and put
 * their version 2 fields at EFM_H_STEM_Q / EFM_H_HEAD_Q. */
enum efm_conv_field {
    EFM_C_KH = 0, EFM_C_KW = 4, EFM_C_STRIDE_H = 8, EFM_C_STRIDE_W = 12,
    EFM_C_DIL_H = 16, EFM_C_DIL_W = 20,
    EFM_C_PAD_T = 24, EFM_C_PAD_L = 28, EFM_C_PAD_B = 32, EFM_C_PAD_R = 36,
    EFM_C_PAD_MODE = 40, EFM_C_GROUPS = 44, EFM_C_CIN = 48, EFM_C_COUT = 52,
    EFM_C_ACT = 56, EFM_C_ACT_A = 60 /* f32 */, EFM_C_ACT_B = 64 /* f32 */,
    EFM_C_W = 68, EFM_C_B = 72 /* tensor indices or EFM_NONE */,
    EFM_C_RESERVED = 76,
    /* version 2 */
    EFM_C_IN_DTYPE = 80,  EFM_C_IN_SCALE = 84 /* f32 */,  EFM_C_IN_ZERO = 88 /* i32 */,
    EFM_C_OUT_DTYPE = 92, EFM_C_OUT_SCALE = 96 /* f32 */, EFM_C_OUT_ZERO = 100 /* i32 */,
    EFM_C_RESERVED2 = 104 /* 8 bytes, zero */
};

/* efm_block record: 32 bytes of u32 fields, then 5 convs. */
enum efm_block_field {
    EFM_B_STAGE = 0, EFM_B_SKIP = 4, EFM_B_IN_C = 8, EFM_B_MID_C = 12,
    EFM_B_OUT_C = 16, EFM_B_SE_C = 20, EFM_B_RESERVED = 24,
    EFM_B_CONVS = 32 /* expand, dw, se_reduce, se_expand, project */
};
enum efm_block_conv { EFM_BC_EXPAND, EFM_BC_DW, EFM_BC_SE_REDUCE, EFM_BC_SE_EXPAND, EFM_BC_PROJECT, EFM_BC_COUNT };
static inline uint32_t efm_block_conv_at(uint32_t version, int which)
{
    return EFM_B_CONVS + (uint32_t)which * efm_conv_bytes(version);
}

/* efm_tensor record, 48 bytes. */
enum efm_tensor_field {
    EFM_T_DTYPE = 0, EFM_T_NDIM = 4, EFM_T_DIMS = 8 /* u32 x 4 */,
    EFM_T_OFFSET = 24 /* u64 */, EFM_T_BYTES = 32 /* u64 */,
    EFM_T_QSCALE = 40 /* tensor index of the f32 per-output-channel scales, or EFM_NONE */,
    EFM_T_QZERO = 44  /* v2: i32 zero point (0 for symmetric weights); v1: EFM_NONE */
};

/* efm_tap record, 160 bytes. */
enum efm_tap_field {
    EFM_P_AT = 0, EFM_P_POOLED = 4 /* 1: the ONNX output was pooled */,
    EFM_P_CHANNELS = 8, EFM_P_RESERVED = 12,
    EFM_P_NAME = 16 /* char[72]: ONNX value name */,
    EFM_P_NODE = 16 + 72 /* char[72]: ONNX node that produced it */
};

#endif /* EFFAD_EFM_FORMAT_H */
