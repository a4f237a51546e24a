/* Known EfficientNet variants, recognised by their shape (the converter
 * has no other way to know: ONNX files carry no architecture name).
 * The table mirrors models/README.md. */
#include <string.h>
#include "variants.h"

static const effad_variant table[] = {
    /* name   blocks stem head  native  squeeze-excite */
    { "b0",    16, 32, 1280, 224, 1 },
    { "b1",    23, 32, 1280, 240, 1 },
    { "b2",    23, 32, 1408, 260, 1 },
    { "b3",    26, 40, 1536, 300, 1 },
    { "b4",    32, 48, 1792, 380, 1 },
    { "b5",    39, 48, 2048, 456, 1 },
    { "b6",    45, 56, 2304, 528, 1 },
    { "b7",    55, 64, 2560, 600, 1 },
    { "lite0", 16, 32, 1280, 224, 0 },
};

const effad_variant *variant_identify(int n_blocks, int stem_c, int head_c, int has_se)
{
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
        const effad_variant *v = &table[i];
        if (v->n_blocks == n_blocks && v->stem_c == stem_c && v->head_c == head_c && v->has_se == has_se) return v;
    }
    return 0;
}
