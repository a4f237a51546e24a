/* The keys after a .gauss's preset name; see prep-spec.h. */
#include <string.h>
#include "prep-spec.h"

/* rgb16 values and their text; 9..15 are written as the number. */
static const struct { int rule; const char *text; } named_rules[] = { { 1, "pil" }, { 2, "opencv" } };

static int rgb16_parse(const char *s, size_t n, int *rule)
{
    for (size_t k = 0; k < sizeof named_rules / sizeof named_rules[0]; k++)
        if (n == strlen(named_rules[k].text) && !memcmp(s, named_rules[k].text, n)) { *rule = named_rules[k].rule; return 1; }
    if (n == 1 && s[0] == '9') { *rule = 9; return 1; }
    if (n == 2 && s[0] == '1' && s[1] >= '0' && s[1] <= '5') { *rule = 10 + (s[1] - '0'); return 1; }
    return 0;
}

/* 1 .. 256 without leading zeros: the alignment range */
static int align_parse(const char *s, size_t n, int *range)
{
    if (n < 1 || n > 3 || s[0] == '0') return 0;
    int v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return 0;
        v = v * 10 + (s[i] - '0');
    }
    if (v > 256) return 0;
    *range = v;
    return 1;
}

/* The value of ";key=" at s[*at..n), up to the next ';'; *at moves past it. */
static int take_key(const char *s, size_t n, size_t *at, const char *key, const char **v, size_t *vn)
{
    const size_t kn = strlen(key);
    if (n - *at < kn || memcmp(s + *at, key, kn)) return 0;
    const char *semi = memchr(s + *at + kn, ';', n - *at - kn);
    *v = s + *at + kn;
    *vn = semi ? (size_t)(semi - *v) : n - *at - kn;
    *at += kn + *vn;
    return 1;
}

effad_status prep_spec_split(const char *stored, size_t len, prep_spec *s, effad_error *e)
{
    memset(s, 0, sizeof *s);
    s->rgb16 = PREP_RGB16_NONE;
    const char *semi = memchr(stored, ';', len);
    s->name_len = semi ? (size_t)(semi - stored) : len;
    size_t at = s->name_len;
    const char *v;
    size_t vn;
    int ok = 1;
    if (at < len && take_key(stored, len, &at, ";roi=", &v, &vn)) ok = roi_parse_n(v, vn, &s->roi);
    /* alignment moves a region: never without one */
    if (ok && at < len && take_key(stored, len, &at, ";align=", &v, &vn)) ok = s->roi.w && align_parse(v, vn, &s->align);
    if (ok && at < len && take_key(stored, len, &at, ";rgb16=", &v, &vn)) ok = rgb16_parse(v, vn, &s->rgb16);
    if (ok && at == len) return EFFAD_OK;
    char found[64];   /* the error formatter has no %.*s */
    const size_t rest = len - s->name_len, k = rest < sizeof found ? rest : sizeof found - 1;
    memcpy(found, stored + s->name_len, k);
    found[k] = '\0';
    return effad_fail(e, EFFAD_ERR_FORMAT, "preset string: after the preset's name only ';roi=X,Y,W,H', "
                      "';align=1..256' (after a region) and then ';rgb16=pil|opencv|9..15' are known, not '%s'", found);
}

const char *prep_rgb16_name(int rgb16, char buf[4])
{
    if (rgb16 <= 0) return "scale";
    for (size_t k = 0; k < sizeof named_rules / sizeof named_rules[0]; k++)
        if (named_rules[k].rule == rgb16) return named_rules[k].text;
    size_t at = 0;
    if (rgb16 >= 10) buf[at++] = (char)('0' + rgb16 / 10 % 10);
    buf[at++] = (char)('0' + rgb16 % 10);
    buf[at] = '\0';
    return buf;
}

void prep_spec_suffix(const image_roi *roi, int align, int rgb16, char buf[PREP_SPEC_SUFFIX_BYTES])
{
    size_t at = 0;
    buf[0] = '\0';
    if (roi && roi->w) {
        memcpy(buf, ";roi=", 5);
        roi_format(roi, buf + 5, ROI_TEXT_BYTES);
        at = strlen(buf);
        if (align > 0 && align <= 256) {
            memcpy(buf + at, ";align=", 7);
            at += 7;
            if (align >= 100) buf[at++] = (char)('0' + align / 100);
            if (align >= 10) buf[at++] = (char)('0' + align / 10 % 10);
            buf[at++] = (char)('0' + align % 10);
            buf[at] = '\0';
        }
    }
    if (rgb16 <= 0) return;
    char num[4];
    const char *t = prep_rgb16_name(rgb16, num);
    memcpy(buf + at, ";rgb16=", 7);
    memcpy(buf + at + 7, t, strlen(t) + 1);
}
