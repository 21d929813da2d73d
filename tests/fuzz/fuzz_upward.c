/* fuzz_upward: the reports upward's pure parts (server/upward/policy.h) on
 * arbitrary text: the shared key file's text, the three rule settings, and
 * the document made of whatever an incident's texts hold (reports come from
 * outside: titles and descriptions are anyone's bytes).
 *
 * The input is lines: key text, grades, categories, keywords, then the
 * title (the rest, NULs included up to the first).
 *
 * Oracles beyond "no crash, no sanitizer report":
 *  - a key either parses to 32 bytes whose hex is the input's trimmed text,
 *    or is refused with a message;
 *  - rules either parse (then matching a grade reports exactly the grades
 *    asked for, and a reason says which rule) or are refused with a message;
 *  - the document is JSON that parses back, with the title and the delivery
 *    id as given;
 *  - the signature is 7 + 64 characters of "sha256=" and lowercase hex. */
#include "fuzz_check.h"
#include "policy.h"

#include <json-c/json.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static char *take_line(const uint8_t **p, const uint8_t *end)
{
    const uint8_t *nl = memchr(*p, '\n', (size_t)(end - *p));
    const uint8_t *stop = nl ? nl : end;
    size_t n = (size_t)(stop - *p);
    char *s = malloc(n + 1);
    if (s == NULL)
        abort();
    memcpy(s, *p, n);
    s[n] = '\0';
    *p = nl ? nl + 1 : end;
    return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *p = data, *end = data + size;
    char *key_text = take_line(&p, end), *grades = take_line(&p, end);
    char *categories = take_line(&p, end), *keywords = take_line(&p, end);
    char *title = take_line(&p, end);
    char err[200] = "";

    uint8_t key[FQ_UPWARD_KEY_BYTES];
    if (fq_upward_key_parse(key_text, key, err, sizeof err) == 0) {
        char hex[2 * FQ_UPWARD_KEY_BYTES + 1];
        static const char digits[] = "0123456789abcdef";
        for (int i = 0; i < FQ_UPWARD_KEY_BYTES; i++) {
            hex[2 * i] = digits[key[i] >> 4];
            hex[2 * i + 1] = digits[key[i] & 15];
        }
        hex[2 * FQ_UPWARD_KEY_BYTES] = '\0';
        const char *a = key_text;
        while (*a == ' ' || *a == '\t' || *a == '\r' || *a == '\v' || *a == '\f')
            a++;
        FQ_FUZZ_CHECK(strncasecmp(a, hex, 2 * FQ_UPWARD_KEY_BYTES) == 0);
    } else {
        FQ_FUZZ_CHECK(err[0] != '\0');
        memset(key, 7, sizeof key);
    }

    fq_upward_rules r;
    err[0] = '\0';
    char why[FQ_UPWARD_WHY_MAX];
    if (fq_upward_rules_parse(&r, grades, categories, keywords, err, sizeof err) == 0) {
        for (int g = 1; g <= 4; g++) {
            int asked = (r.grades >> g) & 1;
            int hit = fq_upward_match(&r, g, "", "", "", why, sizeof why);
            if (asked)
                FQ_FUZZ_CHECK(hit && strncmp(why, "grade:", 6) == 0);
            if (hit)
                FQ_FUZZ_CHECK(why[0] != '\0');
        }
        if (fq_upward_match(&r, 0, categories, title, title, why, sizeof why))
            FQ_FUZZ_CHECK(strncmp(why, "category:", 9) == 0 || strncmp(why, "keyword:", 8) == 0);
        fq_upward_rules_free(&r);
    } else {
        FQ_FUZZ_CHECK(err[0] != '\0');
    }

    fq_upward_incident inc = {0};
    inc.id = size;
    inc.severity = (int)(size % 6);
    inc.category = categories;
    inc.category_name = keywords;
    inc.title = title;
    inc.description = grades;
    inc.rule = key_text;
    inc.recorded_ms = (int64_t)size * 1000003;
    size_t len = 0;
    char *doc = fq_upward_document(&inc, "d-1", 1, 1796464800000, &len);
    FQ_FUZZ_CHECK(doc != NULL && strlen(doc) == len);
    json_object *o = json_tokener_parse(doc), *i = NULL, *v = NULL;
    FQ_FUZZ_CHECK(o != NULL);
    FQ_FUZZ_CHECK(json_object_object_get_ex(o, "delivery_id", &v) &&
                  strcmp(json_object_get_string(v), "d-1") == 0);
    FQ_FUZZ_CHECK(json_object_object_get_ex(o, "incident", &i) &&
                  json_object_object_get_ex(i, "title", &v) &&
                  strcmp(json_object_get_string(v), title) == 0);
    json_object_put(o);
    char sig[FQ_UPWARD_SIGNATURE_MAX];
    fq_upward_sign(key, doc, len, sig);
    FQ_FUZZ_CHECK(strlen(sig) == 71 && strncmp(sig, "sha256=", 7) == 0 &&
                  strspn(sig + 7, "0123456789abcdef") == 64);
    free(doc);
    free(key_text);
    free(grades);
    free(categories);
    free(keywords);
    free(title);
    return 0;
}
