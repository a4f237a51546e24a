/* The .efm records to bytes and back, through one table per record: the
 * loader and the writer share these tables, so a field's position is
 * written down once (efm-format.h) and used once (here). */
#include <stddef.h>
#include <string.h>
#include "effad.h"
#include "efm-codec.h"
#include "le.h"

typedef enum { K_U32, K_F32, K_U64, K_CHARS } field_kind;

/* One field: its byte offset in the record, its kind, how many (elements,
 * or bytes for K_CHARS) and where it lives in the struct. */
typedef struct field { uint16_t at; uint8_t kind; uint8_t count; uint16_t member; } field;

#define F(st, at, kind, count, mem) { (uint16_t)(at), (uint8_t)(kind), (uint8_t)(count), (uint16_t)offsetof(st, mem) }
#define N(table) (sizeof table / sizeof table[0])

static void decode(const field *f, size_t n, const uint8_t *p, int base, void *s)
{
    for (size_t i = 0; i < n; i++) {
        const uint8_t *src = p + f[i].at - base;
        uint8_t *dst = (uint8_t *)s + f[i].member;
        for (int k = 0; k < f[i].count; k++) {
            switch ((field_kind)f[i].kind) {
            case K_U32: { uint32_t v = le_u32(src + 4 * k); memcpy(dst + 4 * k, &v, 4); break; }
            case K_F32: { float v = le_f32(src + 4 * k); memcpy(dst + 4 * k, &v, 4); break; }
            case K_U64: { uint64_t v = le_u64(src + 8 * k); memcpy(dst + 8 * k, &v, 8); break; }
            case K_CHARS: dst[k] = src[k]; break;
            }
        }
        if (f[i].kind == K_CHARS) dst[f[i].count - 1] = 0;
    }
}

static void encode(const field *f, size_t n, const void *s, uint8_t *p, int base)
{
    for (size_t i = 0; i < n; i++) {
        uint8_t *dst = p + f[i].at - base;
        const uint8_t *src = (const uint8_t *)s + f[i].member;
        for (int k = 0; k < f[i].count; k++) {
            switch ((field_kind)f[i].kind) {
            case K_U32: { uint32_t v; memcpy(&v, src + 4 * k, 4); le_put_u32(dst + 4 * k, v); break; }
            case K_F32: { float v; memcpy(&v, src + 4 * k, 4); le_put_f32(dst + 4 * k, v); break; }
            case K_U64: { uint64_t v; memcpy(&v, src + 8 * k, 8); le_put_u64(dst + 8 * k, v); break; }
            case K_CHARS: dst[k] = src[k]; break;
            }
        }
    }
}

/* ------------------------------------------------------------- tables */

/* version 1 part of a conv record: [0, EFM_CONV_BYTES_V1) */
static const field conv_v1[] = {
    F(efm_conv_rec, EFM_C_KH, K_U32, 1, kh),             F(efm_conv_rec, EFM_C_KW, K_U32, 1, kw),
    F(efm_conv_rec, EFM_C_STRIDE_H, K_U32, 1, stride_h), F(efm_conv_rec, EFM_C_STRIDE_W, K_U32, 1, stride_w),
    F(efm_conv_rec, EFM_C_DIL_H, K_U32, 1, dil_h),       F(efm_conv_rec, EFM_C_DIL_W, K_U32, 1, dil_w),
    F(efm_conv_rec, EFM_C_PAD_T, K_U32, 1, pad_t),       F(efm_conv_rec, EFM_C_PAD_L, K_U32, 1, pad_l),
    F(efm_conv_rec, EFM_C_PAD_B, K_U32, 1, pad_b),       F(efm_conv_rec, EFM_C_PAD_R, K_U32, 1, pad_r),
    F(efm_conv_rec, EFM_C_PAD_MODE, K_U32, 1, pad_mode), F(efm_conv_rec, EFM_C_GROUPS, K_U32, 1, groups),
    F(efm_conv_rec, EFM_C_CIN, K_U32, 1, cin),           F(efm_conv_rec, EFM_C_COUT, K_U32, 1, cout),
    F(efm_conv_rec, EFM_C_ACT, K_U32, 1, act),
    F(efm_conv_rec, EFM_C_ACT_A, K_F32, 1, act_a),       F(efm_conv_rec, EFM_C_ACT_B, K_F32, 1, act_b),
    F(efm_conv_rec, EFM_C_W, K_U32, 1, w),               F(efm_conv_rec, EFM_C_B, K_U32, 1, b),
};
/* version 2 quantisation part: [EFM_C_IN_DTYPE, EFM_CONV_BYTES_V2) */
static const field conv_q[] = {
    F(efm_conv_rec, EFM_C_IN_DTYPE, K_U32, 1, in_dtype),   F(efm_conv_rec, EFM_C_IN_SCALE, K_F32, 1, in_scale),
    F(efm_conv_rec, EFM_C_IN_ZERO, K_U32, 1, in_zero),
    F(efm_conv_rec, EFM_C_OUT_DTYPE, K_U32, 1, out_dtype), F(efm_conv_rec, EFM_C_OUT_SCALE, K_F32, 1, out_scale),
    F(efm_conv_rec, EFM_C_OUT_ZERO, K_U32, 1, out_zero),
};
static const field block_head[] = {
    F(efm_block_rec, EFM_B_STAGE, K_U32, 1, stage), F(efm_block_rec, EFM_B_SKIP, K_U32, 1, skip),
    F(efm_block_rec, EFM_B_IN_C, K_U32, 1, in_c),   F(efm_block_rec, EFM_B_MID_C, K_U32, 1, mid_c),
    F(efm_block_rec, EFM_B_OUT_C, K_U32, 1, out_c), F(efm_block_rec, EFM_B_SE_C, K_U32, 1, se_c),
};
static const field tensor_v1[] = {
    F(efm_tensor_rec, EFM_T_DTYPE, K_U32, 1, dtype), F(efm_tensor_rec, EFM_T_NDIM, K_U32, 1, ndim),
    F(efm_tensor_rec, EFM_T_DIMS, K_U32, 4, dims),
    F(efm_tensor_rec, EFM_T_OFFSET, K_U64, 1, offset), F(efm_tensor_rec, EFM_T_BYTES, K_U64, 1, bytes),
    F(efm_tensor_rec, EFM_T_QSCALE, K_U32, 1, qscale),
};
static const field tensor_q[] = { F(efm_tensor_rec, EFM_T_QZERO, K_U32, 1, qzero) };
static const field tap[] = {
    F(efm_tap_rec, EFM_P_AT, K_U32, 1, at), F(efm_tap_rec, EFM_P_POOLED, K_U32, 1, pooled),
    F(efm_tap_rec, EFM_P_CHANNELS, K_U32, 1, channels),
    F(efm_tap_rec, EFM_P_NAME, K_CHARS, EFM_NAME_BYTES, name), F(efm_tap_rec, EFM_P_NODE, K_CHARS, EFM_NAME_BYTES, node),
};
static const field header[] = {
    F(efm_header, EFM_H_MAGIC, K_CHARS, 8, magic),
    F(efm_header, EFM_H_VERSION, K_U32, 1, version),      F(efm_header, EFM_H_HEADER_BYTES, K_U32, 1, header_bytes),
    F(efm_header, EFM_H_FILE_BYTES, K_U64, 1, file_bytes), F(efm_header, EFM_H_PAYLOAD_HASH, K_U64, 1, payload_hash),
    F(efm_header, EFM_H_HEADER_HASH, K_U64, 1, header_hash),
    F(efm_header, EFM_H_FAMILY, K_U32, 1, family),        F(efm_header, EFM_H_FLAGS, K_U32, 1, flags),
    F(efm_header, EFM_H_VARIANT, K_CHARS, EFM_VARIANT_BYTES, variant),
    F(efm_header, EFM_H_IN_C, K_U32, 1, in_c), F(efm_header, EFM_H_IN_C + 4, K_U32, 1, in_h),
    F(efm_header, EFM_H_IN_C + 8, K_U32, 1, in_w),
    F(efm_header, EFM_H_RESIZE, K_U32, 1, resize),
    F(efm_header, EFM_H_MEAN, K_F32, 3, mean),            F(efm_header, EFM_H_STD, K_F32, 3, std),
    F(efm_header, EFM_H_N_BLOCKS, K_U32, 1, n_blocks),    F(efm_header, EFM_H_N_BLOCKS + 4, K_U32, 1, n_stages),
    F(efm_header, EFM_H_N_BLOCKS + 8, K_U32, 1, n_tensors), F(efm_header, EFM_H_N_BLOCKS + 12, K_U32, 1, n_taps),
    F(efm_header, EFM_H_BLOCKS_OFF, K_U64, 1, blocks_off), F(efm_header, EFM_H_BLOCKS_OFF + 8, K_U64, 1, tensors_off),
    F(efm_header, EFM_H_BLOCKS_OFF + 16, K_U64, 1, taps_off), F(efm_header, EFM_H_BLOCKS_OFF + 24, K_U64, 1, data_off),
    F(efm_header, EFM_H_SOURCE, K_CHARS, EFM_NAME_BYTES, source),
    F(efm_header, EFM_H_TAP_RULE, K_CHARS, EFM_TAP_RULE_BYTES, tap_rule),
};
_Static_assert(EFM_C_RESERVED2 + 8 == EFM_CONV_BYTES_V2 && EFM_C_IN_DTYPE == EFM_CONV_BYTES_V1,
               "the version 2 conv fields follow the version 1 record");
_Static_assert(EFM_H_HEAD_Q + (EFM_CONV_BYTES_V2 - EFM_CONV_BYTES_V1) == EFM_H_END && EFM_H_END <= EFM_HEADER_BYTES,
               "header fields fit the header");

/* ------------------------------------------------------------ records */

uint32_t efm_dtype_bytes(uint32_t dtype)
{
    switch (dtype) {
    case EFM_F32: case EFM_S32: return 4;
    case EFM_S8: case EFM_U8: return 1;
    default: return 0;
    }
}

void efm_conv_none(efm_conv_rec *c)
{
    memset(c, 0, sizeof *c);
    c->w = c->b = EFM_NONE;
    c->in_dtype = c->out_dtype = EFM_F32;
}

/* The conv record split in two parts that may live apart (the header's
 * stem and head): v1 part at p, quantisation part at q. */
static void conv_decode_parts(const uint8_t *p, const uint8_t *q, uint32_t version, efm_conv_rec *c)
{
    efm_conv_none(c);
    decode(conv_v1, N(conv_v1), p, 0, c);
    if (version >= 2) decode(conv_q, N(conv_q), q, EFM_C_IN_DTYPE, c);
}

static void conv_encode_parts(const efm_conv_rec *c, uint8_t *p, uint8_t *q)
{
    memset(p, 0, EFM_CONV_BYTES_V1);
    memset(q, 0, EFM_CONV_BYTES_V2 - EFM_CONV_BYTES_V1);
    encode(conv_v1, N(conv_v1), c, p, 0);
    encode(conv_q, N(conv_q), c, q, EFM_C_IN_DTYPE);
}

void efm_conv_decode(const uint8_t *p, uint32_t version, efm_conv_rec *c)
{
    conv_decode_parts(p, p + EFM_C_IN_DTYPE, version, c);
}

void efm_block_decode(const uint8_t *p, uint32_t version, efm_block_rec *b)
{
    memset(b, 0, sizeof *b);
    decode(block_head, N(block_head), p, 0, b);
    for (int i = 0; i < EFM_BC_COUNT; i++) efm_conv_decode(p + efm_block_conv_at(version, i), version, &b->conv[i]);
}

void efm_block_encode(const efm_block_rec *b, uint8_t *p)
{
    memset(p, 0, efm_block_bytes(EFM_VERSION));
    encode(block_head, N(block_head), b, p, 0);
    for (int i = 0; i < EFM_BC_COUNT; i++) {
        uint8_t *c = p + efm_block_conv_at(EFM_VERSION, i);
        conv_encode_parts(&b->conv[i], c, c + EFM_C_IN_DTYPE);
    }
}

void efm_tensor_decode(const uint8_t *p, uint32_t version, efm_tensor_rec *t)
{
    memset(t, 0, sizeof *t);
    decode(tensor_v1, N(tensor_v1), p, 0, t);
    if (version >= 2) decode(tensor_q, N(tensor_q), p, 0, t);
}

void efm_tensor_encode(const efm_tensor_rec *t, uint8_t p[EFM_TENSOR_BYTES])
{
    memset(p, 0, EFM_TENSOR_BYTES);
    encode(tensor_v1, N(tensor_v1), t, p, 0);
    encode(tensor_q, N(tensor_q), t, p, 0);
}

void efm_tap_decode(const uint8_t *p, efm_tap_rec *t)
{
    memset(t, 0, sizeof *t);
    decode(tap, N(tap), p, 0, t);
}

void efm_tap_encode(const efm_tap_rec *t, uint8_t p[EFM_TAP_BYTES])
{
    memset(p, 0, EFM_TAP_BYTES);
    encode(tap, N(tap), t, p, 0);
}

void efm_header_decode(const uint8_t *p, efm_header *h)
{
    memset(h, 0, sizeof *h);
    decode(header, N(header), p, 0, h);
    conv_decode_parts(p + EFM_H_STEM, p + EFM_H_STEM_Q, h->version, &h->stem);
    conv_decode_parts(p + EFM_H_HEAD, p + EFM_H_HEAD_Q, h->version, &h->head);
}

void efm_header_encode(const efm_header *h, uint8_t p[EFM_HEADER_BYTES])
{
    memset(p, 0, EFM_HEADER_BYTES);
    encode(header, N(header), h, p, 0);
    conv_encode_parts(&h->stem, p + EFM_H_STEM, p + EFM_H_STEM_Q);
    conv_encode_parts(&h->head, p + EFM_H_HEAD, p + EFM_H_HEAD_Q);
}

void efm_seal(uint8_t *file, size_t n)
{
    le_put_u64(file + EFM_H_FILE_BYTES, n);
    le_put_u64(file + EFM_H_PAYLOAD_HASH, effad_hash64(file + EFM_HEADER_BYTES, n - EFM_HEADER_BYTES, 0));
    memset(file + EFM_H_HEADER_HASH, 0, 8);
    le_put_u64(file + EFM_H_HEADER_HASH, effad_hash64(file, EFM_HEADER_BYTES, 0));
}
