/*
 * gptq.h -- int8 weights rounded so that a layer's output, not each
 * weight, stays closest to float (GPTQ: Frantar et al. 2022, "GPTQ:
 * accurate post-training quantization for generative pre-trained
 * transformers"; OBQ's update for a fixed grid).
 *
 * For one output channel with float weights w (k inputs) and the inputs x
 * the layer reads on calibration images, the output error is
 * sum_x ((w - q) . x)^2 = (w - q)^T H (w - q), H = sum x x^T the inputs'
 * Gram matrix. Rounding to nearest minimises each |w_i - q_i| alone;
 * GPTQ rounds the weights one after the other and moves each rounding
 * error onto the weights not yet rounded, in the direction H says the
 * output least notices. On a full-size B0 (tests/int8/sim-bits.py, brushed
 * metal, weights alone) that took the Spearman of the anomaly scores from
 * 0.9979 to 0.9993 at 8 bits and from 0.9904 to 0.9976 at 6.
 *
 * The scale stays quant_weights' (max |w| / qmax per row, so the largest
 * weight is still exact at the edge of the grid); only the codes change.
 *
 * The reference (sim-bits.py, gptq_rows) takes U, the upper Cholesky
 * factor of H^-1, and for i = 0 .. k-1 rounds w_i then subtracts
 * (w_i - q_i) / U_ii * U_ij from every w_j, j > i. Here the same result
 * comes from R, the lower triangular factor with H = R^T R (R = U^-T,
 * a Cholesky factorisation of H with the index order reversed): with
 * e_j = w_j - q_j the errors against the ORIGINAL weights,
 *     q_i = round(w_i + sum_{j<i} (R_ij / R_ii) e_j)
 * (Babai's nearest-plane rule; expanding e = U^T delta, delta_i the
 * reference's scaled errors, gives the reference's w_i after its updates).
 * One factorisation of k^3 / 6 multiply-adds instead of the reference's
 * factorisation, inversion and second factorisation, and no inverse, whose
 * rounding grows with H's condition number.
 *
 * Gram matrices are stored as their lower triangle, row after row:
 * entry (i, j), j <= i, at GPTQ_AT(i, j); GPTQ_TRI(k) doubles in all.
 */
#ifndef EFFAD_GPTQ_H
#define EFFAD_GPTQ_H

#include <stddef.h>
#include <stdint.h>
#include "effad.h"
#include "dispatch.h"

#define GPTQ_TRI(k) ((size_t)(k) * ((size_t)(k) + 1) / 2)
#define GPTQ_AT(i, j) ((size_t)(i) * ((size_t)(i) + 1) / 2 + (size_t)(j))
/* Damping: H + GPTQ_DAMP * mean(diag H) * I, the reference's (and the
 * paper's) 1 %: it bounds H's condition number by about 100 k, so the
 * factorisation cannot fail, and keeps a weight whose inputs barely vary
 * from soaking up its neighbours' errors. */
#define GPTQ_DAMP 0.01

/* ---- rounding ------------------------------------------------------ */

/* Scratch bytes gptq_round needs for rows x k weights and n_workers. */
size_t gptq_round_scratch_bytes(int rows, int k, int n_workers);

/* w: rows x k floats, one output channel per row (OIHW: the order the
 * layer's inputs are in, which is also the order they are rounded in);
 * h: the Gram matrix every row shares (per_row 0) or one per row
 * (per_row 1, rows of them one after the other: a depthwise layer), each
 * GPTQ_TRI(k) doubles, OVERWRITTEN by its factor. An input that never
 * varied (H_ii == 0) gets H_ii = 1: its weight is rounded to nearest and
 * moves no error, as in the reference. (GPTQ's paper code also zeroes
 * such a weight; here it is kept: an input dead on every good image may
 * be the one a defect lights up.) Fills q (codes, the layout of w) and
 * scale (quant_weights' scales). threads may be NULL (n_workers >= its
 * n_threads; the result does not depend on it). Returns the number of
 * Gram matrices that could not be factorised (NaN or infinite inputs) --
 * their rows are rounded to nearest. */
int gptq_round(const float *w, int rows, int k, double *h, int per_row, int bits, int8_t *q, float *scale,
               effad_threads *threads, void *scratch);

/* ---- Gram matrices ------------------------------------------------- */

/* A 1x1 layer: h (k x k) += sum over the n pixels of x x^T, x the
 * pixel's k channels (x: n x k, HWC) each times chan_scale[c] (NULL: 1;
 * the squeeze-excite gate the projection's input is scaled by). Float
 * products summed in blocks of pixels by f's GEMM, the blocks summed in
 * double (the GEMM's status: OPS_OK unless it refuses). threads may be
 * NULL; n_workers >= its n_threads. */
size_t gptq_gram_1x1_scratch_bytes(int k, size_t n, int n_workers, const ops_f32_kernels *f);
ops_status gptq_gram_1x1(double *h, int k, const float *x, size_t n, const float *chan_scale,
                         const ops_f32_kernels *f, effad_threads *threads, void *scratch);

/* A depthwise layer: for each of the c channels, h[c] (kh kw x kh kw,
 * GPTQ_TRI(kh kw) doubles each, channel after channel) += the sum over
 * the output pixels of p p^T, p the channel's kh x kw input patch (row
 * major, as the weights; zeros where it lies in the padding) under g's
 * strides, dilations and pads. in: in_dims (HWC); out: out_h x out_w. */
size_t gptq_gram_dw_scratch_bytes(int kh, int kw, int in_w, int n_workers);
void gptq_gram_dw(double *h, const float *in, ops_hwc in_dims, const ops_conv_geom *g, int out_h, int out_w,
                  effad_threads *threads, void *scratch);

/* For the files above: scratch areas start on 64-byte lines, and work
 * goes to the pool when there is one. */
#define GPTQ_ALIGN 64
static inline size_t gptq_round_up(size_t n) { return (n + GPTQ_ALIGN - 1) & ~(size_t)(GPTQ_ALIGN - 1); }
static inline void gptq_parallel(effad_threads *t, effad_range_fn fn, void *ctx, int n)
{
    if (t && t->n_threads > 1) t->parallel_for(t, fn, ctx, n);
    else fn(ctx, 0, 0, n);
}

#endif
