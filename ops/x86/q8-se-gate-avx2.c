/*
 * q8-se-gate-avx2.c -- the squeeze-excite gate with int8 weights
 * (ops/q8.h), the scalar reference's bits.
 *
 * The reference sums each output's dot product in order, one float add
 * after another, so the lanes here are eight OUTPUTS (eight weight rows),
 * each summing its own row in that order: an 8 x 8 block of int8 weights
 * is transposed with unpacks so that vector j holds column j of the eight
 * rows, then converted and multiplied by the broadcast input j and added
 * -- the reference's operations, lane by lane. Both mat-vecs have this
 * shape (w1 [rc][c] on the mean, w2 [c][rc] on the hidden vector); two
 * blocks of rows run side by side to hide the add latency of the chains.
 * Scale, bias and activation then go 8 outputs at a time (q8-avx2.h).
 */
#include <immintrin.h>
#include "kernels-internal.h"
#include "q8-avx2.h"

/* Columns j..j+7 of eight rows (p[0..7] at column 0) as eight vectors of
 * int8 in their low 8 bytes ... returned as floats, column by column. */
static inline __attribute__((always_inline)) void columns8(const int8_t *const *p, size_t j, __m256 *col)
{
    __m128i r[8];
    for (int l = 0; l < 8; l++) r[l] = _mm_loadl_epi64((const __m128i *)(const void *)(p[l] + j));
    const __m128i t0 = _mm_unpacklo_epi8(r[0], r[1]), t1 = _mm_unpacklo_epi8(r[2], r[3]);
    const __m128i t2 = _mm_unpacklo_epi8(r[4], r[5]), t3 = _mm_unpacklo_epi8(r[6], r[7]);
    const __m128i u0 = _mm_unpacklo_epi16(t0, t1), u1 = _mm_unpackhi_epi16(t0, t1);   /* columns 0-3, 4-7 of rows 0-3 */
    const __m128i u2 = _mm_unpacklo_epi16(t2, t3), u3 = _mm_unpackhi_epi16(t2, t3);   /* of rows 4-7 */
    const __m128i v[4] = { _mm_unpacklo_epi32(u0, u2), _mm_unpackhi_epi32(u0, u2),     /* columns 0-1, 2-3 */
                           _mm_unpacklo_epi32(u1, u3), _mm_unpackhi_epi32(u1, u3) };   /* 4-5, 6-7 */
    for (int q = 0; q < 4; q++) {
        col[2 * q] = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(v[q]));
        col[2 * q + 1] = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_srli_si128(v[q], 8)));
    }
}

/* Column j of eight rows as floats (the tail past the last multiple of 8). */
static inline __m256 column1(const int8_t *const *p, size_t j)
{
    return _mm256_setr_ps(p[0][j], p[1][j], p[2][j], p[3][j], p[4][j], p[5][j], p[6][j], p[7][j]);
}

/* Row pointers of the block of eight from row i0; rows past the last
 * repeat it (their lanes are computed and dropped). */
static inline void rows8(const int8_t *w, size_t rows, size_t cols, size_t i0, const int8_t **p)
{
    for (size_t l = 0; l < 8; l++) p[l] = w + (i0 + l < rows ? i0 + l : rows - 1) * cols;
}

static inline void store_lanes(float *out, size_t i0, size_t rows, __m256 v)
{
    if (i0 + 8 <= rows) { _mm256_storeu_ps(out + i0, v); return; }
    float t[8];
    _mm256_storeu_ps(t, v);
    memcpy(out + i0, t, (rows - i0) * sizeof(float));
}

/* out[i] = sum over j in order of (float)w[i][j] * x[j], i < rows. */
static void matvec(const int8_t *w, size_t rows, size_t cols, const float *x, float *out)
{
    const size_t c8 = cols / 8 * 8;
    size_t i0 = 0;
    for (; i0 + 8 < rows; i0 += 16) {
        const int8_t *p[8], *q[8];
        rows8(w, rows, cols, i0, p);
        rows8(w, rows, cols, i0 + 8, q);
        __m256 s = _mm256_setzero_ps(), t = s;
        for (size_t j = 0; j < c8; j += 8) {
            __m256 a[8], b[8];
            columns8(p, j, a);
            columns8(q, j, b);
            for (int l = 0; l < 8; l++) {
                const __m256 xv = _mm256_broadcast_ss(x + j + l);
                s = _mm256_add_ps(s, _mm256_mul_ps(a[l], xv));
                t = _mm256_add_ps(t, _mm256_mul_ps(b[l], xv));
            }
        }
        for (size_t j = c8; j < cols; j++) {
            const __m256 xv = _mm256_broadcast_ss(x + j);
            s = _mm256_add_ps(s, _mm256_mul_ps(column1(p, j), xv));
            t = _mm256_add_ps(t, _mm256_mul_ps(column1(q, j), xv));
        }
        store_lanes(out, i0, rows, s);
        store_lanes(out, i0 + 8, rows, t);
    }
    if (i0 < rows) {
        const int8_t *p[8];
        rows8(w, rows, cols, i0, p);
        __m256 s = _mm256_setzero_ps();
        for (size_t j = 0; j < c8; j += 8) {
            __m256 a[8];
            columns8(p, j, a);
            for (int l = 0; l < 8; l++) s = _mm256_add_ps(s, _mm256_mul_ps(a[l], _mm256_broadcast_ss(x + j + l)));
        }
        for (size_t j = c8; j < cols; j++) s = _mm256_add_ps(s, _mm256_mul_ps(column1(p, j), _mm256_broadcast_ss(x + j)));
        store_lanes(out, i0, rows, s);
    }
}

/* x[i] = act(x[i] * scale[i] + bias[i]) (bias 0 when NULL), in place. */
static void finish(float *x, size_t n, const float *scale, const float *bias, ops_act act)
{
    const size_t n8 = n / 8 * 8;
    for (size_t i = 0; i < n8; i += 8) {
        const __m256 b = bias ? _mm256_loadu_ps(bias + i) : _mm256_setzero_ps();
        const __m256 s = _mm256_add_ps(_mm256_mul_ps(_mm256_loadu_ps(x + i), _mm256_loadu_ps(scale + i)), b);
        _mm256_storeu_ps(x + i, q8_avx2_act(s, act, 0));
    }
    for (size_t i = n8; i < n; i++) x[i] = ops_q8_act(x[i] * scale[i] + (bias ? bias[i] : 0.0f), act);
}

ops_status q8_se_gate_avx2(const ops_q8_se_args *a)
{
    if (!a || !a->mean || !a->w1 || !a->s1 || !a->w2 || !a->s2 || !a->gate || !a->scratch) return OPS_ERR_ARG;
    if (a->rc < 1 || a->c < 1) return q8_se_gate_scalar(a);
    const size_t c = (size_t)a->c, rc = (size_t)a->rc;
    matvec(a->w1, rc, c, a->mean, a->scratch);
    finish(a->scratch, rc, a->s1, a->b1, a->act);
    matvec(a->w2, c, rc, a->scratch, a->gate);
    finish(a->gate, c, a->s2, a->b2, a->gate_act);
    return OPS_OK;
}
