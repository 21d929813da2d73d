/* pghosts: a conninfo's hosts, one keyword list each when they may be tried
 * side by side; the whole conninfo otherwise. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "pghosts.h"

#include <string.h>

static const char *const default_keys[] = {"keepalives", "tcp_user_timeout"};
static const char *const default_values[] = {"1", "2500"};

/* The value libpq would use: the last one given for the keyword. */
static const char *value_of(const fq_pg_host *h, const char *key)
{
    const char *v = NULL;
    for (size_t i = 0; h->keys[i] != NULL; i++)
        if (strcmp(h->keys[i], key) == 0)
            v = h->values[i];
    return v;
}

static void plan(fq_pg_hosts *hosts, const char *conninfo)
{
    assert_int_equal(fq_pg_hosts_plan(hosts, conninfo, default_keys, default_values, 2), 0);
}

static void test_hosts_side_by_side(void **state)
{
    (void)state;
    fq_pg_hosts hosts;
    const char *conninfo =
        "host=db1,db2 port=5433,5434 dbname=fengqiao user=fq "
        "target_session_attrs=read-write connect_timeout=2 tcp_user_timeout=3000";
    plan(&hosts, conninfo);
    assert_int_equal(hosts.count, 2);
    assert_string_equal(value_of(&hosts.host[0], "host"), "db1");
    assert_string_equal(value_of(&hosts.host[0], "port"), "5433");
    assert_string_equal(value_of(&hosts.host[1], "host"), "db2");
    assert_string_equal(value_of(&hosts.host[1], "port"), "5434");
    for (size_t i = 0; i < 2; i++) {
        const fq_pg_host *h = &hosts.host[i];
        assert_int_equal(h->expand_dbname, 0);
        assert_string_equal(value_of(h, "dbname"), "fengqiao");
        assert_string_equal(value_of(h, "user"), "fq");
        /* Each attempt still asks for the kind: libpq checks it. */
        assert_string_equal(value_of(h, "target_session_attrs"), "read-write");
        /* A default the conninfo sets is the conninfo's; others stay. */
        assert_string_equal(value_of(h, "tcp_user_timeout"), "3000");
        assert_string_equal(value_of(h, "keepalives"), "1");
    }
    assert_string_equal(hosts.host[1].where, "host db2 port 5434");
    fq_pg_hosts_free(&hosts);
}

static void test_one_port_for_all(void **state)
{
    (void)state;
    fq_pg_hosts hosts;
    plan(&hosts, "host=a,b,c port=6000 target_session_attrs=primary");
    assert_int_equal(hosts.count, 3);
    assert_string_equal(value_of(&hosts.host[2], "host"), "c");
    assert_string_equal(value_of(&hosts.host[2], "port"), "6000");
    fq_pg_hosts_free(&hosts);
    /* No port: libpq's default, not named. */
    plan(&hosts, "host=a,b target_session_attrs=standby");
    assert_int_equal(hosts.count, 2);
    assert_null(value_of(&hosts.host[1], "port"));
    assert_string_equal(hosts.host[1].where, "host b port (default)");
    fq_pg_hosts_free(&hosts);
}

static void test_uri_and_hostaddr(void **state)
{
    (void)state;
    fq_pg_hosts hosts;
    plan(&hosts, "postgresql://pg1.example:5432,pg2.example:5433/fengqiao?"
                 "target_session_attrs=read-write");
    assert_int_equal(hosts.count, 2);
    assert_string_equal(value_of(&hosts.host[1], "host"), "pg2.example");
    assert_string_equal(value_of(&hosts.host[1], "port"), "5433");
    assert_string_equal(value_of(&hosts.host[1], "dbname"), "fengqiao");
    fq_pg_hosts_free(&hosts);
    plan(&hosts, "host=pg1,pg2 hostaddr=10.0.0.1,10.0.0.2 target_session_attrs=read-write");
    assert_int_equal(hosts.count, 2);
    assert_string_equal(value_of(&hosts.host[0], "host"), "pg1");
    assert_string_equal(value_of(&hosts.host[0], "hostaddr"), "10.0.0.1");
    assert_string_equal(value_of(&hosts.host[1], "hostaddr"), "10.0.0.2");
    fq_pg_hosts_free(&hosts);
    plan(&hosts, "hostaddr=10.0.0.1,10.0.0.2 target_session_attrs=read-write");
    assert_int_equal(hosts.count, 2);
    assert_string_equal(hosts.host[1].where, "host 10.0.0.2 port (default)");
    fq_pg_hosts_free(&hosts);
}

/* Whole: libpq walks the hosts in its own order (or reports the error). */
static void assert_whole(const char *conninfo)
{
    fq_pg_hosts hosts;
    plan(&hosts, conninfo);
    assert_int_equal(hosts.count, 1);
    assert_int_equal(hosts.host[0].expand_dbname, 1);
    assert_string_equal(value_of(&hosts.host[0], "dbname"), conninfo);
    assert_string_equal(value_of(&hosts.host[0], "keepalives"), "1");
    fq_pg_hosts_free(&hosts);
}

static void test_whole(void **state)
{
    (void)state;
    assert_whole("host=db1 port=5433 target_session_attrs=read-write");
    /* Without a kind, or with a preference, the order of the list matters. */
    assert_whole("host=db1,db2 port=5433,5434");
    assert_whole("host=db1,db2 target_session_attrs=any");
    assert_whole("host=db1,db2 target_session_attrs=prefer-standby");
    /* Lists libpq refuses, and strings it cannot parse. */
    assert_whole("host=a,b,c port=1,2 target_session_attrs=read-write");
    assert_whole("host=a,b hostaddr=10.0.0.1 target_session_attrs=read-write");
    assert_whole("fengqiao");
    assert_whole("host='unterminated");
    assert_whole("");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hosts_side_by_side),
        cmocka_unit_test(test_one_port_for_all),
        cmocka_unit_test(test_uri_and_hostaddr),
        cmocka_unit_test(test_whole),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
