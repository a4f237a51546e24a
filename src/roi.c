/* The region of interest; see roi.h. Freestanding but for the error
 * formatter (engine/error.c): the firmware's .gauss reader links it
 * (prep-spec.c). */
#include <string.h>
#include "roi.h"

/* Digits only, no leading zero (one text per region: a .gauss read and
 * written again keeps its bytes), value at most ROI_MAX; *at moves past
 * them. */
static int take_number(const char *s, size_t n, size_t *at, int *out)
{
    size_t i = *at;
    long v = 0;
    if (i == n || s[i] < '0' || s[i] > '9') return 0;
    if (s[i] == '0' && i + 1 < n && s[i + 1] >= '0' && s[i + 1] <= '9') return 0;
    for (; i < n && s[i] >= '0' && s[i] <= '9'; i++)
        if ((v = v * 10 + (s[i] - '0')) > ROI_MAX) return 0;
    *out = (int)v;
    *at = i;
    return 1;
}

int roi_parse_n(const char *s, size_t n, image_roi *r)
{
    int v[4];
    size_t at = 0;
    for (int k = 0; k < 4; k++) {
        if (!take_number(s, n, &at, &v[k])) return 0;
        if (k < 3 && (at == n || s[at++] != ',')) return 0;
    }
    if (at != n || v[2] < 1 || v[3] < 1 || v[0] + v[2] > ROI_MAX || v[1] + v[3] > ROI_MAX) return 0;
    r->x = v[0]; r->y = v[1]; r->w = v[2]; r->h = v[3];
    return 1;
}

effad_status roi_parse(const char *text, image_roi *r, effad_error *e)
{
    if (text && roi_parse_n(text, strlen(text), r)) return EFFAD_OK;
    return effad_fail(e, EFFAD_ERR_ARG, "region of interest '%s': expected X,Y,W,H -- four whole numbers, the "
                      "top-left corner and the size in pixels, the size at least 1x1 and the region inside %d "
                      "pixels", text ? text : "", ROI_MAX);
}

/* v >= 0 in decimal at buf; returns the digits written. */
static size_t put_number(char *buf, int v)
{
    char t[12];
    size_t k = 0, n = 0;
    do t[k++] = (char)('0' + v % 10); while ((v /= 10) > 0);
    while (k) buf[n++] = t[--k];
    return n;
}

void roi_format(const image_roi *r, char *buf, size_t n)
{
    if (n < ROI_TEXT_BYTES) { if (n) buf[0] = '\0'; return; }
    size_t at = 0;
    if (r && r->w) {
        const int v[4] = { r->x, r->y, r->w, r->h };
        for (int k = 0; k < 4; k++) {
            if (k) buf[at++] = ',';
            at += put_number(buf + at, v[k]);
        }
    }
    buf[at] = '\0';
}

int roi_equal(const image_roi *a, const image_roi *b)
{
    if (!a->w || !b->w) return !a->w == !b->w;
    return a->x == b->x && a->y == b->y && a->w == b->w && a->h == b->h;
}

effad_status roi_check(const image_roi *r, int w, int h, effad_error *e)
{
    if (!r || !r->w || (r->x + r->w <= w && r->y + r->h <= h)) return EFFAD_OK;
    char t[ROI_TEXT_BYTES];
    roi_format(r, t, sizeof t);
    return effad_fail(e, EFFAD_ERR_MISMATCH, "the image is %dx%d, and the region of interest %s (x,y,w,h) "
                      "needs at least %dx%d", w, h, t, r->x + r->w, r->y + r->h);
}

void roi_copy(const image_roi *r, const uint8_t *src, int channels, int src_w, uint8_t *dst)
{
    const size_t row = (size_t)r->w * (size_t)channels, stride = (size_t)src_w * (size_t)channels;
    /* in place, row y of the region starts at or after where it goes, so
     * moving the rows in order never overwrites one not yet moved */
    for (int y = 0; y < r->h; y++)
        memmove(dst + (size_t)y * row, src + (size_t)(r->y + y) * stride + (size_t)r->x * channels, row);
}

effad_status roi_crop(const image_roi *r, uint8_t *pixels, int channels, int *w, int *h, effad_error *e)
{
    if (!r || !r->w) return EFFAD_OK;
    effad_status s = roi_check(r, *w, *h, e);
    if (s) return s;
    roi_copy(r, pixels, channels, *w, pixels);
    *w = r->w;
    *h = r->h;
    return EFFAD_OK;
}
