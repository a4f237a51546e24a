/*
 * fuzz.h -- what every harness in tests/fuzz/ shares: the rules a parser of
 * untrusted bytes must keep beyond "does not crash", checked with abort()
 * so that libFuzzer (and the replay main, tests/fuzz/replay.c) report a
 * broken rule like any other crash.
 *
 * Static (inline) helpers only: each harness stays one translation unit that
 * defines LLVMFuzzerTestOneInput and nothing else with external linkage.
 */
#ifndef EFFAD_FUZZ_H
#define EFFAD_FUZZ_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "effad.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A broken rule: say which, then die like a sanitizer would. */
static inline void fuzz_fail(const char *rule, const char *detail)
{
    fprintf(stderr, "fuzz: rule broken: %s%s%s\n", rule, detail ? ": " : "", detail ? detail : "");
    abort();
}

/* A refusal is a status and a message that says what was wrong. */
static inline void fuzz_refusal(effad_status s, const effad_error *e)
{
    if (s == EFFAD_OK) return;
    if (e->status != s) fuzz_fail("the error records the status returned", e->msg);
    if (!e->msg[0]) fuzz_fail("a refusal carries a message", effad_status_name(s));
    if (!memchr(e->msg, '\0', sizeof e->msg)) fuzz_fail("the message is NUL-terminated", 0);
}

/* The engine wants its model bytes 16-byte aligned (an mmap gives a page);
 * the fuzzer's buffer is not, so harnesses load a 64-byte aligned copy. */
static inline uint8_t *fuzz_aligned_copy(const uint8_t *data, size_t size)
{
    void *p = 0;
    if (posix_memalign(&p, 64, size ? size : 1)) return 0;
    if (size) memcpy(p, data, size);
    return p;
}

#endif
