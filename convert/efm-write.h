#ifndef EFFAD_EFM_WRITE_H
#define EFFAD_EFM_WRITE_H
#include "match.h"
typedef struct efm_write_options {
    float mean[3], std[3];
    const char *source;
    const convert_quant *quant;   /* NULL: float32 throughout */
    const struct quant_codes *codes;  /* int8 weights rounded ahead, for a quant
                                         asking QUANT_ROUND_GPTQ (quant.h) */
} efm_write_options;
/* Serialises m (layers with weights in ONNX OIHW order, pad_mode set). */
effad_status efm_write(const mnet *m, const efm_write_options *opt,
                       uint8_t **out, size_t *out_bytes, effad_error *e);
#endif
