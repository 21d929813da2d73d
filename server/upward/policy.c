/* policy: rules, backoff, document and signature of the reports upward
 * (policy.h). */
#include "policy.h"

#include <ctype.h>
#include <stdarg.h>
#include <json-c/json.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *const grade_roman[] = {"", "I", "II", "III", "IV"};
static const char *const grade_zh[] = {"", "特别重大", "重大", "较大", "一般"};

const char *fq_upward_receiver_host(const char *url, size_t *len)
{
    const char *p = strstr(url, "://");
    p = p != NULL ? p + 3 : url;
    *len = strcspn(p, "/?#");
    return p;
}

const char *fq_upward_grade_name(int severity)
{
    return severity >= 1 && severity <= 4 ? grade_roman[severity] : "";
}

__attribute__((format(printf, 3, 4))) static void say(char *err, size_t errlen, const char *fmt,
                                                      ...)
{
    if (err == NULL || errlen == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* Splits a comma-separated list into malloc'd items without the blanks
 * around them; empty items are skipped. 0, or -1 (too many, out of memory). */
static int split_list(const char *text, char **items, int *n, const char *setting, char *err,
                      size_t errlen)
{
    *n = 0;
    if (text == NULL)
        return 0;
    const char *p = text;
    while (*p != '\0') {
        const char *end = strchr(p, ',');
        if (end == NULL)
            end = p + strlen(p);
        const char *a = p, *b = end;
        while (a < b && isspace((unsigned char)*a))
            a++;
        while (b > a && isspace((unsigned char)b[-1]))
            b--;
        if (b > a) {
            if (*n == FQ_UPWARD_MAX_RULE_WORDS) {
                say(err, errlen, "%s: more than 64 items", setting);
                return -1;
            }
            char *item = malloc((size_t)(b - a) + 1);
            if (item == NULL) {
                say(err, errlen, "%s: out of memory", setting);
                return -1;
            }
            memcpy(item, a, (size_t)(b - a));
            item[b - a] = '\0';
            items[(*n)++] = item;
        }
        p = *end == ',' ? end + 1 : end;
    }
    return 0;
}

static void free_list(char **items, int *n)
{
    for (int i = 0; i < *n; i++)
        free(items[i]);
    *n = 0;
}

static int parse_grade(const char *word)
{
    for (int g = 1; g <= 4; g++) {
        char digit[2] = {(char)('0' + g), '\0'};
        if (strcmp(word, grade_roman[g]) == 0 || strcmp(word, digit) == 0)
            return g;
    }
    return 0;
}

int fq_upward_rules_parse(fq_upward_rules *r, const char *grades, const char *categories,
                          const char *keywords, char *err, size_t errlen)
{
    memset(r, 0, sizeof *r);
    char *words[FQ_UPWARD_MAX_RULE_WORDS];
    int n = 0;
    if (split_list(grades != NULL ? grades : "I,II", words, &n, "upward-grades", err, errlen) !=
        0) {
        free_list(words, &n);
        return -1;
    }
    for (int i = 0; i < n; i++) {
        int g = parse_grade(words[i]);
        if (g == 0) {
            say(err, errlen, "upward-grades: \"%s\" is not a grade (I, II, III or IV)", words[i]);
            free_list(words, &n);
            return -1;
        }
        r->grades |= 1u << g;
    }
    free_list(words, &n);
    if (split_list(categories, r->categories, &r->ncategories, "upward-categories", err, errlen) !=
            0 ||
        split_list(keywords, r->keywords, &r->nkeywords, "upward-keywords", err, errlen) != 0) {
        fq_upward_rules_free(r);
        return -1;
    }
    return 0;
}

void fq_upward_rules_free(fq_upward_rules *r)
{
    free_list(r->categories, &r->ncategories);
    free_list(r->keywords, &r->nkeywords);
    r->grades = 0;
}

int fq_upward_match(const fq_upward_rules *r, int severity, const char *category, const char *title,
                    const char *description, char *why, size_t whylen)
{
    if (severity >= 1 && severity <= 4 && (r->grades & (1u << severity)) != 0) {
        snprintf(why, whylen, "grade:%s", grade_roman[severity]);
        return 1;
    }
    for (int i = 0; category != NULL && i < r->ncategories; i++)
        if (strcmp(category, r->categories[i]) == 0) {
            snprintf(why, whylen, "category:%s", r->categories[i]);
            return 1;
        }
    /* Bytes of UTF-8 compared as bytes: a whole character's sequence never
     * matches inside another character's. */
    for (int i = 0; i < r->nkeywords; i++)
        if ((title != NULL && strstr(title, r->keywords[i]) != NULL) ||
            (description != NULL && strstr(description, r->keywords[i]) != NULL)) {
            snprintf(why, whylen, "keyword:%s", r->keywords[i]);
            return 1;
        }
    if (whylen > 0)
        why[0] = '\0';
    return 0;
}

uint64_t fq_upward_backoff_ms(unsigned failures, uint64_t min_ms, uint64_t max_ms, uint32_t random)
{
    if (failures == 0)
        failures = 1;
    if (max_ms < min_ms)
        max_ms = min_ms;
    uint64_t step = min_ms;
    for (unsigned i = 1; i < failures && step < max_ms; i++)
        step = step > max_ms / 2 ? max_ms : step * 2;
    if (step > max_ms)
        step = max_ms;
    uint64_t half = step / 2;
    uint64_t spread = step - half; /* the random part: 0 .. spread */
    return half + (spread == 0 ? 0 : (uint64_t)random % (spread + 1));
}

/* RFC 3339 in UTC with milliseconds. */
static void format_time(int64_t ms, char out[32])
{
    time_t s = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&s, &tm);
    char day[24];
    strftime(day, sizeof day, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out, 32, "%s.%03dZ", day, (int)(ms % 1000));
}

static void add_text(json_object *o, const char *key, const char *value)
{
    json_object_object_add(o, key, json_object_new_string(value != NULL ? value : ""));
}

char *fq_upward_document(const fq_upward_incident *inc, const char *delivery_id, int attempt,
                         int64_t sent_ms, size_t *len)
{
    json_object *doc = json_object_new_object(), *i = json_object_new_object();
    if (doc == NULL || i == NULL) {
        json_object_put(doc);
        json_object_put(i);
        return NULL;
    }
    char when[32];
    add_text(doc, "delivery_id", delivery_id);
    json_object_object_add(doc, "attempt", json_object_new_int(attempt));
    format_time(sent_ms, when);
    add_text(doc, "sent_at", when);
    add_text(doc, "reason", inc->rule);
    json_object_object_add(i, "id", json_object_new_int64((int64_t)inc->id));
    int g = inc->severity >= 1 && inc->severity <= 4 ? inc->severity : 0;
    add_text(i, "grade", grade_roman[g]);
    add_text(i, "grade_name", grade_zh[g]);
    add_text(i, "category", inc->category);
    add_text(i, "category_name", inc->category_name);
    add_text(i, "town", inc->town);
    add_text(i, "town_name", inc->town_name);
    add_text(i, "place_name", inc->place_name);
    add_text(i, "address", inc->address);
    add_text(i, "title", inc->title);
    add_text(i, "description", inc->description);
    if (inc->has_position) {
        json_object_object_add(i, "lon", json_object_new_double(inc->lon));
        json_object_object_add(i, "lat", json_object_new_double(inc->lat));
    }
    if (inc->occurred_ms > 0) {
        format_time(inc->occurred_ms, when);
        add_text(i, "occurred_at", when);
    }
    format_time(inc->recorded_ms, when);
    add_text(i, "recorded_at", when);
    add_text(i, "state", inc->state);
    add_text(i, "handler_name", inc->handler_name);
    json_object_object_add(doc, "incident", i);
    size_t n = 0;
    const char *text = json_object_to_json_string_length(
        doc, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &n);
    char *copy = text != NULL ? malloc(n + 1) : NULL;
    if (copy != NULL) {
        memcpy(copy, text, n + 1);
        *len = n;
    }
    json_object_put(doc);
    return copy;
}

int fq_upward_key_parse(const char *text, uint8_t key[FQ_UPWARD_KEY_BYTES], char *err,
                        size_t errlen)
{
    const char *a = text;
    while (isspace((unsigned char)*a))
        a++;
    size_t n = strlen(a);
    while (n > 0 && isspace((unsigned char)a[n - 1]))
        n--;
    size_t got = 0;
    if (n != 2 * FQ_UPWARD_KEY_BYTES ||
        sodium_hex2bin(key, FQ_UPWARD_KEY_BYTES, a, n, NULL, &got, NULL) != 0 ||
        got != FQ_UPWARD_KEY_BYTES) {
        sodium_memzero(key, FQ_UPWARD_KEY_BYTES);
        say(err, errlen, "%s", "the upward key file must hold 64 hexadecimal digits (32 bytes)");
        return -1;
    }
    return 0;
}

void fq_upward_sign(const uint8_t key[FQ_UPWARD_KEY_BYTES], const void *body, size_t len,
                    char out[FQ_UPWARD_SIGNATURE_MAX])
{
    uint8_t mac[crypto_auth_hmacsha256_BYTES];
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, key, FQ_UPWARD_KEY_BYTES);
    crypto_auth_hmacsha256_update(&st, body, len);
    crypto_auth_hmacsha256_final(&st, mac);
    memcpy(out, "sha256=", 7);
    sodium_bin2hex(out + 7, FQ_UPWARD_SIGNATURE_MAX - 7, mac, sizeof mac);
}
