/* Ranges and float weights to int8 records (quant.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "quant.h"

static const effad_qtype f32_type = { EFFAD_F32, 0.0f, 0 };

effad_qtype quant_qtype(quant_range r, int act_bits)
{
    if (r.exact.dtype == EFFAD_U8 || r.exact.dtype == EFFAD_S16) return r.exact;
    if (act_bits == 16) {
        float m = fabsf(r.lo) > fabsf(r.hi) ? fabsf(r.lo) : fabsf(r.hi);
        if (!(m > 1e-8f)) m = 1e-8f;
        const effad_qtype q = { EFFAD_S16, m / 32767.0f, 0 };
        return q;
    }
    float lo = r.lo < 0.0f ? r.lo : 0.0f, hi = r.hi > 0.0f ? r.hi : 0.0f;
    if (!(hi - lo > 1e-8f)) hi = lo + 1e-8f;   /* a constant map still needs a positive scale */
    effad_qtype q = { EFFAD_U8, (hi - lo) / 255.0f, 0 };
    long zp = lrintf(-lo / q.scale);
    q.zero_point = (int32_t)(zp < 0 ? 0 : zp > 255 ? 255 : zp);
    return q;
}

void quant_weights(const float *w, int cout, int per, int bits, int8_t *q, float *scale)
{
    const float qmax = (float)((1 << (bits - 1)) - 1);
    for (int o = 0; o < cout; o++) {
        const float *row = w + (size_t)o * per;
        float m = 0.0f;
        for (int i = 0; i < per; i++) m = fabsf(row[i]) > m ? fabsf(row[i]) : m;
        scale[o] = m > 0.0f ? m / qmax : 1.0f;
        for (int i = 0; i < per; i++) {
            float v = nearbyintf(row[i] / scale[o]);
            v = v > qmax ? qmax : v < -qmax ? -qmax : v;
            q[(size_t)o * per + i] = (int8_t)v;
        }
    }
}

const char *quant_round_name(int round) { return round == QUANT_ROUND_GPTQ ? "gptq" : "nearest"; }

int quant_round_parse(const char *s)
{
    if (!strcmp(s, "gptq")) return QUANT_ROUND_GPTQ;
    if (!strcmp(s, "nearest")) return QUANT_ROUND_NEAREST;
    return -1;
}

void quant_codes_free(quant_codes *c)
{
    if (!c) return;
    for (int i = 0; i < QUANT_CODE_SLOTS; i++) { free(c->q[i]); free(c->scale[i]); }
    free(c);
}

/* Point r as a unit of kind `unit` reads or writes it: an int16 unit in a
 * uint8 model at 16 bits over its wider range (an exact, imported type is
 * kept as it is). */
static effad_qtype unit_qtype(const convert_quant *q, int unit, quant_range r)
{
    const int bits = unit == QUANT_UNIT_INT16 || q->act_bits == 16 ? 16 : 8;
    const effad_dtype want = bits == 16 ? EFFAD_S16 : EFFAD_U8;
    if (r.exact.dtype == want) return r.exact;
    if (r.exact_alt.dtype == want) return r.exact_alt;
    /* an imported type of the other width only: kept, so that the loader
     * refuses the block instead of a scale made up from no range */
    if (r.exact.dtype == EFFAD_U8 || r.exact.dtype == EFFAD_S16) return r.exact;
    if (bits == 16 && q->act_bits != 16 && q->act16_widen > 0.0f) { r.lo *= q->act16_widen; r.hi *= q->act16_widen; }
    return quant_qtype(r, bits);
}

static int has_act(int unit) { return unit == QUANT_UNIT_INT8 || unit == QUANT_UNIT_INT16; }

int quant_unit_weight_bits(const convert_quant *q, int unit)
{
    const int int16 = q && (unit == QUANT_UNIT_INT16 || (unit == QUANT_UNIT_INT8 && q->act_bits == 16));
    return int16 || !q ? 8 : q->weight_bits;
}

void quant_block(const convert_quant *q, int i, int has_expand, int has_se, quant_block_types *t)
{
    const int unit = q && i < q->n_blocks ? q->block_int8[i] : QUANT_UNIT_FLOAT;
    t->int8_weights = unit != QUANT_UNIT_FLOAT;
    t->weight_bits = quant_unit_weight_bits(q, unit);
    if (!has_act(unit)) {
        t->in = t->expand_out = t->dw_out = t->project_in = t->out = f32_type;
        return;
    }
    t->in = unit_qtype(q, unit, i == 0 ? q->stem_out : q->out[i - 1]);
    t->expand_out = has_expand ? unit_qtype(q, unit, q->expand[i]) : t->in;
    t->dw_out = unit_qtype(q, unit, q->dw[i]);
    t->project_in = has_se ? unit_qtype(q, unit, q->gated[i]) : t->dw_out;
    t->out = unit_qtype(q, unit, q->out[i]);
}

void quant_head(const convert_quant *q, int n_blocks, effad_qtype *in, effad_qtype *out, int *int8_weights)
{
    const int unit = q ? q->head_int8 : QUANT_UNIT_FLOAT;
    *int8_weights = unit != QUANT_UNIT_FLOAT;
    *in = has_act(unit) ? unit_qtype(q, unit, n_blocks ? q->out[n_blocks - 1] : q->stem_out) : f32_type;
    *out = has_act(unit) ? unit_qtype(q, unit, q->head_out) : f32_type;
}
