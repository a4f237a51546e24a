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
 * returns status. e may be NULL. Freestanding: no stdio behind it. */
effad_status effad_fail(effad_error *e, effad_status status, const char *fmt, ...);
/* Prefixes the message already in e with "prefix: " (e.g. a file name). */
void effad_error_prefix(effad_error *e, const char *prefix);
const char *effad_status_name(effad_status s);

#ifdef __cplusplus
}
#endif
#endif /* EFFAD_H */
