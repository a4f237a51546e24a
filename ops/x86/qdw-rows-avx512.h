/*
 * qdw-rows-avx512.h -- everything above one tile of the quantised AVX-512
 * depthwise bodies, written once for int8 (q8-dwconv-avx512.h, whose top
 * gives the reasons) and 16x8 (q16-dwconv-avx512.h) maps, with or without
 * VNNI: tiles of 8, 4 and 1 across a row, borders one output at a time,
 * the stride-1 "same" edges as tiles, the row, the channel groups (a tail
 * block under an opmask), the fixed-K kernels and a table's entry. What
 * the element type changes -- loading and summing a tile, its epilogue
 * and store -- stays in the including header.
 *
 * Included once per element type, after the including header has
 * defined:
 *   QDW_T                 the map's element type (uint8_t, int16_t)
 *   QDW_ARGS              its ops_*_dwconv_args
 *   QDW(name)             the names it defines here (q8dwz_##name)
 *   QDW_CTX               its context: a struct with members a (const
 *                         QDW_ARGS *), c (size_t), tail (__mmask32), ox_lo,
 *                         ox_hi, edges (int) and its own
 *   QDW_INIT(d, a)        sets the context's own members
 *   QDW_IN_ROW(a, iy)     input row iy (ring-aware)
 *   QDW_ARGS_OK(a)        the argument checks of a kernel
 *   QDW_TAPS_OK(g)        whether the window's sum fits the int32 lanes
 *   QDW_SCALAR            the scalar reference, for what the body refuses
 *   QDW_MAX_KH, QDW_PREP_BYTES, QDW_N (the widest tile)
 * and the functions
 *   QDW(x32)(d, p, tail)  32 inputs at p as int16 minus the zero point
 *                         (tail: those of d->tail, the rest zero or -zero,
 *                         never stored)
 *   QDW(store)(d, lo, hi, N, f, tail, o, cs)  a tile's epilogue
 * It defines QDW(cols), QDW(tile), QDW(tiles), QDW(border), QDW(edge),
 * QDW(row), QDW(body), QDW(kxk_fixed) and QDW(entry), and undefines the
 * macros above.
 */
#include "qdw-prep-avx512.h"

#define QDW_ALWAYS static inline __attribute__((always_inline))

/* One row pair over the tile's input columns [col_lo, col_hi): which = 1
 * row a only, 2 row b only, 3 both (the AVX2 bodies' cols). */
QDW_ALWAYS void QDW(cols)(const QDW_CTX *d, const QDW_T *pa, const QDW_T *pb, const int which, int ix0, size_t cb,
                          const __m512i *wg, const int kw, const int sw, const int N, const int col_lo,
                          const int col_hi, const int tail, __m512i *lo, __m512i *hi)
{
    const size_t c = d->c;
    const __m512i zero = _mm512_setzero_si512();
#pragma GCC unroll 24
    for (int col = col_lo; col < col_hi; col++) {
        const size_t at = (size_t)(ix0 + col) * c + cb;
        const __m512i xa = which & 1 ? QDW(x32)(d, pa + at, tail) : zero;
        const __m512i xb = which & 2 ? QDW(x32)(d, pb + at, tail) : zero;
        const __m512i vl = _mm512_unpacklo_epi16(xa, xb), vh = _mm512_unpackhi_epi16(xa, xb);
        if (N == 1) {
            lo[0] = qdw_avx512_madd(lo[0], vl, wg + 2 * col);
            hi[0] = qdw_avx512_madd(hi[0], vh, wg + 2 * col + 1);
            continue;
        }
#pragma GCC unroll 8
        for (int kx = 0; kx < kw; kx++) {
            const int dd = col - kx;
            if (dd >= 0 && dd % sw == 0 && dd / sw < N) {
                lo[dd / sw] = qdw_avx512_madd(lo[dd / sw], vl, wg + 2 * kx);
                hi[dd / sw] = qdw_avx512_madd(hi[dd / sw], vh, wg + 2 * kx + 1);
            }
        }
    }
}

/* N outputs (columns ox..ox+N-1 of one row) of one 32-channel block: the
 * window starts at input column ix0; its columns [col_lo, col_hi) are
 * inside the row; rows[ky] is NULL for kernel rows outside the image. */
QDW_ALWAYS void QDW(tile)(const QDW_CTX *d, const QDW_T *const *rows, int ix0, size_t cb, const __m512i *wb,
                          const int kh, const int kw, const int sw, const int N, const int col_lo, const int col_hi,
                          const int tail, QDW_T *o, int32_t *cs)
{
    __m512i lo[QDW_N], hi[QDW_N];
#pragma GCC unroll 8
    for (int j = 0; j < N; j++) lo[j] = hi[j] = _mm512_setzero_si512();
#pragma GCC unroll 8
    for (int ky = 0; ky < kh; ky += 2) {
        const QDW_T *pa = rows[ky], *pb = ky + 1 < kh ? rows[ky + 1] : 0;
        const __m512i *wg = wb + (size_t)ky * kw;   /* (ky / 2) * kw * 2 vectors */
        if (pa && pb) QDW(cols)(d, pa, pb, 3, ix0, cb, wg, kw, sw, N, col_lo, col_hi, tail, lo, hi);
        else if (pa) QDW(cols)(d, pa, pb, 1, ix0, cb, wg, kw, sw, N, col_lo, col_hi, tail, lo, hi);
        else if (pb) QDW(cols)(d, pa, pb, 2, ix0, cb, wg, kw, sw, N, col_lo, col_hi, tail, lo, hi);
    }
    QDW(store)(d, lo, hi, N, wb + qdw_avx512_block_vectors(kh, kw) - QDW_AVX512_FACTORS, tail, o, cs);
}

/* Tiles of N outputs with every column inside the row, from *oxp while
 * they fit before ox_hi, blocks [b0, b1). */
QDW_ALWAYS void QDW(tiles)(const QDW_CTX *d, const QDW_T *const *rows, const __m512i *prep, int b0, int b1,
                           const int kh, const int kw, const int sw, const int N, const int tail, int *oxp,
                           QDW_T *orow)
{
    const QDW_ARGS *a = d->a;
    const size_t c = d->c, nv = qdw_avx512_block_vectors(kh, kw);
    int ox = *oxp;
    for (; ox + N <= d->ox_hi; ox += N)
        for (int b = b0; b < b1; b++) {
            const size_t cb = (size_t)b * 32;
            QDW(tile)(d, rows, ox * sw - a->g.pad_left, cb, prep + (size_t)(b - b0) * nv, kh, kw, sw, N, 0,
                      (N - 1) * sw + kw, tail, orow + (size_t)ox * c + cb, a->chan_sum ? a->chan_sum + cb : 0);
        }
    *oxp = ox;
}

/* One output at column ox whose window may cross either edge. */
static inline void QDW(border)(const QDW_CTX *d, const QDW_T *const *rows, const __m512i *prep, int b0, int b1, int kh,
                               int kw, int sw, int ox, const int tail, QDW_T *orow)
{
    const QDW_ARGS *a = d->a;
    const size_t c = d->c, nv = qdw_avx512_block_vectors(kh, kw);
    const int iw = a->in_dims.w, ix0 = ox * sw - a->g.pad_left;
    int kx_lo = ix0 < 0 ? -ix0 : 0, kx_hi = iw - ix0 < kw ? iw - ix0 : kw;
    if (kx_lo >= kx_hi) kx_lo = kx_hi = 0;   /* every tap is padding: the bias alone */
    for (int b = b0; b < b1; b++) {
        const size_t cb = (size_t)b * 32;
        QDW(tile)(d, rows, ix0, cb, prep + (size_t)(b - b0) * nv, kh, kw, sw, 1, kx_lo, kx_hi, tail,
                  orow + (size_t)ox * c + cb, a->chan_sum ? a->chan_sum + cb : 0);
    }
}

/* The first (right = 0) or last kw/2 outputs of a stride-1 row with
 * "same" padding as one tile (the AVX2 bodies' edge). */
QDW_ALWAYS void QDW(edge)(const QDW_CTX *d, const QDW_T *const *rows, const __m512i *prep, int b0, int b1,
                          const int kh, const int kw, const int right, const int tail, int ox, QDW_T *orow)
{
    const QDW_ARGS *a = d->a;
    const int P = kw / 2, span = (P - 1) + kw;
    const size_t c = d->c, nv = qdw_avx512_block_vectors(kh, kw);
    for (int b = b0; b < b1; b++) {
        const size_t cb = (size_t)b * 32;
        QDW(tile)(d, rows, ox - P, cb, prep + (size_t)(b - b0) * nv, kh, kw, 1, P, right ? 0 : P,
                  right ? span - P : span, tail, orow + (size_t)ox * c + cb, a->chan_sum ? a->chan_sum + cb : 0);
    }
}

/* One output row, blocks [b0, b1) (tail: the one masked block):
 * stride-1 "same" edges as tiles, other borders one output at a time, the
 * interior in tiles of QDW_N, then 4, then singles. */
QDW_ALWAYS void QDW(row)(const QDW_CTX *d, const QDW_T *const *rows, const __m512i *prep, int b0, int b1,
                         const int kh, const int kw, const int sw, const int K, const int tail, QDW_T *orow)
{
    const int ow = d->a->out_dims.w, P = kw / 2;
    int ox = 0;
    if (d->edges) {
        QDW(edge)(d, rows, prep, b0, b1, kh, kw, 0, tail, 0, orow);
        ox = P;
    }
    for (; ox < d->ox_lo; ox++) QDW(border)(d, rows, prep, b0, b1, kh, kw, sw, ox, tail, orow);
    if (K) {
        QDW(tiles)(d, rows, prep, b0, b1, kh, kw, sw, QDW_N, tail, &ox, orow);
        QDW(tiles)(d, rows, prep, b0, b1, kh, kw, sw, 4, tail, &ox, orow);
    }
    QDW(tiles)(d, rows, prep, b0, b1, kh, kw, sw, 1, tail, &ox, orow);
    if (d->edges) {
        QDW(edge)(d, rows, prep, b0, b1, kh, kw, 1, tail, ox, orow);
        ox = ow;
    }
    for (; ox < ow; ox++) QDW(border)(d, rows, prep, b0, b1, kh, kw, sw, ox, tail, orow);
}

/* The whole kernel. K (kernel side) and S (stride) are constants in the
 * fast paths, 0 for "read them from the geometry" (any kh x kw, dilation
 * 1; the caller checks). */
QDW_ALWAYS void QDW(body)(const QDW_ARGS *a, const int K, const int S)
{
    const ops_conv_geom g = a->g;
    const int kh = K ? K : g.kh, kw = K ? K : g.kw;
    const int sh = S ? S : g.stride_h, sw = S ? S : g.stride_w;
    const int ih = a->in_dims.h, iw = a->in_dims.w, c = a->in_dims.c, ow = a->out_dims.w;
    QDW_CTX d;
    d.a = a;
    d.c = (size_t)c;
    d.tail = (__mmask32)((1ull << (c % 32)) - 1);
    QDW_INIT(&d, a);
    /* columns whose taps all fall inside the row */
    d.ox_lo = (g.pad_left + sw - 1) / sw;
    d.ox_hi = iw - kw + g.pad_left >= 0 ? (iw - kw + g.pad_left) / sw + 1 : 0;
    if (d.ox_hi > ow) d.ox_hi = ow;
    if (d.ox_lo > d.ox_hi) d.ox_lo = d.ox_hi;
    const int P = kw / 2;
    d.edges = K && S == 1 && (kw & 1) && P > 0 && g.pad_left == P && g.pad_right == P && d.ox_lo == P &&
              ow - d.ox_hi == P && iw >= kw;
    const int blocks = c / 32, tail = c % 32 != 0;
    const size_t nv = qdw_avx512_block_vectors(kh, kw);
    int group = (int)(QDW_PREP_BYTES / (nv * sizeof(__m512i)));
    if (group < 1) group = 1;
    /* the entry keeps nv * 64 within QDW_PREP_BYTES */
    _Alignas(64) __m512i prep[QDW_PREP_BYTES / sizeof(__m512i)];
    _Alignas(64) __m512i prep_tail[QDW_PREP_BYTES / sizeof(__m512i)];
    for (int b0 = 0; b0 < blocks || (b0 == 0 && tail); b0 += group) {
        const int b1 = b0 + group < blocks ? b0 + group : blocks;
        const int last = b1 == blocks && tail;
        if (b1 > b0) qdw_avx512_prepare(a->w, a->out.mult, a->out.bias, d.c, kh, kw, b0, b1, 0, d.tail, prep);
        if (last) qdw_avx512_prepare(a->w, a->out.mult, a->out.bias, d.c, kh, kw, blocks, blocks + 1, 1, d.tail, prep_tail);
        for (int oy = a->row_begin; oy < a->row_end; oy++) {
            const int iy0 = oy * sh - g.pad_top;
            const QDW_T *rows[QDW_MAX_KH];
            for (int ky = 0; ky < kh; ky++) rows[ky] = iy0 + ky >= 0 && iy0 + ky < ih ? QDW_IN_ROW(a, iy0 + ky) : 0;
            QDW_T *orow = a->out_q + (size_t)oy * ow * d.c;
            if (b1 > b0) QDW(row)(&d, rows, prep, b0, b1, kh, kw, sw, K, 0, orow);
            if (last) QDW(row)(&d, rows, prep_tail, blocks, blocks + 1, kh, kw, sw, K, 1, orow);
        }
    }
}

/* A K x K kernel (3 or 5) at strides 1 and 2 (ops_dw_fixed_kxk; the
 * entry sends other strides to the any-k kernel): its checks and its two
 * bodies. */
QDW_ALWAYS ops_status QDW(kxk_fixed)(const QDW_ARGS *a, const int K)
{
    if (!QDW_ARGS_OK(a) || !ops_dw_fixed_kxk(&a->g, K)) return OPS_ERR_UNSUPPORTED;
    if (a->g.stride_h == 1) QDW(body)(a, K, 1);
    else QDW(body)(a, K, 2);
    return OPS_OK;
}

/* QDW(entry): the table's depthwise entry (qdw-entry.h). */
#define QDW_BLOCK_BYTES(kh, kw) (qdw_avx512_block_vectors((kh), (kw)) * sizeof(__m512i))
#include "qdw-entry.h"
#undef QDW_BLOCK_BYTES

#undef QDW_ALWAYS
#undef QDW_T
#undef QDW_ARGS
#undef QDW
#undef QDW_CTX
#undef QDW_INIT
#undef QDW_IN_ROW
#undef QDW_ARGS_OK
#undef QDW_TAPS_OK
#undef QDW_SCALAR
#undef QDW_MAX_KH
#undef QDW_PREP_BYTES
#undef QDW_N
