/* The kernel table for embedders who only include effad.h. */
#include "effad.h"
#include "dispatch.h"

const struct ops_kernels *effad_kernels(const char *isa)
{
    if (!isa) return ops_kernels_for(ops_isa_best());
    int i = ops_isa_parse(isa);
    return i < 0 ? 0 : ops_kernels_for((ops_isa)i);
}

const char *effad_kernels_name(const struct ops_kernels *k)
{
    return k ? k->name : "none";
}
