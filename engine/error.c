/* Error values with a message, formatted without stdio so that the engine
 * stays freestanding (bare-metal builds have no snprintf to spare). */
#include <stdarg.h>
#include "effad.h"

typedef struct { char *p; size_t left; } sink;

static void put(sink *s, char c)
{
    if (s->left > 1) { *s->p++ = c; s->left--; }
}

static void put_str(sink *s, const char *str)
{
    if (!str) str = "(null)";
    while (*str) put(s, *str++);
}

/* A string argument is nearly always a path, and a path can be longer than
 * the whole message (PATH_MAX is 4096): written in full it would push the
 * reason after it out of e->msg, leaving a message that names the file but
 * not the problem. So an argument longer than ELIDE_OVER bytes keeps its
 * start and its end -- the file's name -- around "...", never cutting a
 * UTF-8 sequence; two such paths and the reason still fit in msg. */
enum { ELIDE_OVER = 200, ELIDE_HEAD = 60, ELIDE_TAIL = ELIDE_OVER - ELIDE_HEAD - 3 };

static int utf8_continuation(char c) { return ((unsigned char)c & 0xC0) == 0x80; }

static void put_arg(sink *s, const char *str)
{
    if (!str) str = "(null)";
    size_t n = 0;
    while (str[n]) n++;
    if (n <= ELIDE_OVER) { put_str(s, str); return; }
    size_t head = ELIDE_HEAD, tail = n - ELIDE_TAIL;
    while (head > 0 && utf8_continuation(str[head])) head--;
    while (tail < n && utf8_continuation(str[tail])) tail++;
    for (size_t i = 0; i < head; i++) put(s, str[i]);
    put_str(s, "...");
    put_str(s, str + tail);
}

static void put_u(sink *s, unsigned long long v, unsigned base)
{
    char buf[24]; int n = 0;
    do { buf[n++] = "0123456789abcdef"[v % base]; v /= base; } while (v);
    while (n) put(s, buf[--n]);
}

static void put_i(sink *s, long long v)
{
    if (v < 0) { put(s, '-'); put_u(s, 0ull - (unsigned long long)v, 10); }
    else put_u(s, (unsigned long long)v, 10);
}

/* %g with `prec` significant digits, enough for messages ("1.5e-06"). */
static void put_g(sink *s, double v, int prec)
{
    if (v != v) { put_str(s, "nan"); return; }
    if (v < 0) { put(s, '-'); v = -v; }
    if (v > 1.7e308) { put_str(s, "inf"); return; }
    if (v == 0) { put(s, '0'); return; }
    int e10 = 0;
    while (v >= 10.0) { v /= 10.0; e10++; }
    while (v < 1.0) { v *= 10.0; e10--; }
    double r = 0.5; for (int i = 1; i < prec; i++) r /= 10.0;
    v += r;
    if (v >= 10.0) { v /= 10.0; e10++; }
    char dig[20]; int nd = prec < 17 ? prec : 17;
    for (int i = 0; i < nd; i++) { int d = (int)v; dig[i] = (char)('0' + d); v = (v - d) * 10.0; }
    while (nd > 1 && dig[nd - 1] == '0') nd--;
    if (e10 >= -4 && e10 < prec) {
        if (e10 < 0) { put_str(s, "0."); for (int i = -1; i > e10; i--) put(s, '0'); for (int i = 0; i < nd; i++) put(s, dig[i]); }
        else { for (int i = 0; i <= e10; i++) put(s, i < nd ? dig[i] : '0');
               if (nd > e10 + 1) { put(s, '.'); for (int i = e10 + 1; i < nd; i++) put(s, dig[i]); } }
    } else {
        put(s, dig[0]);
        if (nd > 1) { put(s, '.'); for (int i = 1; i < nd; i++) put(s, dig[i]); }
        /* as printf: a sign and at least two digits */
        put(s, 'e'); put(s, e10 < 0 ? '-' : '+');
        if (e10 < 0) e10 = -e10;
        if (e10 < 10) put(s, '0');
        put_i(s, e10);
    }
}

static void format(sink *s, const char *fmt, va_list ap)
{
    for (; *fmt; fmt++) {
        if (*fmt != '%') { put(s, *fmt); continue; }
        fmt++;
        int prec = 6;
        if (*fmt == '.') { prec = 0; fmt++; while (*fmt >= '0' && *fmt <= '9') prec = prec * 10 + (*fmt++ - '0'); }
        while (*fmt >= '0' && *fmt <= '9') fmt++;
        int lng = 0, sz = 0;
        while (*fmt == 'l') { lng++; fmt++; }
        if (*fmt == 'z') { sz = 1; fmt++; }
        switch (*fmt) {
        case 's': put_arg(s, va_arg(ap, const char *)); break;
        case 'c': put(s, (char)va_arg(ap, int)); break;
        case 'd': case 'i':
            put_i(s, lng >= 2 ? va_arg(ap, long long) : lng ? va_arg(ap, long) : va_arg(ap, int)); break;
        case 'u': case 'x': {
            unsigned long long v = sz ? va_arg(ap, size_t) : lng >= 2 ? va_arg(ap, unsigned long long)
                                 : lng ? va_arg(ap, unsigned long) : va_arg(ap, unsigned);
            put_u(s, v, *fmt == 'x' ? 16 : 10); break;
        }
        case 'p': put_str(s, "0x"); put_u(s, (unsigned long long)(uintptr_t)va_arg(ap, void *), 16); break;
        case 'g': case 'f': put_g(s, va_arg(ap, double), prec ? prec : 1); break;
        case '%': put(s, '%'); break;
        case '\0': return;
        default: put(s, '%'); put(s, *fmt); break;
        }
    }
}

effad_status effad_fail(effad_error *e, effad_status status, const char *fmt, ...)
{
    if (!e) return status;
    sink s = { e->msg, sizeof e->msg };
    va_list ap;
    va_start(ap, fmt);
    format(&s, fmt, ap);
    va_end(ap);
    *s.p = '\0';
    e->status = status;
    return status;
}

void effad_error_prefix(effad_error *e, const char *prefix)
{
    if (!e || !prefix) return;
    char old[sizeof e->msg];
    size_t i = 0;
    for (; i + 1 < sizeof old && e->msg[i]; i++) old[i] = e->msg[i];
    old[i] = '\0';
    /* the old message as it is: its paths are already shortened, and
     * shortening it again could cut out the reason */
    sink s = { e->msg, sizeof e->msg };
    put_arg(&s, prefix);
    put_str(&s, ": ");
    put_str(&s, old);
    *s.p = '\0';
}

const char *effad_status_name(effad_status s)
{
    switch (s) {
    case EFFAD_OK: return "ok";
    case EFFAD_ERR_ARG: return "invalid argument";
    case EFFAD_ERR_FORMAT: return "malformed input";
    case EFFAD_ERR_UNSUPPORTED: return "unsupported";
    case EFFAD_ERR_NOMEM: return "out of memory";
    case EFFAD_ERR_IO: return "i/o error";
    case EFFAD_ERR_NUMERIC: return "numerical failure";
    case EFFAD_ERR_MISMATCH: return "mismatch";
    }
    return "unknown status";
}

const char *effad_dtype_name(effad_dtype t)
{
    switch (t) {
    case EFFAD_F32: return "float32";
    case EFFAD_S8: return "int8";
    case EFFAD_S32: return "int32";
    case EFFAD_U8: return "uint8";
    case EFFAD_S16: return "int16";
    }
    return "unknown";
}
