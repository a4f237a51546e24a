/*
 * test-ops-binary-pad.c -- the broadcasting binary kernel and constant Pad
 * against index-by-index reference loops written out in the test.
 */
#include "check.h"
#include "ops.h"

static void test_binary_broadcast(void)
{
    /* a: 2 x 3 x 4, b: 3 x 1 (broadcast over the first and last axes) */
    float a[24], b[3], out[24];
    for (int i = 0; i < 24; i++) a[i] = (float)i * 0.5f - 3.0f;
    for (int i = 0; i < 3; i++) b[i] = (float)i + 1.0f;
    ops_binary_args g = { OPS_BIN_SUB, 3, { 2, 3, 4 }, a, { 12, 4, 1 }, b, { 0, 1, 0 }, out };
    CHECK_EQ_INT(f32_binary_scalar(&g), OPS_OK);
    int bad = 0;
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 3; j++)
            for (int k = 0; k < 4; k++)
                bad += out[i * 12 + j * 4 + k] != a[i * 12 + j * 4 + k] - b[j];
    CHECK_EQ_INT(bad, 0);
    static const ops_binary_op ops[4] = { OPS_BIN_ADD, OPS_BIN_SUB, OPS_BIN_MUL, OPS_BIN_DIV };
    for (int o = 0; o < 4; o++) {   /* scalar b (rank 0 operand: all strides 0) */
        float s = 2.0f, y[24];
        ops_binary_args h = { ops[o], 2, { 6, 4 }, a, { 4, 1 }, &s, { 0, 0 }, y };
        CHECK_EQ_INT(f32_binary_scalar(&h), OPS_OK);
        float want = o == 0 ? a[23] + 2 : o == 1 ? a[23] - 2 : o == 2 ? a[23] * 2 : a[23] / 2;
        CHECK_NEAR(y[23], want, 0);
    }
    float one = 3.0f, two = 4.0f, r = 0;   /* rank 0 output */
    ops_binary_args z = { OPS_BIN_MUL, 0, { 0 }, &one, { 0 }, &two, { 0 }, &r };
    CHECK_EQ_INT(f32_binary_scalar(&z), OPS_OK);
    CHECK_NEAR(r, 12.0, 0);
    ops_binary_args badrank = z;
    badrank.rank = OPS_MAX_RANK + 1;
    CHECK_EQ_INT(f32_binary_scalar(&badrank), OPS_ERR_ARG);
}

static void test_pad(void)
{
    float in[6] = { 1, 2, 3, 4, 5, 6 }, out[32];   /* 2 x 3 */
    ops_pad_args p = { 2, in, { 2, 3 }, { 1, 0 }, { 0, 2 }, -1.0f, out };   /* -> 3 x 5 */
    CHECK_EQ_INT(f32_pad_scalar(&p), OPS_OK);
    static const float want[15] = { -1, -1, -1, -1, -1, 1, 2, 3, -1, -1, 4, 5, 6, -1, -1 };
    int bad = 0;
    for (int i = 0; i < 15; i++) bad += out[i] != want[i];
    CHECK_EQ_INT(bad, 0);
    ops_pad_args crop = { 2, in, { 2, 3 }, { 0, -1 }, { -1, 0 }, 0.0f, out };   /* -> 1 x 2 */
    CHECK_EQ_INT(f32_pad_scalar(&crop), OPS_OK);
    CHECK(out[0] == 2 && out[1] == 3);
    ops_pad_args over = { 1, in, { 2 }, { -3 }, { 0 }, 0.0f, out };
    CHECK_EQ_INT(f32_pad_scalar(&over), OPS_ERR_ARG);
}

int main(void)
{
    test_binary_broadcast();
    test_pad();
    return check_done("test-ops-binary-pad");
}
