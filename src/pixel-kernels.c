/* pixel-kernels.c -- the tables of pixel-kernels.h and the choice among
 * them, made once from what the CPU runs. */
#include <stdatomic.h>
#include <stddef.h>
#include "pixel-kernels.h"

static const pixel_kernels scalar = { "scalar", jpeg_idct_islow_scalar, jpeg_ycc_rgb_scalar, jpeg_fancy_h2_scalar,
                                      png_paeth_scalar, NULL, NULL, pil_h_rgb8_scalar, pil_v_rgb8_scalar };
#if PIXEL_KERNELS_HAVE_AVX2
static const pixel_kernels avx2 = { "avx2", jpeg_idct_islow_avx2, jpeg_ycc_rgb_avx2, jpeg_fancy_h2_avx2, png_paeth_avx2,
                                    pil_h_pack_bytes_avx2, pil_h_pack_avx2, pil_h_rgb8_avx2, pil_v_rgb8_avx2 };
#endif
#if PIXEL_KERNELS_HAVE_NEON
static const pixel_kernels neon = { "neon", jpeg_idct_islow_neon, jpeg_ycc_rgb_neon, jpeg_fancy_h2_neon, png_paeth_neon,
                                    NULL, NULL, pil_h_rgb8_neon, pil_v_rgb8_neon };
#endif

static pixel_kernels tables[3];
static int ntables;
static atomic_int state;   /* 0 unset, 1 being set, 2 set */

const pixel_kernels *pixel_kernels_all(int *n)
{
    if (atomic_load_explicit(&state, memory_order_acquire) != 2) {
        int idle = 0;
        if (atomic_compare_exchange_strong(&state, &idle, 1)) {
            int k = 0;
            tables[k++] = scalar;
#if PIXEL_KERNELS_HAVE_AVX2
            if (__builtin_cpu_supports("avx2")) tables[k++] = avx2;
#endif
#if PIXEL_KERNELS_HAVE_NEON
            tables[k++] = neon;   /* every aarch64 CPU has it */
#endif
            ntables = k;
            atomic_store_explicit(&state, 2, memory_order_release);
        }
        while (atomic_load_explicit(&state, memory_order_acquire) != 2) { }
    }
    *n = ntables;
    return tables;
}

const pixel_kernels *pixel_kernels_best(void)
{
    int n;
    const pixel_kernels *t = pixel_kernels_all(&n);
    return &t[n - 1];
}
