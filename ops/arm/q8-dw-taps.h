/*
 * q8-dw-taps.h -- the taps of one output pixel of an int8 depthwise conv
 * that fall inside the input, as (input pixel, weight row) pointer pairs:
 * the NEON and DSP kernels sum over this list, so padding (skipped, as in
 * the reference: it holds the real value 0), stride, dilation and the ring
 * input are handled here once.
 */
#ifndef EFFAD_Q8_DW_TAPS_H
#define EFFAD_Q8_DW_TAPS_H

#include "../q8.h"

/* At most this many taps in a list; larger kernels go to the reference. */
#define Q8_DW_MAX_TAPS 64

/* Fills px / wk (Q8_DW_MAX_TAPS each) for output (oy, ox); returns the
 * count. Needs kh * kw <= Q8_DW_MAX_TAPS. */
static inline int q8_dw_taps(const ops_q8_dwconv_args *a, int oy, int ox, const uint8_t **px, const int8_t **wk)
{
    const ops_conv_geom g = a->g;
    const int c = a->in_dims.c;
    int nt = 0;
    for (int ky = 0; ky < g.kh; ky++) {
        const int iy = oy * g.stride_h - g.pad_top + ky * g.dil_h;
        if (iy < 0 || iy >= a->in_dims.h) continue;
        const uint8_t *row = ops_q8_dw_in_row(a, iy);
        for (int kx = 0; kx < g.kw; kx++) {
            const int ix = ox * g.stride_w - g.pad_left + kx * g.dil_w;
            if (ix < 0 || ix >= a->in_dims.w) continue;
            px[nt] = row + (size_t)ix * c;
            wk[nt++] = a->w + ((size_t)ky * g.kw + kx) * c;
        }
    }
    return nt;
}

/* The output pixels of rows [row_begin, row_end), in order, each with
 * its taps: for (q8_dw_first(a, &p); q8_dw_next(a, &p);) { ... }. */
typedef struct q8_dw_pixel {
    int oy, ox, nt;
    uint8_t *out;                          /* its c outputs */
    const uint8_t *px[Q8_DW_MAX_TAPS];
    const int8_t *wk[Q8_DW_MAX_TAPS];
} q8_dw_pixel;

static inline void q8_dw_first(const ops_q8_dwconv_args *a, q8_dw_pixel *p)
{
    p->oy = a->row_begin;
    p->ox = -1;
}

static inline int q8_dw_next(const ops_q8_dwconv_args *a, q8_dw_pixel *p)
{
    if (++p->ox >= a->out_dims.w) { p->ox = 0; p->oy++; }
    if (p->oy >= a->row_end) return 0;
    p->nt = q8_dw_taps(a, p->oy, p->ox, p->px, p->wk);
    p->out = a->out_q + ((size_t)p->oy * a->out_dims.w + p->ox) * a->in_dims.c;
    return 1;
}

/* Channels [ch, c) of pixel p by the reference's arithmetic: the tail a
 * SIMD step does not cover. */
static inline void q8_dw_tail(const ops_q8_dwconv_args *a, const q8_dw_pixel *p, int ch)
{
    for (; ch < a->in_dims.c; ch++) {
        int32_t acc = 0;
        for (int t = 0; t < p->nt; t++) acc += ((int32_t)p->px[t][ch] - a->in_zero) * (int32_t)p->wk[t][ch];
        p->out[ch] = ops_q8_finish(acc, &a->out, (size_t)ch, 0, 0, 0, 0.0f);
        if (a->chan_sum) a->chan_sum[ch] += p->out[ch];
    }
}

#endif /* EFFAD_Q8_DW_TAPS_H */
