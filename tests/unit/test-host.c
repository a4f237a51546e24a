/*
 * test-host.c -- what machine the suite runs on, checked, not assumed.
 *
 * Under make cross-test the same suite runs on emulated aarch64 and on
 * big-endian s390x; this program prints which, and checks that the
 * compile-time byte order (what readers of little-endian files will test)
 * is the one the running machine has, and that dispatch hands out a
 * table for the best ISA it reports.
 */
#include <stdint.h>
#include "check.h"
#include "dispatch.h"

int main(void)
{
    const uint32_t word = 0x01020304u;
    unsigned char first;
    memcpy(&first, &word, 1);
    const int big = first == 0x01;
    printf("test-host: %s-endian, %d-bit pointers, best ISA %s\n",
           big ? "big" : "little", (int)(sizeof(void *) * 8), ops_isa_name(ops_isa_best()));
    CHECK(first == 0x01 || first == 0x04);
#if defined(__BYTE_ORDER__) && defined(__ORDER_BIG_ENDIAN__)
    CHECK_EQ_INT(big, __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__);
#endif
    CHECK(ops_isa_available(OPS_ISA_SCALAR));
    CHECK(ops_isa_available(ops_isa_best()));
    const ops_kernels *k = ops_kernels_for(ops_isa_best());
    CHECK(k != NULL && k->isa == ops_isa_best());
    CHECK(k && k->f32 && k->f32->conv && k->f32->dwconv && k->f32->gemm_buffer_size && k->f32->gemm && k->f32->se_gate && k->f32->mean_hw && k->f32->act);
    CHECK(ops_kernels_for(OPS_ISA_COUNT) == NULL);
    return check_done("test-host");
}
