/*
 * check.h -- the whole test framework: a few macros and a counter.
 *
 * Each tests/unit/test-*.c is its own program. CHECK* record a pass or a
 * failure (with file:line and the values) and carry on, so one run shows
 * every broken assertion. check_done() prints "N passed, N failed" for the
 * program and returns the exit status; tests/run-tests.sh adds them up.
 */
#ifndef EFFAD_CHECK_H
#define EFFAD_CHECK_H

#include <math.h>
#include <stdio.h>
#include <string.h>

static int check_pass_count, check_fail_count;

#define CHECK(cond) check_report(!!(cond), __FILE__, __LINE__, #cond, "")
#define CHECK_MSG(cond, ...) do { char m_[512]; snprintf(m_, sizeof m_, __VA_ARGS__); \
        check_report(!!(cond), __FILE__, __LINE__, #cond, m_); } while (0)
#define CHECK_EQ_INT(a, b) do { long long a_ = (long long)(a), b_ = (long long)(b); \
        CHECK_MSG(a_ == b_, "%lld != %lld", a_, b_); } while (0)
#define CHECK_NEAR(a, b, tol) do { double a_ = (a), b_ = (b); \
        CHECK_MSG(fabs(a_ - b_) <= (tol), "%.9g vs %.9g (tol %g)", a_, b_, (double)(tol)); } while (0)
#define CHECK_STR_CONTAINS(hay, needle) do { const char *h_ = (hay); \
        CHECK_MSG(h_ && strstr(h_, (needle)), "\"%s\" lacks \"%s\"", h_ ? h_ : "(null)", (needle)); } while (0)

static void check_report(int ok, const char *file, int line, const char *expr, const char *msg)
{
    if (ok) { check_pass_count++; return; }
    check_fail_count++;
    fprintf(stderr, "FAIL %s:%d: %s %s\n", file, line, expr, msg);
}

static int check_done(const char *name)
{
    printf("%s: %d passed, %d failed\n", name, check_pass_count, check_fail_count);
    return check_fail_count ? 1 : 0;
}

/* "<name>: SKIP <reason>": nothing could be tested here, and why. */
static inline int check_skip(const char *name, const char *reason)
{
    printf("%s: SKIP %s\n", name, reason);
    return 0;
}

#endif
