/* The settings table (server/ops/options.h): the command line and the config
 * file through the same parser; precedence, errors with FILE:LINE, secrets;
 * and paths.h's choice of folders. */
#include "conninfo.h"
#include "options.h"
#include "paths.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct settings {
    const char *db, *url;
    int64_t timeout_ms;
    size_t bytes;
    unsigned count;
    double metres;
    int mode;
} settings;

static const char *const modes[] = {"exit", "wait", NULL};

#define T settings
static const fq_option table[] = {
    FQ_OPTION_ACTION("config", "FILE", 0, "the file"),
    FQ_OPTION_SECRET(T, "db", "CONNINFO", db, fq_conninfo_has_password, "use PGPASSFILE",
                     "database"),
    FQ_OPTION_TEXT(T, "url", "URL", url, "an endpoint"),
    FQ_OPTION_NUMBER(T, "timeout", "S", timeout_ms, 1, 86400, 1000, "seconds"),
    FQ_OPTION_NUMBER(T, "kib", "N", bytes, 1, 1024 * 1024, 1024, "KiB"),
    FQ_OPTION_NUMBER(T, "count", "N", count, 0, 100, 1, "a count"),
    FQ_OPTION_NUMBER(T, "metres", "N", metres, 1, 1000, 1, "a distance"),
    FQ_OPTION_NUMBER(T, "too-big", "N", count, 0, 5000000, 1000, "a table bug"),
    FQ_OPTION_CHOICE(T, "mode", "exit|wait", mode, modes, "a choice\nwith two lines"),
    FQ_OPTION_ACTION("help", NULL, 'h', "this text"),
};
#undef T
#define N (sizeof table / sizeof table[0])

static int read_text(const char *text, int world_readable, settings *s, char *err, size_t len)
{
    fq_option_strings strings = {0};
    int rv =
        fq_options_read_text(table, N, "f.conf", text, world_readable, 0, s, &strings, err, len);
    /* TEXT values live in `strings`: check them before it goes. */
    if (rv == 0 && s->url != NULL)
        assert_string_equal(s->url, "tcp://0.0.0.0:7411;x#y");
    fq_option_strings_free(&strings);
    s->url = NULL;
    s->db = NULL;
    return rv;
}

static void test_every_kind_from_a_file(void **state)
{
    (void)state;
    settings s = {0};
    char err[512] = "";
    int rv = read_text("# a comment\n; another\n\n[net]\nurl = tcp://0.0.0.0:7411;x#y\n"
                       "timeout=90\n[memory]\nkib = 2\ncount = 0\nmetres = 250\nmode = wait\n",
                       0, &s, err, sizeof err);
    assert_int_equal(rv, 0);
    assert_int_equal(s.timeout_ms, 90000);
    assert_int_equal(s.bytes, 2048);
    assert_int_equal(s.count, 0);
    assert_true(s.metres == 250.0);
    assert_int_equal(s.mode, 1);
}

static void expect_error(const char *text, int world_readable, const char *message)
{
    settings s = {0};
    char err[512] = "";
    assert_int_equal(read_text(text, world_readable, &s, err, sizeof err), -1);
    if (strstr(err, message) == NULL)
        fail_msg("expected '%s' in '%s'", message, err);
}

static void test_file_errors_name_the_line(void **state)
{
    (void)state;
    expect_error("count = 1\nbogus = 2\n", 0, "f.conf:2: unknown key 'bogus'");
    expect_error("count = 1\n[x]\ncount = 2\n", 0,
                 "f.conf:3: 'count' is set twice (first on line 1)");
    expect_error("\n\ncount = 101\n", 0,
                 "f.conf:3: count needs a whole number from 0 to 100, got '101'");
    expect_error("count = -1\n", 0, "f.conf:1: count needs a whole number");
    expect_error("count = 5 ; five\n", 0,
                 "f.conf:1: count needs a whole number"); /* no inline comments */
    expect_error("count = 99999999999999999999999\n", 0, "f.conf:1: count needs");
    expect_error("timeout = 0\n", 0, "f.conf:1: timeout needs a whole number from 1 to 86400");
    expect_error("mode = maybe\n", 0, "f.conf:1: mode takes exit|wait, got 'maybe'");
    /* 4000000 s in ms does not fit an unsigned int: refused, not wrapped. */
    expect_error("too-big = 4000000\n", 0, "f.conf:1: too-big: 4000000 does not fit its setting");
    expect_error("url =\n", 0, "f.conf:1: url needs a value");
    expect_error("count = 1\njust words\n", 0, "f.conf:2: neither 'key = value'");
    expect_error("[unclosed\n", 0, "f.conf:1: neither");
    expect_error("config = other.conf\n", 0, "f.conf:1: unknown key 'config'");
    expect_error("help = 1\n", 0, "f.conf:1: unknown key 'help'");
    expect_error("db = host=x\n  dbname y\n", 0, "f.conf:2: neither"); /* no continuation lines */
    char long_line[600];
    snprintf(long_line, sizeof long_line, "count = 1\nurl = tcp://%0500d\n", 7);
    expect_error(long_line, 0, "f.conf:2: line too long");
    expect_error("db = host=x bogus=1\n", 0, "f.conf:1: db: invalid connection option \"bogus\"");
}

static void test_secrets(void **state)
{
    (void)state;
    settings s = {0};
    char err[512] = "";
    /* A password in a file only its owner and group read: fine. */
    assert_int_equal(read_text("db = host=x password=secret\n", 0, &s, err, sizeof err), 0);
    expect_error("count = 1\ndb = host=x password=secret\n", 1,
                 "f.conf:2: db holds a password and f.conf is readable by every user");
    expect_error("db = postgresql://u:secret@h/d\n", 1, "db holds a password");
    /* Without a password, anyone may read it. */
    assert_int_equal(read_text("db = host=x dbname=y\n", 1, &s, err, sizeof err), 0);

    char e[64];
    assert_int_equal(fq_conninfo_has_password("host=x dbname=y", e, sizeof e), 0);
    assert_int_equal(fq_conninfo_has_password("host=x password=''", e, sizeof e), 0);
    assert_int_equal(fq_conninfo_has_password("postgresql://u@h/d?password=p", e, sizeof e), 1);
    assert_int_equal(fq_conninfo_has_password("postgres://u:p@h/d", e, sizeof e), 1);
    assert_int_equal(fq_conninfo_has_password("host='unterminated", e, sizeof e), -1);
}

static int scan_apply(int argc, char **argv, settings *s, char *err, size_t len)
{
    fq_option_arg args[16];
    size_t n = 0;
    if (fq_options_scan(table, N, argc, argv, args, &n, err, len) != 0)
        return -1;
    return fq_options_apply_args(args, n, s, err, len);
}

static void test_command_line_same_parser(void **state)
{
    (void)state;
    settings s = {0};
    char err[512] = "";
    char *ok[] = {"prog", "--timeout", "5", "--mode=exit", "--kib", "1", "--metres", "3", NULL};
    assert_int_equal(scan_apply(8, ok, &s, err, sizeof err), 0);
    assert_int_equal(s.timeout_ms, 5000);
    assert_int_equal(s.bytes, 1024);
    assert_true(s.metres == 3.0);
    assert_int_equal(s.mode, 0);

    char *bad[] = {"prog", "--count", "x", NULL};
    assert_int_equal(scan_apply(3, bad, &s, err, sizeof err), -1);
    assert_string_equal(err, "--count needs a whole number from 0 to 100, got 'x'");
    char *unknown[] = {"prog", "--bogus", NULL};
    assert_int_equal(scan_apply(2, unknown, &s, err, sizeof err), -1);
    assert_string_equal(err, "unknown option '--bogus'");
    char *missing[] = {"prog", "--count", NULL};
    assert_int_equal(scan_apply(2, missing, &s, err, sizeof err), -1);
    assert_string_equal(err, "--count needs a value");
    char *stray[] = {"prog", "extra", NULL};
    assert_int_equal(scan_apply(2, stray, &s, err, sizeof err), -1);
    assert_string_equal(err, "unexpected argument 'extra'");
    char *pw[] = {"prog", "--db", "host=x password=p", NULL};
    assert_int_equal(scan_apply(3, pw, &s, err, sizeof err), -1);
    assert_string_equal(err, "--db holds a password, refused: use PGPASSFILE");
    char *uri[] = {"prog", "--db", "postgresql://u:p@h/d", NULL};
    assert_int_equal(scan_apply(3, uri, &s, err, sizeof err), -1);
    char *nopw[] = {"prog", "--db", "host=x", NULL};
    assert_int_equal(scan_apply(3, nopw, &s, err, sizeof err), 0);
    assert_string_equal(s.db, "host=x");
}

static void test_file_then_command_line(void **state)
{
    (void)state;
    char path[] = "/tmp/fq_test_options_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    const char *text = "count = 7\ntimeout = 9\ndb = host=x password=p\n";
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    settings s = {0};
    fq_option_strings strings = {0};
    char err[512] = "";
    assert_int_equal(chmod(path, 0640), 0);
    assert_int_equal(fq_options_read_file(table, N, path, 0, &s, &strings, err, sizeof err), 0);
    char *argv[] = {"prog", "--count", "8", NULL};
    assert_int_equal(scan_apply(3, argv, &s, err, sizeof err), 0);
    assert_int_equal(s.count, 8);         /* the command line wins */
    assert_int_equal(s.timeout_ms, 9000); /* the file's stays */
    assert_string_equal(s.db, "host=x password=p");
    fq_option_strings_free(&strings);

    /* The same file readable by everyone: refused, with the reason. */
    assert_int_equal(chmod(path, 0644), 0);
    memset(&s, 0, sizeof s);
    assert_int_equal(fq_options_read_file(table, N, path, 0, &s, &strings, err, sizeof err), -1);
    assert_non_null(strstr(err, ":3: db holds a password"));
    fq_option_strings_free(&strings);
    /* Other keys skipped (fengqiao-admin reads db from the server's file). */
    assert_int_equal(chmod(path, 0600), 0);
    assert_int_equal(fq_options_read_file(table + 1, 1, path, FQ_OPTIONS_OTHER_KEYS_SKIPPED, &s,
                                          &strings, err, sizeof err),
                     0);
    fq_option_strings_free(&strings);
    unlink(path);
    assert_int_equal(fq_options_read_file(table, N, path, 0, &s, &strings, err, sizeof err), -1);
    assert_non_null(strstr(err, "No such file"));
}

static void test_usage_lines(void **state)
{
    (void)state;
    char out[2048];
    fq_options_usage(table, N, out, sizeof out);
    assert_non_null(strstr(out, "  --timeout S            seconds\n"));
    assert_non_null(strstr(out, "  --mode exit|wait       a choice\n"
                                "                         with two lines\n"));
    assert_non_null(strstr(out, "  -h, --help             this text\n"));
}

static void test_paths_relative_to_the_binary(void **state)
{
    (void)state;
    char root[] = "/tmp/fq_test_paths_XXXXXX";
    assert_non_null(mkdtemp(root));
    char dir[512], exe[512], got[512];
    snprintf(dir, sizeof dir, "%s/usr/share/fengqiao/migrations", root);
    char cmd[1100];
    snprintf(cmd, sizeof cmd, "mkdir -p '%s' '%s/usr/bin'", dir, root);
    assert_int_equal(system(cmd), 0);
    snprintf(exe, sizeof exe, "%s/usr/bin/fengqiao-admin", root);
    assert_int_equal(fq_files_dir_for(exe, FQ_FILES_MIGRATIONS, got, sizeof got), 0);
    char want[600];
    snprintf(want, sizeof want, "%s/usr/bin/../share/fengqiao/migrations", root);
    assert_string_equal(got, want);
    /* Not installed there: named anyway (the binary is not in a build tree). */
    assert_int_equal(fq_files_dir_for(exe, FQ_FILES_WEB, got, sizeof got), 0);
    snprintf(want, sizeof want, "%s/usr/bin/../share/fengqiao/web", root);
    assert_string_equal(got, want);
    assert_int_equal(fq_files_dir_for(exe, FQ_FILES_WEB, got, 10), -1);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    assert_int_equal(system(cmd), 0);
    /* This test's own binary lies in the build tree: the source's migrations. */
    const char *mine = fq_files_dir(FQ_FILES_MIGRATIONS);
    struct stat st;
    snprintf(want, sizeof want, "%s/0001_init.sql", mine);
    if (stat(mine, &st) != 0 || !S_ISDIR(st.st_mode))
        fail_msg("%s is not a folder", mine);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_kind_from_a_file),
        cmocka_unit_test(test_file_errors_name_the_line),
        cmocka_unit_test(test_secrets),
        cmocka_unit_test(test_command_line_same_parser),
        cmocka_unit_test(test_file_then_command_line),
        cmocka_unit_test(test_usage_lines),
        cmocka_unit_test(test_paths_relative_to_the_binary),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
