/*
 * test-threads.c -- the parallel-for contract and bit-identity across
 * thread counts.
 *
 * 1. The pool (engine/threads-pthread.c, when built with THREADS=1): every
 *    index of [0, n) is handed out exactly once, worker ids stay below
 *    n_threads, no worker runs two pieces at once, ranges are the same every
 *    time; many short regions in a row (the pattern of a forward pass) and
 *    create/destroy without work.
 * 2. Every committed tiny golden model (tests/golden/STAR/model.onnx,
 *    converted in memory) at its native size and at odd sizes, on every
 *    kernel path: the level vectors and full maps from 1, 2, 3 and 4
 *    threads, with the expand+depthwise fusion by the default rule and
 *    forced on every block, must equal the single-threaded unfused ones
 *    bit for bit (memcmp). The same again with the 1x1 weights packed once
 *    (engine/packed.c, as the pipeline runs): those runs must equal the
 *    packed single-threaded unfused one bit for bit, and be close to the
 *    unpacked one (a gated projection with fewer pixels than columns then
 *    scales A instead of B: other roundings, not other numbers). A serial
 *    stand-in pool that runs the workers' ranges in reverse order is always
 *    tested, so the engine's side of the contract is checked even in a
 *    THREADS=0 build, and so is one that cuts each worker's range into
 *    pieces as a work-stealing pool would (halving, the back of each share
 *    run first by another worker): the contract allows it, and it restarts
 *    the fused expand's ring wherever a piece begins.
 */
#include <dirent.h>
#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "test-files.h"
#include "effad.h"
#include "convert.h"
#include "dispatch.h"
#include "plan.h"
#include "run.h"

/* ------------------------------------------------ a serial stand-in pool */

/* A serial stand-in for the pool: its parallel_for hook alone. */
typedef struct stand_in_pool { effad_threads pub; } stand_in_pool;

/* Runs the same contiguous ranges a real pool would, last worker first:
 * the engine must not care about order or about which worker runs what. */
static void reverse_parallel_for(effad_threads *t, effad_range_fn fn, void *ctx, int n)
{
    int threads = n < t->n_threads ? n : t->n_threads;
    for (int w = threads - 1; w >= 0; w--) {
        int b = (int)((long long)n * w / threads), e = (int)((long long)n * (w + 1) / threads);
        if (b < e) fn(ctx, w, b, e);
    }
}

/* Cuts [0, n) as a work-stealing pool would: the back third of each
 * worker's share is run first by the next worker (a theft), then every
 * worker takes the front half of what is left of its own, round after
 * round. (engine/threads-pthread.c keeps static ranges: a stealing pool
 * measured no faster on this 2-vCPU machine.) */
static void pieces_parallel_for(effad_threads *t, effad_range_fn fn, void *ctx, int n)
{
    int threads = n < t->n_threads ? n : t->n_threads, next[EFFAD_MAX_THREADS], end[EFFAD_MAX_THREADS];
    for (int w = 0; w < threads; w++) {
        next[w] = (int)((long long)n * w / threads);
        end[w] = (int)((long long)n * (w + 1) / threads);
    }
    for (int w = 0; w < threads; w++)
        if (end[w] - next[w] >= 3) {
            const int cut = end[w] - (end[w] - next[w]) / 3;
            fn(ctx, (w + 1) % threads, cut, end[w]);
            end[w] = cut;
        }
    for (int left = 1; left;) {
        left = 0;
        for (int w = 0; w < threads; w++)
            if (next[w] < end[w]) {
                const int take = (end[w] - next[w] + 1) / 2;
                fn(ctx, w, next[w], next[w] + take);
                next[w] += take;
                left = 1;
            }
    }
}

/* ------------------------------------------------------- pool contract */

#ifdef EFFAD_HAVE_THREADS
typedef struct cover {
    int *hits, *owner, n_threads, bad_worker;
    atomic_int busy[EFFAD_MAX_THREADS];   /* pieces a worker is inside */
    int twice;                            /* a worker was inside two at once */
} cover;

static void cover_fn(void *ctx, int worker, int begin, int end)
{
    cover *c = ctx;
    if (worker < 0 || worker >= c->n_threads) { c->bad_worker = 1; return; }
    if (atomic_fetch_add(&c->busy[worker], 1)) c->twice = 1;
    for (int i = begin; i < end; i++) {
        c->hits[i]++;
        c->owner[i] = worker;
    }
    atomic_fetch_sub(&c->busy[worker], 1);
}

/* A range whose worker 0 (the caller) works ten times longer than the
 * others: the workers claim their own ranges and the caller, done last
 * but for theirs, often finds them still running and goes to sleep -- the
 * hand-off that hung under qemu-aarch64 (engine/threads-pthread.c). */
static atomic_int slow_sum;
static void slow_caller_fn(void *ctx, int worker, int begin, int end)
{
    (void)ctx;
    volatile int s = 0;
    for (int i = 0; i < (end - begin) * (worker ? 300 : 3000); i++) s += i;
    atomic_fetch_add(&slow_sum, end - begin);
}

/* The split of a 1x1 layer among the threads (engine/run.c): rows of
 * pixels wherever they divide evenly, so that a worker reads what it
 * wrote; columns where the rows are few or split unevenly. The shapes are
 * B4's and B0's late layers at two threads. */
static void test_gemm_split(void)
{
    static effad_runner r;
    effad_threads two = { 0, 2 }, one = { 0, 1 };
    r.gemm_cols = PLAN_GEMM_COLS;
    r.threads = &two;
    CHECK_EQ_INT(run_gemm_by_cols(&r, 1632, 144), 0);   /* B4 12x12 expand: 12 row chunks, 6 + 6 */
    CHECK_EQ_INT(run_gemm_by_cols(&r, 960, 576), 0);    /* B4 24x24 expand */
    CHECK_EQ_INT(run_gemm_by_cols(&r, 272, 144), 0);    /* B4 12x12 projection */
    CHECK_EQ_INT(run_gemm_by_cols(&r, 480, 196), 0);    /* B0 14x14: 17 chunks, 96 + 100 pixels */
    CHECK_EQ_INT(run_gemm_by_cols(&r, 1152, 49), 1);    /* B0 7x7: 5 chunks, 24 + 25 pixels, 2 per worker */
    CHECK_EQ_INT(run_gemm_by_cols(&r, 16, 49), 0);      /* one column chunk: rows, however few */
    CHECK_EQ_INT(run_gemm_by_cols(&r, 1152, 60), 1);    /* 5 chunks of 12: 24 + 36 pixels, columns even */
    r.k = ops_kernels_for(OPS_ISA_AVX512);               /* the AVX-512 tables keep the old rule */
    if (r.k) {
        CHECK_EQ_INT(run_gemm_by_cols(&r, 1632, 144), 1);
        CHECK_EQ_INT(run_gemm_by_cols(&r, 272, 144), 1);   /* 17 column chunks of 16 > 12 row chunks */
        CHECK_EQ_INT(run_gemm_by_cols(&r, 160, 576), 0);
    }
    r.k = 0;
    r.threads = &one;
    CHECK_EQ_INT(run_gemm_by_cols(&r, 1152, 49), 0);    /* one thread: one call either way */
    r.threads = 0;
    CHECK_EQ_INT(run_gemm_by_cols(&r, 1152, 49), 0);
}

static void test_pool(void)
{
    effad_error e = { 0 };
    CHECK(effad_threads_create(0, &e) == 0);
    CHECK_EQ_INT(e.status, EFFAD_ERR_ARG);
    CHECK(effad_threads_create(EFFAD_MAX_THREADS + 1, &e) == 0);
    effad_threads_destroy(0);

    for (int nt = 1; nt <= 5; nt++) {
        effad_threads *t = effad_threads_create(nt, &e);
        CHECK_MSG(t != 0, "create %d: %s", nt, e.msg);
        if (!t) continue;
        CHECK_EQ_INT(t->n_threads, nt);
        enum { MAXN = 1000 };
        static int hits[MAXN], owner[MAXN], first_owner[MAXN];
        static cover c;
        const int sizes[] = { 1, 2, 3, 4, 5, 7, 64, 999 };
        for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
            int n = sizes[si], ok = 1, same = 1;
            for (int rep = 0; rep < 50; rep++) {
                memset(&c, 0, sizeof c);
                c.hits = hits; c.owner = owner; c.n_threads = nt;
                memset(hits, 0, sizeof hits);
                t->parallel_for(t, cover_fn, &c, n);
                for (int i = 0; i < n; i++) if (hits[i] != 1) ok = 0;
                if (c.bad_worker || c.twice) ok = 0;
                if (rep == 0) memcpy(first_owner, owner, sizeof owner);
                else if (memcmp(first_owner, owner, sizeof(int) * (size_t)n)) same = 0;
            }
            CHECK_MSG(ok, "%d threads, n=%d: an index was not run exactly once by one worker at a time", nt, n);
            CHECK_MSG(same, "%d threads, n=%d: ranges differ between runs", nt, n);
        }
        /* a forward pass's rhythm: many short regions back to back */
        int ok = 1;
        for (int rep = 0; rep < 5000 && ok; rep++) {
            memset(&c, 0, sizeof c);
            c.hits = hits; c.owner = owner; c.n_threads = nt;
            int n = 1 + rep % 9;
            memset(hits, 0, sizeof(int) * (size_t)n);
            t->parallel_for(t, cover_fn, &c, n);
            for (int i = 0; i < n; i++) if (hits[i] != 1) ok = 0;
            if (c.twice) ok = 0;
        }
        CHECK_MSG(ok, "%d threads: short-region stress lost or repeated work", nt);
        /* the caller's sleep between regions: 20000 of them, every index once */
        atomic_store(&slow_sum, 0);
        long long want = 0;
        for (int rep = 0; rep < 20000; rep++) {
            t->parallel_for(t, slow_caller_fn, 0, 1 + rep % 5);
            want += 1 + rep % 5;
        }
        CHECK_MSG(atomic_load(&slow_sum) == want, "%d threads: the slow-caller stress ran %d of %lld indices", nt,
                  atomic_load(&slow_sum), want);
        t->parallel_for(t, cover_fn, 0, 0);   /* n = 0: fn must not be called */
        effad_threads_destroy(t);
    }
}
#endif

/* ------------------------------------------------ bit-identity per model */

typedef struct outputs { float *buf; size_t n; float *pooled[EFFAD_MAX_TAPS], *maps[EFFAD_MAX_TAPS]; } outputs;

/* The expand+depthwise fusion (engine/plan.h) never, by the default rule,
 * and for every block that has an expand. */
static const plan_fuse_rule fuse_never = { (size_t)-1, 0, 0, 0 };
static const plan_fuse_rule fuse_always = { 0, (size_t)-1, (size_t)-1, (size_t)-1 };
static int fused_blocks;   /* blocks run fused, over all passes */

/* One pass with pool t (NULL: no pool) and fusion rule (NULL: default).
 * Returns 0 on failure. */
static int run_once(const effad_model *m, const effad_kernel_set *k, int h, int w, effad_threads *t,
                    const plan_fuse_rule *rule, const effad_packed *packed, const float *input, outputs *o,
                    const char *what)
{
    effad_error e = { 0 };
    size_t bytes;
    effad_runner r;
    void *arena = 0;
    /* with packed weights, the arena planned for them as the pipeline plans
     * it: the pack buffer then holds only the gated projections' scaled A
     * or B (plan.c, gemm_needs), which every thread count and fusion rule
     * below exercises */
    const effad_plan_opts po = { .in_h = h, .in_w = w, .n_workers = t ? t->n_threads : 1,
                                 .map_taps = (uint32_t)((1ull << m->n_taps) - 1),
                                 .flags = packed ? EFFAD_PLAN_PREPACKED : 0 };
    effad_status s = plan_arena_bytes(m, k, &po, rule, &bytes, &e);
    if (!s && posix_memalign(&arena, 64, bytes)) s = EFFAD_ERR_NOMEM;
    if (!s) s = plan_runner_init(&r, m, k, &po, rule, arena, bytes, &e);
    if (!s) {
        for (int i = 0; i < m->n_blocks; i++) fused_blocks += effad_block_fused(&r, i);
        size_t total = 0, off[EFFAD_MAX_TAPS];
        for (int i = 0; i < m->n_taps; i++) {
            int c, th, tw;
            effad_tap_shape(&r, i, &c, &th, &tw);
            off[i] = total;
            total += (size_t)c + (size_t)c * th * tw;
        }
        o->n = total;
        o->buf = calloc(total, sizeof(float));
        for (int i = 0; i < m->n_taps; i++) {
            int c;
            effad_tap_shape(&r, i, &c, 0, 0);
            o->pooled[i] = o->buf + off[i];
            o->maps[i] = o->buf + off[i] + c;
        }
        r.threads = t;
        r.packed = packed;
        s = effad_run(&r, input, o->pooled, &e);
        for (int i = 0; !s && i < m->n_taps; i++) {   /* the maps the plan kept, HWC */
            int c, th, tw;
            effad_tap_shape(&r, i, &c, &th, &tw);
            const float *map = effad_tap_map(&r, i);
            CHECK_MSG(map != 0, "%s: tap %d has no map", what, i);
            if (map) memcpy(o->maps[i], map, sizeof(float) * (size_t)c * th * tw);
        }
    }
    CHECK_MSG(s == EFFAD_OK, "%s: %s", what, e.msg);
    free(arena);
    return s == EFFAD_OK;
}

static int compared, packed_compared;

static void check_sizes(const char *name, const effad_model *m, const effad_kernel_set *k, effad_threads **pools, int n_pools)
{
    /* the 1x1 weights packed once for k, when k packs */
    effad_packed pack_set, *wpack = 0;
    void *pack_buf = 0;
    const size_t pack_bytes = effad_packed_bytes(m, k);
    if (pack_bytes && !posix_memalign(&pack_buf, 64, pack_bytes)) {
        effad_error e = { 0 };
        CHECK_MSG(effad_pack(&pack_set, m, k, pack_buf, pack_bytes, 0, 0, &e) == EFFAD_OK, "%s: pack: %s", name, e.msg);
        wpack = &pack_set;
    }
    const int sizes[][2] = { { 0, 0 }, { 131, 97 }, { 45, 71 }, { 33, 34 } };
    for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
        int h = sizes[si][0] ? sizes[si][0] : m->in_h, w = sizes[si][1] ? sizes[si][1] : m->in_w;
        size_t n_in = (size_t)3 * h * w;
        float *input = malloc(n_in * sizeof(float));
        uint32_t seed = 12345u + (uint32_t)si;
        for (size_t i = 0; i < n_in; i++) {
            seed = seed * 1664525u + 1013904223u;
            input[i] = (float)((int)(seed >> 9) - (1 << 22)) / (float)(1 << 21);
        }
        char what[256];
        static const char *const rule_name[] = { "default rule", "all fused" };
        const plan_fuse_rule *rules[] = { 0, &fuse_always };
        outputs ref[2] = { { 0 }, { 0 } };   /* unpacked, packed */
        for (int pk = 0; pk < 2; pk++) {
            const effad_packed *packed = pk ? wpack : 0;
            if (pk && !packed) break;
            snprintf(what, sizeof what, "%s %dx%d %s%s 1 thread, unfused", name, h, w, effad_kernels_name(k),
                     pk ? " packed" : "");
            if (!run_once(m, k, h, w, 0, &fuse_never, packed, input, &ref[pk], what)) continue;
            for (int ri = 0; ri < 2; ri++)
                for (int p = -1; p < n_pools; p++) {
                    outputs got = { 0 };
                    snprintf(what, sizeof what, "%s %dx%d %s%s %s, pool %d (%d threads)", name, h, w,
                             effad_kernels_name(k), pk ? " packed" : "", rule_name[ri], p,
                             p < 0 ? 1 : pools[p]->n_threads);
                    if (!run_once(m, k, h, w, p < 0 ? 0 : pools[p], rules[ri], packed, input, &got, what)) continue;
                    compared++;
                    CHECK_MSG(got.n == ref[pk].n && !memcmp(got.buf, ref[pk].buf, sizeof(float) * ref[pk].n),
                              "%s: levels/maps differ from 1 thread unfused", what);
                    free(got.buf);
                }
        }
        if (ref[0].buf && ref[1].buf && ref[0].n == ref[1].n) {
            packed_compared++;
            double worst = 0, scale = 0;   /* largest difference, relative to the largest output */
            for (size_t i = 0; i < ref[0].n; i++) {
                const double d = fabs((double)ref[1].buf[i] - ref[0].buf[i]);
                if (d > worst) worst = d;
                if (fabs((double)ref[0].buf[i]) > scale) scale = fabs((double)ref[0].buf[i]);
            }
            CHECK_MSG(worst <= 1e-5 * scale, "%s %dx%d %s: packed weights move an output by %.3g of the largest %.3g",
                      name, h, w, effad_kernels_name(k), worst, scale);
        }
        free(ref[1].buf);
        free(ref[0].buf);
        free(input);
    }
    free(pack_buf);
}

int main(int argc, char **argv)
{
    const char *root = argc > 1 ? argv[1] : "tests/golden";
    effad_threads *pools[8];
    int n_pools = 0;
    static stand_in_pool rev3 = { { reverse_parallel_for, 3 } };
    static stand_in_pool rev2 = { { reverse_parallel_for, 2 } };
    static stand_in_pool pieces2 = { { pieces_parallel_for, 2 } };
    static stand_in_pool pieces3 = { { pieces_parallel_for, 3 } };
    pools[n_pools++] = &rev2.pub;
    pools[n_pools++] = &rev3.pub;
    pools[n_pools++] = &pieces2.pub;
    pools[n_pools++] = &pieces3.pub;
    test_gemm_split();
#ifdef EFFAD_HAVE_THREADS
    const int stand_ins = n_pools;
    test_pool();
    for (int nt = 2; nt <= 4; nt++) {
        effad_error e = { 0 };
        effad_threads *t = effad_threads_create(nt, &e);
        CHECK_MSG(t != 0, "%s", e.msg);
        if (t) pools[n_pools++] = t;
    }
#else
    printf("threads: built without THREADS=1; the stand-in pools only\n");
#endif

    DIR *d = opendir(root);
    CHECK_MSG(d != 0, "no golden directory %s", root);
    struct dirent *de;
    while (d && (de = readdir(d))) {
        if (de->d_name[0] == '.') continue;
        char path[600];
        size_t n_onnx, n_efm;
        snprintf(path, sizeof path, "%s/%s/model.onnx", root, de->d_name);
        uint8_t *onnx = slurp(path, &n_onnx), *efm = 0;
        if (!onnx) continue;
        effad_error e = { 0 };
        effad_status s = effad_convert_onnx(onnx, n_onnx, 0, &efm, &n_efm, 0, &e);
        free(onnx);
        CHECK_MSG(s == EFFAD_OK, "%s: convert: %s", path, e.msg);
        if (s) continue;
        void *aligned = 0;
        if (posix_memalign(&aligned, 64, n_efm)) { free(efm); continue; }
        memcpy(aligned, efm, n_efm);
        free(efm);
        static effad_model m;
        s = effad_model_load_writable(&m, aligned, n_efm, &e);
        CHECK_MSG(s == EFFAD_OK, "%s: load: %s", path, e.msg);
        for (int isa = 0; !s && isa < OPS_ISA_COUNT; isa++)
            if (ops_isa_available((ops_isa)isa))
                check_sizes(de->d_name, &m, ops_kernels_for((ops_isa)isa), pools, n_pools);

        /* a pool wider than the runner's scratch slices is refused, not overrun */
        if (!s) {
            size_t bytes;
            effad_runner r;
            void *arena = 0;
            float *in = calloc((size_t)3 * m.in_h * m.in_w, sizeof(float));
            const effad_plan_opts two = { .in_h = 0, .in_w = 0, .n_workers = 2, .map_taps = 0 };
            effad_arena_bytes(&m, 0, &two, &bytes, &e);
            if (!posix_memalign(&arena, 64, bytes) && !effad_runner_init(&r, &m, 0, &two, arena, bytes, &e)) {
                r.threads = &rev3.pub;
                CHECK_EQ_INT(effad_run(&r, in, 0, &e), EFFAD_ERR_ARG);
                CHECK_STR_CONTAINS(e.msg, "planned for 2 workers");
            }
            free(arena); free(in);
        }
        /* a runner planned for pre-packed weights is refused without them,
         * not run over a pack buffer too small for packing */
        const effad_kernel_set *kb = ops_kernels_for(ops_isa_best());
        if (!s && effad_packed_bytes(&m, kb)) {
            size_t bytes;
            effad_runner r;
            void *arena = 0;
            float *in = calloc((size_t)3 * m.in_h * m.in_w, sizeof(float));
            const effad_plan_opts pre = { .n_workers = 1, .flags = EFFAD_PLAN_PREPACKED };
            effad_arena_bytes(&m, kb, &pre, &bytes, &e);
            if (in && !posix_memalign(&arena, 64, bytes) && !effad_runner_init(&r, &m, kb, &pre, arena, bytes, &e)) {
                CHECK_EQ_INT(effad_run(&r, in, 0, &e), EFFAD_ERR_ARG);
                CHECK_STR_CONTAINS(e.msg, "pre-packed weights");
            }
            free(arena); free(in);
        }
        free(aligned);
    }
    if (d) closedir(d);
    CHECK_MSG(compared > 0, "no model compared under %s", root);
    CHECK_MSG(fused_blocks > 0, "no block ran expand+depthwise fused");
    /* every table but the scalar one packs */
    CHECK_MSG(packed_compared > 0 || !ops_kernels_for(ops_isa_best())->f32->gemm_pack,
              "no model ran with packed weights");
    printf("threads: %d passes (threads x fusion x packed) compared bitwise with 1 thread unfused; %d fused blocks; "
           "%d packed runs close to unpacked\n", compared, fused_blocks, packed_compared);
#ifdef EFFAD_HAVE_THREADS
    for (int p = stand_ins; p < n_pools; p++) effad_threads_destroy(pools[p]);
#endif
    return check_done("threads");
}
