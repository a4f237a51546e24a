/* Activation ranges from observed float passes (calibrate.h). */
#include <math.h>
#include <string.h>
#include "calibrate.h"

static void widen(quant_range *r, float lo, float hi)
{
    if (lo < r->lo) r->lo = lo;
    if (hi > r->hi) r->hi = hi;
}

int calib_point(effad_point at, int block, int n_blocks)
{
    switch (at) {
    case EFFAD_AT_STEM: return 0;
    case EFFAD_AT_EXPAND: return 1 + 4 * block + CALIB_EXPAND;
    case EFFAD_AT_DEPTHWISE: return 1 + 4 * block + CALIB_DW;
    case EFFAD_AT_GATED: return 1 + 4 * block + CALIB_GATED;
    case EFFAD_AT_BLOCK_OUT: return 1 + 4 * block + CALIB_OUT;
    case EFFAD_AT_HEAD: return CALIB_POINTS(n_blocks) - 1;
    }
    return 0;
}

quant_range *calib_point_range(convert_quant *q, int p)
{
    if (p == 0) return &q->stem_out;
    if (p == CALIB_POINTS(q->n_blocks) - 1) return &q->head_out;
    const int i = (p - 1) / 4;
    switch ((p - 1) % 4) {
    case CALIB_EXPAND: return &q->expand[i];
    case CALIB_DW: return &q->dw[i];
    case CALIB_GATED: return &q->gated[i];
    default: return &q->out[i];
    }
}

void calib_init(calib *c, const effad_model *m)
{
    memset(c, 0, sizeof *c);
    c->m = m;
    const quant_range empty = { INFINITY, -INFINITY, { 0, 0.0f, 0 }, { 0, 0.0f, 0 } };
    c->seen.stem_out = c->seen.head_out = empty;
    for (int i = 0; i < EFFAD_MAX_BLOCKS; i++)
        c->seen.expand[i] = c->seen.dw[i] = c->seen.gated[i] = c->seen.out[i] = empty;
    c->seen.n_blocks = m->n_blocks;
}

void calib_observe(void *ctx, effad_point at, int block, const float *map, int h, int w, int ch, const float *chan_scale)
{
    calib *c = ctx;
    float lo = INFINITY, hi = -INFINITY;
    const size_t px = (size_t)h * w;
    for (size_t p = 0; p < px; p++)
        for (int k = 0; k < ch; k++) {
            const float v = chan_scale ? map[p * ch + k] * chan_scale[k] : map[p * ch + k];
            lo = v < lo ? v : lo;
            hi = v > hi ? v : hi;
        }
    widen(calib_point_range(&c->seen, calib_point(at, block, c->seen.n_blocks)), lo, hi);
    if (at == EFFAD_AT_STEM) c->n_inputs++;
}

static quant_range grown(quant_range r, float headroom)
{
    if (!(r.lo <= r.hi)) { quant_range z = { 0.0f, 0.0f, { 0, 0.0f, 0 }, { 0, 0.0f, 0 } }; return z; }   /* never observed */
    quant_range g = { r.lo * headroom, r.hi * headroom, { 0, 0.0f, 0 }, { 0, 0.0f, 0 } };
    return g;
}

void calib_quant(const calib *c, float headroom, int weight_bits, convert_quant *q)
{
    memset(q, 0, sizeof *q);
    q->weight_bits = weight_bits;
    q->n_blocks = c->m->n_blocks;
    q->stem_out = grown(c->seen.stem_out, headroom);
    for (int i = 0; i < c->m->n_blocks; i++) {
        q->block_int8[i] = QUANT_UNIT_INT8;
        q->expand[i] = grown(c->seen.expand[i], headroom);
        q->dw[i] = grown(c->seen.dw[i], headroom);
        q->gated[i] = grown(c->seen.gated[i], headroom);
        q->out[i] = grown(c->seen.out[i], headroom);
    }
    q->head_int8 = c->m->has_head ? QUANT_UNIT_INT8 : QUANT_UNIT_FLOAT;
    q->head_out = grown(c->seen.head_out, headroom);
}
