/*
 * test-reject-rate.c -- thresholds for a false-reject rate
 * (src/reject-rate.h), against definitions written another way here:
 *   - how many images a rate allows: floor(n p / 100) in integers, for
 *     every percentage p given as the decimal fraction a user types
 *     (0.01 x 300 must allow 3, though binary holds 0.01 a hair off);
 *   - the (k+1)-th highest: the value v of the set with at most k values
 *     above it and at least k + 1 at or above it, by counting, over random
 *     sets with many ties;
 *   - the image threshold built from it (nextafter): rejects at most k
 *     (score >= t), and the next lower double rejects more.
 */
#include <math.h>
#include <stdlib.h>
#include "check.h"
#include "reject-rate.h"

static void check_allowed(void)
{
    static const size_t ns[] = { 1, 7, 20, 99, 100, 101, 300, 1000, 12345 };
    for (size_t a = 0; a < sizeof ns / sizeof *ns; a++)
        for (int p = 0; p < 100; p++) {
            char txt[16];
            snprintf(txt, sizeof txt, "0.%02d", p);   /* as typed: 0.01, 0.07, ... */
            const double f = strtod(txt, NULL);
            size_t want = ns[a] * (size_t)p / 100;
            if (want >= ns[a]) want = ns[a] - 1;
            CHECK_MSG(reject_allowed(ns[a], f) == want, "n %zu f %s: %zu, want %zu", ns[a], txt,
                      reject_allowed(ns[a], f), want);
        }
    CHECK(reject_allowed(10, 0.999) == 9);   /* never all of them */
}

static size_t count_above(const double *v, size_t n, double t, int or_equal)
{
    size_t c = 0;
    for (size_t i = 0; i < n; i++) c += or_equal ? v[i] >= t : v[i] > t;
    return c;
}

static void check_kth(void)
{
    srand(7);
    for (int trial = 0; trial < 300; trial++) {
        const size_t n = 1 + (size_t)(rand() % 60);
        double v[60], copy[60];
        for (size_t i = 0; i < n; i++) v[i] = copy[i] = (double)(rand() % 12) * 0.25 - 1;   /* many ties */
        const size_t k = (size_t)rand() % n;
        const double got = reject_kth_highest(copy, n, k);
        int found = 0;
        for (size_t i = 0; i < n; i++) found |= v[i] == got;
        CHECK_MSG(found && count_above(v, n, got, 0) <= k && count_above(v, n, got, 1) >= k + 1,
                  "n %zu k %zu: %g has %zu above, %zu at or above", n, k, got, count_above(v, n, got, 0),
                  count_above(v, n, got, 1));
        size_t rejected;
        const double t = reject_score_threshold(v, n, k, &rejected);
        CHECK(t > got && nextafter(got, INFINITY) == t);   /* the next double: the lowest that passes it */
        CHECK(rejected == count_above(v, n, got, 0) && rejected == reject_count_at_least(v, n, t));
        CHECK(rejected <= k && reject_count_at_least(v, n, got) > k);
    }
}

int main(void)
{
    check_allowed();
    check_kth();
    return check_done("test-reject-rate");
}
