/* jpeg-upsample.c -- pixel-kernels.h's reference fancy_h2: one output row
 * of libjpeg's triangular 2:1 upsamplers (jdsample.c, h2v1 and h2v2, the
 * vertical pass of h2v2 first), in two pieces the SIMD forms finish
 * with: the edge samples, which stand in for their missing neighbours, and
 * a span of the samples between, whose loop has no branch. */
#include "pixel-kernels.h"

#define S(i) (b ? a[i] * 3 + b[i] : a[i])
#define B0 (b ? 8 : 1)
#define B1 (b ? 7 : 2)
#define SH (b ? 4 : 2)

void jpeg_fancy_h2_edges(const uint8_t *a, const uint8_t *b, int n, uint8_t *out, int W)
{
    const int last = n - 1;
    out[0] = (uint8_t)((S(0) * 4 + B0) >> SH);
    out[1] = (uint8_t)((S(0) * 3 + S(1) + B1) >> SH);
    out[2 * last] = (uint8_t)((S(last) * 3 + S(last - 1) + B0) >> SH);
    if (2 * last + 1 < W) out[2 * last + 1] = (uint8_t)((S(last) * 4 + B1) >> SH);
}

void jpeg_fancy_h2_span(const uint8_t *a, const uint8_t *b, int i0, int i1, uint8_t *out)
{
    for (int i = i0; i < i1; i++) {
        out[2 * i] = (uint8_t)((S(i) * 3 + S(i - 1) + B0) >> SH);
        out[2 * i + 1] = (uint8_t)((S(i) * 3 + S(i + 1) + B1) >> SH);
    }
}

void jpeg_fancy_h2_scalar(const uint8_t *a, const uint8_t *b, int n, uint8_t *out, int W)
{
    jpeg_fancy_h2_edges(a, b, n, out, W);
    jpeg_fancy_h2_span(a, b, 1, n - 1, out);
}
