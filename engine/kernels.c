/* The kernel tables for embedders who only include effad.h. */
#include "effad.h"
#include "dispatch.h"

const struct ops_kernels *effad_kernels(const char *isa)
{
    const struct ops_kernels *k = 0;
    return effad_kernels_select(isa, &k, 0) ? 0 : k;
}

effad_status effad_kernels_select(const char *isa, const effad_kernel_set **k, effad_error *e)
{
    *k = 0;
    if (!isa || !*isa) {
        *k = ops_kernels_for(ops_isa_best());
        return EFFAD_OK;
    }
    int i = ops_isa_parse(isa);
    if (i < 0) return effad_fail(e, EFFAD_ERR_ARG, "unknown instruction set '%s' (scalar, avx2, avx512, neon)", isa);
    if (!ops_isa_available((ops_isa)i))
        return effad_fail(e, EFFAD_ERR_UNSUPPORTED, "instruction set '%s' is not available on this CPU or build", isa);
    *k = ops_kernels_for((ops_isa)i);
    return EFFAD_OK;
}

const char *effad_kernels_name(const struct ops_kernels *k)
{
    return k ? k->name : "none";
}
