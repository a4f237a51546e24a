/* The kernel tables for embedders who only include effad.h. */
#include "effad.h"
#include "dispatch.h"

const struct ops_kernels *effad_kernels(const char *isa)
{
    const struct ops_kernels *k = 0;
    return effad_kernels_select(isa, &k, 0) ? 0 : k;
}

/* s appended to buf[n..], up to cap - 1 bytes in all; the new length.
 * (No snprintf: engine/ stays freestanding.) */
static size_t append(char *buf, size_t n, size_t cap, const char *s)
{
    while (*s && n + 1 < cap) buf[n++] = *s++;
    return n;
}

/* A table's name (as --version prints it) picks that table exactly; an
 * ISA's name that is no table's (scalar on an Arm DSP build, whose table
 * is scalar-dsp) picks the ISA's best table. */
effad_status effad_kernels_select(const char *isa, const effad_kernel_set **k, effad_error *e)
{
    *k = 0;
    if (!isa || !*isa) {
        *k = ops_kernels_for(ops_isa_best());
        return EFFAD_OK;
    }
    const ops_kernels *t = ops_kernels_named(isa);
    if (t) {
        if (!ops_kernels_run(t))
            return effad_fail(e, EFFAD_ERR_UNSUPPORTED, "kernel path '%s' is not available on this CPU", isa);
        *k = t;
        return EFFAD_OK;
    }
    int i = ops_isa_parse(isa);
    if (i < 0) {
        char known[160];
        size_t n = 0;
        for (size_t j = 0; ops_kernels_at(j); j++)
            n = append(known, append(known, n, sizeof known, j ? ", " : ""), sizeof known, ops_kernels_at(j)->name);
        known[n] = 0;
        return effad_fail(e, EFFAD_ERR_ARG, "unknown kernel path '%s' (this build has: %s)", isa, known);
    }
    if (!ops_isa_available((ops_isa)i))
        return effad_fail(e, EFFAD_ERR_UNSUPPORTED, "instruction set '%s' is not available on this CPU or build", isa);
    *k = ops_kernels_for((ops_isa)i);
    return EFFAD_OK;
}

const struct ops_kernels *effad_kernels_at(size_t i)
{
    return ops_kernels_at(i);
}

const char *effad_kernels_name(const struct ops_kernels *k)
{
    return k ? k->name : "none";
}
