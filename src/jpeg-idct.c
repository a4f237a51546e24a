/* jpeg-idct.c -- pixel-kernels.h's reference IDCT, libjpeg's
 * jpeg_idct_islow: columns first into an int workspace,
 * then rows, in 64 bits as libjpeg's JLONG is on LP64, so hostile
 * coefficients cannot overflow. */
#include <string.h>
#include "pixel-kernels.h"

#define CB JPEG_IDCT_CONST_BITS
#define P1 JPEG_IDCT_PASS1_BITS
#define DESCALE(x, n) (((x) + ((int64_t)1 << ((n) - 1))) >> (n))

static void idct_1d(const int64_t in[8], int64_t t[8])
{
    int64_t z1, z2, z3, z4, z5, tmp0, tmp1, tmp2, tmp3, tmp10, tmp11, tmp12, tmp13;
    z2 = in[2]; z3 = in[6];
    z1 = (z2 + z3) * JPEG_IDCT_F0_541;
    tmp2 = z1 + z3 * -JPEG_IDCT_F1_847;
    tmp3 = z1 + z2 * JPEG_IDCT_F0_765;
    tmp0 = (in[0] + in[4]) * ((int64_t)1 << CB);
    tmp1 = (in[0] - in[4]) * ((int64_t)1 << CB);
    tmp10 = tmp0 + tmp3; tmp13 = tmp0 - tmp3; tmp11 = tmp1 + tmp2; tmp12 = tmp1 - tmp2;

    tmp0 = in[7]; tmp1 = in[5]; tmp2 = in[3]; tmp3 = in[1];
    z1 = tmp0 + tmp3; z2 = tmp1 + tmp2; z3 = tmp0 + tmp2; z4 = tmp1 + tmp3;
    z5 = (z3 + z4) * JPEG_IDCT_F1_175;
    tmp0 *= JPEG_IDCT_F0_298; tmp1 *= JPEG_IDCT_F2_053;
    tmp2 *= JPEG_IDCT_F3_072; tmp3 *= JPEG_IDCT_F1_501;
    z1 *= -JPEG_IDCT_F0_899; z2 *= -JPEG_IDCT_F2_562;
    z3 *= -JPEG_IDCT_F1_961; z4 *= -JPEG_IDCT_F0_390;
    z3 += z5; z4 += z5;
    tmp0 += z1 + z3; tmp1 += z2 + z4; tmp2 += z2 + z3; tmp3 += z1 + z4;

    t[0] = tmp10 + tmp3; t[7] = tmp10 - tmp3;
    t[1] = tmp11 + tmp2; t[6] = tmp11 - tmp2;
    t[2] = tmp12 + tmp1; t[5] = tmp12 - tmp1;
    t[3] = tmp13 + tmp0; t[4] = tmp13 - tmp0;
}

/* Most blocks hold few coefficients, so a column or row whose AC terms
 * are all zero is done the short way, as libjpeg does (jidctint.c): every
 * output of the 1-D transform is then the DC term scaled, and the full
 * arithmetic gives exactly that -- tmp10..13 = in[0] << CB, the odd part
 * 0, and DESCALE(in[0] << CB, CB - P1) = in[0] << P1 (the rounding term is
 * below 2^(CB - P1)); in the rows DESCALE(ws0 << CB, CB + P1 + 3) =
 * DESCALE(ws0, P1 + 3). So the bits are those of the long way. */
void jpeg_idct_islow_scalar(const int32_t coef[64], uint8_t *dst, size_t stride)
{
    int32_t ws[64];
    int64_t in[8], t[8];
    for (int c = 0; c < 8; c++) {
        if (!(coef[8 + c] | coef[16 + c] | coef[24 + c] | coef[32 + c] | coef[40 + c] | coef[48 + c] | coef[56 + c])) {
            const int32_t dc = (int32_t)((uint32_t)coef[c] << P1);   /* libjpeg's int workspace */
            for (int r = 0; r < 8; r++) ws[r * 8 + c] = dc;
            continue;
        }
        for (int r = 0; r < 8; r++) in[r] = coef[r * 8 + c];
        idct_1d(in, t);
        /* libjpeg keeps the workspace in int; the cast only matters for
         * coefficients no encoder of 8-bit data produces. */
        for (int r = 0; r < 8; r++) ws[r * 8 + c] = (int32_t)DESCALE(t[r], CB - P1);
    }
    for (int r = 0; r < 8; r++) {
        const int32_t *w = ws + r * 8;
        uint8_t *o = dst + r * stride;
        if (!(w[1] | w[2] | w[3] | w[4] | w[5] | w[6] | w[7])) {
            const int64_t v = DESCALE((int64_t)w[0], P1 + 3) + 128;
            memset(o, v < 0 ? 0 : v > 255 ? 255 : (int)v, 8);
            continue;
        }
        for (int c = 0; c < 8; c++) in[c] = w[c];
        idct_1d(in, t);
        for (int c = 0; c < 8; c++) {
            int64_t v = DESCALE(t[c], CB + P1 + 3) + 128;
            o[c] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
        }
    }
}
