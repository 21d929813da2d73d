#include "o311form.h"

#include "errbuf.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistr.h>

int fq_o311_code_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > FQ_O311_ID_MAX || !isalnum((unsigned char)s[0]))
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)s[i]) && s[i] != '.' && s[i] != '_' && s[i] != '-')
            return 0;
    return 1;
}

static int digits_only(const char *s, size_t n)
{
    if (n == 0 || n > 18) /* below 2^63 */
        return 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return s[0] != '0';
}

static int item_ok(const char *s, size_t n, fq_o311_list_kind kind)
{
    char item[FQ_O311_ID_MAX + 1];
    if (n == 0 || n > FQ_O311_ID_MAX)
        return 0;
    memcpy(item, s, n);
    item[n] = '\0';
    switch (kind) {
    case FQ_O311_LIST_IDS:
        return digits_only(item, n);
    case FQ_O311_LIST_CODES:
        return fq_o311_code_ok(item);
    case FQ_O311_LIST_STATUSES:
        return strcmp(item, "open") == 0 || strcmp(item, "closed") == 0;
    }
    return 0;
}

int fq_o311_list_ok(const char *value, fq_o311_list_kind kind, size_t max)
{
    size_t count = 0;
    for (const char *p = value;; p++) {
        size_t n = strcspn(p, ",");
        if (!item_ok(p, n, kind) || ++count > max)
            return 0;
        p += n;
        if (*p == '\0')
            return 1;
    }
}

int fq_o311_idempotency_key_ok(const char *key)
{
    size_t n = strlen(key);
    if (n == 0 || n > 128)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (key[i] < 0x21 || key[i] > 0x7e)
            return 0;
    return 1;
}

int fq_o311_path_parse(const char *path, fq_o311_path *out, char *err, size_t err_len)
{
    memset(out, 0, sizeof *out);
    size_t base = sizeof FQ_O311_BASE - 1;
    if (strncmp(path, FQ_O311_BASE, base) != 0)
        return fq_errf(err, err_len, "no such resource (the API is under " FQ_O311_BASE ")"),
               FQ_ENOTFOUND;
    const char *rest = path + base;
    /* The format is what follows the last '.' of the last segment. */
    const char *dot = strrchr(rest, '.');
    const char *slash = strrchr(rest, '/');
    size_t stem =
        dot != NULL && (slash == NULL || dot > slash) ? (size_t)(dot - rest) : strlen(rest);
    const char *ext = rest[stem] == '.' ? rest + stem + 1 : "";
    const char *sep = memchr(rest, '/', stem);
    size_t head = sep ? (size_t)(sep - rest) : stem;
    int services = head == 8 && strncmp(rest, "services", 8) == 0;
    int requests = head == 8 && strncmp(rest, "requests", 8) == 0;
    if (!services && !requests)
        return fq_errf(err, err_len, "no such resource: %s", path), FQ_ENOTFOUND;
    if (sep != NULL) {
        const char *id = sep + 1;
        size_t id_len = stem - head - 1;
        char copy[FQ_O311_ID_MAX + 1];
        if (id_len == 0 || id_len > FQ_O311_ID_MAX || memchr(id, '/', id_len) != NULL)
            return fq_errf(err, err_len, "no such resource: %s", path), FQ_ENOTFOUND;
        memcpy(copy, id, id_len);
        copy[id_len] = '\0';
        if (services ? !fq_o311_code_ok(copy) : !digits_only(copy, id_len))
            return fq_errf(err, err_len, "no such %s: %s", services ? "service" : "request", copy),
                   FQ_ENOTFOUND;
        memcpy(out->id, copy, id_len + 1);
        out->resource = services ? FQ_O311_SERVICE : FQ_O311_REQUEST;
    } else
        out->resource = services ? FQ_O311_SERVICES : FQ_O311_REQUESTS;
    if (strcmp(ext, "json") == 0)
        out->format = FQ_O311_JSON;
    else if (strcmp(ext, "xml") == 0)
        out->format = FQ_O311_XML;
    else
        return fq_errf(err, err_len, "unknown format '%.16s': the formats are .xml and .json", ext),
               FQ_EINVALID;
    return FQ_OK;
}

static int hexval(char c)
{
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

/* Decodes text[0..n) into out; -1 on a malformed escape. */
static int decode(const char *text, size_t n, char *out, size_t *out_len)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (text[i] == '+')
            out[o++] = ' ';
        else if (text[i] == '%') {
            if (i + 2 >= n || hexval(text[i + 1]) < 0 || hexval(text[i + 2]) < 0)
                return -1;
            out[o++] = (char)(hexval(text[i + 1]) * 16 + hexval(text[i + 2]));
            i += 2;
        } else
            out[o++] = text[i];
    }
    out[o] = '\0';
    *out_len = o;
    return 0;
}

int fq_o311_form_parse(const char *text, size_t len, const char *const *names, size_t max_value,
                       fq_o311_form *out, char *err, size_t err_len)
{
    memset(out, 0, sizeof *out);
    size_t nnames = 0;
    while (names[nnames] != NULL && nnames < FQ_O311_MAX_FIELDS)
        nnames++;
    /* Decoding never lengthens: one buffer of len + one NUL per field. */
    char *buf = malloc(2 * len + 2);
    if (buf == NULL)
        return fq_errf(err, err_len, "out of memory");
    size_t used = 0;
    for (size_t p = 0; p < len;) {
        const char *part = text + p;
        const char *amp = memchr(part, '&', len - p);
        size_t plen = amp ? (size_t)(amp - part) : len - p;
        p += plen + (amp != NULL);
        if (plen == 0)
            continue; /* "a=1&&b=2", a trailing '&' */
        const char *eq = memchr(part, '=', plen);
        size_t klen = eq ? (size_t)(eq - part) : plen;
        char *key = buf + used;
        size_t kd;
        if (decode(part, klen, key, &kd) != 0) {
            free(buf);
            return fq_errf(err, err_len, "a field name has a malformed %%-escape");
        }
        if (memchr(key, '\0', kd) != NULL || u8_check((const uint8_t *)key, kd) != NULL) {
            free(buf);
            return fq_errf(err, err_len, "a field name is not valid UTF-8 text");
        }
        size_t i = 0;
        while (i < nnames && strcmp(names[i], key) != 0)
            i++;
        if (i == nnames) {
            fq_errf(err, err_len, "unknown field '%.40s'", key);
            free(buf);
            return -1;
        }
        if (out->values[i] != NULL) {
            free(buf);
            return fq_errf(err, err_len, "%s is given twice", names[i]);
        }
        used += kd + 1;
        char *value = buf + used;
        size_t vd = 0;
        if (decode(eq ? eq + 1 : part + plen, eq ? plen - klen - 1 : 0, value, &vd) != 0) {
            free(buf);
            return fq_errf(err, err_len, "%s has a malformed %%-escape", names[i]);
        }
        if (memchr(value, '\0', vd) != NULL) {
            free(buf);
            return fq_errf(err, err_len, "%s contains a NUL character", names[i]);
        }
        if (u8_check((const uint8_t *)value, vd) != NULL) {
            free(buf);
            return fq_errf(err, err_len, "%s is not valid UTF-8", names[i]);
        }
        if (vd > max_value) {
            free(buf);
            return fq_errf(err, err_len, "%s is longer than %zu bytes", names[i], max_value);
        }
        used += vd + 1;
        out->values[i] = value;
    }
    out->buffer = buf;
    return 0;
}

void fq_o311_form_free(fq_o311_form *form)
{
    free(form->buffer);
    memset(form, 0, sizeof *form);
}

static int num(const char *s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

/* Days since 1970-01-01 of a proleptic Gregorian date. */
static int64_t days_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

int fq_o311_datetime_parse(const char *s, int64_t *ms)
{
    int y, mo, d, h, mi, sec;
    size_t n = strlen(s);
    if (n < 20 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') || s[13] != ':' ||
        s[16] != ':' || num(s, 4, &y) || num(s + 5, 2, &mo) || num(s + 8, 2, &d) ||
        num(s + 11, 2, &h) || num(s + 14, 2, &mi) || num(s + 17, 2, &sec))
        return -1;
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] ||
        (mo == 2 && d == 29 && !leap) || h > 23 || mi > 59 || sec > 59)
        return -1;
    const char *p = s + 19;
    int frac_ms = 0;
    if (*p == '.') {
        p++;
        int digits = 0;
        while (*p >= '0' && *p <= '9') {
            if (digits < 3)
                frac_ms = frac_ms * 10 + (*p - '0');
            digits++;
            p++;
        }
        if (digits == 0 || digits > 9)
            return -1;
        for (int k = digits; k < 3; k++)
            frac_ms *= 10;
    }
    int offset_min = 0;
    if (*p == 'Z' || *p == 'z')
        p++;
    else if ((*p == '+' || *p == '-') && strlen(p) == 6 && p[3] == ':') {
        int oh, om;
        if (num(p + 1, 2, &oh) || num(p + 4, 2, &om) || oh > 14 || om > 59)
            return -1;
        offset_min = (oh * 60 + om) * (*p == '-' ? -1 : 1);
        p += 6;
    } else
        return -1;
    if (*p != '\0')
        return -1;
    int64_t secs =
        days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - (int64_t)offset_min * 60;
    *ms = secs * 1000 + frac_ms;
    return 0;
}

int fq_o311_degrees_parse(const char *s, double *out)
{
    size_t n = strlen(s);
    if (n == 0 || n > 32)
        return -1;
    int dots = 0, digits = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] >= '0' && s[i] <= '9')
            digits++;
        else if (s[i] == '.' && dots == 0)
            dots++;
        else if (!(i == 0 && (s[i] == '-' || s[i] == '+')))
            return -1;
    }
    if (digits == 0)
        return -1;
    char *end;
    double v = strtod(s, &end);
    if (*end != '\0' || !isfinite(v))
        return -1;
    *out = v;
    return 0;
}
