/*
 * efm-codec.h -- the .efm records as C structs, and the one place that
 * turns them into bytes and back (engine/efm-codec.c).
 *
 * The loader decodes with these and then validates the structs; the
 * converter's writer fills the structs and encodes them. Field positions
 * live only in efm-format.h and the tables of efm-codec.c.
 */
#ifndef EFFAD_EFM_CODEC_H
#define EFFAD_EFM_CODEC_H

#include <stddef.h>
#include <stdint.h>
#include "efm-format.h"

typedef struct efm_conv_rec {
    uint32_t kh, kw, stride_h, stride_w, dil_h, dil_w;
    uint32_t pad_t, pad_l, pad_b, pad_r, pad_mode, groups, cin, cout, act;
    float act_a, act_b;
    uint32_t w, b;                 /* tensor indices or EFM_NONE */
    /* version 2 (version 1 decodes as float32 in and out) */
    uint32_t in_dtype;  float in_scale;  int32_t in_zero;
    uint32_t out_dtype; float out_scale; int32_t out_zero;
} efm_conv_rec;

typedef struct efm_block_rec {
    uint32_t stage, skip, in_c, mid_c, out_c, se_c;
    efm_conv_rec conv[EFM_BC_COUNT];
} efm_block_rec;

typedef struct efm_tensor_rec {
    uint32_t dtype, ndim, dims[4];
    uint64_t offset, bytes;
    uint32_t qscale;               /* tensor index or EFM_NONE */
    int32_t qzero;
} efm_tensor_rec;

typedef struct efm_tap_rec {
    uint32_t at, pooled, channels;
    char name[EFM_NAME_BYTES], node[EFM_NAME_BYTES];   /* NUL-terminated after decode */
} efm_tap_rec;

typedef struct efm_header {
    char magic[8];
    uint32_t version, header_bytes;
    uint64_t file_bytes, payload_hash, header_hash;
    uint32_t family, flags;
    char variant[EFM_VARIANT_BYTES];
    uint32_t in_c, in_h, in_w, resize;
    float mean[3], std[3];
    uint32_t n_blocks, n_stages, n_tensors, n_taps;
    uint64_t blocks_off, tensors_off, taps_off, data_off;
    efm_conv_rec stem, head;
    char source[EFM_NAME_BYTES];
    char tap_rule[EFM_TAP_RULE_BYTES];
} efm_header;

/* Decoders read exactly the record's bytes (the caller has checked they
 * are in the buffer); strings come out NUL-terminated (a full-width name
 * loses its last byte). Encoders write the current version (EFM_VERSION)
 * and zero every byte they do not own. */
void efm_header_decode(const uint8_t *p, efm_header *h);
void efm_header_encode(const efm_header *h, uint8_t p[EFM_HEADER_BYTES]);
void efm_conv_decode(const uint8_t *p, uint32_t version, efm_conv_rec *c);
void efm_block_decode(const uint8_t *p, uint32_t version, efm_block_rec *b);
void efm_block_encode(const efm_block_rec *b, uint8_t *p);
void efm_tensor_decode(const uint8_t *p, uint32_t version, efm_tensor_rec *t);
void efm_tensor_encode(const efm_tensor_rec *t, uint8_t p[EFM_TENSOR_BYTES]);
void efm_tap_decode(const uint8_t *p, efm_tap_rec *t);
void efm_tap_encode(const efm_tap_rec *t, uint8_t p[EFM_TAP_BYTES]);

/* An absent convolution (w = b = EFM_NONE, float32 in and out). */
void efm_conv_none(efm_conv_rec *c);
/* Bytes of one element of an efm_dtype, 0 for an unknown one. */
uint32_t efm_dtype_bytes(uint32_t dtype);

/* Seals a complete file: file size, payload hash, then header hash. */
void efm_seal(uint8_t *file, size_t n);

#endif
