/*
 * qdw-rows-avx2.h -- everything above one tile of the quantised AVX2
 * depthwise bodies, written once for int8 (q8-dwconv-avx2.h, whose top
 * gives the reasons) and 16x8 (q16-dwconv-avx2.h) maps: tiles of 4 and 1
 * across a row, borders one output at a time, the stride-1 "same" edges
 * as tiles, the row, the channel groups and the fixed-K entry. What the
 * element type changes -- loading and summing a tile, its epilogue and
 * store, the per-pixel tail -- stays in the including header.
 *
 * Included once per element type, after the including header has
 * defined:
 *   QDW_T                 the map's element type (uint8_t, int16_t)
 *   QDW_ARGS              its ops_*_dwconv_args
 *   QDW(name)             the names it defines here (q8dw_##name)
 *   QDW_CTX               its context: a struct with members a (const
 *                         QDW_ARGS *), c (size_t), prefetch (int) and its own
 *   QDW_INIT(d, a)        sets the context's own members
 *   QDW_IN_ROW(a, iy)     input row iy (ring-aware)
 *   QDW_ARGS_OK(a)        the argument checks of the fixed-K entry
 *   QDW_TAPS_OK(g)        whether the window's sum fits the int32 lanes
 *   QDW_SCALAR            the scalar reference, for what the body refuses
 *   QDW_MAX_KH, QDW_PREP_BYTES, QDW_PF_TILES, QDW_PF_MIN_BYTES
 * and the functions
 *   QDW(x16)(d, p, half)  16 (half: 8, the rest zero) inputs at p as int16,
 *                         minus the zero point
 *   QDW(store)(d, lo, hi, N, f, half, o, cs)  a tile's epilogue (below)
 *   QDW(tail)(a, rows, ox, c0, orow)          channels c0.. of one output
 * It defines QDW(cols), QDW(tile), QDW(tiles), QDW(border), QDW(edge),
 * QDW(row), QDW(body), QDW(kxk_fixed) and QDW(entry), and undefines the
 * macros above. The multiply-adds are qdw_avx2_madd's: built with
 * -mavxvnni (the -avxvnni.c files) one vpdpwssd each.
 */
#include "qdw-prep-avx2.h"

#define QDW_ALWAYS static inline __attribute__((always_inline))

/* One row pair over the tile's input columns [col_lo, col_hi): which = 1
 * row a only, 2 row b only, 3 both. Column col feeds output j = (col -
 * kx) / sw for each kx that divides evenly (for a fixed j the kx come in
 * increasing order). With N = 1 the column is the kernel column. */
QDW_ALWAYS void QDW(cols)(const QDW_CTX *d, const QDW_T *pa, const QDW_T *pb, const int which, int ix0, size_t cb,
                          const __m256i *wg, const int kw, const int sw, const int N, const int col_lo,
                          const int col_hi, const int half, __m256i *lo, __m256i *hi)
{
    const size_t c = d->c;
    const __m256i zero = _mm256_setzero_si256();
#pragma GCC unroll 16
    for (int col = col_lo; col < col_hi; col++) {
        const size_t at = (size_t)(ix0 + col) * c + cb;
        const __m256i xa = which & 1 ? QDW(x16)(d, pa + at, half) : zero;
        const __m256i xb = which & 2 ? QDW(x16)(d, pb + at, half) : zero;
        const __m256i vl = _mm256_unpacklo_epi16(xa, xb), vh = _mm256_unpackhi_epi16(xa, xb);
        if (N == 1) {
            lo[0] = qdw_avx2_madd(lo[0], vl, wg + 2 * col);
            hi[0] = qdw_avx2_madd(hi[0], vh, wg + 2 * col + 1);
            continue;
        }
#pragma GCC unroll 8
        for (int kx = 0; kx < kw; kx++) {
            const int dd = col - kx;
            if (dd >= 0 && dd % sw == 0 && dd / sw < N) {
                lo[dd / sw] = qdw_avx2_madd(lo[dd / sw], vl, wg + 2 * kx);
                hi[dd / sw] = qdw_avx2_madd(hi[dd / sw], vh, wg + 2 * kx + 1);
            }
        }
    }
}

/* N outputs (columns ox..ox+N-1 of one row) of one 16-channel block: the
 * window starts at input column ix0; its columns [col_lo, col_hi) are
 * inside the row; rows[ky] is NULL for kernel rows outside the image. */
QDW_ALWAYS void QDW(tile)(const QDW_CTX *d, const QDW_T *const *rows, int ix0, size_t cb, const __m256i *wb,
                          const int kh, const int kw, const int sw, const int N, const int col_lo, const int col_hi,
                          const int half, QDW_T *o, int32_t *cs)
{
    __m256i lo[4], hi[4];
#pragma GCC unroll 4
    for (int j = 0; j < N; j++) lo[j] = hi[j] = _mm256_setzero_si256();
    /* unrolled (kh is a constant in the fast paths), so that the
     * accumulators stay in registers across the three-way choices */
#pragma GCC unroll 8
    for (int ky = 0; ky < kh; ky += 2) {
        const QDW_T *pa = rows[ky], *pb = ky + 1 < kh ? rows[ky + 1] : 0;
        const __m256i *wg = wb + (size_t)ky * kw;   /* (ky / 2) * kw * 2 vectors */
        if (pa && pb) QDW(cols)(d, pa, pb, 3, ix0, cb, wg, kw, sw, N, col_lo, col_hi, half, lo, hi);
        else if (pa) QDW(cols)(d, pa, pb, 1, ix0, cb, wg, kw, sw, N, col_lo, col_hi, half, lo, hi);
        else if (pb) QDW(cols)(d, pa, pb, 2, ix0, cb, wg, kw, sw, N, col_lo, col_hi, half, lo, hi);
    }
    QDW(store)(d, lo, hi, N, wb + qdw_avx2_block_vectors(kh, kw) - QDW_AVX2_FACTORS, half, o, cs);
}

/* Tiles of N outputs with every column inside the row, from *oxp while
 * they fit before ox_hi, blocks [b0, b1). */
QDW_ALWAYS void QDW(tiles)(const QDW_CTX *d, const QDW_T *const *rows, const __m256i *prep, int b0, int b1,
                           const int kh, const int kw, const int sw, const int N, const int half, int *oxp, int ox_hi,
                           QDW_T *orow)
{
    const QDW_ARGS *a = d->a;
    const size_t c = d->c, nv = qdw_avx2_block_vectors(kh, kw);
    int ox = *oxp;
    for (; ox + N <= ox_hi; ox += N) {
        const int ix0 = ox * sw - a->g.pad_left;
        if (N > 1 && d->prefetch) {
            /* the input columns this tile's rows read, QDW_PF_TILES tiles
             * ahead (addresses past the row are harmless: a prefetch never
             * faults) */
            const uintptr_t at = ((uintptr_t)(ix0 + QDW_PF_TILES * N * sw) * c + (uintptr_t)b0 * 16) * sizeof(QDW_T);
            const size_t bytes = (size_t)N * sw * c * sizeof(QDW_T);
            for (int ky = 0; ky < kh; ky++)
                if (rows[ky])
                    for (size_t l = 0; l < bytes; l += 64) _mm_prefetch((const char *)((uintptr_t)rows[ky] + at + l), _MM_HINT_T0);
        }
        for (int b = b0; b < b1; b++) {
            const size_t cb = (size_t)b * 16;
            QDW(tile)(d, rows, ix0, cb, prep + (size_t)(b - b0) * nv, kh, kw, sw, N, 0, (N - 1) * sw + kw, half,
                      orow + (size_t)ox * c + cb, a->chan_sum ? a->chan_sum + cb : 0);
        }
    }
    *oxp = ox;
}

/* One output at column ox whose window may cross either edge; half: the
 * blocks are 8-channel ones (the tail). */
static inline void QDW(border)(const QDW_CTX *d, const QDW_T *const *rows, const __m256i *prep, int b0, int b1, int kh,
                               int kw, int sw, int ox, int half, QDW_T *orow)
{
    const QDW_ARGS *a = d->a;
    const size_t c = d->c, nv = qdw_avx2_block_vectors(kh, kw);
    const int iw = a->in_dims.w, ix0 = ox * sw - a->g.pad_left;
    int kx_lo = ix0 < 0 ? -ix0 : 0, kx_hi = iw - ix0 < kw ? iw - ix0 : kw;
    if (kx_lo >= kx_hi) kx_lo = kx_hi = 0;   /* every tap is padding: the bias alone */
    for (int b = b0; b < b1; b++) {
        const size_t cb = (size_t)b * 16;
        QDW_T *o = orow + (size_t)ox * c + cb;
        int32_t *cs = a->chan_sum ? a->chan_sum + cb : 0;
        if (half) QDW(tile)(d, rows, ix0, cb, prep + (size_t)(b - b0) * nv, kh, kw, sw, 1, kx_lo, kx_hi, 1, o, cs);
        else QDW(tile)(d, rows, ix0, cb, prep + (size_t)(b - b0) * nv, kh, kw, sw, 1, kx_lo, kx_hi, 0, o, cs);
    }
}

/* The first (right = 0) or last kw/2 outputs of a stride-1 row with
 * "same" padding as one tile whose columns outside the row are left out
 * at compile time. */
QDW_ALWAYS void QDW(edge)(const QDW_CTX *d, const QDW_T *const *rows, const __m256i *prep, int b0, int b1,
                          const int kh, const int kw, const int right, const int half, int ox, QDW_T *orow)
{
    const QDW_ARGS *a = d->a;
    const int P = kw / 2, span = (P - 1) + kw;
    const size_t c = d->c, nv = qdw_avx2_block_vectors(kh, kw);
    for (int b = b0; b < b1; b++) {
        const size_t cb = (size_t)b * 16;
        QDW(tile)(d, rows, ox - P, cb, prep + (size_t)(b - b0) * nv, kh, kw, 1, P, right ? 0 : P,
                  right ? span - P : span, half, orow + (size_t)ox * c + cb, a->chan_sum ? a->chan_sum + cb : 0);
    }
}

/* One output row, blocks [b0, b1) (half: the one 8-channel block):
 * stride-1 "same" edges as tiles, other borders one output at a time, the
 * interior in tiles of 4 and then singles. */
QDW_ALWAYS void QDW(row)(const QDW_CTX *d, const QDW_T *const *rows, const __m256i *prep, int b0, int b1, const int kh,
                         const int kw, const int sw, const int K, const int half, const int edges, int ox_lo,
                         int ox_hi, QDW_T *orow)
{
    const int ow = d->a->out_dims.w, P = kw / 2;
    int ox = 0;
    if (edges) {
        QDW(edge)(d, rows, prep, b0, b1, kh, kw, 0, half, 0, orow);
        ox = P;
    }
    for (; ox < ox_lo; ox++) QDW(border)(d, rows, prep, b0, b1, kh, kw, sw, ox, half, orow);
    /* the interior: blocks from bq on in tiles of this body; those before
     * bq went through the element type's own interior path, if it has one */
    int bq = b0;
#ifdef QDW_QUAD_TILES
    if (K && !half) bq = QDW_QUAD_TILES(d, rows, b0, K, sw, ox, ox_hi, orow);
#endif
    if (bq < b1) {
        const __m256i *pq = prep + (size_t)(bq - b0) * qdw_avx2_block_vectors(kh, kw);
        int ot = ox;
        if (K) QDW(tiles)(d, rows, pq, bq, b1, kh, kw, sw, 4, half, &ot, ox_hi, orow);
        QDW(tiles)(d, rows, pq, bq, b1, kh, kw, sw, 1, half, &ot, ox_hi, orow);
    }
    if (ox < ox_hi) ox = ox_hi;
    if (edges) {
        QDW(edge)(d, rows, prep, b0, b1, kh, kw, 1, half, ox, orow);
        ox = ow;
    }
    for (; ox < ow; ox++) QDW(border)(d, rows, prep, b0, b1, kh, kw, sw, ox, half, orow);
}

/* The whole kernel. K (kernel side) and S (stride) are constants in the
 * fast paths, 0 for "read them from the geometry" (any kh x kw, dilation
 * 1; the caller checks). Loop order: channel group (as many 16-channel
 * blocks as their prepared weights fit in QDW_PREP_BYTES of stack),
 * output row, tile, block -- channels innermost, so every input row is
 * walked forward in memory. */
QDW_ALWAYS void QDW(body)(const QDW_ARGS *a, const int K, const int S)
{
    const ops_conv_geom g = a->g;
    const int kh = K ? K : g.kh, kw = K ? K : g.kw;
    const int sh = S ? S : g.stride_h, sw = S ? S : g.stride_w;
    const int ih = a->in_dims.h, iw = a->in_dims.w, c = a->in_dims.c, ow = a->out_dims.w;
    QDW_CTX d;
    d.a = a;
    d.c = (size_t)c;
    QDW_INIT(&d, a);
    /* software prefetch only when the input cannot be cache-resident (a
     * ring of a few rows is, by construction) */
    d.prefetch = !a->in_ring && (size_t)ih * iw * c * sizeof(QDW_T) > QDW_PF_MIN_BYTES;
    /* columns whose taps all fall inside the row */
    int ox_lo = (g.pad_left + sw - 1) / sw;
    int ox_hi = iw - kw + g.pad_left >= 0 ? (iw - kw + g.pad_left) / sw + 1 : 0;
    if (ox_hi > ow) ox_hi = ow;
    if (ox_lo > ox_hi) ox_lo = ox_hi;
    const int P = kw / 2;
    const int edges = K && S == 1 && (kw & 1) && P > 0 && g.pad_left == P && g.pad_right == P && ox_lo == P &&
                      ow - ox_hi == P && iw >= kw;
    const int blocks = c / 16, c16 = blocks * 16;
    const size_t nv = qdw_avx2_block_vectors(kh, kw);
    int group = (int)(QDW_PREP_BYTES / (nv * sizeof(__m256i)));
    if (group < 1) group = 1;
    _Alignas(32) __m256i prep[QDW_PREP_BYTES / sizeof(__m256i)];
    _Alignas(32) __m256i prep_tail[QDW_PREP_BYTES / sizeof(__m256i)];
    for (int b0 = 0; b0 < blocks || (b0 == 0 && c16 < c); b0 += group) {
        const int b1 = b0 + group < blocks ? b0 + group : blocks;
        if (b1 > b0) qdw_avx2_prepare(a->w, a->out.mult, a->out.bias, d.c, kh, kw, b0, b1, 0, prep);
#ifdef QDW_QUAD_PREPARE
        QDW_QUAD_PREPARE(&d, a, K, b0, b1);
#endif
        /* 8 of the channels past the last multiple of 16 (B4's 24-channel
         * layers): one 8-lane block */
        const int tail8 = b1 == blocks && c - c16 >= 8;
        if (tail8) qdw_avx2_prepare(a->w, a->out.mult, a->out.bias, d.c, kh, kw, blocks, blocks + 1, 1, prep_tail);
        for (int oy = a->row_begin; oy < a->row_end; oy++) {
            const int iy0 = oy * sh - g.pad_top;
            const QDW_T *rows[QDW_MAX_KH];
            for (int ky = 0; ky < kh; ky++) rows[ky] = iy0 + ky >= 0 && iy0 + ky < ih ? QDW_IN_ROW(a, iy0 + ky) : 0;
            QDW_T *orow = a->out_q + (size_t)oy * ow * c;
            if (b1 > b0) QDW(row)(&d, rows, prep, b0, b1, kh, kw, sw, K, 0, edges, ox_lo, ox_hi, orow);
            if (tail8) QDW(row)(&d, rows, prep_tail, blocks, blocks + 1, kh, kw, sw, K, 1, edges, ox_lo, ox_hi, orow);
            if (b1 == blocks && c16 + 8 * tail8 < c)
                for (int ox = 0; ox < ow; ox++) QDW(tail)(a, rows, ox, c16 + 8 * tail8, orow);
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
#define QDW_BLOCK_BYTES(kh, kw) (qdw_avx2_block_vectors((kh), (kw)) * sizeof(__m256i))
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
#undef QDW_PF_TILES
#undef QDW_PF_MIN_BYTES
