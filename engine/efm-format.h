/*
 * efm-format.h -- the .efm model file, byte by byte.
 *
 * One flat file, read with one mmap (llama2.c's checkpoint idea) but with a
 * real header, so a truncated, foreign or bit-flipped file is refused with
 * a message instead of being trusted. Every field is little-endian on disk
 * and is decoded byte by byte, so the loader is right on big-endian hosts.
 *
 *   offset 0            header            EFM_HEADER_BYTES
 *   header.blocks_off   block table       n_blocks  x EFM_BLOCK_BYTES
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
 * Weight layouts (float32), chosen for channels-last kernels (ops/ops.h):
 *   stem / general conv  [kh][kw][cin/groups][cout]
 *   depthwise            [kh][kw][c]
 *   1x1 (expand, project, head)  [cin][cout]
 *   se_reduce            [rc][c]     se_expand  [c][rc]
 *
 * Padding. pad_mode SYMMETRIC (torchvision) keeps the recorded pads at any
 * input size; TF_SAME (lukemelas/EfficientNet-PyTorch, TensorFlow) means
 * the pads were TensorFlow's "same" at the native size and are recomputed
 * for another input size; EXPLICIT keeps the recorded pads and refuses
 * other sizes that would need different ones (it never does: pads are
 * applied as given).
 */
#ifndef EFFAD_EFM_FORMAT_H
#define EFFAD_EFM_FORMAT_H

#include <stdint.h>

#define EFM_MAGIC          "EFFADEFM"
#define EFM_VERSION        1u
#define EFM_ALIGN          64u
#define EFM_NONE           0xffffffffu
#define EFM_HEADER_BYTES   512u
#define EFM_CONV_BYTES     80u
#define EFM_BLOCK_BYTES    (32u + 5u * EFM_CONV_BYTES)
#define EFM_TENSOR_BYTES   48u
#define EFM_TAP_BYTES      160u
#define EFM_NAME_BYTES     72u

enum efm_family   { EFM_FAMILY_EFFICIENTNET = 1 };
enum efm_dtype    { EFM_F32 = 1, EFM_S8 = 2, EFM_S32 = 3 };
enum efm_pad_mode { EFM_PAD_EXPLICIT = 0, EFM_PAD_SYMMETRIC = 1, EFM_PAD_TF_SAME = 2 };
enum efm_resize   { EFM_RESIZE_UNSPECIFIED = 0, EFM_RESIZE_SHORT_SIDE_CROP = 1, EFM_RESIZE_DIRECT = 2 };
/* Where a tap reads: EFM_TAP_STEM, the output of block i (EFM_TAP_BLOCK0+i),
 * or EFM_TAP_HEAD (= EFM_TAP_BLOCK0 + n_blocks). */
enum efm_tap_at   { EFM_TAP_STEM = 0, EFM_TAP_BLOCK0 = 1 };

/* Header field offsets. */
enum efm_header_field {
    EFM_H_MAGIC = 0,            /* char[8]                              */
    EFM_H_VERSION = 8,          /* u32                                  */
    EFM_H_HEADER_BYTES = 12,    /* u32                                  */
    EFM_H_FILE_BYTES = 16,      /* u64                                  */
    EFM_H_PAYLOAD_HASH = 24,    /* u64                                  */
    EFM_H_HEADER_HASH = 32,     /* u64, of the header with this zeroed  */
    EFM_H_FAMILY = 40,          /* u32                                  */
    EFM_H_FLAGS = 44,           /* u32, bit 0: has head                 */
    EFM_H_VARIANT = 48,         /* char[16], NUL-padded: "b0", "custom" */
    EFM_H_IN_C = 64,            /* u32 x 3: c, h, w (native size)       */
    EFM_H_RESIZE = 76,          /* u32 efm_resize                       */
    EFM_H_MEAN = 80,            /* f32 x 3                              */
    EFM_H_STD = 92,             /* f32 x 3                              */
    EFM_H_N_BLOCKS = 104,       /* u32 x 4: blocks, stages, tensors, taps */
    EFM_H_BLOCKS_OFF = 120,     /* u64 x 4: blocks, tensors, taps, data */
    EFM_H_STEM = 152,           /* efm_conv                             */
    EFM_H_HEAD = 152 + 80,      /* efm_conv                             */
    EFM_H_SOURCE = 312,         /* char[EFM_NAME_BYTES]: converted from */
    EFM_H_TAP_RULE = 384,       /* char[16]: "graph-outputs", "stage-end", "stage-start" */
    EFM_H_END = 400
};

/* efm_conv record, 80 bytes: u32 fields in this order, then act params. */
enum efm_conv_field {
    EFM_C_KH = 0, EFM_C_KW = 4, EFM_C_STRIDE_H = 8, EFM_C_STRIDE_W = 12,
    EFM_C_DIL_H = 16, EFM_C_DIL_W = 20,
    EFM_C_PAD_T = 24, EFM_C_PAD_L = 28, EFM_C_PAD_B = 32, EFM_C_PAD_R = 36,
    EFM_C_PAD_MODE = 40, EFM_C_GROUPS = 44, EFM_C_CIN = 48, EFM_C_COUT = 52,
    EFM_C_ACT = 56, EFM_C_ACT_A = 60 /* f32 */, EFM_C_ACT_B = 64 /* f32 */,
    EFM_C_W = 68, EFM_C_B = 72 /* tensor indices or EFM_NONE */,
    EFM_C_RESERVED = 76
};

/* efm_block record: 32 bytes of u32 fields, then 5 convs. */
enum efm_block_field {
    EFM_B_STAGE = 0, EFM_B_SKIP = 4, EFM_B_IN_C = 8, EFM_B_MID_C = 12,
    EFM_B_OUT_C = 16, EFM_B_SE_C = 20, EFM_B_RESERVED = 24,
    EFM_B_EXPAND = 32, EFM_B_DW = 32 + 80, EFM_B_SE_REDUCE = 32 + 160,
    EFM_B_SE_EXPAND = 32 + 240, EFM_B_PROJECT = 32 + 320
};

/* efm_tensor record, 48 bytes. */
enum efm_tensor_field {
    EFM_T_DTYPE = 0, EFM_T_NDIM = 4, EFM_T_DIMS = 8 /* u32 x 4 */,
    EFM_T_OFFSET = 24 /* u64 */, EFM_T_BYTES = 32 /* u64 */,
    EFM_T_QSCALE = 40, EFM_T_QZERO = 44 /* tensor indices, int8 path */
};

/* efm_tap record, 160 bytes. */
enum efm_tap_field {
    EFM_P_AT = 0, EFM_P_POOLED = 4 /* 1: the ONNX output was pooled */,
    EFM_P_CHANNELS = 8, EFM_P_RESERVED = 12,
    EFM_P_NAME = 16 /* char[72]: ONNX value name */,
    EFM_P_NODE = 16 + 72 /* char[72]: ONNX node that produced it */
};

#endif /* EFFAD_EFM_FORMAT_H */
