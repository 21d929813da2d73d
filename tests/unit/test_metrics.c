/* The Prometheus text format writer (server/net/metrics.h): names, HELP and
 * label escaping, counters' _total, histograms' cumulative buckets. The real
 * server's output is also checked by promtool (integ_metrics). */
#include "metrics.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <string.h>

static const char *text_of(fq_metrics *m)
{
    size_t len = 0;
    const char *t = fq_metrics_text(m, &len);
    assert_non_null(t);
    assert_int_equal(strlen(t), len);
    return t;
}

static void test_counter_with_labels(void **state)
{
    (void)state;
    fq_metrics *m = fq_metrics_new();
    assert_int_equal(fq_metrics_family(m, "fengqiao_requests_total", FQ_METRIC_COUNTER,
                                       "Requests answered, by endpoint and status."),
                     0);
    const char *ok[] = {"endpoint", "intake", "status", "ok", NULL};
    const char *busy[] = {"endpoint", "intake", "status", "busy", NULL};
    assert_int_equal(fq_metrics_sample(m, ok, 12), 0);
    assert_int_equal(fq_metrics_sample(m, busy, 0), 0);
    assert_string_equal(text_of(m),
                        "# HELP fengqiao_requests_total Requests answered, by endpoint and "
                        "status.\n"
                        "# TYPE fengqiao_requests_total counter\n"
                        "fengqiao_requests_total{endpoint=\"intake\",status=\"ok\"} 12\n"
                        "fengqiao_requests_total{endpoint=\"intake\",status=\"busy\"} 0\n");
    fq_metrics_free(m);
}

static void test_escaping(void **state)
{
    (void)state;
    fq_metrics *m = fq_metrics_new();
    assert_int_equal(fq_metrics_family(m, "x_info", FQ_METRIC_GAUGE, "a \\ back\nslash \"quoted\""),
                     0);
    const char *l[] = {"version", "a\"b\\c\nd 网格", NULL};
    assert_int_equal(fq_metrics_sample(m, l, 1), 0);
    assert_string_equal(text_of(m), "# HELP x_info a \\\\ back\\nslash \"quoted\"\n"
                                    "# TYPE x_info gauge\n"
                                    "x_info{version=\"a\\\"b\\\\c\\nd 网格\"} 1\n");
    fq_metrics_free(m);
}

static void test_numbers(void **state)
{
    (void)state;
    fq_metrics *m = fq_metrics_new();
    fq_metrics_family(m, "g", FQ_METRIC_GAUGE, "");
    fq_metrics_sample(m, NULL, 0.1);
    fq_metrics_sample(m, NULL, 1796536457.123);
    fq_metrics_sample(m, NULL, 18446744073709551615.0);
    fq_metrics_sample(m, NULL, INFINITY);
    fq_metrics_sample(m, NULL, -INFINITY);
    fq_metrics_sample(m, NULL, NAN);
    assert_string_equal(text_of(m), "# HELP g \n# TYPE g gauge\n"
                                    "g 0.1\ng 1796536457.123\ng 1.8446744073709552e+19\n"
                                    "g +Inf\ng -Inf\ng NaN\n");
    fq_metrics_free(m);
}

static void test_histogram(void **state)
{
    (void)state;
    static const double bounds[] = {0.001, 0.01, 0.1};
    fq_histogram h;
    fq_histogram_init(&h, bounds, 3);
    fq_histogram_observe(&h, 0.0005);
    fq_histogram_observe(&h, 0.001); /* le is inclusive */
    fq_histogram_observe(&h, 0.05);
    fq_histogram_observe(&h, 3);
    fq_metrics *m = fq_metrics_new();
    assert_int_equal(fq_metrics_family(m, "commit_seconds", FQ_METRIC_HISTOGRAM, "Latency."), 0);
    const char *l[] = {"store", "writes", NULL};
    assert_int_equal(fq_metrics_histogram(m, l, &h), 0);
    assert_string_equal(text_of(m), "# HELP commit_seconds Latency.\n"
                                    "# TYPE commit_seconds histogram\n"
                                    "commit_seconds_bucket{store=\"writes\",le=\"0.001\"} 2\n"
                                    "commit_seconds_bucket{store=\"writes\",le=\"0.01\"} 2\n"
                                    "commit_seconds_bucket{store=\"writes\",le=\"0.1\"} 3\n"
                                    "commit_seconds_bucket{store=\"writes\",le=\"+Inf\"} 4\n"
                                    "commit_seconds_sum{store=\"writes\"} 3.0515\n"
                                    "commit_seconds_count{store=\"writes\"} 4\n");
    /* A sample is not a histogram's, nor a histogram a gauge's. */
    assert_int_equal(fq_metrics_sample(m, NULL, 1), -1);
    fq_metrics_family(m, "g", FQ_METRIC_GAUGE, "");
    assert_int_equal(fq_metrics_histogram(m, NULL, &h), -1);
    fq_metrics_free(m);
}

static void test_refusals(void **state)
{
    (void)state;
    fq_metrics *m = fq_metrics_new();
    /* A counter's name ends in _total. */
    assert_int_equal(fq_metrics_family(m, "requests", FQ_METRIC_COUNTER, ""), -1);
    assert_int_equal(fq_metrics_sample(m, NULL, 1), -1);
    assert_int_equal(fq_metrics_family(m, "9lives", FQ_METRIC_GAUGE, ""), -1);
    assert_int_equal(fq_metrics_family(m, "a-b", FQ_METRIC_GAUGE, ""), -1);
    assert_int_equal(fq_metrics_family(m, "ok:name_1", FQ_METRIC_GAUGE, ""), 0);
    /* Each family once. */
    assert_int_equal(fq_metrics_family(m, "ok:name_1", FQ_METRIC_GAUGE, ""), -1);
    assert_int_equal(fq_metrics_family(m, "other", FQ_METRIC_GAUGE, ""), 0);
    const char *bad1[] = {"__reserved", "x", NULL};
    const char *bad2[] = {"le", "1", NULL};
    const char *bad3[] = {"a:b", "x", NULL};
    assert_int_equal(fq_metrics_sample(m, bad1, 1), -1);
    assert_int_equal(fq_metrics_sample(m, bad2, 1), -1);
    assert_int_equal(fq_metrics_sample(m, bad3, 1), -1);
    assert_string_equal(text_of(m), "# HELP ok:name_1 \n# TYPE ok:name_1 gauge\n"
                                    "# HELP other \n# TYPE other gauge\n");
    assert_true(fq_metrics_valid_label("status"));
    assert_false(fq_metrics_valid_label(""));
    fq_metrics_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_counter_with_labels),
        cmocka_unit_test(test_escaping),
        cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_histogram),
        cmocka_unit_test(test_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
