#ifndef EFFAD_VARIANTS_H
#define EFFAD_VARIANTS_H
typedef struct effad_variant {
    const char *name;
    int n_blocks, stem_c, head_c, native_hw, has_se;
} effad_variant;
/* The variant with this shape, or NULL ("custom"). */
const effad_variant *variant_identify(int n_blocks, int stem_c, int head_c, int has_se);
#endif
