#include "migrate.h"

#include <dirent.h>
#include <errno.h>
#include <regex.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LOCK_KEY "7236111420" /* pg_advisory_lock key of fengqiao migrations */

static int exec_ok(PGconn *conn, const char *sql, const char *what)
{
    PGresult *res = PQexec(conn, sql);
    ExecStatusType st = PQresultStatus(res);
    int ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
    if (!ok)
        fprintf(stderr, "fengqiao-admin: migrate: %s: %s", what, PQerrorMessage(conn));
    PQclear(res);
    return ok ? 0 : -1;
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    char *buf = NULL;
    size_t cap = 0, n = 0;
    for (;;) {
        if (n + 4096 + 1 > cap) {
            cap = cap ? cap * 2 : 16384;
            char *grown = realloc(buf, cap);
            if (grown == NULL) {
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = grown;
        }
        size_t r = fread(buf + n, 1, 4096, f);
        n += r;
        if (r < 4096)
            break;
    }
    fclose(f);
    buf[n] = '\0';
    *len = n;
    return buf;
}

static int list_migrations(const char *dir, char ***names_out, size_t *count_out)
{
    DIR *d = opendir(dir);
    if (d == NULL) {
        fprintf(stderr, "fengqiao-admin: migrate: cannot open %s: %s\n", dir, strerror(errno));
        return -1;
    }
    regex_t re;
    regcomp(&re, "^[0-9]{4}_[a-z0-9_]+\\.sql$", REG_EXTENDED | REG_NOSUB);
    char **names = NULL;
    size_t count = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (regexec(&re, e->d_name, 0, NULL, 0) != 0)
            continue;
        char **grown = realloc(names, (count + 1) * sizeof *names);
        if (grown == NULL)
            break;
        names = grown;
        names[count++] = strdup(e->d_name);
    }
    closedir(d);
    regfree(&re);
    qsort(names, count, sizeof *names, compare_names);
    *names_out = names;
    *count_out = count;
    return 0;
}

int fq_migrate(PGconn *conn, const char *dir, int quiet)
{
    char **names = NULL;
    size_t count = 0;
    int rv = -1;
    if (list_migrations(dir, &names, &count) != 0)
        return -1;
    if (exec_ok(conn, "SELECT pg_advisory_lock(" LOCK_KEY ")", "lock") != 0)
        goto out;
    if (exec_ok(conn,
                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                " version integer PRIMARY KEY, name text NOT NULL, sha256 text NOT NULL,"
                " applied_at timestamptz NOT NULL DEFAULT now())",
                "schema_migrations") != 0)
        goto unlock;
    int applied = 0;
    for (size_t i = 0; i < count; i++) {
        int version = atoi(names[i]);
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        size_t len;
        char *sql = read_file(path, &len);
        if (sql == NULL) {
            fprintf(stderr, "fengqiao-admin: migrate: cannot read %s\n", path);
            goto unlock;
        }
        unsigned char hash[crypto_hash_sha256_BYTES];
        char hex[2 * crypto_hash_sha256_BYTES + 1];
        crypto_hash_sha256(hash, (const unsigned char *)sql, len);
        sodium_bin2hex(hex, sizeof hex, hash, sizeof hash);

        char version_text[16];
        snprintf(version_text, sizeof version_text, "%d", version);
        const char *params[3] = {version_text, names[i], hex};
        PGresult *res =
            PQexecParams(conn, "SELECT sha256 FROM schema_migrations WHERE version = $1", 1, NULL,
                         params, NULL, NULL, 0);
        if (PQresultStatus(res) != PGRES_TUPLES_OK) {
            fprintf(stderr, "fengqiao-admin: migrate: %s", PQerrorMessage(conn));
            PQclear(res);
            free(sql);
            goto unlock;
        }
        if (PQntuples(res) == 1) {
            if (strcmp(PQgetvalue(res, 0, 0), hex) != 0)
                fprintf(stderr,
                        "fengqiao-admin: migrate: warning: %s changed after it was applied; "
                        "write a new migration instead\n",
                        names[i]);
            PQclear(res);
            free(sql);
            continue;
        }
        PQclear(res);
        /* One transaction per migration: it applies whole or not at all. */
        int ok = exec_ok(conn, "BEGIN", "begin") == 0 && exec_ok(conn, sql, names[i]) == 0;
        free(sql);
        if (ok) {
            res = PQexecParams(conn,
                               "INSERT INTO schema_migrations (version, name, sha256)"
                               " VALUES ($1, $2, $3)",
                               3, NULL, params, NULL, NULL, 0);
            ok = PQresultStatus(res) == PGRES_COMMAND_OK;
            if (!ok)
                fprintf(stderr, "fengqiao-admin: migrate: %s", PQerrorMessage(conn));
            PQclear(res);
        }
        if (!ok || exec_ok(conn, "COMMIT", "commit") != 0) {
            exec_ok(conn, "ROLLBACK", "rollback");
            goto unlock;
        }
        if (!quiet)
            printf("applied %s\n", names[i]);
        applied++;
    }
    if (!quiet)
        printf("schema is up to date (%zu migrations, %d applied now)\n", count, applied);
    rv = 0;
unlock:
    exec_ok(conn, "SELECT pg_advisory_unlock(" LOCK_KEY ")", "unlock");
out:
    for (size_t i = 0; i < count; i++)
        free(names[i]);
    free(names);
    return rv;
}
