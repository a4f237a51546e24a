/*
 * fuzz-model.h -- a loaded model must plan and run: the harnesses that end
 * in a model (fuzz-efm.c, fuzz-onnx.c) run one forward pass at a small
 * input size, under the sanitizers, with every tap pooled and every tap's
 * full map kept (the spatial levels of the anomaly maps).
 */
#ifndef EFFAD_FUZZ_MODEL_H
#define EFFAD_FUZZ_MODEL_H

#include "fuzz.h"

/* The forward pass runs at most at this size and this cost: a model's own
 * size can be 8192 x 8192, which would time out, not find bugs. */
#define RUN_MAX_HW 40
#define RUN_MAX_MACS 50000000LL
#define RUN_MAX_ARENA_BYTES ((size_t)256 << 20)

static inline void fuzz_run_model(const effad_model *m)
{
    int h = m->in_h < RUN_MAX_HW ? m->in_h : RUN_MAX_HW, w = m->in_w < RUN_MAX_HW ? m->in_w : RUN_MAX_HW;
    long long macs = effad_model_macs(m, h, w);
    if (macs < 0 || macs > RUN_MAX_MACS) return;
    effad_error e = { 0 };
    size_t bytes = 0;
    const struct ops_kernels *k = effad_kernels(0);
    const effad_plan_opts o = { .in_h = h, .in_w = w, .n_workers = 1, .map_taps = m->n_taps >= 32 ? ~0u : (1u << m->n_taps) - 1 };
    effad_status s = effad_arena_bytes(m, k, &o, &bytes, &e);
    fuzz_refusal(s, &e);
    if (s || bytes > RUN_MAX_ARENA_BYTES) return;
    void *arena = 0;
    if (posix_memalign(&arena, 64, bytes ? bytes : 64)) return;
    effad_runner r;
    s = effad_runner_init(&r, m, k, &o, arena, bytes, &e);
    fuzz_refusal(s, &e);
    if (s) fuzz_fail("a model that plans gets its runner", e.msg);
    float *in = malloc(sizeof(float) * 3 * (size_t)h * (size_t)w);
    float *pooled_buf[EFFAD_MAX_TAPS] = { 0 };
    int ok = in != 0;
    for (int t = 0; t < m->n_taps && ok; t++) ok = (pooled_buf[t] = malloc(sizeof(float) * (size_t)m->taps[t].channels)) != 0;
    if (ok) {
        /* a ramp rather than zeros, so that activations are not all equal */
        for (size_t i = 0; i < (size_t)3 * h * w; i++) in[i] = (float)(i % 17) / 8.0f - 1.0f;
        s = effad_run(&r, in, pooled_buf, &e);
        fuzz_refusal(s, &e);
    }
    for (int t = 0; t < m->n_taps; t++) free(pooled_buf[t]);
    free(in);
    free(arena);
}

#endif
