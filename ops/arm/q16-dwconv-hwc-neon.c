/*
 * q16-dwconv-hwc-neon.c -- the 16x8 depthwise conv, 16 channels a step:
 * per valid tap, the int16 inputs times the weights widened to int16, by
 * SMLAL into int32 sums (at most 225 taps of 2^22: exact), so the scalar
 * reference's integers, then its epilogue (q16-neon.h). The taps of an
 * output pixel are listed once as pointer pairs, so padding (skipped, as
 * in the reference), stride, dilation and the ring input cost nothing per
 * channel. Any k up to the reference's 15 x 15; then 8 channels, then the
 * last 1..7 by the reference's arithmetic.
 */
#if defined(__aarch64__)
#include "q16-neon.h"

/* The reference's bound on a window (ops/q16.h: the int32 sum). */
#define MAX_TAPS 225

typedef struct dw_pixel {
    int nt;
    int16_t *out;                    /* its c outputs */
    const int16_t *px[MAX_TAPS];     /* input pixel of each valid tap */
    const int8_t *wk[MAX_TAPS];      /* and its weights */
} dw_pixel;

/* The valid taps of output (oy, ox), in the reference's order. */
static void dw_taps(const ops_q16_dwconv_args *a, int oy, int ox, dw_pixel *p)
{
    const ops_conv_geom g = a->g;
    const int c = a->in_dims.c;
    int nt = 0;
    for (int ky = 0; ky < g.kh; ky++) {
        const int iy = oy * g.stride_h - g.pad_top + ky * g.dil_h;
        if (iy < 0 || iy >= a->in_dims.h) continue;
        const int16_t *row = ops_q16_dw_in_row(a, iy);
        for (int kx = 0; kx < g.kw; kx++) {
            const int ix = ox * g.stride_w - g.pad_left + kx * g.dil_w;
            if (ix < 0 || ix >= a->in_dims.w) continue;
            p->px[nt] = row + (size_t)ix * c;
            p->wk[nt++] = a->w + ((size_t)ky * g.kw + kx) * c;
        }
    }
    p->nt = nt;
    p->out = a->out_q + ((size_t)oy * a->out_dims.w + ox) * c;
}

/* acc[0..1] (8 channels) += (8 int16 at x) * (8 int8 at w). */
static inline __attribute__((always_inline)) void mac8(int32x4_t acc[2], const int16_t *x, const int8_t *w)
{
    const int16x8_t xv = vld1q_s16(x);
    const int16x8_t wv = vmovl_s8(vld1_s8(w));
    acc[0] = vmlal_s16(acc[0], vget_low_s16(xv), vget_low_s16(wv));
    acc[1] = vmlal_high_s16(acc[1], xv, wv);
}

/* n (8 or 16) channels at ch of output pixel p. */
static inline __attribute__((always_inline)) void channels(const int n, const dw_pixel *p, int ch,
                                                           const ops_q16_dwconv_args *a, float32x4_t inv)
{
    int32x4_t acc[4] = { vdupq_n_s32(0), vdupq_n_s32(0), vdupq_n_s32(0), vdupq_n_s32(0) };
    for (int t = 0; t < p->nt; t++) {
        mac8(acc, p->px[t] + ch, p->wk[t] + ch);
        if (n == 16) mac8(acc + 2, p->px[t] + ch + 8, p->wk[t] + ch + 8);
    }
    int32x4_t r[4];
    const float32x4_t none = vdupq_n_f32(0.0f);
    for (int i = 0; i < n / 4; i++) {
        const float32x4_t bias = a->out.bias ? vld1q_f32(a->out.bias + ch + 4 * i) : none;
        r[i] = q16_neon_finish(vcvtq_f32_s32(acc[i]), vld1q_f32(a->out.mult + ch + 4 * i), bias, a->out.act, none,
                               none, 0, inv);
        if (a->chan_sum) vst1q_s32(a->chan_sum + ch + 4 * i, vaddq_s32(vld1q_s32(a->chan_sum + ch + 4 * i), r[i]));
    }
    vst1q_s16(p->out + ch, q16_neon_narrow8(r[0], r[1]));
    if (n == 16) vst1q_s16(p->out + ch + 8, q16_neon_narrow8(r[2], r[3]));
}

ops_status q16_dwconv_hwc_neon(const ops_q16_dwconv_args *a)
{
    if (!ops_q16_dw_args_ok(a)) return OPS_ERR_ARG;
    if (a->g.kh * a->g.kw > MAX_TAPS) return q16_dwconv_hwc_scalar(a);   /* which refuses it */
    const int c = a->in_dims.c;
    const float32x4_t inv = vdupq_n_f32(a->out.inv_scale);
    dw_pixel p;
    for (int oy = a->row_begin; oy < a->row_end; oy++)
        for (int ox = 0; ox < a->out_dims.w; ox++) {
            dw_taps(a, oy, ox, &p);
            int ch = 0;
            for (; ch + 16 <= c; ch += 16) channels(16, &p, ch, a, inv);
            for (; ch + 8 <= c; ch += 8) channels(8, &p, ch, a, inv);
            for (; ch < c; ch++) {
                int32_t acc = 0;
                for (int t = 0; t < p.nt; t++) acc += (int32_t)p.px[t][ch] * (int32_t)p.wk[t][ch];
                p.out[ch] = ops_q16_finish((float)acc, &a->out, (size_t)ch, 0, 0, 0.0f);
                if (a->chan_sum) a->chan_sum[ch] += p.out[ch];
            }
        }
    return OPS_OK;
}

#endif /* __aarch64__ */
