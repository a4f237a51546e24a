/*
 * q8-dwconv-quad-avx2.h -- the interior of the int8 3x3 AVX2 depthwise
 * kernel, up to four taps per multiply: uint8 inputs and int8 weights as
 * byte quads, 32 channels a step. Included by q8-dwconv-avx2.h; the rest
 * of the body (borders, edges, rows with a kernel row outside the image,
 * channel tails, 5x5 and any other kernel) stays the int16-pair path of
 * qdw-rows-avx2.h.
 *
 * Why. The pair path widens every input to int16, subtracts the zero
 * point and interleaves two rows -- six instructions per 16 inputs before
 * a multiply -- and then needs a vpmaddwd and a vpaddd per 2 taps x 8
 * channels. Here the three rows' bytes of one input column are
 * interleaved as they are (two byte and two word unpacks give 32 channels
 * x 4 slots in four vectors, the fourth slot a copy of row 2 with weight
 * zero), and vpmaddubsw multiplies them into int16 pairs that one
 * vpmaddwd against ones sums into int32: the same multiplies per tap (the
 * pair path also leaves one slot of row 2 empty), about a third fewer
 * instructions in all. With AVX-VNNI (the -avxvnni.c builds) the three
 * are one VPDPBUSD.
 *
 * Exactness. vpmaddubsw adds two u8 x s8 products in int16 with
 * saturation: 2 x 255 x 64 = 32640 fits, so plain AVX2 takes this path
 * only when every weight of the group lies in [-64, 64] (a model
 * converted with --weight-bits 7); VPDPBUSD sums in int32 and takes any
 * weights. The zero point is not subtracted from each input: the sums
 * start from -zero * (the sum of the channel's weights), which gives the
 * reference's integer sum of (x - zero) * w whenever every tap is inside
 * the image -- the only tiles this path runs. int32 addition wraps, so
 * the order of the terms cannot change it.
 *
 * Channel order: the unpacks leave channel (L < 4 ? 0 : 16) + 4v + (L & 3)
 * in lane L of vector v; the weights, the start values and the epilogue
 * factors are prepared in that order, and the two signed packs and one
 * unsigned pack of the epilogue put the 32 bytes back in order.
 *
 * Measured (bench-q8-kernels --weight-bits=7 avx2, shared Zen 5, against
 * the pair path, each as a ratio to the float kernel of the same run):
 * the 3x3 shapes of B0 and B4 at stride 1 1.24-1.44 -> 1.12-1.29 of the
 * float time, stride 2 1.04-1.11 -> 0.94-0.97. In the B0 int8 pass on the
 * AVX2 table (`effad bench --layers`, one thread, alternated builds, the
 * quiet rounds): depthwise 3x3 0.696-0.722 -> 0.656-0.667 ms, fused with
 * the expand 0.757-0.763 -> 0.729-0.745 ms; about 1 % of the pass, whose
 * depthwise time is mostly the swish epilogue. The same for 5x5 (rows 0-3
 * as quads down, row 4 as quads across: columns 0-3, and 4 in the last
 * slot of the next quad) was slower than the pair path, 1.19-1.25 ->
 * 1.21-1.33 at tiles of two outputs and 1.24-1.71 at one: its quads
 * across are built for each output, not shared.
 */
#ifndef EFFAD_Q8_DWCONV_QUAD_AVX2_H
#define EFFAD_Q8_DWCONV_QUAD_AVX2_H

#include <immintrin.h>
#include <stdint.h>
#include "q8-avx2.h"

/* Prepared vectors per 32-channel block: 3 kernel columns x 4 weight
 * quads, then 4 start values and 8 epilogue factors. */
#define Q8DWQ_WEIGHTS 12
#define Q8DWQ_BLOCK_VECTORS 24
/* room for the quads of one channel group of the pair path (16 KiB of
 * its vectors at 3x3: 32 blocks of 16 channels) */
#define Q8DWQ_PREP_VECTORS (16 * Q8DWQ_BLOCK_VECTORS)

/* Four vectors of 32 bytes -> 32 channels x 4 byte slots (x0 in slot 0). */
Q8_INLINE void q8dwq_quads(__m256i x0, __m256i x1, __m256i x2, __m256i x3, __m256i q[4])
{
    const __m256i a = _mm256_unpacklo_epi8(x0, x1), b = _mm256_unpackhi_epi8(x0, x1);
    const __m256i c = _mm256_unpacklo_epi8(x2, x3), d = _mm256_unpackhi_epi8(x2, x3);
    q[0] = _mm256_unpacklo_epi16(a, c);
    q[1] = _mm256_unpackhi_epi16(a, c);
    q[2] = _mm256_unpacklo_epi16(b, d);
    q[3] = _mm256_unpackhi_epi16(b, d);
}

/* acc + the four-tap dot products of the uint8 quads q and int8 quads w. */
Q8_INLINE __m256i q8dwq_madd(__m256i acc, __m256i q, const __m256i *w)
{
#ifdef __AVXVNNI__
    return _mm256_dpbusd_avx_epi32(acc, q, _mm256_load_si256(w));
#else
    return _mm256_add_epi32(acc, _mm256_madd_epi16(_mm256_maddubs_epi16(q, _mm256_load_si256(w)), _mm256_set1_epi16(1)));
#endif
}

Q8_INLINE __m256i q8dwq_load(const int8_t *p) { return _mm256_loadu_si256((const __m256i *)(const void *)p); }

/* Blocks of 32 channels from 16-channel block b0 on, as many as [b0, b1)
 * holds and Q8DWQ_PREP_VECTORS has room for, into prep; returns their
 * number, 0 when the path cannot run (not 3x3, or without VNNI a weight
 * outside [-64, 64]). */
static inline int q8dwq_prepare(const ops_q8_dwconv_args *a, int K, int b0, int b1, __m256i *prep)
{
    if (K != 3) return 0;
    const size_t c = (size_t)a->in_dims.c;
    int nq = (b1 - b0) / 2;
    if (nq > Q8DWQ_PREP_VECTORS / Q8DWQ_BLOCK_VECTORS) nq = Q8DWQ_PREP_VECTORS / Q8DWQ_BLOCK_VECTORS;
    const __m256i zero = _mm256_setzero_si256(), ones8 = _mm256_set1_epi8(1), ones16 = _mm256_set1_epi16(1);
#ifndef __AVXVNNI__
    __m256i out = zero;   /* lanes of a weight outside [-64, 64] */
    for (int t = 0; t < 9; t++)
        for (int q = 0; q < nq; q++) {
            const __m256i w = q8dwq_load(a->w + (size_t)t * c + (size_t)b0 * 16 + (size_t)q * 32);
            out = _mm256_or_si256(out, _mm256_or_si256(_mm256_cmpgt_epi8(w, _mm256_set1_epi8(64)),
                                                       _mm256_cmpgt_epi8(_mm256_set1_epi8(-64), w)));
        }
    if (!_mm256_testz_si256(out, out)) return 0;
#endif
    const __m256i mz = _mm256_set1_epi32(-a->in_zero);
    for (int q = 0; q < nq; q++) {
        const size_t cb = (size_t)b0 * 16 + (size_t)q * 32;
        __m256i *p = prep + (size_t)q * Q8DWQ_BLOCK_VECTORS;
        const int8_t *w = a->w + cb;
        for (int kx = 0; kx < 3; kx++)
            q8dwq_quads(q8dwq_load(w + (size_t)kx * c), q8dwq_load(w + (size_t)(3 + kx) * c),
                        q8dwq_load(w + (size_t)(6 + kx) * c), zero, p + 4 * kx);
        /* start values: -zero * the sum of each channel's weights */
        for (int v = 0; v < 4; v++) {
            __m256i s = zero;
            for (int kx = 0; kx < 3; kx++)
                s = _mm256_add_epi32(s, _mm256_madd_epi16(_mm256_maddubs_epi16(ones8, p[4 * kx + v]), ones16));
            p[Q8DWQ_WEIGHTS + v] = _mm256_mullo_epi32(s, mz);
        }
        /* the factors: mult and bias of vectors 0, 1, then of 2, 3 */
        __m256i *f = p + Q8DWQ_WEIGHTS + 4;
        const float *m = a->out.mult + cb, *bi = a->out.bias ? a->out.bias + cb : 0;
        const __m256 m0 = _mm256_loadu_ps(m), m1 = _mm256_loadu_ps(m + 8);
        const __m256 m2 = _mm256_loadu_ps(m + 16), m3 = _mm256_loadu_ps(m + 24);
        const __m256 fz = _mm256_setzero_ps();
        const __m256 c0 = bi ? _mm256_loadu_ps(bi) : fz, c1 = bi ? _mm256_loadu_ps(bi + 8) : fz;
        const __m256 c2 = bi ? _mm256_loadu_ps(bi + 16) : fz, c3 = bi ? _mm256_loadu_ps(bi + 24) : fz;
        f[0] = _mm256_castps_si256(_mm256_permute2f128_ps(m0, m2, 0x20));    /* channels 0-3 | 16-19 */
        f[1] = _mm256_castps_si256(_mm256_permute2f128_ps(m0, m2, 0x31));    /* 4-7 | 20-23 */
        f[2] = _mm256_castps_si256(_mm256_permute2f128_ps(c0, c2, 0x20));
        f[3] = _mm256_castps_si256(_mm256_permute2f128_ps(c0, c2, 0x31));
        f[4] = _mm256_castps_si256(_mm256_permute2f128_ps(m1, m3, 0x20));    /* 8-11 | 24-27 */
        f[5] = _mm256_castps_si256(_mm256_permute2f128_ps(m1, m3, 0x31));    /* 12-15 | 28-31 */
        f[6] = _mm256_castps_si256(_mm256_permute2f128_ps(c1, c3, 0x20));
        f[7] = _mm256_castps_si256(_mm256_permute2f128_ps(c1, c3, 0x31));
    }
    return nq;
}

/* N (1, 2) outputs at input column ix0 + j * S of one 32-channel block
 * whose prepared vectors are wq, every tap inside the image; stores the
 * bytes at o + j * c and adds them to the channel sums cs when given. */
Q8_INLINE void q8dwq_tile(const uint8_t *const *rows, size_t c, int ix0, size_t cb, const __m256i *wq, const int S,
                          const int N, const int swish, ops_act act, const q8_avx2_out *qo, uint8_t *o, int32_t *cs)
{
    const __m256i *start = wq + Q8DWQ_WEIGHTS;
    __m256i acc[2][4];
#pragma GCC unroll 2
    for (int j = 0; j < N; j++)
#pragma GCC unroll 4
        for (int v = 0; v < 4; v++) acc[j][v] = _mm256_load_si256(start + v);
    /* each input column once, for every output it feeds */
#pragma GCC unroll 8
    for (int col = 0; col < (N - 1) * S + 3; col++) {
        const size_t at = (size_t)(ix0 + col) * c + cb;
        const __m256i x2 = q8dwq_load((const int8_t *)rows[2] + at);
        __m256i q[4];
        q8dwq_quads(q8dwq_load((const int8_t *)rows[0] + at), q8dwq_load((const int8_t *)rows[1] + at), x2, x2, q);
#pragma GCC unroll 2
        for (int j = 0; j < N; j++) {
            const int kx = col - j * S;
            if (kx < 0 || kx >= 3) continue;
#pragma GCC unroll 4
            for (int v = 0; v < 4; v++) acc[j][v] = q8dwq_madd(acc[j][v], q[v], wq + kx * 4 + v);
        }
    }
    /* the epilogue of q8.h: vectors 0, 1 and 2, 3 as two unpack-order
     * pairs, then rounded, packed back into channel order, stored */
    const __m256i *f = start + 4;
    __m256i l0[2], h0[2], l1[2], h1[2];
    __m256 xa[2], xb[2], xc[2], xd[2];
#pragma GCC unroll 2
    for (int j = 0; j < N; j++) l0[j] = acc[j][0], h0[j] = acc[j][1], l1[j] = acc[j][2], h1[j] = acc[j][3];
    q8_avx2_dw_acts(l0, h0, N, f, swish, act, 1, xa, xb);
    q8_avx2_dw_acts(l1, h1, N, f + 4, swish, act, 1, xc, xd);
    __m256i s0 = _mm256_setzero_si256(), s1 = s0;
#pragma GCC unroll 2
    for (int j = 0; j < N; j++) {
        const __m256i x = q8_avx2_half(q8_avx2_round(xa[j], qo), q8_avx2_round(xb[j], qo), qo);   /* 0-7 | 16-23 */
        const __m256i y = q8_avx2_half(q8_avx2_round(xc[j], qo), q8_avx2_round(xd[j], qo), qo);   /* 8-15 | 24-31 */
        const __m256i v = _mm256_packus_epi16(x, y);
        _mm256_storeu_si256((__m256i *)(void *)(o + (size_t)j * c), v);
        if (cs) {
            s0 = _mm256_add_epi16(s0, _mm256_unpacklo_epi8(v, _mm256_setzero_si256()));   /* 0-7 | 16-23 */
            s1 = _mm256_add_epi16(s1, _mm256_unpackhi_epi8(v, _mm256_setzero_si256()));   /* 8-15 | 24-31 */
        }
    }
    if (cs) {
        __m256i *p = (__m256i *)(void *)cs;
        const __m256i add[4] = { _mm256_cvtepu16_epi32(_mm256_castsi256_si128(s0)),
                                 _mm256_cvtepu16_epi32(_mm256_castsi256_si128(s1)),
                                 _mm256_cvtepu16_epi32(_mm256_extracti128_si256(s0, 1)),
                                 _mm256_cvtepu16_epi32(_mm256_extracti128_si256(s1, 1)) };
#pragma GCC unroll 4
        for (int i = 0; i < 4; i++) _mm256_storeu_si256(p + i, _mm256_add_epi32(_mm256_loadu_si256(p + i), add[i]));
    }
}

#endif /* EFFAD_Q8_DWCONV_QUAD_AVX2_H */
