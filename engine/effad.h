/*
 * effad.h -- the public C API of effad, the pure-C anomaly detector.
 *
 * Everything a program embedding effad needs is declared here; every other
 * header in the tree is internal. The engine never allocates, prints or
 * opens files: the caller hands in the model bytes and one arena, and gets
 * errors back as values (effad_status plus a message in an effad_error the
 * caller owns). That is what lets the same code run in a static Linux
 * binary and in bare-metal firmware.
 */
#ifndef EFFAD_H
#define EFFAD_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------- errors */

typedef enum effad_status {
    EFFAD_OK = 0,
    EFFAD_ERR_ARG,          /* the caller passed something invalid          */
    EFFAD_ERR_FORMAT,       /* a file is malformed, truncated or corrupt    */
    EFFAD_ERR_UNSUPPORTED,  /* well-formed, but not something effad handles */
    EFFAD_ERR_NOMEM,        /* an arena or allocation was too small         */
    EFFAD_ERR_IO,           /* reading or writing a file failed             */
    EFFAD_ERR_NUMERIC,      /* e.g. a covariance that is not positive definite */
    EFFAD_ERR_MISMATCH      /* two inputs that do not belong together       */
} effad_status;

typedef struct effad_error {
    effad_status status;
    char msg[512];
} effad_error;

/* Records status and a printf-style message (subset: %s %c %d %i %u %ld %lu
 * %lld %llu %zu %x %p %g, width/precision ignored except for %.Ng) in e and
 * returns status. e may be NULL. Freestanding: no stdio behind it. A %s
 * argument over 200 bytes (a long path) keeps its first 60 and last 137
 * around "...", so that the reason after it still fits in msg. */
effad_status effad_fail(effad_error *e, effad_status status, const char *fmt, ...);
/* Prefixes the message already in e with "prefix: " (e.g. a file name,
 * shortened as a %s argument is). */
void effad_error_prefix(effad_error *e, const char *prefix);
const char *effad_status_name(effad_status s);

/* ----------------------------------------------------------------- model */

#define EFFAD_MAX_BLOCKS 96
#define EFFAD_MAX_TAPS   32
#define EFFAD_MAX_THREADS 256
#define EFFAD_NAME_BYTES 72

/* Activation kinds; the values equal ops_act_kind (ops/ops.h). */
enum { EFFAD_ACT_NONE = 0, EFFAD_ACT_RELU, EFFAD_ACT_CLIP, EFFAD_ACT_SIGMOID,
       EFFAD_ACT_SWISH, EFFAD_ACT_HARDSIGMOID, EFFAD_ACT_HARDSWISH };

/* Padding modes of a convolution; the values equal efm_pad_mode. */
enum { EFFAD_PAD_EXPLICIT = 0, EFFAD_PAD_SYMMETRIC = 1, EFFAD_PAD_TF_SAME = 2 };

/* Element types; the values equal efm_dtype (engine/efm-format.h). */
typedef enum effad_dtype { EFFAD_F32 = 1, EFFAD_S8 = 2, EFFAD_S32 = 3, EFFAD_U8 = 4, EFFAD_S16 = 5 } effad_dtype;
/* "float32", "int8", "int32", "uint8", "int16" or "unknown". */
const char *effad_dtype_name(effad_dtype t);

/* A weight or bias tensor: a typed view into the model bytes, never a
 * copy. data == NULL: absent. int8 weights are symmetric with one scale
 * per output channel (real = scale[c] * q); float32 ones have scale NULL. */
typedef struct effad_tensor {
    effad_dtype dtype;
    const void *data;
    const float *scale;
    int32_t zero_point;
} effad_tensor;

/* The type of an activation (a layer's input or output): float32, uint8
 * with real = scale * (q - zero_point), or int16 with real = scale * q
 * (zero_point 0: the 16x8 layers, ops/q16.h). */
typedef struct effad_qtype {
    effad_dtype dtype;
    float scale;
    int32_t zero_point;
} effad_qtype;

/* One convolution, decoded from the file. */
typedef struct effad_conv {
    int kh, kw, stride_h, stride_w, dil_h, dil_w;
    int pad_top, pad_left, pad_bottom, pad_right;
    int pad_mode;                 /* EFFAD_PAD_*                        */
    int groups, cin, cout;
    int act; float act_a, act_b;  /* EFFAD_ACT_* and its parameters   */
    effad_tensor w, b;
    effad_qtype in_q, out_q;      /* activation types around the layer */
    int q_bounded;                /* derived at load: ops_q8_out.bounded */
} effad_conv;

/* expand 1x1 -> depthwise kxk -> squeeze-excite -> project 1x1 -> skip */
typedef struct effad_block {
    int stage, skip, in_c, mid_c, out_c, se_c;
    effad_conv expand, dw, se_reduce, se_expand, project;
} effad_block;

/* The type a block reads its input as: its expand's input, or its
 * depthwise's (the engine converts the previous block's output to it). */
static inline const effad_qtype *effad_block_in_q(const effad_block *b)
{
    return b->expand.w.data ? &b->expand.in_q : &b->dw.in_q;
}

typedef struct effad_tap {
    int at;                       /* 0 stem, 1+i block i, 1+n_blocks head */
    int pooled_in_graph;          /* the ONNX output was GlobalAveragePooled */
    int channels;
    char name[EFFAD_NAME_BYTES];  /* ONNX value it reproduces            */
    char node[EFFAD_NAME_BYTES];  /* ONNX node that produced it          */
} effad_tap;

/* A loaded model: configuration decoded from the header, weights as views
 * into the caller's bytes. Read-only after effad_model_load(). */
typedef struct effad_model {
    const uint8_t *bytes; size_t n_bytes;
    uint64_t hash;                /* payload hash: the model's identity  */
    char variant[16];
    char source[EFFAD_NAME_BYTES];
    char tap_rule[16];
    int in_c, in_h, in_w;         /* native input size                   */
    int resize_policy;
    float mean[3], std[3];
    effad_conv stem;
    int has_head;
    effad_conv head;
    int n_blocks, n_stages;
    effad_block blocks[EFFAD_MAX_BLOCKS];
    int n_taps;
    effad_tap taps[EFFAD_MAX_TAPS];
    long long n_params;           /* weights and biases                  */
    int version;                  /* .efm format version of the file     */
    int quantised;                /* some layer runs in int8             */
    int act16;                    /* ... of them with int16 activations (16x8) */
} effad_model;

/* Validates and decodes an .efm image. bytes must stay alive and unchanged
 * while m is used, and be 16-byte aligned (mmap gives a page). Every offset,
 * size, shape and both hashes are checked; nothing in the file is trusted. */
effad_status effad_model_load(effad_model *m, const void *bytes, size_t n_bytes, effad_error *e);
/* The same for bytes the engine may write to: on a big-endian host the
 * little-endian weights are byte-swapped in place once validated (so load a
 * buffer only once there). On a little-endian host nothing is written. */
effad_status effad_model_load_writable(effad_model *m, void *bytes, size_t n_bytes, effad_error *e);

/* Multiply-accumulates of one forward pass at in_h x in_w (0 = native). */
long long effad_model_macs(const effad_model *m, int in_h, int in_w);

/* 64-bit hash used by .efm (and by .gauss to name the model). */
uint64_t effad_hash64(const void *data, size_t n, uint64_t seed);

/* ---------------------------------------------------------------- runner */

/* Parallel-for hook: a thread pool (engine/threads-pthread.c) or NULL for
 * the caller's thread. fn is called on disjoint [begin, end) ranges that
 * cover [0, n), by worker 0 .. n_threads-1 (each worker owns a slice of
 * kernel scratch), a worker possibly several times in one region but never
 * twice at once; results never depend on how the ranges are cut. */
typedef void (*effad_range_fn)(void *ctx, int worker, int begin, int end);
typedef struct effad_threads {
    void (*parallel_for)(struct effad_threads *t, effad_range_fn fn, void *ctx, int n);
    int n_threads;
} effad_threads;

/* Profiling hook: when set, effad_run calls it as each part of the pass
 * finishes (on the calling thread, between parallel regions), so the caller
 * can time the stretch since the previous call -- the engine itself has no
 * clock. block is the MBConv block index, or 0. NULL (the default) costs one
 * test per layer. */
typedef enum effad_layer {
    EFFAD_LAYER_INPUT = 0,        /* never reported since the stem reads the
                                     CHW input where it lies (kept: the
                                     values after it stay the same)     */
    EFFAD_LAYER_STEM,
    EFFAD_LAYER_EXPAND,           /* 1x1 conv (GEMM)                    */
    EFFAD_LAYER_DEPTHWISE,        /* kxk depthwise (+ SE pooling)       */
    EFFAD_LAYER_SE,               /* squeeze-excite gate                */
    EFFAD_LAYER_PROJECT,          /* 1x1 conv (GEMM), gate and skip folded */
    EFFAD_LAYER_HEAD,             /* 1x1 conv (GEMM)                    */
    EFFAD_LAYER_TAPS,             /* pooling / copying feature taps     */
    EFFAD_LAYER_EXPAND_DW,        /* expand fused with depthwise (+ SE pooling),
                                     instead of EXPAND and DEPTHWISE    */
    EFFAD_LAYER_COUNT
} effad_layer;
typedef void (*effad_layer_fn)(void *ctx, effad_layer layer, int block);

/* Kernels are chosen once and passed to the runner: the best this CPU
 * runs (isa == NULL), or a named path -- a table as --version names it
 * ("scalar", "avx2", "avx2-vnni", "avx512", "avx512-vnni", "neon",
 * "neon-dotprod"), exactly that table; an ISA name that is no table's, the
 * ISA's best -- NULL when that path is not in this build or not on this
 * CPU. */
struct ops_kernels;
typedef struct ops_kernels effad_kernel_set;
const effad_kernel_set *effad_kernels(const char *isa);
const char *effad_kernels_name(const effad_kernel_set *k);
/* Every table of this build, i = 0, 1, ... until NULL, whether or not
 * this CPU runs it (effad_kernels(its name) says whether it does). */
const effad_kernel_set *effad_kernels_at(size_t i);
/* effad_kernels with a reason: an unknown name (listing the known ones)
 * or an ISA this CPU or build does not run. NULL or "" picks the best. */
effad_status effad_kernels_select(const char *isa, const effad_kernel_set **k, effad_error *e);

/* Geometry of one layer at the planned input size (filled by the plan). */
typedef struct effad_geom {
    int in_h, in_w, out_h, out_w;
    int pad_top, pad_left, pad_bottom, pad_right;
} effad_geom;

/* What a memory plan is made for. Zero-initialise and set what you need. */
typedef struct effad_plan_opts {
    int in_h, in_w;               /* input size; 0 = the model's native size */
    int n_workers;                /* most threads that run it at once (>= 1) */
    uint32_t map_taps;            /* bit t: keep tap t's full map (effad_tap_map) */
    uint32_t flags;               /* EFFAD_PLAN_* */
} effad_plan_opts;
/* Every expand 1x1 runs on its whole map (never fused with the depthwise
 * conv), so an observer sees every layer's output: calibration. */
#define EFFAD_PLAN_UNFUSED 1u
/* Every run has runner.packed set to this model's weights packed for the
 * runner's table (effad_pack), so the arena's pack buffer holds only what
 * a squeeze-excite-gated float projection needs on top of them (its A or
 * B scaled by the gate), not the widest layer's packed weights (B4:
 * 1.5 MB for block 31's gated projection instead of 4.8 MB for its
 * expand). effad_run refuses a runner planned so without them. */
#define EFFAD_PLAN_PREPACKED 2u

/* Observer hook: when set, effad_run calls it with the float output of
 * every float32 layer as it is produced (on the calling thread, between
 * parallel regions): the int8 converter calibrates activation ranges with
 * it. map is h x w x c (HWC). At EFFAD_AT_GATED, map is the depthwise
 * output and chan_scale the squeeze-excite gate that scales it on the way
 * into the projection. Needs a plan made with EFFAD_PLAN_UNFUSED. */
typedef enum effad_point {
    EFFAD_AT_STEM, EFFAD_AT_EXPAND, EFFAD_AT_DEPTHWISE, EFFAD_AT_GATED, EFFAD_AT_BLOCK_OUT, EFFAD_AT_HEAD
} effad_point;
typedef void (*effad_observe_fn)(void *ctx, effad_point at, int block, const float *map, int h, int w, int c,
                                 const float *chan_scale);

/* The 1x1 layers' weights packed once for one kernel table (engine/packed.c):
 * every runner of the same model and table may share it (runner.packed),
 * read-only. w[2i] is block i's expand, w[2i+1] its projection, w[2 n_blocks]
 * the head; NULL where the layer is absent or the table packs nothing. */
typedef struct effad_packed {
    const effad_model *m;
    const struct ops_kernels *k;
    const void *w[2 * EFFAD_MAX_BLOCKS + 1];
} effad_packed;

/* Told about each source weight tensor once its packed copy is made: the
 * caller may drop those bytes' pages (effad_file_release) -- they are read
 * again only if something else asks for them. */
typedef void (*effad_release_fn)(void *ctx, const void *data, size_t bytes);

/* Bytes effad_pack needs for m and kernels k (0: k packs nothing). */
size_t effad_packed_bytes(const effad_model *m, const struct ops_kernels *k);
/* Packs m's 1x1 weights for k into buf (64-byte aligned, at least
 * effad_packed_bytes). release may be NULL. */
effad_status effad_pack(effad_packed *p, const effad_model *m, const struct ops_kernels *k, void *buf, size_t bytes,
                        effad_release_fn release, void *release_ctx, effad_error *e);

/* Everything one forward pass needs: the model, the kernels chosen once,
 * the planned geometry and the caller's arena. No allocation inside.
 * The caller owns the struct (so firmware can place it statically) but
 * reads it only through the functions below; the fields are the plan's. */
typedef struct effad_runner {
    const effad_model *m;
    const struct ops_kernels *k;
    effad_threads *threads;       /* NULL: single-threaded; else at most
                                     n_workers threads (n_threads <= n_workers) */
    const effad_packed *packed;   /* NULL, or weights packed for this model
                                     and kernels (each pass then skips packing) */
    effad_layer_fn on_layer;      /* NULL, or the profiling hook above  */
    void *on_layer_ctx;
    effad_observe_fn observe;     /* NULL, or the observer hook above   */
    void *observe_ctx;
    /* ---- the plan (engine/plan.c); private ---- */
    int in_h, in_w, n_workers;
    uint32_t map_taps, flags;
    effad_geom stem_g, head_g;
    effad_qtype stem_to;          /* the type the stem writes: its own (float32),
                                     or block 0's when it quantises its output
                                     band by band (plan.c) */
    effad_geom dw_g[EFFAD_MAX_BLOCKS];
    int ring_rows[EFFAD_MAX_BLOCKS]; /* > 0: block's expand fused with its
                                         depthwise through a ring of this many rows */
    int tap_h[EFFAD_MAX_TAPS], tap_w[EFFAD_MAX_TAPS];
    size_t gemm_cols;             /* columns per worker chunk of a 1x1 layer */
    uint8_t *arena; size_t arena_bytes;
    /* arena layout, all in bytes; scratch and ring are per worker */
    size_t off_x0, off_x1, off_exp, off_dw, off_vec, off_pack, off_scratch, off_ring;
    size_t x0_bytes, x1_bytes, exp_bytes, dw_bytes, vec_bytes, pack_bytes, scratch_bytes, ring_bytes;
    size_t off_qmul, qmul_bytes;  /* int8 layers' per-column factors */
    size_t off_wq, wq_bytes;      /* weight-only layers' dequantised weights,
                                     written once by effad_runner_init */
    size_t wq_at[3 * EFFAD_MAX_BLOCKS + 2]; /* per conv slot (plan.h):
                                     offset of its copy in the arena, or 0 */
    uint8_t wq_refill[3 * EFFAD_MAX_BLOCKS + 2]; /* 1: its copy is the shared
                                     region, refilled before each use */
    size_t off_map[EFFAD_MAX_TAPS], total_bytes;
    int worker_status[EFFAD_MAX_THREADS]; /* each worker writes only its own */
} effad_runner;

/* Arena bytes to run m as o says (NULL: native size, one worker, no maps)
 * with kernels k (NULL: the scalar references). */
effad_status effad_arena_bytes(const effad_model *m, const struct ops_kernels *k, const effad_plan_opts *o,
                               size_t *bytes, effad_error *e);
/* Plans the pass; arena must hold effad_arena_bytes() and be 64-byte
 * aligned. arena == NULL plans the geometry only (effad_run refuses). */
effad_status effad_runner_init(effad_runner *r, const effad_model *m, const struct ops_kernels *k,
                               const effad_plan_opts *o, void *arena, size_t arena_bytes, effad_error *e);
/* One forward pass on a CHW float tensor (already normalised), read in
 * place by the stem (it must stay unchanged until effad_run returns).
 * pooled[t] (pooled may be NULL, entries may be NULL) receives tap t's
 * spatially averaged vector; the taps planned in map_taps keep their full
 * map in the arena until the next pass (effad_tap_map). */
effad_status effad_run(effad_runner *r, const float *input_chw, float *const *pooled, effad_error *e);
/* Shape of tap t's map at the planned size: a level is h x w x c, the
 * pooled vector its 1 x 1 case. */
void effad_tap_shape(const effad_runner *r, int t, int *c, int *h, int *w);
/* Tap t's full map from the last effad_run: h x w x c floats, channels
 * innermost (HWC, the layout per-location statistics read); NULL when t
 * was not in map_taps. Bit-identical for any thread count. */
const float *effad_tap_map(const effad_runner *r, int t);
/* Depthwise geometry of block i at the planned size, and whether its
 * expand runs fused with it (engine/plan.h); for profiles and `info`. */
effad_geom effad_block_geom(const effad_runner *r, int i);
effad_geom effad_stem_geom(const effad_runner *r);
int effad_block_fused(const effad_runner *r, int i);
/* Multiply-accumulates of the stem, of block i and of the head (0 without
 * one) at the size r was planned for; effad_model_macs is their sum. */
long long effad_stem_macs(const effad_runner *r);
long long effad_block_macs(const effad_runner *r, int i);
long long effad_head_macs(const effad_runner *r);

/* ---------------------------------------- thread pool (pthreads, optional) */

/* engine/threads-pthread.c, compiled into the library when the build has
 * THREADS=1 (the default on Linux; the Makefile then defines
 * EFFAD_HAVE_THREADS). Persistent workers; the calling thread is worker 0.
 * Use: t = effad_threads_create(n); effad_runner_init(..., n_workers =
 * t->n_threads, ...); runner.threads = t. One pool serves one effad_run at a
 * time. Results are bit-identical for any thread count. */
effad_threads *effad_threads_create(int n_threads, effad_error *e);
void effad_threads_destroy(effad_threads *t);

/* ------------------------------------------------- files (POSIX, optional) */

/* engine/file-posix.c: a private mapping of a whole file; copy-on-write,
 * so effad_model_load_writable may swap weights without touching the file. */
typedef struct effad_mapped_file { const uint8_t *bytes; size_t n_bytes; } effad_mapped_file;
effad_status effad_file_map(const char *path, effad_mapped_file *f, effad_error *e);
void effad_file_unmap(effad_mapped_file *f);
/* An effad_release_fn for a mapping of f (ctx): drops the whole pages inside
 * [data, data + bytes) from memory; a later read maps them from the file
 * again. Nothing on a big-endian host, where the loader swapped the weights
 * in place (the dropped pages would come back unswapped). */
void effad_file_release(void *f, const void *data, size_t bytes);

#ifdef __cplusplus
}
#endif
#endif /* EFFAD_H */
