/*
 * q8-neon.h -- the int8 epilogue of ops/q8.h four lanes at a time, step
 * for step the scalar reference's operations, so that every NEON int8
 * kernel gives its bits. aarch64 only (vdivq_f32, vcvtnq_s32_f32).
 *
 * What keeps the bits equal: each scalar step is one IEEE operation, and
 * here it is the same operation on a lane -- vcvtq_f32_s32 rounds like
 * the C conversion (both to nearest), vmulq/vaddq/vdivq are correctly
 * rounded, vfmaq_f32(a, b, c) is fmaf(b, c, a) and vfmsq_f32(a, b, c) is
 * fmaf(-b, c, a), vcvtnq_s32_f32 rounds half to even like nearbyintf in
 * the default rounding mode; the build uses -std=c11, so the compiler
 * contracts no mul + add into an FMA that the scalar code does not have.
 */
#ifndef EFFAD_Q8_NEON_H
#define EFFAD_Q8_NEON_H

#include "ops-neon.h"
#include "../q8.h"

#if defined(__aarch64__)

#define Q8_NEON_INLINE static inline __attribute__((always_inline))

/* 1 + e^-x: ops_q8_exp8(-x) (u8, a constant: a layer with uint8 outputs)
 * or ops_q8_exp(-x), the denominator of the sigmoid and the swish,
 * with the negation folded into the operations that read -x, giving the
 * same values: clamping -x into [-80, 30] is clamping x into [-30, 80]
 * (the scalar code's comparisons and max/min agree on every non-NaN; a
 * NaN stays NaN either way); fmaf(-x, c, m) is vfmsq_f32(m, x, c); and
 * the reduced argument is carried negated, rn = x + n ln2/8 = -r exactly
 * (one rounding, symmetric), so each step that multiplies by r becomes a
 * vfmsq by rn: fmaf(a2, r, a1) = fmaf(-a2, rn, a1), t * r = -(t * rn).
 * One negation fewer per vector of the swish (q8-avx2.h and q8-avx512.h
 * fold it the same way). The table entry of n mod 8 is gathered by bytes:
 * vqtbl2q reads bytes 4j..4j+3 of the 32-byte table for a lane whose low
 * bits say j (little-endian lanes, as on every aarch64 target we build). */
Q8_NEON_INLINE float32x4_t q8_neon_one_plus_exp_neg(float32x4_t x, const int u8)
{
    static const uint32_t t8[8] = { OPS_Q8_EXP_TABLE }, t8u[8] = { OPS_Q8_EXP8_TABLE };
    const uint8_t *tb = (const uint8_t *)(u8 ? t8u : t8);
    const uint8x16x2_t tab = { { vld1q_u8(tb), vld1q_u8(tb + 16) } };
    const float32x4_t magic = vdupq_n_f32(0x1.8p23f);
    x = vmaxq_f32(vminq_f32(x, vdupq_n_f32(80.0f)), vdupq_n_f32(-30.0f));
    const float32x4_t v = vfmsq_f32(magic, x, vdupq_n_f32(0x1.715476p+3f));
    const float32x4_t n = vsubq_f32(v, magic);
    const float32x4_t rn = vfmaq_f32(x, n, vdupq_n_f32(0x1.62e430p-4f));
    const uint32x4_t vb = vreinterpretq_u32_f32(v);
    const uint32x4_t idx = vmlaq_n_u32(vdupq_n_u32(0x03020100u), vandq_u32(vb, vdupq_n_u32(7u)), 0x04040404u);
    const uint32x4_t e = vreinterpretq_u32_u8(vqtbl2q_u8(tab, vreinterpretq_u8_u32(idx)));
    const float32x4_t t = vreinterpretq_f32_u32(vaddq_u32(e, vshlq_n_u32(vb, 20)));
    if (u8) return vaddq_f32(vdupq_n_f32(1.0f), vfmsq_f32(t, t, rn));   /* fmaf(t, r, t) */
    const float32x4_t q = vfmsq_f32(vdupq_n_f32(OPS_Q8_EXP_A1), rn, vdupq_n_f32(OPS_Q8_EXP_A2));
    return vaddq_f32(vdupq_n_f32(1.0f), vfmsq_f32(t, vmulq_f32(t, rn), q));
}

/* lo <= y <= hi by the scalar code's comparisons (y < lo ? lo : y > hi ? hi : y). */
Q8_NEON_INLINE float32x4_t q8_neon_clamp(float32x4_t y, float32x4_t lo, float32x4_t hi)
{
    return vbslq_f32(vcltq_f32(y, lo), lo, vbslq_f32(vcgtq_f32(y, hi), hi, y));
}

/* ops_q8_act8 (u8: uint8 outputs) or ops_q8_act, lane by lane. */
Q8_NEON_INLINE float32x4_t q8_neon_act(float32x4_t x, ops_act act, const int u8)
{
    const float32x4_t zero = vdupq_n_f32(0.0f), one = vdupq_n_f32(1.0f);
    switch (act.kind) {
    case OPS_ACT_NONE: return x;
    case OPS_ACT_RELU: return vbslq_f32(vcgtq_f32(x, zero), x, zero);
    case OPS_ACT_CLIP: return q8_neon_clamp(x, vdupq_n_f32(act.a), vdupq_n_f32(act.b));
    case OPS_ACT_SIGMOID: return vdivq_f32(one, q8_neon_one_plus_exp_neg(x, u8));
    case OPS_ACT_SWISH: return vdivq_f32(x, q8_neon_one_plus_exp_neg(x, u8));
    case OPS_ACT_HARDSIGMOID:
        return q8_neon_clamp(vfmaq_f32(vdupq_n_f32(act.b), x, vdupq_n_f32(act.a)), zero, one);
    case OPS_ACT_HARDSWISH:
        return vmulq_f32(x, q8_neon_clamp(vfmaq_f32(vdupq_n_f32(0.5f), x, vdupq_n_f32(1.0f / 6.0f)), zero, one));
    }
    return x;
}

/* The epilogue's constants, once per call. */
typedef struct q8_neon_out {
    float32x4_t inv, lo, hi;
    int32x4_t zero;
} q8_neon_out;

Q8_NEON_INLINE q8_neon_out q8_neon_out_of(float inv_scale, int32_t zero)
{
    q8_neon_out q = { vdupq_n_f32(inv_scale), vdupq_n_f32((float)-zero), vdupq_n_f32((float)(255 - zero)),
                      vdupq_n_s32(zero) };
    return q;
}

/* ops_q8_quantize1 on four lanes: int32 results in 0..255. The clamp
 * comes first, in float, as in the scalar code: max equals its first
 * comparison for every non-NaN value and passes a NaN on; minnm then
 * returns hi for it, as the scalar code does. */
Q8_NEON_INLINE int32x4_t q8_neon_quantize(float32x4_t t, const q8_neon_out *q)
{
    float32x4_t v = vmulq_f32(t, q->inv);
    v = vminnmq_f32(vmaxq_f32(v, q->lo), q->hi);
    return vaddq_s32(vcvtnq_s32_f32(v), q->zero);
}

/* ops_q8_finish on four lanes: acc -> int32 in 0..255. bias is zeros
 * when the layer has none (the scalar code's fmaf(acc, mult, 0.0f));
 * res_d is the residual's r - r_zero in float, added only when has_res. */
Q8_NEON_INLINE int32x4_t q8_neon_finish(int32x4_t acc, float32x4_t mult, float32x4_t bias, ops_act act,
                                        float32x4_t res_d, float32x4_t res_scale, int has_res, const q8_neon_out *q)
{
    float32x4_t t = vfmaq_f32(bias, vcvtq_f32_s32(acc), mult);
    t = q8_neon_act(t, act, 1);
    if (has_res) t = vfmaq_f32(t, res_d, res_scale);
    return q8_neon_quantize(t, q);
}

/* Sixteen int32 lanes (each 0..255) to 16 bytes, in order. */
Q8_NEON_INLINE uint8x16_t q8_neon_narrow16(int32x4_t a, int32x4_t b, int32x4_t c, int32x4_t d)
{
    const int16x8_t lo = vcombine_s16(vmovn_s32(a), vmovn_s32(b));
    const int16x8_t hi = vcombine_s16(vmovn_s32(c), vmovn_s32(d));
    return vcombine_u8(vqmovun_s16(lo), vqmovun_s16(hi));
}

/* Eight int32 lanes (each 0..255) to 8 bytes, in order. */
Q8_NEON_INLINE uint8x8_t q8_neon_narrow8(int32x4_t a, int32x4_t b)
{
    return vqmovun_s16(vcombine_s16(vmovn_s32(a), vmovn_s32(b)));
}

/* Four uint8 (as the low 4 lanes of a widened u16 vector) as int32. */
Q8_NEON_INLINE int32x4_t q8_neon_u16lo_s32(uint16x8_t v) { return vreinterpretq_s32_u32(vmovl_u16(vget_low_u16(v))); }
Q8_NEON_INLINE int32x4_t q8_neon_u16hi_s32(uint16x8_t v) { return vreinterpretq_s32_u32(vmovl_high_u16(v)); }

/* The residual values (float)(r - zero) of 16 uint8 at p. */
Q8_NEON_INLINE void q8_neon_res16(const uint8_t *p, int32x4_t zero, float32x4_t out[4])
{
    const uint8x16_t r = vld1q_u8(p);
    const uint16x8_t lo = vmovl_u8(vget_low_u8(r)), hi = vmovl_high_u8(r);
    out[0] = vcvtq_f32_s32(vsubq_s32(q8_neon_u16lo_s32(lo), zero));
    out[1] = vcvtq_f32_s32(vsubq_s32(q8_neon_u16hi_s32(lo), zero));
    out[2] = vcvtq_f32_s32(vsubq_s32(q8_neon_u16lo_s32(hi), zero));
    out[3] = vcvtq_f32_s32(vsubq_s32(q8_neon_u16hi_s32(hi), zero));
}

/* 8 uint8 at x requantised per channel, q8_scale_channels' arithmetic:
 * quantize1((float)(x - in_zero) * mult, 1, out_zero) (q from
 * q8_neon_out_of(1, out_zero): t * 1 is t exactly). */
Q8_NEON_INLINE uint8x8_t q8_neon_rescale8(const uint8_t *x, const float *mult, int32x4_t in_zero, const q8_neon_out *q)
{
    const uint16x8_t v = vmovl_u8(vld1_u8(x));
    const float32x4_t lo = vcvtq_f32_s32(vsubq_s32(q8_neon_u16lo_s32(v), in_zero));
    const float32x4_t hi = vcvtq_f32_s32(vsubq_s32(q8_neon_u16hi_s32(v), in_zero));
    return q8_neon_narrow8(q8_neon_quantize(vmulq_f32(lo, vld1q_f32(mult)), q),
                           q8_neon_quantize(vmulq_f32(hi, vld1q_f32(mult + 4)), q));
}

/* ------------------------------------------------- the GEMMs' shared part *
 * Both int8 GEMMs (q8-gemm-4x16-neon.c, -neondot.c) walk the same 4 x 16
 * tiles over their own packed B and their own form of A in the scratch;
 * what differs is how a tile sums. This is the rest: the driver, and the
 * epilogue of one row of a tile.                                         */
#define Q8_NEON_MR 4
#define Q8_NEON_NR 16

typedef struct q8_neon_tile {
    const void *a;                /* the tile's A rows, in the kernel's form */
    size_t lda;                   /* their stride, in the kernel's elements */
    const void *panel;            /* the panel's packed B */
    size_t k;                     /* k, in the kernel's steps */
    size_t nr;                    /* valid columns 1..16 */
    float32x4_t mult[4], bias[4]; /* the panel's epilogue factors (bias zeros if none) */
    ops_act act;
    q8_neon_out q;
    const uint8_t *res; size_t ldr; int32x4_t res_zero; float32x4_t res_scale;
    uint8_t *c; size_t ldc;
} q8_neon_tile;

typedef struct q8_neon_gemm {
    size_t lda, k, panel_bytes;   /* for this call's k */
    /* rows i.. i+mr-1 of A into the scratch */
    void (*copy_rows)(const ops_q8_gemm_args *g, size_t i, size_t mr, size_t lda, void *scratch);
    void (*tile[Q8_NEON_MR])(const q8_neon_tile *t);   /* by rows, 1..4 */
} q8_neon_gemm;

/* A as the GEMM sums it: as stored, or requantised column by column by
 * a_mult (ops/q8.h: the squeeze-excite rescale, done here as the copy
 * into the scratch reads A instead of in a pass of its own). */
typedef struct q8_neon_a_reader {
    const float *mult;            /* a_mult, or NULL */
    int32x4_t in_zero;
    q8_neon_out q;                /* quantise with inv_scale 1 around a_zero */
} q8_neon_a_reader;

Q8_NEON_INLINE q8_neon_a_reader q8_neon_a_reader_of(const ops_q8_gemm_args *g)
{
    q8_neon_a_reader r = { g->a_mult, vdupq_n_s32(g->a_in_zero), q8_neon_out_of(1.0f, g->a_zero) };
    return r;
}

/* Columns x .. x+15 of the A row at src. */
Q8_NEON_INLINE uint8x16_t q8_neon_a16(const q8_neon_a_reader *r, const uint8_t *src, size_t x)
{
    if (!r->mult) return vld1q_u8(src + x);
    return vcombine_u8(q8_neon_rescale8(src + x, r->mult + x, r->in_zero, &r->q),
                       q8_neon_rescale8(src + x + 8, r->mult + x + 8, r->in_zero, &r->q));
}

/* Column x of the A row at src, by the reference's arithmetic. */
Q8_NEON_INLINE int32_t q8_neon_a1(const ops_q8_gemm_args *g, const uint8_t *src, size_t x)
{
    if (!g->a_mult) return src[x];
    return ops_q8_quantize1((float)((int32_t)src[x] - g->a_in_zero) * g->a_mult[x], 1.0f, g->a_zero);
}

/* tile_1 .. tile_4: a kernel's tile(mr, t), inlined for each row count. */
#define Q8_NEON_TILE_FNS                                                               \
    static void tile_1(const q8_neon_tile *t) { tile(1, t); }                          \
    static void tile_2(const q8_neon_tile *t) { tile(2, t); }                          \
    static void tile_3(const q8_neon_tile *t) { tile(3, t); }                          \
    static void tile_4(const q8_neon_tile *t) { tile(4, t); }

/* Row r of a tile: acc (16 columns of exact sums) through the epilogue,
 * the residual added, 1..16 bytes stored. */
Q8_NEON_INLINE void q8_neon_store_row(const q8_neon_tile *t, int r, const int32x4_t acc[4])
{
    float32x4_t res[4] = { vdupq_n_f32(0.0f), vdupq_n_f32(0.0f), vdupq_n_f32(0.0f), vdupq_n_f32(0.0f) };
    const int has_res = t->res != 0;
    if (has_res) {
        uint8_t rb[Q8_NEON_NR];
        const uint8_t *rp = t->res + (size_t)r * t->ldr;
        if (t->nr < Q8_NEON_NR) { memset(rb, 0, sizeof rb); memcpy(rb, rp, t->nr); rp = rb; }
        q8_neon_res16(rp, t->res_zero, res);
    }
    int32x4_t q[4];
    for (int i = 0; i < 4; i++)
        q[i] = q8_neon_finish(acc[i], t->mult[i], t->bias[i], t->act, res[i], t->res_scale, has_res, &t->q);
    const uint8x16_t out = q8_neon_narrow16(q[0], q[1], q[2], q[3]);
    uint8_t *cp = t->c + (size_t)r * t->ldc;
    if (t->nr == Q8_NEON_NR) vst1q_u8(cp, out);
    else { uint8_t ob[Q8_NEON_NR]; vst1q_u8(ob, out); memcpy(cp, ob, t->nr); }
}

/* The whole GEMM: per 4 rows of A, its copy into the scratch, then every
 * panel of 16 columns. Without a packed B (callers that do not pack) or
 * a scratch, the scalar reference. */
static inline ops_status q8_neon_gemm_run(const ops_q8_gemm_args *g, void *scratch, const q8_neon_gemm *kern)
{
    if (!g || (g->m && g->n && (!g->a || !g->c || !g->out.mult || !g->k))) return OPS_ERR_ARG;
    const size_t m = g->m, n = g->n;
    if (!m || !n) return OPS_OK;
    if (!g->b_packed || !scratch) return q8_gemm_scalar(g, scratch);
    q8_neon_tile t;
    t.a = scratch;
    t.lda = kern->lda;
    t.k = kern->k;
    t.act = g->out.act;
    t.q = q8_neon_out_of(g->out.inv_scale, g->out.zero);
    t.res_zero = vdupq_n_s32(g->res_zero);
    t.res_scale = vdupq_n_f32(g->res_scale);
    t.ldr = g->res_stride;
    t.ldc = g->c_stride;
    const uint8_t *packed = g->b_packed;
    for (size_t i = 0; i < m; i += Q8_NEON_MR) {
        const size_t mr = m - i < Q8_NEON_MR ? m - i : Q8_NEON_MR;
        kern->copy_rows(g, i, mr, kern->lda, scratch);
        for (size_t j0 = 0; j0 < n; j0 += Q8_NEON_NR) {
            t.nr = n - j0 < Q8_NEON_NR ? n - j0 : Q8_NEON_NR;
            t.panel = packed + j0 / Q8_NEON_NR * kern->panel_bytes;
            float mult[Q8_NEON_NR] = { 0 }, bias[Q8_NEON_NR] = { 0 };
            memcpy(mult, g->out.mult + j0, t.nr * sizeof(float));
            if (g->out.bias) memcpy(bias, g->out.bias + j0, t.nr * sizeof(float));
            for (int c = 0; c < 4; c++) { t.mult[c] = vld1q_f32(mult + 4 * c); t.bias[c] = vld1q_f32(bias + 4 * c); }
            t.res = g->res ? g->res + i * g->res_stride + j0 : 0;
            t.c = g->c + i * g->c_stride + j0;
            kern->tile[mr - 1](&t);
        }
    }
    return OPS_OK;
}

#endif /* __aarch64__ */
#endif /* EFFAD_Q8_NEON_H */
