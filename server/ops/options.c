#include "options.h"

#include <errno.h>
#include <getopt.h>
#include <ini.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

void fq_option_strings_free(fq_option_strings *strings)
{
    for (size_t i = 0; i < strings->count; i++)
        free(strings->items[i]);
    free(strings->items);
    memset(strings, 0, sizeof *strings);
}

static char *keep_string(fq_option_strings *strings, const char *value)
{
    if (strings->count == strings->capacity) {
        size_t cap = strings->capacity ? strings->capacity * 2 : 16;
        char **items = realloc(strings->items, cap * sizeof *items);
        if (items == NULL)
            return NULL;
        strings->items = items;
        strings->capacity = cap;
    }
    char *copy = strdup(value);
    if (copy != NULL)
        strings->items[strings->count++] = copy;
    return copy;
}

/* ---- one value ---- */

static void store_unsigned(void *field, size_t size, uint64_t v)
{
    /* Every range in a table fits the field's type (signed or not), so the
     * low bytes of v are the value either way. */
    if (size == sizeof(uint64_t)) {
        uint64_t x = v;
        memcpy(field, &x, sizeof x);
    } else if (size == sizeof(uint32_t)) {
        uint32_t x = (uint32_t)v;
        memcpy(field, &x, sizeof x);
    } else if (size == sizeof(uint16_t)) {
        uint16_t x = (uint16_t)v;
        memcpy(field, &x, sizeof x);
    } else {
        uint8_t x = (uint8_t)v;
        memcpy(field, &x, sizeof x);
    }
}

int fq_option_set(const fq_option *o, void *settings, const char *value, char *err, size_t err_len)
{
    void *field = (char *)settings + o->offset;
    if (value == NULL || value[0] == '\0') {
        snprintf(err, err_len, "%s needs a value (%s)", o->name, o->metavar ? o->metavar : "");
        return -1;
    }
    switch (o->kind) {
    case FQ_OPT_TEXT:
        memcpy(field, &value, sizeof value);
        return 0;
    case FQ_OPT_INTEGER:
    case FQ_OPT_REAL: {
        const char *p = value;
        while (*p >= '0' && *p <= '9')
            p++;
        errno = 0;
        unsigned long long v = strtoull(value, NULL, 10);
        if (*p != '\0' || errno == ERANGE || v < o->min || v > o->max) {
            snprintf(err, err_len,
                     "%s needs a whole number from %" PRIu64 " to %" PRIu64 ", got '%s'", o->name,
                     o->min, o->max, value);
            return -1;
        }
        uint64_t scale = o->scale ? o->scale : 1;
        /* A table whose range does not fit its field is our bug: refuse
         * rather than store a truncated value. */
        if ((uint64_t)v > UINT64_MAX / scale ||
            (o->kind == FQ_OPT_INTEGER && o->size < sizeof(uint64_t) &&
             ((uint64_t)v * scale) >> (o->size * 8 - 1) != 0)) {
            snprintf(err, err_len, "%s: %s does not fit its setting", o->name, value);
            return -1;
        }
        if (o->kind == FQ_OPT_REAL) {
            double d = (double)v * (double)scale;
            memcpy(field, &d, sizeof d);
        } else {
            store_unsigned(field, o->size, (uint64_t)v * scale);
        }
        return 0;
    }
    case FQ_OPT_CHOICE:
        for (int i = 0; o->choices[i] != NULL; i++)
            if (strcmp(value, o->choices[i]) == 0) {
                memcpy(field, &i, sizeof i);
                return 0;
            }
        snprintf(err, err_len, "%s takes %s, got '%s'", o->name, o->metavar, value);
        return -1;
    case FQ_OPT_ACTION:
        break;
    }
    snprintf(err, err_len, "%s is not a setting", o->name);
    return -1;
}

/* ---- the command line ---- */

int fq_options_scan(const fq_option *table, size_t n, int argc, char **argv, fq_option_arg *args,
                    size_t *n_args, char *err, size_t err_len)
{
    struct option *longs = calloc(n + 1, sizeof *longs);
    char shorts[64] = ":"; /* ':' first: a missing value is told apart */
    if (longs == NULL) {
        snprintf(err, err_len, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        longs[i].name = table[i].name;
        longs[i].has_arg = table[i].metavar ? required_argument : no_argument;
        longs[i].val = 256 + (int)i;
        if (table[i].short_name != 0 && strlen(shorts) + 3 < sizeof shorts) {
            size_t l = strlen(shorts);
            shorts[l] = (char)table[i].short_name;
            shorts[l + 1] = table[i].metavar ? ':' : '\0';
            shorts[l + 2] = '\0';
        }
    }
    int rv = 0, c, index = -1;
    *n_args = 0;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, shorts, longs, &index)) != -1) {
        const fq_option *o = NULL;
        if (c >= 256)
            o = &table[c - 256];
        for (size_t i = 0; o == NULL && c != '?' && c != ':' && i < n; i++)
            if (table[i].short_name == c)
                o = &table[i];
        if (o == NULL) {
            const char *arg = argv[optind - 1];
            if (c == ':')
                snprintf(err, err_len, "%s needs a value", arg);
            else
                snprintf(err, err_len, "unknown option '%s'", arg);
            rv = -1;
            break;
        }
        args[*n_args].option = o;
        args[*n_args].value = o->metavar ? optarg : NULL;
        (*n_args)++;
    }
    if (rv == 0 && optind != argc) {
        snprintf(err, err_len, "unexpected argument '%s'", argv[optind]);
        rv = -1;
    }
    free(longs);
    return rv;
}

int fq_options_apply_args(const fq_option_arg *args, size_t n_args, void *settings, char *err,
                          size_t err_len)
{
    char why[512];
    for (size_t i = 0; i < n_args; i++) {
        const fq_option *o = args[i].option;
        if (o->kind == FQ_OPT_ACTION)
            continue;
        if (fq_option_set(o, settings, args[i].value, why, sizeof why) != 0) {
            snprintf(err, err_len, "--%s", why);
            return -1;
        }
        int secret = o->has_secret ? o->has_secret(args[i].value, why, sizeof why) : 0;
        if (secret < 0) {
            snprintf(err, err_len, "--%s: %s", o->name, why);
            return -1;
        }
        if (secret > 0) {
            snprintf(err, err_len, "--%s holds a password, refused: %s", o->name,
                     o->secret_hint ? o->secret_hint : "give it some other way");
            return -1;
        }
    }
    return 0;
}

/* ---- the file ---- */

typedef struct file_reader {
    const fq_option *table;
    size_t n;
    const char *name;
    int world_readable;
    int flags;
    void *settings;
    fq_option_strings *strings;
    /* The text, read a line at a time by line_reader (inih calls it once per
     * line, so `line` is the line of the pair being handled). */
    const char *text;
    size_t pos;
    int line;
    int too_long; /* the line that did not fit inih's buffer */
    int *seen;    /* per option: the line that set it, 0 = not yet */
    char *err;
    size_t err_len;
    int failed;
} file_reader;

static char *line_reader(char *str, int num, void *stream)
{
    file_reader *r = stream;
    if (r->failed || r->text[r->pos] == '\0')
        return NULL;
    const char *start = r->text + r->pos;
    const char *nl = strchr(start, '\n');
    size_t len = nl ? (size_t)(nl - start) + 1 : strlen(start);
    r->line++;
    if (len + 1 > (size_t)num) {
        r->too_long = r->line;
        return NULL;
    }
    memcpy(str, start, len);
    str[len] = '\0';
    r->pos += len;
    return str;
}

static int fail(file_reader *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(file_reader *r, const char *fmt, ...)
{
    if (r->failed)
        return 0;
    int n = snprintf(r->err, r->err_len, "%s:%d: ", r->name, r->line);
    va_list ap;
    va_start(ap, fmt);
    if (n >= 0 && (size_t)n < r->err_len)
        vsnprintf(r->err + n, r->err_len - (size_t)n, fmt, ap);
    va_end(ap);
    r->failed = 1;
    return 0;
}

static int on_pair(void *user, const char *section, const char *key, const char *value)
{
    (void)section; /* sections only group keys (options.h) */
    file_reader *r = user;
    if (r->failed)
        return 0;
    size_t i = 0;
    while (i < r->n && strcmp(r->table[i].name, key) != 0)
        i++;
    if (i == r->n && (r->flags & FQ_OPTIONS_OTHER_KEYS_SKIPPED))
        return 1;
    if (i == r->n || r->table[i].kind == FQ_OPT_ACTION)
        return fail(r, "unknown key '%s' (the keys are the long options of --help, without --)",
                    key);
    const fq_option *o = &r->table[i];
    if (r->seen[i] != 0)
        return fail(r, "'%s' is set twice (first on line %d)", key, r->seen[i]);
    r->seen[i] = r->line;
    char why[512];
    const char *copy = value;
    if (o->kind == FQ_OPT_TEXT && value[0] != '\0' &&
        (copy = keep_string(r->strings, value)) == NULL)
        return fail(r, "out of memory");
    if (fq_option_set(o, r->settings, copy, why, sizeof why) != 0)
        return fail(r, "%s", why);
    int secret = o->has_secret ? o->has_secret(value, why, sizeof why) : 0;
    if (secret < 0)
        return fail(r, "%s: %s", key, why);
    if (secret > 0 && r->world_readable)
        return fail(r,
                    "%s holds a password and %s is readable by every user of the machine: "
                    "refused; chmod o-rwx %s (the package's file is root:fengqiao, mode 0640)",
                    key, r->name, r->name);
    return 1;
}

int fq_options_read_text(const fq_option *table, size_t n, const char *name, const char *text,
                         int world_readable, int flags, void *settings, fq_option_strings *strings,
                         char *err, size_t err_len)
{
    /* libinih's settings are process-wide (Debian builds it with them as
     * variables): values verbatim, one line each, stop at the first error. */
    ini_allow_inline_comments = false;
    ini_allow_multiline = false;
    ini_allow_no_value = false;
    ini_stop_on_first_error = true;
    file_reader r = {table, n, name, world_readable, flags, settings, strings, text,
                     0,     0, 0,    NULL,           err,   err_len,  0};
    r.seen = calloc(n ? n : 1, sizeof *r.seen);
    if (r.seen == NULL) {
        snprintf(err, err_len, "%s: out of memory", name);
        return -1;
    }
    int rv = ini_parse_stream(line_reader, &r, on_pair, &r);
    free(r.seen);
    if (r.failed)
        return -1;
    if (r.too_long) {
        r.line = r.too_long;
        fail(&r, "line too long (at most %d characters)", ini_max_line - 3);
        return -1;
    }
    if (rv > 0) {
        r.line = rv;
        fail(&r, "neither 'key = value', '[section]' nor a comment");
        return -1;
    }
    if (rv < 0) {
        snprintf(err, err_len, "%s: out of memory", name);
        return -1;
    }
    return 0;
}

int fq_options_read_file(const fq_option *table, size_t n, const char *path, int flags,
                         void *settings, fq_option_strings *strings, char *err, size_t err_len)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        snprintf(err, err_len, "%s: %s", path, strerror(errno));
        return -1;
    }
    /* The mode of the file actually read (fstat on the open file). */
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        snprintf(err, err_len, "%s: not a regular file", path);
        fclose(f);
        return -1;
    }
    if (st.st_size > 1 << 20) {
        snprintf(err, err_len, "%s: larger than 1 MiB: not a config file", path);
        fclose(f);
        return -1;
    }
    char *text = malloc((size_t)st.st_size + 1);
    size_t got = text ? fread(text, 1, (size_t)st.st_size, f) : 0;
    int read_error = text == NULL || ferror(f);
    fclose(f);
    if (read_error) {
        snprintf(err, err_len, "%s: cannot read it", path);
        free(text);
        return -1;
    }
    text[got] = '\0';
    if (strlen(text) != got) {
        snprintf(err, err_len, "%s: holds a NUL byte: not a text file", path);
        free(text);
        return -1;
    }
    int rv = fq_options_read_text(table, n, path, text, (st.st_mode & S_IROTH) != 0, flags,
                                  settings, strings, err, err_len);
    free(text);
    return rv;
}

/* ---- usage ---- */

void fq_options_usage(const fq_option *table, size_t n, char *out, size_t out_len)
{
    size_t len = 0;
#define APPEND(...)                                                                                \
    do {                                                                                           \
        int k_ = snprintf(out + len, len < out_len ? out_len - len : 0, __VA_ARGS__);              \
        if (k_ > 0)                                                                                \
            len += (size_t)k_;                                                                     \
    } while (0)
    if (out_len > 0)
        out[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        const fq_option *o = &table[i];
        char head[96];
        if (o->short_name)
            snprintf(head, sizeof head, "  -%c, --%s%s%s", o->short_name, o->name,
                     o->metavar ? " " : "", o->metavar ? o->metavar : "");
        else
            snprintf(head, sizeof head, "  --%s%s%s", o->name, o->metavar ? " " : "",
                     o->metavar ? o->metavar : "");
        if (strlen(head) < 25)
            APPEND("%-25s", head);
        else
            APPEND("%s\n%25s", head, "");
        for (const char *p = o->help; *p != '\0';) {
            const char *nl = strchr(p, '\n');
            int l = nl ? (int)(nl - p) : (int)strlen(p);
            APPEND("%.*s\n", l, p);
            p += l;
            if (*p == '\n') {
                p++;
                APPEND("%25s", "");
            }
        }
    }
#undef APPEND
    if (len >= out_len && out_len > 0)
        out[out_len - 1] = '\0';
}
