/*
 * test-pixel-kernels.c -- every table of src/pixel-kernels.h against the
 * scalar references, bit for bit.
 * idct: on blocks as encoders make them (few coefficients, within the
 * range 8-bit data give) and on hostile ones: dense blocks around the
 * 32-bit forms' safe bound on either pass, every sign pattern at it, the
 * int32 extremes (INT32_MIN, which no 32-bit abs holds), flat blocks of
 * every DC. Each form writes into a
 * larger buffer with a stride, and nothing outside its 8x8 may change.
 * ycc_rgb: every (Y, Cb, Cr) triple, in runs of every length up to 40
 * (the SIMD step and its tail) at every offset, nothing written past the
 * run.
 * fancy_h2: h2v1 and h2v2 rows of every width from 3 to 100 (the SIMD
 * step, its tail and the edges), both output widths, random samples and
 * the extremes, nothing written past the row.
 * png_paeth: rows of every pixel size from 1 to 8 bytes and up to 300
 * pixels, random bytes and the extremes (where the predictor's ties
 * decide), nothing written past the row.
 * pil_h, pil_v: random rows, tap counts and windows, taps across the
 * range Pillow's 22-bit ones take and beyond, sources that end exactly
 * where the last tap reads (an exact allocation, so the sanitizer build
 * sees an AVX2 load past it; GCC does not instrument NEON's structure
 * loads, so the NEON form's guard was proven, when written, with the
 * source right before an unmapped page). (The best table's resize
 * against Pillow itself: test-prep-resize.)
 * A table compiled for this architecture that the CPU cannot run is a
 * SKIP, as is a build with no SIMD form at all.
 */
#include <stdint.h>
#include <stdlib.h>
#include "check.h"
#include "pixel-kernels.h"

#define STRIDE 29
#define ROWS 11

static uint64_t rng = 0x9E3779B97F4A7C15u;
static uint32_t next32(void)
{
    rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17;
    return (uint32_t)(rng >> 16);
}
static int32_t uniform(int32_t lo, int32_t hi)   /* hi - lo < 2^32 - 1 */
{
    return (int32_t)(lo + (int64_t)(next32() % (uint32_t)((int64_t)hi - lo + 1)));
}

static int compare(const pixel_kernels *f, const int32_t coef[64], const char *kind, int trial)
{
    uint8_t want[STRIDE * ROWS], got[STRIDE * ROWS];
    memset(want, 0xA5, sizeof want);
    memset(got, 0xA5, sizeof got);
    jpeg_idct_islow_scalar(coef, want + 2 * STRIDE + 3, STRIDE);
    f->idct(coef, got + 2 * STRIDE + 3, STRIDE);
    if (!memcmp(want, got, sizeof want)) return 1;
    size_t i = 0;
    while (want[i] == got[i]) i++;
    CHECK_MSG(0, "%s %s block %d: byte (%zu,%zu) is %d, the reference %d", f->name, kind, trial,
              i % STRIDE, i / STRIDE, got[i], want[i]);
    return 0;
}

static void check_idct(const pixel_kernels *f)
{
    int32_t coef[64];
    int ok = 1;
    /* As an encoder leaves them: a few coefficients, most at low
     * frequencies, dequantised values within +-1200. */
    for (int t = 0; t < 20000 && ok; t++) {
        memset(coef, 0, sizeof coef);
        const int n = 1 + (int)(next32() % (t % 4 == 0 ? 64 : 10));
        for (int i = 0; i < n; i++) {
            const int r = (int)(next32() % 8) * (int)(next32() % 8) / 7, c = (int)(next32() % 8);
            coef[r * 8 + c] = uniform(-1200, 1200);
        }
        ok = compare(f, coef, "encoder-like", t);
    }
    /* Flat blocks: every DC an int16 coefficient times a 16-bit quantiser
     * can give, and beyond. */
    for (int t = 0; t < 4000 && ok; t++) {
        memset(coef, 0, sizeof coef);
        coef[0] = t < 2000 ? uniform(-1100, 1100) : (int32_t)next32();
        ok = compare(f, coef, "flat", t);
    }
    /* Dense blocks at magnitudes around the safe bound: the coefficients
     * just within it (the workspace then overflows the bound: the second
     * check's way out), just beyond it (the first check's), and blocks
     * scaled so the workspace sits right at it. */
    static const int32_t mags[] = { 100, 1500, 4000, 9000, JPEG_IDCT_I32_SAFE - 1, JPEG_IDCT_I32_SAFE,
                                    JPEG_IDCT_I32_SAFE + 1, 70000, 1 << 20, INT32_MAX };
    for (size_t m = 0; m < sizeof mags / sizeof *mags; m++)
        for (int t = 0; t < 2000 && ok; t++) {
            for (int i = 0; i < 64; i++) {
                const uint32_t pick = next32() % 4;
                coef[i] = pick == 0 ? mags[m] : pick == 1 ? -mags[m] : uniform(-mags[m], mags[m]);
            }
            if (mags[m] == INT32_MAX && t % 7 == 0) coef[next32() % 64] = INT32_MIN;
            ok = compare(f, coef, "dense", t);
        }
    /* Every sign pattern at the bound itself: a column of eight
     * coefficients of magnitude JPEG_IDCT_I32_SAFE in the pattern that
     * makes the column pass's largest intermediate (the bound is
     * the worst case's), and a first row of JPEG_IDCT_I32_SAFE / 4, which
     * the column pass turns into a workspace whose every row is that row
     * times 4 -- so the row pass meets the same worst case. */
    for (int sgn = 0; sgn < 256 && ok; sgn++) {
        for (int i = 0; i < 64; i++) coef[i] = (sgn >> (i / 8) & 1 ? -1 : 1) * JPEG_IDCT_I32_SAFE;
        ok = compare(f, coef, "column signs", sgn);
        memset(coef, 0, sizeof coef);
        for (int c = 0; c < 8; c++) coef[c] = (sgn >> c & 1 ? -1 : 1) * (JPEG_IDCT_I32_SAFE / 4);
        if (ok) ok = compare(f, coef, "row signs", sgn);
    }
    /* INT32_MIN, whose magnitude no 32-bit abs holds: a column with it in
     * some rows and -1 in the others wraps, in 32 bits, to a column pass
     * within the bound, so only the first check's treatment of it keeps
     * such blocks off the 32-bit way. */
    for (int rows = 1; rows < 256 && ok; rows++) {
        for (int i = 0; i < 64; i++) coef[i] = rows >> (i / 8) & 1 ? INT32_MIN : -1;
        ok = compare(f, coef, "INT32_MIN rows", rows);
        for (int i = 0; i < 64; i++) coef[i] = rows >> (i % 8) & 1 ? INT32_MIN : (int32_t)(i % 3) - 1;
        if (ok) ok = compare(f, coef, "INT32_MIN columns", rows);
    }
    /* One coefficient at a time, every position, the values that bound
     * each check. */
    static const int32_t one[] = { 1, -1, 1023, -1024, JPEG_IDCT_I32_SAFE, -JPEG_IDCT_I32_SAFE,
                                   JPEG_IDCT_I32_SAFE + 1, INT32_MAX, INT32_MIN };
    for (int pos = 0; pos < 64 && ok; pos++)
        for (size_t v = 0; v < sizeof one / sizeof *one && ok; v++) {
            memset(coef, 0, sizeof coef);
            coef[pos] = one[v];
            ok = compare(f, coef, "single", pos);
        }
    CHECK_MSG(ok, "%s idct differs from the reference", f->name);
}

static void check_ycc(const pixel_kernels *f)
{
    /* every triple once: Y, Cb, Cr over 256^3 in runs of 4096 */
    enum { RUN = 4096 };
    static uint8_t y[RUN], cb[RUN], cr[RUN], want[3 * RUN + 16], got[3 * RUN + 16];
    int ok = 1;
    for (uint32_t base = 0; base < (1u << 24) && ok; base += RUN) {
        for (uint32_t i = 0; i < RUN; i++) {
            y[i] = (uint8_t)((base + i) >> 16); cb[i] = (uint8_t)((base + i) >> 8); cr[i] = (uint8_t)(base + i);
        }
        jpeg_ycc_rgb_scalar(y, cb, cr, RUN, want);
        f->ycc_rgb(y, cb, cr, RUN, got);
        ok = !memcmp(want, got, 3 * RUN);
        CHECK_MSG(ok, "%s ycc_rgb: a pixel of Y %u.. differs", f->name, base >> 16);
    }
    for (size_t n = 0; n <= 40 && ok; n++)
        for (size_t off = 0; off < 8 && ok; off++) {
            for (size_t i = 0; i < n + off; i++) { y[i] = (uint8_t)next32(); cb[i] = (uint8_t)next32(); cr[i] = (uint8_t)next32(); }
            memset(want, 0xA5, 3 * n + 16);
            memset(got, 0xA5, 3 * n + 16);
            jpeg_ycc_rgb_scalar(y + off, cb + off, cr + off, n, want);
            f->ycc_rgb(y + off, cb + off, cr + off, n, got);
            ok = !memcmp(want, got, 3 * n + 16);
            CHECK_MSG(ok, "%s ycc_rgb: a run of %zu at offset %zu differs or writes past its end", f->name, n, off);
        }
}

static void check_fancy(const pixel_kernels *f)
{
    uint8_t a[100], b[100], want[200 + 16], got[200 + 16];
    int ok = 1;
    for (int n = 3; n <= 100 && ok; n++)
        for (int trial = 0; trial < 40 && ok; trial++) {
            const int W = 2 * n - (trial & 1);
            const uint8_t *far = trial & 2 ? b : NULL;
            for (int i = 0; i < n; i++) {
                a[i] = trial < 4 ? 255 : trial < 8 ? 0 : (uint8_t)next32();
                b[i] = trial < 8 ? (uint8_t)(255 * (trial < 4)) : (uint8_t)next32();
            }
            memset(want, 0xA5, sizeof want);
            memset(got, 0xA5, sizeof got);
            jpeg_fancy_h2_scalar(a, far, n, want, W);
            f->fancy_h2(a, far, n, got, W);
            ok = !memcmp(want, got, sizeof want);
            CHECK_MSG(ok, "%s fancy_h2 n %d W %d %s differs or writes past its row", f->name, n, W, far ? "h2v2" : "h2v1");
        }
}

static void check_paeth(const pixel_kernels *f)
{
    enum { MAX = 8 * 300 };
    static uint8_t prev[MAX], want[MAX + 16], got[MAX + 16];
    int ok = 1;
    for (int trial = 0; trial < 4000 && ok; trial++) {
        const size_t bpp = 1 + (size_t)trial % 8, n = bpp * (1 + next32() % 300);
        const int kind = trial / 8 % 4;   /* random, few levels (ties), all 0 / 255 */
        for (size_t i = 0; i < n; i++) {
            const uint32_t r = next32();
            prev[i] = kind == 0 ? (uint8_t)r : kind == 1 ? (uint8_t)(r % 3 * 127) : (uint8_t)(r & 1 ? 255 : 0);
            want[i] = kind == 0 ? (uint8_t)(r >> 8) : kind == 1 ? (uint8_t)(r >> 8 & 1 ? 128 : 0) : (uint8_t)(r >> 9 & 1 ? 255 : 0);
        }
        memset(want + n, 0xA5, 16);
        memcpy(got, want, n + 16);
        png_paeth_scalar(want, prev, n, bpp);
        f->png_paeth(got, prev, n, bpp);
        ok = !memcmp(want, got, n + 16);
        CHECK_MSG(ok, "%s png_paeth trial %d (%zu-byte pixels, %zu bytes) differs or writes past the row", f->name,
                  trial, bpp, n);
    }
}

static int32_t tap(int big) { return big ? uniform(-(1 << 23), 1 << 23) : uniform(-(1 << 19), 1 << 22); }

static void check_pil_h(const pixel_kernels *f)
{
    int ok = 1;
    for (int trial = 0; trial < 3000 && ok; trial++) {
        const int w = 1 + (int)(next32() % 200), ksize = 1 + (int)(next32() % 90), n = 1 + (int)(next32() % 40);
        const size_t bytes = (size_t)w * 3;
        uint8_t *src = malloc(bytes), want[3 * 40], got[3 * 40];
        int32_t *k = malloc((size_t)n * ksize * sizeof *k), bounds[80];
        const size_t pb = f->pil_h_pack_bytes ? f->pil_h_pack_bytes(ksize, n) : 0;
        void *packed = pb ? malloc(pb) : NULL;
        for (size_t i = 0; i < bytes; i++) src[i] = (uint8_t)next32();
        for (int i = 0; i < n; i++) {
            int taps = 1 + (int)(next32() % (unsigned)ksize);
            if (taps > w) taps = w;
            /* a third of them at the row's end, where a 16-byte load would overrun */
            bounds[2 * i] = next32() % 3 == 0 ? w - taps : (int)(next32() % (unsigned)(w - taps + 1));
            bounds[2 * i + 1] = taps;
            for (int t = 0; t < ksize; t++) k[(size_t)i * ksize + t] = t < taps ? tap(trial % 5 == 0) : 0;
        }
        if (pb) f->pil_h_pack(k, ksize, n, packed);
        pil_h_rgb8_scalar(src, bytes, bounds, k, ksize, NULL, n, want);
        f->pil_h(src, bytes, bounds, k, ksize, packed, n, got);
        ok = !memcmp(want, got, (size_t)n * 3);
        CHECK_MSG(ok, "%s pil_h trial %d (w %d, ksize %d, n %d) differs", f->name, trial, w, ksize, n);
        free(src); free(k); free(packed);
    }
}

static void check_pil_v(const pixel_kernels *f)
{
    int ok = 1;
    for (int trial = 0; trial < 3000 && ok; trial++) {
        const int taps = 1 + (int)(next32() % 90);
        const size_t n = 1 + next32() % 100, stride = n + next32() % 5;
        const size_t bytes = stride * (size_t)(taps - 1) + n;
        uint8_t *src = malloc(bytes), want[100], got[100];
        int32_t k[90];
        for (size_t i = 0; i < bytes; i++) src[i] = (uint8_t)next32();
        for (int t = 0; t < taps; t++) k[t] = tap(trial % 5 == 0);
        pil_v_rgb8_scalar(src, stride, k, taps, n, want);
        f->pil_v(src, stride, k, taps, n, got);
        ok = !memcmp(want, got, n);
        CHECK_MSG(ok, "%s pil_v trial %d (taps %d, n %zu) differs", f->name, trial, taps, n);
        free(src);
    }
}

int main(void)
{
    int n;
    const pixel_kernels *t = pixel_kernels_all(&n);
    CHECK(n >= 1 && t[0].idct == jpeg_idct_islow_scalar && t[0].ycc_rgb == jpeg_ycc_rgb_scalar &&
          t[0].fancy_h2 == jpeg_fancy_h2_scalar && t[0].png_paeth == png_paeth_scalar && t[0].pil_h == pil_h_rgb8_scalar && t[0].pil_v == pil_v_rgb8_scalar);
    CHECK(pixel_kernels_best() == &t[n - 1]);
    for (int i = 1; i < n; i++) {
        check_idct(&t[i]);
        check_ycc(&t[i]);
        check_fancy(&t[i]);
        check_paeth(&t[i]);
        check_pil_h(&t[i]);
        check_pil_v(&t[i]);
    }
#if PIXEL_KERNELS_HAVE_AVX2
    if (n == 1) return check_skip("test-pixel-kernels", "avx2 pixel kernels: this CPU lacks AVX2");
#elif !PIXEL_KERNELS_HAVE_NEON
    return check_skip("test-pixel-kernels", "no SIMD pixel kernels on this architecture");
#endif
    return check_done("test-pixel-kernels");
}
