/* Gram matrices of a 1x1 layer's inputs for GPTQ (gptq.h). */
#include <string.h>
#include "gptq.h"

/* X^T X of a block of pixels is a GEMM whose A is X transposed; its rows
 * are taken GRAM_ROWS at a time, each only against the columns up to its
 * last (the lower triangle), so the work comes in blocks a worker can
 * take. A block of pixels is at most GRAM_CHUNK_FLOATS of X: the
 * transposed copy stays a few MB, and no float sum runs over more pixels
 * than one block before it goes into double. */
#define GRAM_ROWS 64
#define GRAM_CHUNK_FLOATS ((size_t)1 << 20)

static size_t chunk_pixels(int k, size_t n)
{
    size_t pc = GRAM_CHUNK_FLOATS / (size_t)k;
    if (pc < 1) pc = 1;
    return pc < n ? pc : n;
}

/* B (the chunk as it is) packed once for every block of rows, where the
 * table packs: each block repacking it took as long as its GEMM (B4's
 * projections: 144 pixels deep, up to 2688 wide). */
static size_t packed_bytes(int k, size_t pc, const ops_f32_kernels *f)
{
    return f->gemm_pack ? gptq_round_up(f->gemm_pack_buffer_size((size_t)k, pc)) : 0;
}

/* Per worker: one block of GEMM results, and the GEMM's own scratch. */
static size_t worker_bytes(int k, size_t pc, const ops_f32_kernels *f)
{
    return gptq_round_up(sizeof(float) * GRAM_ROWS * (size_t)k) +
           (f->gemm_pack ? 0 : gptq_round_up(f->gemm_buffer_size(GRAM_ROWS, (size_t)k, pc)));
}

size_t gptq_gram_1x1_scratch_bytes(int k, size_t n, int n_workers, const ops_f32_kernels *f)
{
    const size_t pc = chunk_pixels(k, n ? n : 1);
    return gptq_round_up(sizeof(float) * (size_t)k * pc) + packed_bytes(k, pc, f) + (size_t)n_workers * worker_bytes(k, pc, f) +
           GPTQ_ALIGN;
}

typedef struct gram_job {
    double *h;
    int k, n_blocks;
    const float *xt, *x;     /* the chunk transposed (k x np), and as it is (np x k, stride k) */
    const float *packed;     /* x packed by the table, or NULL */
    size_t np;
    const float *scale;
    const ops_f32_kernels *f;
    uint8_t *work;           /* per-worker areas */
    size_t work_bytes;
    ops_status status[EFFAD_MAX_THREADS];   /* each worker writes only its own */
} gram_job;

static void gram_blocks(void *ctx, int worker, int begin, int end)
{
    gram_job *j = ctx;
    float *c = (float *)(void *)(j->work + (size_t)worker * j->work_bytes);
    void *gemm_scratch = (uint8_t *)c + gptq_round_up(sizeof(float) * GRAM_ROWS * (size_t)j->k);
    for (int t = begin; t < end; t++) {
        /* block t in the order 0, last, 1, last - 1, ...: block b costs
         * about b + 1 units, so any contiguous range of t is a fair share */
        const int b = t % 2 ? j->n_blocks - 1 - t / 2 : t / 2;
        const int r0 = b * GRAM_ROWS, r1 = r0 + GRAM_ROWS < j->k ? r0 + GRAM_ROWS : j->k;
        ops_gemm_args a;
        memset(&a, 0, sizeof a);
        a.m = (size_t)(r1 - r0); a.n = (size_t)r1; a.k = j->np;
        a.a = j->xt + (size_t)r0 * j->np; a.a_stride = j->np;
        a.b = j->x; a.b_stride = (size_t)j->k;
        a.b_packed = j->packed;
        a.c = c; a.c_stride = (size_t)r1;
        const ops_status s = j->f->gemm(&a, gemm_scratch);
        if (s) { j->status[worker] = s; return; }
        for (int i = r0; i < r1; i++) {
            double *hi = j->h + GPTQ_AT(i, 0);
            const float *ci = c + (size_t)(i - r0) * r1;
            if (j->scale) {
                const double si = j->scale[i];
                for (int jj = 0; jj <= i; jj++) hi[jj] += si * j->scale[jj] * (double)ci[jj];
            } else {
                for (int jj = 0; jj <= i; jj++) hi[jj] += (double)ci[jj];
            }
        }
    }
}

/* dst (k x np) = src (np rows of stride k) transposed, in tiles that
 * keep both sides' lines in cache. */
static void transpose(float *dst, const float *src, int k, size_t np)
{
    enum { T = 16 };
    for (size_t p0 = 0; p0 < np; p0 += T)
        for (int i0 = 0; i0 < k; i0 += T) {
            const size_t p1 = p0 + T < np ? p0 + T : np;
            const int i1 = i0 + T < k ? i0 + T : k;
            for (size_t p = p0; p < p1; p++)
                for (int i = i0; i < i1; i++) dst[(size_t)i * np + p] = src[p * (size_t)k + i];
        }
}

ops_status gptq_gram_1x1(double *h, int k, const float *x, size_t n, const float *chan_scale,
                         const ops_f32_kernels *f, effad_threads *threads, void *scratch)
{
    if (!n || k < 1) return OPS_OK;
    const size_t pc = chunk_pixels(k, n);
    uint8_t *base = (uint8_t *)gptq_round_up((size_t)(uintptr_t)scratch);
    gram_job j;
    memset(&j, 0, sizeof j);
    j.h = h; j.k = k; j.scale = chan_scale; j.f = f;
    j.n_blocks = (k + GRAM_ROWS - 1) / GRAM_ROWS;
    float *xt = (float *)(void *)base;
    float *packed = (float *)(void *)(base + gptq_round_up(sizeof(float) * (size_t)k * pc));
    j.work = (uint8_t *)packed + packed_bytes(k, pc, f);
    j.work_bytes = worker_bytes(k, pc, f);
    j.xt = xt;
    for (size_t p0 = 0; p0 < n; p0 += pc) {
        j.np = n - p0 < pc ? n - p0 : pc;
        j.x = x + p0 * (size_t)k;
        transpose(xt, j.x, k, j.np);
        if (f->gemm_pack) {
            ops_gemm_args a;
            memset(&a, 0, sizeof a);
            a.n = (size_t)k; a.k = j.np;
            a.b = j.x; a.b_stride = (size_t)k;
            const ops_status st = f->gemm_pack(&a, packed);
            if (st) return st;
            j.packed = packed;
        }
        gptq_parallel(threads, gram_blocks, &j, j.n_blocks);
        for (int w = 0; w < EFFAD_MAX_THREADS; w++)
            if (j.status[w]) return j.status[w];
    }
    return OPS_OK;
}
