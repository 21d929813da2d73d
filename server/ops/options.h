/* options: a program's settings described once, in a table of long options,
 * and read from the command line and from a config file through the same
 * value parser: every long option NAME is the file's key NAME.
 *
 * The config file is INI, read with Debian's libinih:
 *
 *   # a comment (also ';'), on a line of its own
 *   [database]            sections only group keys for the reader: a key's
 *   db = host=/run/postgresql dbname=fengqiao     name never depends on them
 *
 * A value is the rest of the line after '=', spaces trimmed, taken as it is
 * (no quotes, no inline comments: conninfo strings and URLs may hold ';' and
 * '#'). An unknown key, a bad value, a key given twice, an empty value and a
 * line that is neither are errors naming FILE:LINE. Precedence, lowest
 * first: the defaults, the file, the environment (the caller's), the command
 * line. */
#ifndef FQ_OPTIONS_H
#define FQ_OPTIONS_H

#include <stddef.h>
#include <stdint.h>

typedef enum fq_opt_kind {
    FQ_OPT_TEXT,    /* const char * */
    FQ_OPT_INTEGER, /* an unsigned decimal in [min, max], stored times scale */
    FQ_OPT_REAL,    /* the same, stored as a double */
    FQ_OPT_CHOICE,  /* one of choices[], stored as its index (int) */
    FQ_OPT_ACTION,  /* --help, --version, --config: the command line only */
} fq_opt_kind;

typedef struct fq_option {
    const char *name;    /* the long option without "--", and the file's key */
    const char *metavar; /* "N", "URL", …; NULL for an ACTION without a value */
    const char *help;    /* usage text; '\n' starts a continuation line */
    fq_opt_kind kind;
    size_t offset, size; /* the field in the settings struct */
    uint64_t min, max, scale;
    const char *const *choices; /* CHOICE: NULL-terminated */
    /* A value that may carry a secret (a database password): returns 1 when
     * it does, 0 when not, -1 when the value is unusable (why in err). On the
     * command line a secret is refused; a file holding one must not be
     * readable by others. */
    int (*has_secret)(const char *value, char *err, size_t err_len);
    const char *secret_hint; /* where the secret goes instead */
    int short_name;          /* 'h' for -h, else 0 */
} fq_option;

/* Table entries for a field of the settings struct type T. */
#define FQ_OPT_FIELD(T, field) offsetof(T, field), sizeof(((T *)0)->field)
#define FQ_OPTION_TEXT(T, name, metavar, field, help)                                              \
    {                                                                                              \
        name, metavar, help, FQ_OPT_TEXT, FQ_OPT_FIELD(T, field), 0, 0, 0, NULL, NULL, NULL, 0     \
    }
/* A text that may carry a secret (options.h: has_secret). */
#define FQ_OPTION_SECRET(T, name, metavar, field, has_secret, hint, help)                          \
    {                                                                                              \
        name, metavar, help, FQ_OPT_TEXT, FQ_OPT_FIELD(T, field), 0, 0, 0, NULL, has_secret, hint, \
            0                                                                                      \
    }
#define FQ_OPTION_NUMBER(T, name, metavar, field, min, max, scale, help)                           \
    {                                                                                              \
        name, metavar, help,                                                                       \
            _Generic(((T *)0)->field, double                                                       \
                     : FQ_OPT_REAL, default                                                        \
                     : FQ_OPT_INTEGER),                                                            \
            FQ_OPT_FIELD(T, field), min, max, scale, NULL, NULL, NULL, 0                           \
    }
#define FQ_OPTION_CHOICE(T, name, metavar, field, choices, help)                                   \
    {                                                                                              \
        name, metavar, help, FQ_OPT_CHOICE, FQ_OPT_FIELD(T, field), 0, 0, 0, choices, NULL, NULL,  \
            0                                                                                      \
    }
#define FQ_OPTION_ACTION(name, metavar, short_name, help)                                          \
    {                                                                                              \
        name, metavar, help, FQ_OPT_ACTION, 0, 0, 0, 0, 0, NULL, NULL, NULL, short_name            \
    }

/* Strings read from a file are copied here; they live until
 * fq_option_strings_free. */
typedef struct fq_option_strings {
    char **items;
    size_t count, capacity;
} fq_option_strings;
void fq_option_strings_free(fq_option_strings *strings);

/* One option found on the command line, in order. */
typedef struct fq_option_arg {
    const fq_option *option;
    const char *value; /* argv's; NULL for an ACTION without a value */
} fq_option_arg;

/* Reads argv (getopt_long, built from the table) into args (argc entries at
 * most). 0, or -1 with a message in err (an unknown option, a missing value,
 * an argument that is not an option). */
int fq_options_scan(const fq_option *table, size_t n, int argc, char **argv, fq_option_arg *args,
                    size_t *n_args, char *err, size_t err_len);

/* Parses `value` for `option` into `settings` (a TEXT value is stored as the
 * pointer given: the caller keeps it alive). 0, or -1 with a message in err
 * that starts with the option's name. A secret is not checked here. */
int fq_option_set(const fq_option *option, void *settings, const char *value, char *err,
                  size_t err_len);

/* Applies the command line's values (not ACTIONs) in order, refusing
 * secrets. 0, or -1 with a message in err ("--db: …"). */
int fq_options_apply_args(const fq_option_arg *args, size_t n_args, void *settings, char *err,
                          size_t err_len);

/* fq_options_read_file's flags: keys not in the table are skipped, not
 * refused (fengqiao-admin reads db and server-key from fengqiaod's file). */
#define FQ_OPTIONS_OTHER_KEYS_SKIPPED 1

/* Reads the config file at `path` into `settings`. 0, or -1 with
 * "PATH:LINE: …" (or "PATH: …") in err. */
int fq_options_read_file(const fq_option *table, size_t n, const char *path, int flags,
                         void *settings, fq_option_strings *strings, char *err, size_t err_len);

/* The same for a file's text already in memory (tests, the fuzzer); `name`
 * stands for the path in messages; `world_readable` says whether a secret
 * may be held. */
int fq_options_read_text(const fq_option *table, size_t n, const char *name, const char *text,
                         int world_readable, int flags, void *settings, fq_option_strings *strings,
                         char *err, size_t err_len);

/* The options' lines of a usage text: "  --name METAVAR" then the help at
 * column 25. */
void fq_options_usage(const fq_option *table, size_t n, char *out, size_t out_len);

#endif
