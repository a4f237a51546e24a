/*
 * q8-dwconv-hwc-avx2.c -- the int8 depthwise conv, 16 channels a step:
 * for each valid tap, (x - in_zero) * w is formed exactly in int16
 * (|x - zero| <= 255, |w| <= 128: at most 32640), and pairs of taps are
 * summed into int32 by vpmaddwd on interleaved (tap, next tap) values --
 * the same integers as the scalar reference, then its epilogue.
 * Padding taps are skipped, as in the reference. Any k, stride, dilation.
 */
#include <immintrin.h>
#include "kernels-internal.h"
#include "q8-avx2.h"

/* 16 uint8 at p minus zero, as int16. */
static inline __m256i x16(const uint8_t *p, __m256i zero16)
{
    return _mm256_sub_epi16(_mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i *)(const void *)p)), zero16);
}

static inline __m256i w16(const int8_t *p)
{
    return _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(const void *)p));
}

/* acc (16 int32: lo = channels 0-3 and 8-11 ... in unpack order) += the
 * two taps' products, summed in pairs by vpmaddwd. Lanes come out in
 * unpack order (within each 128-bit half: lo half 0-3, hi half 4-7);
 * acc_lo holds channels {0-3, 8-11}, acc_hi {4-7, 12-15}. */
static inline void madd2(__m256i xa, __m256i wa, __m256i xb, __m256i wb, __m256i *acc_lo, __m256i *acc_hi)
{
    *acc_lo = _mm256_add_epi32(*acc_lo, _mm256_madd_epi16(_mm256_unpacklo_epi16(xa, xb), _mm256_unpacklo_epi16(wa, wb)));
    *acc_hi = _mm256_add_epi32(*acc_hi, _mm256_madd_epi16(_mm256_unpackhi_epi16(xa, xb), _mm256_unpackhi_epi16(wa, wb)));
}

ops_status q8_dwconv_hwc_avx2(const ops_q8_dwconv_args *a)
{
    if (!a || !a->in || !a->w || !a->out_q || !a->out.mult) return OPS_ERR_ARG;
    const ops_conv_geom g = a->g;
    const int ih = a->in_dims.h, iw = a->in_dims.w, c = a->in_dims.c;
    const int ow = a->out_dims.w;
    if (a->out_dims.c != c) return OPS_ERR_ARG;
    if (a->row_begin < 0 || a->row_end > a->out_dims.h || a->row_begin > a->row_end || a->in_ring < 0)
        return OPS_ERR_ARG;
    if (g.kh * g.kw > 64) return q8_dwconv_hwc_scalar(a);
    const int c16 = c / 16 * 16;
    const __m256i zero16 = _mm256_set1_epi16((short)a->in_zero);
    const q8_avx2_out q = q8_avx2_out_of(&a->out);
    const int has_bias = a->out.bias != 0;
    const __m256 fz = _mm256_setzero_ps();

    for (int oy = a->row_begin; oy < a->row_end; oy++) {
        /* the valid taps of this row: input row pointers and weight rows */
        const uint8_t *rows[16];
        int kys[16], nky = 0;
        for (int ky = 0; ky < g.kh; ky++) {
            const int iy = oy * g.stride_h - g.pad_top + ky * g.dil_h;
            if (iy < 0 || iy >= ih) continue;
            rows[nky] = ops_q8_dw_in_row(a, iy);
            kys[nky++] = ky;
        }
        for (int ox = 0; ox < ow; ox++) {
            const uint8_t *px[64];
            const int8_t *wk[64];
            int nt = 0;
            for (int t = 0; t < nky; t++)
                for (int kx = 0; kx < g.kw; kx++) {
                    const int ix = ox * g.stride_w - g.pad_left + kx * g.dil_w;
                    if (ix < 0 || ix >= iw) continue;
                    px[nt] = rows[t] + (size_t)ix * c;
                    wk[nt++] = a->w + ((size_t)kys[t] * g.kw + kx) * c;
                }
            uint8_t *o = a->out_q + ((size_t)oy * ow + ox) * c;
            for (int ch = 0; ch < c16; ch += 16) {
                __m256i lo = _mm256_setzero_si256(), hi = lo;
                int t = 0;
                for (; t + 2 <= nt; t += 2)
                    madd2(x16(px[t] + ch, zero16), w16(wk[t] + ch), x16(px[t + 1] + ch, zero16), w16(wk[t + 1] + ch), &lo, &hi);
                if (t < nt) madd2(x16(px[t] + ch, zero16), w16(wk[t] + ch), _mm256_setzero_si256(), _mm256_setzero_si256(), &lo, &hi);
                /* back to channel order: lo = {0-3 | 8-11}, hi = {4-7 | 12-15} */
                const __m256i acc0 = _mm256_permute2x128_si256(lo, hi, 0x20);   /* 0-3, 4-7 */
                const __m256i acc1 = _mm256_permute2x128_si256(lo, hi, 0x31);   /* 8-11, 12-15 */
                const __m256 m0 = _mm256_loadu_ps(a->out.mult + ch), m1 = _mm256_loadu_ps(a->out.mult + ch + 8);
                const __m256 b0 = has_bias ? _mm256_loadu_ps(a->out.bias + ch) : fz;
                const __m256 b1 = has_bias ? _mm256_loadu_ps(a->out.bias + ch + 8) : fz;
                const __m256i q0 = q8_avx2_finish(acc0, m0, b0, has_bias, a->out.act, fz, 0, &q);
                const __m256i q1 = q8_avx2_finish(acc1, m1, b1, has_bias, a->out.act, fz, 0, &q);
                const __m128i out = q8_avx2_pack16(q0, q1);
                _mm_storeu_si128((__m128i *)(void *)(o + ch), out);
                if (a->chan_sum) {
                    const __m256i s0 = _mm256_add_epi32(q0, _mm256_loadu_si256((const __m256i *)(const void *)(a->chan_sum + ch)));
                    const __m256i s1 = _mm256_add_epi32(q1, _mm256_loadu_si256((const __m256i *)(const void *)(a->chan_sum + ch + 8)));
                    _mm256_storeu_si256((__m256i *)(void *)(a->chan_sum + ch), s0);
                    _mm256_storeu_si256((__m256i *)(void *)(a->chan_sum + ch + 8), s1);
                }
            }
            for (int ch = c16; ch < c; ch++) {   /* channel tail: the reference's arithmetic */
                int32_t acc = 0;
                for (int t = 0; t < nt; t++) acc += ((int32_t)px[t][ch] - a->in_zero) * (int32_t)wk[t][ch];
                o[ch] = ops_q8_finish(acc, &a->out, (size_t)ch, 0.0f);
                if (a->chan_sum) a->chan_sum[ch] += o[ch];
            }
        }
    }
    return OPS_OK;
}
