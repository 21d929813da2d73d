#include "masking.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

/* Bytes of the UTF-8 character starting with `lead` (1 for a stray byte:
 * the caller's input was checked as UTF-8, so this only keeps us in bounds). */
static size_t utf8_len(unsigned char lead)
{
    return lead < 0x80         ? 1
           : (lead >> 5) == 6  ? 2
           : (lead >> 4) == 14 ? 3
           : (lead >> 3) == 30 ? 4
                               : 1;
}

static void put(char *out, size_t cap, size_t *used, const char *s, size_t n)
{
    if (*used + n + 1 > cap)
        return;
    memcpy(out + *used, s, n);
    *used += n;
    out[*used] = '\0';
}

void fq_mask_name(const char *name, char *out, size_t cap)
{
    if (cap == 0)
        return;
    out[0] = '\0';
    size_t len = strlen(name), chars = 0, first_len = 0, last_at = 0;
    for (size_t i = 0; i < len;) {
        size_t n = utf8_len((unsigned char)name[i]);
        if (i + n > len)
            n = len - i;
        if (chars == 0)
            first_len = n;
        last_at = i;
        chars++;
        i += n;
    }
    size_t used = 0;
    if (chars == 0)
        return;
    if (chars == 1) {
        put(out, cap, &used, "*", 1);
        return;
    }
    put(out, cap, &used, name, first_len);
    for (size_t k = 0; k + 2 < chars; k++)
        put(out, cap, &used, "*", 1);
    if (chars == 2)
        put(out, cap, &used, "*", 1);
    else
        put(out, cap, &used, name + last_at, len - last_at);
}

int fq_phone_normalize(const char *phone, char *out, size_t cap)
{
    char digits[64];
    size_t n = 0;
    for (const char *p = phone; *p; p++) {
        if (isdigit((unsigned char)*p)) {
            if (n + 1 >= sizeof digits)
                return -1;
            digits[n++] = *p;
        } else if (!strchr(" +-()", *p)) {
            return -1;
        }
    }
    digits[n] = '\0';
    const char *d = digits;
    /* +86 13812345678 and 0086 13812345678 are the same phone as 13812345678. */
    if (n == 13 && strncmp(d, "86", 2) == 0 && d[2] == '1')
        d += 2;
    else if (n == 15 && strncmp(d, "0086", 4) == 0)
        d += 4;
    size_t dn = strlen(d);
    if (dn < 5 || dn > 20 || dn + 1 > cap)
        return -1;
    memcpy(out, d, dn + 1);
    return 0;
}

void fq_mask_phone(const char *digits, char *out, size_t cap)
{
    size_t n = strlen(digits);
    if (n >= 8)
        snprintf(out, cap, "%.3s****%s", digits, digits + n - 4);
    else
        snprintf(out, cap, "****%s", n >= 2 ? digits + n - 2 : "");
}

int fq_id_number_normalize(const char *id, char *out, size_t cap, char *err, size_t err_len)
{
    char v[19];
    size_t n = 0;
    for (const char *p = id; *p; p++) {
        if (*p == ' ')
            continue;
        if (n == 18) {
            snprintf(err, err_len, "id_number must be 18 characters (17 digits and a digit or X)");
            return -1;
        }
        v[n++] = (char)toupper((unsigned char)*p);
    }
    v[n] = '\0';
    if (n != 18) {
        snprintf(err, err_len, "id_number must be 18 characters (17 digits and a digit or X)");
        return -1;
    }
    static const int weight[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
    static const char check[] = "10X98765432";
    int sum = 0;
    for (int i = 0; i < 17; i++) {
        if (!isdigit((unsigned char)v[i])) {
            snprintf(err, err_len, "id_number must be 17 digits and a digit or X");
            return -1;
        }
        sum += (v[i] - '0') * weight[i];
    }
    if (v[17] != check[sum % 11]) {
        snprintf(err, err_len, "id_number's check character is wrong (a digit mistyped?)");
        return -1;
    }
    if (cap < sizeof v) {
        snprintf(err, err_len, "id_number: no room (a bug)");
        return -1;
    }
    memcpy(out, v, sizeof v);
    return 0;
}

void fq_mask_id_number(const char *id, char *out, size_t cap)
{
    size_t n = strlen(id);
    if (n <= 8) {
        snprintf(out, cap, "%s", n > 0 ? "****" : "");
        return;
    }
    size_t used = 0;
    if (cap > 0)
        out[0] = '\0';
    put(out, cap, &used, id, 4);
    for (size_t i = 4; i < n - 4; i++)
        put(out, cap, &used, "*", 1);
    put(out, cap, &used, id + n - 4, 4);
}

void fq_name_normalize(const char *name, char *out, size_t cap)
{
    size_t used = 0;
    if (cap == 0)
        return;
    out[0] = '\0';
    for (const char *p = name; *p;) {
        if (*p == ' ' || *p == '\t') {
            p++;
            continue;
        }
        if (strncmp(p, "\xe3\x80\x80", 3) == 0) { /* U+3000 ideographic space */
            p += 3;
            continue;
        }
        char c = (char)tolower((unsigned char)*p);
        put(out, cap, &used, &c, 1);
        p++;
    }
}
